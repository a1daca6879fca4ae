/* test_margin.c: cmocka tests for core/margin (monthly equivalents, margin, margin %, flag,
 * the threshold setting's parser), to the cent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/margin.h"

static money_t M(const char *s)
{
    money_t v = 0;
    if (money_parse(s, &v) != 0)
        fail_msg("bad money literal %s", s);
    return v;
}

static qty_t Q(const char *s)
{
    qty_t v = 0;
    if (qty_parse(s, &v) != 0)
        fail_msg("bad quantity literal %s", s);
    return v;
}

static void money_is(money_t v, const char *want)
{
    char buf[MONEY_FMT_MAX];
    assert_int_equal(money_format(v, buf, sizeof buf, 4), 0);
    assert_string_equal(buf, want);
}

static void test_div_half_even(void **state)
{
    (void)state;
    int64_t q;
    assert_int_equal(margin_div_half_even(5, 2, &q), 0);    /* 2.5 -> 2 */
    assert_int_equal(q, 2);
    assert_int_equal(margin_div_half_even(7, 2, &q), 0);    /* 3.5 -> 4 */
    assert_int_equal(q, 4);
    assert_int_equal(margin_div_half_even(-5, 2, &q), 0);   /* -2.5 -> -2 */
    assert_int_equal(q, -2);
    assert_int_equal(margin_div_half_even(-7, 2, &q), 0);   /* -3.5 -> -4 */
    assert_int_equal(q, -4);
    assert_int_equal(margin_div_half_even(26, 10, &q), 0);  /* 2.6 -> 3 */
    assert_int_equal(q, 3);
    assert_int_equal(margin_div_half_even(-24, 10, &q), 0); /* -2.4 -> -2 */
    assert_int_equal(q, -2);
    assert_int_equal(margin_div_half_even(1, 0, &q), -1);
    assert_int_equal(margin_div_half_even(1, -3, &q), -1);
}

static void test_monthly(void **state)
{
    (void)state;
    money_t v;
    /* monthly: 7 seats at 12.35 = 86.45 */
    assert_int_equal(margin_monthly(M("12.35"), Q("7"), 1, 1, 1, &v), 0);
    money_is(v, "86.4500");
    /* four-decimal cost: 3 × 1.2345 = 3.7035 -> 3.70 (half-even on the exact value) */
    assert_int_equal(margin_monthly(M("1.2345"), Q("3"), 1, 1, 1, &v), 0);
    money_is(v, "3.7000");
    /* exactly half a cent: 1 × 0.0050 -> 0.00 (even), 1 × 0.0150 -> 0.02 */
    assert_int_equal(margin_monthly(M("0.005"), Q("1"), 1, 1, 1, &v), 0);
    money_is(v, "0.0000");
    assert_int_equal(margin_monthly(M("0.015"), Q("1"), 1, 1, 1, &v), 0);
    money_is(v, "0.0200");
    /* annual: 7 × 237.60 a year = 1663.20 / 12 = 138.60 a month */
    assert_int_equal(margin_monthly(M("237.60"), Q("7"), 12, 1, 1, &v), 0);
    money_is(v, "138.6000");
    /* annual 0.30 / 12 = 0.025 -> 0.02 (half-even); 0.42 / 12 = 0.035 -> 0.04 */
    assert_int_equal(margin_monthly(M("0.30"), Q("1"), 12, 1, 1, &v), 0);
    money_is(v, "0.0200");
    assert_int_equal(margin_monthly(M("0.42"), Q("1"), 12, 1, 1, &v), 0);
    money_is(v, "0.0400");
    /* rounded once, not twice: 0.4199 / 12 = 0.0349916... -> 0.03 (a first rounding to
     * 0.0350 would give 0.04) */
    assert_int_equal(margin_monthly(M("0.4199"), Q("1"), 12, 1, 1, &v), 0);
    money_is(v, "0.0300");
    /* 5 × 100 a year = 41.666... -> 41.67 */
    assert_int_equal(margin_monthly(M("100"), Q("5"), 12, 1, 1, &v), 0);
    money_is(v, "41.6700");
    /* a shared service: 10 units × 9.99 = 99.90, this row 3 of 7 seats: 42.8142... -> 42.81 */
    assert_int_equal(margin_monthly(M("9.99"), Q("10"), 1, 3000, 7000, &v), 0);
    money_is(v, "42.8100");
    /* fractional quantity: 2.5 × 3.33 = 8.325 -> 8.32 */
    assert_int_equal(margin_monthly(M("3.33"), Q("2.5"), 1, 1, 1, &v), 0);
    money_is(v, "8.3200");
    /* bad input */
    assert_int_equal(margin_monthly(M("1"), Q("1"), 0, 1, 1, &v), -1);
    assert_int_equal(margin_monthly(M("1"), Q("1"), 1, 1, 0, &v), -1);
    assert_int_equal(margin_monthly(M("1"), Q("1"), 1, -1, 1, &v), -1);
    /* a quarter: 3 × 30 per quarter = 30.00 a month */
    assert_int_equal(margin_monthly(M("30"), Q("3"), 3, 1, 1, &v), 0);
    money_is(v, "30.0000");
}

static void test_pct_and_flag(void **state)
{
    (void)state;
    int64_t t;
    /* 10 / 100 = 10.0 % */
    assert_int_equal(margin_pct_tenths(M("10"), M("100"), &t), 0);
    assert_int_equal(t, 100);
    /* 1 / 3 = 33.333 % -> 33.3 */
    assert_int_equal(margin_pct_tenths(M("1"), M("3"), &t), 0);
    assert_int_equal(t, 333);
    /* 0.125 % -> 0.1 (half-even: 1.25 tenths -> 1) ; 0.375 % -> 0.4 */
    assert_int_equal(margin_pct_tenths(M("0.01"), M("8"), &t), 0);
    assert_int_equal(t, 1);
    assert_int_equal(margin_pct_tenths(M("0.03"), M("8"), &t), 0);
    assert_int_equal(t, 4);
    /* negative: -5 / 40 = -12.5 % */
    assert_int_equal(margin_pct_tenths(M("-5"), M("40"), &t), 0);
    assert_int_equal(t, -125);
    /* exactly half a tenth, even below: 0.05 % = 0.5 tenths -> 0; 0.15 % -> 0.2 */
    assert_int_equal(margin_pct_tenths(M("0.01"), M("20"), &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(margin_pct_tenths(M("0.03"), M("20"), &t), 0);
    assert_int_equal(t, 2);
    assert_int_equal(margin_pct_tenths(M("1"), 0, &t), -1);
    assert_int_equal(margin_pct_tenths(M("1"), M("-1"), &t), -1);

    assert_true(margin_flag(M("-0.01"), 1, 500, 100));     /* negative */
    assert_true(margin_flag(M("5"), 1, 99, 100));          /* 9.9 % < 10.0 % */
    assert_false(margin_flag(M("5"), 1, 100, 100));        /* 10.0 % is not below */
    assert_true(margin_flag(M("-3"), 0, 0, 100));          /* no revenue, a cost */
    assert_false(margin_flag(0, 0, 0, 100));               /* nothing either side */
    assert_false(margin_flag(M("1"), 1, 0, 0));            /* threshold 0: only a loss */
}

static void test_compute(void **state)
{
    (void)state;
    struct margin_out o;
    /* 10 seats at 8.00, PSA 10 units at 12.00: 120 - 80 = 40, 33.3 % */
    struct margin_in a = {Q("10"), M("8"), 1, Q("10"), M("12"), 1, 1, 1};
    assert_int_equal(margin_compute(&a, 100, &o), 0);
    money_is(o.revenue, "120.0000");
    money_is(o.cost, "80.0000");
    money_is(o.margin, "40.0000");
    assert_true(o.has_pct);
    assert_int_equal(o.pct_tenths, 333);
    assert_false(o.flagged);
    /* the same under a 40 % threshold: flagged */
    assert_int_equal(margin_compute(&a, 400, &o), 0);
    assert_true(o.flagged);
    /* annual cost 7 × 237.60 a year (138.60 a month), PSA annual charge 7 × 300 (175.00) */
    struct margin_in b = {Q("7"), M("237.60"), 12, Q("7"), M("300"), 12, 1, 1};
    assert_int_equal(margin_compute(&b, 100, &o), 0);
    money_is(o.revenue, "175.0000");
    money_is(o.cost, "138.6000");
    money_is(o.margin, "36.4000");
    assert_int_equal(o.pct_tenths, 208);       /* 20.8 % */
    assert_false(o.flagged);
    /* a loss: cost 5 × 20, price 5 × 19 */
    struct margin_in c = {Q("5"), M("20"), 1, Q("5"), M("19"), 1, 1, 1};
    assert_int_equal(margin_compute(&c, 100, &o), 0);
    money_is(o.margin, "-5.0000");
    assert_int_equal(o.pct_tenths, -53);       /* -5/95 = -5.263 % */
    assert_true(o.flagged);
    /* nothing sold yet (no PSA price): no margin %, flagged by its cost */
    struct margin_in d = {Q("2"), M("3.50"), 1, Q("0"), 0, 1, 1, 1};
    assert_int_equal(margin_compute(&d, 100, &o), 0);
    money_is(o.revenue, "0.0000");
    money_is(o.margin, "-7.0000");
    assert_false(o.has_pct);
    assert_true(o.flagged);
    /* invalid */
    struct margin_in e = {Q("2"), M("3.50"), 0, Q("0"), 0, 1, 1, 1};
    assert_int_equal(margin_compute(&e, 100, &o), -1);
}

static void test_format_parse_label(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(margin_pct_format(333, buf, sizeof buf), 0);
    assert_string_equal(buf, "33.3");
    assert_int_equal(margin_pct_format(-53, buf, sizeof buf), 0);
    assert_string_equal(buf, "-5.3");
    assert_int_equal(margin_pct_format(-5, buf, sizeof buf), 0);
    assert_string_equal(buf, "-0.5");
    assert_int_equal(margin_pct_format(0, buf, sizeof buf), 0);
    assert_string_equal(buf, "0.0");

    int t = -1;
    assert_int_equal(margin_threshold_parse("10", &t), 0);
    assert_int_equal(t, 100);
    assert_int_equal(margin_threshold_parse(" 12.5 ", &t), 0);
    assert_int_equal(t, 125);
    assert_int_equal(margin_threshold_parse("7.5%", &t), 0);
    assert_int_equal(t, 75);
    assert_int_equal(margin_threshold_parse("0", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(margin_threshold_parse("100", &t), 0);
    assert_int_equal(t, 1000);
    t = 42;
    const char *bad[] = {"", " ", "-1", "+5", "100.1", "101", "12.55", "1e1", "abc", "12.", ".5", "12,5", "5 %x", NULL};
    for (int i = 0; bad[i]; i++)
        assert_int_equal(margin_threshold_parse(bad[i], &t), -1);
    assert_int_equal(t, 42);
    assert_int_equal(margin_threshold_parse(NULL, &t), -1);

    assert_string_equal(margin_period_label(1, 1, buf, sizeof buf), "monthly");
    assert_string_equal(margin_period_label(12, 12, buf, sizeof buf), "annual, shown monthly");
    assert_string_equal(margin_period_label(1, 12, buf, sizeof buf), "annual, shown monthly");
    assert_string_equal(margin_period_label(1, 3, buf, sizeof buf), "every 3 months, shown monthly");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_div_half_even), cmocka_unit_test(test_monthly), cmocka_unit_test(test_pct_and_flag),
        cmocka_unit_test(test_compute), cmocka_unit_test(test_format_parse_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
