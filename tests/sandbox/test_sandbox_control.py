"""Tests of the sandbox program itself: CLI contract, control API, fault knobs,
request log, statistics and the state file."""

import json
import os
import signal
import socket
import time

import pytest
import requests

from conftest import start_sandbox, stop_sandbox

NEW_COMPANY = {"companyName": "Dropped Co", "companyType": 1, "phone": "1",
               "ownerResourceID": 1}


def probe(sb, system):
    """One cheap authenticated read against ``system``."""
    if system == "autotask":
        return sb.at("GET", "Companies/1")
    return sb.cw("GET", "company/companies")


NORMAL_STATUS = {"autotask": 404, "connectwise": 200}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------
# Fault knobs, for every system
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("system", ["autotask", "connectwise"])
def test_latency_fault(sb, system):
    sb.fault(system=system, kind="latency", params={"ms": 300})
    started = time.monotonic()
    assert probe(sb, system).status_code == NORMAL_STATUS[system]
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    probe(sb, system)
    assert time.monotonic() - started < 0.3


@pytest.mark.parametrize("system", ["autotask", "connectwise"])
def test_429_fault_has_retry_after(sb, system):
    sb.fault(system=system, kind="http429", params={"retry_after": 7})
    resp = probe(sb, system)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
    assert probe(sb, system).status_code == NORMAL_STATUS[system]


def test_500_fault_uses_each_systems_error_body(sb):
    sb.fault(system="autotask", kind="http500", params={"message": "boom"})
    sb.fault(system="connectwise", kind="http500")
    at = probe(sb, "autotask")
    assert at.status_code == 500 and at.json() == {"errors": ["boom"]}
    cw = probe(sb, "connectwise")
    assert cw.status_code == 500 and set(cw.json()) == {"code", "message", "errors"}


@pytest.mark.parametrize("system", ["autotask", "connectwise"])
def test_reset_fault_closes_without_answer(sb, system):
    sb.fault(system=system, kind="reset")
    with pytest.raises(requests.ConnectionError):
        probe(sb, system)
    assert probe(sb, system).status_code == NORMAL_STATUS[system]


def test_timeout_fault_holds_the_request(sb):
    sb.fault(system="autotask", kind="timeout", params={"seconds": 1.5})
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        sb.at("GET", "Companies/1", timeout=0.4)
    assert time.monotonic() - started < 1.0


def test_timeout_fault_closes_after_holding(sb):
    sb.fault(system="connectwise", kind="timeout", params={"seconds": 0.5})
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        probe(sb, "connectwise")
    assert time.monotonic() - started >= 0.5


def test_thread_limit_and_bad_credentials_faults(sb):
    sb.fault(system="autotask", kind="thread_limit")
    sb.fault(system="autotask", kind="bad_credentials")
    sb.fault(system="connectwise", kind="thread_limit")
    sb.fault(system="connectwise", kind="bad_credentials")
    thread = probe(sb, "autotask")
    assert thread.status_code == 429 and "Itgenatr005" in thread.json()["errors"][0]
    assert probe(sb, "autotask").status_code == 401
    assert probe(sb, "connectwise").status_code == 429
    assert probe(sb, "connectwise").status_code == 401
    fired = sb.stats()
    assert fired["autotask"]["faults_fired"] == {"thread_limit": 1, "bad_credentials": 1}
    assert fired["autotask"]["thread_limit_refusals"] == 0


def test_commit_then_drop_performs_the_write_once(sb):
    sb.fault(system="autotask", kind="commit_drop", method="POST", path=r"/Companies$")
    with pytest.raises(requests.ConnectionError):
        sb.at("POST", "Companies", json=NEW_COMPANY)
    names = [c["companyName"] for c in sb.state("autotask")["entities"]["Companies"]]
    assert names == ["Dropped Co"]
    log = [e for e in sb.requests("autotask") if e["method"] == "POST"]
    assert len(log) == 1
    assert log[0]["status"] == 200 and log[0]["delivered"] is False
    assert log[0]["fault"] == "commit_drop" and "Dropped Co" in log[0]["body"]


def test_commit_then_drop_on_connectwise_additions(sb):
    """The ConnectWise writes billsync makes (POST an addition, PATCH its quantity): each
    performed once, its answer dropped, recorded in the journal as not delivered."""
    sb.merge("connectwise", {"collections": {
        "finance/agreements/types": [{"id": 1, "name": "Managed Services"}],
        "finance/billingCycles": [{"id": 1, "name": "Monthly", "billingOptions": "Monthly"}],
        "company/companies": [{"id": 10, "identifier": "Drop", "name": "Drop Co", "city": "X"}],
        "company/contacts": [{"id": 11, "firstName": "A", "lastName": "B", "company": {"id": 10}}],
        "procurement/catalog": [{"id": 30, "identifier": "SKU", "description": "Seat", "price": 2.0,
                                 "cost": 1.0}],
        "finance/agreements": [{"id": 20, "name": "Cloud", "type": {"id": 1}, "company": {"id": 10},
                                "contact": {"id": 11}, "startDate": "2025-01-01T00:00:00Z",
                                "billStartDate": "2025-01-01T00:00:00Z", "billingCycle": {"id": 1},
                                "prorateFlag": True, "nextInvoiceDate": "2025-01-01"}]}})
    path = "finance/agreements/20/additions"
    sb.fault(system="connectwise", kind="commit_drop", method="POST", path=r"additions$")
    with pytest.raises(requests.ConnectionError):
        sb.cw("POST", path, json={"product": {"id": 30}, "quantity": 4, "billCustomer": "Billable",
                                  "effectiveDate": "2025-03-01T00:00:00Z"})
    added = [a for a in sb.state("connectwise")["collections"]["finance/additions"] if a["agreementId"] == 20]
    assert [a["quantity"] for a in added] == [4]
    sb.fault(system="connectwise", kind="commit_drop", method="PATCH")
    with pytest.raises(requests.ConnectionError):
        sb.cw("PATCH", "%s/%d" % (path, added[0]["id"]), json=[{"op": "replace", "path": "quantity", "value": 6}])
    assert [a["quantity"] for a in sb.state("connectwise")["collections"]["finance/additions"]
            if a["agreementId"] == 20] == [6]
    log = [e for e in sb.requests("connectwise") if e["method"] in ("POST", "PATCH")]
    assert [(e["method"], e["status"], e["delivered"], e["fault"]) for e in log] == [
        ("POST", 201, False, "commit_drop"), ("PATCH", 200, False, "commit_drop")]


def test_fault_count_method_and_path_matching(sb):
    sb.fault(system="connectwise", kind="http500", count=2, method="GET",
             path=r"company/companies")
    assert sb.cw("GET", "system/info").status_code == 200
    assert [probe(sb, "connectwise").status_code for _ in range(3)] == [500, 500, 200]
    rule = sb.fault(system="autotask", kind="http500", count=-1)
    assert [probe(sb, "autotask").status_code for _ in range(3)] == [500, 500, 500]
    listed = sb.control("GET", "/faults")["faults"]
    assert next(r for r in listed if r["id"] == rule["id"])["fired"] == 3
    assert sb.control("DELETE", "/faults") == {"removed": 2}
    assert probe(sb, "autotask").status_code == 404


def test_invalid_control_requests_are_rejected(sb):
    bad = requests.post(sb.control_url + "/faults", json={"system": "autotask",
                                                          "kind": "meltdown"}, timeout=5)
    assert bad.status_code == 400
    for knobs in ({"no_such": 1}, {"thread_limit": "3"},
                  {"same_day_adjustment_mode": "bogus"}):
        resp = requests.post(sb.control_url + "/config/autotask", json=knobs, timeout=5)
        assert resp.status_code == 400, knobs
    assert requests.get(sb.control_url + "/state/nosuchsystem", timeout=5).status_code == 404
    half_bad = {"mode": "merge", "data": {"entities": {"Companies": [
        {"id": 1, "companyName": "Fine", "companyType": 1},
        {"id": 2, "companyName": "Broken", "companyType": "material"}]}}}
    resp = requests.post(sb.control_url + "/state/autotask", json=half_bad, timeout=5)
    assert resp.status_code == 400 and "material" in resp.json()["error"]
    assert sb.state("autotask")["entities"]["Companies"] == []


# ---------------------------------------------------------------------------
# Stats, request log, reset
# ---------------------------------------------------------------------------

def test_stats_and_request_log(sb):
    sb.at("POST", "Companies/query", json={"filter": [{"op": "gte", "field": "id",
                                                       "value": 0}]})
    sb.at("POST", "Companies", json=NEW_COMPANY)
    sb.cw("GET", "company/companies/5")
    stats = sb.stats()
    assert stats["autotask"]["requests"] == {"POST Companies/query": 1, "POST Companies": 1}
    assert stats["connectwise"]["requests"] == {"GET company/companies/{id}": 1}
    log = sb.requests("connectwise")
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/v4_6_release/apis/3.0/company/companies/5", 404)]
    assert sb.control("DELETE", "/stats") == {"cleared": True}
    assert sb.stats()["autotask"]["total_requests"] == 0
    assert sb.requests("autotask") == []


def test_reset_to_demo_seed(sb):
    sb.reset("demo")
    companies = sb.state("autotask")["entities"]["Companies"]
    names = {c["companyName"] for c in companies}
    assert {"Contoso Ltd", "Fabrikam Inc", "Northwind Traders", "Repair and Wear"} <= names
    cw_names = {c["name"] for c in sb.state("connectwise")["collections"]["company/companies"]}
    assert "Repair and Wear" in cw_names
    contracts = sb.at("POST", "Contracts/query", json={"filter": [
        {"op": "eq", "field": "contractType", "value": 7}]}).json()["items"]
    assert len(contracts) == 12
    fixed = sb.at("POST", "Contracts/query", json={"filter": [
        {"op": "eq", "field": "contractType", "value": 3}]}).json()["items"]
    assert len(fixed) == 3
    one_time = sb.cw("GET", "finance/agreements", params={"conditions": "billingCycle/id = 4"})
    assert len(one_time.json()) == 3


# ---------------------------------------------------------------------------
# CLI contract and state file (own processes)
# ---------------------------------------------------------------------------

def test_state_file_survives_restart_and_fixed_ports(tmp_path):
    state_file = tmp_path / "state.json"
    port = free_port()
    first = start_sandbox(tmp_path, "--seed", "empty", "--state-file", str(state_file),
                          "--port", "autotask=%d" % port)
    try:
        assert set(first.ready) == {"pid", "control", "autotask", "connectwise", "interworks",
                                    "ingram", "partnercenter", "pax8", "msp360"}
        assert first.ready["pid"] == first.proc.pid and first.ready["autotask"] == port
        assert first.at("POST", "Companies", json=NEW_COMPANY).status_code == 200
        saved = json.loads(state_file.read_text())
        assert len(saved["systems"]["autotask"]["entities"]["Companies"]) == 1
    finally:
        started = time.monotonic()
        os.kill(first.pid, signal.SIGTERM)
        first.proc.wait(timeout=5)
        assert time.monotonic() - started < 1.0
    second = start_sandbox(tmp_path, "--seed", "demo", "--state-file", str(state_file))
    try:
        companies = second.state("autotask")["entities"]["Companies"]
        assert [c["companyName"] for c in companies] == ["Dropped Co"]
    finally:
        stop_sandbox(second)


def test_demo_seed_when_state_file_is_missing(tmp_path):
    state_file = tmp_path / "fresh.json"
    sandbox = start_sandbox(tmp_path, "--state-file", str(state_file), "--seed", "demo")
    try:
        assert state_file.exists()
        assert len(sandbox.state("connectwise")["collections"]["finance/agreements"]) > 12
    finally:
        stop_sandbox(sandbox)


def test_demo_state_with_unit_rows_survives_restart(tmp_path):
    """The saved store carries derived ContractServiceUnits; a restart rebuilds them from
    the adjustments instead of refusing the file (make demo after make stop)."""
    state_file = tmp_path / "demo.json"
    first = start_sandbox(tmp_path, "--seed", "demo", "--state-file", str(state_file))
    try:
        units_before = first.state("autotask")["entities"]["ContractServiceUnits"]
        assert units_before, "the demo seed has unit rows"
    finally:
        stop_sandbox(first)
    second = start_sandbox(tmp_path, "--seed", "demo", "--state-file", str(state_file))
    try:
        units_after = second.state("autotask")["entities"]["ContractServiceUnits"]
        key = lambda u: (u["contractServiceID"], u["startDate"], u["units"])
        assert sorted(map(key, units_after)) == sorted(map(key, units_before))
    finally:
        stop_sandbox(second)


@pytest.mark.parametrize("system", ["autotask", "connectwise"])
def test_garbage_body_fault_answers_the_raw_body_without_acting(sb, system):
    sb.fault(system=system, kind="garbage_body")
    resp = probe(sb, system)
    assert resp.status_code == 200
    assert resp.content == b'{"items": [{"id": 1, "na'
    with pytest.raises(ValueError):
        resp.json()
    sb.fault(system=system, kind="garbage_body", params={"body": "", "status": 502})
    resp = probe(sb, system)
    assert resp.status_code == 502 and resp.content == b""
    sb.fault(system="autotask", kind="garbage_body", method="POST",
             params={"body": "<html>oops</html>", "content_type": "text/html"})
    resp = sb.at("POST", "Companies", json=NEW_COMPANY)
    assert resp.text == "<html>oops</html>" and resp.headers["Content-Type"] == "text/html"
    assert sb.state("autotask")["entities"]["Companies"] == []   # nothing was performed
    assert sb.stats()[system]["faults_fired"]["garbage_body"] >= 2
    assert probe(sb, system).status_code == NORMAL_STATUS[system]
