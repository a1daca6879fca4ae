"""test_psa_connectwise.py: contract tests of the ConnectWise connector
(app/connectors/connectwise*.c) through build/tools/psa_probe against a dedicated API sandbox:
Basic auth + clientId, Link-header paging, every fault knob (retried, or reported with
ConnectWise's own words and no duplicated write), tolerant/strict parsing, the billing-start
rule, unit changes (PATCH vs new addition) verified by reading the additions back, one-time
charges keyed in the addition description, and creates."""
import base64
import datetime as dt
import json

import pytest

from contract import contract_fixtures
from psa_sandbox import connectwise_settings
from testclock import today


sandbox, sb, probe = contract_fixtures("psa", "connectwise", connectwise_settings, seed="empty")


# -- helpers over the sandbox's store ---------------------------------------------------------

def rows(sb, path):
    return sb.state("connectwise")["collections"][path]


def agreement_id(sb, company, name="Managed Cloud Services"):
    companies = {c["name"]: c["id"] for c in rows(sb, "company/companies")}
    return next(a["id"] for a in rows(sb, "finance/agreements")
                if a["company"]["id"] == companies[company] and a["name"] == name)


def product_id(sb, sku):
    return next(c["id"] for c in rows(sb, "procurement/catalog") if c["identifier"] == sku)


def additions_of(sb, agreement, product=None):
    return [a for a in rows(sb, "finance/additions") if a["agreementId"] == agreement
            and (product is None or a["product"]["id"] == product)]


def writes(sb, method, fragment="additions"):
    return [r for r in sb.requests("connectwise") if r["method"] == method and fragment in r["path"]]


def next_month_day(day):
    d = today().replace(day=1) + dt.timedelta(days=32)
    return d.replace(day=day)


# -- auth -------------------------------------------------------------------------------------

def test_basic_auth_and_client_id(sb, probe):
    assert probe("test") == {"summary": "13 companies"}
    names = {r["name"] for r in probe("accounts")["records"]}
    assert "Contoso Ltd" in names and len(names) == 13
    basic = base64.b64encode(b"demomsp+demopub:demopriv").decode()
    assert "demopriv" not in probe.last_stderr and basic not in probe.last_stderr


@pytest.mark.parametrize("status", [401, 404])
def test_wrong_keys_are_an_auth_error_in_connectwises_words(sb, probe, status):
    sb.configure("connectwise", auth_failure_status=status)
    err = probe.error("accounts", settings=connectwise_settings(sb, private_key="N0t-The-Key"))
    assert err["kind"] == "auth" and err["http_status"] == status
    assert err["message"] == "UserNotAuthenticated" and "public key and private key" in err["hint"]
    assert "N0t-The-Key" not in probe.last_stderr


def test_unregistered_client_id_and_missing_setting(sb, probe):
    err = probe.error("test", settings=connectwise_settings(sb, client_id="someone-else"))
    assert err["kind"] == "config" and "clientId" in err["message"] and err["http_status"] == 400
    settings = connectwise_settings(sb)
    del settings["public_key"]
    err = probe.error("test", settings=settings)
    assert err["kind"] == "config" and "public key" in err["message"]


def test_site_with_an_api_path_is_used_as_given(sb, probe):
    site = "http://127.0.0.1:%d/v2025_1/apis/3.0" % sb.ready["connectwise"]
    assert probe("test", settings=connectwise_settings(sb, site=site)) == {"summary": "13 companies"}
    assert "/v2025_1/apis/3.0/company/companies/count" in sb.requests("connectwise")[-1]["path"]


def test_bad_credentials_fault(sb, probe):
    sb.fault(system="connectwise", kind="bad_credentials", path="finance/agreements")
    err = probe.error("contracts")
    assert err["kind"] == "auth" and err["message"] == "UserNotAuthenticated"


# -- paging -----------------------------------------------------------------------------------

def test_paging_follows_the_link_header_across_2500_additions(sb, probe):
    agreement, product = agreement_id(sb, "Contoso Ltd"), product_id(sb, "BACKUP-GB")
    new = [{"id": 50000 + i, "agreementId": agreement, "sequenceNumber": 100 + i,
            "product": {"id": product, "identifier": "BACKUP-GB"}, "quantity": 1,
            "billCustomer": "Billable", "effectiveDate": "2025-02-01T00:00:00Z",
            "unitPrice": 0.1, "unitCost": 0.05} for i in range(2500)]
    sb.merge("connectwise", {"collections": {"finance/additions": new}})
    assert probe("read-units", agreement, product, today()) == {"units": 2500}
    gets = [r for r in sb.requests("connectwise") if r["method"] == "GET"]
    assert len(gets) == 3
    assert "pageSize=1000" in gets[0]["query"] and "page=3" in gets[2]["query"]
    lines = {r["service_id"]: r for r in probe("contract-services", agreement, today())["records"]}
    assert lines[str(product)]["units"] == 2500 and len(lines) == 3


# -- faults on reads: retried to success --------------------------------------------------------

@pytest.mark.parametrize("kind,params", [
    ("latency", {"ms": 300}), ("http429", {"retry_after": 1}), ("http500", {}),
    ("reset", {}), ("timeout", {"seconds": 1}), ("thread_limit", {"retry_after": 1}),
])
def test_read_faults_are_retried(sb, probe, kind, params):
    sb.fault(system="connectwise", kind=kind, path="finance/agreements$", params=params)
    assert probe("contracts")["count"] == 17
    assert sb.stats()["connectwise"]["faults_fired"] == {kind: 1}


def test_persistent_server_error_is_reported_with_its_message(sb, probe):
    sb.fault(system="connectwise", kind="http500", path="procurement/catalog", count=-1,
             params={"message": "SQL timeout expired."})
    err = probe.error("services")
    assert err["kind"] == "network" and err["message"] == "SQL timeout expired."
    assert err["retryable"] and err["http_status"] == 500


# -- writes under faults: never duplicated --------------------------------------------------------

def test_commit_then_drop_on_a_new_addition_is_maybe_committed_and_posted_once(sb, probe):
    agreement, product = agreement_id(sb, "Contoso Ltd"), product_id(sb, "M365-BS")
    day = next_month_day(17)                     # mid-period, prorating agreement: a new addition
    before = len(additions_of(sb, agreement))
    sb.fault(system="connectwise", kind="commit_drop", method="POST", path="additions$")
    err = probe.error("post-units", agreement, product, 3, day, 0, 0)
    assert err["maybe_committed"] and err["kind"] == "network"
    assert len(additions_of(sb, agreement)) == before + 1
    assert len(writes(sb, "POST")) == 1
    assert probe("read-units", agreement, product, day) == {"units": 27}


def test_commit_then_drop_on_a_quantity_patch_is_safely_repeated(sb, probe):
    # Northwind's agreement does not prorate: the change is a quantity PATCH, billed from the
    # next invoice
    agreement, product = agreement_id(sb, "Northwind Traders"), product_id(sb, "EXO-P1")
    day = next_month_day(1)
    sb.fault(system="connectwise", kind="commit_drop", method="PATCH")
    out = probe("post-units", agreement, product, 2, day, 0, 0)
    assert len(writes(sb, "PATCH")) == 2         # repeated: it sets 7, it does not add 2
    assert [a["quantity"] for a in additions_of(sb, agreement, product)] == [7]
    assert out["ref"] == str(additions_of(sb, agreement, product)[0]["id"])
    assert not writes(sb, "POST")


def test_a_period_start_change_on_a_prorating_agreement_keeps_the_history(sb, probe):
    """doc/proration.md 1.2: the open addition is cancelled the day before, a new one holds the
    new quantity at its prices from the date; the period already billed reads 10. The cancel is a
    PATCH of a date, safely repeated after a commit-then-drop."""
    agreement, product = agreement_id(sb, "Contoso Ltd"), product_id(sb, "EXO-P1")
    day = next_month_day(1)
    old = additions_of(sb, agreement, product)
    assert [a["quantity"] for a in old] == [10]
    sb.fault(system="connectwise", kind="commit_drop", method="PATCH")
    out = probe("post-units", agreement, product, 2, day, 0, 0)
    assert len(writes(sb, "PATCH")) == 2 and len(writes(sb, "POST")) == 1
    now = sorted(additions_of(sb, agreement, product), key=lambda a: a["id"])
    assert [a["quantity"] for a in now] == [10, 12]
    assert now[0]["cancelledDate"][:10] == (day - dt.timedelta(days=1)).isoformat()
    assert now[1]["effectiveDate"][:10] == day.isoformat() and now[1]["cancelledDate"] is None
    assert (now[1]["unitPrice"], now[1]["unitCost"]) == (old[0]["unitPrice"], old[0]["unitCost"])
    assert out["ref"] == str(now[1]["id"])
    assert probe("read-units", agreement, product, day) == {"units": 12}
    assert probe("read-units", agreement, product, day - dt.timedelta(days=1)) == {"units": 10}


@pytest.mark.parametrize("kind,params", [("timeout", {"seconds": 1}), ("reset", {})])
def test_write_lost_before_commit_is_maybe_committed_and_not_resent(sb, probe, kind, params):
    agreement, product = agreement_id(sb, "Fabrikam Inc"), product_id(sb, "M365-BP")
    before = len(additions_of(sb, agreement))
    sb.fault(system="connectwise", kind=kind, method="POST", path="additions$", params=params)
    err = probe.error("post-units", agreement, product, 1, next_month_day(20), 0, 0)
    assert err["maybe_committed"] and len(writes(sb, "POST")) == 1
    assert len(additions_of(sb, agreement)) == before


def test_throttled_write_is_retried_and_lands_once(sb, probe):
    agreement, product = agreement_id(sb, "Fabrikam Inc"), product_id(sb, "M365-BP")
    before = len(additions_of(sb, agreement))
    sb.fault(system="connectwise", kind="http429", method="POST", params={"retry_after": 1})
    probe("post-units", agreement, product, 2, next_month_day(20), 0, 0)
    assert len(additions_of(sb, agreement)) == before + 1
    assert probe("read-units", agreement, product, next_month_day(20)) == {"units": 42}


def test_billing_start_rule_is_rejected_with_connectwises_message(sb, probe):
    agreement, product = agreement_id(sb, "Tailspin Toys"), product_id(sb, "M365-BS")
    early = today().replace(day=1) - dt.timedelta(days=10)
    before = additions_of(sb, agreement)
    err = probe.error("post-units", agreement, product, 2, early, 0, 0)
    assert err["kind"] == "rejected" and err["http_status"] == 400 and not err["maybe_committed"]
    assert err["message"] == ("addition object is invalid: effectiveDate cannot be less than "
                              "the agreement billing start date")
    sb.configure("connectwise", billstart_message="msp360")
    err = probe.error("post-units", agreement, product, 2, early, 0, 0)
    assert "cannot precede the Billing Start Date" in err["message"]
    assert additions_of(sb, agreement) == before


# -- parsing -----------------------------------------------------------------------------------

def test_unknown_extra_fields_are_ignored(sb, probe):
    agreement = agreement_id(sb, "Northwind Traders")
    state = sb.state("connectwise")["collections"]
    row = next(a for a in state["finance/agreements"] if a["id"] == agreement)
    row.update(newFeatureBlock={"x": [1, {"y": None}]}, anotherField=3.5)
    add = next(a for a in state["finance/additions"] if a["agreementId"] == agreement)
    add.update(futureFlag=True, pricingTiers=[{"from": 1, "to": 9}])
    sb.merge("connectwise", {"collections": {"finance/agreements": [row], "finance/additions": [add]}})
    assert any(c["id"] == str(agreement) for c in probe("contracts")["records"])
    assert probe("contract-services", agreement, today())["count"] == 2


def test_missing_required_field_is_a_clear_bad_response(sb, probe):
    agreement = agreement_id(sb, "Northwind Traders")
    add = next(a for a in rows(sb, "finance/additions") if a["agreementId"] == agreement)
    add["product"] = None
    sb.merge("connectwise", {"collections": {"finance/additions": [add]}})
    err = probe.error("contract-services", agreement, today())
    assert err["kind"] == "bad_response" and "addition %d has no product" % add["id"] in err["message"]
    sb.fault(system="connectwise", kind="garbage_body", path="company/companies",
             params={"body": '[{"name": "No Id Co"}]'})
    err = probe.error("accounts")
    assert err["kind"] == "bad_response" and "has no id" in err["message"]


@pytest.mark.parametrize("body", ['[{"id": 1, "na', "", "<html>Bad Gateway</html>",
                                  '{"not": "a list"}'])
def test_truncated_empty_and_non_json_bodies(sb, probe, body):
    sb.fault(system="connectwise", kind="garbage_body", path="company/companies",
             params={"body": body})
    err = probe.error("accounts")
    assert err["kind"] == "bad_response" and "ConnectWise" in err["message"]


def test_unparseable_answer_to_a_write_is_maybe_committed(sb, probe):
    sb.fault(system="connectwise", kind="garbage_body", method="POST", params={"status": 201})
    err = probe.error("create-account", "Garbled Inc")
    assert err["kind"] == "bad_response" and err["maybe_committed"]


# -- unit changes ------------------------------------------------------------------------------

def test_mid_period_change_on_a_prorating_agreement_adds_an_addition(sb, probe):
    agreement, product = agreement_id(sb, "Contoso Ltd"), product_id(sb, "M365-BS")
    day = next_month_day(17)
    out = probe("post-units", agreement, product, 3, day, 14.5, 12)
    new = next(a for a in additions_of(sb, agreement, product) if str(a["id"]) == out["ref"])
    assert new["quantity"] == 3 and new["effectiveDate"].startswith(day.isoformat())
    assert new["unitPrice"] == 14.5 and new["cancelledDate"] is None
    assert probe("read-units", agreement, product, day) == {"units": 27}
    assert probe("read-units", agreement, product, day - dt.timedelta(days=1)) == {"units": 24}
    lines = {r["service_id"]: r for r in probe("contract-services", agreement, day)["records"]}
    assert lines[str(product)]["units"] == 27 and lines[str(product)]["id"] == out["ref"]
    probe("post-units", agreement, product, -4, next_month_day(1) + dt.timedelta(days=40), 0, 0)


def test_period_start_or_no_proration_patches_the_quantity(sb, probe):
    agreement, product = agreement_id(sb, "Northwind Traders"), product_id(sb, "M365-BS")
    before = len(additions_of(sb, agreement))
    probe("post-units", agreement, product, 2, next_month_day(17), 0, 0)   # no prorate: PATCH
    assert len(additions_of(sb, agreement)) == before and len(writes(sb, "PATCH")) == 1
    assert [a["quantity"] for a in additions_of(sb, agreement, product)] == [10]
    err = probe.error("post-units", agreement, product, -11, next_month_day(1), 0, 0)
    assert err["kind"] == "rejected" and "below zero" in err["message"]


def test_history_reads_respect_effective_and_cancelled_dates(sb, probe):
    agreement, product = agreement_id(sb, "Contoso Ltd"), product_id(sb, "M365-BS")
    old, new = sorted(additions_of(sb, agreement, product), key=lambda a: a["id"])
    cancelled = dt.date.fromisoformat(old["cancelledDate"][:10])
    assert probe("read-units", agreement, product, cancelled) == {"units": 20}
    assert probe("read-units", agreement, product, cancelled + dt.timedelta(days=1)) == {"units": 24}
    assert probe("read-units", agreement, product, "2024-06-01") == {"units": 0}


# -- the calls of a sync (issue 16) -------------------------------------------------------------

def test_bulk_read_is_one_additions_list_per_agreement(sb, probe):
    day = next_month_day(17)
    keys = sorted({(a["agreementId"], a["product"]["id"]) for a in rows(sb, "finance/additions")})
    agreements = sorted({a for a, _ in keys})
    single = {}
    for a in agreements:
        for r in probe("contract-services", a, day)["records"]:
            single[(r["contract_id"], r["service_id"])] = (r["units"], r["id"])
    sb.control("DELETE", "/requests")
    bulk = probe("units-bulk", day, *["%d:%d" % k for k in keys])["records"]
    calls = sb.requests("connectwise")
    assert [(r["method"], r["path"].split("/3.0/")[1]) for r in calls] == \
        [("GET", "finance/agreements/%d/additions" % a) for a in agreements]
    assert {(r["contract_id"], r["service_id"]): (r["units"], r["line_id"]) for r in bulk} == single


def test_posting_from_the_callers_read_lists_no_additions_before_writing(sb, probe):
    agreement, product = agreement_id(sb, "Northwind Traders"), product_id(sb, "M365-BS")
    day = next_month_day(17)
    seen = next(r for r in probe("units-bulk", day, "%d:%d" % (agreement, product))["records"]
                if r["service_id"] == str(product))
    sb.control("DELETE", "/requests")
    ag = next(a for a in rows(sb, "finance/agreements") if a["id"] == agreement)
    bill_start = (ag.get("billStartDate") or ag["startDate"])[:10]
    # the agreement's terms as the worker passes them from billsync's cache (it does not prorate)
    probe("post-units-seen", agreement, product, 2, day, seen["units"], seen["line_id"], seen["line_units"],
          bill_start, 0, 1)
    calls = [(r["method"], r["path"].split("/3.0/")[1]) for r in sb.requests("connectwise")]
    assert calls == [("PATCH", "finance/agreements/%d/additions/%s" % (agreement, seen["line_id"])),
                     ("GET", "finance/agreements/%d/additions" % agreement)]
    assert probe("read-units", agreement, product, day) == {"units": seen["units"] + 2}
    # without terms the connector reads the agreement (and the billing cycles) itself
    sb.control("DELETE", "/requests")
    probe("post-units-seen", agreement, product, 1, day, seen["units"] + 2, seen["line_id"], seen["line_units"] + 2)
    assert [r["path"].split("/3.0/")[1] for r in sb.requests("connectwise")][:2] == \
        ["finance/billingCycles", "finance/agreements/%d" % agreement]


# -- one-time charges ----------------------------------------------------------------------------

def test_charge_is_found_by_key_and_never_created_twice(sb, probe):
    agreement, product = agreement_id(sb, "Fabrikam Inc", "Annual Subscriptions"), product_id(sb, "M365-E3")
    month = today().strftime("%Y-%m")                  # inside the demo agreement's dates
    key, day = f"sub-77:{month}", f"{month}-01"
    assert probe("find-charge", agreement, key) == {"found": False, "id": ""}
    sb.fault(system="connectwise", kind="commit_drop", method="POST", path="additions$")
    err = probe.error("create-charge", agreement, product, "E3 annual term", key, day, 12,
                      396, 330, "Subscription S-77")
    assert err["maybe_committed"]
    found = probe("find-charge", agreement, key)
    again = probe("create-charge", agreement, product, "E3 annual term", key, day, 12, 396, 330)
    assert found["found"] and again["id"] == found["id"]
    mine = [a for a in additions_of(sb, agreement) if key in (a.get("description") or "")]
    assert len(mine) == 1 and len(writes(sb, "POST")) == 1
    add = mine[0]
    assert add["description"] == f"Subscription S-77 (billsync key: {key})"
    assert add["invoiceDescription"] == "E3 annual term" and add["quantity"] == 12
    assert add["effectiveDate"].startswith(day) and add["cancelledDate"].startswith(day)
    assert probe("find-charge", agreement, key[:-1])["found"] is False     # the exact key only


# -- creates ---------------------------------------------------------------------------------------

def test_creates_pick_free_identifiers_contacts_types_and_cycles(sb, probe):
    first = probe("create-account", "Contoso Ltd")["id"]
    second = probe("create-account", "Contoso Ltd")["id"]
    idents = {c["id"]: c["identifier"] for c in rows(sb, "company/companies")}
    assert (idents[int(first)], idents[int(second)]) == ("ContosoLtd2", "ContosoLtd3")
    company = next(c["id"] for c in rows(sb, "company/companies") if c["name"] == "Lucerne Publishing")
    rid = probe("create-contract", company, "Cloud seats", "recurring", "2026-01-01", "-", 1)["id"]
    agr = next(a for a in rows(sb, "finance/agreements") if a["id"] == int(rid))
    assert agr["noEndingDateFlag"] and agr["prorateFlag"] and agr["billingCycle"]["id"] == 1
    assert agr["type"]["id"] == 1 and agr["contact"]["id"]
    oid = probe("create-contract", company, "Annual", "one_time", "2026-01-01", "2026-12-31", 0)["id"]
    contracts = {c["id"]: c for c in probe("contracts")["records"]}
    assert contracts[oid]["type"] == "one_time" and contracts[rid]["type"] == "recurring"
    assert contracts[rid]["end"] is None and contracts[oid]["end"] == "2026-12-31"
    sid = probe("create-service", "Cloud Widget", "CW-WIDGET", 9.99, 5.5, "Widgets for all")["id"]
    item = next(c for c in rows(sb, "procurement/catalog") if c["id"] == int(sid))
    assert item["identifier"] == "CW-WIDGET" and item["subcategory"]["id"] == 1
    assert item["price"] == 9.99 and item["customerDescription"] == "Widgets for all"
    err = probe.error("create-service", "Cloud Widget", "CW-WIDGET", 9.99, 5.5)
    assert err["kind"] == "rejected" and "Product ID already in use." in err["message"]


@pytest.mark.parametrize("cost", ["12,50", "NaN", "a lot"])
def test_an_unreadable_cost_fails_the_read_naming_the_record(sb, probe, cost):
    body = json.dumps([{"id": 815, "description": "Odd Product", "identifier": "ODD-1", "price": 5,
                        "cost": cost, "inactiveFlag": False}])
    sb.fault(system="connectwise", kind="garbage_body", path="procurement/catalog", params={"body": body})
    err = probe.error("services")
    assert err["kind"] == "bad_response"
    assert "ConnectWise catalog item 815 has a cost that is not an amount" in err["message"]


# -- cost and price changes (issue 18) -----------------------------------------------------------

def test_a_cost_change_patches_every_addition_in_effect(sb, probe):
    agreement, product = agreement_id(sb, "Contoso Ltd"), product_id(sb, "M365-BS")
    day = next_month_day(17)
    probe("post-units", agreement, product, 3, day, 0, 0)     # a second addition (prorated +3)
    price = probe("read-money", agreement, product, day)["price"]
    patches = len(writes(sb, "PATCH"))
    out = probe("post-price", agreement, product, day, "13.10")
    in_effect = [a for a in additions_of(sb, agreement, product) if a["cancelledDate"] is None]
    assert len(in_effect) == 2 and {a["unitCost"] for a in in_effect} == {13.1}
    assert len(writes(sb, "PATCH")) == patches + 2
    bodies = [json.loads(r["body"]) for r in writes(sb, "PATCH")[-2:]]
    assert all(b == [{"op": "replace", "path": "unitCost", "value": 13.1}] for b in bodies)
    assert out["ref"] in {str(a["id"]) for a in in_effect}
    assert probe("read-money", agreement, product, day) == {"found": True, "cost": "13.1000", "price": price,
                                                            "uniform": True}
    probe("post-price", agreement, product, day, "13.10")     # again: nothing to write
    assert len(writes(sb, "PATCH")) == patches + 2
    probe("post-price", agreement, product, day, "13.10", "16.50")
    assert {a["unitPrice"] for a in additions_of(sb, agreement, product) if a["cancelledDate"] is None} == {16.5}


def test_a_cost_change_without_an_addition_in_effect_needs_a_person(sb, probe):
    agreement, product = agreement_id(sb, "Contoso Ltd"), product_id(sb, "M365-BP")
    err = probe.error("post-price", agreement, product, next_month_day(3), "20.00")
    assert err["kind"] == "rejected" and "No addition of this product" in err["message"]
    assert "Retry" in err["hint"] and not writes(sb, "PATCH")
