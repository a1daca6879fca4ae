/* cdate.c: civil date validation, parsing, day-number conversion and anniversary period arithmetic */
#include "core/cdate.h"

#include <stdio.h>
#include <string.h>

#define SECONDS_PER_DAY 86400
#define MAX_UTC_OFFSET (18 * 3600)

/* Floor division and its remainder for a positive divisor (C's '/' truncates toward zero). */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

int cdate_is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int cdate_days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < CDATE_MIN_YEAR || y > CDATE_MAX_YEAR || m < 1 || m > 12)
        return -1;
    return m == 2 && cdate_is_leap(y) ? 29 : dim[m - 1];
}

int cdate_valid(cdate_t d)
{
    int dim = cdate_days_in_month(d.y, d.m);
    return dim > 0 && d.d >= 1 && d.d <= dim;
}

cdate_t cdate_make(int y, int m, int d)
{
    cdate_t r = {y, m, d};
    return r;
}

/* Valid dates only; the result is in [CDATE_MIN_DAYS, CDATE_MAX_DAYS]. */
static int32_t days_from_civil(cdate_t c)
{
    int32_t y = c.y - (c.m <= 2);
    int32_t era = (y >= 0 ? y : y - 399) / 400;
    int32_t yoe = y - era * 400;                                      /* [0, 399] */
    int32_t doy = (153 * (c.m > 2 ? c.m - 3 : c.m + 9) + 2) / 5 + c.d - 1; /* [0, 365] */
    int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;              /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

static cdate_t civil_from_days(int32_t z)
{
    z += 719468;
    int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    int32_t doe = z - era * 146097;
    int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int32_t mp = (5 * doy + 2) / 153;
    cdate_t r;
    r.d = doy - (153 * mp + 2) / 5 + 1;
    r.m = mp < 10 ? mp + 3 : mp - 9;
    r.y = yoe + era * 400 + (r.m <= 2);
    return r;
}

int cdate_to_days(cdate_t d, int32_t *days)
{
    if (days == NULL || !cdate_valid(d))
        return -1;
    *days = days_from_civil(d);
    return 0;
}

int cdate_from_days(int64_t days, cdate_t *out)
{
    if (out == NULL || days < CDATE_MIN_DAYS || days > CDATE_MAX_DAYS)
        return -1;
    *out = civil_from_days((int32_t)days);
    return 0;
}

/* Exactly n ASCII digits at s; their value in *v. */
static int take_digits(const char *s, int n, int *v)
{
    int r = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        r = r * 10 + (s[i] - '0');
    }
    *v = r;
    return 0;
}

/* "HH:MM[:SS[.f+]][Z|±HH[[:]MM]]" up to the end of the string. */
static int check_time(const char *p)
{
    int hh, mm, ss;
    if (take_digits(p, 2, &hh) || p[2] != ':' || take_digits(p + 3, 2, &mm) || hh > 23 || mm > 59)
        return -1;
    p += 5;
    if (*p == ':') {
        if (take_digits(p + 1, 2, &ss) || ss > 60) /* 60: leap second */
            return -1;
        p += 3;
        if (*p == '.' || *p == ',') {
            p++;
            if (*p < '0' || *p > '9')
                return -1;
            while (*p >= '0' && *p <= '9')
                p++;
        }
    }
    if (*p == 'Z' || *p == 'z')
        return p[1] == '\0' ? 0 : -1;
    if (*p == '+' || *p == '-') {
        int oh, om = 0;
        if (take_digits(p + 1, 2, &oh) || oh > 18)
            return -1;
        p += 3;
        int colon = *p == ':';
        if (colon)
            p++;
        if (colon || *p != '\0') {
            if (take_digits(p, 2, &om) || om > 59)
                return -1;
            p += 2;
        }
    }
    return *p == '\0' ? 0 : -1;
}

int cdate_parse(const char *s, cdate_t *out)
{
    cdate_t d;
    if (s == NULL || out == NULL)
        return -1;
    if (take_digits(s, 4, &d.y) || s[4] != '-' || take_digits(s + 5, 2, &d.m) || s[7] != '-' ||
        take_digits(s + 8, 2, &d.d))
        return -1;
    if (s[10] != '\0') {
        if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || check_time(s + 11) != 0)
            return -1;
    }
    if (!cdate_valid(d))
        return -1;
    *out = d;
    return 0;
}

int cdate_parse_ymd(const char *s, cdate_t *out)
{
    if (s == NULL || strlen(s) != 10)
        return -1;
    return cdate_parse(s, out);
}

int cdate_parse_ym(const char *s, cdate_t *first)
{
    cdate_t d = {0, 0, 1};
    if (s == NULL || first == NULL || strlen(s) != 7 || take_digits(s, 4, &d.y) || s[4] != '-' ||
        take_digits(s + 5, 2, &d.m) || !cdate_valid(d))
        return -1;
    *first = d;
    return 0;
}

int cdate_format(cdate_t d, char *buf, size_t n)
{
    if (buf == NULL || n < CDATE_FMT_LEN || !cdate_valid(d)) {
        if (buf != NULL && n > 0)
            buf[0] = '\0';
        return -1;
    }
    snprintf(buf, n, "%04d-%02d-%02d", d.y, d.m, d.d);
    return 0;
}

int cdate_cmp(cdate_t a, cdate_t b)
{
    if (a.y != b.y)
        return a.y < b.y ? -1 : 1;
    if (a.m != b.m)
        return a.m < b.m ? -1 : 1;
    if (a.d != b.d)
        return a.d < b.d ? -1 : 1;
    return 0;
}

int cdate_add_days(cdate_t d, int64_t n, cdate_t *out)
{
    int32_t base;
    int64_t r;
    if (out == NULL || cdate_to_days(d, &base) != 0 || __builtin_add_overflow((int64_t)base, n, &r))
        return -1;
    return cdate_from_days(r, out);
}

int cdate_add_months(cdate_t d, int64_t n, cdate_t *out)
{
    int64_t idx; /* months since year 0 */
    if (out == NULL || !cdate_valid(d) || __builtin_add_overflow((int64_t)d.y * 12 + (d.m - 1), n, &idx))
        return -1;
    int64_t y = floor_div(idx, 12);
    if (y < CDATE_MIN_YEAR || y > CDATE_MAX_YEAR)
        return -1;
    cdate_t r = {(int)y, (int)(idx - y * 12) + 1, d.d};
    int dim = cdate_days_in_month(r.y, r.m);
    if (r.d > dim)
        r.d = dim;
    *out = r;
    return 0;
}

int cdate_diff_days(cdate_t from, cdate_t to, int64_t *out)
{
    int32_t a, b;
    if (out == NULL || cdate_to_days(from, &a) != 0 || cdate_to_days(to, &b) != 0)
        return -1;
    *out = (int64_t)b - a;
    return 0;
}

int cdate_span_days(cdate_t start, cdate_t end, int64_t *out)
{
    int64_t diff;
    if (out == NULL || cdate_diff_days(start, end, &diff) != 0 || diff < 0)
        return -1;
    *out = diff + 1;
    return 0;
}

int cdate_first_of_month(cdate_t d, cdate_t *out)
{
    if (out == NULL || !cdate_valid(d))
        return -1;
    d.d = 1;
    *out = d;
    return 0;
}

int cdate_last_of_month(cdate_t d, cdate_t *out)
{
    if (out == NULL || !cdate_valid(d))
        return -1;
    d.d = cdate_days_in_month(d.y, d.m);
    *out = d;
    return 0;
}

int cdate_first_of_next_month(cdate_t d, cdate_t *out)
{
    cdate_t r;
    if (out == NULL || !cdate_valid(d))
        return -1;
    d.d = 1;
    if (cdate_add_months(d, 1, &r) != 0)
        return -1;
    *out = r;
    return 0;
}

int cdate_in_period(cdate_t d, cdate_period_t p)
{
    return cdate_cmp(p.start, d) <= 0 && cdate_cmp(d, p.end) <= 0;
}

int cdate_from_unix_utc(int64_t epoch_seconds, int32_t utc_offset_seconds, cdate_t *out)
{
    int64_t local;
    if (out == NULL || utc_offset_seconds < -MAX_UTC_OFFSET || utc_offset_seconds > MAX_UTC_OFFSET ||
        __builtin_add_overflow(epoch_seconds, (int64_t)utc_offset_seconds, &local))
        return -1;
    return cdate_from_days(floor_div(local, SECONDS_PER_DAY), out);
}

int cdate_period_nth(cdate_t anchor, int cycle_months, int64_t k, cdate_period_t *out)
{
    int64_t m0, m1;
    cdate_period_t p;
    cdate_t next;
    if (out == NULL || !cdate_valid(anchor) || cycle_months < 1 || cycle_months > CDATE_MAX_CYCLE_MONTHS ||
        __builtin_mul_overflow(k, (int64_t)cycle_months, &m0) ||
        __builtin_add_overflow(m0, (int64_t)cycle_months, &m1))
        return -1;
    /* Both ends come from the anchor itself so month-end clamping never drifts. */
    if (cdate_add_months(anchor, m0, &p.start) != 0 || cdate_add_months(anchor, m1, &next) != 0 ||
        cdate_add_days(next, -1, &p.end) != 0)
        return -1;
    *out = p;
    return 0;
}

int cdate_period_containing(cdate_t anchor, int cycle_months, cdate_t date, cdate_period_t *out)
{
    cdate_period_t p;
    if (out == NULL || !cdate_valid(anchor) || !cdate_valid(date) || cycle_months < 1 ||
        cycle_months > CDATE_MAX_CYCLE_MONTHS)
        return -1;
    int64_t mdiff = ((int64_t)date.y - anchor.y) * 12 + (date.m - anchor.m);
    int64_t k = floor_div(mdiff, cycle_months);
    /*
     * Period k starts in the month of date or earlier, and period k+1 starts in a later
     * month, so the only correction needed is when period k starts later in date's month.
     */
    if (cdate_period_nth(anchor, cycle_months, k, &p) != 0)
        return -1;
    if (cdate_cmp(p.start, date) > 0 && cdate_period_nth(anchor, cycle_months, k - 1, &p) != 0)
        return -1;
    *out = p;
    return 0;
}

int cdate_period_start_on_or_after(cdate_t anchor, int cycle_months, cdate_t date, cdate_t *out)
{
    cdate_period_t p;
    cdate_t r;
    if (out == NULL || cdate_period_containing(anchor, cycle_months, date, &p) != 0)
        return -1;
    if (cdate_cmp(p.start, date) == 0) {
        *out = date;
        return 0;
    }
    if (cdate_add_days(p.end, 1, &r) != 0)
        return -1;
    *out = r;
    return 0;
}
