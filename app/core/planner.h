/* planner.h: the reconcile planner: one link's source quantity and PSA units -> what to post, when, and why */
#ifndef BILLSYNC_CORE_PLANNER_H
#define BILLSYNC_CORE_PLANNER_H

#include "core/cdate.h"
#include "core/money.h"
#include "core/prorate.h"

/*
 * Pure: no I/O, no clock, no globals. The caller reads the source and the PSA; this decides
 * (doc/design.md section 4, doc/proration.md 3):
 *
 *   delta = desired - psa_units         target state: the PSA is read each time, deltas are never replayed
 *   delta == 0                          NOTHING (also when a PSA edit already matches the source)
 *   desired < 0                         FAIL: a source quantity cannot be negative
 *   undatable (outside the contract)    FAIL, reason from prorate_date_message naming both dates
 *   PSA edited (units != last_posted)   DRIFT under PLANNER_DRIFT_FLAG (held for review), else POST
 *   otherwise                           POST, waiting for a person when approval is REQUIRE
 *
 * Dates come from prorate_effective_date: an increase on the change date; a decrease on the
 * first day of the next billing period (the change date when a period starts that day) unless
 * PLANNER_DECREASE_IMMEDIATE; never before the contract start or the billing start, never after
 * the contract end. The estimate is prorate_amount over the billing period containing the
 * effective date, then prorate_to_cents (doc/design.md 4.7: inclusive day count, half-even).
 *
 * One change per service and day (Autotask): when the effective date is in `busy` (billsync
 * posted there already; posted adjustments cannot be changed), the change moves to the first
 * later day that is free, by days and never by a whole period (a second decrease while one is
 * pending keeps its date when that date is free; when it is not, the day after), and fails when
 * no free day is left before the contract end. The estimate is prorated from the moved date.
 *
 * Why there is no merge function: the plan is always desired - current, never a sum of source
 * events. Several source changes seen before a post (8 -> 10 -> 9 with the PSA at 8) collapse
 * into one net change (+1), and a change followed by its reversal (8 -> 10 -> 8) yields NOTHING:
 * "same-day changes merged, zero nets dropped" holds by construction. For the same reason a
 * retry after a lost response, once the PSA has committed the change, reads the desired units
 * back and yields NOTHING instead of posting twice.
 *
 * Reading the PSA (the caller's side): psa_units must be the units in effect on the date the
 * change would take effect. After a deferred decrease (posted for the next period start and not
 * yet in effect) the units on the change date still show the old count; read them on the later
 * of the change date and the effective date of billsync's last post, or that pending decrease is
 * seen as drift and planned again.
 */

enum planner_decrease { PLANNER_DECREASE_NEXT_PERIOD, PLANNER_DECREASE_IMMEDIATE };
enum planner_drift { PLANNER_DRIFT_FLAG, PLANNER_DRIFT_OVERWRITE };
enum planner_approval { PLANNER_APPROVAL_AUTO, PLANNER_APPROVAL_REQUIRE };

enum planner_action {
    PLANNER_NOTHING, /* desired == PSA units: nothing to post */
    PLANNER_POST,    /* post unit_change effective on `effective` */
    PLANNER_DRIFT,   /* the PSA was edited by someone (units != last posted) and policy is flag: hold for review */
    PLANNER_FAIL     /* cannot be dated inside the contract: reason names both dates */
};

/*
 * A date field set to {0,0,0} means "none" where the comment allows it; any other invalid date
 * is invalid input. The period anchor falls back exactly as prorate_effective_date's does.
 */
struct planner_input {
    qty_t desired;                 /* source quantity now (>= 0) */
    qty_t psa_units;               /* PSA units in effect on the change date, read just now */
    int has_last_posted;           /* billsync posted to this link before */
    qty_t last_posted;             /* units billsync last left in the PSA */
    cdate_t change_date;           /* the day the change is seen (tenant's civil date) */
    enum planner_decrease decrease;
    enum planner_drift drift;
    enum planner_approval approval;   /* already resolved: link override else tenant policy */
    cdate_t contract_start, contract_end, billing_start;  /* end/billing_start may be {0,0,0} = none */
    int cycle_months;              /* contract billing period length (1 monthly, 12 annual), 1..1200 */
    cdate_t period_anchor;         /* first day of a billing period ({0,0,0} = billing start, else contract start) */
    money_t unit_price;            /* PSA price per unit per billing period, for the estimate (may be negative) */
    int clamp_to_start;            /* 1: a date before the contract/billing start moves to that start instead
                                      of failing (0, the default, refuses: doc/design.md 4.4) */
    const cdate_t *busy;           /* dates on which the PSA already holds a change of this service that it
                                      cannot take a second one on (Autotask: one adjustment per service and
                                      day); the change moves to the next free day. NULL when none */
    int nbusy;
};

struct planner_output {
    enum planner_action action;
    qty_t unit_change;             /* desired - psa_units (also filled for DRIFT and FAIL; 0 for NOTHING) */
    cdate_t effective;             /* POST/DRIFT: the date to post; FAIL: the refused date; NOTHING: change date */
    int needs_approval;            /* POST that must wait for a person (REQUIRE); always 1 for DRIFT */
    money_t estimate;              /* prorated amount of the change, to the cent (doc/design.md 4.7 convention), signed;
                                      POST/DRIFT only, 0 otherwise and when unit_price is 0 */
    char reason[240];              /* PLANNER_FAIL / PLANNER_DRIFT: a sentence for the failure log, naming the
                                      dates/units; POST/NOTHING: one for the activity log. Always terminated;
                                      a sentence too long ends in "..." */
    prorate_date_reason_t date_reason; /* prorate_effective_date's decision (PRORATE_DATE_NO_CHANGE for NOTHING) */
    int deferred;                  /* a decrease moved from the change date to the next period start */
    int moved_days;                /* days the change moved past busy dates (0 when its date was free) */
    int has_period;
    cdate_period_t period;         /* billing period containing `effective`, which the estimate prorates over */
};

/* 0, or -1 on invalid input (NULL, invalid dates, unknown enum values, cycle out of range, overflow);
 * on -1 *out is left untouched. */
int planner_plan(const struct planner_input *in, struct planner_output *out);

#endif
