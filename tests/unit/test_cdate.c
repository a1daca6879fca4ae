/* test_cdate.c: cmocka tests for core/cdate (validation, parsing, day arithmetic, billing periods) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/cdate.h"

static cdate_t D(int y, int m, int d)
{
    return cdate_make(y, m, d);
}

static void date_is(cdate_t got, int y, int m, int d)
{
    if (got.y != y || got.m != m || got.d != d)
        fail_msg("got %04d-%02d-%02d, want %04d-%02d-%02d", got.y, got.m, got.d, y, m, d);
}

static void period_is(cdate_period_t p, const char *start, const char *end)
{
    char a[CDATE_FMT_LEN], b[CDATE_FMT_LEN];
    assert_int_equal(cdate_format(p.start, a, sizeof a), 0);
    assert_int_equal(cdate_format(p.end, b, sizeof b), 0);
    assert_string_equal(a, start);
    assert_string_equal(b, end);
}

static void test_leap_years(void **state)
{
    (void)state;
    assert_true(cdate_is_leap(2024));
    assert_true(cdate_is_leap(2000));
    assert_true(cdate_is_leap(2400));
    assert_false(cdate_is_leap(2025));
    assert_false(cdate_is_leap(1900));
    assert_false(cdate_is_leap(2100));
    assert_int_equal(cdate_days_in_month(2024, 2), 29);
    assert_int_equal(cdate_days_in_month(2025, 2), 28);
    assert_int_equal(cdate_days_in_month(1900, 2), 28);
    assert_int_equal(cdate_days_in_month(2000, 2), 29);
    assert_int_equal(cdate_days_in_month(2025, 4), 30);
    assert_int_equal(cdate_days_in_month(2025, 12), 31);
    assert_int_equal(cdate_days_in_month(2025, 0), -1);
    assert_int_equal(cdate_days_in_month(2025, 13), -1);
    assert_int_equal(cdate_days_in_month(0, 1), -1);
    assert_int_equal(cdate_days_in_month(10000, 1), -1);
}

static void test_valid(void **state)
{
    (void)state;
    assert_true(cdate_valid(D(2024, 2, 29)));
    assert_false(cdate_valid(D(2025, 2, 29)));
    assert_false(cdate_valid(D(2025, 2, 30)));
    assert_false(cdate_valid(D(2025, 4, 31)));
    assert_false(cdate_valid(D(2025, 1, 0)));
    assert_false(cdate_valid(D(2025, 0, 1)));
    assert_false(cdate_valid(D(2025, 13, 1)));
    assert_false(cdate_valid(D(0, 1, 1)));
    assert_false(cdate_valid(D(10000, 1, 1)));
    assert_false(cdate_valid(D(-2025, 1, 1)));
    assert_false(cdate_valid(D(2025, 1, -1)));
    assert_true(cdate_valid(D(1, 1, 1)));
    assert_true(cdate_valid(D(9999, 12, 31)));
}

static void test_days_round_trip_whole_range(void **state)
{
    (void)state;
    int32_t n = 0;
    assert_int_equal(cdate_to_days(D(1970, 1, 1), &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(cdate_to_days(D(2000, 3, 1), &n), 0);
    assert_int_equal(n, 11017);
    assert_int_equal(cdate_to_days(D(1969, 12, 31), &n), 0);
    assert_int_equal(n, -1);
    assert_int_equal(cdate_to_days(D(1, 1, 1), &n), 0);
    assert_int_equal(n, CDATE_MIN_DAYS);
    assert_int_equal(cdate_to_days(D(9999, 12, 31), &n), 0);
    assert_int_equal(n, CDATE_MAX_DAYS);
    assert_int_equal(cdate_to_days(D(2025, 2, 30), &n), -1);
    assert_int_equal(cdate_to_days(D(2025, 2, 1), NULL), -1);

    /* Every day of the range: consecutive day numbers are consecutive calendar days. */
    cdate_t prev;
    assert_int_equal(cdate_from_days(CDATE_MIN_DAYS, &prev), 0);
    date_is(prev, 1, 1, 1);
    for (int64_t day = (int64_t)CDATE_MIN_DAYS + 1; day <= CDATE_MAX_DAYS; day++) {
        cdate_t c;
        int32_t back;
        if (cdate_from_days(day, &c) != 0 || !cdate_valid(c) || cdate_to_days(c, &back) != 0 || back != day)
            fail_msg("round trip failed at day %lld", (long long)day);
        int next_ok = (c.y == prev.y && c.m == prev.m && c.d == prev.d + 1) ||
                      (c.y == prev.y && c.m == prev.m + 1 && c.d == 1 &&
                       prev.d == cdate_days_in_month(prev.y, prev.m)) ||
                      (c.y == prev.y + 1 && c.m == 1 && c.d == 1 && prev.m == 12 && prev.d == 31);
        if (!next_ok)
            fail_msg("day %lld does not follow the previous day", (long long)day);
        prev = c;
    }
    date_is(prev, 9999, 12, 31);
    cdate_t c = D(5, 5, 5);
    assert_int_equal(cdate_from_days((int64_t)CDATE_MIN_DAYS - 1, &c), -1);
    assert_int_equal(cdate_from_days((int64_t)CDATE_MAX_DAYS + 1, &c), -1);
    assert_int_equal(cdate_from_days(INT64_MIN, &c), -1);
    assert_int_equal(cdate_from_days(INT64_MAX, &c), -1);
    date_is(c, 5, 5, 5);
    assert_int_equal(cdate_from_days(0, NULL), -1);
}

static void parse_ok(const char *s, int y, int m, int d)
{
    cdate_t c = {0, 0, 0};
    if (cdate_parse(s, &c) != 0)
        fail_msg("cdate_parse(\"%s\") failed", s);
    date_is(c, y, m, d);
}

static void test_parse_accepts_dates_and_timestamps(void **state)
{
    (void)state;
    parse_ok("2025-03-01", 2025, 3, 1);
    parse_ok("2024-02-29", 2024, 2, 29);
    parse_ok("0001-01-01", 1, 1, 1);
    parse_ok("9999-12-31", 9999, 12, 31);
    parse_ok("2025-03-01T12:34:56Z", 2025, 3, 1);
    parse_ok("2025-03-01T12:34:56.789Z", 2025, 3, 1);
    parse_ok("2019-03-05T00:00:00.0000000Z", 2019, 3, 5); /* Partner Center's 7 digits */
    parse_ok("2021-05-20T00:00:00", 2021, 5, 20);
    parse_ok("2025-03-01T23:30:00-05:00", 2025, 3, 1);    /* the date as written */
    parse_ok("2025-03-01T23:30:00+0530", 2025, 3, 1);
    parse_ok("2025-03-01T23:30:00+05", 2025, 3, 1);
    parse_ok("2025-03-01 12:00:00", 2025, 3, 1);          /* MariaDB DATETIME */
    parse_ok("2025-03-01T12:34", 2025, 3, 1);
    parse_ok("2025-03-01t12:34:56z", 2025, 3, 1);
    parse_ok("2016-12-31T23:59:60Z", 2016, 12, 31);       /* leap second */
}

static void test_parse_rejects_invalid(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "2025-02-30",
        "2025-02-29",
        "2025-04-31",
        "2025-13-01",
        "2025-00-10",
        "2025-01-00",
        "0000-01-01",
        "2025-2-3",
        "20250301",
        "2025/03/01",
        "2025-03-01x",
        "2025-03-01 ",
        " 2025-03-01",
        "2025-03-01T",
        "2025-03-01T25:00:00",
        "2025-03-01T12:60:00",
        "2025-03-01T12:00:61",
        "2025-03-01T1:00:00",
        "2025-03-01Tgarbage",
        "2025-03-01T12:34:56.Z",
        "2025-03-01T12:34:56+05:",
        "2025-03-01T12:34:56+5",
        "2025-03-01T12:34:56+19:00",
        "2025-03-01T12:34:56Zjunk",
        "2025-03-01T12:34:56 Z",
        "-025-03-01",
        "+2025-03-01",
        "2025-03",
        "2025",
        "2025-03-01\n",
    };
    cdate_t c = D(7, 7, 7);
    assert_int_equal(cdate_parse(NULL, &c), -1);
    assert_int_equal(cdate_parse("2025-03-01", NULL), -1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (cdate_parse(bad[i], &c) != -1)
            fail_msg("cdate_parse(\"%s\") accepted", bad[i]);
    date_is(c, 7, 7, 7);
}

static void test_format(void **state)
{
    (void)state;
    char buf[CDATE_FMT_LEN];
    assert_int_equal(cdate_format(D(5, 1, 2), buf, sizeof buf), 0);
    assert_string_equal(buf, "0005-01-02");
    assert_int_equal(cdate_format(D(2025, 12, 31), buf, sizeof buf), 0);
    assert_string_equal(buf, "2025-12-31");
    assert_int_equal(cdate_format(D(2025, 2, 30), buf, sizeof buf), -1);
    assert_string_equal(buf, "");
    assert_int_equal(cdate_format(D(2025, 1, 1), buf, 10), -1);
    assert_int_equal(cdate_format(D(2025, 1, 1), NULL, 11), -1);
}

static void test_cmp_and_diff(void **state)
{
    (void)state;
    int64_t n = 0;
    assert_int_equal(cdate_cmp(D(2025, 1, 1), D(2025, 1, 1)), 0);
    assert_int_equal(cdate_cmp(D(2025, 1, 1), D(2025, 1, 2)), -1);
    assert_int_equal(cdate_cmp(D(2025, 2, 1), D(2025, 1, 31)), 1);
    assert_int_equal(cdate_cmp(D(2024, 12, 31), D(2025, 1, 1)), -1);
    assert_int_equal(cdate_diff_days(D(2025, 2, 28), D(2025, 3, 1), &n), 0);
    assert_true(n == 1);
    assert_int_equal(cdate_diff_days(D(2024, 2, 28), D(2024, 3, 1), &n), 0);
    assert_true(n == 2);
    assert_int_equal(cdate_diff_days(D(2025, 3, 1), D(2025, 2, 1), &n), 0);
    assert_true(n == -28);
    assert_int_equal(cdate_diff_days(D(1, 1, 1), D(9999, 12, 31), &n), 0);
    assert_true(n == (int64_t)CDATE_MAX_DAYS - CDATE_MIN_DAYS);
    assert_int_equal(cdate_diff_days(D(2025, 2, 30), D(2025, 3, 1), &n), -1);
    assert_int_equal(cdate_span_days(D(2025, 6, 17), D(2025, 6, 30), &n), 0);
    assert_true(n == 14);
    assert_int_equal(cdate_span_days(D(2025, 6, 30), D(2025, 6, 30), &n), 0);
    assert_true(n == 1);
    assert_int_equal(cdate_span_days(D(2024, 1, 1), D(2024, 12, 31), &n), 0);
    assert_true(n == 366);
    assert_int_equal(cdate_span_days(D(2025, 7, 1), D(2025, 6, 30), &n), -1);
    assert_int_equal(cdate_span_days(D(2025, 7, 1), D(2025, 7, 2), NULL), -1);
}

static void test_add_days(void **state)
{
    (void)state;
    cdate_t c;
    assert_int_equal(cdate_add_days(D(2024, 2, 28), 1, &c), 0);
    date_is(c, 2024, 2, 29);
    assert_int_equal(cdate_add_days(D(2025, 2, 28), 1, &c), 0);
    date_is(c, 2025, 3, 1);
    assert_int_equal(cdate_add_days(D(2025, 12, 31), 1, &c), 0);
    date_is(c, 2026, 1, 1);
    assert_int_equal(cdate_add_days(D(2025, 1, 1), -1, &c), 0);
    date_is(c, 2024, 12, 31);
    assert_int_equal(cdate_add_days(D(2025, 3, 1), 365, &c), 0);
    date_is(c, 2026, 3, 1);
    assert_int_equal(cdate_add_days(D(9999, 12, 31), 1, &c), -1);
    assert_int_equal(cdate_add_days(D(1, 1, 1), -1, &c), -1);
    assert_int_equal(cdate_add_days(D(2025, 1, 1), INT64_MAX, &c), -1);
    assert_int_equal(cdate_add_days(D(2025, 1, 1), INT64_MIN, &c), -1);
    assert_int_equal(cdate_add_days(D(2025, 2, 29), 1, &c), -1);
}

static void add_months_is(cdate_t from, int64_t n, int y, int m, int d)
{
    cdate_t c;
    assert_int_equal(cdate_add_months(from, n, &c), 0);
    date_is(c, y, m, d);
}

static void test_add_months_clamps_to_month_end(void **state)
{
    (void)state;
    add_months_is(D(2025, 1, 31), 1, 2025, 2, 28);
    add_months_is(D(2024, 1, 31), 1, 2024, 2, 29);
    add_months_is(D(2025, 3, 31), -1, 2025, 2, 28);
    add_months_is(D(2023, 1, 31), 13, 2024, 2, 29);
    add_months_is(D(2025, 8, 31), 1, 2025, 9, 30);
    add_months_is(D(2025, 12, 15), 1, 2026, 1, 15);
    add_months_is(D(2025, 1, 15), -1, 2024, 12, 15);
    add_months_is(D(2025, 1, 15), -12, 2024, 1, 15);
    add_months_is(D(2024, 2, 29), 12, 2025, 2, 28);
    add_months_is(D(2024, 2, 29), 48, 2028, 2, 29);
    add_months_is(D(2025, 5, 31), 0, 2025, 5, 31);
    add_months_is(D(1, 1, 1), 0, 1, 1, 1);
    cdate_t c = D(3, 3, 3);
    assert_int_equal(cdate_add_months(D(9999, 12, 1), 1, &c), -1);
    assert_int_equal(cdate_add_months(D(1, 1, 1), -1, &c), -1);
    assert_int_equal(cdate_add_months(D(2025, 1, 1), INT64_MAX, &c), -1);
    assert_int_equal(cdate_add_months(D(2025, 1, 1), INT64_MIN, &c), -1);
    assert_int_equal(cdate_add_months(D(2025, 2, 30), 1, &c), -1);
    date_is(c, 3, 3, 3);
}

static void test_month_helpers(void **state)
{
    (void)state;
    cdate_t c;
    assert_int_equal(cdate_first_of_month(D(2025, 3, 17), &c), 0);
    date_is(c, 2025, 3, 1);
    assert_int_equal(cdate_last_of_month(D(2024, 2, 10), &c), 0);
    date_is(c, 2024, 2, 29);
    assert_int_equal(cdate_last_of_month(D(2025, 2, 10), &c), 0);
    date_is(c, 2025, 2, 28);
    assert_int_equal(cdate_first_of_next_month(D(2025, 12, 31), &c), 0);
    date_is(c, 2026, 1, 1);
    assert_int_equal(cdate_first_of_next_month(D(2025, 1, 31), &c), 0);
    date_is(c, 2025, 2, 1);
    assert_int_equal(cdate_first_of_next_month(D(9999, 12, 1), &c), -1);
    assert_int_equal(cdate_first_of_month(D(2025, 2, 30), &c), -1);
    assert_int_equal(cdate_last_of_month(D(2025, 0, 1), &c), -1);
    cdate_period_t p = {D(2025, 3, 1), D(2025, 3, 31)};
    assert_true(cdate_in_period(D(2025, 3, 1), p));
    assert_true(cdate_in_period(D(2025, 3, 31), p));
    assert_false(cdate_in_period(D(2025, 4, 1), p));
    assert_false(cdate_in_period(D(2025, 2, 28), p));
}

static void test_from_unix_utc_with_offset(void **state)
{
    (void)state;
    cdate_t c;
    assert_int_equal(cdate_from_unix_utc(0, 0, &c), 0);
    date_is(c, 1970, 1, 1);
    assert_int_equal(cdate_from_unix_utc(-1, 0, &c), 0);
    date_is(c, 1969, 12, 31);
    assert_int_equal(cdate_from_unix_utc(-86400, 0, &c), 0);
    date_is(c, 1969, 12, 31);
    assert_int_equal(cdate_from_unix_utc(-86401, 0, &c), 0);
    date_is(c, 1969, 12, 30);
    /* 2024-02-29T23:59:59Z */
    assert_int_equal(cdate_from_unix_utc(INT64_C(1709251199), 0, &c), 0);
    date_is(c, 2024, 2, 29);
    assert_int_equal(cdate_from_unix_utc(INT64_C(1709251199), 3600, &c), 0); /* CET: already March */
    date_is(c, 2024, 3, 1);
    /* 2024-03-01T04:00:00Z is still Feb 29 in New York (UTC-5) */
    assert_int_equal(cdate_from_unix_utc(INT64_C(1709265600), -5 * 3600, &c), 0);
    date_is(c, 2024, 2, 29);
    assert_int_equal(cdate_from_unix_utc(INT64_C(1709265600), -4 * 3600, &c), 0);
    date_is(c, 2024, 3, 1);
    assert_int_equal(cdate_from_unix_utc(INT64_C(1740787200), 14 * 3600, &c), 0); /* Kiribati */
    date_is(c, 2025, 3, 1);
    assert_int_equal(cdate_from_unix_utc(INT64_C(-62135596800), 0, &c), 0);
    date_is(c, 1, 1, 1);
    assert_int_equal(cdate_from_unix_utc(INT64_C(253402300799), 0, &c), 0);
    date_is(c, 9999, 12, 31);
    assert_int_equal(cdate_from_unix_utc(INT64_C(253402300800), 0, &c), -1);
    assert_int_equal(cdate_from_unix_utc(INT64_C(-62135596801), 0, &c), -1);
    assert_int_equal(cdate_from_unix_utc(0, 18 * 3600 + 1, &c), -1);
    assert_int_equal(cdate_from_unix_utc(0, -18 * 3600 - 1, &c), -1);
    assert_int_equal(cdate_from_unix_utc(INT64_MAX, 3600, &c), -1);
    assert_int_equal(cdate_from_unix_utc(INT64_MIN, -3600, &c), -1);
    assert_int_equal(cdate_from_unix_utc(0, 0, NULL), -1);
}

static void containing_is(cdate_t anchor, int cycle, cdate_t date, const char *start, const char *end)
{
    cdate_period_t p;
    assert_int_equal(cdate_period_containing(anchor, cycle, date, &p), 0);
    period_is(p, start, end);
    assert_true(cdate_in_period(date, p));
}

static void test_periods_calendar_months(void **state)
{
    (void)state;
    containing_is(D(2025, 1, 1), CDATE_CYCLE_MONTHLY, D(2025, 3, 17), "2025-03-01", "2025-03-31");
    containing_is(D(2025, 1, 1), CDATE_CYCLE_MONTHLY, D(2024, 2, 29), "2024-02-01", "2024-02-29");
    containing_is(D(2025, 1, 1), CDATE_CYCLE_QUARTERLY, D(2025, 5, 20), "2025-04-01", "2025-06-30");
    containing_is(D(2025, 1, 1), CDATE_CYCLE_ANNUAL, D(2025, 12, 31), "2025-01-01", "2025-12-31");
    containing_is(D(2025, 1, 1), CDATE_CYCLE_ANNUAL, D(2024, 6, 1), "2024-01-01", "2024-12-31");
}

static void test_periods_anniversary_anchor_mid_month(void **state)
{
    (void)state;
    /* 5.1: annual term billed monthly bought 15 Feb -> charge cycle 15 Feb - 14 Mar */
    containing_is(D(2025, 2, 15), CDATE_CYCLE_MONTHLY, D(2025, 3, 1), "2025-02-15", "2025-03-14");
    containing_is(D(2025, 2, 15), CDATE_CYCLE_MONTHLY, D(2025, 3, 15), "2025-03-15", "2025-04-14");
    /* 4.4 NCE sample: P1Y monthly charge 2021-05-20 -> 2021-06-19 */
    containing_is(D(2021, 5, 20), CDATE_CYCLE_MONTHLY, D(2021, 6, 19), "2021-05-20", "2021-06-19");
    containing_is(D(2025, 1, 15), CDATE_CYCLE_QUARTERLY, D(2025, 5, 20), "2025-04-15", "2025-07-14");
    /* dates before the anchor belong to earlier periods */
    containing_is(D(2025, 1, 15), CDATE_CYCLE_MONTHLY, D(2024, 12, 20), "2024-12-15", "2025-01-14");
    containing_is(D(2025, 1, 15), CDATE_CYCLE_MONTHLY, D(2024, 12, 14), "2024-11-15", "2024-12-14");
    containing_is(D(2025, 1, 15), CDATE_CYCLE_ANNUAL, D(2025, 1, 14), "2024-01-15", "2025-01-14");
}

static void test_periods_anchored_on_the_31st_clamp_without_drift(void **state)
{
    (void)state;
    cdate_t a = D(2025, 1, 31);
    containing_is(a, CDATE_CYCLE_MONTHLY, D(2025, 2, 10), "2025-01-31", "2025-02-27");
    containing_is(a, CDATE_CYCLE_MONTHLY, D(2025, 2, 28), "2025-02-28", "2025-03-30");
    containing_is(a, CDATE_CYCLE_MONTHLY, D(2025, 3, 30), "2025-02-28", "2025-03-30");
    containing_is(a, CDATE_CYCLE_MONTHLY, D(2025, 3, 31), "2025-03-31", "2025-04-29");
    containing_is(a, CDATE_CYCLE_MONTHLY, D(2025, 4, 30), "2025-04-30", "2025-05-30");
    containing_is(D(2024, 1, 31), CDATE_CYCLE_MONTHLY, D(2024, 3, 1), "2024-02-29", "2024-03-30");
    /* annual anchored on Feb 29 */
    containing_is(D(2024, 2, 29), CDATE_CYCLE_ANNUAL, D(2025, 3, 1), "2025-02-28", "2026-02-27");
    containing_is(D(2024, 2, 29), CDATE_CYCLE_ANNUAL, D(2028, 2, 28), "2027-02-28", "2028-02-28");
    containing_is(D(2024, 2, 29), CDATE_CYCLE_ANNUAL, D(2028, 2, 29), "2028-02-29", "2029-02-27");

    /* Periods tile the calendar: each ends the day before the next starts. */
    for (int64_t k = -40; k < 40; k++) {
        cdate_period_t p, q;
        cdate_t next;
        assert_int_equal(cdate_period_nth(a, CDATE_CYCLE_MONTHLY, k, &p), 0);
        assert_int_equal(cdate_period_nth(a, CDATE_CYCLE_MONTHLY, k + 1, &q), 0);
        assert_int_equal(cdate_add_days(p.end, 1, &next), 0);
        assert_int_equal(cdate_cmp(next, q.start), 0);
        assert_true(cdate_cmp(p.start, p.end) <= 0);
        /* the day is the anchor's day, clamped: never drifts down to 28 for good */
        assert_int_equal(p.start.d, cdate_days_in_month(p.start.y, p.start.m) < 31
                                        ? cdate_days_in_month(p.start.y, p.start.m)
                                        : 31);
    }
}

static void test_period_start_on_or_after(void **state)
{
    (void)state;
    cdate_t c;
    assert_int_equal(cdate_period_start_on_or_after(D(2025, 1, 1), 1, D(2025, 3, 17), &c), 0);
    date_is(c, 2025, 4, 1);
    assert_int_equal(cdate_period_start_on_or_after(D(2025, 1, 1), 1, D(2025, 3, 1), &c), 0);
    date_is(c, 2025, 3, 1);
    assert_int_equal(cdate_period_start_on_or_after(D(2025, 1, 31), 1, D(2025, 2, 10), &c), 0);
    date_is(c, 2025, 2, 28);
    assert_int_equal(cdate_period_start_on_or_after(D(2025, 1, 15), 12, D(2025, 6, 1), &c), 0);
    date_is(c, 2026, 1, 15);
}

static void test_period_invalid_input(void **state)
{
    (void)state;
    cdate_period_t p = {D(1, 2, 3), D(4, 5, 6)};
    assert_int_equal(cdate_period_containing(D(2025, 1, 1), 0, D(2025, 3, 1), &p), -1);
    assert_int_equal(cdate_period_containing(D(2025, 1, 1), -1, D(2025, 3, 1), &p), -1);
    assert_int_equal(cdate_period_containing(D(2025, 1, 1), CDATE_MAX_CYCLE_MONTHS + 1, D(2025, 3, 1), &p), -1);
    assert_int_equal(cdate_period_containing(D(2025, 2, 30), 1, D(2025, 3, 1), &p), -1);
    assert_int_equal(cdate_period_containing(D(2025, 1, 1), 1, D(2025, 2, 30), &p), -1);
    assert_int_equal(cdate_period_containing(D(2025, 1, 1), 1, D(9999, 12, 15), &p), -1); /* next start out of range */
    assert_int_equal(cdate_period_containing(D(2025, 1, 1), 1, D(2025, 3, 1), NULL), -1);
    assert_int_equal(cdate_period_nth(D(2025, 1, 1), 12, INT64_MAX, &p), -1);
    assert_int_equal(cdate_period_nth(D(2025, 1, 1), 12, INT64_MIN, &p), -1);
    assert_int_equal(cdate_period_nth(D(2025, 1, 1), 1200, 1000, &p), -1);
    date_is(p.start, 1, 2, 3);
    assert_int_equal(cdate_period_containing(D(2025, 1, 1), 1, D(1, 1, 1), &p), 0);
    period_is(p, "0001-01-01", "0001-01-31");
}

static void test_parse_ymd_is_strict(void **state)
{
    (void)state;
    cdate_t d = {0, 0, 0};
    assert_int_equal(cdate_parse_ymd("2024-02-29", &d), 0);
    date_is(d, 2024, 2, 29);
    assert_int_equal(cdate_parse_ymd("0001-01-01", &d), 0);
    assert_int_equal(cdate_parse_ymd("9999-12-31", &d), 0);
    date_is(d, 9999, 12, 31);
    const char *bad[] = {"2025-02-29", "2025-13-01", "2025-00-10", "2025-01-00", "2025-1-5", "20250105",
                         "2025-01-05T10:00", "2025-01-05 ", " 2025-01-05", "2025-01-5x", "yesterday",
                         "", "0000-01-01", "2025/01/05", "+025-01-05", "2025-01-32"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cdate_t keep = {7, 7, 7};
        assert_int_equal(cdate_parse_ymd(bad[i], &keep), -1);
        date_is(keep, 7, 7, 7);   /* untouched on -1 */
    }
    assert_int_equal(cdate_parse_ymd(NULL, &d), -1);
}

static void test_parse_ym_is_strict(void **state)
{
    (void)state;
    cdate_t d = {0, 0, 0};
    assert_int_equal(cdate_parse_ym("2026-11", &d), 0);
    date_is(d, 2026, 11, 1);
    assert_int_equal(cdate_parse_ym("0001-01", &d), 0);
    const char *bad[] = {"2026-13", "2026-00", "2026-1", "202611", "2026-11-01", "2026-1x", "", "0000-01",
                         " 2026-11", "2026-11 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cdate_t keep = {7, 7, 7};
        assert_int_equal(cdate_parse_ym(bad[i], &keep), -1);
        date_is(keep, 7, 7, 7);
    }
    assert_int_equal(cdate_parse_ym(NULL, &d), -1);
    assert_int_equal(cdate_parse_ym("2026-11", NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_days_round_trip_whole_range),
        cmocka_unit_test(test_parse_accepts_dates_and_timestamps),
        cmocka_unit_test(test_parse_rejects_invalid),
        cmocka_unit_test(test_parse_ymd_is_strict),
        cmocka_unit_test(test_parse_ym_is_strict),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_cmp_and_diff),
        cmocka_unit_test(test_add_days),
        cmocka_unit_test(test_add_months_clamps_to_month_end),
        cmocka_unit_test(test_month_helpers),
        cmocka_unit_test(test_from_unix_utc_with_offset),
        cmocka_unit_test(test_periods_calendar_months),
        cmocka_unit_test(test_periods_anniversary_anchor_mid_month),
        cmocka_unit_test(test_periods_anchored_on_the_31st_clamp_without_drift),
        cmocka_unit_test(test_period_start_on_or_after),
        cmocka_unit_test(test_period_invalid_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
