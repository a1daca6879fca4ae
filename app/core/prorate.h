/* prorate.h: estimated prorated amounts and the effective-date rules for PSA unit adjustments */
#ifndef BILLSYNC_CORE_PRORATE_H
#define BILLSYNC_CORE_PRORATE_H

#include <stddef.h>

#include "core/cdate.h"
#include "core/money.h"

/*
 * billsync's one convention for the estimated amounts it shows (doc/design.md 4.7):
 *
 *   amount = unit_price * unit_change * days(effective .. period_end) / days(period_start .. period_end)
 *
 * counting actual calendar days with both ends included, computed exactly and rounded once,
 * half-even, to 1/10000; prorate_to_cents then rounds that half-even to cents for display.
 * The effective day itself is charged: +3 seats on day 17 of a 30-day month is 14/30. This
 * matches rhipe/Crayon's billable ratio and Microsoft's NCE examples. These amounts are
 * labelled estimates: the PSA computes the invoice, and distributor money always comes from
 * the distributor's own lines, never from these functions.
 */
typedef enum {
    PRORATE_INCLUSIVE = 0,        /* billsync, rhipe/Crayon, Microsoft: end - effective + 1 days */
    PRORATE_EXCLUDE_EFFECTIVE_DAY /* Ingram's ConnectWise formula: days in period - effective day */
} prorate_convention_t;

/* num/den of the period charged from effective on; effective must lie inside period. */
int prorate_fraction(prorate_convention_t conv, cdate_t effective, cdate_period_t period, int64_t *num,
                     int64_t *den);
/* The convention above. -1 when effective is outside [period_start, period_end]. */
int prorate_amount(money_t unit_price, qty_t unit_change, cdate_t effective, cdate_t period_start,
                   cdate_t period_end, money_t *out);
/* Same with an explicit convention, to reproduce another system's number. */
int prorate_amount_conv(prorate_convention_t conv, money_t unit_price, qty_t unit_change, cdate_t effective,
                        cdate_period_t period, money_t *out);
/* A quantity held for the days of segment (inside period): price * qty * days(segment) / days(period). */
int prorate_segment(money_t unit_price, qty_t qty, cdate_period_t segment, cdate_period_t period, money_t *out);
/*
 * A mid-term seat add on a commitment billed up front (annual): prorate the term price to the
 * end of the term containing effective. The term is found as an anniversary period of
 * term_months from term_anchor (the original term start), written to *term when term != NULL
 * so the caller can key the one-time charge by (subscription, term). On the term's first day
 * (a renewal) the amount is the full term price times unit_change.
 */
int prorate_to_term_end(money_t term_price, qty_t unit_change, cdate_t effective, cdate_t term_anchor,
                        int term_months, money_t *out, cdate_period_t *term);
/* Half-even to cents (the second step of the convention). */
int prorate_to_cents(money_t amount, money_t *out);

/*
 * Effective dates for a unit adjustment (doc/design.md 4.4):
 *  - an increase is effective on the change date;
 *  - a decrease is effective on the first day of the next billing period (no prorated credit),
 *    or on the change date when that day already starts a period, or when the tenant chose
 *    immediate credits;
 *  - the date must lie within [contract start, contract end] and not before the billing start;
 *    otherwise it is refused with a reason naming both dates, or, when clamp_to_start is set
 *    and the date is too early, moved forward to the later of contract start and billing start.
 *    A date after the contract end is always refused: the contract must be extended first.
 * Apply this to the net change per link and change date (same-day changes are merged first;
 * a zero net is PRORATE_DATE_NO_CHANGE and nothing is posted).
 */
typedef struct {
    cdate_t change_date;     /* day the quantity changed, in the tenant's calendar */
    qty_t unit_change;       /* net delta = desired - current units */
    int immediate_credits;   /* tenant policy: decreases on the change date */
    int clamp_to_start;      /* move too-early dates to the contract/billing start instead of refusing */
    int cycle_months;        /* the PSA contract's billing cycle (1 monthly, 3, 12, ...) */
    int has_period_anchor;   /* else periods are anchored on billing start, else contract start */
    cdate_t period_anchor;   /* any period start date of the contract */
    cdate_t contract_start;
    int has_contract_end;    /* 0: open-ended (e.g. an evergreen ConnectWise agreement) */
    cdate_t contract_end;
    int has_billing_start;   /* ConnectWise agreements have one; Autotask contracts do not */
    cdate_t billing_start;
} prorate_date_input_t;

typedef enum {
    PRORATE_DATE_OK = 0,
    PRORATE_DATE_NO_CHANGE,                /* unit_change is 0: post nothing */
    PRORATE_DATE_CLAMPED_TO_CONTRACT_START,
    PRORATE_DATE_CLAMPED_TO_BILLING_START,
    PRORATE_DATE_BEFORE_CONTRACT_START,    /* refused */
    PRORATE_DATE_BEFORE_BILLING_START,     /* refused */
    PRORATE_DATE_AFTER_CONTRACT_END        /* refused */
} prorate_date_reason_t;

typedef struct {
    prorate_date_reason_t reason;
    int postable;          /* 1: post the change with .effective */
    int deferred;          /* 1: a decrease moved from the change date to a later period start */
    cdate_t proposed;      /* the date the rules chose, before the contract checks */
    cdate_t effective;     /* the date to post: proposed, or the clamped date */
    cdate_t limit;         /* the contract date involved in a clamp or refusal */
    int has_period;
    cdate_period_t period; /* billing period containing effective, for prorate_amount */
} prorate_date_result_t;

/* 0 when a decision was made (see out->reason), -1 on invalid input. */
int prorate_effective_date(const prorate_date_input_t *in, prorate_date_result_t *out);
/* Stable snake_case code for logs and the database: "ok", "before_billing_start", ... */
const char *prorate_date_reason_code(prorate_date_reason_t reason);
/*
 * One sentence for the failure log, e.g. "effective date 2025-03-01 is before the contract's
 * billing start 2025-03-15". -1 when buf is too small (buf then holds a truncated sentence).
 */
int prorate_date_message(const prorate_date_result_t *r, char *buf, size_t n);

/*
 * Invoice-line windows (Autotask/Kantanna practice): the billing cycle of a set of lines is
 * the latest end date and the earliest start among the lines with that end. A line is
 * classified by its window, never by its quantity: FULL covers the whole cycle, PARTIAL is a
 * pro-rata line inside it, OUTSIDE is anything else (another cycle, or straddling it).
 */
typedef enum {
    PRORATE_WINDOW_FULL = 0,
    PRORATE_WINDOW_PARTIAL,
    PRORATE_WINDOW_OUTSIDE
} prorate_window_t;

int prorate_cycle_from_windows(const cdate_period_t *lines, size_t n, cdate_period_t *cycle);
int prorate_classify_window(cdate_period_t line, cdate_period_t cycle, prorate_window_t *out);

#endif
