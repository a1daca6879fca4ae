"""Cost sync end to end (issue 18): a change of the distributor's unit cost of a linked
resource is posted to the PSA once, from the day it is seen, through the ledger: auto, under
approval, with a price policy that maintains the sell price (always approved by a person), and
refused with a reason when the currencies differ."""
import datetime
import json
from decimal import Decimal

import requests

from billsync_test import quiesce, sql, worker_on
from test_mapping import GENERIC
from test_sync import Linked, tomorrow
from testclock import today


def row(qty, cost="5.40", price="6.00", currency="USD"):
    return (f"ct1,Contoso Ltd,ct-bb,Microsoft 365 Business Basic,Microsoft 365 Business Basic,CFQ7TTC0LH18,{qty},"
            f"{cost},{price},,{currency},recurring,monthly,12,2026-11-01,2026-11-30,,ct-l1\n")


class CostLinked(Linked):
    def upload_row(self, body):
        from billsync_test import upload_csv
        conn = sql(self.stack, f"SELECT id FROM connections WHERE tenant_id = {self.t} AND system = 'csv'").strip()
        upload_csv(self.admin, conn, "seats.csv", GENERIC + body)

    def cost_posts(self):
        """The PSA's journal: cost changes billsync wrote (0-unit adjustments with a cost)."""
        log = requests.get(self.control + "/requests", params={"system": "autotask", "limit": 5000},
                           timeout=10).json()["requests"]
        out = []
        for e in log:
            if e["method"] == "POST" and "ServiceAdjustments" in e["path"] and e["status"] == 200 \
                    and f"/Contracts/{self.contract}/" in e["path"]:
                body = json.loads(e["body"])
                if body.get("unitChange") == 0:
                    out.append(body)
        return out

    def money(self, day):
        """(cost, price) of the service on a day, as Autotask's ContractServiceUnits show them."""
        rows = requests.get(self.control + "/state/autotask", timeout=10).json()["entities"]["ContractServiceUnits"]
        got = [(Decimal(str(r["cost"])), Decimal(str(r["price"]))) for r in rows
               if str(r["contractID"]) == self.contract and str(r["serviceID"]) == self.service
               and r["startDate"][:10] <= day <= r["endDate"][:10]]
        assert len(got) == 1, got
        return got[0]

    def cost_rows(self):
        return sql(self.stack, f"SELECT state, DATE_FORMAT(effective_date, '%Y-%m-%d'), new_unit_cost,"
                               f" COALESCE(new_unit_price, ''), cost_before, price_before FROM adjustments"
                               f" WHERE tenant_id = {self.t} AND kind = 'cost' ORDER BY id").strip().splitlines()


def pct(price, cost):
    """The margin as the pages show it: one decimal, half away from zero (Decimal, not floats)."""
    from decimal import ROUND_HALF_UP
    return str(((price - cost) / price * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)) + " %"


def money2(d):
    return str(Decimal(d).quantize(Decimal("0.01")))


def expected_text(cost0, cost1, price0, price1=None):
    """What /approvals and the adjustment log show for a cost change (escaped as HTML)."""
    if price1 is None:
        return (f"cost {money2(cost0)} -&gt; {money2(cost1)}; price {money2(price0)} kept; "
                f"margin {pct(price0, cost0)} -&gt; {pct(price0, cost1)}")
    return (f"cost {money2(cost0)} -&gt; {money2(cost1)}; price {money2(price0)} -&gt; {money2(price1)}; "
            f"margin {pct(price0, cost0)} -&gt; {pct(price1, cost1)}")


def ten_k(d):
    return str(int(Decimal(d) * 10000))


def linked(stack, qty=8):
    L = CostLinked(stack, qty)
    from billsync_test import wait_for
    wait_for(lambda: L.units() == qty, 60, "the link's reconciliation to post")
    return L


def set_policy(L, approval="auto"):
    L.admin.form("/settings/billing", "/settings/billing", {
        "approval": approval, "decrease_mode": "next_period", "drift_mode": "flag", "usage_mode": "average_cost",
        "alert_after_minutes": "240", "sync_interval_minutes": "15"})


def test_a_cost_change_posts_once_from_the_day_it_is_seen(stack):
    L = linked(stack)
    baseline = L.money(today().isoformat())
    day = tomorrow()                           # today holds the reconciliation's adjustment
    with worker_on(stack, day) as w:
        L.sync()                               # records the baseline cost: nothing to post
        quiesce(stack, L.t)
        assert L.cost_rows() == [] and L.cost_posts() == []
        L.upload_row(row(8, cost="5.94"))
        L.sync()
        w.post(L.t)
        rows = L.cost_rows()
        assert len(rows) == 1, rows
        state, eff, new_cost, new_price, before, _ = rows[0].split("\t")
        assert (state, eff, new_cost, new_price) == ("verified", day.isoformat(), ten_k("5.94"), "")
        assert before == ten_k(str(baseline[0]))
        posts = L.cost_posts()
        assert len(posts) == 1, posts
        assert Decimal(str(posts[0]["adjustedUnitCost"])) == Decimal("5.94")
        assert posts[0]["effectiveDate"][:10] == day.isoformat() and "adjustedUnitPrice" not in posts[0]
        assert L.money(day.isoformat()) == (Decimal("5.94"), baseline[1])   # the sell price stands
        assert L.units(day.isoformat()) == 8
        L.sync()                               # seen again: nothing new
        w.post(L.t)
        quiesce(stack, L.t)
    assert len(L.cost_posts()) == 1 and len(L.cost_rows()) == 1
    log = L.admin.get("/reports/adjustments").text
    assert "Cost change: " + expected_text(baseline[0], Decimal("5.94"), baseline[1]) in log, log[-3000:]


def test_a_cost_change_under_approval_waits_for_a_person(stack):
    L = linked(stack)
    set_policy(L, "require")
    day = tomorrow()
    with worker_on(stack, day) as w:
        L.sync()
        L.upload_row(row(8, cost="6.10"))
        L.sync()
        w.post(L.t)
        (r,) = L.cost_rows()
        assert r.split("\t")[0] == "awaiting_approval"
        assert L.cost_posts() == []
        cost0, price0 = L.money(day.isoformat())
        page = L.admin.get("/approvals").text
        assert expected_text(cost0, Decimal("6.10"), price0) in page, page[-3000:]
        pick = sql(stack, f"SELECT id FROM adjustments WHERE tenant_id = {L.t} AND kind = 'cost'").strip()
        L.admin.form("/approvals", "/approvals", {"action": "approve", "pick": pick})
        w.post(L.t)
        assert [p["adjustedUnitCost"] for p in L.cost_posts()] == [6.1]
        assert L.money(day.isoformat())[0] == Decimal("6.10")


def test_a_currency_mismatch_is_refused_with_a_reason(stack):
    L = linked(stack)
    day = tomorrow()
    with worker_on(stack, day) as w:
        L.sync()
        L.upload_row(row(8, cost="5.10", currency="EUR"))
        L.sync()
        w.post(L.t)
        (r,) = L.cost_rows()
        assert r.split("\t")[0] == "failed"
        why, retry = sql(stack, f"SELECT last_error, next_attempt_at IS NULL FROM adjustments WHERE tenant_id = {L.t}"
                                " AND kind = 'cost'").strip().split("\t")
        assert "EUR" in why and "USD" in why and "does not convert" in why and retry == "1"
        assert L.cost_posts() == []
    page = L.admin.get("/reports/failures").text
    assert "cost change" in page and "does not convert" in page


def test_a_cost_change_whose_answer_is_lost_posts_exactly_once(stack):
    L = linked(stack)
    day = tomorrow()
    with worker_on(stack, day) as w:
        L.sync()
        L.fault(kind="commit_drop")            # the PSA takes the adjustment, the answer is lost
        L.upload_row(row(8, cost="5.77"))
        L.sync()
        w.post(L.t)
        (r,) = L.cost_rows()
        assert r.split("\t")[0] == "failed"
        L.due_now()
        w.post(L.t)                            # the retry reads first: the cost is there
        (r,) = L.cost_rows()
        assert r.split("\t")[0] == "verified"
    assert [p["adjustedUnitCost"] for p in L.cost_posts()] == [5.77]
    outcomes = sql(stack, f"SELECT outcome FROM adjustment_attempts a JOIN adjustments j ON j.id = a.adjustment_id"
                          f" WHERE j.tenant_id = {L.t} AND j.kind = 'cost' ORDER BY a.id").split()
    assert outcomes == ["failed", "nothing_to_do"]
