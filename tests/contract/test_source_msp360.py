"""test_source_msp360.py: contract tests of the MSP360 Managed Backup connector
(app/connectors/msp360.c) through build/tools/src_probe against a dedicated API sandbox:
canonical records equal to tests/sandbox/canonical_fixtures.py (one usage subscription and
storage resource per company, the month's billing per user in GiB), the login and its renewal
mid-pull, skip/take paging of the billing at the boundary, every fault knob, string and number
amounts, and bodies that are not what they should be."""
import json

import pytest

from contract import as_probe_output, contract_fixtures
import canonical_fixtures as cf  # noqa: E402 (tests/sandbox, put on the path by contract)
import seed_sources  # noqa: E402

SYSTEM = "msp360"
CREDS = seed_sources.MSP360_CREDENTIALS
TAKE = 1000                       # the connector's take per billing request
GIB = 1024 ** 3


def settings(sb, **over):
    s = {"url": sb.url(SYSTEM), "username": CREDS["username"], "password": CREDS["password"]}
    s.update(over)
    return s


sandbox, sb, probe = contract_fixtures("src", SYSTEM, settings)


# -- helpers ----------------------------------------------------------------------------------

def expected(customer=None):
    return cf.expected(SYSTEM, customer)


def month():
    return expected()["month"][:7]


def of(records, cid, key="company_id"):
    return sorted((r for r in records if r[key] == cid), key=lambda r: r["id"])


def puts(sb):
    return [r for r in sb.requests(SYSTEM) if r["method"] == "PUT" and r["path"].endswith("/Billing")]


def seed_bulk(sb, count):
    """One company with `count` users, each billed 1 GiB for 0.05 in the fixture month."""
    sb.reset("empty")
    users = [{"id": "00000000-0000-4000-8000-%012d" % n, "email": "u%04d@bulk.example" % n,
              "company": "Bulk Co", "spaceUsed": GIB} for n in range(count)]
    rows = [{"id": "b-" + u["id"], "month": month(), "userId": u["id"], "averageSpace": GIB,
             "storageCost": 0.05, "totalCost": 0.05} for u in users]
    sb.merge(SYSTEM, {"tables": {"companies": [{"id": "bulk", "name": "Bulk Co"}],
                                 "users": users, "billing": rows}})


# -- canonical records ------------------------------------------------------------------------

def test_default_customer_equals_the_canonical_fixture(sb, probe):
    want = expected()
    cid = want["companies"][0]["id"]
    assert of(probe("companies"), cid, "id") == want["companies"]
    assert of(probe("subscriptions"), cid) == as_probe_output(want["subscriptions"])
    assert of(probe("resources"), cid) == as_probe_output(want["resources"])
    assert of(probe("charges", month()), cid) == as_probe_output(want["charges"])
    assert probe("test") == {"summary": "found 3 companies"}
    login = [r for r in sb.requests(SYSTEM) if r["method"] == "POST"]
    assert login and all(json.loads(r["body"])["UserName"] == CREDS["username"] for r in login)
    assert CREDS["password"] not in probe.stderr


def test_every_customer_matches_its_fixture(sb, probe):
    res, charges = probe("resources"), probe("charges", month())
    for customer in seed_sources.customers(SYSTEM):
        want = expected(customer)
        cid = want["companies"][0]["id"]
        assert of(res, cid) == as_probe_output(want["resources"]), customer
        assert of(charges, cid) == as_probe_output(want["charges"]), customer
    fourth = of(charges, expected("Fourth Coffee")["companies"][0]["id"])[0]
    assert (fourth["quantity"], fourth["extended_cost"]) == ("64.5", "3.2300")   # + 123457 bytes


def test_month_without_billing_has_no_charges(probe):
    assert probe("charges", "2001-01") == []


# -- login ------------------------------------------------------------------------------------

def test_token_that_expires_mid_pull_is_renewed_and_the_data_is_complete(sb, probe):
    want = expected()
    sb.fault(system=SYSTEM, kind="expired_token", method="PUT", path="/api/Billing$")
    assert of(probe("charges", month()), want["companies"][0]["id"]) == as_probe_output(want["charges"])
    stats = sb.stats()[SYSTEM]
    assert stats["tokens_issued"]["access"] == 2 and stats["faults_fired"] == {"expired_token": 1}
    assert [r["status"] for r in puts(sb)][:2] == [401, 200]


def test_login_answering_token_instead_of_access_token(sb, probe):
    sb.configure(SYSTEM, login_token_field="Token")
    assert len(probe("companies")) == 3


@pytest.mark.parametrize("status", [403, 401])
def test_wrong_password_is_an_auth_error_in_msp360s_words(sb, probe, status):
    sb.configure(SYSTEM, login_failure_status=status)
    err = probe.error("companies", password="Wr0ng-Passw0rd!")
    assert err["kind"] == "auth" and err["http_status"] == status
    assert err["message"] == "The user name or password is incorrect."
    assert "API login and password" in err["hint"] and "Wr0ng-Passw0rd!" not in probe.stderr


def test_unusable_password_and_missing_settings_are_config_errors(probe):
    err = probe.error("test", password="ab")
    assert err["kind"] == "config" and "3 to 100 characters" in err["message"]
    err = probe.error("test", username="")
    assert err["kind"] == "config" and "API user" in err["message"]


def test_refused_api_token_is_reported_after_one_renewal(sb, probe):
    sb.fault(system=SYSTEM, kind="bad_credentials", path="/api/Companies$", count=-1)
    err = probe.error("companies")
    assert err["kind"] == "auth" and err["http_status"] == 401
    assert err["message"] == "Authorization has been denied for this request."
    assert sb.stats()[SYSTEM]["tokens_issued"]["access"] == 2


# -- paging -------------------------------------------------------------------------------------

@pytest.mark.parametrize("count,requests", [(TAKE, 2), (TAKE + 1, 2), (2 * TAKE + 5, 3)])
def test_billing_skip_take_paging_at_the_boundary(sb, probe, count, requests):
    seed_bulk(sb, count)
    charges = probe("charges", month())
    assert len(charges) == count == len({c["id"] for c in charges})
    assert {(c["quantity"], c["unit_cost"], c["extended_cost"]) for c in charges} == \
        {("1", "0.0500", "0.0500")}
    queries = [r["query"] for r in puts(sb)]
    assert len(queries) == requests and queries[0] == "skip=0&take=1000"
    assert probe("resources")[0]["quantity"] == str(count)


# -- faults ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,params", [
    ("latency", {"ms": 300}), ("http429", {"retry_after": 1}), ("http500", {}), ("reset", {}),
    ("timeout", {"seconds": 1}),
])
def test_faults_are_retried(sb, probe, kind, params):
    want = expected()
    sb.fault(system=SYSTEM, kind=kind, method="PUT", path="/api/Billing$", params=params)
    sb.fault(system=SYSTEM, kind=kind, path="/api/Companies$", params=params)
    assert of(probe("charges", month()), want["companies"][0]["id"]) == as_probe_output(want["charges"])
    assert sb.stats()[SYSTEM]["faults_fired"] == {kind: 2}


def test_refusals_are_reported_with_the_remote_message(sb, probe):
    sb.fault(system=SYSTEM, kind="http429", path="/api/Companies$", params={"retry_after": 900})
    err = probe.error("companies")
    assert err["kind"] == "throttled" and err["retryable"]
    assert err["message"] == "Too many requests. Try again in 900 seconds."
    sb.fault(system=SYSTEM, kind="http500", method="PUT", path="/api/Billing$",
             params={"status": 400, "message": "The request is invalid."})
    err = probe.error("charges", month())
    assert err["kind"] == "rejected" and err["message"] == "The request is invalid."


# -- amounts and parsing ----------------------------------------------------------------------------

def test_string_and_number_amounts_parse_exactly(sb, probe):
    rows = sb.state(SYSTEM)["tables"]["billing"]
    lucerne = expected("Lucerne Publishing")
    user = lucerne["charges"][0]["id"].split("/")[1]
    row = next(r for r in rows if r["userId"] == user and r["month"] == month())
    sb.merge(SYSTEM, {"tables": {"billing": [dict(row, totalCost="11.0350")]}})
    got = of(probe("charges", month()), lucerne["companies"][0]["id"])[0]
    assert got["extended_cost"] == "11.0350"
    sb.merge(SYSTEM, {"tables": {"billing": [dict(row, totalCost=11.035)]}})
    again = of(probe("charges", month()), lucerne["companies"][0]["id"])[0]
    assert again == got and got["quantity"] == "128"
    assert got["unit_cost"] == "0.0862"                     # 11.0350 / 128 GB, half-even


def test_unknown_fields_are_ignored(sb, probe):
    body = json.dumps([{"ID": "c-1", "Name": "Future Co", "StorageLimit": -1,
                        "Destinations": [{"DestinationId": "x", "New": True}], "Tier": {"a": 1}}])
    sb.fault(system=SYSTEM, kind="garbage_body", path="/api/Companies$", params={"body": body})
    assert probe("companies") == [{"id": "c-1", "name": "Future Co"}]


@pytest.mark.parametrize("body,words", [
    ("", "not JSON"), ('[{"ID": "1", "Na', "not JSON"), ("<html>Bad Gateway</html>", "not JSON"),
    ('{"not": "a list"}', "not a list"), ('[{"Name": "No Id Co"}]', "no ID"),
])
def test_garbage_bodies_are_a_clear_bad_response(sb, probe, body, words):
    sb.fault(system=SYSTEM, kind="garbage_body", path="/api/Companies$", params={"body": body})
    err = probe.error("companies")
    assert err["kind"] == "bad_response" and words in err["message"] and "MSP360" in err["message"]


@pytest.mark.parametrize("body,words", [
    ('{"CurrentSpaceUsed": 1}', "no StatisticBilling"),
    ('{"StatisticBilling": [{"Email": "x@y.example", "TotalCost": 1}]}', "no UserId"),
    ('{"StatisticBilling": [{"UserId": "u", "AverageSpace": -5}]}', "AverageSpace"),
])
def test_garbage_billing_is_a_clear_bad_response(sb, probe, body, words):
    sb.fault(system=SYSTEM, kind="garbage_body", method="PUT", path="/api/Billing$",
             params={"body": body})
    err = probe.error("charges", month())
    assert err["kind"] == "bad_response" and words in err["message"]


def test_login_answer_without_a_token_is_a_bad_response(sb, probe):
    sb.fault(system=SYSTEM, kind="garbage_body", path="Login", params={"body": '{"token_type": "bearer"}'})
    err = probe.error("test")
    assert err["kind"] == "bad_response" and "access token" in err["message"]
