/* test_new_subs.c: cmocka tests for core/new_subs (the new-unlinked alert's monthly value at
 * cost and the daily digest's clock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/new_subs.h"

#define Q(whole) ((qty_t)(whole) * QTY_SCALE)

static money_t one(money_t cost, qty_t qty, int annual)
{
    money_t v = -777;
    assert_int_equal(cost_monthly(cost, qty, annual, &v), 0);
    return v;
}

static void test_monthly_is_cost_times_quantity(void **state)
{
    (void)state;
    assert_int_equal(one(123400, Q(5), 0), 617000);        /* 12.34 × 5 = 61.70 */
    assert_int_equal(one(12345, 1500, 0), 18518);          /* 1.2345 × 1.5 = 1.85175 → 1.8518 (half-even) */
    assert_int_equal(one(12345, 2500, 0), 30862);          /* 1.2345 × 2.5 = 3.08625 → 3.0862 (half-even) */
    assert_int_equal(one(0, Q(9), 0), 0);
    assert_int_equal(one(55000, 0, 0), 0);
}

static void test_annual_is_a_twelfth_to_the_cent(void **state)
{
    (void)state;
    assert_int_equal(one(2376000, Q(7), 1), 1386000);      /* 7 × 237.60 = 1663.20 a year: 138.60 */
    assert_int_equal(one(3000, Q(1), 1), 200);             /* 0.30 a year: 0.025 → 0.02 */
    assert_int_equal(one(4199, Q(1), 1), 400);             /* 0.4199: 0.0349916… → 0.0350 → 0.04 */
    assert_int_equal(one(1000000, Q(1), 1), 83300);        /* 100 a year: 8.3333… → 8.33 */
}

static void test_sum_rounds_each_line_alone(void **state)
{
    (void)state;
    struct cost_line v[] = {
        {3000, Q(1), 1},          /* 0.02 */
        {3000, Q(1), 1},          /* 0.02, not (0.60 / 12 = 0.05) */
        {123400, Q(5), 0},        /* 61.70 */
        {12345, 1500, 0},         /* 1.8518 */
    };
    money_t s = -1;
    assert_int_equal(cost_monthly_sum(v, 4, &s), 0);
    assert_int_equal(s, 200 + 200 + 617000 + 18518);
    assert_int_equal(cost_monthly_sum(v, 0, &s), 0);
    assert_int_equal(s, 0);
}

static void test_overflow_refused(void **state)
{
    (void)state;
    money_t v = 42;
    assert_int_equal(cost_monthly(INT64_MAX / 2, Q(1000000), 0, &v), -1);
    assert_int_equal(v, 42);
    struct cost_line big[] = {{INT64_MAX / 2 + 10, 1000, 0}, {INT64_MAX / 2 + 10, 1000, 0}};
    assert_int_equal(cost_monthly_sum(big, 2, &v), -1);
    assert_int_equal(v, 42);
}

static void test_digest_clock(void **state)
{
    (void)state;
    cdate_t today = cdate_make(2026, 12, 7), yesterday = cdate_make(2026, 12, 6), never = {0, 0, 0};
    long since, next;
    /* 06:30: not yet; look again at 07:00 */
    assert_int_equal(digest_due(today, 6 * 3600 + 1800, yesterday, 7, &since, &next), 0);
    assert_int_equal(since, -1800);
    assert_int_equal(next, 1800);
    /* 07:00 sharp, never sent: due; next look tomorrow 07:00 */
    assert_int_equal(digest_due(today, 7 * 3600, never, 7, &since, &next), 1);
    assert_int_equal(since, 0);
    assert_int_equal(next, 86400);
    /* 15:00, yesterday's went out: due (a worker that was away catches up) */
    assert_int_equal(digest_due(today, 15 * 3600, yesterday, 7, &since, &next), 1);
    assert_int_equal(since, 8 * 3600);
    assert_int_equal(next, 16 * 3600);
    /* today's went out: not again */
    assert_int_equal(digest_due(today, 15 * 3600, today, 7, &since, &next), 0);
    /* a last day in the future (a clock set back) is not before today: not due */
    assert_int_equal(digest_due(yesterday, 9 * 3600, today, 7, &since, &next), 0);
    /* a minute before midnight, hour 23 passed: next look at least a minute ahead */
    assert_int_equal(digest_due(today, 86399, yesterday, 0, &since, &next), 1);
    assert_int_equal(next, 60);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monthly_is_cost_times_quantity),
        cmocka_unit_test(test_annual_is_a_twelfth_to_the_cent),
        cmocka_unit_test(test_sum_rounds_each_line_alone),
        cmocka_unit_test(test_overflow_refused),
        cmocka_unit_test(test_digest_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
