"""Tests of the Ingram Micro Cloud Marketplace API simulator (doc/source-apis.md section 3)."""

import csv
import datetime as dt
import io
import re
import time

import pytest
import requests

import canonical_fixtures as cf
import seed_sources

CREDS = seed_sources.INGRAM_CREDENTIALS
KEY = {"X-Subscription-Key": CREDS["subscription_key"]}
BASIC = (CREDS["username"], CREDS["password"])


def token_response(sb, headers=KEY, auth=BASIC, body=None, region="us"):
    return sb.call("ingram", "POST", "/marketplace/%s/token" % region, headers=headers, auth=auth,
                   json={"marketplace": "us"} if body is None else body)


def token(sb):
    resp = token_response(sb)
    assert resp.status_code == 200, resp.text
    return resp.json()["token"]


def get(sb, tok, path, key=True, **params):
    headers = {"Authorization": "Bearer " + tok}
    if key:
        headers.update(KEY)
    return sb.call("ingram", "GET", "/marketplace/us" + path, params=params, headers=headers)


def seed_customers(sb, count):
    rows = [{"id": str(2000000 + n), "name": "Customer %04d" % n} for n in range(count)]
    sb.merge("ingram", {"tables": {"customers": rows}})


def error_shape(body):
    return set(body) == {"timeStamp", "status", "message", "path", "correlationId"}


# ---------------------------------------------------------------------------
# Token and authentication
# ---------------------------------------------------------------------------

def test_token_needs_basic_auth_subscription_key_and_marketplace(sb):
    resp = token_response(sb)
    assert resp.status_code == 200
    assert set(resp.json()) == {"token", "expiresInSeconds"}
    assert resp.json()["expiresInSeconds"] == 1500
    assert resp.headers["X-Correlation-ID"].startswith("a8n-")
    no_key = token_response(sb, headers={})
    assert no_key.status_code == 401
    assert no_key.json()["statusCode"] == 401 and "subscription key" in no_key.json()["message"]
    bad_key = token_response(sb, headers={"X-Subscription-Key": "0" * 32})
    assert bad_key.status_code == 401 and "invalid subscription key" in bad_key.json()["message"]
    bad_pass = token_response(sb, auth=(BASIC[0], "nope"))
    assert bad_pass.status_code == 401 and error_shape(bad_pass.json())
    assert bad_pass.json()["correlationId"].startswith("a8n-")
    assert token_response(sb, body={}).status_code == 400
    assert token_response(sb, body={"marketplace": "zz"}).status_code == 400
    sb.configure("ingram", require_marketplace=False)
    assert token_response(sb, body={}).status_code == 200


def test_api_calls_need_key_and_token(sb):
    tok = token(sb)
    assert get(sb, tok, "/customers").status_code == 200
    assert get(sb, tok, "/customers", key=False).json()["statusCode"] == 401
    forged = get(sb, "forged", "/customers")
    assert forged.status_code == 401 and error_shape(forged.json())
    assert forged.json()["path"] == "/marketplace/us/customers"


def test_token_expiry_and_expired_token_fault(sb):
    sb.configure("ingram", token_lifetime_s=0.3)
    tok = token(sb)
    time.sleep(0.4)
    expired = get(sb, tok, "/customers")
    assert expired.status_code == 401 and expired.json()["message"] == "Access token expired"
    sb.configure("ingram", token_lifetime_s=1500)
    seed_customers(sb, 15)
    tok = token(sb)
    assert get(sb, tok, "/customers", offset=0, limit=10).status_code == 200
    sb.fault(system="ingram", kind="expired_token", path="/customers")
    assert get(sb, tok, "/customers", offset=10, limit=10).status_code == 401
    assert len(get(sb, token(sb), "/customers", offset=10, limit=10).json()["data"]) == 5


# ---------------------------------------------------------------------------
# Paging
# ---------------------------------------------------------------------------

def test_offset_limit_paging_at_the_boundary(sb):
    seed_customers(sb, 100)
    tok = token(sb)
    full = get(sb, tok, "/customers", offset=0, limit=100).json()
    assert len(full["data"]) == 100
    assert full["pagination"] == {"offset": 0, "limit": 100, "total": 100}
    assert get(sb, tok, "/customers", offset=100, limit=100).json()["data"] == []
    seed_customers(sb, 101)
    first = get(sb, tok, "/customers", offset=0, limit=100).json()
    assert first["pagination"]["total"] == 101
    rest = get(sb, tok, "/customers", offset=100, limit=100).json()
    assert [c["id"] for c in rest["data"]] == ["2000100"]
    assert get(sb, tok, "/customers").json()["pagination"]["limit"] == 10
    clamped = get(sb, tok, "/customers", limit=500).json()
    assert clamped["pagination"]["limit"] == 100 and len(clamped["data"]) == 100
    sb.configure("ingram", over_limit="error")
    assert get(sb, tok, "/customers", limit=500).status_code == 400
    assert get(sb, tok, "/customers", offset=-1).status_code == 400


# ---------------------------------------------------------------------------
# Demo: company -> subscription -> resources, string amounts, reports
# ---------------------------------------------------------------------------

def test_subscription_resources_with_string_amounts(sb):
    sb.reset("demo")
    tok = token(sb)
    fabrikam = seed_sources.customer_id("ingram", "Fabrikam Inc")
    subs = get(sb, tok, "/subscriptions", customerId=fabrikam).json()
    assert subs["pagination"]["total"] == 2
    assert "products" not in subs["data"][0]
    detail = get(sb, tok, "/subscriptions/1000401").json()
    assert [p["quantity"] for p in detail["products"]] == [40.0, 5.0]
    bp = detail["products"][0]
    assert bp["unitPrice"] == {"amount": "26.4000", "currency": "USD"}
    assert bp["extendedPrice"]["amount"] == "1056.0000"
    assert detail["totalPrice"]["amount"] == "1068.0000"
    assert detail["subscriptionPeriod"] == {"type": "year", "duration": 1}
    tailspin = get(sb, tok, "/subscriptions/1000404").json()
    assert tailspin["products"][0]["unitCost"]["amount"] == "11.0350"
    assert all(isinstance(p["unitPrice"]["amount"], str) for p in tailspin["products"])
    terminated = get(sb, tok, "/subscriptions", status="terminated").json()["data"]
    assert [s["id"] for s in terminated] == ["1000406"]
    assert get(sb, tok, "/subscriptions", status="bogus").status_code == 400
    missing = get(sb, tok, "/subscriptions/999")
    assert missing.status_code == 404 and error_shape(missing.json())
    sb.configure("ingram", list_includes_products=True)
    listed = get(sb, tok, "/subscriptions", customerId=fabrikam).json()["data"]
    assert all("products" in s for s in listed)
    mpn = get(sb, tok, "/products", mpn=bp["mpn"]).json()["data"]
    assert mpn[0]["prices"][0]["amount"] == "26.4000"


def test_rated_data_report_download(sb):
    sb.reset("demo")
    tok = token(sb)
    d = seed_sources.source_dates()
    reports = get(sb, tok, "/reports", type="monthly", **{"from": d["m0"].isoformat()}).json()
    report = reports["data"][0]
    assert report["status"] == "completed" and report["format"] == "csv"
    text = requests.get(report["downloadUrl"], timeout=5).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0].keys() >= {"Customer Account ID", "End Customer Name", "Subscription ID",
                              "Resource MPN", "Charge Type", "Unit Price", "Extended Cost"}
    prorate = [r for r in rows if r["Charge Type"] == "prorate"]
    assert {r["End Customer Name"] for r in prorate} == {"Fabrikam Inc", "Adventure Works"}
    assert all(re.fullmatch(r"\d+\.\d{4}", r["Unit Cost"]) for r in rows)
    as_json = requests.get(report["downloadUrl"][:-3] + "json", timeout=5).json()
    assert len(as_json) == len(rows) and as_json[0]["Duration"] == "1.0000"
    assert requests.get(sb.url("ingram", "/report-files/none.csv"), timeout=5).status_code == 404


def test_latency_thread_limit_and_reset_faults(sb):
    tok = token(sb)
    sb.fault(system="ingram", kind="latency", params={"ms": 250})
    started = time.monotonic()
    assert get(sb, tok, "/customers").status_code == 200
    assert time.monotonic() - started >= 0.25
    sb.fault(system="ingram", kind="thread_limit", params={"retry_after": 2})
    busy = get(sb, tok, "/customers")
    assert busy.status_code == 429 and busy.headers["Retry-After"] == "2"
    assert busy.json()["statusCode"] == 429
    sb.fault(system="ingram", kind="reset")
    with pytest.raises(requests.ConnectionError):
        get(sb, tok, "/customers")
    assert get(sb, tok, "/customers").status_code == 200


def report_rows(sb, tok, month):
    rows = []
    for report in get(sb, tok, "/reports", type="monthly", limit=100).json()["data"]:
        if report["startDate"][:7] == month.isoformat()[:7]:
            text = requests.get(report["downloadUrl"], timeout=5).text
            rows += list(csv.DictReader(io.StringIO(text)))
    return rows


def canonical_from_api(sb, tok, customer, month):
    """A straightforward connector, mapped as canonical_fixtures documents."""
    status = {"active": "active", "hold": "suspended", "pending": "pending",
              "terminated": "cancelled", "removed": "cancelled"}
    period = lambda p: (12 if p["type"] == "year" else 1) * p["duration"]
    cust = get(sb, tok, "/customers", name=customer, limit=100).json()["data"]
    cid = next(c["id"] for c in cust if c["name"] == customer)
    out = {"system": "ingram", "customer": customer, "month": month.isoformat(),
           "companies": [{"id": cid, "name": customer}], "subscriptions": [], "resources": [],
           "charges": []}
    for item in get(sb, tok, "/subscriptions", customerId=cid, limit=100).json()["data"]:
        s = get(sb, tok, "/subscriptions/%s" % item["id"]).json()
        cycle = "monthly" if period(s["billingPeriod"]) == 1 else "annual"
        term = period(s["subscriptionPeriod"])
        out["subscriptions"].append({
            "id": s["id"], "company_id": cid, "name": s["name"], "status": status[s["status"]],
            "billing_cycle": cycle, "term_months": term, "commitment_end": s["expirationDate"],
            "auto_renew": s["renewalStatus"]})
        for p in s["products"]:
            out["resources"].append({
                "id": "%s/%s" % (s["id"], p["mpn"]), "subscription_id": s["id"],
                "company_id": cid, "name": p["name"], "sku": p["mpn"],
                "quantity": cf.qty(p["quantity"]), "unit_cost": cf.money(p["unitCost"]["amount"]),
                "unit_price": cf.money(p["unitPrice"]["amount"]),
                "currency": p["unitPrice"]["currency"], "billing_cycle": cycle,
                "term_months": term, "commitment_end": s["expirationDate"],
                "status": status[s["status"]]})
    for r in report_rows(sb, tok, month):
        if r["Customer Account ID"] != cid:
            continue
        months = lambda text: int(text.split()[0]) * (12 if "year" in text else 1)
        out["charges"].append({
            "id": "/".join((r["Subscription ID"], r["Resource MPN"], r["Charge Start Date"],
                            r["Charge Type"])),
            "company_id": cid, "subscription_id": r["Subscription ID"],
            "resource_id": "%s/%s" % (r["Subscription ID"], r["Resource MPN"]),
            "description": r["Resource Name"], "sku": r["Resource MPN"],
            "type": {"recurring": "recurring", "prorate": "proration"}[r["Charge Type"]],
            "period_start": r["Charge Start Date"], "period_end": r["Charge End Date"],
            "effective": r["Charge Start Date"], "quantity": cf.qty(r["Quantity"]),
            "unit_cost": cf.money(r["Unit Cost"]), "unit_price": cf.money(r["Unit Price"]),
            "extended_cost": cf.money(r["Extended Cost"]),
            "extended_price": cf.money(r["Extended Price"]), "currency": r["Currency"],
            "term_months": months(r["Subscription Period"]),
            "frequency": "monthly" if months(r["Billing Period"]) == 1 else "annual"})
    for key in ("subscriptions", "resources", "charges"):
        out[key].sort(key=lambda x: x["id"])
    return out


def test_canonical_fixtures_match_the_api(sb):
    sb.reset("demo")
    tok = token(sb)
    for customer in seed_sources.customers("ingram"):
        want = cf.expected("ingram", customer)
        assert canonical_from_api(sb, tok, customer, dt.date.fromisoformat(want["month"])) == want
    fixture = cf.expected("ingram")
    assert len(fixture["subscriptions"]) == 2 and len(fixture["resources"]) == 3
    assert fixture["resources"][0]["quantity"] == "40"
