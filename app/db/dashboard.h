/* dashboard.h: the figures of the home page (/) and the pre-invoicing checklist (/checklist),
 * each read so that it matches the report a person reaches by clicking it:
 *
 *   "resources"       the rows of the subscription reports (db/reports.h): non-gone source
 *                     resources of a connection of the tenant whose subscription and company
 *                     are not gone; "linked" = an active resource link (active_key = 1), or
 *                     an annual resource whose subscription has an active link (billed as
 *                     one-time charges); "active" = the resource is active and its
 *                     subscription (if known) too, the reports' status filter `status=active`.
 *   seats / usage     db/subs_sql.h: a usage resource (billing cycle 'usage', backup storage)
 *                     counts GB, never seats; every other resource counts seats (the reports'
 *                     filter `billing=seats` / `billing=usage`).
 *   failed            adjustments in state failed and one-time charges in state failed (the
 *                     rows of /reports/failures); failed_charges: those that are charges.
 *   awaiting          adjustments in state awaiting_approval (/approvals).
 *   drift             PSA contract services fed by active resource links (one service fed by
 *                     several links counts once) where the PSA differs from what billsync last
 *                     left there for the day the PSA cache was read (psa_date, UTC, as the
 *                     refresh reads it): the desired_units of the service's verified adjustment
 *                     in effect that day (latest effective_date, then posted_at, id; a decrease
 *                     dated next period is not in effect yet, so it is no drift) compared with
 *                     the sum of the non-gone cached psa_contract_services units of the
 *                     contract and service. A service billsync never posted to, or which
 *                     is absent from the cache, is not counted (nothing to compare).
 *
 * Every query is scoped by tenant with bound parameters. */
#ifndef BILLSYNC_DB_DASHBOARD_H
#define BILLSYNC_DB_DASHBOARD_H

#include "core/cdate.h"
#include "db/db.h"
#include "db/series.h"

struct dash_counts {
    long long linked, unlinked;   /* resources: rows of /reports/linked and /reports/unlinked */
    long long unlinked_active;    /* unlinked and active: rows of /reports/unlinked?status=active */
    long long unbilled_seat_rows; /* those that are seats (&billing=seats) */
    long long unbilled_qty;       /* their summed seats (1/1000) */
    long long unbilled_usage_rows;  /* those that are usage (&billing=usage) */
    long long unbilled_usage_qty; /* their summed quantity (1/1000 GB) */
    long long failed, awaiting, drift;
    long long failed_charges;     /* of failed: one-time charges */
    char oldest_failed[11];       /* UTC day the oldest failure was created, "" when none */
    long long sources, psas;      /* connections of each kind */
    long long active_links;       /* active company, subscription and resource links together */
    int sync_finished;            /* tenant_sync has a finished run */
};

int dash_counts(db_t *db, long long tenant_id, cdate_t psa_date, struct dash_counts *out);

/* quantity (1/1000), unit_cost (1/10000), currency, period months of the unit cost (12 annual,
 * else 1) and how many of the unlinked active resources (the rows of
 * /reports/unlinked?status=active) have them, unordered: the leakage is summed in C (web/reports.h
 * report_monthly_value), each group's value count times. */
enum dash_unbilled_col { DU_QTY, DU_COST, DU_CURRENCY, DU_MONTHS, DU_COUNT, DU_NCOLS };
int dash_unbilled_rows(db_t *db, long long tenant_id, db_row_fn fn, void *ctx);

/* How many bars the dashboard's top-customers and top-products charts show. */
#define DASH_TOP_BARS 10

/* Computes the figures the dashboard and the checklist read through the tenant cache
 * (db/tenant_cache.h; the margin report's flagged count too, db/margin.h), so the first view
 * after a refresh or sync finds them ready: the worker runs it after each job that changes them
 * ("figures" jobs). */
int dash_warm(db_t *db, long long tenant_id, cdate_t psa_date);

/* The top `limit` companies (by shown name) by summed seats (usage left out) over the
 * subscription report's rows, positive sums only: company, seats. Largest first, then by name
 * (/reports/subscriptions?company=...&billing=seats totals the same). */
int dash_top_companies(db_t *db, long long tenant_id, int limit, struct series_list *out);
/* The same for products (the resource name, what the report's product filter matches). */
int dash_top_products(db_t *db, long long tenant_id, int limit, struct series_list *out);

/* The adjustment log's rows (states verified and failed) per UTC creation day within
 * [from, to] ("YYYY-MM-DD", inclusive): day, count, ascending. */
int dash_adjustments_per_day(db_t *db, long long tenant_id, const char *from, const char *to,
                             struct series_list *out);

/* The connections with their test and refresh state (times "YYYY-MM-DD HH:MM UTC" or ""),
 * ordered by kind, name, id. */
enum dash_connection_col {
    DC_ID, DC_KIND, DC_SYSTEM, DC_NAME, DC_STATUS, DC_STATUS_MESSAGE, DC_TESTED_AT, DC_REFRESH_STATUS,
    DC_REFRESH_MESSAGE, DC_REFRESHED_AT, DC_NCOLS
};
int dash_connections(db_t *db, long long tenant_id, struct dbrows *out);

/* The billing review of month ("YYYY-MM"): DASH_REVIEW_NONE when there is none, _OPEN when
 * it exists but is not approved (draft), _APPROVED (approved or applied). -1 on error. */
enum { DASH_REVIEW_NONE = 0, DASH_REVIEW_OPEN = 1, DASH_REVIEW_APPROVED = 2 };
int dash_review_state(db_t *db, long long tenant_id, const char *month);

#endif
