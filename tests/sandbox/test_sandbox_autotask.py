"""Tests of the Autotask REST v1.0 simulator (doc/psa-apis.md Part A)."""

import concurrent.futures
import json
import os
import signal
import time

import requests

from conftest import AT_HEADERS, start_sandbox, stop_sandbox

ALL = [{"op": "gte", "field": "id", "value": 0}]
MONTHLY = 29682771
RECURRING_CODE, MATERIAL_CODE = 100, 101
COMPANY, SERVICE, SERVICE2 = 200, 300, 301
RECURRING, FIXED = 400, 401


def seed_tenant(sb, **contract_fields):
    """One company, two services and a recurring + a fixed-price contract for 2025."""
    recurring = dict(id=RECURRING, companyID=COMPANY, contractName="Cloud", contractType=7,
                     contractPeriodType=MONTHLY, status=1, startDate="2025-01-01",
                     endDate="2025-12-31")
    recurring.update(contract_fields)
    sb.merge("autotask", {"entities": {
        "BillingCodes": [{"id": RECURRING_CODE, "name": "Recurring", "useType": 4,
                          "isActive": True},
                         {"id": MATERIAL_CODE, "name": "Licences", "useType": 2,
                          "isActive": True, "unitPrice": 9.5}],
        "Companies": [{"id": COMPANY, "companyName": "Contoso Ltd", "companyType": 1,
                       "phone": "1", "ownerResourceID": 1}],
        "Services": [{"id": SERVICE, "name": "M365 Business Standard",
                      "billingCodeID": RECURRING_CODE, "periodType": MONTHLY,
                      "unitPrice": 15.0, "unitCost": 12.5},
                     {"id": SERVICE2, "name": "Exchange Online (Plan 1)",
                      "billingCodeID": RECURRING_CODE, "periodType": MONTHLY,
                      "unitPrice": 4.8, "unitCost": 4.0}],
        "Contracts": [recurring,
                      dict(recurring, id=FIXED, contractName="Annual", contractType=3,
                           contractPeriodType=None)],
    }})


def query(sb, entity, filters, **extra):
    body = dict(filter=filters, **extra)
    resp = sb.at("POST", entity + "/query", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def units_on(sb, contract_service_id, day):
    items = query(sb, "ContractServiceUnits", [
        {"op": "eq", "field": "contractServiceID", "value": contract_service_id},
        {"op": "lte", "field": "startDate", "value": day},
        {"op": "gte", "field": "endDate", "value": day}])["items"]
    assert len(items) == 1, items
    return items[0]["units"]


def adjust(sb, effective, change, contract=RECURRING, service=SERVICE, **extra):
    body = dict(contractID=contract, serviceID=service, effectiveDate=effective,
                unitChange=change, **extra)
    return sb.at("POST", "Contracts/%d/ServiceAdjustments" % contract, json=body)


# ---------------------------------------------------------------------------
# Zone discovery and authentication
# ---------------------------------------------------------------------------

def test_zone_information_is_anonymous_and_case_insensitive(sb):
    base = sb.at_root.replace("ATServicesRest/V1.0/", "")
    resp = requests.get(base + "atservicesrest/v1.0/ZoneInformation",
                        params={"user": "API@demo-msp.example"}, timeout=5)
    assert resp.status_code == 200
    zone = resp.json()
    assert zone["url"] == base + "ATServicesRest/"
    assert set(zone) == {"zoneName", "url", "webUrl", "ci"}
    unknown = requests.get(base + "ATServicesRest/V1.0/zoneInformation",
                           params={"user": "nobody@x.example"}, timeout=5)
    assert unknown.status_code == 500
    assert unknown.json() == {"errors": ["Zone information could not be determined"]}


def test_header_auth_success_and_failures(sb):
    lower = {k.lower(): v for k, v in AT_HEADERS.items()}
    assert sb.at("POST", "Companies/query", headers=lower, json={"filter": ALL}).status_code == 200
    wrong_secret = dict(AT_HEADERS, Secret="nope")
    assert sb.at("POST", "Companies/query", headers=wrong_secret,
                 json={"filter": ALL}).status_code == 401
    bad_code = dict(AT_HEADERS, ApiIntegrationcode="WRONG")
    resp = sb.at("POST", "Companies/query", headers=bad_code, json={"filter": ALL})
    assert resp.status_code == 500
    assert resp.json() == {"errors": ["IntegrationCode is invalid."]}
    unknown = dict(AT_HEADERS, Username="ghost@x.example")
    resp = sb.at("GET", "Companies/1", headers=unknown)
    assert resp.status_code == 500
    assert resp.json()["errors"] == ["Zone information could not be determined"]


# ---------------------------------------------------------------------------
# Queries and paging
# ---------------------------------------------------------------------------

def test_paging_1201_companies_in_three_pages(sb):
    rows = [{"id": 1000 + i, "companyName": "Company %04d" % i, "companyType": 1,
             "phone": "1", "ownerResourceID": 1} for i in range(1201)]
    sb.merge("autotask", {"entities": {"Companies": rows}})
    body = {"MaxRecords": 500, "filter": ALL}
    first = sb.at("POST", "Companies/query", json=body).json()
    seen, pages, page = [], 1, first
    while True:
        seen += [item["id"] for item in page["items"]]
        assert page["pageDetails"]["count"] == len(page["items"])
        assert page["pageDetails"]["requestCount"] == 500
        url = page["pageDetails"]["nextPageUrl"]
        if url is None:
            break
        assert "/V1.0/Companies/query/next?paging=" in url
        page = requests.post(url, json=body, headers=AT_HEADERS, timeout=5).json()
        pages += 1
    assert pages == 3 and len(seen) == 1201 and len(set(seen)) == 1201
    assert page["pageDetails"]["prevPageUrl"] is not None
    wrong_method = requests.get(first["pageDetails"]["nextPageUrl"], headers=AT_HEADERS,
                                timeout=5)
    assert wrong_method.status_code == 405
    count = sb.at("POST", "Companies/query/count", json={"filter": ALL}).json()
    assert count == {"queryCount": 1201}


def test_get_query_with_search_parameter_pages_with_get(sb):
    rows = [{"id": 10 + i, "companyName": "C%d" % i, "companyType": 1, "phone": "1",
             "ownerResourceID": 1} for i in range(7)]
    sb.merge("autotask", {"entities": {"Companies": rows}})
    search = json.dumps({"MaxRecords": 5, "filter": ALL})
    first = sb.at("GET", "Companies/query", params={"search": search}).json()
    assert len(first["items"]) == 5
    second = requests.get(first["pageDetails"]["nextPageUrl"], headers=AT_HEADERS,
                          timeout=5).json()
    assert [i["id"] for i in second["items"]] == [15, 16]


def test_filter_operators_and_groups(sb):
    seed_tenant(sb)
    names = ["Fabrikam Inc", "Northwind Traders", "Repair and Wear", "Tailspin Toys"]
    sb.merge("autotask", {"entities": {"Companies": [
        {"id": 201 + i, "companyName": n, "companyType": 1 if i % 2 else 3, "phone": "1",
         "ownerResourceID": 1, "isActive": i != 3, "taxID": "T" if i == 0 else None}
        for i, n in enumerate(names)]}})

    def ids(*filters, **extra):
        return [i["id"] for i in query(sb, "Companies", list(filters), **extra)["items"]]

    assert ids({"op": "eq", "field": "CompanyName", "value": "contoso ltd"}) == [200]
    assert ids({"op": "beginsWith", "field": "companyName", "value": "north"}) == [202]
    assert ids({"op": "endsWith", "field": "companyName", "value": "wear"}) == [203]
    assert ids({"op": "contains", "field": "companyName", "value": "IN"}) == [201, 202, 204]
    assert ids({"op": "in", "field": "id", "value": [201, 204, 999]}) == [201, 204]
    assert ids({"op": "notIn", "field": "companyType", "value": [1]}) == [201, 203]
    assert ids({"op": "noteq", "field": "companyType", "value": 1}) == [201, 203]
    assert ids({"op": "gt", "field": "id", "value": 202},
               {"op": "lte", "field": "id", "value": 204}) == [203, 204]
    assert ids({"op": "exist", "field": "taxID"}) == [201]
    assert len(ids({"op": "notExist", "field": "taxID"})) == 4
    assert ids({"op": "eq", "field": "isActive", "value": False}) == [204]
    assert ids({"op": "or", "items": [
        {"op": "eq", "field": "id", "value": 200},
        {"op": "and", "items": [{"op": "eq", "field": "companyType", "value": 3},
                                {"op": "contains", "field": "companyName", "value": "wear"}]},
    ]}) == [200, 203]
    projected = query(sb, "Companies", [{"op": "eq", "field": "id", "value": 200}],
                      IncludeFields=["companyName"])["items"]
    assert projected == [{"companyName": "Contoso Ltd"}]


def test_invalid_queries_are_rejected_with_errors_body(sb):
    def error_of(body):
        resp = sb.at("POST", "Companies/query", json=body)
        assert resp.status_code == 500
        return resp.json()["errors"][0]

    assert "filter" in error_of({"filter": []})
    assert "MaxRecords" in error_of({"MaxRecords": 501, "filter": ALL})
    assert error_of({"filter": [{"op": "eq", "field": "companyType", "value": "material"}]}) == \
        "Conversion failed when converting varchar 'material' to data type int"
    assert "nosuchfield" in error_of({"filter": [{"op": "eq", "field": "nosuchfield",
                                                  "value": 1}]})
    too_many = [{"op": "or", "items": [{"op": "eq", "field": "id", "value": i}
                                       for i in range(501)]}]
    assert "500 or fewer 'OR' conditions" in error_of({"filter": too_many})


# ---------------------------------------------------------------------------
# Entities, child routes, metadata
# ---------------------------------------------------------------------------

def test_root_and_child_write_routes(sb):
    seed_tenant(sb)
    created = sb.at("POST", "Companies", json={"companyName": "New Co", "companyType": 1,
                                               "phone": "1", "ownerResourceID": 1})
    assert created.status_code == 200 and set(created.json()) == {"itemId"}
    new_id = created.json()["itemId"]
    patched = sb.at("PATCH", "Companies", json={"id": new_id, "phone": "2"})
    assert patched.json() == {"itemId": new_id}
    assert sb.at("GET", "Companies/%d" % new_id).json()["item"]["phone"] == "2"
    missing = sb.at("POST", "Companies", json={"companyName": "No phone", "companyType": 1,
                                               "ownerResourceID": 1})
    assert missing.status_code == 500 and "phone" in missing.json()["errors"][0]
    assert sb.at("POST", "ContractServices", json={"contractID": RECURRING,
                                                   "serviceID": SERVICE}).status_code == 405
    child = sb.at("POST", "Contracts/%d/Services" % RECURRING,
                  json={"contractID": RECURRING, "serviceID": SERVICE, "unitPrice": 14.0})
    assert child.status_code == 200, child.text
    listed = sb.at("GET", "Contracts/%d/Services" % RECURRING).json()["items"]
    assert [r["id"] for r in listed] == [child.json()["itemId"]]
    not_recurring = sb.at("POST", "Contracts/%d/Services" % FIXED,
                          json={"serviceID": SERVICE})
    assert not_recurring.status_code == 500
    duplicate = sb.at("POST", "Services", json={
        "name": "m365 business standard", "billingCodeID": RECURRING_CODE,
        "periodType": MONTHLY, "unitPrice": 1})
    assert "UNIQUE KEY" in duplicate.json()["errors"][0]
    bad_ref = sb.at("POST", "Contracts", json={
        "companyID": 999, "contractName": "x", "contractType": 3, "status": 1,
        "startDate": "2025-01-01", "endDate": "2025-02-01"})
    assert bad_ref.json()["errors"] == [
        "Reference value on field: companyID of type: Company does not exist or is invalid."]


def test_get_by_id_not_found_modes(sb):
    assert sb.at("GET", "Companies/424242").status_code == 404
    sb.configure("autotask", not_found_mode="200null")
    resp = sb.at("GET", "Companies/424242")
    assert resp.status_code == 200 and resp.json() == {"item": None}


def test_picklists_are_tenant_specific(sb):
    def picklist(entity, field):
        fields = sb.at("GET", entity + "/entityInformation/fields").json()["fields"]
        found = next(f for f in fields if f["name"] == field)
        assert found["isPickList"]
        return {v["label"]: int(v["value"]) for v in found["picklistValues"]}

    types = picklist("Contracts", "contractType")
    assert types["Recurring Service"] == 7 and types["Fixed Price"] == 3
    assert picklist("Contracts", "contractPeriodType")["Monthly"] == MONTHLY
    assert picklist("ContractCharges", "chargeType") == {"Capitalized": 1, "Operational": 2}
    assert "Pending Approval" in picklist("ContractCharges", "status")
    assert picklist("Contracts", "status") == {"Inactive": 0, "Active": 1}
    info = sb.at("GET", "ContractServiceAdjustments/entityInformation").json()["info"]
    assert info["canCreate"] and not info["canQuery"] and not info["canUpdate"]


# ---------------------------------------------------------------------------
# Recurring services: adjustments and units
# ---------------------------------------------------------------------------

def test_adjustments_create_service_and_split_units(sb):
    seed_tenant(sb)
    first = adjust(sb, "2025-01-01T00:00:00", 10)
    assert first.status_code == 200 and first.json() == {"itemId": 0}
    services = query(sb, "ContractServices", [{"op": "eq", "field": "contractID",
                                               "value": RECURRING}])["items"]
    assert len(services) == 1 and services[0]["serviceID"] == SERVICE
    cs_id = services[0]["id"]
    assert adjust(sb, "2025-03-15T02:00:00", 3, adjustedUnitPrice=14.0).status_code == 200
    march = query(sb, "ContractServiceUnits", [
        {"op": "eq", "field": "contractServiceID", "value": cs_id},
        {"op": "gte", "field": "startDate", "value": "2025-03-01"},
        {"op": "lte", "field": "startDate", "value": "2025-03-31"}])["items"]
    assert [(r["startDate"][:10], r["endDate"][:10], r["units"], r["price"]) for r in march] == [
        ("2025-03-01", "2025-03-14", 10, 15.0), ("2025-03-15", "2025-03-31", 13, 14.0)]
    assert units_on(sb, cs_id, "2025-02-10") == 10
    assert units_on(sb, cs_id, "2025-04-01") == 13
    total = sb.at("POST", "ContractServiceUnits/query/count", json={"filter": [
        {"op": "eq", "field": "contractServiceID", "value": cs_id}]}).json()
    assert total == {"queryCount": 13}
    assert sb.at("POST", "ContractServiceAdjustments/query",
                 json={"filter": ALL}).status_code == 405


def test_same_day_and_out_of_contract_adjustments_are_rejected(sb):
    seed_tenant(sb)
    assert adjust(sb, "2025-05-01", 5).status_code == 200
    again = adjust(sb, "2025-05-01T09:30:00", 2)
    assert again.status_code == 500 and "already exists" in again.json()["errors"][0]
    for day in ("2024-12-31", "2026-01-01"):
        outside = adjust(sb, day, 1)
        assert outside.status_code == 500
        assert "outside the contract period" in outside.json()["errors"][0]
    below_zero = adjust(sb, "2025-06-01", -6)
    assert below_zero.status_code == 500
    cs_id = query(sb, "ContractServices", ALL)["items"][0]["id"]
    assert units_on(sb, cs_id, "2025-05-20") == 5
    sb.configure("autotask", same_day_adjustment_mode="accumulate")
    assert adjust(sb, "2025-05-01", 2).status_code == 200
    assert units_on(sb, cs_id, "2025-05-20") == 7


def test_posted_periods_reject_or_shift(sb):
    seed_tenant(sb)
    sb.merge("autotask", {"postedThrough": {str(RECURRING): "2025-03-31"}})
    refused = adjust(sb, "2025-03-10", 4)
    assert "approved and posted" in refused.json()["errors"][0]
    sb.configure("autotask", posted_period_mode="shift")
    assert adjust(sb, "2025-03-10", 4).status_code == 200
    cs_id = query(sb, "ContractServices", ALL)["items"][0]["id"]
    assert units_on(sb, cs_id, "2025-03-20") == 0
    assert units_on(sb, cs_id, "2025-04-01") == 4
    posted = query(sb, "ContractServiceUnits", [
        {"op": "exist", "field": "approveAndPostDate"}])["items"]
    assert len(posted) == 3


# ---------------------------------------------------------------------------
# Contract charges
# ---------------------------------------------------------------------------

def test_contract_charges_lifecycle(sb):
    seed_tenant(sb)
    charge = {"name": "M365 E3 annual (12 seats)", "chargeType": 2,
              "datePurchased": "2025-03-01", "unitQuantity": 12, "unitPrice": 396.0,
              "unitCost": 330.0, "billingCodeID": MATERIAL_CODE}
    created = sb.at("POST", "Contracts/%d/Charges" % FIXED, json=charge)
    assert created.status_code == 200, created.text
    charge_id = created.json()["itemId"]
    row = sb.at("GET", "Contracts/%d/Charges/%d" % (FIXED, charge_id)).json()["item"]
    assert row["billableAmount"] == 4752.0 and row["isBilled"] is False
    found = query(sb, "ContractCharges", [{"op": "eq", "field": "contractID", "value": FIXED},
                                          {"op": "eq", "field": "name",
                                           "value": charge["name"]}])["items"]
    assert [r["id"] for r in found] == [charge_id]
    no_code = dict(charge, billingCodeID=None)
    assert sb.at("POST", "Contracts/%d/Charges" % FIXED, json=no_code).status_code == 500
    default_price = sb.at("POST", "Contracts/%d/Charges" % FIXED,
                          json=dict(charge, unitPrice=None, unitQuantity=2)).json()["itemId"]
    assert sb.at("GET", "Contracts/%d/Charges/%d" % (FIXED, default_price)).json()[
        "item"]["billableAmount"] == 19.0
    deleted = sb.at("DELETE", "Contracts/%d/Charges/%d" % (FIXED, default_price))
    assert deleted.json() == {"itemId": default_price}
    sb.merge("autotask", {"entities": {"ContractCharges": [{"id": charge_id,
                                                            "isBilled": True}]}})
    assert sb.at("DELETE", "Contracts/%d/Charges/%d" % (FIXED, charge_id)).status_code == 500
    patch = sb.at("PATCH", "Contracts/%d/Charges" % FIXED, json={"id": charge_id,
                                                                "unitQuantity": 13})
    assert "billed" in patch.json()["errors"][0]


# ---------------------------------------------------------------------------
# Limits: hourly threshold and thread limit
# ---------------------------------------------------------------------------

def test_hourly_threshold_counts_and_refuses(sb):
    sb.configure("autotask", hourly_cap=5, threshold_latency_50_ms=0,
                 threshold_latency_75_ms=0)
    info = sb.at("GET", "ThresholdInformation").json()
    assert info == {"externalRequestThreshold": 5, "requestThresholdTimeframe": 60,
                    "currentTimeframeRequestCount": 1}
    zone = requests.get(sb.at_root + "zoneInformation",
                        params={"user": AT_HEADERS["Username"]}, timeout=5)
    assert zone.status_code == 200          # exempt: does not count
    for _ in range(4):
        assert sb.at("GET", "Companies/1").status_code == 404
    refused = sb.at("GET", "Companies/1")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "threshold" in refused.json()["errors"][0]
    assert sb.stats()["autotask"]["threshold_refusals"] == 1


def test_noisy_neighbour_and_latency_tiers(sb):
    sb.configure("autotask", hourly_cap=4, external_request_count=2,
                 threshold_latency_50_ms=150, threshold_latency_75_ms=300)
    started = time.monotonic()
    info = sb.at("GET", "ThresholdInformation").json()
    assert time.monotonic() - started >= 0.3
    assert info["currentTimeframeRequestCount"] == 3


def wait_for(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_thread_limit_refuses_fourth_concurrent_request_per_entity(sb):
    sb.configure("autotask", processing_ms=1200)

    def call(entity):
        return sb.at("POST", entity + "/query", json={"filter": ALL})

    def in_flight():
        return sb.stats()["autotask"]["in_flight"].get("BILLSYNCDEMO", {})

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        slow = [pool.submit(call, e) for e in ["Companies"] * 3 + ["Contracts"] * 2]
        wait_for(lambda: in_flight() == {"Companies": 3, "Contracts": 2})
        refused = [call("Companies") for _ in range(3)]
        assert [f.result().status_code for f in slow] == [200] * 5
    assert [r.status_code for r in refused] == [429] * 3
    assert "thread threshold of 3 threads has been exceeded" in refused[0].json()["errors"][0]
    stats = sb.stats()["autotask"]
    assert stats["max_concurrency"]["BILLSYNCDEMO"] == {"Companies": 3, "Contracts": 2}
    assert stats["thread_limit_refusals"] == 3
    assert stats["thread_limit_refusals_by_entity"] == {"BILLSYNCDEMO": {"Companies": 3}}
    assert stats["in_flight"] == {}


# ---------------------------------------------------------------------------
# Many databases
# ---------------------------------------------------------------------------

DB2_HEADERS = {"ApiIntegrationcode": "BILLSYNCDEMO", "Username": "api@second-msp.example",
               "Secret": "second-secret"}


def add_database(sb, name="db2", user=DB2_HEADERS, **data):
    """A second database, its API user named in the default database's merge."""
    sb.merge("autotask", {"apiUsers": [{"userName": user["Username"], "secret": user["Secret"],
                                        "database": name}]})
    if data:
        sb.control("POST", "/state/autotask", {"mode": "merge", "database": name, "data": data})


def test_databases_are_isolated_tenants(sb):
    seed_tenant(sb)
    add_database(sb)
    # the same ids in the second database hold other rows
    sb.control("POST", "/state/autotask", {"mode": "merge", "database": "db2", "data": {
        "entities": {"Companies": [{"id": COMPANY, "companyName": "Fabrikam Inc",
                                    "companyType": 1, "phone": "2", "ownerResourceID": 1}]},
        "postedThrough": {str(RECURRING): "2025-03-31"}}})
    assert sb.at("GET", "Companies/%d" % COMPANY).json()["item"]["companyName"] == "Contoso Ltd"
    assert sb.at("GET", "Companies/%d" % COMPANY, headers=DB2_HEADERS).json()[
        "item"]["companyName"] == "Fabrikam Inc"
    assert sb.at("GET", "Contracts/%d" % RECURRING, headers=DB2_HEADERS).status_code == 404
    assert adjust(sb, "2025-02-01", 4).status_code == 200       # not posted in the default
    in_db2 = sb.at("POST", "ContractServices/query", headers=DB2_HEADERS, json={"filter": ALL})
    assert in_db2.json()["items"] == []
    created = sb.at("POST", "Companies", headers=DB2_HEADERS, json={
        "companyName": "New Co", "companyType": 1, "phone": "1", "ownerResourceID": 1}).json()
    default_ids = {c["id"] for c in query(sb, "Companies", ALL)["items"]}
    assert created["itemId"] not in default_ids                  # ids stay unique
    db2 = sb.control("GET", "/state/autotask?database=db2")
    assert [c["companyName"] for c in db2["entities"]["Companies"]] == ["Fabrikam Inc", "New Co"]
    assert db2["postedThrough"] == {str(RECURRING): "2025-03-31"}
    assert db2["apiUsers"] == [{"userName": "api@second-msp.example", "secret": "second-secret",
                                "database": "db2"}]
    default = sb.state("autotask")
    assert [u["userName"] for u in default["apiUsers"]] == ["api@demo-msp.example"]
    assert len(default["entities"]["ContractServiceAdjustments"]) == 1
    missing = requests.get(sb.control_url + "/state/autotask?database=nope", timeout=5)
    assert missing.status_code == 404


def test_database_is_created_by_its_first_merge_and_users_move(sb):
    answer = sb.control("POST", "/state/autotask", {"mode": "merge", "database": "db3", "data": {
        "apiUsers": [{"userName": "api@third.example", "secret": "s3"}]}})
    assert answer == {"ok": True, "mode": "merge", "database": "db3"}
    third = dict(DB2_HEADERS, Username="api@third.example", Secret="s3")
    assert sb.at("POST", "Companies/query", headers=third, json={"filter": ALL}).json()[
        "items"] == []
    zone = requests.get(sb.at_root + "zoneInformation", params={"user": "API@third.example"},
                        timeout=5)
    assert zone.status_code == 200
    # naming the demo user for db3 moves it there
    sb.merge("autotask", {"apiUsers": [{"userName": "api@demo-msp.example",
                                        "secret": "demo-secret", "database": "db3"}]})
    assert sb.state("autotask")["apiUsers"] == []
    assert sorted(u["userName"] for u in sb.control(
        "GET", "/state/autotask?database=db3")["apiUsers"]) == ["api@demo-msp.example",
                                                                 "api@third.example"]
    assert sb.at("GET", "ThresholdInformation").status_code == 200     # works, now in db3
    stats = sb.stats()["autotask"]["databases"]
    assert set(stats) == {"default", "db3"}
    assert stats["db3"]["requests"] == {"POST Companies/query": 1, "GET ZoneInformation": 1,
                                        "GET ThresholdInformation": 1}
    bad = requests.post(sb.control_url + "/state/autotask", timeout=5, json={
        "mode": "merge", "database": "db4", "data": {"entities": {"Nope": []}}})
    assert bad.status_code == 400
    assert set(sb.stats()["autotask"]["databases"]) == {"default", "db3"}   # rolled back


def test_threshold_counts_per_database_with_external_requests(sb):
    add_database(sb)
    sb.configure("autotask", hourly_cap=6, external_request_count=2,
                 threshold_latency_50_ms=0, threshold_latency_75_ms=0)
    for _ in range(3):
        assert sb.at("GET", "Companies/1").status_code == 404
    default = sb.at("GET", "ThresholdInformation").json()
    db2 = sb.at("GET", "ThresholdInformation", headers=DB2_HEADERS).json()
    assert default == {"externalRequestThreshold": 6, "requestThresholdTimeframe": 60,
                       "currentTimeframeRequestCount": 2 + 4}
    assert db2["currentTimeframeRequestCount"] == 2 + 1
    refused = sb.at("GET", "Companies/1")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert sb.at("GET", "Companies/1", headers=DB2_HEADERS).status_code == 404
    stats = sb.stats()["autotask"]
    assert stats["databases"]["default"]["threshold_requests_in_window"] == 4
    assert stats["databases"]["db2"]["threshold_requests_in_window"] == 2
    assert stats["databases"]["default"]["threshold_refusals"] == 1
    assert stats["threshold_refusals"] == 1
    assert stats["threshold_requests_in_window"] == 4        # the busiest database


def test_thread_limit_is_per_database(sb):
    add_database(sb)
    sb.configure("autotask", processing_ms=1200)

    def call(headers):
        return sb.at("POST", "Companies/query", headers=headers, json={"filter": ALL})

    def in_flight(name):
        return sb.stats()["autotask"]["databases"][name]["in_flight"].get("BILLSYNCDEMO", {})

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        slow = [pool.submit(call, h) for h in [AT_HEADERS] * 3 + [DB2_HEADERS] * 3]
        wait_for(lambda: in_flight("default") == {"Companies": 3}
                 and in_flight("db2") == {"Companies": 3})
        refused = call(DB2_HEADERS)
        assert [f.result().status_code for f in slow] == [200] * 6
    assert refused.status_code == 429
    stats = sb.stats()["autotask"]
    for name in ("default", "db2"):
        assert stats["databases"][name]["max_concurrency"] == {"BILLSYNCDEMO": {"Companies": 3}}
    assert stats["databases"]["db2"]["thread_limit_refusals"] == 1
    assert stats["databases"]["default"]["thread_limit_refusals"] == 0
    assert stats["max_concurrency"] == {"BILLSYNCDEMO": {"Companies": 3}}
    assert stats["thread_limit_refusals_by_entity"] == {"BILLSYNCDEMO": {"Companies": 1}}


def test_processing_ms_applies_to_every_route(sb):
    seed_tenant(sb)
    sb.configure("autotask", processing_ms=150)
    base = sb.at_root.replace("V1.0/", "")
    requests.get(sb.at_root + "zoneInformation", params={"user": AT_HEADERS["Username"]},
                 timeout=5)
    requests.get(base + "versioninformation", timeout=5)
    sb.at("GET", "ThresholdInformation")
    sb.at("GET", "NoSuchEntity/1")
    first = sb.at("POST", "ContractServiceUnits/query", json={"MaxRecords": 1, "filter": ALL})
    adjust(sb, "2025-01-01", 1)
    requests.post(first.json()["pageDetails"]["nextPageUrl"] or sb.at_root + "Companies/query",
                  json={"MaxRecords": 1, "filter": ALL}, headers=AT_HEADERS, timeout=5)
    log = sb.requests("autotask")
    assert len(log) == 7
    # lower bounds only: service time is spent before answering, whatever the load
    assert all(entry["duration_ms"] >= 150 for entry in log), log


# ---------------------------------------------------------------------------
# ContractServiceUnits at scale: index, ids
# ---------------------------------------------------------------------------

def seed_contracts(sb, count=14, services=(SERVICE, SERVICE2)):
    """``count`` recurring contracts with adjustments on both services."""
    seed_tenant(sb)
    contracts = [500 + k for k in range(count)]
    rows, adjustments, cs_id, adj_id = [], [], 1000, 5000
    for k, cid in enumerate(contracts):
        rows.append(dict(id=cid, companyID=COMPANY, contractName="C%d" % k, contractType=7,
                         contractPeriodType=MONTHLY, status=1, startDate="2025-01-01",
                         endDate="2026-06-30"))
    cs_rows = []
    for cid in contracts:
        for sid in services:
            cs_rows.append({"id": cs_id, "contractID": cid, "serviceID": sid})
            for day, change in (("2025-01-01", 5), ("2025-04-10", 2), ("2025-09-20", -1)):
                adjustments.append({"id": adj_id, "contractID": cid, "serviceID": sid,
                                    "contractServiceID": cs_id, "effectiveDate": day,
                                    "unitChange": change})
                adj_id += 1
            cs_id += 1
    sb.merge("autotask", {"entities": {"Contracts": rows, "ContractServices": cs_rows,
                                       "ContractServiceAdjustments": adjustments}})
    return contracts


def all_pages(sb, entity, filters):
    body = {"MaxRecords": 500, "filter": filters}
    page = sb.at("POST", entity + "/query", json=body).json()
    items = list(page["items"])
    while page["pageDetails"]["nextPageUrl"]:
        page = requests.post(page["pageDetails"]["nextPageUrl"], json=body, headers=AT_HEADERS,
                             timeout=5).json()
        items += page["items"]
    return items


def test_units_in_query_equals_per_contract_queries(sb):
    contracts = seed_contracts(sb)
    per_contract = []
    for cid in contracts:
        per_contract += all_pages(sb, "ContractServiceUnits",
                                  [{"op": "eq", "field": "contractID", "value": cid}])
    together = all_pages(sb, "ContractServiceUnits",
                         [{"op": "in", "field": "contractID", "value": contracts + [99999]}])
    assert len(together) > 500                                  # more than one page
    assert together == sorted(per_contract, key=lambda r: r["id"])
    assert len({r["id"] for r in together}) == len(together)
    # other filters still apply, and the index also narrows inside an and group
    day = "2025-05-15"
    on_day = [{"op": "lte", "field": "startDate", "value": day},
              {"op": "gte", "field": "endDate", "value": day}]
    grouped = all_pages(sb, "ContractServiceUnits", [{"op": "and", "items": [
        {"op": "in", "field": "contractID", "value": [str(c) for c in contracts]}] + on_day}])
    assert grouped == [r for r in together if r["startDate"][:10] <= day <= r["endDate"][:10]]
    assert {r["units"] for r in grouped} == {7} and len(grouped) == 2 * len(contracts)
    count = sb.at("POST", "ContractServiceUnits/query/count", json={"filter": [
        {"op": "in", "field": "contractID", "value": contracts[:3]},
        {"op": "eq", "field": "contractID", "value": contracts[1]}]}).json()
    assert count == {"queryCount": len([r for r in together if r["contractID"] == contracts[1]])}
    services = all_pages(sb, "ContractServices", [
        {"op": "in", "field": "contractID", "value": contracts[:4]},
        {"op": "eq", "field": "serviceID", "value": SERVICE2}])
    assert [(r["contractID"], r["serviceID"]) for r in services] == [
        (c, SERVICE2) for c in contracts[:4]]


def test_unit_ids_are_stable_and_readable(sb):
    contracts = seed_contracts(sb, count=2)
    units = all_pages(sb, "ContractServiceUnits", [
        {"op": "in", "field": "contractID", "value": contracts}])
    again = all_pages(sb, "ContractServiceUnits", [
        {"op": "in", "field": "contractID", "value": contracts}])
    assert units == again
    split = next(u for u in units if u["startDate"].startswith("2025-04-10"))
    period = next(u for u in units if u["startDate"].startswith("2025-02-01"))
    for row in (split, period):
        assert sb.at("GET", "ContractServiceUnits/%d" % row["id"]).json() == {"item": row}
        child = sb.at("GET", "Contracts/%d/ServiceUnits/%d" % (row["contractID"], row["id"]))
        assert child.json() == {"item": row}
    assert sb.at("GET", "ContractServiceUnits/%d" % (period["id"] + 10 ** 6)).status_code == 404
    # an adjustment of one service leaves the other rows (and their ids) alone
    cs = split["contractServiceID"]
    assert sb.at("POST", "Contracts/%d/ServiceAdjustments" % split["contractID"], json={
        "contractID": split["contractID"], "contractServiceID": cs,
        "effectiveDate": "2025-06-05", "unitChange": 3}).status_code == 200
    after = all_pages(sb, "ContractServiceUnits", [
        {"op": "in", "field": "contractID", "value": contracts}])
    others = lambda rows: [r for r in rows if r["contractServiceID"] != cs]
    assert others(after) == others(units)
    june = [r for r in after if r["contractServiceID"] == cs and r["startDate"][:7] == "2025-06"]
    assert [(r["startDate"][:10], r["units"]) for r in june] == [("2025-06-01", 7),
                                                                  ("2025-06-05", 10)]
    listed = sb.at("GET", "Contracts/%d/ServiceUnits" % split["contractID"]).json()["items"]
    assert listed == [r for r in after if r["contractID"] == split["contractID"]]


# ---------------------------------------------------------------------------
# State file (own processes)
# ---------------------------------------------------------------------------

def company_rows(first, count, name="Company"):
    return [{"id": first + i, "companyName": "%s %05d" % (name, i), "companyType": 1,
             "phone": "+1 555 0100", "ownerResourceID": 1, "address1": "x" * 100}
            for i in range(count)]


def test_databases_survive_a_restart(tmp_path):
    state_file = tmp_path / "state.json"
    first = start_sandbox(tmp_path, "--seed", "empty", "--state-file", str(state_file))
    try:
        add_database(first, entities={"Companies": company_rows(10, 2, "Second")})
        assert first.at("POST", "Companies", headers=DB2_HEADERS, json={
            "companyName": "Via API", "companyType": 1, "phone": "1",
            "ownerResourceID": 1}).status_code == 200
        saved = json.loads(state_file.read_text())["systems"]["autotask"]
        assert "ContractServiceUnits" not in saved["entities"]      # derived, not saved
        assert [c["companyName"] for c in saved["databases"]["db2"]["entities"]["Companies"]] \
            == ["Second 00000", "Second 00001", "Via API"]
    finally:
        stop_sandbox(first)
    second = start_sandbox(tmp_path, "--seed", "demo", "--state-file", str(state_file))
    try:
        names = [c["companyName"] for c in second.at(
            "POST", "Companies/query", headers=DB2_HEADERS, json={"filter": ALL}).json()["items"]]
        assert names == ["Second 00000", "Second 00001", "Via API"]
        assert second.state("autotask")["entities"]["Companies"] == []
    finally:
        stop_sandbox(second)


def test_large_state_file_is_written_in_the_background_and_at_shutdown(tmp_path):
    state_file = tmp_path / "state.json"
    sandbox = start_sandbox(tmp_path, "--seed", "empty", "--state-file", str(state_file))

    def saved_names():
        companies = json.loads(state_file.read_text())["systems"]["autotask"]["entities"][
            "Companies"]
        return {c["companyName"] for c in companies}

    try:
        sandbox.merge("autotask", {"entities": {"Companies": company_rows(1000, 6000)}})
        assert state_file.stat().st_size > 1024 * 1024        # written before the answer
        new = dict(company_rows(0, 1)[0], companyName="Background Co")
        del new["id"]
        assert sandbox.at("POST", "Companies", json=new).status_code == 200
        wait_for(lambda: "Background Co" in saved_names(), timeout=15)
        last = dict(new, companyName="Shutdown Co")
        assert sandbox.at("POST", "Companies", json=last).status_code == 200
    finally:
        os.kill(sandbox.pid, signal.SIGTERM)
        sandbox.proc.wait(timeout=30)
    assert "Shutdown Co" in saved_names()
    assert [p.name for p in tmp_path.iterdir() if ".tmp." in p.name] == []
