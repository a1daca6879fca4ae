"""test_psa_autotask.py: contract tests of the Autotask connector (app/connectors/autotask*.c)
through build/tools/psa_probe against a dedicated API sandbox: zone discovery and header auth,
paging, every fault knob (retried, or reported with Autotask's own words and no duplicated
write), tolerant/strict parsing, picklists by label, unit changes verified through
ContractServiceUnits, one-time charges, and the per-entity thread limit under concurrency."""
import datetime as dt
import json

import pytest
from testclock import today

from contract import contract_fixtures
from psa_sandbox import AT_CODE, autotask_settings  # noqa: F401


sandbox, sb, probe = contract_fixtures("psa", "autotask", autotask_settings, seed="empty")


# -- helpers over the sandbox's store ---------------------------------------------------------

def entities(sb, name):
    return sb.state("autotask")["entities"][name]


def contract_id(sb, company, name="Managed Cloud Services"):
    companies = {c["companyName"]: c["id"] for c in entities(sb, "Companies")}
    return next(c["id"] for c in entities(sb, "Contracts")
                if c["companyID"] == companies[company] and c["contractName"] == name)


def service_id(sb, sku):
    return next(s["id"] for s in entities(sb, "Services") if s.get("sku") == sku)


def adjustments_of(sb, contract):
    return [a for a in entities(sb, "ContractServiceAdjustments") if a["contractID"] == contract]


def posts(sb, fragment):
    return [r for r in sb.requests("autotask") if r["method"] == "POST" and fragment in r["path"]]


def mid_month(days_ahead=40):
    """A mid-month date in next month or later: inside the demo contracts, not posted."""
    d = today() + dt.timedelta(days=days_ahead)
    return d.replace(day=15)


# -- auth -------------------------------------------------------------------------------------

def test_zone_discovery_and_header_auth(sb, probe):
    assert probe("test") == {"summary": "16 accounts"}
    log = sb.requests("autotask")
    assert log[0]["path"].lower().endswith("/v1.0/zoneinformation")
    assert "user=api%40demo-msp.example" in log[0]["query"]
    assert log[1]["path"].endswith("/Companies/query/count") and log[1]["status"] == 200
    assert "demo-secret" not in probe.last_stderr and "BILLSYNCDEMO" not in probe.last_stderr


def test_wrong_secret_is_an_auth_error_in_autotasks_words(sb, probe):
    sb.merge("autotask", {"apiUsers": [{"userName": "api@demo-msp.example", "secret": "right"},
                                       {"userName": "other@demo-msp.example", "secret": "x"}]})
    err = probe.error("accounts", settings=autotask_settings(sb, secret="Wr0ng-S3cret!"))
    assert err["kind"] == "auth" and err["http_status"] == 401
    assert err["message"] == "Authorization has been denied for this request."
    assert "API user and secret" in err["hint"] and not err["maybe_committed"]
    assert "Wr0ng-S3cret!" not in probe.last_stderr   # never in the log lines


@pytest.mark.parametrize("over,message,hint", [
    ({"username": "nobody@demo-msp.example"}, "Zone information could not be determined",
     "API user name"),
    ({"integration_code": "NOPE"}, "IntegrationCode is invalid.", "integration code"),
])
def test_unknown_user_and_bad_integration_code(sb, probe, over, message, hint):
    err = probe.error("test", settings=autotask_settings(sb, **over))
    assert err["kind"] == "auth" and err["http_status"] == 500
    assert err["message"] == message and hint in err["hint"]


def test_bad_credentials_fault_and_missing_setting(sb, probe):
    sb.fault(system="autotask", kind="bad_credentials", path="Companies/query")
    err = probe.error("accounts")
    assert err["kind"] == "auth" and "denied" in err["message"]
    settings = autotask_settings(sb)
    del settings["secret"]
    err = probe.error("test", settings=settings)
    assert err["kind"] == "config" and "secret" in err["message"]


# -- paging -----------------------------------------------------------------------------------

def test_paging_follows_next_page_url_with_the_same_post(sb, probe):
    sb.reset("empty")
    rows = [{"id": 1000 + i, "companyName": "Company %04d" % i, "companyType": 1, "phone": "1",
             "ownerResourceID": 1} for i in range(1201)]
    sb.merge("autotask", {"entities": {"Companies": rows}})
    out = probe("accounts")
    assert out["count"] == 1201
    assert sorted(int(r["id"]) for r in out["records"]) == list(range(1000, 2201))
    counts = sb.stats()["autotask"]["requests"]
    assert counts["POST Companies/query"] == 1 and counts["POST Companies/query/next"] == 2
    assert not any(k.startswith("GET Companies") for k in counts)


# -- faults on reads: retried to success --------------------------------------------------------

@pytest.mark.parametrize("kind,params", [
    ("latency", {"ms": 300}), ("http429", {"retry_after": 1}), ("http500", {}),
    ("reset", {}), ("timeout", {"seconds": 1}), ("thread_limit", {}),
])
def test_read_faults_are_retried(sb, probe, kind, params):
    sb.fault(system="autotask", kind=kind, path="Contracts/query", params=params)
    out = probe("contracts")
    assert out["count"] == 16
    assert sb.stats()["autotask"]["faults_fired"] == {kind: 1}


def test_persistent_thread_limit_on_a_write_is_throttled_not_repeated(sb, probe):
    sb.configure("autotask", thread_limit_status=500)
    sb.fault(system="autotask", kind="thread_limit", method="POST", path="ServiceAdjustments",
             count=-1)
    c, s = contract_id(sb, "Contoso Ltd"), service_id(sb, "M365-BS")
    before = len(adjustments_of(sb, c))
    err = probe.error("post-units", c, s, 2, mid_month(), 0, 0)
    assert err["kind"] == "throttled" and "Thread Threshold Exceeded" in err["message"]
    assert "thread limit" in err["hint"] and err["retryable"] and not err["maybe_committed"]
    assert len(posts(sb, "ServiceAdjustments")) == 1
    assert len(adjustments_of(sb, c)) == before


# -- writes under faults: never duplicated --------------------------------------------------------

def test_commit_then_drop_reports_maybe_committed_and_posts_once(sb, probe):
    c, s = contract_id(sb, "Contoso Ltd"), service_id(sb, "M365-BS")
    day = mid_month()
    before = len(adjustments_of(sb, c))
    assert probe("read-units", c, s, day) == {"units": 24}
    sb.fault(system="autotask", kind="commit_drop", method="POST", path="ServiceAdjustments")
    err = probe.error("post-units", c, s, 3, day, 15, 12.5)
    assert err["maybe_committed"] and err["kind"] == "network"
    assert len(adjustments_of(sb, c)) == before + 1          # exactly one adjustment
    assert len(posts(sb, "ServiceAdjustments")) == 1         # and one POST: never re-sent
    assert probe("read-units", c, s, day) == {"units": 27}   # what the caller re-reads


@pytest.mark.parametrize("kind,params", [("timeout", {"seconds": 1}), ("reset", {})])
def test_write_lost_before_commit_is_maybe_committed_and_not_resent(sb, probe, kind, params):
    c, s = contract_id(sb, "Fabrikam Inc"), service_id(sb, "M365-BP")
    before = len(adjustments_of(sb, c))
    sb.fault(system="autotask", kind=kind, method="POST", path="ServiceAdjustments", params=params)
    err = probe.error("post-units", c, s, 1, mid_month(), 0, 0)
    assert err["maybe_committed"] and err["kind"] == "network"
    assert len(posts(sb, "ServiceAdjustments")) == 1
    assert len(adjustments_of(sb, c)) == before


@pytest.mark.parametrize("kind,params", [("http429", {"retry_after": 1}), ("thread_limit", {}),
                                         ("latency", {"ms": 200})])
def test_write_refused_before_acting_is_retried_once_landed(sb, probe, kind, params):
    c, s = contract_id(sb, "Fabrikam Inc"), service_id(sb, "M365-BP")
    before = len(adjustments_of(sb, c))
    sb.fault(system="autotask", kind=kind, method="POST", path="ServiceAdjustments", params=params)
    probe("post-units", c, s, 2, mid_month(), 0, 0)
    assert len(adjustments_of(sb, c)) == before + 1
    assert probe("read-units", c, s, mid_month()) == {"units": 42}


def test_server_error_on_a_write_is_reported_with_autotasks_message(sb, probe):
    c, s = contract_id(sb, "Fabrikam Inc"), service_id(sb, "M365-BP")
    sb.fault(system="autotask", kind="http500", method="POST", path="ServiceAdjustments",
             params={"message": "Database is temporarily unavailable."})
    err = probe.error("post-units", c, s, 1, mid_month(), 0, 0)
    assert err["message"] == "Database is temporarily unavailable." and err["http_status"] == 500
    assert err["kind"] == "rejected" and not err["maybe_committed"]
    assert len(posts(sb, "ServiceAdjustments")) == 1


def test_rule_violation_is_rejected_with_autotasks_message(sb, probe):
    c, s = contract_id(sb, "Contoso Ltd"), service_id(sb, "M365-BS")
    err = probe.error("post-units", c, s, 1, today().replace(day=1) - dt.timedelta(days=5),
                      0, 0)
    assert err["kind"] == "rejected" and "already approved and posted" in err["message"]


# -- parsing: tolerant of extras, strict about what it needs ------------------------------------

def test_unknown_extra_fields_are_ignored(sb, probe):
    sb.merge("autotask", {"entities": {
        "Companies": [{"id": 5000, "companyName": "Extra Fields Ltd", "companyType": 1,
                       "phone": "1", "ownerResourceID": 1, "futureField": {"nested": [1, 2]},
                       "anotherNewThing": "x"}],
        "Services": [{"id": 5001, "name": "Odd Service", "billingCodeID": 29683001,
                      "periodType": 29682771, "unitPrice": 1.5, "brandNewFlag": True}]}})
    names = {r["name"] for r in probe("accounts")["records"]}
    assert "Extra Fields Ltd" in names
    odd = [r for r in probe("services")["records"] if r["name"] == "Odd Service"]
    assert odd[0]["unit_price"] == "1.5000"


def test_missing_required_field_is_a_clear_bad_response(sb, probe):
    sb.merge("autotask", {"entities": {"Companies": [{"id": 5002, "companyName": None,
                                                      "companyType": 1, "phone": "1",
                                                      "ownerResourceID": 1}]}})
    err = probe.error("accounts")
    assert err["kind"] == "bad_response" and "5002 has no companyName" in err["message"]
    sb.reset("demo")
    body = ('{"items":[{"companyName":"No Id Inc"}],"pageDetails":{"count":1,"requestCount":500,'
            '"prevPageUrl":null,"nextPageUrl":null}}')
    sb.fault(system="autotask", kind="garbage_body", path="Companies/query", params={"body": body})
    err = probe.error("accounts")
    assert err["kind"] == "bad_response" and "has no id" in err["message"]


@pytest.mark.parametrize("body", ['{"items": [{"id": 1, "na', "", "<html>Bad Gateway</html>",
                                  '{"something": "else"}', "[1, 2]"])
def test_truncated_empty_and_non_json_bodies(sb, probe, body):
    sb.fault(system="autotask", kind="garbage_body", path="Contracts/query",
             params={"body": body})
    err = probe.error("contracts")
    assert err["kind"] == "bad_response" and err["message"]
    assert "Autotask" in err["message"]


def test_unparseable_answer_to_a_create_is_maybe_committed(sb, probe):
    sb.fault(system="autotask", kind="garbage_body", method="POST", path="/Services$",
             params={"body": "{\"itemId\": "})
    err = probe.error("create-service", "Garbled Service", "GB-1", 5, 4)
    assert err["kind"] == "bad_response" and err["maybe_committed"]


# -- picklists by label ------------------------------------------------------------------------

def test_charge_type_resolved_by_label_not_by_guess(sb, probe):
    c = contract_id(sb, "Contoso Ltd", "Annual Subscriptions")
    probe("create-charge", c, 0, "M365 E3 annual", "sub-1:2026", "2026-03-01", 12, 396, 330)
    charge = next(x for x in entities(sb, "ContractCharges") if x["name"] == "M365 E3 annual")
    assert charge["chargeType"] == 2       # this tenant's "Operational" (1 is Capitalized)
    picklists = sb.state("autotask")["picklists"]
    picklists["ContractCharges.chargeType"] = [
        {"value": 77, "label": "Operational", "isDefaultValue": True, "sortOrder": 0,
         "parentValue": "", "isActive": True, "isSystem": False},
        {"value": 78, "label": "Capitalized", "isDefaultValue": False, "sortOrder": 1,
         "parentValue": "", "isActive": True, "isSystem": False}]
    sb.merge("autotask", {"picklists": picklists})
    probe("create-charge", c, 0, "Second charge", "sub-2:2026", "2026-03-01", 1, 10, 5)
    charge = next(x for x in entities(sb, "ContractCharges") if x["name"] == "Second charge")
    assert charge["chargeType"] == 77


def test_contract_and_service_picklists_by_label(sb, probe):
    company = next(c["id"] for c in entities(sb, "Companies") if c["companyName"] == "Contoso Ltd")
    cid = probe("create-contract", company, "Quarterly cloud", "recurring", "2026-01-01",
                "2027-12-31", 3)["id"]
    row = next(x for x in entities(sb, "Contracts") if x["id"] == int(cid))
    assert (row["contractType"], row["contractPeriodType"], row["status"]) == (7, 29682772, 1)
    sid = probe("create-service", "Cloud Widget", "CW-1", 9.99, 5.5, "Widgets")["id"]
    row = next(x for x in entities(sb, "Services") if x["id"] == int(sid))
    assert row["periodType"] == 29682771 and row["unitPrice"] == 9.99 and row["sku"] == "CW-1"
    code = next(b for b in entities(sb, "BillingCodes") if b["id"] == row["billingCodeID"])
    assert code["useType"] == 4            # Recurring Contract Service
    contracts = {r["id"]: r for r in probe("contracts")["records"]}
    assert contracts[cid]["type"] == "recurring" and contracts[cid]["cycle_months"] == 3
    err = probe.error("create-contract", company, "Open ended", "recurring", "2026-01-01", "-", 1)
    assert err["kind"] == "rejected" and "end date" in err["message"]


def test_create_account_uses_the_msps_owner(sb, probe):
    aid = probe("create-account", "Brand New Customer")["id"]
    row = next(x for x in entities(sb, "Companies") if x["id"] == int(aid))
    assert row["companyName"] == "Brand New Customer" and row["companyType"] == 1
    assert row["ownerResourceID"] == 29682885


# -- unit changes ------------------------------------------------------------------------------

def test_unit_change_is_verified_and_splits_the_period(sb, probe):
    c, s = contract_id(sb, "Contoso Ltd"), service_id(sb, "M365-BS")
    day = mid_month()
    rows = {r["service_id"]: r for r in probe("contract-services", c, day)["records"]}
    assert rows[str(s)]["units"] == 24 and rows[str(s)]["name"] == "Microsoft 365 Business Standard"
    probe("post-units", c, s, 3, day, 0, 0)
    assert probe("read-units", c, s, day) == {"units": 27}
    assert probe("read-units", c, s, day - dt.timedelta(days=1)) == {"units": 24}
    cs_id = int(rows[str(s)]["id"])
    units = [u for u in entities(sb, "ContractServiceUnits") if u["contractServiceID"] == cs_id]
    starts = {u["startDate"][:10]: u["units"] for u in units}
    ends = {u["endDate"][:10]: u["units"] for u in units}
    assert starts[day.isoformat()] == 27
    assert ends[(day - dt.timedelta(days=1)).isoformat()] == 24
    adj = adjustments_of(sb, c)[-1]
    assert adj["unitChange"] == 3 and adj["effectiveDate"].startswith(day.isoformat())
    probe("post-units", c, s, -5, day + dt.timedelta(days=20), 0, 0)
    assert probe("read-units", c, s, day + dt.timedelta(days=20)) == {"units": 22}
    assert probe("read-units", 999999, s, day) == {"units": 0}


def test_a_change_autotask_does_not_show_fails_verification(sb, probe):
    sb.configure("autotask", same_day_adjustment_mode="replace")
    c, s = contract_id(sb, "Contoso Ltd"), service_id(sb, "M365-BS")
    day = mid_month()
    probe("post-units", c, s, 3, day, 0, 0)
    err = probe.error("post-units", c, s, 2, day, 0, 0)   # replaces the +3: shows 26, not 29
    assert err["kind"] == "bad_response" and err["maybe_committed"]
    assert "show 26 units" in err["message"] and "instead of 29" in err["message"]


# -- the calls of a sync (issue 16) -------------------------------------------------------------

def api_calls(sb):
    """Autotask API calls logged so far (zone discovery is not an API call against the cap)."""
    return [r for r in sb.requests("autotask") if "zoneinformation" not in r["path"].lower()]


def in_lists(query):
    return {f["field"]: f["value"] for f in query["filter"] if f["op"] == "in"}


def test_bulk_read_of_a_few_services_asks_for_those_only_in_one_query(sb, probe):
    day = mid_month()
    keys = sorted({(r["contractID"], r["serviceID"]) for r in entities(sb, "ContractServices")})
    single = {}
    for c in sorted({c for c, _ in keys}):
        for r in probe("contract-services", c, day)["records"]:
            single[(r["contract_id"], r["service_id"])] = r["units"]
    sb.control("DELETE", "/requests")
    bulk = probe("units-bulk", day, *["%d:%d" % k for k in keys])["records"]
    calls = api_calls(sb)
    assert [(r["method"], r["path"].split("/V1.0/")[1]) for r in calls] == \
        [("POST", "ContractServiceUnits/query")]
    assert in_lists(json.loads(calls[0]["body"])) == {"contractID": sorted({c for c, _ in keys}),
                                                        "serviceID": sorted({s for _, s in keys})}
    assert {(r["contract_id"], r["service_id"]): r["units"] for r in bulk} == \
        {k: v for k, v in single.items() if v}
    assert all(r["line_id"] == "" for r in bulk)


def test_bulk_read_of_many_reads_whole_contracts_500_a_query(sb, probe):
    cs = entities(sb, "ContractServices")[0]
    keys = ["%d:%d" % (cs["contractID"], cs["serviceID"])] + ["%d:%d" % (900000 + i, 1) for i in range(600)]
    sb.control("DELETE", "/requests")
    bulk = probe("units-bulk", mid_month(), *keys)["records"]
    lists = [in_lists(json.loads(r["body"])) for r in api_calls(sb)]
    assert [sorted(x) for x in lists] == [["contractID"], ["contractID"]]      # 601 + 2 ids: too many
    assert [len(x["contractID"]) for x in lists] == [500, 101]
    assert (str(cs["contractID"]), str(cs["serviceID"])) in {(r["contract_id"], r["service_id"]) for r in bulk}


def test_posting_from_the_callers_read_is_one_write_and_one_verifying_read(sb, probe):
    c, s = contract_id(sb, "Contoso Ltd"), service_id(sb, "M365-BS")
    day = mid_month()
    assert probe("read-units", c, s, day) == {"units": 24}
    sb.control("DELETE", "/requests")
    probe("post-units-seen", c, s, 3, day, 24)
    calls = [(r["method"], r["path"].split("/V1.0/")[1]) for r in api_calls(sb)]
    assert calls == [("POST", "Contracts/%d/ServiceAdjustments" % c), ("POST", "ContractServiceUnits/query")]
    assert probe("read-units", c, s, day) == {"units": 27}
    # planned from a read the PSA no longer matches: posted, then the verification says so
    err = probe.error("post-units-seen", c, s, 1, day + dt.timedelta(days=1), 24)
    assert err["kind"] == "bad_response" and err["maybe_committed"]
    assert "show 28 units" in err["message"] and "instead of 25" in err["message"]


# -- one-time charges ----------------------------------------------------------------------------

def test_charge_is_found_by_key_and_never_created_twice(sb, probe):
    c = contract_id(sb, "Fabrikam Inc", "Annual Subscriptions")
    assert probe("find-charge", c, "sub-9:2026-04") == {"found": False, "id": ""}
    sb.fault(system="autotask", kind="commit_drop", method="POST", path=r"/Charges$")
    err = probe.error("create-charge", c, 0, "E3 annual", "sub-9:2026-04", "2026-04-01", 5,
                      396, 330, "Subscription S-9")
    assert err["maybe_committed"]
    found = probe("find-charge", c, "sub-9:2026-04")
    assert found["found"]
    again = probe("create-charge", c, 0, "E3 annual", "sub-9:2026-04", "2026-04-01", 5, 396, 330)
    assert again["id"] == found["id"]
    charges = [x for x in entities(sb, "ContractCharges") if x["contractID"] == c]
    assert len(charges) == 1
    assert charges[0]["description"] == "Subscription S-9 (billsync key: sub-9:2026-04)"
    assert charges[0]["unitQuantity"] == 5 and charges[0]["unitPrice"] == 396
    assert probe("find-charge", c, "sub-9:2026-0")["found"] is False   # exact key only


# -- the thread limit under concurrent work -------------------------------------------------------

def test_concurrent_processes_never_exceed_the_thread_limit(sb, probe):
    sb.configure("autotask", processing_ms=60)
    c = contract_id(sb, "Contoso Ltd")
    rc, lines = probe.raw("concurrent", 10, "contract-services", c, mid_month())
    assert rc == 0 and lines[-1] == {"concurrent": 10, "failed": 0}
    assert all(line["count"] == 2 for line in lines[:-1])
    rc, lines = probe.raw("concurrent", 10, "accounts")
    assert rc == 0 and lines[-1]["failed"] == 0
    stats = sb.stats()["autotask"]
    peaks = stats["max_concurrency"][AT_CODE]
    assert max(peaks.values()) <= 3, peaks
    assert peaks["Companies"] == 3, peaks          # the cap was actually reached
    assert stats["thread_limit_refusals"] == 0


@pytest.mark.parametrize("price", ["12,50", "NaN", "twelve", "1e400"])
def test_an_unreadable_price_fails_the_read_naming_the_record(sb, probe, price):
    """A price billsync cannot read is never taken as 0 (it would become the MSP's sell price)."""
    body = json.dumps({"items": [{"id": 4711, "name": "Odd Service", "unitPrice": price, "unitCost": 1,
                                  "isActive": True}],
                       "pageDetails": {"count": 1, "requestCount": 500, "prevPageUrl": None, "nextPageUrl": None}})
    sb.fault(system="autotask", kind="garbage_body", path="/Services/query", params={"body": body})
    err = probe.error("services")
    assert err["kind"] == "bad_response"
    assert "Autotask service 4711 has a unitPrice that is not an amount" in err["message"]


# -- cost and price changes (issue 18) -----------------------------------------------------------

def test_a_cost_change_is_a_zero_unit_adjustment_from_its_date(sb, probe):
    c, s = contract_id(sb, "Contoso Ltd"), service_id(sb, "M365-BS")
    day = mid_month()
    assert probe("read-money", c, s, day) == {"found": True, "cost": "12.5000", "price": "15.0000",
                                              "uniform": True}
    probe("post-price", c, s, day, "13.10")
    adj = adjustments_of(sb, c)[-1]
    assert adj["unitChange"] == 0 and adj["adjustedUnitCost"] == 13.1 and adj["adjustedUnitPrice"] is None
    assert adj["effectiveDate"].startswith(day.isoformat())
    assert probe("read-money", c, s, day)["cost"] == "13.1000"
    assert probe("read-money", c, s, day - dt.timedelta(days=1))["cost"] == "12.5000"   # from its date on
    assert probe("read-money", c, s, day)["price"] == "15.0000"                        # the price stands
    assert probe("read-units", c, s, day) == {"units": 24}
    probe("post-price", c, s, day + dt.timedelta(days=1), "13.20", "15.90")
    adj = adjustments_of(sb, c)[-1]
    assert adj["adjustedUnitCost"] == 13.2 and adj["adjustedUnitPrice"] == 15.9
    assert probe("read-money", c, s, day + dt.timedelta(days=1))["price"] == "15.9000"


def test_a_cost_change_lost_after_commit_is_maybe_committed_and_posted_once(sb, probe):
    c, s = contract_id(sb, "Fabrikam Inc"), service_id(sb, "M365-BP")
    day = mid_month()
    before = len(adjustments_of(sb, c))
    sb.fault(system="autotask", kind="commit_drop", method="POST", path="ServiceAdjustments")
    err = probe.error("post-price", c, s, day, "23.00")
    assert err["maybe_committed"] and err["kind"] == "network"
    assert len(adjustments_of(sb, c)) == before + 1 and len(posts(sb, "ServiceAdjustments")) == 1
    assert probe("read-money", c, s, day)["cost"] == "23.0000"    # what the worker re-reads: nothing to do
