"""Tests of the interworks.cloud BSS Platform API simulator (doc/source-apis.md section 1)."""

import datetime as dt
import time

import pytest
import requests

import canonical_fixtures as cf
from calendar_expect import iw_contoso_add
import seed_sources
from simcore import add_months

CREDS = seed_sources.INTERWORKS_CREDENTIALS
CLIENT = (CREDS["client_key"], CREDS["client_secret"])
USER = {"grant_type": "password", "username": CREDS["username"], "password": CREDS["password"]}


def token_response(sb, form=None, auth=CLIENT):
    return sb.call("interworks", "POST", "/oauth/token", data=form or USER, auth=auth)


def token(sb):
    resp = token_response(sb)
    assert resp.status_code == 200, resp.text
    return resp.json()


def api(sb, tok, path, version="3", **params):
    headers = {"Authorization": "Bearer " + tok}
    if version is not None:
        headers["X-Api-Version"] = version
    return sb.call("interworks", "GET", "/api" + path, params=params, headers=headers)


def seed_accounts(sb, count):
    rows = [{"id": 5000 + n, "name": "Account %04d" % n, "code": "A%04d" % n,
             "currency": "EUR" if n % 3 == 0 else "USD", "createdAt": "2024-01-%02d" % (n % 28 + 1)}
            for n in range(count)]
    sb.merge("interworks", {"tables": {"accounts": rows}})


# ---------------------------------------------------------------------------
# Token: password grant with HTTP Basic client credentials; refresh
# ---------------------------------------------------------------------------

def test_password_grant_needs_basic_client_credentials(sb):
    body = token(sb)
    assert body["token_type"] == "bearer" and body["expires_in"] == 1199
    assert body["access_token"] and body["refresh_token"]
    as_form = token_response(sb, dict(USER, client_id=CLIENT[0], client_secret=CLIENT[1]),
                             auth=None)
    assert as_form.status_code == 400 and as_form.json()["error"] == "invalid_client"
    wrong_secret = token_response(sb, auth=(CLIENT[0], "nope"))
    assert wrong_secret.status_code == 400 and wrong_secret.json()["error"] == "invalid_client"
    wrong_user = token_response(sb, dict(USER, password="nope"))
    assert wrong_user.status_code == 400
    assert wrong_user.json() == {"error": "invalid_grant",
                                 "error_description": "The user name or password is incorrect."}


def test_api_auth_failure_has_type_key(sb):
    resp = api(sb, "forged", "/accounts")
    assert resp.status_code == 401
    assert resp.json()["Type"] == "Unauthorized" and "Message" in resp.json()
    assert sb.call("interworks", "GET", "/api/accounts").status_code == 401


def test_token_expiry_and_refresh(sb):
    sb.configure("interworks", token_lifetime_s=0.3)
    first = token(sb)
    assert api(sb, first["access_token"], "/accounts").status_code == 200
    time.sleep(0.4)
    assert api(sb, first["access_token"], "/accounts").status_code == 401
    refreshed = token_response(sb, {"grant_type": "refresh_token",
                                    "refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200
    assert api(sb, refreshed.json()["access_token"], "/accounts").status_code == 200
    reused = token_response(sb, {"grant_type": "refresh_token",
                                 "refresh_token": first["refresh_token"]})
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_expired_token_fault_then_refresh_resumes(sb):
    seed_accounts(sb, 30)
    tok = token(sb)
    page1 = api(sb, tok["access_token"], "/accounts", pageIndex=1, pageSize=20).json()
    assert page1["paging"]["totalPages"] == 2
    sb.fault(system="interworks", kind="expired_token", path="/api/accounts")
    assert api(sb, tok["access_token"], "/accounts", pageIndex=2, pageSize=20).status_code == 401
    new = token_response(sb, {"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]})
    page2 = api(sb, new.json()["access_token"], "/accounts", pageIndex=2, pageSize=20).json()
    assert len(page2["data"]) == 10


def test_bad_credentials_and_500_faults_use_the_type_body(sb):
    tok = token(sb)["access_token"]
    sb.fault(system="interworks", kind="bad_credentials", path="/api/")
    sb.fault(system="interworks", kind="http500", params={"message": "Database timeout"})
    denied = api(sb, tok, "/accounts")
    assert denied.status_code == 401 and denied.json()["Type"] == "Unauthorized"
    boom = api(sb, tok, "/accounts")
    assert boom.status_code == 500 and boom.json()["Type"] == "InternalServerError"
    assert boom.json()["Message"] == "Database timeout"
    sb.fault(system="interworks", kind="bad_credentials", path="/oauth/token")
    assert token_response(sb).json()["error"] == "invalid_grant"


def test_throttling_answers_403(sb):
    tok = token(sb)["access_token"]
    sb.fault(system="interworks", kind="http429", params={"retry_after": 9})
    resp = api(sb, tok, "/accounts")
    assert resp.status_code == 403 and resp.json()["Type"] == "RateLimitExceeded"
    assert resp.headers["Retry-After"] == "9"


# ---------------------------------------------------------------------------
# API versions and paging
# ---------------------------------------------------------------------------

def test_v3_and_v22_envelopes_and_fields(sb):
    sb.reset("demo")
    tok = token(sb)["access_token"]
    v3 = api(sb, tok, "/accounts", "3", pageSize=2).json()
    assert set(v3) == {"data", "paging"}
    assert v3["paging"] == {"pageIndex": 1, "pageSize": 2, "totalPages": 2, "totalRecords": 3}
    assert {"corpEmail", "transactionCurrency", "resellingEnabled"} <= set(v3["data"][0])
    v22 = api(sb, tok, "/accounts", "2.2").json()
    assert set(v22) == {"data"} and len(v22["data"]) == 3
    assert {"creditLimit", "enableReselling", "tradingName"} <= set(v22["data"][0])
    assert "corpEmail" not in v22["data"][0]
    assert api(sb, tok, "/accounts", None).json() == v22          # no header: v1 -> 2.2 shapes
    assert api(sb, tok, "/accounts", "3.0").json()["paging"]["totalRecords"] == 3
    bad = api(sb, tok, "/accounts", "4")
    assert bad.status_code == 400 and bad.json()["Type"] == "UnsupportedApiVersion"
    sb.configure("interworks", missing_version="error")
    assert api(sb, tok, "/accounts", None).status_code == 400
    sub3 = api(sb, tok, "/subscriptions", "3", pageSize=1).json()["data"][0]
    assert {"product", "billingCycle", "commitmentTerm", "autoRenew"} <= set(sub3)
    sub22 = api(sb, tok, "/subscriptions", "2.2", size=1).json()["data"][0]
    assert "billingCycle" not in sub22
    assert sub22["addonId"] == "00000000-0000-0000-0000-000000000000"
    assert sub22["startDate"].endswith("T00:00:00+02:00")


def test_v3_paging_at_the_boundary(sb):
    seed_accounts(sb, 50)
    tok = token(sb)["access_token"]
    one = api(sb, tok, "/accounts", pageIndex=1, pageSize=50).json()
    assert len(one["data"]) == 50 and one["paging"]["totalPages"] == 1
    assert api(sb, tok, "/accounts", pageIndex=2, pageSize=50).json()["data"] == []
    seed_accounts(sb, 51)
    two = api(sb, tok, "/accounts", pageIndex=1, pageSize=50).json()
    assert two["paging"] == {"pageIndex": 1, "pageSize": 50, "totalPages": 2, "totalRecords": 51}
    assert len(api(sb, tok, "/accounts", pageIndex=2, pageSize=50).json()["data"]) == 1
    default = api(sb, tok, "/accounts").json()["paging"]
    assert default["pageSize"] == 50
    assert api(sb, tok, "/accounts", pageIndex=0).status_code == 400


def test_v22_paging_with_page_and_size(sb):
    seed_accounts(sb, 101)
    tok = token(sb)["access_token"]
    assert len(api(sb, tok, "/accounts", "2.2").json()["data"]) == 100   # default size
    assert len(api(sb, tok, "/accounts", "2.2", page=2).json()["data"]) == 1
    assert len(api(sb, tok, "/accounts", "2.2", size=1000000).json()["data"]) == 101


# ---------------------------------------------------------------------------
# $filter and $orderby
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("expr,count", [
    ("name eq 'Account 0007'", 1),
    ("contains(name,'000')", 10),
    ("startswith(code,'A001')", 10),
    ("id gt 5010 and id le 5015", 5),
    ("currency eq 'EUR' or id eq 5001", 11),
    ("not (currency eq 'EUR')", 20),
    ("createdAt ge datetime'2024-01-20' and createdAt lt datetime'2024-01-22T00:00:00.000'", 2),
    ("billToAccountId eq null", 30),
    ("resellingEnabled eq false", 30),
    ("(id eq 5000 or id eq 5001) and currency eq 'EUR'", 1),
])
def test_filter_forms(sb, expr, count):
    seed_accounts(sb, 30)
    tok = token(sb)["access_token"]
    resp = api(sb, tok, "/accounts", **{"$filter": expr, "pageSize": 100})
    assert resp.status_code == 200, resp.text
    assert resp.json()["paging"]["totalRecords"] == count


def test_filter_errors_and_orderby(sb):
    seed_accounts(sb, 5)
    tok = token(sb)["access_token"]
    for expr in ("nosuch eq 1", "name eq", "name eq 'x' and", "name like 'x'", "(name eq 'x'"):
        resp = api(sb, tok, "/accounts", **{"$filter": expr})
        assert resp.status_code == 400 and resp.json()["Type"] == "InvalidFilter", expr
    ordered = api(sb, tok, "/accounts", **{"$orderby": "id desc"}).json()["data"]
    assert [a["id"] for a in ordered] == [5004, 5003, 5002, 5001, 5000]
    assert api(sb, tok, "/accounts", **{"$orderby": "id sideways"}).status_code == 400


# ---------------------------------------------------------------------------
# Invoices and lines (demo)
# ---------------------------------------------------------------------------

def test_invoices_and_lines_in_both_versions(sb):
    sb.reset("demo")
    tok = token(sb)["access_token"]
    d = seed_sources.source_dates()
    contoso = seed_sources.customer_id("interworks", "Contoso Ltd")
    month = "invoiceDate ge datetime'%s' and invoiceDate lt datetime'%s' and accountId eq %d" % (
        d["m0"], d["m1"], contoso)
    v3 = api(sb, tok, "/invoices", **{"$filter": month}).json()["data"]
    assert [i["code"] for i in v3] == ["000701", "000702"]
    assert v3[0]["invoiceDate"] == d["m0"].isoformat() + "T00:00:00+02:00"
    lines = api(sb, tok, "/invoices/%d/lines" % v3[1]["id"]).json()
    assert lines["paging"]["totalRecords"] == 1
    line = lines["data"][0]
    assert line["billingPeriodStart"][:10] == d["m0"].replace(day=10).isoformat()
    unit, total = iw_contoso_add(d["m0"])
    assert line["costPrice"] == float(unit) and line["costTotal"] == float(total)
    assert line["subscriptions"][0]["quantity"] == 3 and "usage" in line
    by_date = api(sb, tok, "/invoices", "2.2", invoiceDate=d["m0"].isoformat(),
                  sort="invoiceDate", order="desc", size=1000000).json()["data"]
    assert {i["code"] for i in by_date} == {"000701", "000703", "000705"}
    assert {"date", "billingAccountName"} <= set(by_date[0]) and "invoiceDate" not in by_date[0]
    via_code = api(sb, tok, "/invoices", "2.2", invoiceCode="000702").json()
    assert set(via_code) == {"data"} and via_code["data"][0]["id"] == line["id"]
    assert "usage" not in via_code["data"][0]
    pricing = api(sb, tok, "/Subscriptions/%s/pricingInfo" % line["subscriptions"][0]["id"]).json()
    assert pricing["finalUnitPrice"] == 15.0 and pricing["costPrice"] == 11.25
    assert pricing["quantity"] == 27
    assert api(sb, tok, "/invoices/424242").status_code == 404


def canonical_from_api(sb, tok, customer, month):
    """A straightforward v3 connector, mapped as canonical_fixtures documents."""
    acc = api(sb, tok, "/accounts", **{"$filter": "name eq '%s'" % customer.replace("'", "''")}
              ).json()["data"][0]
    cid = str(acc["id"])
    out = {"system": "interworks", "customer": customer, "month": month.isoformat(),
           "companies": [{"id": cid, "name": acc["name"]}], "subscriptions": [],
           "resources": [], "charges": []}
    subs = api(sb, tok, "/subscriptions", pageSize=1000,
               **{"$filter": "account/id eq %s" % cid}).json()["data"]
    terms = {}
    for s in subs:
        terms[s["id"]] = {"Annual": 12, "Monthly": 1}[s["commitmentTerm"]]
        cycle = s["billingCycle"].lower()
        status = {"Active": "active", "Suspended": "suspended"}.get(s["status"], "cancelled")
        out["subscriptions"].append({
            "id": s["id"], "company_id": cid, "name": s["name"], "status": status,
            "billing_cycle": cycle, "term_months": terms[s["id"]],
            "commitment_end": s["endDate"][:10], "auto_renew": s["autoRenew"]})
        pricing = api(sb, tok, "/subscriptions/%s/pricingInfo" % s["id"]).json()
        out["resources"].append({
            "id": s["id"], "subscription_id": s["id"], "company_id": cid,
            "name": s["product"]["name"], "sku": s["product"]["code"],
            "quantity": cf.qty(s["quantity"]), "unit_cost": cf.money(pricing["costPrice"]),
            "unit_price": cf.money(pricing["finalUnitPrice"]),
            "currency": acc["transactionCurrency"], "billing_cycle": cycle,
            "term_months": terms[s["id"]], "commitment_end": s["endDate"][:10], "status": status})
    invoices = api(sb, tok, "/invoices", pageSize=1000,
                   **{"$filter": "accountId eq %s" % cid}).json()["data"]
    for inv in invoices:
        for line in api(sb, tok, "/invoices/%s/lines" % inv["id"], pageSize=1000).json()["data"]:
            start = dt.date.fromisoformat(line["billingPeriodStart"][:10])
            end = dt.date.fromisoformat(line["billingPeriodEnd"][:10])
            if start.replace(day=1) != month:
                continue
            full = add_months(start, 1 if line["unit"] == "Month" else 12) - dt.timedelta(days=1)
            sub = line["subscriptions"][0]
            out["charges"].append({
                "id": line["id"], "company_id": cid, "subscription_id": sub["id"],
                "resource_id": sub["id"], "description": line["product"]["name"],
                "sku": line["product"]["code"], "type": "recurring" if end == full else "proration",
                "period_start": start.isoformat(), "period_end": end.isoformat(),
                "effective": start.isoformat(), "quantity": cf.qty(sub["quantity"]),
                "unit_cost": cf.money(line["costPrice"]),
                "unit_price": cf.money(line["finalPrice"]),
                "extended_cost": cf.money(line["costTotal"]),
                "extended_price": cf.money(line["finalTotal"]), "currency": inv["currency"],
                "term_months": terms[sub["id"]],
                "frequency": {"Month": "monthly", "Annual": "annual"}[line["unit"]]})
    for key in ("subscriptions", "resources", "charges"):
        out[key].sort(key=lambda r: r["id"])
    return out


def test_canonical_fixtures_match_the_api(sb):
    sb.reset("demo")
    tok = token(sb)["access_token"]
    for customer in seed_sources.customers("interworks"):
        want = cf.expected("interworks", customer)
        assert canonical_from_api(sb, tok, customer, dt.date.fromisoformat(want["month"])) == want
    fixture = cf.expected("interworks")
    assert fixture["companies"] == [{"id": "2777", "name": "Contoso Ltd"}]
    assert {r["quantity"] for r in fixture["resources"]} == {"27", "10"}


def test_unknown_path_and_method(sb):
    tok = token(sb)["access_token"]
    assert api(sb, tok, "/nothing").status_code == 404
    resp = requests.delete(sb.url("interworks", "/api/accounts"), timeout=5,
                           headers={"Authorization": "Bearer " + tok})
    assert resp.status_code == 405 and "Type" in resp.json()
