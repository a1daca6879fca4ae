"""The ledger in a messy month (issue 13), end to end against the PSA sandboxes (Autotask and
ConnectWise, the `psa` fixture; Autotask-only cases say why): a restore
before the 1st cancels the waiting decrease; a second decrease keeps the pending date; a third
change in one day folds into tomorrow's open change; two subscriptions on one contract service
add up. Each test reads the PSA as Autotask reports it, on the days that matter, and the
sandbox's request log for what was actually posted."""
import datetime

import requests

from billsync_test import quiesce, sql, upload_csv, wait_for, worker_on
from test_mapping import GENERIC, row_id, set_relation
from test_sync import Linked, decrease_date, next_change_date, row, tomorrow
from testclock import today


def after_tomorrow():
    return today() + datetime.timedelta(days=2)


def posts(L):
    return len(L.adjustments_posted())


def attempts(stack, t):
    return sql(stack, f"SELECT outcome FROM adjustment_attempts WHERE tenant_id = {t} ORDER BY id").split()


def open_changes(stack, t):
    """(unit change, effective date, state) of the changes not yet posted, superseded or rejected."""
    rows = sql(stack, f"SELECT unit_change, DATE_FORMAT(effective_date, '%Y-%m-%d'), state FROM adjustments WHERE "
                      f"tenant_id = {t} AND state IN ('planned', 'awaiting_approval', 'queued', 'failed') ORDER BY id")
    return [tuple(r.split("\t")) for r in rows.splitlines() if r]


def test_a_restore_before_the_first_cancels_the_waiting_decrease(stack, psa):
    """Seats 12 -> 10 (a -2 waits for the 1st) -> 12 before then: the PSA keeps 12 from the 1st,
    nothing is posted, and the ledger never claims a change that did not happen."""
    L = Linked(stack, 12, psa)
    L.reconciled(12)
    first = decrease_date(psa)
    if first == today():
        return                                  # the 1st: a decrease is due at once, nothing waits
    L.upload(10)
    L.sync()
    assert open_changes(stack, L.t) == [("-2000", first.isoformat(), "queued")]
    L.upload(12)
    L.sync()
    assert open_changes(stack, L.t) == [], "the restore cancels the waiting decrease"
    assert L.states() == ["verified", "superseded"]
    before = posts(L)
    with worker_on(stack, first) as w:
        w.post(L.t)
        L.sync()                                # on the 1st: in step, no drift, nothing to post
        quiesce(stack, L.t)
    assert L.units(first.isoformat()) == 12, "12 seats from next month, not 10"
    assert posts(L) == before
    assert L.states() == ["verified", "superseded"]
    assert attempts(stack, L.t) == ["verified"], "no 'verified: nothing to do' for a change that never happened"


def test_a_second_decrease_keeps_the_pending_date(stack, psa):
    """12 -> 10 -> 9 in one month: one decrease of -3 on the 1st, not a -1 a month later."""
    L = Linked(stack, 12, psa)
    L.reconciled(12)
    first = decrease_date(psa)
    if first == today():
        return                                  # the 1st: each decrease is due (and posted) at once
    L.upload(10)
    L.sync()
    L.upload(9)
    L.sync()
    assert open_changes(stack, L.t) == [("-3000", first.isoformat(), "queued")]
    before = posts(L)
    with worker_on(stack, first) as w:
        w.post(L.t)
    assert L.units(first.isoformat()) == 9 and L.units() == 12
    assert L.states() == ["verified", "superseded", "verified"]
    # one write (ConnectWise: the open line cancelled the day before, a new one holding 9)
    assert posts(L) - before == 1


def test_a_third_change_in_a_day_folds_into_tomorrows_open_change(stack):
    """Autotask only (ConnectWise takes several changes a day): Autotask takes one adjustment per
    service and day. Linked today (+12 posted), then 15, then
    16 the same day: one +4 dated tomorrow, never a refused second post dated today."""
    L = Linked(stack, 12)
    wait_for(lambda: L.units() == 12 and L.states() == ["verified"], 60, "the reconciliation")
    before = posts(L)
    L.upload(15)
    L.sync()
    L.upload(16)
    L.sync()
    day = tomorrow().isoformat()
    assert open_changes(stack, L.t) == [("4000", day, "queued")]
    quiesce(stack, L.t)
    assert posts(L) == before and "failed" not in attempts(stack, L.t)
    with worker_on(stack, tomorrow()) as w:
        w.post(L.t)
        L.upload(17)                           # a change on the next day: that day holds +4 already
        L.sync()
        assert open_changes(stack, L.t) == [("1000", after_tomorrow().isoformat(), "queued")]
    assert L.units(day) == 16 and L.units() == 12
    assert posts(L) - before == 1
    assert "failed" not in attempts(stack, L.t)


def two_rows(a, b):
    second = (f"ct1,Contoso Ltd,ct-bb2,Microsoft 365 Business Basic (2nd),Microsoft 365 Business Basic,CFQ7TTC0LH18,"
              f"{b},5.40,6.00,,USD,recurring,monthly,12,2026-11-01,2026-11-30,,ct-l2\n")
    return GENERIC + row(a) + second


def test_two_subscriptions_on_one_service_add_up(stack, psa):
    """5 + 3 seats on one contract service: the PSA holds 8, every later sync is in step (no
    fight between 5 and 3, no drift), and a change on either moves the sum."""
    L = Linked(stack, 5, psa)
    L.reconciled(5)
    second_day = next_change_date(psa)              # Autotask: today holds the first link's +5
    third_day = after_tomorrow() if psa.one_change_per_day else today()
    conn = sql(stack, f"SELECT id FROM connections WHERE tenant_id = {L.t} AND system = 'csv'").strip()
    upload_csv(L.admin, conn, "seats.csv", two_rows(5, 3))
    L.admin.form("/mapping", "/mapping", {"action": "refresh"})
    wait_for(lambda: row_id(stack, "src_subscriptions", L.t, "ct-bb2"), 60, "the second subscription")
    set_relation(L.admin, "subscription", row_id(stack, "src_subscriptions", L.t, "ct-bb2"), L.contract)
    page = set_relation(L.admin, "resource", row_id(stack, "src_resources", L.t, "ct-bb2"), "svc:" + L.service)
    assert "fed by 2 subscriptions" in page
    # Autotask: today holds the first link's +5: the second link's +3 is dated tomorrow
    if psa.one_change_per_day:
        assert open_changes(stack, L.t) == [("3000", second_day.isoformat(), "queued")]
        before = posts(L)
    else:                                           # ConnectWise: posted today
        wait_for(lambda: L.units() == 8 and posts(L) == 2 and open_changes(stack, L.t) == [], 60,
                 "the second link's +3")
        before = posts(L) - 1
    with worker_on(stack, second_day) as w:
        w.post(L.t)
        assert L.units(second_day.isoformat()) == 8
        # the post's read-back refreshed the PSA cache the reports show (no refresh ran)
        assert sql(stack, f"SELECT units FROM psa_contract_services WHERE tenant_id = {L.t} AND contract_psa_id = "
                          f"'{L.contract}' AND service_psa_id = '{L.service}' AND gone = 0").strip() == "8000"
        # the Billing page says so beside each of the two resources, with the sum the PSA bills
        page = L.admin.get("/mapping?mapped=1").text
        assert page.count("fed by 2 subscriptions: 8") == 2, page
        # the MSP's sell price stands: Autotask's adjustment carries no price; ConnectWise's new
        # line carries the price and cost of the service's line as it is (never the catalog's
        # when they differ, doc/ledger.md), a quantity PATCH none
        new = L.adjustments_posted()[before:]
        body = new[0]["body"].replace('":', '": ') if new else ""
        # Autotask's +3, ConnectWise's new +3 line or (on a period's first day) its quantity set to 8
        assert len(new) == 1 and ('"unitChange": 3' in body or '"quantity": 3' in body
                                  or ('"path": "quantity"' in body and '"value": 8' in body)), new
        if psa.one_change_per_day or '"path"' in body:
            for price in ("adjustedUnitPrice", "adjustedUnitCost", "unitPrice", "unitCost"):
                assert price not in body
        else:
            import json
            first = min(psa.additions(stack, L.contract, L.service), key=lambda a: a["id"])   # the line before
            written = json.loads(new[0]["body"])
            assert (written["unitPrice"], written["unitCost"]) == (first["unitPrice"], first["unitCost"]), first
        for _ in range(2):
            L.sync()
            assert open_changes(stack, L.t) == [], "in step: no plan, no drift"
        upload_csv(L.admin, conn, "seats.csv", two_rows(5, 4))
        L.sync()
        # the sum moves by the one seat added (Autotask: the day holds the +3 already, dated the
        # day after; ConnectWise: posted today)
        if psa.one_change_per_day:
            assert open_changes(stack, L.t) == [("1000", third_day.isoformat(), "queued")]
        else:
            wait_for(lambda: L.units() == 9, 60, "the +1")


def test_a_refusal_retrying_cannot_fix_waits_for_a_person_then_retry_posts(stack):
    """Autotask only (its approved-and-posted periods; ConnectWise's invoiced-period refusal is a
    400, which waits for a person at once): Autotask refuses a change dated into an approved and posted period (HTTP 500 with its
    message, as it answers validation): tried three times, then it waits for a person with the
    PSA's words and no retry scheduled; once the period is reopened, Retry posts it."""
    from billsync_test import csrf_from
    L = Linked(stack, 12)
    wait_for(lambda: L.units() == 12 and L.states() == ["verified"], 60, "the reconciliation")
    day = tomorrow().isoformat()

    def posted_through(d):
        requests.post(L.control + "/state/autotask", json={"mode": "merge", "data": {"postedThrough": {
            L.contract: d}}}, timeout=10).raise_for_status()
    posted_through(day)
    with worker_on(stack, tomorrow()):
        L.upload(14)
        L.sync()

        def failed_attempts():
            return attempts(stack, L.t).count("failed")
        for n in (1, 2, 3):
            wait_for(lambda: failed_attempts() == n, 60, f"attempt {n} to fail")
            L.due_now()
        quiesce(stack, L.t)
        L.due_now()                            # nothing is due any more: no fourth attempt
        sql(stack, f"INSERT INTO jobs (tenant_id, kind) VALUES ({L.t}, 'post')")
        quiesce(stack, L.t)
        assert failed_attempts() == 3
        state, nxt, why = sql(stack, f"SELECT state, next_attempt_at IS NULL, last_error FROM adjustments WHERE "
                                     f"tenant_id = {L.t} AND unit_change = 2000").strip().split("\t")
        assert (state, nxt) == ("failed", "1"), "needs a person: no retry scheduled"
        assert "already approved and posted contract period" in why and "press Retry" in why
        L.sync()                               # the same plan: it still waits, it is not re-queued
        assert open_changes(stack, L.t) == [("2000", day, "failed")]
        assert L.units(day) == 12
        posted_through("2000-01-01")           # the person reopens the period in Autotask
        pick = sql(stack, f"SELECT id FROM adjustments WHERE tenant_id = {L.t} AND unit_change = 2000").strip()
        html = L.admin.get("/reports/failures").text
        r = L.admin.post("/reports/failures", data={"csrf": csrf_from(html), "action": "retry", "pick": pick})
        assert r.status_code == 303
        wait_for(lambda: L.units(day) == 14, 60, "the retried change to post")
    assert attempts(stack, L.t)[-1] == "verified"
