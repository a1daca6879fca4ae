"""Cost sync end to end on both PSAs (issue 18): a change of the distributor's unit cost of a
linked resource is posted to the PSA once, from the day it is seen, through the ledger: auto,
under approval, refused with a reason when the currencies differ, and exactly once when the
PSA's answer to the write is lost. Autotask takes a 0-unit adjustment with adjustedUnitCost;
ConnectWise the unitCost of the additions in effect."""
from decimal import ROUND_HALF_UP, Decimal

from billsync_test import quiesce, sql, upload_csv, worker_on
from test_mapping import GENERIC
from test_sync import Linked, tomorrow


def row(qty, cost="5.40", price="6.00", currency="USD"):
    return (f"ct1,Contoso Ltd,ct-bb,Microsoft 365 Business Basic,Microsoft 365 Business Basic,CFQ7TTC0LH18,{qty},"
            f"{cost},{price},,{currency},recurring,monthly,12,2026-11-01,2026-11-30,,ct-l1\n")


class CostLinked(Linked):
    def upload_row(self, body):
        conn = sql(self.stack, f"SELECT id FROM connections WHERE tenant_id = {self.t} AND system = 'csv'").strip()
        upload_csv(self.admin, conn, "seats.csv", GENERIC + body)

    def cost_writes(self):
        return self.psa.cost_writes(self.stack, self.contract, self.service)

    def money(self, day):
        return self.psa.money(self.stack, self.contract, self.service, day)

    def cost_rows(self):
        return sql(self.stack, f"SELECT state, DATE_FORMAT(effective_date, '%Y-%m-%d'), new_unit_cost,"
                               f" COALESCE(new_unit_price, ''), cost_before, price_before FROM adjustments"
                               f" WHERE tenant_id = {self.t} AND kind = 'cost' ORDER BY id").strip().splitlines()


def pct(price, cost):
    """The margin as the pages show it: one decimal, half away from zero (Decimal, not floats)."""
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


def linked(stack, psa, qty=8):
    L = CostLinked(stack, qty, psa)
    L.reconciled(qty)
    return L


def set_policy(L, approval="auto"):
    L.admin.form("/settings/billing", "/settings/billing", {
        "approval": approval, "decrease_mode": "next_period", "drift_mode": "flag", "usage_mode": "average_cost",
        "alert_after_minutes": "240", "sync_interval_minutes": "15"})


def test_a_cost_change_posts_once_from_the_day_it_is_seen(stack, psa):
    L = linked(stack, psa)
    # the worker a day on: on Autotask today holds the reconciliation's adjustment
    day = tomorrow()
    baseline = L.money(day.isoformat())
    with worker_on(stack, day) as w:
        L.sync()                               # records the baseline cost: nothing to post
        quiesce(stack, L.t)
        assert L.cost_rows() == [] and L.cost_writes() == []
        L.upload_row(row(8, cost="5.94"))
        L.sync()
        w.post(L.t)
        rows = L.cost_rows()
        assert len(rows) == 1, rows
        state, eff, new_cost, new_price, before, price_before = rows[0].split("\t")
        assert (state, eff, new_cost, new_price) == ("verified", day.isoformat(), ten_k("5.94"), "")
        assert (before, price_before) == (ten_k(baseline[0]), ten_k(baseline[1]))
        writes = L.cost_writes()
        assert [(x["cost"], x["price"]) for x in writes] == [(Decimal("5.94"), None)], writes
        assert writes[0]["date"] in (None, day.isoformat())
        assert L.money(day.isoformat()) == (Decimal("5.94"), baseline[1])   # the sell price stands
        assert L.units(day.isoformat()) == 8
        L.sync()                               # seen again: nothing new
        w.post(L.t)
        quiesce(stack, L.t)
    assert len(L.cost_writes()) == 1 and len(L.cost_rows()) == 1
    log = L.admin.get("/reports/adjustments").text
    text = expected_text(baseline[0], Decimal("5.94"), baseline[1])
    assert "Cost change: " + text in log, log[-3000:]
    cid = sql(stack, f"SELECT id FROM adjustments WHERE tenant_id = {L.t} AND kind = 'cost'").strip()
    detail = L.admin.get(f"/reports/adjustments/{cid}").text
    assert text in detail and "New unit cost" in detail and "5.94" in detail, detail[-3000:]


def test_a_cost_change_under_approval_waits_for_a_person(stack, psa):
    L = linked(stack, psa)
    set_policy(L, "require")
    day = tomorrow()
    with worker_on(stack, day) as w:
        L.sync()
        L.upload_row(row(8, cost="6.10"))
        L.sync()
        w.post(L.t)
        (r,) = L.cost_rows()
        assert r.split("\t")[0] == "awaiting_approval"
        assert L.cost_writes() == []
        cost0, price0 = L.money(day.isoformat())
        page = L.admin.get("/approvals").text
        assert expected_text(cost0, Decimal("6.10"), price0) in page, page[-3000:]
        pick = sql(stack, f"SELECT id FROM adjustments WHERE tenant_id = {L.t} AND kind = 'cost'").strip()
        L.admin.form("/approvals", "/approvals", {"action": "approve", "pick": pick})
        w.post(L.t)
        assert [x["cost"] for x in L.cost_writes()] == [Decimal("6.10")]
        assert L.money(day.isoformat()) == (Decimal("6.10"), price0)


def test_a_currency_mismatch_is_refused_with_a_reason(stack, psa):
    L = linked(stack, psa)
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
        assert L.cost_writes() == []
    page = L.admin.get("/reports/failures").text
    assert "cost change" in page and "does not convert" in page


def test_a_cost_change_whose_answer_is_lost_posts_exactly_once(stack, psa):
    L = linked(stack, psa)
    day = tomorrow()
    with worker_on(stack, day) as w:
        L.sync()
        L.fault(kind="commit_drop", **psa.cost_fault)   # the PSA takes the write, the answer is lost
        L.upload_row(row(8, cost="5.77"))
        L.sync()
        w.post(L.t)
        L.due_now()
        w.post(L.t)                            # a retry reads first: the cost is there
        (r,) = L.cost_rows()
        assert r.split("\t")[0] == "verified"
        assert L.money(day.isoformat())[0] == Decimal("5.77")
    assert [x["cost"] for x in L.cost_writes()] == [Decimal("5.77")]
    outcomes = sql(stack, f"SELECT outcome FROM adjustment_attempts a JOIN adjustments j ON j.id = a.adjustment_id"
                          f" WHERE j.tenant_id = {L.t} AND j.kind = 'cost' ORDER BY a.id").split()
    # Autotask's create is never sent twice: the next try finds it; ConnectWise's PATCH of an
    # absolute value is repeated by the HTTP client at once
    assert outcomes == (["failed", "nothing_to_do"] if psa.one_change_per_day else ["verified"]), outcomes


def test_a_seat_change_after_a_cost_change_of_the_day_never_collides(stack, psa):
    """Autotask takes one adjustment per service and day: a seat change seen after the day's cost
    change is dated the next free day (never refused); ConnectWise takes both that day."""
    import datetime
    L = linked(stack, psa)
    day = tomorrow()
    with worker_on(stack, day) as w:
        L.sync()
        L.upload_row(row(8, cost="5.61"))
        L.sync()
        w.post(L.t)
        L.upload_row(row(11, cost="5.61"))
        L.sync()
        seat_day = day + datetime.timedelta(days=1) if psa.one_change_per_day else day
        assert L.last_effective() == seat_day.isoformat()
        w.post(L.t)
    with worker_on(stack, day + datetime.timedelta(days=1)) as w:
        w.post(L.t)
        assert L.units((day + datetime.timedelta(days=1)).isoformat()) == 11
    states = sql(stack, f"SELECT kind, state FROM adjustments WHERE tenant_id = {L.t} AND state <> 'superseded'"
                        " ORDER BY id").strip().splitlines()
    assert states == ["units\tverified", "cost\tverified", "units\tverified"], states
    assert sql(stack, f"SELECT COUNT(*) FROM adjustment_attempts a JOIN adjustments j ON j.id = a.adjustment_id"
                      f" WHERE j.tenant_id = {L.t} AND a.outcome = 'failed'").strip() == "0"
