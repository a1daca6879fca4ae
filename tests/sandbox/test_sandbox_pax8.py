"""Tests of the Pax8 Partner API simulator (doc/source-apis.md section 2)."""

import datetime as dt
import threading
import time
import types

import pytest
import requests

import canonical_fixtures as cf
import seed_sources
import sim_pax8

CREDS = seed_sources.PAX8_CREDENTIALS
TOKEN_BODY = {"client_id": CREDS["client_id"], "client_secret": CREDS["client_secret"],
              "audience": "https://api.pax8.com", "grant_type": "client_credentials"}


def token(sb, **overrides):
    resp = sb.call("pax8", "POST", "/v1/token", json=dict(TOKEN_BODY, **overrides))
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def get(sb, tok, path, **params):
    return sb.call("pax8", "GET", "/v1" + path, params=params,
                   headers={"Authorization": "Bearer " + tok})


def seed_companies(sb, count):
    rows = [{"id": "00000000-0000-4000-8000-%012d" % n, "name": "Company %04d" % n,
             "address": {"city": "Denver" if n % 2 else "Boulder", "country": "US"}}
            for n in range(count)]
    sb.merge("pax8", {"tables": {"companies": rows}})


def fetch_all(sb, tok, path, size, **params):
    """Every row of a paged list, following ``page`` until ``totalPages``."""
    rows, page = [], 0
    while True:
        body = get(sb, tok, path, page=page, size=size, **params).json()
        rows += body["content"]
        page += 1
        if page >= body["page"]["totalPages"]:
            return rows


# ---------------------------------------------------------------------------
# Token and authentication
# ---------------------------------------------------------------------------

def test_token_is_client_credentials_json_with_24h_lifetime(sb):
    resp = sb.call("pax8", "POST", "/v1/token", json=TOKEN_BODY)
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
    assert get(sb, body["access_token"], "/companies").status_code == 200
    alt = sb.call("pax8", "POST", "/oauth/token", json=TOKEN_BODY)
    assert alt.status_code == 200


def test_auth_failure_bodies(sb):
    bad = sb.call("pax8", "POST", "/v1/token", json=dict(TOKEN_BODY, client_secret="nope"))
    assert bad.status_code == 401
    assert bad.json() == {"error": "access_denied", "error_description": "Unauthorized"}
    grant = sb.call("pax8", "POST", "/v1/token", json=dict(TOKEN_BODY, grant_type="password"))
    assert grant.status_code == 403 and grant.json()["error"] == "unauthorized_client"
    missing = sb.call("pax8", "GET", "/v1/companies")
    assert missing.status_code == 401
    assert set(missing.json()) == {"type", "message", "instance", "status", "details"}
    assert missing.json()["type"] == "UNAUTHORIZED"
    assert get(sb, "forged", "/companies").json()["instance"] == "/v1/companies"
    sb.configure("pax8", api_401_body="oauth")
    assert get(sb, "forged", "/companies").json()["error"] == "access_denied"


def test_token_for_another_audience_is_forbidden_on_partner_endpoints(sb):
    usage = token(sb, audience="api://usage")
    resp = get(sb, usage, "/companies")
    assert resp.status_code == 403 and resp.json()["type"] == "FORBIDDEN"
    unknown = sb.call("pax8", "POST", "/v1/token", json=dict(TOKEN_BODY, audience="x"))
    assert unknown.status_code == 403


def test_token_expires_and_a_new_one_works(sb):
    sb.configure("pax8", token_lifetime_s=0.3)
    tok = token(sb)
    assert get(sb, tok, "/companies").status_code == 200
    time.sleep(0.4)
    expired = get(sb, tok, "/companies")
    assert expired.status_code == 401 and "expired" in expired.json()["message"]
    assert get(sb, token(sb), "/companies").status_code == 200


def test_expired_token_fault_invalidates_the_token_mid_pull(sb):
    seed_companies(sb, 25)
    tok = token(sb)
    assert len(get(sb, tok, "/companies", page=0, size=10).json()["content"]) == 10
    sb.fault(system="pax8", kind="expired_token", path="/v1/companies")
    second = get(sb, tok, "/companies", page=1, size=10)
    assert second.status_code == 401
    assert get(sb, tok, "/companies", page=1, size=10).status_code == 401
    fresh = token(sb)
    assert len(get(sb, fresh, "/companies", page=1, size=10).json()["content"]) == 10
    assert sb.stats()["pax8"]["faults_fired"] == {"expired_token": 1}


# ---------------------------------------------------------------------------
# Paging
# ---------------------------------------------------------------------------

def test_exactly_one_page_of_200(sb):
    seed_companies(sb, 200)
    tok = token(sb)
    body = get(sb, tok, "/companies", page=0, size=200).json()
    assert len(body["content"]) == 200
    assert body["page"] == {"size": 200, "totalElements": 200, "totalPages": 1, "number": 0}
    beyond = get(sb, tok, "/companies", page=1, size=200).json()
    assert beyond["content"] == [] and beyond["page"]["number"] == 1


def test_one_more_than_a_page(sb):
    seed_companies(sb, 201)
    tok = token(sb)
    first = get(sb, tok, "/companies", page=0, size=200).json()
    assert first["page"]["totalPages"] == 2 and first["page"]["totalElements"] == 201
    second = get(sb, tok, "/companies", page=1, size=200).json()
    assert len(second["content"]) == 1
    ids = [c["id"] for c in fetch_all(sb, tok, "/companies", 200)]
    assert len(ids) == len(set(ids)) == 201


def test_size_limits_defaults_and_sorting(sb):
    seed_companies(sb, 12)
    tok = token(sb)
    too_big = get(sb, tok, "/companies", size=201)
    assert too_big.status_code == 422 and too_big.json()["type"] == "UNPROCESSABLE_ENTITY"
    assert get(sb, tok, "/companies", page=-1).status_code == 422
    assert get(sb, tok, "/companies", size="ten").status_code == 400
    default = get(sb, tok, "/companies").json()
    assert default["page"]["size"] == 10 and default["page"]["totalPages"] == 2
    desc = get(sb, tok, "/companies", size=3, sort="name,desc").json()["content"]
    names = [c["name"] for c in desc]
    assert names == ["Company 0011", "Company 0010", "Company 0009"]
    assert get(sb, tok, "/companies", sort="phone,asc").status_code == 400
    boulder = get(sb, tok, "/companies", city="Boulder", size=50).json()
    assert boulder["page"]["totalElements"] == 6
    sb.configure("pax8", oversize_status=400)
    assert get(sb, tok, "/companies", size=500).status_code == 400


def test_429_fault_and_rate_limit(sb):
    tok = token(sb)
    sb.fault(system="pax8", kind="http429", params={"retry_after": 4})
    throttled = get(sb, tok, "/companies")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "4"
    assert throttled.json()["status"] == 429
    sb.configure("pax8", rate_limit_per_window=3, rate_limit_window_s=60)
    sb.control("DELETE", "/stats")
    codes = [get(sb, tok, "/companies").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert sb.stats()["pax8"]["throttled"] == 1


# ---------------------------------------------------------------------------
# Demo data: subscriptions, history, invoices
# ---------------------------------------------------------------------------

def company_id(name):
    return seed_sources.customer_id("pax8", name)


def test_subscriptions_history_and_filters(sb):
    sb.reset("demo")
    tok = token(sb)
    van = company_id("VanArsdel Ltd")
    subs = get(sb, tok, "/subscriptions", companyId=van).json()["content"]
    by_product = {s["productName"]: s for s in subs}
    teams = by_product["Microsoft Teams Essentials"]
    assert teams["quantity"] == 15 and teams["billingTerm"] == "Monthly"
    assert teams["commitmentTerm"]["term"] == "1-Month" and "endDate" not in teams
    assert by_product["Exchange Online (Plan 1)"]["status"] == "PendingCancel"
    assert "endDate" in by_product["Exchange Online (Plan 1)"]
    history = get(sb, tok, "/subscriptions/%s/history" % teams["id"]).json()["content"]
    assert [h["quantity"] for h in history] == [15, 12]
    assert all(h["id"] == teams["id"] for h in history)
    coho = get(sb, tok, "/subscriptions", companyId=company_id("Coho Vineyard & Winery")).json()
    assert coho["content"][0]["billingTerm"] == "Annual" and coho["content"][0]["price"] == 316.8
    forbidden = get(sb, tok, "/subscriptions", companyId="11111111-2222-3333-4444-555555555555")
    assert forbidden.status_code == 403
    empty = get(sb, tok, "/subscriptions", companyId=company_id("Wingtip Toys")).json()
    assert empty["content"] == [] and empty["page"]["totalElements"] == 0
    annual = get(sb, tok, "/subscriptions", billingTerm="Annual").json()["content"]
    assert [s["productName"] for s in annual] == ["Microsoft 365 Business Premium"]
    assert get(sb, tok, "/subscriptions/nope").status_code == 404


def test_invoice_items_with_prorate_on_the_next_invoice(sb):
    sb.reset("demo")
    tok = token(sb)
    d = seed_sources.source_dates()
    invoices = get(sb, tok, "/invoices").json()["content"]
    assert [i["invoiceDate"] for i in invoices] == [d["m1"].replace(day=4).isoformat(),
                                                    d["m0"].replace(day=4).isoformat()]
    items = fetch_all(sb, tok, "/invoices/%s/items" % invoices[0]["id"], 2)
    prorate = [i for i in items if i["type"] == "prorate"]
    assert len(prorate) == 1
    assert prorate[0]["startPeriod"] == d["m0"].replace(day=15).isoformat()
    assert prorate[0]["endPeriod"] == d["m1"].isoformat()          # exclusive by default
    assert prorate[0]["quantity"] == 3 and prorate[0]["price"] == 4.8
    sb.configure("pax8", period_end_style="inclusive")
    again = fetch_all(sb, tok, "/invoices/%s/items" % invoices[0]["id"], 200)
    assert [i for i in again if i["type"] == "prorate"][0]["endPeriod"] == \
        (d["m1"] - dt.timedelta(days=1)).isoformat()
    ranged = get(sb, tok, "/invoices", invoiceDateRangeStart=d["m1"].isoformat()).json()
    assert ranged["page"]["totalElements"] == 1


def canonical_from_api(sb, tok, customer, month):
    """A straightforward connector: the API answers mapped as canonical_fixtures documents."""
    status = {"Active": "active", "PendingCancel": "active", "Trial": "active",
              "Cancelled": "cancelled"}
    term = {"1-Year": 12, "1-Month": 1}
    cid = company_id(customer)
    company = get(sb, tok, "/companies/%s" % cid).json()
    subs = fetch_all(sb, tok, "/subscriptions", 200, companyId=cid)
    out = {"system": "pax8", "customer": customer, "month": month.isoformat(),
           "companies": [{"id": company["id"], "name": company["name"]}],
           "subscriptions": [], "resources": [], "charges": []}
    by_id = {}
    for s in subs:
        cycle = s["billingTerm"].lower()
        months = term.get((s.get("commitmentTerm") or {}).get("term"), 0)
        end = (s.get("commitmentTerm") or {}).get("endDate")
        by_id[s["id"]] = months
        out["subscriptions"].append({
            "id": s["id"], "company_id": cid, "name": s["productName"],
            "status": status[s["status"]], "billing_cycle": cycle, "term_months": months,
            "commitment_end": end, "auto_renew": None})
        out["resources"].append({
            "id": s["id"], "subscription_id": s["id"], "company_id": cid,
            "name": s["productName"], "sku": s["vendorSkuId"], "quantity": cf.qty(s["quantity"]),
            "unit_cost": cf.money(s["partnerCost"]), "unit_price": cf.money(s["price"]),
            "currency": s["currencyCode"], "billing_cycle": cycle, "term_months": months,
            "commitment_end": end, "status": status[s["status"]]})
    for inv in fetch_all(sb, tok, "/invoices", 200):
        for item in fetch_all(sb, tok, "/invoices/%s/items" % inv["id"], 200):
            if item["companyId"] != cid or item["startPeriod"][:7] != month.isoformat()[:7]:
                continue
            end = dt.date.fromisoformat(item["endPeriod"]) - dt.timedelta(days=1)
            out["charges"].append({
                "id": item["id"], "company_id": cid, "subscription_id": item["subscriptionId"],
                "resource_id": item["subscriptionId"], "description": item["description"],
                "sku": item["sku"],
                "type": {"subscription": "recurring", "prorate": "proration"}[item["type"]],
                "period_start": item["startPeriod"], "period_end": end.isoformat(),
                "effective": item["startPeriod"], "quantity": cf.qty(item["quantity"]),
                "unit_cost": cf.money(item["cost"]), "unit_price": cf.money(item["price"]),
                "extended_cost": cf.money(item["costTotal"]),
                "extended_price": cf.money(item["subTotal"]), "currency": item["currencyCode"],
                "term_months": by_id[item["subscriptionId"]], "frequency": item["term"].lower()})
    for key in ("subscriptions", "resources", "charges"):
        out[key].sort(key=lambda r: r["id"])
    return out


def test_canonical_fixtures_match_the_api(sb):
    sb.reset("demo")
    tok = token(sb)
    for customer in seed_sources.customers("pax8"):
        want = cf.expected("pax8", customer)
        assert canonical_from_api(sb, tok, customer, dt.date.fromisoformat(want["month"])) == want
    fixture = cf.expected("pax8")
    assert fixture["customer"] == "VanArsdel Ltd"
    assert [c["type"] for c in fixture["charges"]].count("proration") == 1


# ---------------------------------------------------------------------------
# Partners (tenants)
# ---------------------------------------------------------------------------

def partner_client(name):
    return {"client_id": "%s-client" % name, "client_secret": "%s-secret" % name,
            "partner": name}


def partner_token(sb, name):
    return token(sb, client_id="%s-client" % name, client_secret="%s-secret" % name)


def seed_partners(sb):
    """Partners p1 and p2 with the same company id but different data; the default
    partner keeps the demo client."""
    shared_id = "00000000-0000-4000-8000-000000000001"
    sb.merge("pax8", {"clients": [partner_client("p1"), partner_client("p2")], "tenants": {
        "p1": {"tables": {"companies": [{"id": shared_id, "name": "P1 Company"}],
                          "subscriptions": [{"id": "s-p1", "companyId": shared_id,
                                             "productName": "P1 seat", "quantity": 3}]}},
        "p2": {"tables": {"companies": [{"id": shared_id, "name": "P2 Company"},
                                        {"id": "c-p2-only", "name": "P2 Only"}],
                          "subscriptions": [{"id": "s-p2", "companyId": shared_id,
                                             "productName": "P2 seat", "quantity": 7}]}}}})
    return shared_id


def test_partners_have_their_own_data_and_tokens(sb):
    shared_id = seed_partners(sb)
    p1, p2, default = partner_token(sb, "p1"), partner_token(sb, "p2"), token(sb)
    names = lambda tok: [c["name"] for c in get(sb, tok, "/companies").json()["content"]]
    assert names(p1) == ["P1 Company"]
    assert names(p2) == ["P2 Company", "P2 Only"]
    assert names(default) == []
    subs = get(sb, p2, "/subscriptions", companyId=shared_id).json()["content"]
    assert [(s["id"], s["quantity"]) for s in subs] == [("s-p2", 7)]
    assert get(sb, p1, "/subscriptions/s-p2").status_code == 404
    assert get(sb, p1, "/subscriptions", companyId="c-p2-only").status_code == 403
    assert get(sb, p2, "/companies/c-p2-only").status_code == 200
    wrong = sb.call("pax8", "POST", "/v1/token", json=dict(
        TOKEN_BODY, client_id="p1-client", client_secret="p2-secret"))
    assert wrong.status_code == 401
    partners = sb.stats()["pax8"]["partners"]
    assert set(partners) == {"default", "p1", "p2"}
    assert partners["p1"]["tokens_issued"] == {"access": 1}
    assert partners["p2"]["requests"]["GET /v1/companies"] == 1
    assert partners["p2"]["total_requests"] == 4       # token, 2 lists, 1 item
    assert partners["p1"]["total_requests"] == 5       # the refused token counts for p1
    assert sb.stats()["pax8"]["tokens_issued"] == {"access": 3}


def test_each_partner_has_its_own_rate_window(sb):
    seed_partners(sb)
    p1, p2 = partner_token(sb, "p1"), partner_token(sb, "p2")
    sb.configure("pax8", rate_limit_per_window=3)
    sb.control("DELETE", "/stats")
    assert [get(sb, p1, "/companies").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert [get(sb, p2, "/companies").status_code for _ in range(3)] == [200, 200, 200]
    stats = sb.stats()["pax8"]
    assert stats["throttled"] == 1 and stats["partners"]["p1"]["throttled"] == 1
    assert stats["partners"]["p2"]["throttled"] == 0


def test_partner_state_round_trip_and_failed_merge_changes_nothing(sb):
    seed_partners(sb)
    state = sb.state("pax8")
    assert [c["client_id"] for c in state["clients"]] == [TOKEN_BODY["client_id"]]
    assert set(state["tenants"]) == {"p1", "p2"}
    assert state["tenants"]["p1"]["clients"] == [partner_client("p1")]
    assert [c["name"] for c in state["tenants"]["p2"]["tables"]["companies"]] == [
        "P2 Company", "P2 Only"]
    bad = requests.post(sb.control_url + "/state/pax8", timeout=5, json={
        "mode": "merge", "data": {"tenants": {
            "p1": {"tables": {"companies": [{"id": "c-new", "name": "New"}]}},
            "p3": {"clients": [partner_client("p3")], "tables": {"companies": ["not a row"]}}}}})
    assert bad.status_code == 400
    assert sb.state("pax8") == state
    requests.post(sb.control_url + "/state/pax8", timeout=5,
                  json={"mode": "replace", "data": state}).raise_for_status()
    assert sb.state("pax8") == state
    assert get(sb, partner_token(sb, "p1"), "/subscriptions/s-p1").status_code == 200


def test_merge_and_dump_of_one_partner_in_process():
    """``merge_state``/``load_state``/``dump_state`` with a partner, as the control API's
    ``"partner"`` key uses them."""
    sim = sim_pax8.Pax8Sim(types.SimpleNamespace(lock=threading.RLock(), sleep=lambda s: None))
    sim.seed("empty")
    sim.merge_state({"clients": [{"client_id": "a", "client_secret": "b"}],
                     "tables": {"companies": [{"name": "No Id"}]}}, "p17")
    part = sim.dump_state("p17")
    assert part["clients"] == [{"client_id": "a", "client_secret": "b"}]
    assert part["tables"]["companies"][0]["name"] == "No Id"
    default_style = seed_sources.stable_uuid("pax8", "companies", 1000)
    assert part["tables"]["companies"][0]["id"] != default_style       # the partner is in it
    assert sim.dump_state()["tenants"]["p17"] == part
    assert sim.dump_state("default")["clients"][0]["client_id"] == TOKEN_BODY["client_id"]
    sim.load_state({"tables": {"products": [{"id": "x", "name": "Only"}]}}, "p17")
    assert sim.dump_state("p17")["clients"] == []
    assert [p["id"] for p in sim.dump_state("p17")["tables"]["products"]] == ["x"]
    assert sim.dump_state("p17")["tables"]["companies"] == []
    with pytest.raises(KeyError):
        sim.dump_state("nope")


def test_company_filter_follows_a_moved_subscription(sb):
    seed_companies(sb, 3)
    cid = ["00000000-0000-4000-8000-%012d" % n for n in range(3)]
    subs = [{"id": "s%03d" % n, "companyId": cid[n % 2], "productName": "P", "quantity": n,
             "status": "Cancelled" if n % 5 == 0 else "Active"} for n in range(250)]
    sb.merge("pax8", {"tables": {"subscriptions": subs}})
    tok = token(sb)
    active0 = fetch_all(sb, tok, "/subscriptions", 50, companyId=cid[0], status="active")
    assert [s["id"] for s in active0] == [s["id"] for s in subs
                                          if s["companyId"] == cid[0] and s["status"] == "Active"]
    sb.merge("pax8", {"tables": {"subscriptions": [{"id": "s001", "companyId": cid[0]},
                                                   {"id": "s004", "companyId": cid[2]}]}})
    moved = fetch_all(sb, tok, "/subscriptions", 200, companyId=cid[0])
    assert [s["id"] for s in moved] == ["s%03d" % n for n in range(250)
                                        if n == 1 or (n % 2 == 0 and n != 4)]   # table order
    assert [s["id"] for s in fetch_all(sb, tok, "/subscriptions", 10, companyId=cid[2])] == [
        "s004"]
    assert get(sb, tok, "/subscriptions", page=1, size=200).json()["page"]["totalElements"] == 250


def test_control_api_partner_key(sb):
    def state_call(method, body=None, query=""):
        return requests.request(method, sb.control_url + "/state/pax8" + query, json=body,
                                timeout=5)

    assert state_call("POST", {"mode": "merge", "partner": "p17", "data": {
        "clients": [{"client_id": "c17", "client_secret": "s17"}],
        "tables": {"companies": [{"id": "c-1", "name": "P17 Co"}]}}}).status_code == 200
    part = state_call("GET", query="?partner=p17").json()
    assert [c["name"] for c in part["tables"]["companies"]] == ["P17 Co"]
    assert "tenants" not in part
    tok = token(sb, client_id="c17", client_secret="s17")
    assert get(sb, tok, "/companies/c-1").json()["name"] == "P17 Co"
    assert state_call("GET", query="?partner=nope").status_code == 404
    assert state_call("GET", query="?partner=default").json()["clients"][0]["client_id"] == \
        TOKEN_BODY["client_id"]
    assert state_call("POST", {"mode": "replace", "partner": "p17",
                               "data": {"tables": {}}}).status_code == 200
    assert state_call("GET", query="?partner=p17").json()["tables"]["companies"] == []
    assert sb.stats()["pax8"]["partners"]["p17"]["tokens_issued"] == {"access": 1}
