/* test_jsonx.c: cmocka tests for net/jsonx (safe body parsing, tolerant typed getters, dotted paths). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/jsonx.h"

static json_t *load(const char *text)
{
    json_t *j = NULL;
    char err[200];
    if (jsonx_parse(text, strlen(text), &j, err, sizeof err) != 0)
        fail_msg("jsonx_parse(%s): %s", text, err);
    return j;
}

static void parse_bad(const char *body, size_t len)
{
    json_t *j = (json_t *)0x1;
    char err[200];
    assert_int_equal(jsonx_parse(body, len, &j, err, sizeof err), -1);
    assert_null(j);
    if (strncmp(err, "not JSON: ", 10) != 0)
        fail_msg("error \"%s\" does not start with \"not JSON: \"", err);
}

static void test_parse_accepts_values(void **state)
{
    (void)state;
    const char *ok[] = {"{\"a\":1}", "[1,2,3]", " {\"items\":[],\"pageDetails\":{}}\n", "[]", "{}",
                        "42", "\"str\"", "null"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        json_decref(load(ok[i]));
}

static void test_parse_rejects_bad_bodies(void **state)
{
    (void)state;
    parse_bad(NULL, 0);
    parse_bad("", 0);
    parse_bad("   \r\n\t ", 7);
    parse_bad("{\"items\": [1, 2", 15);             /* truncated */
    parse_bad("{\"a\":", 5);
    parse_bad("<html>Service Unavailable</html>", 32); /* a proxy's error page */
    parse_bad("{\"a\":1,\"a\":2}", 13);             /* duplicate keys */
    parse_bad("{\"a\":1} trailing", 16);
    parse_bad("{\"a\":\"x\\u0000y\"}", 16);         /* NUL inside a string */
    parse_bad("{\"a\":1}\0{\"b\":2}", 15);          /* NUL byte in the body */
    parse_bad("[1,2]", 3);                          /* len cuts the body short */
}

static void test_parse_error_never_quotes_body(void **state)
{
    (void)state;
    json_t *j;
    char err[200];
    const char *body = "access_token=SeCrEt123&x=1";
    assert_int_equal(jsonx_parse(body, strlen(body), &j, err, sizeof err), -1);
    assert_null(strstr(err, "SeCrEt123"));
    assert_null(strstr(err, "access_token"));
    assert_non_null(strstr(err, "line 1"));
    /* a tiny error buffer is fine */
    char small[8];
    assert_int_equal(jsonx_parse(body, strlen(body), &j, small, sizeof small), -1);
    assert_int_equal(strlen(small), 7);
}

static void test_str(void **state)
{
    (void)state;
    json_t *j = load("{\"name\":\"Acme\",\"n\":5,\"z\":null,\"o\":{},\"e\":\"\"}");
    assert_string_equal(jsonx_str(j, "name"), "Acme");
    assert_string_equal(jsonx_str(j, "e"), "");
    assert_null(jsonx_str(j, "n"));
    assert_null(jsonx_str(j, "z"));
    assert_null(jsonx_str(j, "o"));
    assert_null(jsonx_str(j, "missing"));
    assert_null(jsonx_str(NULL, "name"));
    assert_null(jsonx_str(j, NULL));
    json_t *arr = load("[\"name\"]");
    assert_null(jsonx_str(arr, "name"));
    json_decref(arr);
    json_decref(j);
}

static void int_is(const json_t *j, const char *key, int64_t want)
{
    int64_t v = -99;
    if (jsonx_int(j, key, &v) != 0)
        fail_msg("jsonx_int(%s) failed", key);
    assert_true(v == want);
}

static void int_bad(const json_t *j, const char *key)
{
    int64_t v = 777;
    if (jsonx_int(j, key, &v) != -1)
        fail_msg("jsonx_int(%s) accepted: %lld", key, (long long)v);
    assert_true(v == 777);
}

static void test_int(void **state)
{
    (void)state;
    json_t *j = load("{\"a\":42,\"b\":\"42\",\"c\":\"-7\",\"d\":42.0,\"e\":42.5,\"f\":\"4x\",\"g\":\"\","
                     "\"h\":true,\"i\":null,\"j\":1e300,\"k\":\"9223372036854775807\","
                     "\"l\":\"9223372036854775808\",\"m\":\" 4\",\"n\":\"1.0\",\"o\":-9223372036854775808,"
                     "\"p\":\"-\",\"q\":[1],\"r\":\"+12\"}");
    int_is(j, "a", 42);
    int_is(j, "b", 42);
    int_is(j, "c", -7);
    int_is(j, "d", 42);
    int_is(j, "k", INT64_MAX);
    int_is(j, "o", INT64_MIN);
    int_is(j, "r", 12);
    const char *bad[] = {"e", "f", "g", "h", "i", "j", "l", "m", "n", "p", "q", "absent"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        int_bad(j, bad[i]);
    int_bad(NULL, "a");
    json_decref(j);
}

static void test_bool(void **state)
{
    (void)state;
    json_t *j = load("{\"t\":true,\"f\":false,\"s\":\"true\",\"one\":1,\"two\":2,\"x\":\"yes\"}");
    int b = -1;
    assert_int_equal(jsonx_bool(j, "t", &b), 0);
    assert_int_equal(b, 1);
    assert_int_equal(jsonx_bool(j, "f", &b), 0);
    assert_int_equal(b, 0);
    assert_int_equal(jsonx_bool(j, "s", &b), 0);
    assert_int_equal(b, 1);
    assert_int_equal(jsonx_bool(j, "one", &b), 0);
    assert_int_equal(b, 1);
    b = 5;
    assert_int_equal(jsonx_bool(j, "two", &b), -1);
    assert_int_equal(jsonx_bool(j, "x", &b), -1);
    assert_int_equal(jsonx_bool(j, "none", &b), -1);
    assert_int_equal(b, 5);
    json_decref(j);
}

static void test_money_and_qty(void **state)
{
    (void)state;
    json_t *j = load("{\"s\":\"11.0350\",\"n\":11.035,\"i\":12,\"neg\":\"-3.5\",\"bad\":\"abc\","
                     "\"sp\":\" 1\",\"b\":true,\"z\":null,\"q\":3,\"qs\":\"1.5\",\"qn\":2.25,"
                     "\"thousands\":\"1,000.00\",\"e\":\"1e2\"}");
    money_t m = 0;
    assert_int_equal(jsonx_money(j, "s", &m), 0);
    assert_true(m == 110350);
    m = 0;
    assert_int_equal(jsonx_money(j, "n", &m), 0);
    assert_true(m == 110350);
    assert_int_equal(jsonx_money(j, "i", &m), 0);
    assert_true(m == 120000);
    assert_int_equal(jsonx_money(j, "neg", &m), 0);
    assert_true(m == -35000);
    assert_int_equal(jsonx_money(j, "e", &m), 0);
    assert_true(m == 1000000);
    m = 4242;
    const char *bad[] = {"bad", "sp", "b", "z", "thousands", "absent"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(jsonx_money(j, bad[i], &m), -1);
    assert_true(m == 4242);

    qty_t q = 0;
    assert_int_equal(jsonx_qty(j, "q", &q), 0);
    assert_true(q == 3000);
    assert_int_equal(jsonx_qty(j, "qs", &q), 0);
    assert_true(q == 1500);
    assert_int_equal(jsonx_qty(j, "qn", &q), 0);
    assert_true(q == 2250);
    q = 9;
    assert_int_equal(jsonx_qty(j, "bad", &q), -1);
    assert_int_equal(jsonx_qty(j, "z", &q), -1);
    assert_true(q == 9);
    json_decref(j);
}

static void test_date(void **state)
{
    (void)state;
    json_t *j = load("{\"d\":\"2025-03-01\",\"t\":\"2025-03-31T00:00:00Z\",\"bad\":\"2025-02-30\","
                     "\"num\":20250301,\"junk\":\"soon\"}");
    cdate_t d = {0, 0, 0};
    assert_int_equal(jsonx_date(j, "d", &d), 0);
    assert_true(d.y == 2025 && d.m == 3 && d.d == 1);
    assert_int_equal(jsonx_date(j, "t", &d), 0);
    assert_true(d.y == 2025 && d.m == 3 && d.d == 31);
    assert_int_equal(jsonx_date(j, "bad", &d), -1);
    assert_int_equal(jsonx_date(j, "num", &d), -1);
    assert_int_equal(jsonx_date(j, "junk", &d), -1);
    assert_int_equal(jsonx_date(j, "absent", &d), -1);
    assert_true(d.y == 2025 && d.m == 3 && d.d == 31);
    json_decref(j);
}

static void test_dotted_paths(void **state)
{
    (void)state;
    json_t *j = load("{\"items\":[{\"id\":29683616,\"unitPrice\":\"11.0350\"},{\"id\":\"7\"}],"
                     "\"pageDetails\":{\"count\":2,\"nextPageUrl\":\"https://x/V1.0/Contracts/query/next?paging=1\","
                     "\"prevPageUrl\":null},\"a.b\":\"literal\",\"a\":{\"b\":\"nested\"},\"s\":\"str\"}");
    assert_string_equal(jsonx_str(j, "pageDetails.nextPageUrl"), "https://x/V1.0/Contracts/query/next?paging=1");
    assert_null(jsonx_str(j, "pageDetails.prevPageUrl"));
    assert_null(jsonx_str(j, "pageDetails.missing"));
    assert_null(jsonx_str(j, "pageDetails.count.deeper"));
    assert_null(jsonx_str(j, "s.x"));
    assert_null(jsonx_str(j, "items.2.id"));
    assert_null(jsonx_str(j, "items.x"));
    assert_null(jsonx_str(j, "items.-1"));
    assert_null(jsonx_str(j, "."));
    assert_null(jsonx_str(j, "pageDetails."));
    assert_string_equal(jsonx_str(j, "a.b"), "literal"); /* whole key first */
    int64_t id = 0;
    assert_int_equal(jsonx_int(j, "items.0.id", &id), 0);
    assert_true(id == 29683616);
    assert_int_equal(jsonx_int(j, "items.1.id", &id), 0);
    assert_true(id == 7);
    assert_int_equal(jsonx_int(j, "pageDetails.count", &id), 0);
    assert_true(id == 2);
    money_t m = 0;
    assert_int_equal(jsonx_money(j, "items.0.unitPrice", &m), 0);
    assert_true(m == 110350);
    assert_non_null(jsonx_get(j, "items"));
    assert_null(jsonx_get(j, "pageDetails.prevPageUrl"));
    json_t *arr = load("[{\"id\":1},{\"id\":2}]");
    assert_int_equal(jsonx_int(arr, "1.id", &id), 0);
    assert_true(id == 2);
    json_decref(arr);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts_values),
        cmocka_unit_test(test_parse_rejects_bad_bodies),
        cmocka_unit_test(test_parse_error_never_quotes_body),
        cmocka_unit_test(test_str),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_money_and_qty),
        cmocka_unit_test(test_date),
        cmocka_unit_test(test_dotted_paths),
    };
    return cmocka_run_group_tests_name("jsonx", tests, NULL, NULL);
}
