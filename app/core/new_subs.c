/* new_subs.c: see new_subs.h. */
#include "core/new_subs.h"

int cost_monthly(money_t unit_cost, qty_t qty, int annual, money_t *out)
{
    money_t v;
    if (!annual)
        return money_mul_qty(unit_cost, qty, out);
    if (money_mul_qty_div(unit_cost, qty, 1, 12, &v) < 0)
        return -1;
    return money_round(v, 2, MONEY_ROUND_HALF_EVEN, out);
}

int cost_monthly_sum(const struct cost_line *v, size_t n, money_t *out)
{
    money_t sum = 0, one;
    for (size_t i = 0; i < n; i++)
        if (cost_monthly(v[i].unit_cost, v[i].qty, v[i].annual, &one) < 0 || money_add(sum, one, &sum) < 0)
            return -1;
    *out = sum;
    return 0;
}

int digest_due(cdate_t today, int local_sec, cdate_t last_day, int hour, long *since_slot, long *next_in)
{
    long slot = (long)hour * 3600;
    *since_slot = (long)local_sec - slot;
    /* the next digest hour still to come: today's, or tomorrow's once today's has passed */
    *next_in = *since_slot < 0 ? -*since_slot : 86400 - *since_slot;
    if (*next_in < 60)
        *next_in = 60;
    if (*since_slot < 0)
        return 0;
    return !cdate_valid(last_day) || cdate_cmp(last_day, today) < 0;
}
