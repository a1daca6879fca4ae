/* cdate.h: civil (calendar) dates without time zone, day arithmetic and anniversary billing periods */
#ifndef BILLSYNC_CORE_CDATE_H
#define BILLSYNC_CORE_CDATE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A proleptic Gregorian date. Valid dates are 0001-01-01 .. 9999-12-31 (what "YYYY-MM-DD"
 * and MariaDB DATE can hold). Day numbers count days since 1970-01-01 (negative before).
 * Functions return 0 on success and -1 on invalid input or when a result would leave the
 * valid range; on -1 outputs are left untouched.
 */
typedef struct {
    int y, m, d;
} cdate_t;

/* An inclusive range of days: both start and end belong to it. */
typedef struct {
    cdate_t start, end;
} cdate_period_t;

#define CDATE_MIN_YEAR 1
#define CDATE_MAX_YEAR 9999
#define CDATE_MIN_DAYS (-719162) /* 0001-01-01 */
#define CDATE_MAX_DAYS 2932896   /* 9999-12-31 */
#define CDATE_FMT_LEN 11         /* "YYYY-MM-DD" + NUL */
#define CDATE_MAX_CYCLE_MONTHS 1200

/* Common billing cycles and terms, in months (any 1..CDATE_MAX_CYCLE_MONTHS is accepted). */
enum {
    CDATE_CYCLE_MONTHLY = 1,
    CDATE_CYCLE_QUARTERLY = 3,
    CDATE_CYCLE_SEMIANNUAL = 6,
    CDATE_CYCLE_ANNUAL = 12,
    CDATE_CYCLE_TRIENNIAL = 36
};

int cdate_is_leap(int y);
/* 28..31, or -1 for a month outside 1..12 or a year outside the valid range. */
int cdate_days_in_month(int y, int m);
/* 1 when d is a real date in range, else 0. */
int cdate_valid(cdate_t d);
cdate_t cdate_make(int y, int m, int d);
/* Howard Hinnant's days_from_civil / civil_from_days. */
int cdate_to_days(cdate_t d, int32_t *days);
int cdate_from_days(int64_t days, cdate_t *out);
/*
 * "YYYY-MM-DD", optionally followed by a time: 'T' or ' ', then HH:MM[:SS[.fraction]] and an
 * optional zone (Z, +HH:MM, +HHMM, +HH). The time is checked for syntax and range and then
 * ignored: the result is the date as written, in whatever zone the text was written in.
 */
int cdate_parse(const char *s, cdate_t *out);
/* Exactly "YYYY-MM-DD" (ten characters, nothing before or after) and a real day: what a
 * date typed into a form or a query string must be. */
int cdate_parse_ymd(const char *s, cdate_t *out);
/* Exactly "YYYY-MM" and a real month: the first day of that month. */
int cdate_parse_ym(const char *s, cdate_t *first);
/* "YYYY-MM-DD" into buf (n >= CDATE_FMT_LEN). */
int cdate_format(cdate_t d, char *buf, size_t n);
/* -1, 0 or 1 comparing fields in order; meaningful for valid dates. */
int cdate_cmp(cdate_t a, cdate_t b);
int cdate_add_days(cdate_t d, int64_t n, cdate_t *out);
/* Calendar months; the day is clamped to the target month's end (Jan 31 + 1 = Feb 28/29). */
int cdate_add_months(cdate_t d, int64_t n, cdate_t *out);
/* days(to) - days(from): 2025-03-01 minus 2025-02-28 is 1. */
int cdate_diff_days(cdate_t from, cdate_t to, int64_t *out);
/* Number of days in [start, end], both ends included; -1 when end < start. */
int cdate_span_days(cdate_t start, cdate_t end, int64_t *out);
int cdate_first_of_month(cdate_t d, cdate_t *out);
int cdate_last_of_month(cdate_t d, cdate_t *out);
int cdate_first_of_next_month(cdate_t d, cdate_t *out);
/* 1 when start <= d <= end. */
int cdate_in_period(cdate_t d, cdate_period_t p);
/*
 * The local calendar date of a Unix time, for a zone whose offset from UTC at that instant
 * is utc_offset_seconds (east positive, |offset| <= 18 h). The caller resolves the tenant's
 * zone to an offset; this is arithmetic only.
 */
int cdate_from_unix_utc(int64_t epoch_seconds, int32_t utc_offset_seconds, cdate_t *out);

/*
 * Anniversary billing periods. Period k (any integer, negative before the anchor) starts on
 * anchor + k*cycle_months calendar months, the day clamped to month end but always computed
 * from the anchor, never chained: anchored on Jan 31 monthly, starts are Jan 31, Feb 28,
 * Mar 31, Apr 30, ... and period k ends the day before period k+1 starts. An anchor on the
 * 1st gives calendar months (or quarters, years). A commitment term is the same thing with
 * the term length as the cycle and the term start as the anchor.
 */
int cdate_period_nth(cdate_t anchor, int cycle_months, int64_t k, cdate_period_t *out);
/* The period containing date. */
int cdate_period_containing(cdate_t anchor, int cycle_months, cdate_t date, cdate_period_t *out);
/* The first period start on or after date: date itself when a period starts that day. */
int cdate_period_start_on_or_after(cdate_t anchor, int cycle_months, cdate_t date, cdate_t *out);

#endif
