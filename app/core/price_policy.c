/* price_policy.c: cost targets, price policies, margins (see price_policy.h). */
#include "core/price_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct price_policy price_policy_resolve(const struct price_policy *tenant, const struct price_policy *company,
                                         const struct price_policy *product)
{
    struct price_policy keep = {PRICE_KEEP, 0, 0};
    const struct price_policy *p = product ? product : company ? company : tenant;
    return p ? *p : keep;
}

static const char *const mode_names[] = {"keep", "markup", "srp"};

int price_mode_parse(const char *s, enum price_mode *out)
{
    for (int i = 0; s && i < 3; i++)
        if (!strcmp(s, mode_names[i])) {
            *out = (enum price_mode)i;
            return 0;
        }
    return -1;
}

const char *price_mode_name(enum price_mode m)
{
    return (int)m >= 0 && (int)m < 3 ? mode_names[m] : "keep";
}

int price_policy_price(const struct price_policy *p, money_t cost, money_t srp, money_t *price)
{
    if (!p || !price || p->markup_bp < 0 || p->markup_bp > 100000)
        return -1;
    money_t v;
    switch (p->mode) {
    case PRICE_KEEP:
        return 0;
    case PRICE_SRP:
        if (srp <= 0)
            return 0; /* the source suggests no price: nothing to apply */
        v = srp;
        break;
    case PRICE_MARKUP:
        if (cost < 0 || money_mul_div(cost, 10000 + (int64_t)p->markup_bp, 10000, &v) < 0)
            return -1;
        break;
    default:
        return -1;
    }
    /* A sell price is a price on an invoice: whole cents. */
    if (money_round(v, 2, MONEY_ROUND_HALF_EVEN, &v) < 0)
        return -1;
    *price = v;
    return 1;
}

int cost_service_target(const struct cost_link *links, int n, money_t *cost)
{
    if (!cost || n < 0 || (n > 0 && !links))
        return -1;
    int changed = 0, counted = 0;
    qty_t seats = 0;
    for (int i = 0; i < n; i++) {
        const struct cost_link *l = &links[i];
        if (l->gone)
            continue;
        if (l->unit_cost < 0 || l->quantity < 0)
            return -1;
        if (l->has_seen && l->cost_seen != l->unit_cost)
            changed = 1;
        if (qty_add(seats, l->quantity, &seats) < 0)
            return -1;
        counted++;
    }
    if (!changed || counted == 0)
        return 0;
    /* The seat-weighted mean (plain mean without seats) in one exact step: sum(cost x weight) /
     * sum(weight), weights in 1/1000 seat; __int128 holds any product of two int64 values. */
    __int128 num = 0, den = 0;
    for (int i = 0; i < n; i++) {
        if (links[i].gone)
            continue;
        int64_t w = seats > 0 ? links[i].quantity : 1;
        num += (__int128)links[i].unit_cost * w;
        den += w;
    }
    __int128 q = num / den, r = num % den;
    /* half-even: num and den are >= 0 here */
    if (2 * r > den || (2 * r == den && (q & 1)))
        q++;
    if (q > INT64_MAX)
        return -1;
    *cost = (money_t)q;
    return 1;
}

int margin_bp(money_t price, money_t cost, int *bp)
{
    if (!bp || price <= 0)
        return -1;
    money_t diff, v;
    if (money_sub(price, cost, &diff) < 0 || money_mul_div(diff, 10000, price, &v) < 0 || v > 1000000000 ||
        v < -1000000000)
        return -1;
    *bp = (int)v;
    return 0;
}

static int is_busy(cdate_t d, const cdate_t *busy, int nbusy)
{
    for (int i = 0; i < nbusy; i++)
        if (cdate_cmp(busy[i], d) == 0)
            return 1;
    return 0;
}

int cost_free_day(cdate_t from, const cdate_t *busy, int nbusy, cdate_t last, cdate_t *out)
{
    if (!out || !cdate_valid(from) || nbusy < 0 || (nbusy > 0 && !busy))
        return -1;
    cdate_t d = from;
    /* at most nbusy days can be taken: the answer is within nbusy + 1 days */
    for (int i = 0; i <= nbusy; i++) {
        if (cdate_valid(last) && cdate_cmp(d, last) > 0)
            return -1;
        if (!is_busy(d, busy, nbusy)) {
            *out = d;
            return 0;
        }
        if (cdate_add_days(d, 1, &d) < 0)
            return -1;
    }
    return -1;
}

void margin_text(money_t price, money_t cost, char *buf, size_t n)
{
    int bp;
    if (margin_bp(price, cost, &bp) < 0) {
        snprintf(buf, n, "n/a");
        return;
    }
    int tenths = (bp >= 0 ? bp + 5 : bp - 5) / 10;
    snprintf(buf, n, "%s%d.%d %%", tenths < 0 ? "-" : "", abs(tenths) / 10, abs(tenths) % 10);
}

static void money_text(money_t v, char *buf, size_t n)
{
    if (money_format(v, buf, n, v % 100 ? 4 : 2) < 0)
        snprintf(buf, n, "?");
}

void price_change_text(money_t cost_before, money_t new_cost, money_t price_before, int has_price,
                       money_t new_price, char *buf, size_t n)
{
    char cb[MONEY_FMT_MAX], cn[MONEY_FMT_MAX], pb[MONEY_FMT_MAX], pn[MONEY_FMT_MAX], mb[24], mn[24];
    money_t price = has_price ? new_price : price_before;
    money_text(cost_before, cb, sizeof cb);
    money_text(new_cost, cn, sizeof cn);
    money_text(price_before, pb, sizeof pb);
    money_text(price, pn, sizeof pn);
    margin_text(price_before, cost_before, mb, sizeof mb);
    margin_text(price, new_cost, mn, sizeof mn);
    if (has_price)
        snprintf(buf, n, "cost %s -> %s; price %s -> %s; margin %s -> %s", cb, cn, pb, pn, mb, mn);
    else
        snprintf(buf, n, "cost %s -> %s; price %s kept; margin %s -> %s", cb, cn, pb, mb, mn);
}
