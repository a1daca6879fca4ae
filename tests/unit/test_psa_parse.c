/* test_psa_parse.c: cmocka tests for the PSA connectors' pure parts: base URLs, error bodies and their kinds, picklists by label, addition dates, ids, markers, exact JSON numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "connectors/autotask.h"
#include "connectors/connectwise.h"
#include "connectors/psa_util.h"

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad fixture %s: %s", text, e.text);
    return j;
}

static void test_autotask_urls(void **state)
{
    (void)state;
    char b[256];
    assert_int_equal(at_root_url("", b, sizeof b), 0);
    assert_string_equal(b, "https://webservices.autotask.net/ATServicesRest/");
    assert_int_equal(at_root_url(" https://webservices2.autotask.net ", b, sizeof b), 0);
    assert_string_equal(b, "https://webservices2.autotask.net/ATServicesRest/");
    assert_int_equal(at_root_url("http://127.0.0.1:9/ATServicesRest/V1.0/", b, sizeof b), 0);
    assert_string_equal(b, "http://127.0.0.1:9/ATServicesRest/");
    assert_int_equal(at_root_url("ftp://x/", b, sizeof b), -1);
    assert_int_equal(at_root_url("webservices.autotask.net", b, sizeof b), -1);
    /* a scheme and no host: refused without reading past the text (found by a fuzzer) */
    const char *hostless[] = {"http://", "https://", "http:///", "HTTPS://  ", "http:////"};
    for (size_t i = 0; i < sizeof hostless / sizeof hostless[0]; i++)
        assert_int_equal(at_root_url(hostless[i], b, sizeof b), -1);
    assert_int_equal(at_zone_base("https://webservices15.autotask.net/ATServicesRest/", b, sizeof b), 0);
    assert_string_equal(b, "https://webservices15.autotask.net/ATServicesRest/V1.0/");
    assert_int_equal(at_zone_base("https://h/ATServicesRest/v1.0", b, sizeof b), 0);
    assert_string_equal(b, "https://h/ATServicesRest/V1.0/");
    assert_int_equal(at_zone_base(NULL, b, sizeof b), -1);
    assert_int_equal(at_zone_base("javascript:x", b, sizeof b), -1);
    assert_int_equal(at_zone_base("https://h/", b, 8), -1); /* does not fit */
}

static void test_autotask_errors(void **state)
{
    (void)state;
    char t[200];
    json_t *j = load("{\"errors\":[\"First.\", {\"message\":\"Second.\"}, 7, \"\"]}");
    assert_int_equal(at_errors_text(j, t, sizeof t), 0);
    assert_string_equal(t, "First.; Second.");
    json_decref(j);
    j = load("{\"errors\":[]}");
    assert_int_equal(at_errors_text(j, t, sizeof t), -1);
    json_decref(j);
    j = load("[\"not an object\"]");
    assert_int_equal(at_errors_text(j, t, sizeof t), -1);
    json_decref(j);
    j = load("{\"errors\":[\"A long message that will not fit\"]}");
    assert_int_equal(at_errors_text(j, t, 10), 0);
    assert_int_equal(strlen(t), 9);
    json_decref(j);

    const char *hint;
    assert_int_equal(at_error_kind(429, "Thread Threshold Exceeded: ... (Itgenatr005)", &hint), CONN_THROTTLED);
    assert_non_null(strstr(hint, "thread limit"));
    assert_int_equal(at_error_kind(500, "The Autotask API thread threshold of 3 threads has been exceeded", &hint),
                     CONN_THROTTLED); /* Autotask may send it as a 500 */
    assert_int_equal(at_error_kind(429, "API request threshold exceeded", &hint), CONN_THROTTLED);
    assert_int_equal(at_error_kind(500, "Zone information could not be determined", &hint), CONN_AUTH);
    assert_int_equal(at_error_kind(500, "IntegrationCode is invalid.", &hint), CONN_AUTH);
    assert_int_equal(at_error_kind(401, "Authorization has been denied", &hint), CONN_AUTH);
    assert_non_null(strstr(hint, "API user and secret"));
    assert_int_equal(at_error_kind(404, "x", &hint), CONN_NOT_FOUND);
    assert_int_equal(at_error_kind(503, NULL, &hint), CONN_NETWORK);
    assert_int_equal(at_error_kind(500, "Required field phone is missing.", &hint), CONN_REJECTED);
}

static const char *fields_json =
    "[{\"name\":\"chargeType\",\"isPickList\":true,\"picklistValues\":["
    "{\"value\":\"1\",\"label\":\"Capitalized\",\"isActive\":true},"
    "{\"value\":\"2\",\"label\":\"Operational\",\"isActive\":true}]},"
    "{\"name\":\"status\",\"isPickList\":true,\"picklistValues\":["
    "{\"value\":\"0\",\"label\":\"Inactive\"},{\"value\":\"5\",\"label\":\"In Effect\",\"isActive\":false},"
    "{\"value\":\"9\",\"label\":\"Active\"}]},"
    "{\"name\":\"contractPeriodType\",\"picklistValues\":null}]";

static void test_autotask_picklists(void **state)
{
    (void)state;
    json_t *f = load(fields_json);
    int64_t v = -1;
    assert_int_equal(at_picklist_value(f, "chargeType", "Operational", &v), 0);
    assert_true(v == 2);
    assert_int_equal(at_picklist_value(f, "CHARGETYPE", "operational", &v), 0);
    assert_int_equal(at_picklist_value(f, "status", "Active|In Effect", &v), 0);
    assert_true(v == 9); /* "In Effect" is inactive */
    assert_int_equal(at_picklist_value(f, "status", "In Effect", &v), -1);
    assert_int_equal(at_picklist_value(f, "contractPeriodType", "Monthly", &v), -1);
    assert_int_equal(at_picklist_value(f, "nosuch", "x", &v), -1);
    assert_string_equal(at_picklist_label(f, "chargeType", 1), "Capitalized");
    assert_null(at_picklist_label(f, "chargeType", 3));
    assert_true(at_label_matches("Semi-Annual", "Quarterly|semi-annual"));
    assert_false(at_label_matches("Semi", "Semi-Annual"));
    assert_false(at_label_matches(NULL, "x"));
    assert_int_equal(at_period_months("Monthly"), 1);
    assert_int_equal(at_period_months("quarterly"), 3);
    assert_int_equal(at_period_months("Semi-Annual"), 6);
    assert_int_equal(at_period_months("Yearly"), 12);
    assert_int_equal(at_period_months("Fortnightly"), 0);
    assert_int_equal(at_period_months(NULL), 0);
    json_decref(f);
}

static void test_connectwise_urls(void **state)
{
    (void)state;
    char b[256];
    assert_int_equal(cw_base_url("https://api-na.myconnectwise.net", b, sizeof b), 0);
    assert_string_equal(b, "https://api-na.myconnectwise.net/v4_6_release/apis/3.0/");
    assert_int_equal(cw_base_url("api-eu.myconnectwise.net/", b, sizeof b), 0);
    assert_string_equal(b, "https://api-eu.myconnectwise.net/v4_6_release/apis/3.0/");
    assert_int_equal(cw_base_url("https://cw.example.com/v2025_1/apis/3.0/company", b, sizeof b), 0);
    assert_string_equal(b, "https://cw.example.com/v2025_1/apis/3.0/");
    assert_int_equal(cw_base_url("http://127.0.0.1:5/", b, sizeof b), 0);
    assert_string_equal(b, "http://127.0.0.1:5/v4_6_release/apis/3.0/");
    assert_int_equal(cw_base_url("", b, sizeof b), -1);
    assert_int_equal(cw_base_url(NULL, b, sizeof b), -1);
    assert_int_equal(cw_base_url("ftp://x", b, sizeof b), -1);
    assert_int_equal(cw_base_url("https://x", b, 12), -1);
}

static void test_connectwise_errors(void **state)
{
    (void)state;
    char t[300];
    json_t *j = load("{\"code\":\"InvalidObject\",\"message\":\"addition object is invalid\",\"errors\":["
                     "{\"code\":\"InvalidField\",\"message\":\"effectiveDate cannot be less than the agreement "
                     "billing start date\",\"field\":\"effectiveDate\"},{\"code\":\"x\"},{\"message\":\"Second.\"}]}");
    assert_int_equal(cw_error_text(j, t, sizeof t), 0);
    assert_string_equal(t, "addition object is invalid: effectiveDate cannot be less than the agreement "
                           "billing start date; Second.");
    json_decref(j);
    j = load("{\"error\":\"ConnectWiseAPI\",\"message\":\"Too many requests.\"}");
    assert_int_equal(cw_error_text(j, t, sizeof t), 0);
    assert_string_equal(t, "Too many requests.");
    json_decref(j);
    j = load("{\"code\":\"ConnectWiseApi\",\"message\":\"UserNotAuthenticated\",\"errors\":null}");
    assert_int_equal(cw_error_text(j, t, sizeof t), 0);
    assert_string_equal(t, "UserNotAuthenticated");
    json_decref(j);
    j = load("{\"errors\":[{\"message\":\"Only detail.\"}]}");
    assert_int_equal(cw_error_text(j, t, sizeof t), 0);
    assert_string_equal(t, "Only detail.");
    json_decref(j);
    j = load("[]");
    assert_int_equal(cw_error_text(j, t, sizeof t), -1);
    json_decref(j);

    const char *hint;
    assert_int_equal(cw_error_kind(401, "UserNotAuthenticated", &hint), CONN_AUTH);
    assert_int_equal(cw_error_kind(404, "UserNotAuthenticated", &hint), CONN_AUTH);
    assert_int_equal(cw_error_kind(404, "Agreement with id 9 was not found.", &hint), CONN_NOT_FOUND);
    assert_int_equal(cw_error_kind(400, "The clientId header is required", &hint), CONN_CONFIG);
    assert_int_equal(cw_error_kind(400, "addition object is invalid", &hint), CONN_REJECTED);
    assert_int_equal(cw_error_kind(403, "You do not have security permission", &hint), CONN_AUTH);
    assert_int_equal(cw_error_kind(429, "Too many", &hint), CONN_THROTTLED);
    assert_int_equal(cw_error_kind(500, "boom", &hint), CONN_NETWORK);
}

static void test_connectwise_addition_dates(void **state)
{
    (void)state;
    json_t *a = load("{\"effectiveDate\":\"2025-03-01T00:00:00Z\",\"cancelledDate\":\"2025-03-31T00:00:00Z\"}");
    assert_false(cw_in_effect(a, cdate_make(2025, 2, 28)));
    assert_true(cw_in_effect(a, cdate_make(2025, 3, 1)));
    assert_true(cw_in_effect(a, cdate_make(2025, 3, 31))); /* billed through its cancelled date */
    assert_false(cw_in_effect(a, cdate_make(2025, 4, 1)));
    json_decref(a);
    a = load("{\"effectiveDate\":\"2025-03-01T00:00:00Z\",\"cancelledDate\":null}");
    assert_true(cw_in_effect(a, cdate_make(2099, 1, 1)));
    json_decref(a);
    a = load("{}");
    assert_true(cw_in_effect(a, cdate_make(2025, 1, 1)));
    json_decref(a);
    assert_int_equal(cw_cycle_months("Monthly"), 1);
    assert_int_equal(cw_cycle_months("semiannual"), 6);
    assert_int_equal(cw_cycle_months("Yearly"), 12);
    assert_int_equal(cw_cycle_months("NotRecurring"), 0);
    assert_int_equal(cw_cycle_months("Sometimes"), -1);
    assert_int_equal(cw_cycle_months(NULL), -1);
    char id[40];
    cw_identifier_base("Repair & Wear Inc.", id, sizeof id);
    assert_string_equal(id, "RepairWearInc");
    cw_identifier_base("!!!", id, sizeof id);
    assert_string_equal(id, "Company");
    cw_identifier_base("An Extremely Long Company Name For Testing", id, sizeof id);
    assert_int_equal(strlen(id), 25);
}

static void test_shared_helpers(void **state)
{
    (void)state;
    char m[PSA_MARKER_MAX];
    assert_int_equal(psa_charge_marker("sub-1:2026-03", m, sizeof m), 0);
    assert_string_equal(m, "(billsync key: sub-1:2026-03)");
    assert_true(psa_has_marker("Annual (billsync key: sub-1:2026-03)", m));
    assert_false(psa_has_marker("Annual (billsync key: sub-1:2026-031)", m));
    assert_false(psa_has_marker(NULL, m));
    assert_int_equal(psa_charge_marker("", m, sizeof m), -1);
    assert_int_equal(psa_charge_marker("a\"b", m, sizeof m), -1);
    assert_int_equal(psa_charge_marker("a)b", m, sizeof m), -1);
    assert_int_equal(psa_charge_marker("a\nb", m, sizeof m), -1);

    int64_t v;
    assert_int_equal(psa_parse_id("29683026", &v), 0);
    assert_true(v == 29683026);
    assert_int_equal(psa_parse_id("", &v), -1);
    assert_int_equal(psa_parse_id("-1", &v), -1);
    assert_int_equal(psa_parse_id("12a", &v), -1);
    assert_int_equal(psa_parse_id("1234567890123456789", &v), -1);

    char id[PSA_ID];
    json_t *j = load("{\"id\":42,\"s\":\"7\",\"neg\":-3,\"r\":1.5}");
    assert_int_equal(psa_json_id(j, "id", id), 0);
    assert_string_equal(id, "42");
    assert_int_equal(psa_json_id(j, "s", id), 0);
    assert_int_equal(psa_json_id(j, "neg", id), -1);
    assert_int_equal(psa_json_id(j, "r", id), -1);
    assert_int_equal(psa_json_id(j, "missing", id), -1);
    json_decref(j);

    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(url_escape(&sb, "a b\"c*&é~"), 0);
    assert_string_equal(strbuf_cstr(&sb), "a%20b%22c%2A%26%C3%A9~");
    strbuf_free(&sb);

    j = json_object();
    json_object_set_new(j, "a", psa_json_money(1001)); /* 0.1001 */
    json_object_set_new(j, "b", psa_json_money(120000));
    json_object_set_new(j, "c", psa_json_money(1000));
    json_object_set_new(j, "q", psa_json_qty(1500));
    json_object_set_new(j, "n", psa_json_money(-3961234));
    char *text = psa_json_dump(j);
    assert_string_equal(text, "{\"a\":0.1001,\"b\":12,\"c\":0.1,\"q\":1.5,\"n\":-396.1234}");
    free(text);
    json_decref(j);

    char d[32];
    psa_date_text(cdate_make(2025, 3, 15), "Z", d, sizeof d);
    assert_string_equal(d, "2025-03-15T00:00:00Z");
    psa_date_text(cdate_make(2025, 3, 15), "", d, sizeof d);
    assert_string_equal(d, "2025-03-15T00:00:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_autotask_urls),
        cmocka_unit_test(test_autotask_errors),
        cmocka_unit_test(test_autotask_picklists),
        cmocka_unit_test(test_connectwise_urls),
        cmocka_unit_test(test_connectwise_errors),
        cmocka_unit_test(test_connectwise_addition_dates),
        cmocka_unit_test(test_shared_helpers),
    };
    return cmocka_run_group_tests_name("psa_parse", tests, NULL, NULL);
}
