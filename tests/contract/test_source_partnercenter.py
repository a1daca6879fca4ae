"""test_source_partnercenter.py: contract tests of the Microsoft Partner Center source connector
(app/connectors/partnercenter.c) through build/tools/src_probe against a dedicated API sandbox:
canonical records equal to tests/sandbox/canonical_fixtures.py (the annual/annual Power BI line
of Wide World Importers included), Entra ID client-credentials tokens (v1 and v2.0, fetched
again when one expires mid-continuation), continuation paging with MS-ContinuationToken at and
around the 2000-line page, numbers as strings or numbers, charge types, every fault knob
retried or reported with Partner Center's own words, bad credentials and garbage bodies."""
import datetime
import time

import pytest

from calendar_expect import pc_northwind_add
from contract import contract_fixtures, month_of, normalized, of_company  # noqa: F401
import canonical_fixtures as cf  # noqa: E402 (tests/sandbox, put on the path by contract)
import seed_sources  # noqa: E402

SYSTEM = "partnercenter"
CREDS = seed_sources.PARTNERCENTER_CREDENTIALS
TENANT = CREDS["tenant_id"]
KINDS = ("companies", "subscriptions", "resources", "charges")
INVOICE = "G990100001"
PAGING_CUSTOMER = "99999999-0000-4000-8000-000000000001"
LINES = "/lineitems/OneTime/BillingLineItems"


def settings(sb, **over):
    port = sb.ready[SYSTEM]
    s = {"url": "http://127.0.0.1:%d" % port, "tenant_id": TENANT,
         "client_id": CREDS["client_id"], "client_secret": CREDS["client_secret"],
         "token_url": "http://127.0.0.1:%d/%s/oauth2/token" % (port, TENANT)}
    s.update(over)
    return s


sandbox, sb, probe = contract_fixtures("src", SYSTEM, settings)


def month_arg(fixture=None):
    return month_of(SYSTEM, fixture)


def requests_of(sb, fragment):
    return [r for r in sb.requests(SYSTEM) if fragment in r["path"]]


def line(n, **over):
    row = {"id": "00000000-0000-4000-8000-%012d" % n, "invoiceNumber": INVOICE, "seq": n,
           "customerId": PAGING_CUSTOMER, "customerName": "Paging Customer",
           "referenceId": "ref-%06d" % n, "chargeType": "cycleCharge",
           "chargeStartDate": "2099-01-01T00:00:00Z", "chargeEndDate": "2099-01-31T00:00:00Z",
           "unitPrice": "1.5", "effectiveUnitPrice": "1.35", "quantity": 1, "billableQuantity": 1,
           "subtotal": "1.35", "subscriptionId": "sub-paging", "productId": "CFQ7TTC0LH18",
           "skuId": "0001", "availabilityId": "CFQ7TTC0K971", "productName": "Paging Product",
           "termAndBillingCycle": "One-Month commitment for monthly billing",
           "billingFrequency": "Monthly", "currency": "USD"}
    row.update(over)
    return row


def seed_lines(sb, rows):
    """One invoice for January 2099 holding exactly these billing line items."""
    sb.reset("empty")
    sb.merge(SYSTEM, {"tables": {
        "invoices": [{"id": INVOICE, "invoiceDate": "2099-02-01T00:00:00Z",
                      "billingPeriodStartDate": "2099-01-01T00:00:00Z"}],
        "lineItems": rows}})


def fault_mid_call(sb, probe, args, path, rule):
    """Start probe(*args); once a request on `path` is in flight (held 800 ms), add `rule`, so it
    hits the requests after it (the next continuation page)."""
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
    got = {kind: probe(kind, month) if kind == "charges" else probe(kind) for kind in KINDS}
    text = probe.last_stdout + probe.last_stderr
    assert CREDS["client_secret"] not in text and "-access-" not in text
    for customer in seed_sources.customers(SYSTEM):
        want = cf.expected(SYSTEM, customer)
        cid = want["companies"][0]["id"]
        for kind in KINDS:
            assert of_company(got[kind], cid) == normalized(want[kind]), (customer, kind)
    assert len(got["companies"]) == 4
    assert all(r["unit_cost"] == r["unit_price"] == "0.0000" and r["currency"] is None
               for r in got["resources"])          # Partner Center states no subscription prices


def test_annual_line_of_wide_world_importers(sb, probe):
    want = cf.expected(SYSTEM)
    assert want["customer"] == "Wide World Importers"
    cid = want["companies"][0]["id"]
    charges = of_company(probe("charges", month_arg(want)), cid)
    assert charges == normalized(want["charges"])
    annual = [c for c in charges if c["frequency"] == "annual"]
    assert len(annual) == 1
    line_ = annual[0]
    expected = next(c for c in want["charges"] if c["frequency"] == "annual")
    # As the fixture states it: a recurring line of the annual invoice covering the whole year.
    assert line_["type"] == expected["type"] == "recurring" and line_["term_months"] == 12
    assert line_["id"].startswith(seed_sources.pc_invoice_number(
        seed_sources.source_dates()["m0"], 2) + "/")
    assert (line_["period_start"], line_["period_end"]) == (expected["period_start"],
                                                            expected["period_end"])
    assert line_["extended_cost"] == expected["extended_cost"] and line_["quantity"] == "10"
    assert line_["extended_price"] == "0.0000"       # no sell price stated


@pytest.mark.parametrize("mode", ["strings", "numbers", "mixed"])
def test_numbers_as_strings_or_numbers_give_the_same_charges(sb, probe, mode):
    sb.configure(SYSTEM, numbers=mode)
    north = cf.expected(SYSTEM, "Northwind Traders")
    charges = of_company(probe("charges", month_arg(north)), north["companies"][0]["id"])
    assert charges == normalized(north["charges"])
    add = next(c for c in charges if c["type"] == "proration")
    assert (add["unit_cost"], add["unit_price"], add["extended_cost"]) == pc_northwind_add(
        datetime.date.fromisoformat(north["month"]))


def test_amounts_parse_to_the_exact_cent(sb, probe):
    seed_lines(sb, [line(0, unitPrice="11.0350", effectiveUnitPrice="16", subtotal="720",
                         billableQuantity="50"),
                    line(1, unitPrice="11.0350", effectiveUnitPrice="16", subtotal="720",
                         billableQuantity="50"),
                    line(2, unitPrice="16", effectiveUnitPrice="14.4", subtotal="0.1",
                         billableQuantity="1.5", quantity="2")])
    for mode in ("mixed", "numbers", "strings"):
        sb.configure(SYSTEM, numbers=mode)
        got = {c["id"]: c for c in probe("charges", "2099-01")}
        for n in (0, 1):
            c = got["%s/ref-%06d" % (INVOICE, n)]
            assert (c["unit_price"], c["unit_cost"], c["extended_cost"], c["quantity"]) == (
                "11.0350", "16.0000", "720.0000", "50"), mode
        c = got["%s/ref-000002" % INVOICE]
        assert (c["unit_price"], c["unit_cost"], c["extended_cost"], c["quantity"]) == (
            "16.0000", "14.4000", "0.1000", "1.5"), mode


def test_charge_types(sb, probe):
    kinds = {"new": "recurring", "cycleCharge": "recurring", "renew": "recurring",
             "addQuantity": "proration", "removeQuantity": "refund", "cancelInstance": "refund",
             "customerCredit": "refund", "Cycle charge": "recurring", "ADDQUANTITY": "proration",
             "purchase": "one_time"}
    seed_lines(sb, [line(n, chargeType=k) for n, k in enumerate(kinds)])
    got = {c["id"]: c["type"] for c in probe("charges", "2099-01")}
    assert got == {"%s/ref-%06d" % (INVOICE, n): t for n, t in enumerate(kinds.values())}
    assert probe("charges", "2099-02") == []         # lines of another month are left out


# -- tokens --------------------------------------------------------------------------------------

def test_one_client_credentials_token_per_pull(sb, probe):
    probe("charges", month_arg())
    tokens = requests_of(sb, "/oauth2/")
    assert len(tokens) == 1 and tokens[0]["path"] == "/%s/oauth2/token" % TENANT
    assert "grant_type=client_credentials" in tokens[0]["body"]
    assert "resource=https%3A%2F%2Fapi.partnercenter.microsoft.com" in tokens[0]["body"]
    assert sb.stats()[SYSTEM]["tokens_issued"] == {"access": 1}


def test_v2_token_endpoint_uses_a_scope(sb, probe):
    port = sb.ready[SYSTEM]
    v2 = settings(sb, token_url="http://127.0.0.1:%d/%s/oauth2/v2.0/token" % (port, TENANT))
    assert len(probe("companies", settings=v2)) == 4
    body = requests_of(sb, "/oauth2/")[0]["body"]
    assert "scope=https%3A%2F%2Fapi.partnercenter.microsoft.com%2F.default" in body


def test_token_expired_mid_continuation_is_fetched_again(sb, probe):
    seed_lines(sb, [line(n) for n in range(4500)])
    rc, out = fault_mid_call(sb, probe, ["charges", "2099-01"], "BillingLineItems",
                             {"kind": "expired_token", "path": "BillingLineItems"})
    assert rc == 0 and len(out["records"]) == 4500
    pages = [(r["query"], r["status"]) for r in requests_of(sb, LINES)]
    assert pages == [("size=2000&offset=0", 200), ("seekOperation=Next", 401),
                     ("seekOperation=Next", 200), ("seekOperation=Next", 200)]
    assert sb.stats()[SYSTEM]["tokens_issued"] == {"access": 2}


def test_token_expired_between_calls_is_fetched_again(sb, probe):
    sb.fault(system=SYSTEM, kind="expired_token", path="/subscriptions$")
    want = cf.expected(SYSTEM)
    subs = of_company(probe("subscriptions"), want["companies"][0]["id"])
    assert subs == normalized(want["subscriptions"])
    assert sb.stats()[SYSTEM]["tokens_issued"] == {"access": 2}


# -- paging ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("count,pages", [(2000, 1), (2001, 2)])
def test_line_item_pages_at_the_boundary(sb, probe, count, pages):
    seed_lines(sb, [line(n) for n in range(count)])
    ids = [c["id"] for c in probe("charges", "2099-01")]
    assert len(ids) == len(set(ids)) == count
    queries = [r["query"] for r in requests_of(sb, LINES)]
    assert queries == ["size=2000&offset=0"] + ["seekOperation=Next"] * (pages - 1)


def test_customers_over_several_continuation_pages(sb, probe):
    rows = [{"id": "00000000-0000-4000-9000-%012d" % n,
             "companyProfile": {"companyName": "Tenant %03d" % n}} for n in range(250)]
    sb.merge(SYSTEM, {"tables": {"customers": rows}})
    names = [c["name"] for c in probe("companies")]
    assert len(names) == 254 and names[4:] == ["Tenant %03d" % n for n in range(250)]
    queries = [r["query"] for r in requests_of(sb, "/v1/customers")]
    assert queries == ["size=100", "seekOperation=Next", "seekOperation=Next"]
    assert probe("test") == {"summary": "Connected to Partner Center: 254 customers"}


# -- faults ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,params", [
    ("latency", {"ms": 300}), ("http429", {"retry_after": 1}), ("http500", {}),
    ("reset", {}), ("timeout", {"seconds": 1}),
])
def test_read_faults_are_retried(sb, probe, kind, params):
    sb.fault(system=SYSTEM, kind=kind, path="BillingLineItems", params=params)
    want = cf.expected(SYSTEM)
    charges = of_company(probe("charges", month_arg(want)), want["companies"][0]["id"])
    assert charges == normalized(want["charges"])
    assert sb.stats()[SYSTEM]["faults_fired"] == {kind: 1}


def test_persistent_server_error_is_reported_with_partner_centers_message(sb, probe):
    sb.fault(system=SYSTEM, kind="http500", path="/v1/invoices$", count=-1,
             params={"status": 503, "message": "The service is busy."})
    err = probe.error("charges", month_arg())
    assert err["kind"] == "network" and err["http_status"] == 503 and err["retryable"]
    assert err["message"] == "The service is busy."


def test_garbage_on_a_continuation_page_is_a_bad_response(sb, probe):
    seed_lines(sb, [line(n) for n in range(2500)])
    rc, out = fault_mid_call(sb, probe, ["charges", "2099-01"], "BillingLineItems",
                             {"kind": "garbage_body", "path": "BillingLineItems",
                              "params": {"body": '{"items": [{"referenceId": "x", "cu'}})
    assert rc == 1 and out["error"]["kind"] == "bad_response"
    assert "Partner Center" in out["error"]["message"] and "billing line item" in out["error"]["message"]


# -- credentials ----------------------------------------------------------------------------------

def test_bad_secret_is_an_auth_error_with_entra_ids_text(sb, probe):
    err = probe.error("test", settings=settings(sb, client_secret="wrong-secret"))
    assert err["kind"] == "auth" and err["http_status"] == 401 and not err["retryable"]
    assert err["message"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert err["message"].endswith("(invalid_client)") and "Trace ID" not in err["message"]
    assert "wrong-secret" not in probe.last_stdout + probe.last_stderr


def test_unknown_tenant_and_client_are_auth_errors(sb, probe):
    port = sb.ready[SYSTEM]
    other = "00000000-0000-0000-0000-000000000000"
    err = probe.error("companies", settings=settings(
        sb, token_url="http://127.0.0.1:%d/%s/oauth2/token" % (port, other)))
    assert err["kind"] == "auth" and err["http_status"] == 400 and "AADSTS90002" in err["message"]
    err = probe.error("companies", settings=settings(sb, client_id="unknown-app"))
    assert err["kind"] == "auth" and "AADSTS700016" in err["message"]


def test_app_user_requirement_is_reported_and_billing_still_reads(sb, probe):
    sb.configure(SYSTEM, require_app_user=True)
    err = probe.error("companies")
    assert err["kind"] == "auth" and err["http_status"] == 403
    assert err["message"] == "This operation requires App+User authentication."
    want = cf.expected(SYSTEM)
    assert of_company(probe("charges", month_arg(want)), want["companies"][0]["id"]) == \
        normalized(want["charges"])


def test_token_refused_by_the_api_is_reported(sb, probe):
    sb.fault(system=SYSTEM, kind="bad_credentials", path="/v1/customers$", count=-1)
    err = probe.error("companies")
    assert err["kind"] == "auth" and err["http_status"] == 401
    assert err["message"] == "Unauthorized: The access token is invalid."
    assert len(requests_of(sb, "/oauth2/")) == 2      # fetched again once, then given up


def test_missing_setting_is_a_config_error(sb, probe):
    err = probe.error("companies", settings=settings(sb, tenant_id=""))
    assert err["kind"] == "config" and "tenant" in err["message"]


# -- parsing ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ['{"items": [{"id": "x", "co', "", "<html>Bad Gateway</html>",
                                  '{"not": "a collection"}', "[]", '{"items": ["x"]}'])
def test_garbage_list_bodies_are_bad_responses(sb, probe, body):
    sb.fault(system=SYSTEM, kind="garbage_body", path="/v1/customers$", params={"body": body})
    err = probe.error("companies")
    assert err["kind"] == "bad_response" and "Partner Center" in err["message"]


@pytest.mark.parametrize("body", ['{"access_tok', "", '{"token_type": "Bearer", "expires_in": "3599"}'])
def test_garbage_token_bodies_are_bad_responses(sb, probe, body):
    sb.fault(system=SYSTEM, kind="garbage_body", path="/oauth2/token", params={"body": body})
    err = probe.error("companies")
    assert err["kind"] == "bad_response" and "token" in err["message"]


def test_missing_required_fields_are_named(sb, probe):
    seed_lines(sb, [line(0), line(1, customerId=None)])
    err = probe.error("charges", "2099-01")
    assert err["kind"] == "bad_response"
    assert err["message"] == "Partner Center line item %s/ref-000001 has no customerId" % INVOICE
    seed_lines(sb, [line(0, referenceId="")])
    err = probe.error("charges", "2099-01")
    assert err["message"] == "A line item of Partner Center invoice %s has no referenceId" % INVOICE
    sb.reset("demo")
    sb.merge(SYSTEM, {"tables": {"customers": [{"id": "no-name", "companyProfile": {}}]}})
    assert probe.error("companies")["message"] == \
        "Partner Center customer no-name has no companyProfile.companyName"


def test_unknown_fields_are_ignored(sb, probe):
    subs = sb.state(SYSTEM)["tables"]["subscriptions"]
    extra = [dict(s, futureField={"a": [1, None]}, refundOptions=[{"type": "Full"}], newFlag=True)
             for s in subs]
    sb.merge(SYSTEM, {"tables": {"subscriptions": extra}})
    want = cf.expected(SYSTEM)
    assert of_company(probe("resources"), want["companies"][0]["id"]) == normalized(want["resources"])
