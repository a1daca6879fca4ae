"""test_source_pax8.py: contract tests of the Pax8 source connector (app/connectors/pax8.c)
through build/tools/src_probe against a dedicated API sandbox: canonical records equal to
tests/sandbox/canonical_fixtures.py, the client-credentials token (fetched once, fetched again
after it expired mid-pull), page/size paging at and around the 200 boundary (never a bigger
size), every fault knob retried or reported with Pax8's own words, exact amounts from strings
and numbers, bad credentials and garbage bodies."""
import json
import time

import pytest

from contract import contract_fixtures, month_of, normalized, of_company  # noqa: F401
import canonical_fixtures as cf  # noqa: E402 (tests/sandbox, put on the path by contract)
import seed_sources  # noqa: E402

SYSTEM = "pax8"
CREDS = seed_sources.PAX8_CREDENTIALS
KINDS = ("companies", "subscriptions", "resources", "charges")


def settings(sb, **over):
    port = sb.ready[SYSTEM]
    s = {"url": "http://127.0.0.1:%d/v1" % port, "client_id": CREDS["client_id"],
         "client_secret": CREDS["client_secret"], "token_url": "http://127.0.0.1:%d/v1/token" % port}
    s.update(over)
    return s


sandbox, sb, probe = contract_fixtures("src", SYSTEM, settings)


def month_arg(fixture=None):
    return month_of(SYSTEM, fixture)


def pull(probe, month):
    return {kind: probe(kind, month) if kind == "charges" else probe(kind) for kind in KINDS}


def requests_of(sb, fragment):
    return [r for r in sb.requests(SYSTEM) if fragment in r["path"]]


def assert_no_secrets(probe):
    text = probe.last_stdout + probe.last_stderr
    assert CREDS["client_secret"] not in text and "-access-" not in text


def seed_companies(sb, count):
    sb.reset("empty")
    rows = [{"id": "00000000-0000-4000-8000-%012d" % n, "name": "Company %04d" % n}
            for n in range(count)]
    sb.merge(SYSTEM, {"tables": {"companies": rows}})


def fault_mid_call(sb, probe, args, path, rule):
    """Start probe(*args); once a request on `path` is in flight (held 800 ms), add `rule`, so it
    hits the requests after it (the next page of the same list)."""
    hold = sb.fault(system=SYSTEM, kind="latency", path=path, params={"ms": 800})
    proc = probe.start(*args)
    deadline = time.monotonic() + 10
    while not any(f["id"] == hold["id"] and f["fired"] for f in sb.control("GET", "/faults")["faults"]):
        assert time.monotonic() < deadline and proc.poll() is None, "the held request never came"
        time.sleep(0.02)
    sb.fault(system=SYSTEM, **rule)
    return probe.finish(proc)


# -- canonical records -------------------------------------------------------------------------

def test_every_customer_equals_the_canonical_fixture(sb, probe):
    month = month_arg()
    got = pull(probe, month)
    assert_no_secrets(probe)
    for customer in seed_sources.customers(SYSTEM):
        want = cf.expected(SYSTEM, customer)
        cid = want["companies"][0]["id"]
        for kind in KINDS:
            assert of_company(got[kind], cid) == normalized(want[kind]), (customer, kind)
    default = cf.expected(SYSTEM)
    assert default["customer"] == "VanArsdel Ltd"
    cid = default["companies"][0]["id"]
    charges = of_company(got["charges"], cid)
    assert sorted(c["type"] for c in charges) == ["proration", "recurring", "recurring"]
    prorate = next(c for c in charges if c["type"] == "proration")
    teams = next(c for c in charges if c["type"] == "recurring" and c["sku"] == prorate["sku"])
    assert prorate["period_end"] == teams["period_end"]      # endPeriod made inclusive
    assert len(got["companies"]) == 4 and len(got["subscriptions"]) == 4


def test_annual_subscription_and_its_annual_line(sb, probe):
    want = cf.expected(SYSTEM, "Coho Vineyard & Winery")
    cid = want["companies"][0]["id"]
    subs = of_company(probe("subscriptions"), cid)
    assert [(s["billing_cycle"], s["term_months"]) for s in subs] == [("annual", 12)]
    charges = of_company(probe("charges", month_arg(want)), cid)
    assert charges == normalized(want["charges"])
    assert charges[0]["frequency"] == "annual" and charges[0]["type"] == "recurring"


# -- token ---------------------------------------------------------------------------------------

def test_one_token_per_pull_sent_as_json_with_the_audience(sb, probe):
    probe("charges", month_arg())
    tokens = [r for r in sb.requests(SYSTEM) if r["path"] == "/v1/token"]
    assert len(tokens) == 1
    body = json.loads(tokens[0]["body"])
    assert body["audience"] == "https://api.pax8.com" and body["grant_type"] == "client_credentials"
    assert sb.stats()[SYSTEM]["tokens_issued"] == {"access": 1}


def test_token_expired_mid_pull_is_fetched_again_and_the_call_repeated(sb, probe):
    want = cf.expected(SYSTEM)
    sb.fault(system=SYSTEM, kind="expired_token", path="/v1/invoices/[^/]+/items")
    charges = probe("charges", month_arg(want))
    assert of_company(charges, want["companies"][0]["id"]) == normalized(want["charges"])
    assert sb.stats()[SYSTEM]["faults_fired"] == {"expired_token": 1}
    assert sb.stats()[SYSTEM]["tokens_issued"] == {"access": 2}
    statuses = [r["status"] for r in requests_of(sb, "/items")]
    assert statuses[:2] == [401, 200]


def test_token_expired_on_the_second_page_of_a_list(sb, probe):
    seed_companies(sb, 450)
    rc, out = fault_mid_call(sb, probe, ["companies"], "/v1/companies$",
                             {"kind": "expired_token", "path": "/v1/companies$"})
    assert rc == 0 and len(out["records"]) == 450
    pages = [(r["query"], r["status"]) for r in requests_of(sb, "/v1/companies")]
    assert pages == [("page=0&size=200", 200), ("page=1&size=200", 401),
                     ("page=1&size=200", 200), ("page=2&size=200", 200)]


def test_token_that_runs_out_by_itself_is_renewed(sb, probe):
    sb.configure(SYSTEM, token_lifetime_s=0.3)
    sb.fault(system=SYSTEM, kind="latency", path="/v1/invoices$", params={"ms": 450})
    want = cf.expected(SYSTEM)
    charges = probe("charges", month_arg(want))
    assert of_company(charges, want["companies"][0]["id"]) == normalized(want["charges"])
    assert sb.stats()[SYSTEM]["tokens_issued"]["access"] >= 2


# -- paging ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("count,pages", [(200, 1), (201, 2), (450, 3), (0, 1)])
def test_paging_at_the_200_boundary(sb, probe, count, pages):
    seed_companies(sb, count)
    ids = [c["id"] for c in probe("companies")]
    assert len(ids) == len(set(ids)) == count
    queries = [r["query"] for r in requests_of(sb, "/v1/companies")]
    assert queries == ["page=%d&size=200" % n for n in range(pages)]


def test_no_request_ever_asks_for_more_than_200(sb, probe):
    pull(probe, month_arg())
    probe("test")
    sizes = []
    for r in sb.requests(SYSTEM):
        for part in (r["query"] or "").split("&"):
            if part.startswith("size="):
                sizes.append(int(part[5:]))
    assert sizes and max(sizes) <= 200


# -- faults ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,params", [
    ("latency", {"ms": 300}), ("http429", {"retry_after": 1}), ("http500", {}),
    ("reset", {}), ("timeout", {"seconds": 1}),
])
def test_read_faults_are_retried(sb, probe, kind, params):
    sb.fault(system=SYSTEM, kind=kind, path="/v1/subscriptions$", params=params)
    want = cf.expected(SYSTEM)
    got = of_company(probe("resources"), want["companies"][0]["id"])
    assert got == normalized(want["resources"])
    assert sb.stats()[SYSTEM]["faults_fired"] == {kind: 1}


def test_429_waits_for_retry_after(sb, probe):
    sb.fault(system=SYSTEM, kind="http429", path="/v1/companies$", params={"retry_after": 1})
    started = time.monotonic()
    assert len(probe("companies")) == 4
    assert time.monotonic() - started >= 1.0


def test_persistent_server_error_is_reported_with_pax8s_message(sb, probe):
    sb.fault(system=SYSTEM, kind="http500", path="/v1/companies$", count=-1,
             params={"status": 503, "message": "Service is down for maintenance."})
    err = probe.error("companies")
    assert err["kind"] == "network" and err["http_status"] == 503 and err["retryable"]
    assert err["message"] == "Service is down for maintenance."


def test_refused_request_is_not_retried_and_keeps_the_message(sb, probe):
    sb.fault(system=SYSTEM, kind="http500", path="/v1/subscriptions$",
             params={"status": 422, "message": "size must be between 1 and 200"})
    err = probe.error("subscriptions")
    assert err["kind"] == "rejected" and err["http_status"] == 422
    assert err["message"] == "size must be between 1 and 200"
    assert len(requests_of(sb, "/v1/subscriptions")) == 1


# -- credentials ----------------------------------------------------------------------------------

def test_bad_credentials_are_an_auth_error_with_pax8s_text(sb, probe):
    err = probe.error("test", settings=settings(sb, client_secret="wrong-secret"))
    assert err["kind"] == "auth" and err["http_status"] == 401 and not err["retryable"]
    assert err["message"] == "Unauthorized (access_denied)"
    assert "client secret" in err["hint"]
    assert "wrong-secret" not in probe.last_stdout + probe.last_stderr


def test_missing_setting_is_a_config_error(sb, probe):
    err = probe.error("companies", settings=settings(sb, client_secret=""))
    assert err["kind"] == "config" and "client secret" in err["message"]
    assert not sb.requests(SYSTEM)


def test_token_refused_on_the_api_once_is_renewed_persistently_is_reported(sb, probe):
    sb.fault(system=SYSTEM, kind="bad_credentials", path="/v1/companies$")
    assert len(probe("companies")) == 4
    sb.fault(system=SYSTEM, kind="bad_credentials", path="/v1/companies$", count=-1)
    err = probe.error("companies")
    assert err["kind"] == "auth" and err["http_status"] == 401
    assert err["message"] == "The access token is invalid."
    sb.control("DELETE", "/faults")
    sb.configure(SYSTEM, api_401_body="oauth")
    sb.fault(system=SYSTEM, kind="bad_credentials", path="/v1/companies$", count=-1)
    assert probe.error("companies")["message"] == "The access token is invalid. (access_denied)"


def test_summary_of_the_connection_test(sb, probe):
    assert probe("test") == {"summary": "Connected to Pax8: 4 companies"}


# -- parsing ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ['{"content": [{"id": "x", "na', "", "<html>Bad Gateway</html>",
                                  '{"not": "a list"}', "[]", '{"content": [1, 2]}'])
def test_garbage_list_bodies_are_bad_responses(sb, probe, body):
    sb.fault(system=SYSTEM, kind="garbage_body", path="/v1/companies$", params={"body": body})
    err = probe.error("companies")
    assert err["kind"] == "bad_response" and "Pax8" in err["message"]


@pytest.mark.parametrize("body", ['{"access_tok', "", '{"token_type": "Bearer"}'])
def test_garbage_token_bodies_are_bad_responses(sb, probe, body):
    sb.fault(system=SYSTEM, kind="garbage_body", path="/v1/token", params={"body": body})
    err = probe.error("companies")
    assert err["kind"] == "bad_response" and "token" in err["message"]


def test_garbage_on_an_error_status_keeps_the_status(sb, probe):
    sb.fault(system=SYSTEM, kind="garbage_body", path="/v1/companies$", count=-1,
             params={"body": "<html>502</html>", "status": 404, "content_type": "text/html"})
    err = probe.error("companies")
    assert err["kind"] == "not_found" and err["http_status"] == 404
    assert "Pax8 answered the company list with HTTP 404" in err["message"]


def test_unknown_fields_are_ignored_and_amounts_parse_exactly(sb, probe):
    cid = seed_sources.customer_id(SYSTEM, "Wingtip Toys")
    subs = [
        {"id": "sub-strings", "companyId": cid, "productName": "Strings", "quantity": "16",
         "price": "11.0350", "partnerCost": "16", "billingTerm": "Monthly",
         "commitmentTerm": {"term": "1-Year", "endDate": "2027-01-01T08:30:00Z"},
         "futureField": {"nested": [1, None]}, "anotherOne": 3.5},
        {"id": "sub-numbers", "companyId": cid, "productName": "Numbers", "quantity": 16,
         "price": 11.035, "partnerCost": 16, "billingTerm": "3-Year", "status": "PendingManual",
         "commitmentTerm": {"term": "3-Year", "endDate": "2026-12-01T13:20:13.153-0700"}},
    ]
    sb.merge(SYSTEM, {"tables": {"subscriptions": subs}})
    got = {r["id"]: r for r in of_company(probe("resources"), cid)}
    for sid in ("sub-strings", "sub-numbers"):
        r = got[sid]
        assert (r["quantity"], r["unit_price"], r["unit_cost"]) == ("16", "11.0350", "16.0000")
    assert got["sub-strings"]["commitment_end"] == "2027-01-01"
    assert got["sub-numbers"]["commitment_end"] == "2026-12-01"
    assert (got["sub-numbers"]["term_months"], got["sub-numbers"]["status"],
            got["sub-numbers"]["billing_cycle"]) == (36, "pending", "annual")


def test_missing_required_fields_are_named(sb, probe):
    cid = seed_sources.customer_id(SYSTEM, "Wingtip Toys")
    sb.merge(SYSTEM, {"tables": {"subscriptions": [{"id": "orphan", "productName": "X"}]}})
    err = probe.error("subscriptions")
    assert err["kind"] == "bad_response"
    assert err["message"] == "Pax8 subscription orphan has no companyId"
    sb.reset("demo")
    sb.merge(SYSTEM, {"tables": {"companies": [{"id": cid, "name": None}]}})
    assert probe.error("companies")["message"] == "Pax8 company %s has no name" % cid


def test_invoice_item_without_a_period_is_named(sb, probe):
    broken = sb.state(SYSTEM)["tables"]["invoiceItems"][0]
    sb.merge(SYSTEM, {"tables": {"invoiceItems": [dict(broken, startPeriod=None)]}})
    err = probe.error("charges", month_arg())
    assert err["kind"] == "bad_response"
    assert err["message"] == "Pax8 invoice item %s has no startPeriod" % broken["id"]
