"""Tests of the Microsoft Partner Center simulator (doc/source-apis.md section 4)."""

import csv
import datetime as dt
import decimal
import io
import time

import pytest
import requests

import canonical_fixtures as cf
from calendar_expect import pc_northwind_add
import seed_sources
import sim_partnercenter

CREDS = seed_sources.PARTNERCENTER_CREDENTIALS
TENANT = CREDS["tenant_id"]
APP = {"grant_type": "client_credentials", "client_id": CREDS["client_id"],
       "client_secret": CREDS["client_secret"], "resource": sim_partnercenter.RESOURCE}
INVOICE = "G990100001"


def token_response(sb, form=None, v2=False, tenant=TENANT):
    path = "/%s/oauth2/%stoken" % (tenant, "v2.0/" if v2 else "")
    return sb.call("partnercenter", "POST", path, data=form or APP)


def token(sb):
    resp = token_response(sb)
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def get(sb, tok, path, headers=None, **params):
    all_headers = {"Authorization": "Bearer " + tok, "MS-CorrelationId": "test-corr"}
    all_headers.update(headers or {})
    return sb.call("partnercenter", "GET", "/v1" + path, params=params, headers=all_headers)


def seed_line_items(sb, count):
    """One invoice holding exactly ``count`` billing line items."""
    items = [{"id": "00000000-0000-4000-8000-%012d" % n, "invoiceNumber": INVOICE, "seq": n,
              "chargeType": "cycleCharge", "unitPrice": "1.5", "effectiveUnitPrice": "1.35",
              "quantity": 1, "billableQuantity": 1, "subtotal": "1.35",
              "customerName": "Customer %d" % n} for n in range(count)]
    sb.merge("partnercenter", {"tables": {
        "invoices": [{"id": INVOICE, "invoiceDate": "2099-01-01T00:00:00Z",
                      "billingPeriodStartDate": "2099-01-01T00:00:00Z"}],
        "lineItems": items}})


def follow(sb, tok, first_path, **params):
    """Every item of a continuation-paged collection."""
    body = get(sb, tok, first_path, **params).json()
    items = list(body["items"])
    while "next" in body["links"]:
        nxt = body["links"]["next"]
        headers = {h["key"]: h["value"] for h in nxt["headers"]}
        assert nxt["uri"].endswith("?seekOperation=Next")
        body = get(sb, tok, nxt["uri"].split("?")[0], headers=headers,
                   seekOperation="Next").json()
        items += body["items"]
    return items


# ---------------------------------------------------------------------------
# Entra ID tokens
# ---------------------------------------------------------------------------

def test_v1_token_has_string_numbers_and_v2_has_numbers(sb):
    v1 = token_response(sb).json()
    assert v1["token_type"] == "Bearer" and v1["expires_in"] == "3599"
    assert isinstance(v1["expires_on"], str) and v1["resource"] == sim_partnercenter.RESOURCE
    form = dict(APP, scope=sim_partnercenter.SCOPE)
    form.pop("resource")
    v2 = token_response(sb, form, v2=True).json()
    assert v2["expires_in"] == 3599 and "resource" not in v2
    assert get(sb, v2["access_token"], "/customers").status_code == 200


def test_token_errors_are_entra_id_bodies(sb):
    secret = token_response(sb, dict(APP, client_secret="nope"))
    assert secret.status_code == 401 and secret.json()["error"] == "invalid_client"
    assert secret.json()["error_codes"] == [7000215]
    assert "AADSTS7000215" in secret.json()["error_description"]
    assert token_response(sb, tenant="00000000-0000-0000-0000-000000000000").json()[
        "error_codes"] == [90002]
    assert token_response(sb, dict(APP, client_id="x")).json()["error"] == "unauthorized_client"
    assert token_response(sb, dict(APP, resource="https://graph.microsoft.com")).json()[
        "error"] == "invalid_resource"
    refresh = dict(APP, grant_type="refresh_token", refresh_token=CREDS["refresh_token"])
    user = token_response(sb, refresh).json()
    assert user["refresh_token"] and user["scope"]
    again = token_response(sb, dict(refresh, refresh_token=user["refresh_token"]))
    assert again.status_code == 200
    bad = token_response(sb, dict(refresh, refresh_token="stale"))
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"


def test_api_401_and_app_user_knob(sb):
    resp = get(sb, "forged", "/customers")
    assert resp.status_code == 401
    assert set(resp.json()) == {"code", "description", "data", "source"}
    assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
    sb.configure("partnercenter", require_app_user=True)
    tok = token(sb)
    assert get(sb, tok, "/customers").status_code == 403
    assert get(sb, tok, "/invoices").status_code == 200      # billing allows app-only
    user = token_response(sb, dict(APP, grant_type="refresh_token",
                                   refresh_token=CREDS["refresh_token"])).json()["access_token"]
    assert get(sb, user, "/customers").status_code == 200


def test_token_expiry_and_expired_token_fault_mid_continuation(sb):
    sb.configure("partnercenter", token_lifetime_s=0.3)
    tok = token(sb)
    time.sleep(0.4)
    expired = get(sb, tok, "/customers")
    assert expired.status_code == 401 and "expired" in expired.json()["description"]
    sb.configure("partnercenter", token_lifetime_s=3599)
    seed_line_items(sb, 5)
    tok = token(sb)
    first = get(sb, tok, "/invoices/%s/lineitems/OneTime/BillingLineItems" % INVOICE, size=3).json()
    nxt = {h["key"]: h["value"] for h in first["links"]["next"]["headers"]}
    sb.fault(system="partnercenter", kind="expired_token", path="BillingLineItems")
    path = "/invoices/%s/lineitems/OneTime/BillingLineItems" % INVOICE
    assert get(sb, tok, path, headers=nxt, seekOperation="Next").status_code == 401
    second = get(sb, token(sb), path, headers=nxt, seekOperation="Next").json()
    assert len(second["items"]) == 2 and "next" not in second["links"]


# ---------------------------------------------------------------------------
# Continuation paging, numbers
# ---------------------------------------------------------------------------

def test_line_items_exactly_one_page_and_one_more(sb):
    seed_line_items(sb, 4)
    tok = token(sb)
    path = "/invoices/%s/lineitems/OneTime/BillingLineItems" % INVOICE
    one = get(sb, tok, path, size=4).json()
    assert len(one["items"]) == 4 and "continuationToken" not in one
    assert "next" not in one["links"] and one["totalCount"] == 4
    seed_line_items(sb, 5)
    first = get(sb, tok, path, size=4).json()
    assert first["continuationToken"] and first["links"]["next"]["headers"][0]["key"] == \
        "MS-ContinuationToken"
    names = [i["customerName"] for i in follow(sb, tok, path, size=4)]
    assert names == ["Customer %d" % n for n in range(5)]
    legacy = get(sb, tok, "/invoices/%s/lineitems" % INVOICE, provider="OneTime",
                 invoicelineitemtype="BillingLineItems", size=2000).json()
    assert len(legacy["items"]) == 5
    assert get(sb, tok, path, size=2001).status_code == 400
    assert get(sb, tok, path, seekOperation="Next").status_code == 400      # no token
    assert get(sb, tok, path, headers={"MS-ContinuationToken": "bogus"},
               seekOperation="Next").status_code == 400
    offset = get(sb, tok, path, size=2, offset=3).json()
    assert [i["customerName"] for i in offset["items"]] == ["Customer 3", "Customer 4"]


def test_numbers_arrive_as_strings_or_numbers(sb):
    seed_line_items(sb, 4)
    tok = token(sb)
    path = "/invoices/%s/lineitems/OneTime/BillingLineItems" % INVOICE
    items = get(sb, tok, path).json()["items"]
    assert [type(i["unitPrice"]).__name__ for i in items] == ["str", "float", "str", "float"]
    assert [type(i["quantity"]).__name__ for i in items] == ["str", "int", "str", "int"]
    sb.configure("partnercenter", numbers="strings")
    assert all(isinstance(i["subtotal"], str) for i in get(sb, tok, path).json()["items"])
    sb.configure("partnercenter", numbers="numbers")
    assert all(not isinstance(i["subtotal"], str) for i in get(sb, tok, path).json()["items"])


def test_customer_paging_with_continuation(sb):
    rows = [{"id": "00000000-0000-4000-9000-%012d" % n,
             "companyProfile": {"companyName": "Tenant %d" % n}} for n in range(7)]
    sb.merge("partnercenter", {"tables": {"customers": rows}})
    tok = token(sb)
    resp = get(sb, tok, "/customers", size=3)
    assert resp.headers["MS-CorrelationId"] == "test-corr"
    names = [c["companyProfile"]["companyName"] for c in follow(sb, tok, "/customers", size=3)]
    assert names == ["Tenant %d" % n for n in range(7)]


# ---------------------------------------------------------------------------
# Demo: subscriptions, invoices (monthly + annual), recon CSV
# ---------------------------------------------------------------------------

def test_subscriptions_and_invoices(sb):
    sb.reset("demo")
    tok = token(sb)
    d = seed_sources.source_dates()
    wwi = seed_sources.customer_id("partnercenter", "Wide World Importers")
    subs = get(sb, tok, "/customers/%s/subscriptions" % wwi).json()
    assert subs["attributes"]["objectType"] == "Collection" and subs["totalCount"] == 3
    pbi = next(s for s in subs["items"] if s["offerName"] == "Power BI Pro")
    assert (pbi["billingCycle"], pbi["termDuration"], pbi["autoRenewEnabled"]) == (
        "annual", "P1Y", True)
    assert pbi["commitmentEndDate"][:10] == (
        seed_sources.add_months(d["m0"], 12) - dt.timedelta(days=1)).isoformat()
    contoso = seed_sources.customer_id("partnercenter", "Contoso Ltd")
    e3 = get(sb, tok, "/customers/%s/subscriptions" % contoso).json()["items"][0]
    assert e3["quantity"] == 12 and e3["billingCycle"] == "annual"
    one = get(sb, tok, "/customers/%s/subscriptions/%s" % (contoso, e3["id"])).json()
    assert one["id"] == e3["id"]
    assert get(sb, tok, "/customers/nope/subscriptions").status_code == 404
    invoices = get(sb, tok, "/invoices").json()["items"]
    assert len(invoices) == 2
    annual = next(i for i in invoices if i["invoiceType"] == "OneTime")
    lines = get(sb, tok, "/invoices/%s/lineitems/OneTime/BillingLineItems" % annual["id"]).json()
    assert [l["billingFrequency"] for l in lines["items"]] == ["Annual"]
    assert lines["items"][0]["chargeEndDate"][:10] == pbi["commitmentEndDate"][:10]


def test_recon_csv_endpoint_and_helper(sb, tmp_path):
    sb.reset("demo")
    d = seed_sources.source_dates()
    month = d["m0"].strftime("%Y-%m")
    resp = requests.get(sb.url("partnercenter", "/sandbox/recon/" + month), timeout=5)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.text)))
    assert rows[0] == [title for title, _ in sim_partnercenter.RECON_COLUMNS]
    assert rows[0][:22] == [
        "PartnerId", "CustomerId", "CustomerName", "CustomerDomainName", "CustomerCountry",
        "InvoiceNumber", "MpnId", "ResellerMpnId", "OrderId", "OrderDate", "ProductId", "SkuId",
        "AvailabilityId", "SkuName", "ProductName", "ChargeType", "UnitPrice", "Quantity",
        "Subtotal", "TaxTotal", "Total", "Currency"]
    records = list(csv.DictReader(io.StringIO(resp.text)))
    assert len(records) == 6         # five monthly lines + the annual Power BI line
    add = next(r for r in records if r["ChargeType"] == "Add quantity")
    assert add["ChargeStartDate"] == "%d/20/%d" % (d["m0"].month, d["m0"].year)
    assert add["BillableQuantity"] == "1" and add["Subtotal"] == str(
        decimal.Decimal(pc_northwind_add(d["m0"])[2]).quantize(decimal.Decimal("0.01")))
    for r in records:               # seat-based rule: ROUNDDOWN(effective x rate, 2) x quantity
        unit = decimal.Decimal(r["EffectiveUnitPrice"]).quantize(decimal.Decimal("0.01"),
                                                                 rounding=decimal.ROUND_DOWN)
        assert unit * int(r["BillableQuantity"]) == decimal.Decimal(r["Subtotal"])
    assert {r["BillingFrequency"] for r in records} == {"Monthly", "Annual"}
    path = sim_partnercenter.write_recon_csv(tmp_path / "recon.csv", d["m0"])
    assert path.read_bytes().decode("utf-8-sig") == resp.text
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    one = requests.get(sb.url("partnercenter", "/sandbox/recon/%s?invoiceId=%s" % (
        month, seed_sources.pc_invoice_number(d["m0"], 2))), timeout=5)
    assert len(list(csv.DictReader(io.StringIO(one.text)))) == 1
    iso = sim_partnercenter.recon_csv(d["m0"], date_style="iso")
    assert d["m0"].replace(day=20).isoformat() in iso
    nope = requests.get(sb.url("partnercenter", "/sandbox/recon/nope"), timeout=5)
    assert nope.status_code == 400


def test_timeout_and_500_faults(sb):
    tok = token(sb)
    sb.fault(system="partnercenter", kind="timeout", params={"seconds": 0.3})
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        get(sb, tok, "/invoices")
    assert time.monotonic() - started >= 0.3
    sb.fault(system="partnercenter", kind="http500", params={"status": 503, "message": "busy"})
    resp = get(sb, tok, "/invoices")
    assert resp.status_code == 503 and resp.json()["description"] == "busy"


def canonical_from_api(sb, tok, customer, month):
    """A straightforward connector, mapped as canonical_fixtures documents."""
    status = {"active": "active", "suspended": "suspended", "pending": "pending"}
    customers = follow(sb, tok, "/customers", size=100)
    cust = next(c for c in customers if c["companyProfile"]["companyName"] == customer)
    cid = cust["id"]
    out = {"system": "partnercenter", "customer": customer, "month": month.isoformat(),
           "companies": [{"id": cid, "name": customer}], "subscriptions": [], "resources": [],
           "charges": []}
    terms = {}
    for s in get(sb, tok, "/customers/%s/subscriptions" % cid).json()["items"]:
        term = {"P1M": 1, "P1Y": 12, "P3Y": 36}[s["termDuration"]]
        terms[s["id"]] = term
        st = status.get(s["status"], "cancelled")
        end = s["commitmentEndDate"][:10]
        out["subscriptions"].append({
            "id": s["id"], "company_id": cid, "name": s["friendlyName"], "status": st,
            "billing_cycle": s["billingCycle"], "term_months": term, "commitment_end": end,
            "auto_renew": s["autoRenewEnabled"]})
        out["resources"].append({
            "id": s["id"], "subscription_id": s["id"], "company_id": cid, "name": s["offerName"],
            "sku": s["offerId"], "quantity": cf.qty(s["quantity"]), "unit_cost": None,
            "unit_price": None, "currency": None, "billing_cycle": s["billingCycle"],
            "term_months": term, "commitment_end": end, "status": st})
    kinds = {"new": "recurring", "cyclecharge": "recurring", "renew": "recurring",
             "addquantity": "proration", "removequantity": "refund"}
    for inv in get(sb, tok, "/invoices").json()["items"]:
        path = "/invoices/%s/lineitems/OneTime/BillingLineItems" % inv["id"]
        for li in follow(sb, tok, path, size=2):
            if li["customerId"] != cid or li["chargeStartDate"][:7] != month.isoformat()[:7]:
                continue
            out["charges"].append({
                "id": "%s/%s" % (li["invoiceNumber"], li["referenceId"]), "company_id": cid,
                "subscription_id": li["subscriptionId"], "resource_id": li["subscriptionId"],
                "description": li["productName"],
                "sku": ":".join((li["productId"], li["skuId"], li["availabilityId"])),
                "type": kinds[li["chargeType"].lower()],
                "period_start": li["chargeStartDate"][:10], "period_end": li["chargeEndDate"][:10],
                "effective": li["chargeStartDate"][:10],
                "quantity": cf.qty(li["billableQuantity"]),
                "unit_cost": cf.money(li["effectiveUnitPrice"]),
                "unit_price": cf.money(li["unitPrice"]), "extended_cost": cf.money(li["subtotal"]),
                "extended_price": None, "currency": li["currency"],
                "term_months": 12 if li["termAndBillingCycle"].startswith("One-Year") else 1,
                "frequency": li["billingFrequency"].lower()})
    for key in ("subscriptions", "resources", "charges"):
        out[key].sort(key=lambda x: x["id"])
    return out


def test_canonical_fixtures_match_the_api(sb):
    sb.reset("demo")
    tok = token(sb)
    for customer in seed_sources.customers("partnercenter"):
        want = cf.expected("partnercenter", customer)
        assert canonical_from_api(sb, tok, customer, dt.date.fromisoformat(want["month"])) == want
    north = cf.expected("partnercenter", "Northwind Traders")
    add = next(c for c in north["charges"] if c["type"] == "proration")
    assert (add["unit_cost"], add["unit_price"], add["extended_cost"]) == pc_northwind_add(
        dt.date.fromisoformat(north["month"]))
    fixture = cf.expected("partnercenter")
    assert sorted(c["frequency"] for c in fixture["charges"]) == ["annual", "monthly", "monthly"]
