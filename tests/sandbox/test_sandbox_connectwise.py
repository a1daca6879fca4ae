"""Tests of the ConnectWise Manage REST 3.0 simulator (doc/psa-apis.md Part B)."""

import re
import threading
import types

import pytest
import requests

import sim_connectwise
from conftest import CW_AUTH, CW_HEADERS

COMPANY, CONTACT = 10, 11
MONTHLY_PRORATE, MONTHLY_NO_PRORATE, ONE_TIME = 20, 21, 22
PRODUCT, BUNDLE = 30, 31


def seed_tenant(sb):
    """A company, a catalog item and three agreements with billing start 2025-02-01."""
    agreement = {"name": "Managed Cloud", "type": {"id": 1}, "company": {"id": COMPANY},
                 "contact": {"id": CONTACT}, "startDate": "2025-01-01T00:00:00Z",
                 "endDate": "2027-12-31T00:00:00Z", "billStartDate": "2025-02-01T00:00:00Z",
                 "billingCycle": {"id": 1}, "prorateFlag": True,
                 "nextInvoiceDate": "2025-02-01"}
    sb.merge("connectwise", {"collections": {
        "finance/agreements/types": [{"id": 1, "name": "Managed Services"}],
        "finance/billingCycles": [{"id": 1, "name": "Monthly", "billingOptions": "Monthly"},
                                  {"id": 4, "name": "One-Time",
                                   "billingOptions": "NotRecurring"}],
        "company/companies": [{"id": COMPANY, "identifier": "ContosoLtd",
                               "name": "Contoso Ltd", "city": "Springfield"},
                              {"id": COMPANY + 100, "identifier": "Fabrikam",
                               "name": "Fabrikam Inc", "city": "Seattle"}],
        "company/contacts": [{"id": CONTACT, "firstName": "Bill", "lastName": "Payer",
                              "company": {"id": COMPANY}}],
        "procurement/catalog": [
            {"id": PRODUCT, "identifier": "M365-BS", "description": "M365 Business Standard",
             "customerDescription": "x", "subcategory": {"id": 1}, "type": {"id": 1},
             "price": 15.0, "cost": 12.5},
            {"id": BUNDLE, "identifier": "BUNDLE", "description": "Bundle",
             "customerDescription": "x", "subcategory": {"id": 1}, "type": {"id": 1},
             "productClass": "Bundle"}],
        "finance/agreements": [
            dict(agreement, id=MONTHLY_PRORATE),
            dict(agreement, id=MONTHLY_NO_PRORATE, prorateFlag=False,
                 nextInvoiceDate="2025-06-01"),
            dict(agreement, id=ONE_TIME, name="Annual", billingCycle={"id": 4},
                 oneTimeFlag=True)],
    }})


def additions_path(agreement):
    return "finance/agreements/%d/additions" % agreement


def post_addition(sb, agreement=MONTHLY_PRORATE, **fields):
    body = {"product": {"id": PRODUCT}, "quantity": 24, "billCustomer": "Billable",
            "effectiveDate": "2025-03-01T00:00:00Z"}
    body.update(fields)
    return sb.cw("POST", additions_path(agreement), json=body)


def links(resp):
    """rel -> URL of an RFC 5988 Link header."""
    return {rel: url for url, rel in re.findall(r'<([^>]+)>;\s*rel="(\w+)"',
                                                resp.headers.get("Link", ""))}


# ---------------------------------------------------------------------------
# Company info and authentication
# ---------------------------------------------------------------------------

def test_company_info_gives_codebase(sb):
    info = requests.get(sb.cw_site + "login/companyinfo/DemoMSP", timeout=5)
    assert info.status_code == 200
    assert info.json()["Codebase"] == "v4_6_release/"
    assert requests.get(sb.cw_site + "login/companyinfo/other", timeout=5).status_code == 404


def test_auth_success_and_documented_failures(sb):
    assert sb.cw("GET", "system/info").status_code == 200
    no_client = sb.cw("GET", "company/companies", headers={})
    assert no_client.status_code == 400 and "clientId" in no_client.json()["message"]
    unknown_client = sb.cw("GET", "company/companies", headers={"clientId": "other"})
    assert unknown_client.status_code == 400
    bad_key = sb.cw("GET", "company/companies", auth=("demomsp+demopub", "wrong"))
    assert bad_key.status_code == 401
    assert set(bad_key.json()) == {"code", "message", "errors"}
    wrong_company = sb.cw("GET", "company/companies", auth=("other+demopub", "demopriv"))
    assert wrong_company.status_code == 401
    sb.configure("connectwise", auth_failure_status=404)
    assert sb.cw("GET", "company/companies", auth=None).status_code == 404


# ---------------------------------------------------------------------------
# Paging
# ---------------------------------------------------------------------------

def seed_additions(sb, count):
    rows = [{"id": 5000 + i, "agreementId": MONTHLY_PRORATE, "product": {"id": PRODUCT},
             "quantity": i % 7, "billCustomer": "Billable",
             "effectiveDate": "2025-03-01T00:00:00Z"} for i in range(count)]
    sb.merge("connectwise", {"collections": {"finance/additions": rows}})


def test_2500_additions_in_three_pages_with_link_headers(sb):
    seed_tenant(sb)
    seed_additions(sb, 2500)
    first = sb.cw("GET", additions_path(MONTHLY_PRORATE), params={"pageSize": 1000})
    assert first.status_code == 200 and len(first.json()) == 1000
    assert set(links(first)) == {"next", "last"}
    assert "page=3" in links(first)["last"]
    seen = [a["id"] for a in first.json()]
    second = requests.get(links(first)["next"], headers=CW_HEADERS, auth=CW_AUTH, timeout=5)
    assert set(links(second)) == {"first", "prev", "next", "last"}
    third = requests.get(links(second)["next"], headers=CW_HEADERS, auth=CW_AUTH, timeout=5)
    assert set(links(third)) == {"first", "prev"}
    seen += [a["id"] for a in second.json() + third.json()]
    assert len(seen) == 2500 and len(set(seen)) == 2500
    capped = sb.cw("GET", additions_path(MONTHLY_PRORATE), params={"pageSize": 5000})
    assert len(capped.json()) == 1000
    default = sb.cw("GET", additions_path(MONTHLY_PRORATE))
    assert len(default.json()) == 25
    count = sb.cw("GET", additions_path(MONTHLY_PRORATE) + "/count",
                  params={"conditions": "quantity = 0"})
    assert count.json() == {"count": 358}


def test_forward_only_pagination(sb):
    seed_tenant(sb)
    seed_additions(sb, 2500)
    headers = dict(CW_HEADERS, **{"pagination-type": "forward-only"})
    url, seen = sb.cw_root + additions_path(MONTHLY_PRORATE) + "?pageSize=1000", []
    while url:
        resp = requests.get(url, headers=headers, auth=CW_AUTH, timeout=5)
        seen += [a["id"] for a in resp.json()]
        url = links(resp).get("next")
    assert len(seen) == 2500 and seen == sorted(seen)
    refused = sb.cw("GET", additions_path(MONTHLY_PRORATE), headers=headers,
                    params={"orderBy": "id desc"})
    assert refused.status_code == 400


# ---------------------------------------------------------------------------
# Conditions, fields, orderBy
# ---------------------------------------------------------------------------

def test_conditions_syntax(sb):
    seed_tenant(sb)
    post_addition(sb, quantity=5, effectiveDate="2025-02-01T00:00:00Z")
    post_addition(sb, quantity=9, cancelledDate="2025-04-30T00:00:00Z")

    def company_names(conditions):
        resp = sb.cw("GET", "company/companies", params={"conditions": conditions})
        assert resp.status_code == 200, resp.text
        return [c["name"] for c in resp.json()]

    def additions(conditions):
        resp = sb.cw("GET", additions_path(MONTHLY_PRORATE), params={"conditions": conditions})
        assert resp.status_code == 200, resp.text
        return [a["quantity"] for a in resp.json()]

    assert company_names('identifier = "ContosoLtd"') == ["Contoso Ltd"]
    assert company_names('name != "Contoso Ltd"') == ["Fabrikam Inc"]
    assert company_names('name like "fab*"') == ["Fabrikam Inc"]
    assert company_names('name not like "fab*"') == ["Contoso Ltd"]
    assert company_names('name contains "oso"') == ["Contoso Ltd"]
    assert company_names("id in (10, 999)") == ["Contoso Ltd"]
    assert company_names('(id > 10 and id <= 110) or name = "Contoso Ltd"') == [
        "Contoso Ltd", "Fabrikam Inc"]
    assert company_names("id < 10 OR id >= 111") == []
    assert company_names('status/name = "Active" and deletedFlag = false') == [
        "Contoso Ltd", "Fabrikam Inc"]
    assert additions("cancelledDate = null") == [5]
    assert additions("cancelledDate != null") == [9]
    assert additions("effectiveDate > [2025-02-15T00:00:00Z]") == [9]
    assert additions('product/identifier = "M365-BS" and quantity >= 5') == [5, 9]
    agreements = sb.cw("GET", "finance/agreements", params={"conditions": "company/id = 10"})
    assert len(agreements.json()) == 3
    bad = sb.cw("GET", "company/companies", params={"conditions": 'name = "unterminated'})
    assert bad.status_code == 400 and set(bad.json()) == {"code", "message", "errors"}
    unknown = sb.cw("GET", "company/companies", params={"conditions": "nosuch = 1"})
    assert unknown.status_code == 400


def test_fields_and_order_by(sb):
    seed_tenant(sb)
    resp = sb.cw("GET", "company/companies",
                 params={"fields": "id,name,status/name", "orderBy": "name desc"})
    assert resp.json() == [
        {"id": 110, "name": "Fabrikam Inc", "status": {"name": "Active"}},
        {"id": 10, "name": "Contoso Ltd", "status": {"name": "Active"}}]


# ---------------------------------------------------------------------------
# Agreements and additions
# ---------------------------------------------------------------------------

def test_addition_crud_and_json_patch(sb):
    seed_tenant(sb)
    created = post_addition(sb, effectiveDate="2025-03-16T00:00:00Z")
    assert created.status_code == 201, created.text
    row = created.json()
    assert row["agreementId"] == MONTHLY_PRORATE and row["unitPrice"] == 15.0
    assert row["extPrice"] == 360.0 and row["margin"] == 60.0
    assert row["prorateCurrentPeriodFlag"] is True and row["proratePrice"] == 7.74
    path = additions_path(MONTHLY_PRORATE) + "/%d" % row["id"]
    patched = sb.cw("PATCH", path, json=[{"op": "replace", "path": "quantity", "value": 27},
                                         {"op": "replace", "path": "/cancelledDate",
                                          "value": "2025-12-31T00:00:00Z"}])
    assert patched.status_code == 200
    assert patched.json()["quantity"] == 27
    assert patched.json()["cancelledDate"] == "2025-12-31T00:00:00Z"
    nested = sb.cw("PATCH", path, json=[{"op": "replace", "path": "product/identifier",
                                         "value": "OTHER"}])
    assert nested.status_code == 200 and nested.json()["product"]["identifier"] == "M365-BS"
    unknown = sb.cw("PATCH", path, json=[{"op": "replace", "path": "nosuch", "value": 1}])
    assert unknown.status_code == 400
    replaced = sb.cw("PUT", path, json={"product": {"identifier": "m365-bs"},
                                        "billCustomer": "DoNotBill", "quantity": 3,
                                        "effectiveDate": "2025-03-16T00:00:00Z"})
    assert replaced.status_code == 200
    assert replaced.json()["cancelledDate"] is None and replaced.json()["quantity"] == 3
    assert sb.cw("GET", path).json()["billCustomer"] == "DoNotBill"
    assert sb.cw("DELETE", path).status_code == 204
    assert sb.cw("GET", path).status_code == 404


def test_addition_before_billing_start_is_rejected(sb):
    seed_tenant(sb)
    early = post_addition(sb, effectiveDate="2025-01-15T00:00:00Z")
    assert early.status_code == 400
    body = early.json()
    assert body["code"] == "InvalidObject"
    assert body["errors"][0]["field"] == "effectiveDate"
    assert "billing start date" in body["errors"][0]["message"]
    sb.configure("connectwise", billstart_message="msp360")
    worded = post_addition(sb, effectiveDate="2025-01-15T00:00:00Z").json()
    assert "cannot precede the Billing Start Date: 2025-02-01" in worded["errors"][0]["message"]
    assert post_addition(sb, effectiveDate="2025-02-01T00:00:00Z").status_code == 201


def test_invoiced_period_and_other_addition_rules(sb):
    seed_tenant(sb)
    invoiced = post_addition(sb, MONTHLY_NO_PRORATE, effectiveDate="2025-05-10T00:00:00Z")
    assert invoiced.status_code == 400
    assert "already been invoiced" in invoiced.json()["errors"][0]["message"]
    later = post_addition(sb, MONTHLY_NO_PRORATE, effectiveDate="2025-06-01T00:00:00Z")
    assert later.status_code == 201 and later.json()["proratePrice"] == 0
    one_time = post_addition(sb, ONE_TIME, effectiveDate="2025-03-10T00:00:00Z",
                             cancelledDate="2025-03-31T00:00:00Z")
    assert one_time.status_code == 201 and one_time.json()["prorateCurrentPeriodFlag"] is False
    assert post_addition(sb, product={"id": BUNDLE}).status_code == 400
    assert post_addition(sb, billCustomer="Sometimes").status_code == 400
    assert post_addition(sb, product={"id": 999}).status_code == 400
    assert sb.cw("POST", additions_path(999), json={}).status_code == 404


def test_addition_text_lengths_are_the_documented_ones(sb):
    """invoiceDescription takes 6,000 characters, serialNumber 50 (reference B8): more is a 400
    MaxLengthField, on POST and on a PATCH alike."""
    seed_tenant(sb)
    assert post_addition(sb, invoiceDescription="x" * 6000).status_code == 201
    long = post_addition(sb, invoiceDescription="x" * 6001)
    assert long.status_code == 400 and long.json()["errors"][0]["code"] == "MaxLengthField"
    assert long.json()["errors"][0]["field"] == "invoiceDescription"
    assert post_addition(sb, serialNumber="s" * 51).status_code == 400
    made = post_addition(sb, invoiceDescription="Microsoft 365 Business Standard").json()
    patch = sb.cw("PATCH", additions_path(MONTHLY_PRORATE) + "/%d" % made["id"],
                  json=[{"op": "replace", "path": "invoiceDescription", "value": "y" * 6001}])
    assert patch.status_code == 400


def test_agreement_and_catalog_validation(sb):
    seed_tenant(sb)
    created = sb.cw("POST", "finance/agreements", json={
        "name": "Backup", "type": {"id": 1}, "company": {"id": COMPANY},
        "contact": {"id": CONTACT}, "startDate": "2025-01-01T00:00:00Z",
        "billingCycle": {"id": 1}})
    assert created.status_code == 201
    assert created.json()["billStartDate"] == "2025-01-01T00:00:00Z"
    assert created.json()["company"]["identifier"] == "ContosoLtd"
    no_contact = sb.cw("POST", "finance/agreements", json={
        "name": "x", "type": {"id": 1}, "company": {"id": COMPANY}})
    assert no_contact.status_code == 400
    assert no_contact.json()["errors"][0]["field"] == "contact"
    duplicate = sb.cw("POST", "procurement/catalog", json={
        "identifier": "M365-BS", "description": "dup", "customerDescription": "x",
        "subcategory": {"id": 1}, "type": {"id": 1}})
    assert duplicate.json()["errors"][0]["code"] == "ObjectExists"
    assert sb.cw("POST", "finance/agreements/types", json={"name": "x"}).status_code == 405


def test_rate_limit_answers_429_with_retry_after(sb):
    sb.configure("connectwise", rate_limit_per_minute=3)
    for _ in range(3):
        assert sb.cw("GET", "system/info").status_code == 200
    throttled = sb.cw("GET", "system/info")
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["message"].startswith("Too many requests")
    assert sb.stats()["connectwise"]["throttled"] == 1


# ---------------------------------------------------------------------------
# Companies (tenants)
# ---------------------------------------------------------------------------

def member(company):
    return {"publicKey": "%s-pub" % company, "privateKey": "%s-priv" % company,
            "identifier": "api-%s" % company, "company": company}


def login(company):
    return ("%s+%s-pub" % (company, company), "%s-priv" % company)


def tenant_part(name, quantity):
    """One company's collections: company 10, agreement 20, one addition of ``quantity``."""
    return {"companyName": name.upper(), "collections": {
        "finance/agreements/types": [{"id": 1, "name": "Managed Services"}],
        "finance/billingCycles": [{"id": 1, "name": "Monthly", "billingOptions": "Monthly"}],
        "company/companies": [{"id": COMPANY, "identifier": "C-" + name, "name": name + " customer",
                               "city": "X"}],
        "company/contacts": [{"id": CONTACT, "firstName": "A", "company": {"id": COMPANY}}],
        "procurement/catalog": [{"id": PRODUCT, "identifier": "M365-BS", "description": "BS",
                                 "customerDescription": "x", "subcategory": {"id": 1},
                                 "type": {"id": 1}, "price": 15.0, "cost": 12.5}],
        "finance/agreements": [{"id": MONTHLY_PRORATE, "name": name + " agreement",
                                "type": {"id": 1}, "company": {"id": COMPANY},
                                "contact": {"id": CONTACT}, "billingCycle": {"id": 1},
                                "billStartDate": "2025-01-01T00:00:00Z", "prorateFlag": True}],
        "finance/additions": [{"id": 100, "agreementId": MONTHLY_PRORATE,
                               "product": {"id": PRODUCT}, "quantity": quantity,
                               "billCustomer": "Billable",
                               "effectiveDate": "2025-02-01T00:00:00Z"}]}}


def seed_companies(sb):
    sb.merge("connectwise", {"apiMembers": [member("msp1"), member("msp2")],
                             "tenants": {"msp1": tenant_part("msp1", 5),
                                         "msp2": tenant_part("msp2", 9)}})


def test_two_companies_are_isolated(sb):
    seed_companies(sb)
    one, two = login("msp1"), login("msp2")
    path = additions_path(MONTHLY_PRORATE)
    assert [a["quantity"] for a in sb.cw("GET", path, auth=one).json()] == [5]
    assert [a["quantity"] for a in sb.cw("GET", path, auth=two).json()] == [9]
    assert sb.cw("GET", "finance/agreements/%d" % MONTHLY_PRORATE, auth=two).json()["name"] == \
        "msp2 agreement"
    assert sb.cw("GET", path).status_code == 404                    # the default has none
    created = sb.cw("POST", path, auth=one, json={
        "product": {"id": PRODUCT}, "quantity": 2, "billCustomer": "Billable",
        "effectiveDate": "2025-03-01T00:00:00Z"})
    assert created.status_code == 201 and created.json()["id"] == 1000   # msp1's own ids
    assert created.json()["sequenceNumber"] == 2
    assert created.json()["_info"]["updatedBy"] == "api-msp1"
    assert sb.cw("GET", path + "/1000", auth=two).status_code == 404
    assert sb.cw("GET", path + "/count", auth=one).json() == {"count": 2}
    assert sb.cw("GET", path + "/count", auth=two).json() == {"count": 1}
    assert sb.cw("GET", "system/info", auth=("msp1+msp2-pub", "msp2-priv")).status_code == 401
    assert sb.cw("GET", "system/info", auth=("MSP1+msp1-pub", "msp1-priv")).status_code == 200
    assert sb.cw("GET", "system/info").status_code == 200          # the demo login still works
    info = requests.get(sb.cw_site + "login/companyinfo/msp2", timeout=5).json()
    assert info["CompanyID"] == "msp2" and info["CompanyName"] == "MSP2"
    companies = sb.stats()["connectwise"]["companies"]
    assert set(companies) == {"demomsp", "msp1", "msp2"}
    assert companies["msp1"]["requests"] == {
        "GET finance/agreements/{id}/additions": 1, "POST finance/agreements/{id}/additions": 1,
        "GET finance/agreements/{id}/additions/count": 1, "GET system/info": 2}
    assert companies["msp2"]["total_requests"] == 5    # companyinfo included; not the wrong login
    assert companies["demomsp"]["total_requests"] == 2


def test_each_company_has_its_own_rate_window(sb):
    seed_companies(sb)
    sb.configure("connectwise", rate_limit_per_minute=3)
    codes = [sb.cw("GET", "system/info", auth=login("msp1")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert [sb.cw("GET", "system/info", auth=login("msp2")).status_code
            for _ in range(3)] == [200, 200, 200]
    assert sb.cw("GET", "system/info").status_code == 200
    stats = sb.stats()["connectwise"]
    assert stats["throttled"] == 1 and stats["requests_in_rate_window"] == 7
    assert stats["companies"]["msp1"]["throttled"] == 1
    assert stats["companies"]["msp1"]["requests_in_rate_window"] == 3
    assert stats["companies"]["msp2"]["throttled"] == 0


def test_company_state_round_trip_and_failed_merges_change_nothing(sb):
    seed_companies(sb)
    state = sb.state("connectwise")
    assert state["companyId"] == "demomsp" and set(state["tenants"]) == {"msp1", "msp2"}
    assert state["tenants"]["msp1"]["apiMembers"] == [member("msp1")]
    assert state["tenants"]["msp2"]["collections"]["finance/additions"][0]["quantity"] == 9
    for data in ({"tenants": {"msp1": {"collections": {"company/companies": [{"id": 99}]}},
                              "msp3": {"collections": {"finance/additions": [
                                  {"id": 5, "agreementId": 20, "effectiveDate": "soon"}]}}}},
                 {"companyId": "msp1"},                                 # taken
                 {"tenants": {"msp2": {"companyId": "other"}}},
                 {"tenants": {"msp2": {"tenants": {}}}}):
        resp = requests.post(sb.control_url + "/state/connectwise", timeout=5,
                             json={"mode": "merge", "data": data})
        assert resp.status_code == 400, data
        assert sb.state("connectwise") == state
    requests.post(sb.control_url + "/state/connectwise", timeout=5,
                  json={"mode": "replace", "data": state}).raise_for_status()
    assert sb.state("connectwise") == state
    assert sb.cw("GET", additions_path(MONTHLY_PRORATE), auth=login("msp2")).status_code == 200


def test_merge_and_dump_of_one_company_in_process():
    """``merge_state``/``load_state``/``dump_state`` with a company, as the control API's
    ``"company"`` key uses them."""
    sim = sim_connectwise.ConnectWiseSim(types.SimpleNamespace(lock=threading.RLock(),
                                                               sleep=lambda s: None))
    sim.seed("empty")
    sim.merge_state(dict(tenant_part("msp17", 4), apiMembers=[
        {"publicKey": "k", "privateKey": "s"}]), "msp17")
    part = sim.dump_state("MSP17")
    assert part["companyId"] == "msp17" and part["apiMembers"] == [
        {"publicKey": "k", "privateKey": "s"}]
    assert part["collections"]["finance/additions"][0]["sequenceNumber"] == 1
    assert sim.dump_state()["tenants"]["msp17"] == part
    sim.merge_state({"companyName": "Renamed Demo"}, "DemoMSP")         # the default
    assert sim.dump_state()["companyName"] == "Renamed Demo"
    sim.load_state({"collections": {"finance/billingCycles": [{"id": 7, "name": "M"}]}},
                   "msp17")
    replaced = sim.dump_state("msp17")
    assert replaced["apiMembers"] == [] and replaced["collections"]["finance/additions"] == []
    assert [c["id"] for c in replaced["collections"]["finance/billingCycles"]] == [7]
    with pytest.raises(KeyError):
        sim.dump_state("nope")


def test_additions_index_follows_merges_and_deletes(sb):
    seed_tenant(sb)
    seed_additions(sb, 30)
    sb.merge("connectwise", {"collections": {"finance/additions": [
        {"id": 5000, "agreementId": MONTHLY_NO_PRORATE}]}})
    assert sb.cw("GET", additions_path(MONTHLY_PRORATE) + "/count").json() == {"count": 29}
    moved = sb.cw("GET", additions_path(MONTHLY_NO_PRORATE)).json()
    assert [a["id"] for a in moved] == [5000] and moved[0]["quantity"] == 0
    assert sb.cw("GET", additions_path(MONTHLY_PRORATE) + "/5000").status_code == 404
    by_billed = sb.cw("GET", additions_path(MONTHLY_PRORATE),
                      params={"orderBy": "billedQuantity desc,id", "pageSize": 3,
                              "fields": "id,billedQuantity"}).json()
    assert by_billed == [{"id": 5006, "billedQuantity": 6.0}, {"id": 5013, "billedQuantity": 6.0},
                         {"id": 5020, "billedQuantity": 6.0}]
    headers = dict(CW_HEADERS, **{"pagination-type": "forward-only"})
    page = requests.get(sb.cw_root + additions_path(MONTHLY_PRORATE), auth=CW_AUTH,
                        headers=headers, params={"pageSize": 10, "pageId": 5020}, timeout=5)
    assert [a["id"] for a in page.json()] == list(range(5021, 5030))
    assert "Link" not in page.headers
    assert sb.cw("DELETE", "finance/agreements/%d" % MONTHLY_PRORATE).status_code == 204
    assert sb.state("connectwise")["collections"]["finance/additions"] == [
        a for a in sb.state("connectwise")["collections"]["finance/additions"]
        if a["agreementId"] == MONTHLY_NO_PRORATE]
    assert len(sb.state("connectwise")["collections"]["finance/additions"]) == 1


def test_control_api_company_key(sb):
    def state_call(method, body=None, query=""):
        return requests.request(method, sb.control_url + "/state/connectwise" + query,
                                json=body, timeout=5)

    assert state_call("POST", {"mode": "merge", "company": "msp17",
                               "data": dict(tenant_part("msp17", 3), apiMembers=[
                                   {"publicKey": "k17", "privateKey": "s17"}])}).status_code == 200
    part = state_call("GET", query="?company=msp17").json()
    assert part["companyId"] == "msp17" and "tenants" not in part
    assert part["collections"]["finance/additions"][0]["quantity"] == 3
    assert sb.cw("GET", additions_path(MONTHLY_PRORATE), auth=("msp17+k17", "s17")).json()[0][
        "quantity"] == 3
    assert state_call("GET", query="?company=nope").status_code == 404
    assert state_call("GET", query="?company=DemoMSP").json()["companyId"] == "demomsp"
    assert state_call("POST", {"mode": "replace", "company": "msp17",
                               "data": {"companyName": "Fresh"}}).status_code == 200
    fresh = state_call("GET", query="?company=msp17").json()
    assert fresh["companyName"] == "Fresh" and fresh["apiMembers"] == []
    assert sb.state("connectwise")["tenants"]["msp17"] == fresh
