/* test_request.c: query/form/cookie parsing, the text validity check and ids in paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "web/request.h"

static int parse(const char *s, struct kvlist *l, char *why)
{
    memset(l, 0, sizeof *l);
    return kv_parse_urlencoded(l, s, strlen(s), why, 160);
}

static void decodes_pairs(void **state)
{
    (void)state;
    struct kvlist l;
    char why[160];
    assert_int_equal(parse("a=1&b=hello+world&c=%3Cscript%3E&d&e=", &l, why), 0);
    assert_int_equal(l.n, 5);
    assert_string_equal(kv_get(&l, "d"), "");
    assert_string_equal(kv_get(&l, "a"), "1");
    assert_string_equal(kv_get(&l, "b"), "hello world");
    assert_string_equal(kv_get(&l, "c"), "<script>");
    assert_string_equal(kv_get(&l, "e"), "");
    kv_free(&l);
}

static void rejects_bad_escapes(void **state)
{
    (void)state;
    struct kvlist l;
    char why[160];
    const char *bad[] = {"a=%zz", "a=%", "a=%4", "a=%G1", "%=1", "a=%00", "a=%ff%fe",
                         "a=%C0%AF", "a=%ED%A0%80", "a=%01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(bad[i], &l, why), -1);
        assert_true(strlen(why) > 0);
        kv_free(&l);
    }
}

static void accepts_utf8(void **state)
{
    (void)state;
    struct kvlist l;
    char why[160];
    assert_int_equal(parse("n=M%C3%BCller+%E2%82%AC+%F0%9F%98%80", &l, why), 0);
    assert_string_equal(kv_get(&l, "n"), "M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x98\x80");
    kv_free(&l);
}

static void limits_key_length_and_count(void **state)
{
    (void)state;
    struct kvlist l;
    char why[160], big[400];
    memset(big, 'k', 300);
    strcpy(big + 300, "=1");
    assert_int_equal(parse(big, &l, why), -1);
    kv_free(&l);
}

static void cookies(void **state)
{
    (void)state;
    struct kvlist l = {0};
    kv_parse_cookies(&l, "a=1; bs_sid=abc=def;  ;junk; c=");
    assert_string_equal(kv_get(&l, "a"), "1");
    assert_string_equal(kv_get(&l, "bs_sid"), "abc=def");
    assert_string_equal(kv_get(&l, "c"), "");
    assert_null(kv_get(&l, "junk"));
    kv_free(&l);
    kv_parse_cookies(&l, NULL);
    assert_int_equal(l.n, 0);
}

static int path_id(const char *path, long long *id)
{
    struct request r;
    memset(&r, 0, sizeof r);
    snprintf(r.path, sizeof r.path, "%s", path);
    return req_path_id(&r, "/reports/adjustments/", id);
}

static void ids_in_paths(void **state)
{
    (void)state;
    long long id = 0;
    assert_int_equal(path_id("/reports/adjustments/42", &id), 0);
    assert_int_equal(id, 42);
    assert_int_equal(path_id("/reports/adjustments/999999999999999999", &id), 0);
    assert_int_equal(id, 999999999999999999LL);
    const char *bad[] = {"/reports/adjustments/", "/reports/adjustments/0", "/reports/adjustments/-1",
                         "/reports/adjustments/+1", "/reports/adjustments/1x", "/reports/adjustments/1/",
                         "/reports/adjustments/ 1", "/reports/adjustments/1 ", "/reports/adjustments/00",
                         "/reports/adjustments/1000000000000000000", "/reports/adjustments", "/reports/charges/1",
                         "/reports/adjustments/1%20"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        id = 7;
        assert_int_equal(path_id(bad[i], &id), -1);
        assert_int_equal(id, 7);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_pairs), cmocka_unit_test(rejects_bad_escapes),
        cmocka_unit_test(accepts_utf8), cmocka_unit_test(limits_key_length_and_count),
        cmocka_unit_test(cookies), cmocka_unit_test(ids_in_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
