"""Every call counts (issue 16): a distributor's token serves every sync until it expires; billsync
keeps its Autotask calls under its share of the database's hourly cap (psa.budget_share_percent,
50 %) however many other integrations Autotask counts, and two worker pools (two hosts) share that
one budget through MariaDB. Counted in the sandboxes' own request counters."""
import os
import subprocess

import pytest
import requests

from billsync_test import ROOT, get, quiesce, sql, wait_for
from test_sync import Pax8Linked
from test_sync_calls import BigTenant

CAP, SHARE = 10000, 50


@pytest.fixture(autouse=True)
def budget_left_clean(stack):
    """The tests after these share the stack: the other integrations leave, the budget forgets."""
    yield
    control(stack, "POST", "/config/autotask", {"processing_ms": 0, "external_request_count": 0})
    sql(stack, "DELETE FROM psa_budget")


def control(stack, method, path, body=None):
    r = requests.request(method, f"http://127.0.0.1:{stack.sandbox['control']}{path}", json=body, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def autotask_used(stack):
    """The database's count this hour as Autotask keeps it: billsync's calls plus the others'."""
    stats = control(stack, "GET", "/stats")["autotask"]
    others = control(stack, "GET", "/config/autotask")["external_request_count"]
    return stats["threshold_requests_in_window"] + others, stats


def others_leave(stack, calls_left):
    """Other integrations used the database up to `calls_left` calls under billsync's share; the
    budget asks Autotask for its count again at the next call."""
    control(stack, "DELETE", "/stats")
    control(stack, "POST", "/config/autotask", {"hourly_cap": CAP, "external_request_count": CAP * SHARE // 100
                                               - calls_left})
    sql(stack, "UPDATE psa_budget SET asked_at = NULL")


def test_a_distributor_token_serves_every_sync_until_it_expires(stack):
    P = Pax8Linked(stack)
    sql(stack, f"DELETE FROM connection_cache WHERE tenant_id = {P.t}")
    control(stack, "DELETE", "/stats")
    for _ in range(3):
        P.sync()
    log = control(stack, "GET", "/requests?system=pax8&limit=5000")["requests"]
    tokens = [e for e in log if e["path"].lower().endswith("/token")]
    reads = [e for e in log if not e["path"].lower().endswith("/token")]
    assert len(tokens) == 1 and len(reads) >= 6, [e["path"] for e in log]
    # kept sealed: the database never holds the token in clear
    sealed = sql(stack, f"SELECT k, sealed FROM connection_cache WHERE tenant_id = {P.t}").split()
    assert sealed[0] == "token" and sealed[1].startswith("v1:")
    # a new secret (settings saved) forgets the token
    conn = sql(stack, f"SELECT id FROM connections WHERE tenant_id = {P.t} AND system = 'pax8'").strip()
    P.admin.form(f"/settings/connections?id={conn}", "/settings/connections", {
        "action": "save", "id": conn, "system": "pax8", "name": "Pax8",
        "f_url": f"http://127.0.0.1:{stack.sandbox['pax8']}/v1",
        "f_token_url": f"http://127.0.0.1:{stack.sandbox['pax8']}/v1/token", "f_client_id": "pax8-demo-client-id",
        "f_client_secret": "pax8-demo-client-secret"})
    assert sql(stack, f"SELECT COUNT(*) FROM connection_cache WHERE tenant_id = {P.t}").strip() == "0"


def test_autotask_calls_stay_under_billsyncs_share_of_the_hourly_cap(stack):
    B = BigTenant(stack, 3, prefix="Paced")
    others_leave(stack, 3)                   # Autotask counts 4,997 of 10,000: three calls left
    results = []
    for _ in range(4):                       # each sync reads its three services: one call
        B.drift_due()
        results.append(B.sync())
    used, stats = autotask_used(stack)
    assert used <= CAP * SHARE // 100, (used, stats)
    assert stats["requests"].get("GET ThresholdInformation") == 1
    assert sum("could not be read" in r for r in results) >= 1, results
    refused = int(sql(stack, "SELECT SUM(refused) FROM psa_budget WHERE system = 'autotask'").strip())
    assert refused >= 1
    # the connections page says what was used and what waits
    page = B.admin.get("/settings/connections").text
    assert "API budget" in page and "held back" in page, page[:3000]
    metrics = get(stack, "/metrics").text
    conn = sql(stack, f"SELECT id FROM connections WHERE tenant_id = {B.t} AND system = 'autotask'").strip()
    held = [line for line in metrics.splitlines() if line.startswith("billsync_psa_calls_held_back{")]
    assert any(f'connection="{conn}"' in line and not line.endswith(" 0") for line in held), held


def test_two_worker_pools_share_one_budget(stack):
    tenants = [BigTenant(stack, 2, prefix=f"Pool{i}", reset=(i == 0)) for i in range(6)]
    env = stack.env()
    env.update(BILLSYNC_WORKER_CHILDREN="2", BILLSYNC_WORKER_POLL_MS="50")
    log_path = stack.path("log", "worker-pool2.log")
    mark = os.path.getsize(stack.path("log", "worker.log"))
    with open(log_path, "ab") as log:
        pool2 = subprocess.Popen([os.path.join(ROOT, "bin", "billsync-worker")], cwd=ROOT, env=env, stdout=log,
                                 stderr=log)
    try:
        others_leave(stack, 5)
        tenants[0].drift_due()
        tenants[0].sync()                    # asks Autotask's count (4,996), reads: 3 calls left
        # each call takes a while, so both pools' workers are busy at once
        control(stack, "POST", "/config/autotask", {"processing_ms": 300})
        for T in tenants[1:]:
            T.drift_due()
            sql(stack, f"UPDATE tenant_sync SET result = '' WHERE tenant_id = {T.t}")
        sql(stack, "INSERT INTO jobs (tenant_id, kind) VALUES " + ", ".join(f"({T.t}, 'sync')" for T in tenants[1:]))
        for T in tenants[1:]:
            wait_for(lambda: "links checked" in sql(stack, f"SELECT result FROM tenant_sync WHERE tenant_id = {T.t}"),
                     120, "every sync")
            quiesce(stack, T.t)
        used, stats = autotask_used(stack)
        assert used <= CAP * SHARE // 100, (used, stats)
        reads = stats["requests"].get("POST ContractServiceUnits/query", 0)
        assert reads == 4 and stats["requests"].get("GET ThresholdInformation") == 1, stats
        counted = int(sql(stack, "SELECT SUM(window_calls) FROM psa_budget WHERE system = 'autotask'").strip())
        assert counted >= reads
        ran1 = open(stack.path("log", "worker.log"), errors="replace").read()[mark:].count("kind=sync")
        ran2 = open(log_path, errors="replace").read().count("kind=sync")
        assert ran1 >= 1 and ran2 >= 1, (ran1, ran2)
    finally:
        pool2.terminate()
        pool2.wait(timeout=60)
