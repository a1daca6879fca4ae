/* test_tzdate.c: unit tests for common/tzdate (a tenant's "today", time zone names) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/tzdate.h"

static void expect_date(const char *zone, time_t t, int y, int m, int d)
{
    cdate_t c = tz_date(zone, t);
    assert_int_equal(c.y, y);
    assert_int_equal(c.m, m);
    assert_int_equal(c.d, d);
}

/* 2026-11-30 20:30 UTC: already December 1st at UTC+14, still November 30th at UTC-11. */
static void test_today_in_a_zone(void **state)
{
    (void)state;
    time_t t = 1796070600;   /* 2026-11-30T20:30:00Z */
    expect_date("UTC", t, 2026, 11, 30);
    expect_date("Pacific/Kiritimati", t, 2026, 12, 1);
    expect_date("Pacific/Pago_Pago", t, 2026, 11, 30);
    expect_date("Australia/Sydney", t, 2026, 12, 1);    /* UTC+11 in summer */
    expect_date("America/New_York", t, 2026, 11, 30);
    /* a year boundary */
    expect_date("Asia/Tokyo", 1798729200, 2027, 1, 1); /* 2026-12-31T15:00:00Z = 00:00 JST */
    expect_date(NULL, t, 2026, 11, 30);
    expect_date("", t, 2026, 11, 30);
}

/* The local time of day with the date (the new-unlinked digest's 07:00, core/new_subs.h). */
static void test_time_of_day_in_a_zone(void **state)
{
    (void)state;
    time_t t = 1796070600;   /* 2026-11-30T20:30:00Z */
    int sec = -1;
    cdate_t c = tz_date_time("Asia/Tokyo", t, &sec);   /* 05:30 JST on December 1st */
    assert_int_equal(c.d, 1);
    assert_int_equal(sec, 5 * 3600 + 30 * 60);
    c = tz_date_time("America/New_York", t, &sec);     /* 15:30 EST */
    assert_int_equal(c.d, 30);
    assert_int_equal(sec, 15 * 3600 + 30 * 60);
    c = tz_date_time("Etc/GMT+12", t + 59, &sec);      /* 08:30:59 at UTC-12 */
    assert_int_equal(sec, 8 * 3600 + 30 * 60 + 59);
}

static void test_process_zone_is_kept(void **state)
{
    (void)state;
    setenv("TZ", "Europe/Paris", 1);
    tz_date("Asia/Tokyo", 0);
    assert_string_equal(getenv("TZ"), "Europe/Paris");
    unsetenv("TZ");
    tz_date("Asia/Tokyo", 0);
    assert_null(getenv("TZ"));
}

static void test_valid_names(void **state)
{
    (void)state;
    assert_true(tz_valid("UTC"));
    assert_true(tz_valid("Europe/London"));
    assert_true(tz_valid("America/Argentina/Buenos_Aires"));
    assert_true(tz_valid("Etc/GMT+5"));
    assert_false(tz_valid(NULL));
    assert_false(tz_valid(""));
    assert_false(tz_valid("Mars/Olympus_Mons"));
    assert_false(tz_valid("America"));                 /* a directory */
    assert_false(tz_valid("../../../etc/passwd"));
    assert_false(tz_valid("/etc/passwd"));
    assert_false(tz_valid("Europe/London\n"));
    assert_false(tz_valid("Europe London"));
    assert_false(tz_valid("zone.tab"));               /* a tzdata file that is not a zone */
    char longname[100];
    memset(longname, 'A', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_false(tz_valid(longname));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_today_in_a_zone),
        cmocka_unit_test(test_time_of_day_in_a_zone),
        cmocka_unit_test(test_process_zone_is_kept),
        cmocka_unit_test(test_valid_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
