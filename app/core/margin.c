/* margin.c: the margin report's arithmetic (see margin.h). */
#include "core/margin.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int margin_div_half_even(__int128 num, __int128 den, int64_t *out)
{
    if (den <= 0)
        return -1;
    int neg = num < 0;
    __int128 a = neg ? -num : num;
    __int128 q = a / den, r = a % den;
    /* half-even: up when the rest is over half, or exactly half and q is odd */
    if (2 * r > den || (2 * r == den && (q & 1)))
        q++;
    if (neg)
        q = -q;
    if (q > INT64_MAX || q < -INT64_MAX)
        return -1;
    *out = (int64_t)q;
    return 0;
}

int margin_monthly(money_t unit_amount, qty_t qty, int months, int64_t share_num, int64_t share_den,
                   money_t *out)
{
    if (months < 1 || share_den <= 0 || share_num < 0)
        return -1;
    /* 1/10000 × 1/1000 = 1/10^7 units; the cent is 1/100: divide by 10^5 */
    __int128 num = (__int128)unit_amount * qty;
    if (share_num != 1) {
        __int128 big = ((__int128)1 << 126) / (share_num ? share_num : 1);
        if (num > big || num < -big)
            return -1;
        num *= share_num;
    }
    __int128 den = (__int128)100000 * months * share_den;
    int64_t cents;
    if (margin_div_half_even(num, den, &cents) < 0 || cents > INT64_MAX / 100 || cents < -INT64_MAX / 100)
        return -1;
    *out = cents * 100;
    return 0;
}

int margin_pct_tenths(money_t margin, money_t revenue, int64_t *out)
{
    if (revenue <= 0)
        return -1;
    return margin_div_half_even((__int128)margin * 1000, revenue, out);
}

int margin_flag(money_t margin, int has_pct, int64_t pct_tenths, int threshold_tenths)
{
    return margin < 0 || (has_pct && pct_tenths < threshold_tenths);
}

int margin_compute(const struct margin_in *in, int threshold_tenths, struct margin_out *out)
{
    struct margin_out o;
    memset(&o, 0, sizeof o);
    if (margin_monthly(in->unit_cost, in->seats, in->cost_months, 1, 1, &o.cost) < 0 ||
        margin_monthly(in->price, in->psa_units, in->price_months, in->share_num, in->share_den, &o.revenue) < 0 ||
        money_sub(o.revenue, o.cost, &o.margin) < 0)
        return -1;
    o.has_pct = margin_pct_tenths(o.margin, o.revenue, &o.pct_tenths) == 0;
    if (!o.has_pct)
        o.pct_tenths = 0;
    o.flagged = margin_flag(o.margin, o.has_pct, o.pct_tenths, threshold_tenths);
    *out = o;
    return 0;
}

int margin_pct_format(int64_t tenths, char *buf, size_t n)
{
    int64_t a = tenths < 0 ? -tenths : tenths;
    int k = snprintf(buf, n, "%s%lld.%lld", tenths < 0 ? "-" : "", (long long)(a / 10), (long long)(a % 10));
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

int margin_threshold_parse(const char *s, int *out)
{
    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len && s[len - 1] == '%')
        len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (!len || len > 8)
        return -1;
    long whole = 0, tenth = 0;
    size_t i = 0, digits = 0;
    for (; i < len && isdigit((unsigned char)s[i]); i++, digits++)
        whole = whole * 10 + (s[i] - '0');
    if (!digits)
        return -1;
    if (i < len) {
        if (s[i] != '.' || i + 2 != len || !isdigit((unsigned char)s[i + 1]))
            return -1;
        tenth = s[i + 1] - '0';
    }
    long t = whole * 10 + tenth;
    if (t > MARGIN_THRESHOLD_MAX)
        return -1;
    *out = (int)t;
    return 0;
}

const char *margin_period_label(int cost_months, int price_months, char *buf, size_t n)
{
    int m = cost_months > price_months ? cost_months : price_months;
    if (cost_months == 12 || price_months == 12)
        snprintf(buf, n, "annual, shown monthly");
    else if (m > 1)
        snprintf(buf, n, "every %d months, shown monthly", m);
    else
        snprintf(buf, n, "monthly");
    return buf;
}
