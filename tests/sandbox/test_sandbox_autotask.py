"""Tests of the Autotask REST v1.0 simulator (doc/psa-apis.md Part A)."""

import concurrent.futures
import json
import time

import requests

from conftest import AT_HEADERS

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
