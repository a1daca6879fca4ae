/* prorate.c: the estimated-proration convention, term-end proration and effective-date decisions */
#include "core/prorate.h"

#include <stdio.h>

static int period_valid(cdate_period_t p)
{
    return cdate_valid(p.start) && cdate_valid(p.end) && cdate_cmp(p.start, p.end) <= 0;
}

int prorate_fraction(prorate_convention_t conv, cdate_t effective, cdate_period_t period, int64_t *num,
                     int64_t *den)
{
    int64_t n, d;
    if (num == NULL || den == NULL || !period_valid(period) || !cdate_valid(effective) ||
        !cdate_in_period(effective, period))
        return -1;
    if (cdate_span_days(period.start, period.end, &d) != 0 || cdate_span_days(effective, period.end, &n) != 0)
        return -1;
    switch (conv) {
    case PRORATE_INCLUSIVE:
        break;
    case PRORATE_EXCLUDE_EFFECTIVE_DAY:
        n -= 1; /* days in period minus the effective day's position (1-based) */
        break;
    default:
        return -1;
    }
    *num = n;
    *den = d;
    return 0;
}

int prorate_amount_conv(prorate_convention_t conv, money_t unit_price, qty_t unit_change, cdate_t effective,
                        cdate_period_t period, money_t *out)
{
    int64_t num, den;
    if (out == NULL || prorate_fraction(conv, effective, period, &num, &den) != 0)
        return -1;
    return money_mul_qty_div(unit_price, unit_change, num, den, out);
}

int prorate_amount(money_t unit_price, qty_t unit_change, cdate_t effective, cdate_t period_start,
                   cdate_t period_end, money_t *out)
{
    cdate_period_t p = {period_start, period_end};
    return prorate_amount_conv(PRORATE_INCLUSIVE, unit_price, unit_change, effective, p, out);
}

int prorate_segment(money_t unit_price, qty_t qty, cdate_period_t segment, cdate_period_t period, money_t *out)
{
    int64_t num, den;
    if (out == NULL || !period_valid(segment) || !period_valid(period) || !cdate_in_period(segment.start, period) ||
        !cdate_in_period(segment.end, period))
        return -1;
    if (cdate_span_days(segment.start, segment.end, &num) != 0 || cdate_span_days(period.start, period.end, &den) != 0)
        return -1;
    return money_mul_qty_div(unit_price, qty, num, den, out);
}

int prorate_to_term_end(money_t term_price, qty_t unit_change, cdate_t effective, cdate_t term_anchor,
                        int term_months, money_t *out, cdate_period_t *term)
{
    cdate_period_t t;
    money_t v;
    if (out == NULL || cdate_period_containing(term_anchor, term_months, effective, &t) != 0 ||
        prorate_amount_conv(PRORATE_INCLUSIVE, term_price, unit_change, effective, t, &v) != 0)
        return -1;
    *out = v;
    if (term != NULL)
        *term = t;
    return 0;
}

int prorate_to_cents(money_t amount, money_t *out)
{
    return money_round(amount, 2, MONEY_ROUND_HALF_EVEN, out);
}

int prorate_effective_date(const prorate_date_input_t *in, prorate_date_result_t *out)
{
    if (in == NULL || out == NULL || !cdate_valid(in->change_date) || !cdate_valid(in->contract_start) ||
        in->cycle_months < 1 || in->cycle_months > CDATE_MAX_CYCLE_MONTHS)
        return -1;
    if (in->has_contract_end &&
        (!cdate_valid(in->contract_end) || cdate_cmp(in->contract_end, in->contract_start) < 0))
        return -1;
    if (in->has_billing_start && !cdate_valid(in->billing_start))
        return -1;
    if (in->has_period_anchor && !cdate_valid(in->period_anchor))
        return -1;
    cdate_t anchor = in->has_period_anchor ? in->period_anchor
                     : in->has_billing_start ? in->billing_start
                                             : in->contract_start;

    prorate_date_result_t r = {0};
    r.proposed = in->change_date;
    if (in->unit_change < 0 && !in->immediate_credits) {
        /* Dated on a period boundary so the PSA issues no prorated credit. */
        if (cdate_period_start_on_or_after(anchor, in->cycle_months, in->change_date, &r.proposed) != 0)
            return -1;
        r.deferred = cdate_cmp(r.proposed, in->change_date) != 0;
    }
    r.effective = r.proposed;

    /* The binding lower limit is the later of contract start and billing start. */
    cdate_t lower = in->contract_start;
    int lower_is_billing = 0;
    if (in->has_billing_start && cdate_cmp(in->billing_start, lower) > 0) {
        lower = in->billing_start;
        lower_is_billing = 1;
    }

    if (in->unit_change == 0) {
        r.reason = PRORATE_DATE_NO_CHANGE;
    } else if (cdate_cmp(r.proposed, lower) < 0) {
        r.limit = lower;
        if (in->clamp_to_start) {
            r.effective = lower;
            r.reason = lower_is_billing ? PRORATE_DATE_CLAMPED_TO_BILLING_START : PRORATE_DATE_CLAMPED_TO_CONTRACT_START;
            r.postable = 1;
        } else {
            r.reason = lower_is_billing ? PRORATE_DATE_BEFORE_BILLING_START : PRORATE_DATE_BEFORE_CONTRACT_START;
        }
    } else {
        r.reason = PRORATE_DATE_OK;
        r.postable = 1;
    }
    /* Checked after clamping: a billing start beyond the contract end is refused too. */
    if (r.postable && in->has_contract_end && cdate_cmp(r.effective, in->contract_end) > 0) {
        r.reason = PRORATE_DATE_AFTER_CONTRACT_END;
        r.limit = in->contract_end;
        r.postable = 0;
    }
    r.has_period = cdate_period_containing(anchor, in->cycle_months, r.effective, &r.period) == 0;
    *out = r;
    return 0;
}

const char *prorate_date_reason_code(prorate_date_reason_t reason)
{
    switch (reason) {
    case PRORATE_DATE_OK:
        return "ok";
    case PRORATE_DATE_NO_CHANGE:
        return "no_change";
    case PRORATE_DATE_CLAMPED_TO_CONTRACT_START:
        return "clamped_to_contract_start";
    case PRORATE_DATE_CLAMPED_TO_BILLING_START:
        return "clamped_to_billing_start";
    case PRORATE_DATE_BEFORE_CONTRACT_START:
        return "before_contract_start";
    case PRORATE_DATE_BEFORE_BILLING_START:
        return "before_billing_start";
    case PRORATE_DATE_AFTER_CONTRACT_END:
        return "after_contract_end";
    }
    return "unknown";
}

int prorate_date_message(const prorate_date_result_t *r, char *buf, size_t n)
{
    char prop[CDATE_FMT_LEN] = "", eff[CDATE_FMT_LEN] = "", lim[CDATE_FMT_LEN] = "";
    int len;
    if (buf == NULL || n == 0)
        return -1;
    buf[0] = '\0';
    if (r == NULL)
        return -1;
    /* Unset dates format as "" rather than failing: the message is still worth showing. */
    cdate_format(r->proposed, prop, sizeof prop);
    cdate_format(r->effective, eff, sizeof eff);
    cdate_format(r->limit, lim, sizeof lim);
    switch (r->reason) {
    case PRORATE_DATE_OK:
        if (r->deferred)
            len = snprintf(buf, n, "decrease effective %s, the first day of the next billing period", eff);
        else
            len = snprintf(buf, n, "effective date %s", eff);
        break;
    case PRORATE_DATE_NO_CHANGE:
        len = snprintf(buf, n, "no unit change to post");
        break;
    case PRORATE_DATE_CLAMPED_TO_CONTRACT_START:
        len = snprintf(buf, n, "effective date %s is before the contract's start %s; posted on %s", prop, lim, eff);
        break;
    case PRORATE_DATE_CLAMPED_TO_BILLING_START:
        len = snprintf(buf, n, "effective date %s is before the contract's billing start %s; posted on %s", prop, lim,
                       eff);
        break;
    case PRORATE_DATE_BEFORE_CONTRACT_START:
        len = snprintf(buf, n, "effective date %s is before the contract's start %s", prop, lim);
        break;
    case PRORATE_DATE_BEFORE_BILLING_START:
        len = snprintf(buf, n, "effective date %s is before the contract's billing start %s", prop, lim);
        break;
    case PRORATE_DATE_AFTER_CONTRACT_END:
        len = snprintf(buf, n, "effective date %s is after the contract's end %s", eff, lim);
        break;
    default:
        len = snprintf(buf, n, "unknown effective-date decision");
        break;
    }
    return (len < 0 || (size_t)len >= n) ? -1 : 0;
}

int prorate_cycle_from_windows(const cdate_period_t *lines, size_t n, cdate_period_t *cycle)
{
    if (lines == NULL || n == 0 || cycle == NULL)
        return -1;
    cdate_period_t best = lines[0];
    for (size_t i = 0; i < n; i++) {
        if (!period_valid(lines[i]))
            return -1;
        int c = cdate_cmp(lines[i].end, best.end);
        if (c > 0 || (c == 0 && cdate_cmp(lines[i].start, best.start) < 0))
            best = lines[i];
    }
    *cycle = best;
    return 0;
}

int prorate_classify_window(cdate_period_t line, cdate_period_t cycle, prorate_window_t *out)
{
    if (out == NULL || !period_valid(line) || !period_valid(cycle))
        return -1;
    if (cdate_cmp(line.start, cycle.start) == 0 && cdate_cmp(line.end, cycle.end) == 0)
        *out = PRORATE_WINDOW_FULL;
    else if (cdate_in_period(line.start, cycle) && cdate_in_period(line.end, cycle))
        *out = PRORATE_WINDOW_PARTIAL;
    else
        *out = PRORATE_WINDOW_OUTSIDE;
    return 0;
}
