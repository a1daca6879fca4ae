"""Tests of the MSP360 Managed Backup API simulator (doc/source-apis.md section 5)."""

import datetime as dt
import time

import pytest
import requests

import canonical_fixtures as cf
import seed_sources
from simcore import today

CREDS = seed_sources.MSP360_CREDENTIALS
LOGIN = {"UserName": CREDS["username"], "Password": CREDS["password"]}
GIB = 1024 ** 3


def login(sb, body=None):
    return sb.call("msp360", "POST", "/api/Provider/Login", json=body or LOGIN)


def token(sb):
    resp = login(sb)
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def call(sb, tok, method, path, **kw):
    return sb.call("msp360", method, "/api" + path,
                   headers={"Authorization": "Bearer " + tok}, **kw)


def seed_usage(sb, count, month=None):
    """``count`` users of one company with a billing row each for ``month`` (default now)."""
    month = month or today().strftime("%Y-%m")
    users = [{"id": "00000000-0000-4000-8000-%012d" % n, "email": "u%03d@bulk.example" % n,
              "company": "Bulk Co", "spaceUsed": GIB} for n in range(count)]
    rows = [{"id": "b-" + u["id"], "month": month, "userId": u["id"], "averageSpace": GIB,
             "storageCost": 0.05, "totalCost": 0.05} for u in users]
    sb.merge("msp360", {"tables": {"companies": [{"id": "bulk", "name": "Bulk Co"}],
                                   "users": users, "billing": rows}})


# ---------------------------------------------------------------------------
# Login and authentication
# ---------------------------------------------------------------------------

def test_login_returns_access_token_valid_two_weeks(sb):
    resp = login(sb)
    body = resp.json()
    assert resp.status_code == 200 and body["token_type"] == "bearer"
    assert body["expires_in"] == 1209599 and body["access_token"].startswith("mbs-")
    assert call(sb, body["access_token"], "GET", "/Users").json() == []
    sb.configure("msp360", login_token_field="Token")
    assert "Token" in login(sb).json() and "access_token" not in login(sb).json()


def test_auth_failure_bodies(sb):
    bad = login(sb, dict(LOGIN, Password="wrong-password"))
    assert bad.status_code == 403 and set(bad.json()) == {"Message"}
    short = login(sb, dict(LOGIN, Password="x"))
    assert short.status_code == 400
    denied = call(sb, "forged", "GET", "/Companies")
    assert denied.status_code == 401
    assert denied.json() == {"Message": "Authorization has been denied for this request."}
    sb.configure("msp360", login_failure_status=401)
    assert login(sb, dict(LOGIN, Password="wrong-password")).status_code == 401


def test_token_expiry_and_expired_token_fault(sb):
    sb.configure("msp360", token_lifetime_s=0.3)
    tok = token(sb)
    time.sleep(0.4)
    assert call(sb, tok, "GET", "/Companies").status_code == 401
    sb.configure("msp360", token_lifetime_s=1209599)
    tok = token(sb)
    sb.fault(system="msp360", kind="expired_token", path="/api/Billing")
    assert call(sb, tok, "GET", "/Companies").status_code == 200
    assert call(sb, tok, "GET", "/Billing").status_code == 401
    assert call(sb, token(sb), "GET", "/Billing").status_code == 200


def test_bad_credentials_and_commit_drop_faults(sb):
    tok = token(sb)
    sb.fault(system="msp360", kind="bad_credentials", path="/api/Users")
    assert call(sb, tok, "GET", "/Users").json()["Message"].startswith("Authorization")
    sb.fault(system="msp360", kind="bad_credentials", path="Login")
    assert login(sb).status_code == 403
    before = sb.stats()["msp360"]["tokens_issued"].get("access", 0)
    sb.fault(system="msp360", kind="commit_drop", path="Login")
    with pytest.raises(requests.ConnectionError):
        login(sb)
    assert sb.stats()["msp360"]["tokens_issued"]["access"] == before + 1


# ---------------------------------------------------------------------------
# Demo data and billing
# ---------------------------------------------------------------------------

def test_companies_users_and_monthly_billing(sb):
    sb.reset("demo")
    tok = token(sb)
    d = seed_sources.source_dates()
    companies = call(sb, tok, "GET", "/Companies").json()
    assert [c["Name"] for c in companies] == ["Contoso Ltd", "Lucerne Publishing", "Fourth Coffee"]
    users = call(sb, tok, "GET", "/Users").json()
    assert {"ID", "Email", "Company", "SpaceUsed", "DestinationList", "LicenseManagmentMode"} \
        <= set(users[0])
    last = call(sb, tok, "PUT", "/Billing", json={"CompanyName": "Contoso Ltd",
                                                   "Date": d["m0"].isoformat()}).json()
    assert set(last) == {"CurrentSpaceUsed", "AverageSpaceUsed", "TotalRestore", "StatisticBilling"}
    assert last["AverageSpaceUsed"] == 512 * GIB                  # BACKUP_COMPANIES' 512 GB
    assert {r["CompanyName"] for r in last["StatisticBilling"]} == {"Contoso Ltd"}
    assert sum(r["TotalCost"] for r in last["StatisticBilling"]) == pytest.approx(25.6)
    current = call(sb, tok, "GET", "/Billing").json()
    assert len(current["StatisticBilling"]) == 4
    assert current["AverageSpaceUsed"] != last["AverageSpaceUsed"]
    fourth = call(sb, tok, "PUT", "/Billing", json={"CompanyName": "Fourth Coffee",
                                                     "Date": d["m0"].replace(day=17).isoformat()})
    assert fourth.json()["StatisticBilling"][0]["AverageSpace"] % (GIB // 1000) != 0
    unknown = call(sb, tok, "PUT", "/Billing", json={"CompanyName": "Nobody", "Date": ""})
    assert unknown.status_code == 400 and "Message" in unknown.json()
    sb.configure("msp360", unknown_company="empty")
    empty = call(sb, tok, "PUT", "/Billing", json={"CompanyName": "Nobody"}).json()
    assert empty["StatisticBilling"] == []
    user = users[0]["ID"]
    details = call(sb, tok, "PUT", "/Billing/Details",
                   json={"UserID": user, "Date": d["m0"].isoformat()}).json()
    assert details["UserID"] == user and details["TotalBackupBytes"] > 0
    assert details["UserDetailList"][0]["Computer"]
    assert call(sb, tok, "GET", "/Packages").json()[0]["Cost"] == 0.05


def test_billing_skip_take_at_the_boundary(sb):
    seed_usage(sb, 25)
    tok = token(sb)
    all_rows = call(sb, tok, "GET", "/Billing").json()["StatisticBilling"]
    assert len(all_rows) == 25
    page = call(sb, tok, "GET", "/Billing", params={"skip": 0, "take": 25}).json()
    assert len(page["StatisticBilling"]) == 25
    assert call(sb, tok, "GET", "/Billing", params={"skip": 25, "take": 25}).json()[
        "StatisticBilling"] == []
    seed_usage(sb, 26)
    rest = call(sb, tok, "GET", "/Billing", params={"skip": 25, "take": 25}).json()
    assert [r["Email"] for r in rest["StatisticBilling"]] == ["u025@bulk.example"]
    assert call(sb, tok, "GET", "/Billing", params={"take": "x"}).status_code == 400


def canonical_from_api(sb, tok, customer, month):
    """A straightforward connector, mapped as canonical_fixtures documents."""
    company = next(c for c in call(sb, tok, "GET", "/Companies").json() if c["Name"] == customer)
    cid = company["ID"]
    users = [u for u in call(sb, tok, "GET", "/Users").json() if u["Company"] == customer]
    space = sum(u["SpaceUsed"] for u in users)
    billing = call(sb, tok, "PUT", "/Billing", json={"CompanyName": customer,
                                                      "Date": month.isoformat()}).json()
    end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    charges = []
    for r in billing["StatisticBilling"]:
        quantity = cf.qty(cf.D(r["AverageSpace"]) / cf.D(GIB))
        charges.append({
            "id": "%s/%s" % (month.strftime("%Y-%m"), r["UserId"]), "company_id": cid,
            "subscription_id": cid, "resource_id": cid + "/storage", "description": r["Email"],
            "sku": cf.MSP360_SKU, "type": "usage", "period_start": month.isoformat(),
            "period_end": end.isoformat(), "effective": month.isoformat(), "quantity": quantity,
            "unit_cost": cf.money(cf.D(str(r["TotalCost"])) / cf.D(quantity)),
            "unit_price": None, "extended_cost": cf.money(r["TotalCost"]),
            "extended_price": None, "currency": None, "term_months": 0, "frequency": "usage"})
    return {
        "system": "msp360", "customer": customer, "month": month.isoformat(),
        "companies": [{"id": cid, "name": customer}],
        "subscriptions": [{"id": cid, "company_id": cid, "name": "Managed Backup",
                           "status": "active", "billing_cycle": "usage", "term_months": 0,
                           "commitment_end": None, "auto_renew": None}],
        "resources": [{"id": cid + "/storage", "subscription_id": cid, "company_id": cid,
                       "name": "Backup storage (GB)", "sku": cf.MSP360_SKU,
                       "quantity": cf.qty(cf.D(space) / cf.D(GIB)), "unit_cost": None,
                       "unit_price": None, "currency": None, "billing_cycle": "usage",
                       "term_months": 0, "commitment_end": None, "status": "active"}],
        "charges": sorted(charges, key=lambda c: c["id"])}


def test_canonical_fixtures_match_the_api(sb):
    sb.reset("demo")
    tok = token(sb)
    for customer in seed_sources.customers("msp360"):
        want = cf.expected("msp360", customer)
        assert canonical_from_api(sb, tok, customer, dt.date.fromisoformat(want["month"])) == want
    fourth = cf.expected("msp360", "Fourth Coffee")["charges"][0]
    assert fourth["quantity"] == "64.5" and fourth["extended_cost"] == "3.2300"
    contoso = cf.expected("msp360")
    assert sum(float(c["quantity"]) for c in contoso["charges"]) == 512
