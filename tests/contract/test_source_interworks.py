"""test_source_interworks.py: contract tests of the interworks.cloud connector
(app/connectors/interworks.c) through build/tools/src_probe against a dedicated API sandbox:
canonical records equal to tests/sandbox/canonical_fixtures.py, the password grant with the
client key/secret as HTTP Basic and token renewal (also when a token expires mid-pull), API
versions 3 and 2.2, paging at the page-size boundary, every fault knob (retried, or reported in
the platform's own words), string and number amounts, and bodies that are not what they should
be (no crash, a clear bad_response)."""
import json

import pytest

from contract import as_probe_output, contract_fixtures
import canonical_fixtures as cf  # noqa: E402 (tests/sandbox, put on the path by contract)
import seed_sources  # noqa: E402

SYSTEM = "interworks"
CREDS = seed_sources.INTERWORKS_CREDENTIALS
PAGE = 1000                       # the connector's pageSize / size


def settings(sb, **over):
    s = {"url": sb.url(SYSTEM), "client_key": CREDS["client_key"],
         "client_secret": CREDS["client_secret"], "username": CREDS["username"],
         "password": CREDS["password"]}
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


def pull(probe, **over):
    """The default customer's canonical records, as the fixture lists them."""
    return {"companies": of_company(probe("companies", **over), "id"),
            "subscriptions": of_company(probe("subscriptions", **over)),
            "resources": of_company(probe("resources", **over)),
            "charges": of_company(probe("charges", month(), **over))}


def gets(sb, fragment):
    return [r for r in sb.requests(SYSTEM) if r["method"] == "GET" and r["path"].endswith(fragment)]


def seed_accounts(sb, count):
    sb.reset("empty")
    sb.merge(SYSTEM, {"tables": {"accounts": [
        {"id": 50000 + n, "name": "Account %04d" % n, "currency": "EUR"} for n in range(count)]}})


# -- canonical records ------------------------------------------------------------------------

def test_default_customer_equals_the_canonical_fixture(sb, probe):
    want = expected()
    got = pull(probe)
    for key in ("companies", "subscriptions", "resources", "charges"):
        assert got[key] == as_probe_output(want[key]), key
    assert probe("test") == {"summary": "found 3 accounts (API version 3)"}
    # The client key and secret went as HTTP Basic to the password grant, never as form fields.
    posts = [r for r in sb.requests(SYSTEM) if r["method"] == "POST"]
    assert posts and all("grant_type=password" in p["body"] for p in posts)
    assert not any("client_secret" in p["body"] or "client_id" in p["body"] for p in posts)
    assert CREDS["password"] not in probe.stderr and CREDS["client_secret"] not in probe.stderr


def test_api_version_22_reads_the_same_money_and_leaves_unstated_values_empty(sb, probe):
    want = expected()
    got = pull(probe, api_version="2.2")
    assert got["companies"] == want["companies"]
    # 2.2 states no currency and no commitment term: those stay empty, the rest is identical.
    charges = [dict(c, currency=None, term_months=0) for c in want["charges"]]
    assert got["charges"] == as_probe_output(charges)
    subs = {s["id"]: s for s in want["subscriptions"]}
    for r in got["resources"]:
        sub = subs[r["id"]]
        assert r["name"] == sub["name"] and r["sku"] is None and r["currency"] is None
        assert r["term_months"] == 0 and r["commitment_end"] == sub["commitment_end"]
    assert [(r["quantity"], r["unit_cost"], r["unit_price"]) for r in got["resources"]] == \
        [(r["quantity"], r["unit_cost"], r["unit_price"]) for r in want["resources"]]
    assert all(s["term_months"] == 0 and not s["auto_renew"] for s in got["subscriptions"])
    log = sb.requests(SYSTEM)
    assert any("page=1&size=1000" in r["query"] for r in log)
    assert any("invoiceCode=" in r["query"] for r in log)          # 2.2's way to an invoice's lines
    assert not any(r["path"].endswith("/lines") for r in log)
    assert probe("test", api_version="2.2") == {"summary": "found 3 accounts (API version 2.2)"}


def test_unsupported_api_version_is_a_config_error(probe):
    err = probe.error("companies", api_version="4")
    assert err["kind"] == "config" and "2.2 or 3" in err["message"]


# -- tokens -----------------------------------------------------------------------------------

def test_token_that_expires_mid_pull_is_renewed_and_the_data_is_complete(sb, probe):
    lines = [l for l in sb.state(SYSTEM)["tables"]["invoiceLines"]]
    second_invoice = sorted({l["invoiceId"] for l in lines})[1]
    sb.fault(system=SYSTEM, kind="expired_token", path="/api/invoices/%d/lines" % second_invoice)
    assert of_company(probe("charges", month())) == as_probe_output(expected()["charges"])
    issued = sb.stats()[SYSTEM]["tokens_issued"]
    assert issued["access"] == 2 and sb.stats()[SYSTEM]["faults_fired"] == {"expired_token": 1}
    posts = [r["body"] for r in sb.requests(SYSTEM) if r["method"] == "POST"]
    assert posts[0].startswith("grant_type=password")
    assert posts[1].startswith("grant_type=refresh_token")     # renewed with the refresh token


def test_short_lived_tokens_are_renewed_during_a_long_pull(sb, probe):
    sb.configure(SYSTEM, token_lifetime_s=0.3, processing_ms=60)
    assert of_company(probe("resources")) == as_probe_output(expected()["resources"])
    assert sb.stats()[SYSTEM]["tokens_issued"]["access"] >= 2


def test_expired_refresh_token_falls_back_to_the_password(sb, probe):
    sb.configure(SYSTEM, token_lifetime_s=0.3, refresh_token_lifetime_s=0.3, processing_ms=120)
    assert of_company(probe("resources")) == as_probe_output(expected()["resources"])
    posts = [r for r in sb.requests(SYSTEM) if r["method"] == "POST"]
    refused = [i for i, p in enumerate(posts) if p["body"].startswith("grant_type=refresh_token")
               and p["status"] == 400]
    assert refused and posts[refused[0] + 1]["body"].startswith("grant_type=password")
    assert posts[refused[0] + 1]["status"] == 200


# -- credentials --------------------------------------------------------------------------------

def test_wrong_password_is_an_auth_error_in_the_platforms_words(probe):
    err = probe.error("companies", password="Wr0ng-Passw0rd!")
    assert err["kind"] == "auth" and err["http_status"] == 400
    assert err["message"] == "The user name or password is incorrect."
    assert "user name and password" in err["hint"]
    assert "Wr0ng-Passw0rd!" not in probe.stderr


def test_wrong_client_secret_is_an_auth_error_naming_the_client(probe):
    err = probe.error("test", client_secret="not-the-secret")
    assert err["kind"] == "auth" and "HTTP Basic" in err["message"]
    assert "client key and secret" in err["hint"]


def test_refused_api_token_is_reported_after_one_renewal(sb, probe):
    sb.fault(system=SYSTEM, kind="bad_credentials", path="/api/accounts", count=-1)
    err = probe.error("companies")
    assert err["kind"] == "auth" and err["http_status"] == 401
    assert err["message"] == "Authorization has been denied for this request."
    assert len(gets(sb, "/api/accounts")) == 2           # once more with a new token, not more
    assert sb.stats()[SYSTEM]["tokens_issued"]["access"] == 2


def test_missing_setting_is_a_config_error(probe):
    err = probe.error("test", client_key="")
    assert err["kind"] == "config" and "client key" in err["message"]


# -- paging -------------------------------------------------------------------------------------

@pytest.mark.parametrize("version,count,requests", [
    ("3", PAGE, 1), ("3", PAGE + 1, 2), ("2.2", PAGE, 2), ("2.2", PAGE + 1, 2), ("3", 2 * PAGE + 5, 3),
])
def test_paging_across_pages_and_at_the_boundary(sb, probe, version, count, requests):
    seed_accounts(sb, count)
    ids = [int(r["id"]) for r in probe("companies", api_version=version)]
    assert sorted(ids) == list(range(50000, 50000 + count))
    assert len(gets(sb, "/api/accounts")) == requests


# -- faults ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,params", [
    ("latency", {"ms": 300}), ("http429", {"retry_after": 1}), ("http500", {}), ("reset", {}),
    ("timeout", {"seconds": 1}),
])
def test_read_faults_are_retried(sb, probe, kind, params):
    sb.fault(system=SYSTEM, kind=kind, path="/api/subscriptions$", params=params)
    assert of_company(probe("subscriptions")) == as_probe_output(expected()["subscriptions"])
    assert sb.stats()[SYSTEM]["faults_fired"] == {kind: 1}


def test_throttle_answered_with_429_is_retried_too(sb, probe):
    sb.configure(SYSTEM, throttle_status=429)
    sb.fault(system=SYSTEM, kind="http429", path="/api/accounts", params={"retry_after": 1})
    assert len(probe("companies")) == 3


def test_persistent_throttle_and_server_error_are_reported_with_the_message(sb, probe):
    sb.fault(system=SYSTEM, kind="http429", path="/api/accounts", params={"retry_after": 600})
    err = probe.error("companies")
    assert err["kind"] == "throttled" and err["retryable"] and err["http_status"] == 403
    assert err["message"] == "API rate limit exceeded. Retry after 600 seconds."
    sb.fault(system=SYSTEM, kind="http500", path="/api/accounts", count=-1,
             params={"message": "Database timeout"})
    err = probe.error("companies")
    assert err["kind"] == "network" and err["retryable"] and err["http_status"] == 500
    assert err["message"] == "Database timeout"


# -- amounts and parsing ----------------------------------------------------------------------------

def test_string_and_number_amounts_parse_exactly(sb, probe):
    state = sb.state(SYSTEM)["tables"]
    sub = next(s for s in state["subscriptions"] if s["accountId"] == int(company_id())
               and s["quantity"] == 10)
    line = next(l for l in state["invoiceLines"] if l["subscriptionId"] == sub["id"])
    sb.merge(SYSTEM, {"tables": {
        "subscriptions": [dict(sub, costPrice=11.035, finalUnitPrice=12.5)],
        "invoiceLines": [dict(line, costPrice="11.0350", costTotal="110.3500", finalPrice=12.5)]}})
    res = next(r for r in probe("resources") if r["id"] == sub["id"])
    assert (res["unit_cost"], res["unit_price"]) == ("11.0350", "12.5000")
    ch = next(c for c in probe("charges", month()) if c["id"] == line["id"])
    assert (ch["unit_cost"], ch["extended_cost"], ch["unit_price"]) == ("11.0350", "110.3500", "12.5000")


def test_unknown_fields_are_ignored(sb, probe):
    body = json.dumps({"data": [{"id": 7, "name": "Future Co", "newBlock": {"x": [1, None]},
                                 "score": 3.5}], "paging": {"totalPages": 1, "cursor": "n/a"},
                       "meta": True})
    sb.fault(system=SYSTEM, kind="garbage_body", path="/api/accounts", params={"body": body})
    assert probe("companies") == [{"id": "7", "name": "Future Co"}]


@pytest.mark.parametrize("body,words", [
    ("", "not JSON"), ('{"data": [{"id": 1, "na', "not JSON"), ("<html>Bad Gateway</html>", "not JSON"),
    ('{"not": "a list"}', "no data list"),
    ('{"data": [{"name": "No Id Co"}], "paging": {"totalPages": 1}}', "no id"),
    ('{"data": [17], "paging": {"totalPages": 1}}', "not an object"),
])
def test_garbage_bodies_are_a_clear_bad_response(sb, probe, body, words):
    sb.fault(system=SYSTEM, kind="garbage_body", path="/api/accounts", params={"body": body})
    err = probe.error("companies")
    assert err["kind"] == "bad_response" and words in err["message"]
    assert "interworks.cloud" in err["message"]


def test_garbage_token_answer_and_line_without_id(sb, probe):
    sb.fault(system=SYSTEM, kind="garbage_body", path="/oauth/token", params={"body": '{"access'})
    err = probe.error("test")
    assert err["kind"] == "bad_response" and "token" in err["message"]
    sb.fault(system=SYSTEM, kind="garbage_body", path="/oauth/token",
             params={"body": '{"token_type": "bearer"}'})
    assert probe.error("test")["kind"] == "bad_response"
    invoice = sb.state(SYSTEM)["tables"]["invoices"][0]["id"]
    start = expected()["month"] + "T00:00:00+02:00"
    sb.fault(system=SYSTEM, kind="garbage_body", path="/api/invoices/%d/lines" % invoice,
             params={"body": json.dumps({"data": [{"billingPeriodStart": start}],
                                         "paging": {"totalPages": 1}})})
    err = probe.error("charges", month())
    assert err["kind"] == "bad_response" and "has no id (invoice line)" in err["message"]


@pytest.mark.parametrize("value", ["12,50", "NaN", "n/a"])
def test_an_unreadable_price_fails_the_read_naming_the_record(sb, probe, value):
    body = json.dumps({"costPrice": value, "finalUnitPrice": 15.0, "quantity": 3})
    sb.fault(system=SYSTEM, kind="garbage_body", path="pricingInfo", params={"body": body})
    err = probe.error("resources")
    assert err["kind"] == "bad_response"
    assert "interworks.cloud's pricing of subscription" in err["message"]
    assert "has a costPrice that is not an amount" in err["message"]
