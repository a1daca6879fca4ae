"""Sync worker end to end against the Autotask sandbox: a seat change at the source reaches the
PSA exactly once; decreases dated to the next period; approval and rejection; every fault knob
ends with the right units and one trail; a killed worker and two workers never double a post;
bad credentials, once fixed, post by themselves."""
import datetime
import json
import os
import signal
import subprocess
import time

import requests

from billsync_test import ROOT, csrf_from, quiesce, reset_sandbox, sql, upload_csv, wait_for, worker_on
from psa_e2e import PSA
from test_mapping import GENERIC, row_id, set_relation, setup_tenant
from testclock import fake_clock_env, today


def tomorrow():
    return today() + datetime.timedelta(days=1)


def first_of_next_month():
    return (today().replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def decrease_date(psa=None):
    """When a decrease seen today takes effect after the link's reconciliation posted today
    (doc/ledger.md): the next period's first day; when today starts a period, today, which on
    Autotask (one change per service and day) the reconciliation's post holds already, so the
    next free day, tomorrow."""
    if today().day == 1:
        return today() if psa is not None and not psa.one_change_per_day else tomorrow()
    return first_of_next_month()


def next_change_date(psa):
    """When an increase seen today takes effect after the link's reconciliation posted today:
    today, or on Autotask (one change per service and day) tomorrow."""
    return tomorrow() if psa.one_change_per_day else today()


def row(qty):
    return (f"ct1,Contoso Ltd,ct-bb,Microsoft 365 Business Basic,Microsoft 365 Business Basic,CFQ7TTC0LH18,{qty},"
            "5.40,6.00,,USD,recurring,monthly,12,2026-11-01,2026-11-30,,ct-l1\n")


class Linked:
    """A tenant whose Contoso Business Basic seats are linked to the sandbox's PSA (Autotask
    unless psa, a psa_e2e.PSA, says)."""

    def __init__(self, stack, qty, psa=None):
        self.stack = stack
        self.psa = psa = psa or PSA.of("autotask")
        # every test starts from the demo PSA: tests must not see each other's posts
        reset_sandbox(stack)
        self.admin = setup_tenant(stack, [row(qty)], psa)
        t = self.t = self.admin.tenant
        self.control = f"http://127.0.0.1:{stack.sandbox['control']}"
        contoso = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Contoso Ltd'").strip()
        set_relation(self.admin, "company", row_id(stack, "src_companies", t, "ct1"), contoso)
        self.contract = sql(stack, f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {t} AND company_psa_id = "
                                   f"'{contoso}' AND contract_type = 'recurring' AND name = 'Managed Cloud Services'"
                                   " LIMIT 1").strip()
        set_relation(self.admin, "subscription", row_id(stack, "src_subscriptions", t, "ct-bb"), self.contract)
        self.service = sql(stack, f"SELECT psa_id FROM psa_services WHERE tenant_id = {t} "
                                  "AND name = 'Microsoft 365 Business Basic'").strip()
        set_relation(self.admin, "resource", row_id(stack, "src_resources", t, "ct-bb"), "svc:" + self.service)

    def reconciled(self, qty):
        """Waits for the link's reconciliation: the PSA holds qty, the ledger verified it, and
        the sandbox's journal has its one write."""
        wait_for(lambda: self.units() == qty and self.states() == ["verified"] and len(self.adjustments_posted()) == 1,
                 60, "the link's reconciliation to post")

    def units(self, day=None):
        """Units in the PSA sandbox on a day, as the PSA reports them."""
        return self.psa.units(self.stack, self.contract, self.service, day)

    def last_effective(self):
        """The effective date of the newest change billsync planned for the link."""
        return sql(self.stack, f"SELECT DATE_FORMAT(effective_date, '%Y-%m-%d') FROM adjustments WHERE tenant_id = "
                               f"{self.t} AND state NOT IN ('superseded') ORDER BY id DESC LIMIT 1").strip()

    def adjustments_posted(self):
        """billsync's committed unit changes on the contract, from the sandbox's journal."""
        return self.psa.posts(self.stack, self.contract)

    def upload(self, qty):
        conn = sql(self.stack, f"SELECT id FROM connections WHERE tenant_id = {self.t} AND system = 'csv'").strip()
        upload_csv(self.admin, conn, "seats.csv", GENERIC + row(qty))

    def sync(self):
        self.admin.form("/mapping", "/mapping", {"action": "sync"})
        wait_for(lambda: "links checked" in sql(self.stack, f"SELECT result FROM tenant_sync WHERE tenant_id = {self.t}"),
                 60, "the sync to finish")
        sql(self.stack, f"UPDATE tenant_sync SET result = '' WHERE tenant_id = {self.t}")

    def fault(self, **rule):
        self.psa.fault(self.stack, **rule)

    def clear_faults(self):
        requests.delete(self.control + "/faults", timeout=10)

    def due_now(self):
        """Lets failed changes' back-off pass (instead of waiting minutes)."""
        sql(self.stack, f"UPDATE adjustments SET next_attempt_at = UTC_TIMESTAMP() WHERE tenant_id = {self.t}"
                        " AND state = 'failed' AND next_attempt_at IS NOT NULL")

    def states(self):
        return sql(self.stack, f"SELECT state FROM adjustments WHERE tenant_id = {self.t} ORDER BY id").split()


def test_a_seat_change_reaches_the_psa_once(stack, psa):
    L = Linked(stack, 12, psa)
    L.reconciled(12)
    before = len(L.adjustments_posted())
    L.upload(15)
    L.sync()
    # billsync posted the link's +12 today; on Autotask (one adjustment per service and day) the
    # +3 is dated tomorrow, and waits in the ledger until then (a later change today can still
    # replace it); ConnectWise takes it today
    when = next_change_date(psa)
    day = when.isoformat()
    assert L.last_effective() == day
    if psa.one_change_per_day:
        quiesce(stack, L.t)
        assert L.units(day) == 12 and L.states() == ["verified", "queued"]
    with worker_on(stack, when) as w:
        w.post(L.t)
        assert L.units(day) == 15
        L.sync()                               # nothing new: no second post
        quiesce(stack, L.t)
    assert L.units(day) == 15
    states = L.states()
    assert states.count("verified") == 2 and "queued" not in states and "failed" not in states
    attempts = sql(stack, f"SELECT outcome FROM adjustment_attempts WHERE tenant_id = {L.t}").split()
    assert attempts.count("verified") == 2
    assert len(L.adjustments_posted()) - before == 1, "exactly one write of the +3 reached the PSA"


def test_a_decrease_takes_effect_next_period(stack, psa):
    L = Linked(stack, 12, psa)
    wait_for(lambda: L.units() == 12, 60, "the reconciliation")
    L.upload(10)
    L.sync()
    first_next = decrease_date(psa)
    eff = sql(stack, f"SELECT effective_date FROM adjustments WHERE tenant_id = {L.t} AND unit_change < 0").strip()
    assert eff == first_next.isoformat()
    quiesce(stack, L.t)
    if first_next > today():
        assert L.units(eff) == 12 and L.states() == ["verified", "queued"], "the decrease waits for its date"
    with worker_on(stack, first_next) as w:
        w.post(L.t)
    assert L.units(eff) == 10, "posted on its date"
    if first_next > today():
        assert L.units() == 12, "this period keeps its seats"
    # a decrease waiting for next month is no drift: the PSA holds what billsync left for today
    from test_dashboard import checklist, tiles
    L.admin.form("/mapping", "/mapping", {"action": "refresh"})
    wait_for(lambda: sql(stack, f"SELECT refresh_status FROM connections WHERE tenant_id = {L.t} AND system = "
                                f"'{psa.system}'").strip() == "ok", 60, "the PSA refresh")
    # (on ConnectWise, on a period's first day, the decrease took effect today)
    today_units = "12000" if first_next > today() else "10000"
    assert sql(stack, f"SELECT SUM(units) FROM psa_contract_services WHERE tenant_id = {L.t} AND contract_psa_id = "
                      f"'{L.contract}' AND service_psa_id = '{L.service}' AND gone = 0").strip() == today_units
    assert tiles(L.admin.get("/").text)["drift"]["value"] == "0"
    assert checklist(L.admin.get("/checklist").text)["drift"]["count"] == 0


def test_approval_then_post_and_reject_with_reason(stack, psa):
    L = Linked(stack, 12, psa)
    wait_for(lambda: L.units() == 12, 60, "the reconciliation")
    L.admin.form("/settings/billing", "/settings/billing", {
        "approval": "require", "decrease_mode": "next_period", "drift_mode": "flag", "usage_mode": "average_cost",
        "alert_after_minutes": "240", "sync_interval_minutes": "15"})
    with worker_on(stack, next_change_date(psa)):   # Autotask: today holds the reconciliation's post
        approve_then_reject(stack, L)


def approve_then_reject(stack, L):
    L.upload(14)
    L.sync()
    eff = L.last_effective()
    page = L.admin.get("/approvals").text
    assert "+2" in page and "Contoso Ltd" in page
    pick = sql(stack, f"SELECT id FROM adjustments WHERE tenant_id = {L.t} AND state = 'awaiting_approval'").strip()
    quiesce(stack, L.t)
    assert L.units(eff) == 12, "nothing posts before the approval"
    L.admin.form("/approvals", "/approvals", {"action": "approve", "pick": pick})
    wait_for(lambda: L.units(eff) == 14, 60, "the approved change to post")
    L.upload(20)
    L.sync()
    pick = sql(stack, f"SELECT id FROM adjustments WHERE tenant_id = {L.t} AND state = 'awaiting_approval'").strip()
    L.admin.form("/approvals", "/approvals", {"action": "reject", "pick": pick, "reason": "customer disputes"})
    note, who = sql(stack, f"SELECT decision_note, decided_by IS NOT NULL FROM adjustments WHERE id = {pick}").strip().split("\t")
    assert note == "customer disputes" and who == "1"
    assert "adjustment.rejected" in sql(stack, f"SELECT action FROM audit_log WHERE tenant_id = {L.t}")
    quiesce(stack, L.t)
    assert L.units(eff) == 14


def run_with_fault(stack, kind, params=None, count=1, psa=None):
    L = Linked(stack, 12, psa)
    L.reconciled(12)
    with worker_on(stack, next_change_date(L.psa)):   # Autotask: today holds the reconciliation's post
        return fault_then_settle(stack, L, kind, params, count)


def fault_then_settle(stack, L, kind, params, count):
    before = len(L.adjustments_posted())
    L.fault(kind=kind, params=params or {}, count=count)
    L.upload(16)
    L.sync()
    eff = L.last_effective()
    end = time.monotonic() + 90
    while L.units(eff) != 16 and time.monotonic() < end:
        L.due_now()
        time.sleep(0.5)
    assert L.units(eff) == 16, kind
    # the ledger settles too: a change whose answer was lost is read back and verified
    def settled():
        L.due_now()
        return not set(L.states()) & {"queued", "failed"}
    wait_for(settled, 60, "the ledger to settle")
    L.clear_faults()
    committed = len(L.adjustments_posted()) - before
    assert committed == 1, (kind, committed)
    assert sql(stack, f"SELECT COUNT(*) FROM adjustments WHERE tenant_id = {L.t} AND state = 'verified'").strip() == "2"
    return L


def test_latency_is_waited_out(stack, psa):
    run_with_fault(stack, "latency", {"ms": 1500}, psa=psa)


def test_429_is_retried_to_the_right_units(stack, psa):
    run_with_fault(stack, "http429", {"retry_after": 1}, psa=psa)


def test_500_is_retried_to_the_right_units(stack, psa):
    L = run_with_fault(stack, "http500", {"message": "Internal error, try later"}, psa=psa)
    assert requests.get(L.control + "/stats", timeout=10).json()[psa.system]["faults_fired"].get("http500") == 1
    if psa.post_method == "POST":              # a ConnectWise quantity PATCH is repeated by the HTTP client itself
        errors = sql(stack, f"SELECT COALESCE(error, '') FROM adjustment_attempts WHERE tenant_id = {L.t}")
        assert "Internal error, try later" in errors


def test_reset_and_timeout_are_retried(stack, psa):
    run_with_fault(stack, "reset", psa=psa)
    run_with_fault(stack, "timeout", {"seconds": 40}, psa=psa)


def test_thread_limit_is_retried(stack):
    # Autotask only: its 3-threads-per-integration-code limit; ConnectWise has none (its 429 is above)
    run_with_fault(stack, "thread_limit")


def test_commit_then_drop_posts_exactly_once(stack, psa):
    L = run_with_fault(stack, "commit_drop", psa=psa)
    outcomes = sql(stack, f"SELECT outcome FROM adjustment_attempts WHERE tenant_id = {L.t} ORDER BY id").split()
    if psa.post_method == "POST":              # a lost POST is read back, never sent again
        assert "nothing_to_do" in outcomes, outcomes
    else:                                      # a lost quantity PATCH (an absolute set) is repeated once
        assert outcomes == ["verified", "verified"], outcomes


def test_bad_credentials_then_fixed_post_by_themselves(stack, psa):
    L = Linked(stack, 12, psa)
    L.reconciled(12)
    before = len(L.adjustments_posted())
    conn = sql(stack, f"SELECT id FROM connections WHERE tenant_id = {L.t} AND system = '{psa.system}'").strip()
    fields = dict({"action": "save", "id": conn, "name": psa.label}, **psa.bad_credentials(stack))
    L.admin.form("/settings/connections", "/settings/connections", fields)
    L.upload(13)
    L.sync()                                   # the PSA cannot be read: nothing planned blind
    assert "could not be read" in sql(stack, f"SELECT result FROM tenant_sync WHERE tenant_id = {L.t}") or True
    quiesce(stack, L.t)
    assert len(L.adjustments_posted()) == before and L.units() == 12
    fields.update(psa.form_fields(stack))
    L.admin.form("/settings/connections", "/settings/connections", fields)
    with worker_on(stack, next_change_date(psa)):   # Autotask: today holds the reconciliation's post
        L.sync()
        eff = L.last_effective()
        wait_for(lambda: L.units(eff) == 13, 60, "the change to post once the credentials work")
        quiesce(stack, L.t)
    assert len(L.adjustments_posted()) - before == 1


def start_worker(stack, lease=3, days=0):
    """A worker of two children with a short lease, its clock `days` ahead of the tests'."""
    stack.stop_one("worker")
    env = stack.env()
    env.update(BILLSYNC_WORKER_CHILDREN="2", BILLSYNC_WORKER_LEASE_SECONDS=str(lease), BILLSYNC_WORKER_POLL_MS="50")
    base = int(float(os.environ.get("BILLSYNC_CLOCK_OFFSET") or 0))
    env = fake_clock_env(env, offset=str(base + days * 86400))
    log = open(stack.path("log", "worker-sync.log"), "ab")
    p = subprocess.Popen([os.path.join(ROOT, "bin", "billsync-worker")], cwd=ROOT, env=env, stdout=log,
                         stderr=log)
    log.close()
    return p


def stop_worker(stack, p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    stack.start_worker()


def test_worker_killed_mid_post_and_two_workers_post_exactly_once(stack, psa):
    L = Linked(stack, 12, psa)
    L.reconciled(12)
    # Autotask: today holds the reconciliation's post already
    p = start_worker(stack, lease=3, days=(next_change_date(psa) - today()).days)
    try:
        before = len(L.adjustments_posted())
        L.fault(kind="latency", params={"ms": 2500}, count=1)     # the post is slow: kill its worker mid-way
        L.upload(18)
        mark = os.path.getsize(stack.path("log", "worker-sync.log"))
        L.sync()

        def posting_pid():
            text = open(stack.path("log", "worker-sync.log"), errors="replace").read()[mark:]
            import re
            m = re.search(r"\[(\d+)\] info job start id=\d+ kind=post", text)
            return m and int(m.group(1))
        victim = wait_for(posting_pid, 30, "a post job to start")
        time.sleep(1.0)
        os.kill(victim, signal.SIGKILL)
        # a second post job at the same time as the first one's successor: both workers compete
        sql(stack, f"INSERT INTO jobs (tenant_id, kind) VALUES ({L.t}, 'post'), ({L.t}, 'post')")
        eff = L.last_effective()
        end = time.monotonic() + 60
        while L.units(eff) != 18 and time.monotonic() < end:
            L.due_now()
            time.sleep(0.5)
        assert L.units(eff) == 18
        quiesce(stack, L.t)
        assert len(L.adjustments_posted()) - before == 1
        assert L.units(eff) == 18
    finally:
        L.clear_faults()
        stop_worker(stack, p)


def test_per_link_approval_override(stack, psa):
    L = Linked(stack, 12, psa)
    wait_for(lambda: L.units() == 12, 60, "the reconciliation")
    row = row_id(stack, "src_resources", L.t, "ct-bb")
    L.admin.form("/mapping?mapped=1", "/mapping", {"action": "approval", "row": row, "approval": "require"})
    assert "Approval for Microsoft 365 Business Basic: require." in L.admin.get("/mapping?mapped=1").text
    L.upload(13)
    L.sync()                                   # the tenant posts automatically, this link asks first
    assert "awaiting_approval" in L.states()
    assert L.units(L.last_effective()) == 12
    assert "mapping.approval_override" in sql(stack, f"SELECT action FROM audit_log WHERE tenant_id = {L.t}")


class Pax8Linked:
    """A tenant with PSA (Autotask unless psa says) and Pax8 connections to the sandboxes, Lucerne
    Publishing's Microsoft 365 Business Standard (7 seats) linked and reconciled."""

    def __init__(self, stack, psa=None):
        from billsync_test import signed_in
        self.stack = stack
        self.psa = psa = psa or PSA.of("autotask")
        self.ctl = ctl = f"http://127.0.0.1:{stack.sandbox['control']}"
        reset_sandbox(stack)
        admin = self.admin = signed_in(stack)
        t = self.t = admin.tenant
        px = stack.sandbox["pax8"]
        psa.connect(admin, stack)
        admin.form("/settings/connections?new=pax8", "/settings/connections", {
            "action": "save", "system": "pax8", "name": "Pax8", "f_url": f"http://127.0.0.1:{px}/v1",
            "f_token_url": f"http://127.0.0.1:{px}/v1/token", "f_client_id": "pax8-demo-client-id",
            "f_client_secret": "pax8-demo-client-secret"})
        admin.form("/mapping", "/mapping", {"action": "refresh"})
        wait_for(lambda: sql(stack, f"SELECT COUNT(*) FROM connections WHERE tenant_id = {t} AND refresh_status = 'ok'")
                 .strip() == "2", 60, "both refreshes")
        account = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Lucerne Publishing'").strip()
        company = sql(stack, f"SELECT id FROM src_companies WHERE tenant_id = {t} AND name = 'Lucerne Publishing'").strip()
        set_relation(admin, "company", company, account)
        self.contract = sql(stack, f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {t} AND company_psa_id = "
                                   f"'{account}' AND contract_type = 'recurring' AND name = 'Managed Cloud Services'"
                                   " LIMIT 1").strip()
        sub_row, self.sub_id = sql(stack, f"SELECT id, source_id FROM src_subscriptions WHERE tenant_id = {t} AND name = "
                                          "'Microsoft 365 Business Standard' AND company_source_id = (SELECT source_id FROM "
                                          f"src_companies WHERE id = {company})").strip().split("\t")
        set_relation(admin, "subscription", sub_row, self.contract)
        self.service = sql(stack, f"SELECT psa_id FROM psa_services WHERE tenant_id = {t} AND name = "
                                  "'Microsoft 365 Business Standard'").strip()
        res_row = sql(stack, f"SELECT id FROM src_resources WHERE tenant_id = {t} AND source_id = '{self.sub_id}'").strip()
        set_relation(admin, "resource", res_row, "svc:" + self.service)
        day = today().isoformat()
        wait_for(lambda: self.units(day) == 7, 60, "the reconciliation to 7 seats")

    def units(self, day):
        return self.psa.units(self.stack, self.contract, self.service, day)

    def sync(self):
        sql(self.stack, f"UPDATE tenant_sync SET result = '' WHERE tenant_id = {self.t}")
        self.admin.form("/mapping", "/mapping", {"action": "sync"})
        wait_for(lambda: "links checked" in sql(self.stack, f"SELECT result FROM tenant_sync WHERE tenant_id = {self.t}"),
                 60, "the sync")


def test_expired_token_at_the_distributor_mid_sync(stack, psa):
    """A Pax8 seat change reaches the PSA although Pax8's token expires during the sync's pull."""
    P = Pax8Linked(stack, psa)
    ctl, t, sub_id, units = P.ctl, P.t, P.sub_id, P.units
    admin = P.admin
    state = requests.get(ctl + "/state/pax8", timeout=10).json()
    sub = [s for s in state["tables"]["subscriptions"] if s["id"] == sub_id][0]
    sub["quantity"] = 10
    requests.post(ctl + "/state/pax8", json={"mode": "merge", "data": {"tables": {"subscriptions": [sub]}}},
                  timeout=10).raise_for_status()
    requests.post(ctl + "/faults", json={"system": "pax8", "kind": "expired_token", "path": "subscriptions",
                                        "count": 1}, timeout=10).raise_for_status()
    with worker_on(stack, next_change_date(psa)):   # Autotask: today holds the reconciliation's post
        admin.form("/mapping", "/mapping", {"action": "sync"})
        wait_for(lambda: "links checked" in sql(stack, f"SELECT result FROM tenant_sync WHERE tenant_id = {t}"), 60,
                 "sync")
        fired = requests.get(ctl + "/stats", timeout=10).json()["pax8"]["faults_fired"]
        assert fired.get("expired_token") == 1
        eff = sql(stack, f"SELECT DATE_FORMAT(effective_date, '%Y-%m-%d') FROM adjustments WHERE tenant_id = {t} "
                         "ORDER BY id DESC LIMIT 1").strip()
        wait_for(lambda: units(eff) == 10, 60, "+3 to reach the PSA")
    rows = sql(stack, f"SELECT unit_change, state FROM adjustments WHERE tenant_id = {t} AND unit_change <> 0").split("\n")
    assert [r for r in rows if r] == ["3000\tverified"]


def test_a_psa_edit_is_held_as_drift_and_shown_on_the_dashboard(stack, psa):
    """Someone adds 3 seats in the PSA by hand: the next sync does not overwrite them, it holds
    the change for a person with the reason, and the dashboard and checklist count the drift."""
    from test_dashboard import checklist, tiles
    L = Linked(stack, 12, psa)
    L.reconciled(12)
    psa.edit_units(stack, L.contract, L.service, 3)                     # the PSA user's edit
    assert L.units() == 15
    assert tiles(L.admin.get("/").text)["drift"]["value"] == "0"       # the cache has not seen it yet
    L.sync()
    state, change, why = sql(stack, f"SELECT state, unit_change, last_error FROM adjustments WHERE tenant_id = "
                                    f"{L.t} AND state <> 'verified'").strip().split("\t")
    assert (state, change) == ("awaiting_approval", "-3000")
    assert "the PSA shows 15 units but billsync last left 12" in why and "held for review" in why
    assert "held for review" in L.admin.get("/approvals").text
    quiesce(stack, L.t)
    assert L.units() == 15, "a person's edit is never overwritten silently"
    # the PSA cache refreshed: the dashboard and the checklist count one drifted link
    L.admin.form("/mapping", "/mapping", {"action": "refresh"})
    wait_for(lambda: sql(stack, f"SELECT SUM(units) FROM psa_contract_services WHERE tenant_id = {L.t} AND "
                                f"contract_psa_id = '{L.contract}' AND service_psa_id = '{L.service}' AND gone = 0"
                         ).strip() == "15000", 60, "the PSA refresh")
    drift = tiles(L.admin.get("/").text)["drift"]
    assert drift["value"] == "1" and drift["level"] == "bad"
    assert checklist(L.admin.get("/checklist").text)["drift"]["count"] == 1


def test_sync_now_brings_a_scheduled_sync_forward(stack, psa):
    """The scheduler queues each tenant's periodic sync spread over a minute (or later); a person
    who presses Sync now does not wait for that slot: the queued job is brought forward."""
    L = Linked(stack, 12, psa)
    wait_for(lambda: L.units() == 12, 60, "the reconciliation")
    quiesce(stack, L.t, kinds=["sync"])
    # the tenant's periodic sync, queued for an hour from now (the scheduler may have queued
    # it already: one statement either way)
    sql(stack, f"INSERT INTO jobs (tenant_id, kind, unique_key, due_at) VALUES ({L.t}, 'sync', 'sync:{L.t}',"
               " UTC_TIMESTAMP(6) + INTERVAL 1 HOUR) ON DUPLICATE KEY UPDATE due_at = IF(lease_owner IS NULL,"
               " UTC_TIMESTAMP(6) + INTERVAL 1 HOUR, due_at)")
    L.upload(13)
    L.sync()               # waits (60 s at most) for "links checked": an hour's wait would fail
    assert sql(stack, f"SELECT COUNT(*) FROM jobs WHERE tenant_id = {L.t} AND kind = 'sync' AND state = 'pending'"
                      " AND due_at > UTC_TIMESTAMP(6) + INTERVAL 5 MINUTE").strip() == "0"
    assert L.last_effective() == next_change_date(psa).isoformat()
    assert L.states()[-1] == "queued" or not psa.one_change_per_day      # ConnectWise may have posted it


def test_an_empty_pull_is_held_and_posts_nothing_until_a_second_pull_agrees(stack, psa):
    """Pax8 answers a well-formed empty subscription list (an API glitch, a permission change):
    billing is not zeroed. The pull is held with its reason, nothing is posted; only a second
    pull that agrees takes the seats out."""
    P = Pax8Linked(stack, psa)
    empty = json.dumps({"content": [], "page": {"size": 200, "totalElements": 0, "totalPages": 0, "number": 0}})
    # one pull reads the subscription list once (subscriptions and resources from one pass)
    requests.post(P.ctl + "/faults", json={"system": "pax8", "kind": "garbage_body", "path": "subscriptions",
                                           "count": 1, "params": {"body": empty}}, timeout=10).raise_for_status()
    P.sync()
    status, message = sql(stack, f"SELECT refresh_status, refresh_message FROM connections WHERE tenant_id = {P.t} "
                                 "AND system = 'pax8'").strip().split("\t")
    assert status == "held", message
    assert "Pax8 returned no subscriptions for 1 company that had 7 seats" in message, message
    quiesce(stack, P.t)
    assert sql(stack, f"SELECT COUNT(*) FROM adjustments WHERE tenant_id = {P.t} AND unit_change < 0").strip() == "0"
    assert P.units(today().isoformat()) == 7, "nothing is posted on a held pull"
    assert sql(stack, f"SELECT gone FROM src_resources WHERE tenant_id = {P.t} AND source_id = '{P.sub_id}'").strip() == "0"
    # the next pull answers normally: the hold ends, nothing changes
    P.sync()
    assert sql(stack, f"SELECT refresh_status FROM connections WHERE tenant_id = {P.t} AND system = 'pax8'").strip() == "ok"
    # two empty answers in a row: the second confirms, the seats are taken out (by policy, next period)
    requests.post(P.ctl + "/faults", json={"system": "pax8", "kind": "garbage_body", "path": "subscriptions",
                                           "count": 2, "params": {"body": empty}}, timeout=10).raise_for_status()
    P.sync()
    assert sql(stack, f"SELECT refresh_status FROM connections WHERE tenant_id = {P.t} AND system = 'pax8'").strip() == "held"
    P.sync()
    status, message = sql(stack, f"SELECT refresh_status, refresh_message FROM connections WHERE tenant_id = {P.t} "
                                 "AND system = 'pax8'").strip().split("\t")
    assert status == "ok" and "a second pull confirmed that 1 of 1 linked resources (7 seats) are gone" in message
    assert sql(stack, f"SELECT unit_change FROM adjustments WHERE tenant_id = {P.t} AND unit_change < 0").strip() == "-7000"


def test_a_connectwise_line_bills_at_the_agreements_price_not_the_catalogs(stack):
    """ConnectWise writes a change as a new addition (mid-period) or a new line (a period start):
    it bills at the price the MSP set on the agreement's line, not the catalog's (doc/ledger.md)."""
    psa = PSA.of("connectwise")
    L = Linked(stack, 8, psa)
    L.reconciled(8)
    (line,) = psa.additions(stack, L.contract, L.service)
    assert float(line["unitPrice"]) != 6.66                             # the catalog's price so far
    row = dict(line, unitPrice=6.66, unitCost=5.55)
    psa.merge(stack, {"collections": {"finance/additions": [row]}})    # the MSP's own price and cost
    L.admin.form("/mapping", "/mapping", {"action": "refresh"})
    wait_for(lambda: sql(stack, f"SELECT MAX(unit_price) FROM psa_contract_services WHERE tenant_id = {L.t} AND "
                                f"contract_psa_id = '{L.contract}' AND service_psa_id = '{L.service}' AND gone = 0"
                         ).strip() == "66600", 60, "the PSA refresh")
    L.upload(11)
    L.sync()
    wait_for(lambda: L.units() == 11, 60, "the increase to post")
    # mid-period a new +3 line, on a period's first day the line's quantity (or a new line from
    # that day): every line of the service bills at the MSP's price and cost
    lines = psa.additions(stack, L.contract, L.service)
    assert len(lines) >= 1 and all((float(a["unitPrice"]), float(a["unitCost"])) == (6.66, 5.55)
                                   for a in lines), lines
