/* service_plan.h: planning one PSA contract service: what it should hold (the sum of its links),
 * which day to read it on, which days already hold billsync's change, then the planner. */
#ifndef BILLSYNC_CORE_SERVICE_PLAN_H
#define BILLSYNC_CORE_SERVICE_PLAN_H

#include "core/planner.h"

/*
 * Pure, like the planner: the worker's sync (worker/sync.c) and the ledger's model test
 * (tests/tools/ledger_model.c) both plan through here, so the model test runs the rules the
 * product runs (doc/design.md 4, issue 13):
 *  - a contract service fed by several links wants the sum of their quantities (5 + 3 = 8);
 *  - it is read on the later of today and billsync's newest change (one dated later is in the
 *    PSA but not in effect today, and is not drift);
 *  - what billsync last left is its newest verified change;
 *  - on a PSA that takes one change per service and day, the days from today on that hold
 *    billsync's change are busy: the planner moves a change to the next free day.
 * The one open change per service (the newest plan replaces a waiting one) and "a change waits
 * in the ledger until its date" are the ledger's side (db/ledger.c).
 */

#define SERVICE_POSTS_MAX 40

/* One verified change billsync made to the service. */
struct service_post {
    cdate_t effective;
    qty_t desired;                 /* the units billsync left from that day */
};

struct service_state {
    cdate_t today;                 /* the tenant's civil date */
    qty_t desired;                 /* service_desired() of its links */
    const struct service_post *posts; /* newest effective date first (ties: newest first) */
    int nposts;                    /* 0..SERVICE_POSTS_MAX */
    int one_change_per_day;        /* the PSA's rule (Autotask 1, ConnectWise 0) */
    /* Other days that hold billsync's change of the service on such a PSA: a cost change's
     * (doc/ledger.md "Cost and price"); NULL when none. */
    const cdate_t *also_busy;
    int nalso_busy;                /* 0..SERVICE_POSTS_MAX */
};

/* The sum of the links' quantities, a gone source counting 0; -1 on overflow or a negative one. */
int service_desired(const qty_t *quantities, const int *gone, int n, qty_t *sum);

/* The day to read the PSA's units on. */
cdate_t service_read_on(const struct service_state *s);

/* What billsync knows of a service without asking the PSA (doc/sync-calls.md 1). */
struct service_known {
    int cached;                    /* the PSA cache holds the service */
    qty_t cached_units;            /* its units as last read */
    long long cached_age_s;        /* seconds since that read */
    cdate_t cached_on;             /* the tenant's civil date of that read */
    int has_last_post;             /* billsync's newest verified change */
    qty_t last_post_desired;
    cdate_t last_post_effective;
    int open_change;               /* a change not yet posted waits in the ledger */
};

/*
 * 1 when a sync must read the service from the PSA; 0 when what billsync knows settles it, so
 * a sync of unchanged links costs the PSA nothing. Read: when a change waits in the ledger
 * (the plan may replace it), when the cache lacks the service, when the drift check is due
 * (drift_check_s since the last read, 0 = every sync, and on a month's last day unless read that
 * day, so drift is seen before the month is billed), and when what the service holds differs
 * from desired (billsync's own later-dated change counts as what it will hold).
 */
int service_read_needed(const struct service_known *k, qty_t desired, cdate_t today, long long drift_check_s);

/*
 * Plans the service. `in` carries the policy and the contract (decrease, drift, approval,
 * contract dates, cycle, anchor, unit price); this fills desired, psa_units (read on
 * service_read_on), the last post, the change date and the busy days, and calls planner_plan.
 * 0 or -1 as planner_plan.
 */
int service_plan(const struct service_state *s, qty_t psa_units, struct planner_input *in,
                 struct planner_output *out);

#endif
