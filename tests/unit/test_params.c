/* test_params.c: the declared route parameters (web/params.h): each kind, defaults, empty
 * values, the first bad parameter's sentence, and reading the checked values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "web/params.h"

static const char *const dirs[] = {"asc", "desc", NULL};

static const struct param_def defs[] = {
    PARAM_INT_("page", 1, 100, "1", "bad page"),
    PARAM_ENUM_("dir", dirs, NULL, "bad dir"),
    PARAM_DATE_("from", "bad from"),
    PARAM_MONTH_("month", "bad month"),
    PARAM_TEXT_("q", 5, "bad q"),
    PARAM_INT_("source", 1, 9223372036854775807LL, NULL, "bad source"),
    PARAM_END,
};

/* The checked values point into the parsed query: it lives until the next check. */
static struct kvlist query;

static int teardown(void **state)
{
    (void)state;
    kv_free(&query);
    return 0;
}

/* Checks the query string s against defs; returns params_check's result. */
static int check(const char *s, struct params *p, const char **why)
{
    char reason[160];
    kv_free(&query);
    assert_int_equal(kv_parse_urlencoded(&query, s, strlen(s), reason, sizeof reason), 0);
    *why = NULL;
    return params_check(p, defs, &query, why);
}

static void absent_values_take_their_defaults(void **state)
{
    (void)state;
    struct params p;
    const char *why;
    assert_int_equal(check("other=zzz", &p, &why), 0);
    assert_int_equal(param_int(&p, "page"), 1);
    assert_string_equal(param_str(&p, "page"), "1");
    assert_int_equal(param_given(&p, "page"), 0);
    assert_string_equal(param_str(&p, "dir"), "");
    assert_string_equal(param_str(&p, "q"), "");
    assert_int_equal(param_int(&p, "source"), 0);
    cdate_t d = {7, 7, 7};
    assert_int_equal(param_date(&p, "from", &d), 0);
    assert_int_equal(d.y, 7);
    /* an empty value is absent */
    assert_int_equal(check("page=&dir=&from=&month=&q=&source=", &p, &why), 0);
    assert_int_equal(param_int(&p, "page"), 1);
    assert_int_equal(param_date(&p, "from", &d), 0);
    /* a name nobody declared reads as absent */
    assert_string_equal(param_str(&p, "other"), "");
    assert_int_equal(param_int(&p, "other"), 0);
}

static void valid_values_are_read_back(void **state)
{
    (void)state;
    struct params p;
    const char *why;
    assert_int_equal(check("page=100&dir=desc&from=2024-02-29&month=2026-11&q=ab%20c&source=9223372036854775807",
                           &p, &why), 0);
    assert_int_equal(param_int(&p, "page"), 100);
    assert_int_equal(param_given(&p, "page"), 1);
    assert_string_equal(param_str(&p, "dir"), "desc");
    cdate_t d;
    assert_int_equal(param_date(&p, "from", &d), 1);
    assert_true(d.y == 2024 && d.m == 2 && d.d == 29);
    assert_int_equal(param_date(&p, "month", &d), 1);
    assert_true(d.y == 2026 && d.m == 11 && d.d == 1);
    assert_string_equal(param_str(&p, "q"), "ab c");
    assert_true(param_int(&p, "source") == 9223372036854775807LL);
}

static void a_bad_value_names_its_sentence(void **state)
{
    (void)state;
    static const struct {
        const char *query, *sentence;
    } cases[] = {
        {"page=0", "bad page"},       {"page=101", "bad page"},      {"page=1x", "bad page"},
        {"page=-", "bad page"},       {"page=99999999999999999999", "bad page"},
        {"dir=up", "bad dir"},        {"dir=ASC", "bad dir"},        {"dir=asc%20", "bad dir"},
        {"from=2025-02-29", "bad from"}, {"from=2025-1-5", "bad from"}, {"from=20250105", "bad from"},
        {"from=2025-01-05T00:00", "bad from"}, {"month=2026-13", "bad month"},
        {"month=2026-11-01", "bad month"}, {"q=abcdef", "bad q"},   {"source=0", "bad source"},
        {"source=abc", "bad source"}, {"source=-1", "bad source"},
        /* the first declared bad parameter answers, whatever the order in the query */
        {"q=toolong&page=0", "bad page"}, {"from=x&dir=up", "bad dir"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct params p;
        const char *why;
        assert_int_equal(check(cases[i].query, &p, &why), -1);
        assert_non_null(why);
        assert_string_equal(why, cases[i].sentence);
    }
}

static void no_declarations_accept_anything(void **state)
{
    (void)state;
    struct params p;
    struct kvlist l;
    char reason[160];
    memset(&l, 0, sizeof l);
    assert_int_equal(kv_parse_urlencoded(&l, "page=0&x=y", 10, reason, sizeof reason), 0);
    const char *why = NULL;
    assert_int_equal(params_check(&p, NULL, &l, &why), 0);
    assert_string_equal(param_str(&p, "page"), "");
    kv_free(&l);
}

static void a_default_is_checked_like_a_value(void **state)
{
    (void)state;
    static const struct param_def wrong[] = {PARAM_INT_("n", 1, 5, "9", "n out of range"), PARAM_END};
    struct params p;
    struct kvlist l;
    memset(&l, 0, sizeof l);
    const char *why = NULL;
    assert_int_equal(params_check(&p, wrong, &l, &why), -1);
    assert_string_equal(why, "n out of range");
    struct param_val v;
    assert_int_equal(param_parse(&wrong[0], "5", &v), 0);
    assert_int_equal(v.i, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(absent_values_take_their_defaults),
        cmocka_unit_test(valid_values_are_read_back),
        cmocka_unit_test(a_bad_value_names_its_sentence),
        cmocka_unit_test(no_declarations_accept_anything),
        cmocka_unit_test(a_default_is_checked_like_a_value),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
