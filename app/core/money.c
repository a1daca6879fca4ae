/* money.c: exact decimal parsing, formatting, rounding and 128-bit multiply/divide for money and quantities */
#include "core/money.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

#define I128_MAX ((i128)(((u128)1 << 127) - 1))

/* Exponents are saturated here while parsing: any larger one already over- or underflows. */
#define EXP_CAP 1000000000LL

static const int64_t pow10_tab[] = {1, 10, 100, 1000, 10000};

/* Digits of the mantissa seen as one integer string: the integer part then the fraction. */
struct digits {
    const char *ip; /* integer-part digits */
    size_t ni;
    const char *fp; /* fraction digits */
    size_t nf;
    size_t lead;    /* leading zeros skipped over the concatenation */
};

static int digit_at(const struct digits *d, size_t i)
{
    size_t j = d->lead + i;
    return j < d->ni ? d->ip[j] - '0' : d->fp[j - d->ni] - '0';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Values are kept in [-INT64_MAX, INT64_MAX] so negation and formatting never overflow. */
static int store(int64_t v, int64_t *out)
{
    if (v == INT64_MIN)
        return -1;
    *out = v;
    return 0;
}

/*
 * Parse s into an integer count of 10^-scale units. The mantissa is the integer D (all
 * digits, point removed) and the value is D * 10^E; the result is D * 10^(E + scale),
 * rounded half-even when digits must be dropped (or refused when strict).
 */
static int decimal_parse(const char *s, int scale, int strict, int64_t *out)
{
    if (s == NULL || out == NULL)
        return -1;
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    struct digits d = {p, 0, NULL, 0, 0};
    while (is_digit(*p)) {
        p++;
        d.ni++;
    }
    if (*p == '.') {
        p++;
        d.fp = p;
        while (is_digit(*p)) {
            p++;
            d.nf++;
        }
    }
    if (d.ni + d.nf == 0)
        return -1;
    int64_t e = 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        int eneg = 0;
        if (*p == '+' || *p == '-') {
            eneg = *p == '-';
            p++;
        }
        if (!is_digit(*p))
            return -1;
        while (is_digit(*p)) {
            if (e < EXP_CAP)
                e = e * 10 + (*p - '0');
            p++;
        }
        if (eneg)
            e = -e;
    }
    if (*p != '\0')
        return -1;

    size_t total = d.ni + d.nf;
    while (d.lead < total && digit_at(&d, 0) == 0)
        d.lead++;
    size_t n = total - d.lead;
    if (n == 0) {
        *out = 0; /* "-0", "0.000", "0e99" */
        return 0;
    }
    if (d.nf > (size_t)EXP_CAP || n > (size_t)EXP_CAP)
        return -1; /* absurdly long input; also keeps the arithmetic below in range */
    int64_t t = e - (int64_t)d.nf + scale;
    int64_t q = 0;
    if (t >= 0) {
        /* D has n digits and a non-zero first digit, so D * 10^t >= 10^(n+t-1). */
        if ((int64_t)n + t > 19)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (__builtin_mul_overflow(q, 10, &q) || __builtin_add_overflow(q, digit_at(&d, i), &q))
                return -1;
        for (int64_t i = 0; i < t; i++)
            if (__builtin_mul_overflow(q, 10, &q))
                return -1;
    } else {
        int64_t keep = (int64_t)n + t; /* digits left of the rounding position; may be <= 0 */
        for (int64_t i = 0; i < keep; i++)
            if (__builtin_mul_overflow(q, 10, &q) ||
                __builtin_add_overflow(q, digit_at(&d, (size_t)i), &q))
                return -1;
        int r = keep >= 0 ? digit_at(&d, (size_t)keep) : 0;
        int sticky = 0;
        for (int64_t i = keep + 1 < 0 ? 0 : keep + 1; i < (int64_t)n && !sticky; i++)
            sticky = digit_at(&d, (size_t)i) != 0;
        if (strict && (r != 0 || sticky))
            return -1;
        if (r > 5 || (r == 5 && (sticky || (q & 1))))
            if (__builtin_add_overflow(q, 1, &q))
                return -1;
    }
    return store(neg ? -q : q, out);
}

/* Shortest decimal text that reads back as exactly d, so 11.035 prints "11.035". */
static int double_to_text(double d, char *buf, size_t n)
{
    if (!isfinite(d))
        return -1;
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        int len = snprintf(buf, n, "%.*g", prec, d);
        if (len < 0 || (size_t)len >= n)
            return -1;
        if (strtod(buf, NULL) == d)
            break;
    }
    if (prec > 17)
        return -1; /* cannot happen for IEEE doubles: 17 digits always round-trip */
    /* A non-C locale may print a decimal comma; the parser wants '.'. */
    for (char *c = buf; *c; c++)
        if (!is_digit(*c) && *c != '-' && *c != '+' && *c != 'e' && *c != 'E')
            *c = '.';
    return 0;
}

/* Half-even num / den, result in [-INT64_MAX, INT64_MAX]. |num|, |den| <= I128_MAX. */
static int i128_div_round(i128 num, i128 den, int64_t *out)
{
    if (den == 0)
        return -1;
    if (den < 0) {
        den = -den;
        num = -num;
    }
    i128 q = num / den;
    i128 r = num % den;
    i128 ar = r < 0 ? -r : r;
    /* Compare 2|r| with den without doubling (no overflow): ar vs den - ar. */
    i128 rest = den - ar;
    if (ar > rest || (ar == rest && (q & 1) != 0))
        q += num < 0 ? -1 : 1;
    if (q > INT64_MAX || q < -INT64_MAX)
        return -1;
    *out = (int64_t)q;
    return 0;
}

/* Checked 128-bit multiply (done by hand: clang + libgcc lack __muloti4). */
static int i128_mul(i128 a, i128 b, i128 *out)
{
    if (a == 0 || b == 0) {
        *out = 0;
        return 0;
    }
    u128 ua = a < 0 ? (u128)0 - (u128)a : (u128)a;
    u128 ub = b < 0 ? (u128)0 - (u128)b : (u128)b;
    if (ua > (u128)I128_MAX / ub)
        return -1;
    i128 m = (i128)(ua * ub);
    *out = (a < 0) != (b < 0) ? -m : m;
    return 0;
}

int money_parse(const char *s, money_t *out)
{
    return decimal_parse(s, MONEY_DECIMALS, 0, out);
}

int money_parse_strict(const char *s, money_t *out)
{
    return decimal_parse(s, MONEY_DECIMALS, 1, out);
}

int money_from_json_number(double d, money_t *out)
{
    char buf[48];
    if (out == NULL || double_to_text(d, buf, sizeof buf) != 0)
        return -1;
    return money_parse(buf, out);
}

int money_from_int(int64_t whole, money_t *out)
{
    int64_t v;
    if (out == NULL || __builtin_mul_overflow(whole, (int64_t)MONEY_SCALE, &v))
        return -1;
    return store(v, out);
}

/* |v| as unsigned, defined for INT64_MIN too. */
static uint64_t magnitude(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

int money_format(money_t v, char *buf, size_t n, int decimals)
{
    if (buf == NULL || n == 0 || decimals < 0 || decimals > MONEY_DECIMALS)
        return -1;
    uint64_t mag = magnitude(v);
    uint64_t step = (uint64_t)pow10_tab[MONEY_DECIMALS - decimals];
    uint64_t q = mag / step;
    if ((mag % step) * 2 >= step)
        q++; /* half away from zero; cannot overflow, mag <= 2^63 */
    uint64_t div = (uint64_t)pow10_tab[decimals];
    const char *sign = (v < 0 && q != 0) ? "-" : "";
    int len;
    if (decimals == 0)
        len = snprintf(buf, n, "%s%llu", sign, (unsigned long long)q);
    else
        len = snprintf(buf, n, "%s%llu.%0*llu", sign, (unsigned long long)(q / div), decimals,
                       (unsigned long long)(q % div));
    if (len < 0 || (size_t)len >= n) {
        buf[0] = '\0';
        return -1;
    }
    return 0;
}

int money_round(money_t v, int decimals, money_rounding_t mode, money_t *out)
{
    if (out == NULL || decimals < 0 || decimals > MONEY_DECIMALS)
        return -1;
    int64_t step = pow10_tab[MONEY_DECIMALS - decimals];
    int64_t q = v / step;
    int64_t r = v % step;
    int64_t ar = r < 0 ? -r : r;
    int up = 0;
    switch (mode) {
    case MONEY_ROUND_HALF_EVEN:
        up = ar * 2 > step || (ar * 2 == step && (q & 1));
        break;
    case MONEY_ROUND_HALF_UP:
        up = ar * 2 >= step;
        break;
    case MONEY_ROUND_DOWN:
        up = 0;
        break;
    default:
        return -1;
    }
    if (up && __builtin_add_overflow(q, v < 0 ? -1 : 1, &q))
        return -1;
    int64_t res;
    if (__builtin_mul_overflow(q, step, &res))
        return -1;
    return store(res, out);
}

int money_add(money_t a, money_t b, money_t *out)
{
    int64_t v;
    if (out == NULL || __builtin_add_overflow(a, b, &v))
        return -1;
    return store(v, out);
}

int money_sub(money_t a, money_t b, money_t *out)
{
    int64_t v;
    if (out == NULL || __builtin_sub_overflow(a, b, &v))
        return -1;
    return store(v, out);
}

int money_neg(money_t a, money_t *out)
{
    if (out == NULL || a == INT64_MIN)
        return -1;
    *out = -a;
    return 0;
}

int money_mul_div(money_t a, int64_t num, int64_t den, money_t *out)
{
    if (out == NULL || den == 0)
        return -1;
    return i128_div_round((i128)a * num, den, out);
}

int money_mul_qty(money_t unit_price, qty_t qty, money_t *out)
{
    return money_mul_div(unit_price, qty, QTY_SCALE, out);
}

int money_mul_qty_div(money_t unit_price, qty_t qty, int64_t num, int64_t den, money_t *out)
{
    if (out == NULL || den == 0)
        return -1;
    i128 p;
    if (i128_mul((i128)unit_price * qty, num, &p) != 0)
        return -1;
    return i128_div_round(p, (i128)den * QTY_SCALE, out);
}

int money_div_qty(money_t total, qty_t qty, money_t *out)
{
    if (out == NULL || qty == 0)
        return -1;
    return i128_div_round((i128)total * QTY_SCALE, qty, out);
}

int qty_parse(const char *s, qty_t *out)
{
    return decimal_parse(s, QTY_DECIMALS, 0, out);
}

int qty_parse_strict(const char *s, qty_t *out)
{
    return decimal_parse(s, QTY_DECIMALS, 1, out);
}

int qty_from_json_number(double d, qty_t *out)
{
    char buf[48];
    if (out == NULL || double_to_text(d, buf, sizeof buf) != 0)
        return -1;
    return qty_parse(buf, out);
}

int qty_from_int(int64_t whole, qty_t *out)
{
    int64_t v;
    if (out == NULL || __builtin_mul_overflow(whole, (int64_t)QTY_SCALE, &v))
        return -1;
    return store(v, out);
}

int qty_from_fraction(int64_t num, int64_t den, qty_t *out)
{
    if (out == NULL || den == 0)
        return -1;
    return i128_div_round((i128)num * QTY_SCALE, den, out);
}

int qty_format(qty_t q, char *buf, size_t n)
{
    if (buf == NULL || n == 0)
        return -1;
    uint64_t mag = magnitude(q);
    char frac[8] = "";
    if (mag % QTY_SCALE != 0) {
        snprintf(frac, sizeof frac, ".%03llu", (unsigned long long)(mag % QTY_SCALE));
        size_t l = strlen(frac);
        while (frac[l - 1] == '0')
            frac[--l] = '\0';
    }
    int len = snprintf(buf, n, "%s%llu%s", q < 0 ? "-" : "", (unsigned long long)(mag / QTY_SCALE), frac);
    if (len < 0 || (size_t)len >= n) {
        buf[0] = '\0';
        return -1;
    }
    return 0;
}

int qty_add(qty_t a, qty_t b, qty_t *out)
{
    return money_add(a, b, out);
}

int qty_sub(qty_t a, qty_t b, qty_t *out)
{
    return money_sub(a, b, out);
}

int qty_is_whole(qty_t q)
{
    return q % QTY_SCALE == 0;
}

int qty_to_int(qty_t q, int64_t *out)
{
    if (out == NULL || q % QTY_SCALE != 0)
        return -1;
    *out = q / QTY_SCALE;
    return 0;
}
