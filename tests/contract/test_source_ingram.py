"""test_source_ingram.py: contract tests of the Ingram Micro Cloud Marketplace connector
(app/connectors/ingram.c) through build/tools/src_probe against a dedicated API sandbox:
canonical records equal to tests/sandbox/canonical_fixtures.py (one resource per MPN, charges
from the month's rated-data report in CSV or JSON), the token (HTTP Basic user + subscription key
+ marketplace) and its renewal mid-pull, offset/limit paging at the boundary, every fault knob,
string and number amounts, and the gateway's and the API's error bodies."""
import json

import pytest

from contract import contract_fixtures
import canonical_fixtures as cf  # noqa: E402 (tests/sandbox, put on the path by contract)
import seed_sources  # noqa: E402

SYSTEM = "ingram"
CREDS = seed_sources.INGRAM_CREDENTIALS
LIMIT = 100                       # the connector's limit per page


def settings(sb, **over):
    s = {"url": sb.url(SYSTEM, "/marketplace/us"), "username": CREDS["username"],
         "password": CREDS["password"], "subscription_key": CREDS["subscription_key"],
         "marketplace": CREDS["marketplace"]}
    s.update(over)
    return s


sandbox, sb, probe = contract_fixtures("src", SYSTEM, settings)


# -- helpers ----------------------------------------------------------------------------------

def expected():
    return cf.expected(SYSTEM)


def month():
    return expected()["month"][:7]


def company_id():
    return expected()["companies"][0]["id"]


def of_company(records, key="company_id"):
    return sorted((r for r in records if r[key] == company_id()), key=lambda r: r["id"])


def gets(sb, fragment):
    return [r for r in sb.requests(SYSTEM) if r["method"] == "GET" and r["path"].endswith(fragment)]


def seed_customers(sb, count):
    sb.reset("empty")
    sb.merge(SYSTEM, {"tables": {"customers": [
        {"id": str(3000000 + n), "name": "Customer %04d" % n} for n in range(count)]}})


def demo_report(sb):
    return sb.state(SYSTEM)["tables"]["reports"][0]


# -- canonical records ------------------------------------------------------------------------

def test_default_customer_equals_the_canonical_fixture(sb, probe):
    want = expected()
    assert of_company(probe("companies"), "id") == want["companies"]
    assert of_company(probe("subscriptions")) == want["subscriptions"]
    assert of_company(probe("resources")) == want["resources"]        # <subscription>/<mpn>
    assert of_company(probe("charges", month())) == want["charges"]
    assert probe("test") == {"summary": "found 4 customers"}
    token = [r for r in sb.requests(SYSTEM) if r["method"] == "POST"]
    assert token and all(json.loads(t["body"]) == {"marketplace": "us"} for t in token)
    assert CREDS["password"] not in probe.stderr and CREDS["subscription_key"] not in probe.stderr


def test_every_customer_matches_its_fixture(sb, probe):
    subs, res, charges = probe("subscriptions"), probe("resources"), probe("charges", month())
    for customer in seed_sources.customers(SYSTEM):
        want = cf.expected(SYSTEM, customer)
        cid = want["companies"][0]["id"]
        pick = lambda rows: sorted((r for r in rows if r["company_id"] == cid), key=lambda r: r["id"])
        assert (pick(subs), pick(res), pick(charges)) == \
            (want["subscriptions"], want["resources"], want["charges"]), customer


def test_json_report_gives_the_same_charges(sb, probe):
    sb.merge(SYSTEM, {"tables": {"reports": [dict(demo_report(sb), format="json")]}})
    assert of_company(probe("charges", month())) == expected()["charges"]
    assert any(r["path"].endswith(".json") for r in sb.requests(SYSTEM))


def test_month_without_a_report_is_not_found_and_retryable(probe):
    err = probe.error("charges", "2001-01")
    assert err["kind"] == "not_found" and err["retryable"] and "2001-01" in err["message"]


# -- tokens -----------------------------------------------------------------------------------

def test_token_that_expires_mid_pull_is_renewed_and_the_data_is_complete(sb, probe):
    sb.fault(system=SYSTEM, kind="expired_token", path="/subscriptions/1000402$")
    assert of_company(probe("resources")) == expected()["resources"]
    stats = sb.stats()[SYSTEM]
    assert stats["tokens_issued"]["access"] == 2 and stats["faults_fired"] == {"expired_token": 1}
    assert [r["status"] for r in gets(sb, "/subscriptions/1000402")] == [401, 200]


def test_short_lived_tokens_are_renewed_during_a_long_pull(sb, probe):
    sb.configure(SYSTEM, token_lifetime_s=0.3, processing_ms=80)
    assert of_company(probe("resources")) == expected()["resources"]
    assert sb.stats()[SYSTEM]["tokens_issued"]["access"] >= 2


# -- credentials --------------------------------------------------------------------------------

def test_wrong_password_is_an_auth_error_with_the_correlation_id(probe):
    err = probe.error("companies", password="Wr0ng-Passw0rd!")
    assert err["kind"] == "auth" and err["http_status"] == 401
    assert err["message"].startswith("Bad credentials (correlation ID a8n-")
    assert "user name and password" in err["hint"]
    assert "Wr0ng-Passw0rd!" not in probe.stderr


def test_wrong_subscription_key_is_the_gateways_auth_error(probe):
    err = probe.error("test", subscription_key="0" * 32)
    assert err["kind"] == "auth" and "invalid subscription key" in err["message"]
    assert "subscription key" in err["hint"]


def test_unknown_marketplace_and_missing_settings_are_config_errors(probe):
    err = probe.error("test", marketplace="zz")
    assert err["kind"] == "config" and "Unknown marketplace 'zz'" in err["message"]
    err = probe.error("test", subscription_key="")
    assert err["kind"] == "config" and "subscription key" in err["message"]


def test_refused_api_token_is_reported_after_one_renewal(sb, probe):
    sb.fault(system=SYSTEM, kind="bad_credentials", path="/customers$", count=-1)
    err = probe.error("companies")
    assert err["kind"] == "auth" and err["message"].startswith("Invalid access token")
    assert len(gets(sb, "/customers")) == 2


# -- paging -------------------------------------------------------------------------------------

@pytest.mark.parametrize("count,requests", [(LIMIT, 1), (LIMIT + 1, 2), (2 * LIMIT + 5, 3)])
def test_offset_limit_paging_at_the_boundary(sb, probe, count, requests):
    seed_customers(sb, count)
    ids = sorted(int(r["id"]) for r in probe("companies"))
    assert ids == list(range(3000000, 3000000 + count))
    queries = [r["query"] for r in gets(sb, "/customers")]
    assert len(queries) == requests and "offset=0&limit=100" in queries[0]


def test_a_server_that_clamps_the_limit_still_pages_completely(sb, probe):
    seed_customers(sb, LIMIT + 1)
    sb.configure(SYSTEM, max_limit=30)
    assert len(probe("companies")) == LIMIT + 1
    assert len(gets(sb, "/customers")) == 4


# -- faults ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,params", [
    ("latency", {"ms": 300}), ("http429", {"retry_after": 1}), ("http500", {}), ("reset", {}),
    ("timeout", {"seconds": 1}), ("thread_limit", {"retry_after": 1}),
])
def test_read_faults_are_retried(sb, probe, kind, params):
    sb.fault(system=SYSTEM, kind=kind, path="/subscriptions$", params=params)
    assert of_company(probe("subscriptions")) == expected()["subscriptions"]
    assert sb.stats()[SYSTEM]["faults_fired"] == {kind: 1}


def test_faults_on_the_report_download_are_retried(sb, probe):
    sb.fault(system=SYSTEM, kind="reset", path="/report-files/")
    assert of_company(probe("charges", month())) == expected()["charges"]


def test_refusals_are_reported_with_the_remote_message(sb, probe):
    sb.fault(system=SYSTEM, kind="http429", path="/customers$", params={"retry_after": 900})
    err = probe.error("companies")
    assert err["kind"] == "throttled" and err["retryable"]
    assert err["message"] == "Rate limit is exceeded. Try again in 900 seconds."
    sb.fault(system=SYSTEM, kind="http500", path="/customers$",
             params={"status": 400, "message": "offset must be a number"})
    err = probe.error("companies")
    assert err["kind"] == "rejected" and err["http_status"] == 400
    assert err["message"].startswith("offset must be a number (correlation ID a8n-")


# -- amounts and parsing ----------------------------------------------------------------------------

def test_string_and_number_amounts_parse_exactly(sb, probe):
    tailspin = cf.expected(SYSTEM, "Tailspin Toys Ltd")["resources"][0]
    assert tailspin["unit_cost"] == "11.0350"
    assert [r for r in probe("resources") if r["id"] == tailspin["id"]] == [tailspin]   # "11.0350"
    detail = sb.call(SYSTEM, "GET", "/marketplace/us/subscriptions/1000402", headers={
        "X-Subscription-Key": CREDS["subscription_key"], "Authorization": "Bearer " + sb.call(
            SYSTEM, "POST", "/marketplace/us/token", auth=(CREDS["username"], CREDS["password"]),
            headers={"X-Subscription-Key": CREDS["subscription_key"]},
            json={"marketplace": "us"}).json()["token"]}).json()
    product = detail["products"][0]
    product.update(quantity=12, unitCost={"amount": 11.035, "currency": "USD"},
                   unitPrice={"amount": 15, "currency": "USD"}, newField={"x": 1})
    sb.fault(system=SYSTEM, kind="garbage_body", path="/subscriptions/1000402$",
             params={"body": json.dumps(detail)})
    got = next(r for r in probe("resources") if r["subscription_id"] == "1000402")
    assert (got["quantity"], got["unit_cost"], got["unit_price"]) == ("12", "11.0350", "15.0000")


@pytest.mark.parametrize("body,words", [
    ("", "not JSON"), ('{"data": [{"id": "1", "na', "not JSON"), ("<html>Bad Gateway</html>", "not JSON"),
    ('{"not": "a list"}', "no data list"),
    ('{"data": [{"name": "No Id Co"}], "pagination": {"offset": 0, "limit": 100, "total": 1}}', "no id"),
])
def test_garbage_bodies_are_a_clear_bad_response(sb, probe, body, words):
    sb.fault(system=SYSTEM, kind="garbage_body", path="/customers$", params={"body": body})
    err = probe.error("companies")
    assert err["kind"] == "bad_response" and words in err["message"] and "Ingram Micro" in err["message"]


def test_unknown_fields_are_ignored(sb, probe):
    body = json.dumps({"data": [{"id": "77", "name": "Future Co", "status": "active",
                                 "segments": [{"a": None}], "score": 2.5}],
                       "pagination": {"offset": 0, "limit": 100, "total": 1, "next": None}})
    sb.fault(system=SYSTEM, kind="garbage_body", path="/customers$", params={"body": body})
    assert probe("companies") == [{"id": "77", "name": "Future Co"}]


@pytest.mark.parametrize("body,words", [
    ("Customer Account ID,Subscription ID\r\n1000301,1000401,extra\r\n", "fields"),
    ('Customer Account ID,Subscription ID\r\n"1000301,1000401\r\n', "quote"),
    ("", "no header"),
])
def test_broken_report_files_are_a_clear_bad_response(sb, probe, body, words):
    sb.fault(system=SYSTEM, kind="garbage_body", path="/report-files/", params={"body": body})
    err = probe.error("charges", month())
    assert err["kind"] == "bad_response" and "rated-data report" in err["message"]
    assert words in err["message"]


def test_report_row_without_a_required_column(sb, probe):
    body = "Customer Account ID,Subscription ID,Charge Start Date,Charge Type\r\n" \
           "1000301,1000401,%s,recurring\r\n" % expected()["month"]
    sb.fault(system=SYSTEM, kind="garbage_body", path="/report-files/", params={"body": body})
    err = probe.error("charges", month())
    assert err["kind"] == "bad_response" and "Resource MPN" in err["message"]


@pytest.mark.parametrize("qty", ["12,50", "NaN", "twelve", {"value": 3}])
def test_an_unreadable_quantity_fails_the_read_naming_the_record(sb, probe, qty):
    """Never a silent 0: a quantity billsync cannot read would plan a decrease to 0 seats."""
    detail = sb.call(SYSTEM, "GET", "/marketplace/us/subscriptions/1000402", headers={
        "X-Subscription-Key": CREDS["subscription_key"], "Authorization": "Bearer " + sb.call(
            SYSTEM, "POST", "/marketplace/us/token", auth=(CREDS["username"], CREDS["password"]),
            headers={"X-Subscription-Key": CREDS["subscription_key"]},
            json={"marketplace": "us"}).json()["token"]}).json()
    mpn = detail["products"][0]["mpn"]
    detail["products"][0]["quantity"] = qty
    sb.fault(system=SYSTEM, kind="garbage_body", path="/subscriptions/1000402$",
             params={"body": json.dumps(detail)})
    err = probe.error("resources")
    assert err["kind"] == "bad_response"
    assert f"subscription 1000402, product {mpn}, has a quantity that is not a quantity" in err["message"]
