/* planner.c: the reconcile planner: target-state unit changes, effective dates, drift, approval and estimates */
#include "core/planner.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* {0,0,0} is the documented "none" for optional dates; anything else must be a real date. */
static int is_none(cdate_t d)
{
    return d.y == 0 && d.m == 0 && d.d == 0;
}

static int optional_ok(cdate_t d)
{
    return is_none(d) || cdate_valid(d);
}

static int input_valid(const struct planner_input *in)
{
    if (!cdate_valid(in->change_date) || !cdate_valid(in->contract_start) || !optional_ok(in->contract_end) ||
        !optional_ok(in->billing_start) || !optional_ok(in->period_anchor))
        return 0;
    if (in->cycle_months < 1 || in->cycle_months > CDATE_MAX_CYCLE_MONTHS)
        return 0;
    if (in->nbusy < 0 || (in->nbusy > 0 && in->busy == NULL))
        return 0;
    for (int i = 0; i < in->nbusy; i++)
        if (!cdate_valid(in->busy[i]))
            return 0;
    /* Enums arrive from parsed policy strings: an unknown value must not silently mean a default. */
    if ((in->decrease != PLANNER_DECREASE_NEXT_PERIOD && in->decrease != PLANNER_DECREASE_IMMEDIATE) ||
        (in->drift != PLANNER_DRIFT_FLAG && in->drift != PLANNER_DRIFT_OVERWRITE) ||
        (in->approval != PLANNER_APPROVAL_AUTO && in->approval != PLANNER_APPROVAL_REQUIRE))
        return 0;
    return 1;
}

static int is_busy(const struct planner_input *in, cdate_t d)
{
    for (int i = 0; i < in->nbusy; i++)
        if (cdate_cmp(in->busy[i], d) == 0)
            return 1;
    return 0;
}

/* "+3", "-2", "0.5": the sign is shown for changes so a log line reads as a delta. */
static void fmt_delta(qty_t q, char *buf, size_t n)
{
    char t[MONEY_FMT_MAX];
    qty_format(q, t, sizeof t);
    snprintf(buf, n, "%s%s", q > 0 ? "+" : "", t);
}

/* The reason sentence; a cut one ends in "..." so the log never shows a clipped number as whole. */
__attribute__((format(printf, 2, 3))) static void say(struct planner_output *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(o->reason, sizeof o->reason, fmt, ap);
    va_end(ap);
    if (len < 0)
        o->reason[0] = '\0';
    else if ((size_t)len >= sizeof o->reason)
        memcpy(o->reason + sizeof o->reason - 4, "...", 4);
}

int planner_plan(const struct planner_input *in, struct planner_output *out)
{
    if (in == NULL || out == NULL || !input_valid(in))
        return -1;

    struct planner_output o;
    memset(&o, 0, sizeof o);
    o.effective = in->change_date;
    o.date_reason = PRORATE_DATE_NO_CHANGE;

    qty_t delta;
    if (qty_sub(in->desired, in->psa_units, &delta) != 0)
        return -1;

    char want[MONEY_FMT_MAX], psa[MONEY_FMT_MAX], last[MONEY_FMT_MAX] = "", chg[MONEY_FMT_MAX + 1];
    qty_format(in->desired, want, sizeof want);
    qty_format(in->psa_units, psa, sizeof psa);
    fmt_delta(delta, chg, sizeof chg);
    /* Someone other than billsync changed the PSA since billsync's last post. */
    int drifted = in->has_last_posted && in->psa_units != in->last_posted;
    if (drifted)
        qty_format(in->last_posted, last, sizeof last);

    if (in->desired < 0) {
        /* Posting toward a negative target would hand the PSA a nonsense count: stop and say so. */
        o.action = PLANNER_FAIL;
        o.unit_change = delta;
        say(&o, "the source quantity %s is negative; the PSA's %s units are left as they are",
                 want, psa);
        *out = o;
        return 0;
    }

    if (delta == 0) {
        /* Also the lost-response retry and the PSA edit that already matches: both are in step. */
        o.action = PLANNER_NOTHING;
        if (drifted)
            say(&o,
                     "the PSA already has %s units, though billsync last recorded %s (a post whose response was lost, "
                     "or an edit that matches the source)",
                     psa, last);
        else
            say(&o, "the PSA already has %s units", psa);
        *out = o;
        return 0;
    }

    prorate_date_input_t d;
    memset(&d, 0, sizeof d);
    d.change_date = in->change_date;
    d.unit_change = delta;
    d.immediate_credits = in->decrease == PLANNER_DECREASE_IMMEDIATE;
    d.clamp_to_start = in->clamp_to_start != 0;
    d.cycle_months = in->cycle_months;
    d.has_period_anchor = !is_none(in->period_anchor);
    d.period_anchor = in->period_anchor;
    d.contract_start = in->contract_start;
    d.has_contract_end = !is_none(in->contract_end);
    d.contract_end = in->contract_end;
    d.has_billing_start = !is_none(in->billing_start);
    d.billing_start = in->billing_start;

    prorate_date_result_t r;
    if (prorate_effective_date(&d, &r) != 0)
        return -1;

    char datemsg[160];
    prorate_date_message(&r, datemsg, sizeof datemsg); /* a truncated sentence is still worth logging */
    o.unit_change = delta;
    o.date_reason = r.reason;
    o.deferred = r.deferred;
    o.has_period = r.has_period;
    o.period = r.period;

    if (!r.postable) {
        /* The refused date is what the person must act on (extend the contract, fix its dates). */
        o.action = PLANNER_FAIL;
        o.effective = r.reason == PRORATE_DATE_AFTER_CONTRACT_END ? r.effective : r.proposed;
        if (drifted)
            say(&o,
                     "%s; the change from %s to %s units is not posted (the PSA was also edited: billsync last "
                     "left %s)",
                     datemsg, psa, want, last);
        else
            say(&o, "%s; the change from %s to %s units is not posted", datemsg, psa, want);
        *out = o;
        return 0;
    }

    o.effective = r.effective;
    if (is_busy(in, o.effective)) {
        /* The PSA holds a change of this service on that day already: the next free day, by days
         * (at most nbusy steps), still inside the contract. */
        cdate_t was = o.effective;
        while (is_busy(in, o.effective) && o.moved_days <= in->nbusy) {
            if (cdate_add_days(o.effective, 1, &o.effective) != 0)
                return -1;
            o.moved_days++;
        }
        if (!is_none(in->contract_end) && cdate_cmp(o.effective, in->contract_end) > 0) {
            char w[CDATE_FMT_LEN], e[CDATE_FMT_LEN];
            cdate_format(was, w, sizeof w);
            cdate_format(in->contract_end, e, sizeof e);
            o.action = PLANNER_FAIL;
            say(&o, "the PSA already holds a change of this service on every day from %s to the contract end %s; "
                    "the change from %s to %s units is not posted", w, e, psa, want);
            *out = o;
            return 0;
        }
        cdate_t anchor = !is_none(in->period_anchor) ? in->period_anchor
                         : !is_none(in->billing_start) ? in->billing_start : in->contract_start;
        o.has_period = cdate_period_containing(anchor, in->cycle_months, o.effective, &o.period) == 0;
        r.has_period = o.has_period;
        r.period = o.period;
        r.effective = o.effective;
        char w[CDATE_FMT_LEN];
        cdate_format(was, w, sizeof w);
        size_t used = strlen(datemsg);
        snprintf(datemsg + used, sizeof datemsg - used, "; moved from %s, which already holds a change", w);
    }
    if (in->unit_price != 0) {
        money_t raw;
        if (!r.has_period ||
            prorate_amount(in->unit_price, delta, r.effective, r.period.start, r.period.end, &raw) != 0 ||
            prorate_to_cents(raw, &o.estimate) != 0)
            return -1;
    }

    if (drifted && in->drift == PLANNER_DRIFT_FLAG) {
        /* Never silently overwrite a person's edit: the plan is kept, but a person decides. */
        char eff[CDATE_FMT_LEN];
        cdate_format(o.effective, eff, sizeof eff);
        o.action = PLANNER_DRIFT;
        o.needs_approval = 1;
        say(&o,
                 "the PSA shows %s units but billsync last left %s; the source has %s, so the change would be %s "
                 "effective %s: held for review",
                 psa, last, want, chg, eff);
        *out = o;
        return 0;
    }

    o.action = PLANNER_POST;
    o.needs_approval = in->approval == PLANNER_APPROVAL_REQUIRE;
    if (drifted)
        say(&o, "%s units (%s to %s); %s; overwrites a PSA edit (billsync last left %s)",
                 chg, psa, want, datemsg, last);
    else
        say(&o, "%s units (%s to %s); %s", chg, psa, want, datemsg);
    *out = o;
    return 0;
}
