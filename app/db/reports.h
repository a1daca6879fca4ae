/* reports.h: the report queries, filtered, sorted by a whitelisted column, paged, totalled,
 * charted and streamed. Two families share the machinery:
 *
 * Subscription reports (doc/seeds.md 001 "Subscriptions Report", "Linked / Unlinked subscriptions"):
 * one row per non-gone source resource of a tenant with its company, subscription and link.
 * A resource is "linked" when it has an active resource link, or when it is annual and its
 * subscription has an active link (billed as one-time charges on that contract). Its status
 * is its own, or its subscription's when the subscription is not active. A usage resource
 * (billing cycle 'usage': backup storage, GB) is no seat: quantity totals and charts count
 * seats, usage is summed apart (db/subs_sql.h).
 *
 * Adjustment reports (doc/seeds.md 001 "Adjustments": adjustment log, failure log): one row per
 * ledger adjustment with the names of the source and PSA objects it concerns, within a range
 * of creation dates (UTC). */
#ifndef BILLSYNC_DB_REPORTS_H
#define BILLSYNC_DB_REPORTS_H

#include "db/db.h"
#include "db/series.h"

enum report_kind {
    REPORT_SUBSCRIPTIONS,         /* every resource */
    REPORT_LINKED,                /* resources with an active resource link */
    REPORT_UNLINKED,              /* resources without one */
    REPORT_ADJUSTMENTS,           /* adjustments billsync posted or attempted: verified, failed */
    REPORT_FAILURES,              /* adjustments and one-time charges that failed (retrying, or stuck
                                     until a person acts) */
};

/* Filters; every one is a bound value and an empty one (or 0) matches everything. Text
 * filters match as "contains", case-insensitively, with % and _ taken literally. */
struct report_filter {
    long long source;             /* source connection id */
    const char *company;          /* company name */
    const char *product;          /* resource (product) name or SKU */
    const char *status;           /* active | suspended | cancelled | pending */
    const char *billing;          /* seats (every resource but usage) | monthly | annual |
                                     one_time | usage */
    const char *q;                /* company, subscription or resource name (adjustments: also
                                     the PSA account, contract and service names and the error) */
    const char *subscription;     /* adjustments: subscription name */
    const char *resource;         /* adjustments: resource name */
    const char *from, *to;        /* adjustments: "YYYY-MM-DD", inclusive, on created_at (UTC);
                                     NULL or "" leaves that end open */
    const char *new_since;        /* subscription reports: only the resources of subscriptions
                                     found new at or after this UTC time and still unlinked
                                     (db/new_subs.h; "new since last sync"); NULL or "" all */
};

/* Longest text filter accepted (bytes); the LIKE patterns are sized for it. */
#define REPORT_TEXT_MAX 200

/* Columns of report_rows / report_stream, in this order (quantities and money as integers
 * in 1/1000 and 1/10000; NULL only where noted):
 *   REPORT_SUBSCRIPTIONS: source, company, company_id, subscription_id, subscription,
 *                         resource_id, resource, quantity, status, linked_to ("not linked" or
 *                         "account / contract / service"), billing_cycle
 *   REPORT_LINKED:        source, company, subscription, resource, quantity, account,
 *                         contract, service ("annual charges" for an annual subscription billed
 *                         by charges), psa_units (NULL when the PSA cache has no such contract
 *                         service), diff (quantity - psa_units, a missing one as 0; NULL when
 *                         billed by charges), billing_cycle
 *   REPORT_UNLINKED:      source, company, subscription, resource, quantity, unit_cost,
 *                         currency, billing_cycle
 *   REPORT_ADJUSTMENTS:   id, created ("YYYY-MM-DD HH:MM UTC"), company, subscription,
 *                         resource, account, contract, service, unit_change, effective
 *                         ("YYYY-MM-DD"), prorated_amount, state, attempts, last_error ("" when
 *                         none), next_try ("YYYY-MM-DD HH:MM UTC"; NULL when it will not retry
 *                         by itself)
 *   REPORT_FAILURES:      kind ("adjustment" or "charge"), id (of that kind), created, error,
 *                         company, subscription, resource (a charge: its description), account,
 *                         contract, service, unit_change (NULL for a charge), effective (a
 *                         charge: its date), amount_qty, amount_unit (the amount is their
 *                         product: 1000 × the estimate, or quantity × unit price), attempts,
 *                         next_try (NULL for a charge: it is tried again by the syncs),
 *                         charge_kind ("annual" or "usage"; "cost" for a cost change, NULL for another adjustment)
 * Sort keys (report_sort_known): the column names above, with "count" for quantity,
 * "linked" for linked_to, and for REPORT_UNLINKED also "value" (the monthly value: quantity ×
 * unit cost, a twelfth of it for annual) and "billing" (the billing cycle); for
 * the adjustment reports date, company, subscription, resource, account, contract, service,
 * change, effective, amount, attempts, REPORT_ADJUSTMENTS also state, and REPORT_FAILURES also
 * kind, error, next_try. */
int report_sort_known(enum report_kind kind, const char *key);

/* The same columns by name, for the pages that read the rows (a column added to a kind's
 * SELECT in reports.c is added here). */
enum report_subs_col {
    RSU_SOURCE, RSU_COMPANY, RSU_COMPANY_ID, RSU_SUBSCRIPTION_ID, RSU_SUBSCRIPTION, RSU_RESOURCE_ID, RSU_RESOURCE,
    RSU_QTY, RSU_STATUS, RSU_LINKED_TO, RSU_CYCLE, RSU_NCOLS
};
enum report_linked_col {
    RLK_SOURCE, RLK_COMPANY, RLK_SUBSCRIPTION, RLK_RESOURCE, RLK_QTY, RLK_ACCOUNT, RLK_CONTRACT, RLK_SERVICE,
    RLK_PSA_UNITS, RLK_DIFF, RLK_CYCLE, RLK_NCOLS
};
enum report_unlinked_col {
    RUN_SOURCE, RUN_COMPANY, RUN_SUBSCRIPTION, RUN_RESOURCE, RUN_QTY, RUN_UNIT_COST, RUN_CURRENCY, RUN_CYCLE,
    RUN_NCOLS
};
enum report_adjustment_col {
    RAD_ID, RAD_CREATED, RAD_COMPANY, RAD_SUBSCRIPTION, RAD_RESOURCE, RAD_ACCOUNT, RAD_CONTRACT, RAD_SERVICE,
    RAD_CHANGE, RAD_EFFECTIVE, RAD_AMOUNT, RAD_STATE, RAD_ATTEMPTS, RAD_ERROR, RAD_NEXT,
    /* a cost change (kind 'cost', sql/018): its costs and prices */
    RAD_KIND, RAD_COST_BEFORE, RAD_NEW_COST, RAD_PRICE_BEFORE, RAD_NEW_PRICE, RAD_NCOLS
};
enum report_failure_col {
    RFA_KIND, RFA_ID, RFA_CREATED, RFA_ERROR, RFA_COMPANY, RFA_SUBSCRIPTION, RFA_RESOURCE, RFA_ACCOUNT,
    RFA_CONTRACT, RFA_SERVICE, RFA_CHANGE, RFA_EFFECTIVE, RFA_AMOUNT_QTY, RFA_AMOUNT_UNIT, RFA_ATTEMPTS, RFA_NEXT,
    RFA_CHARGE_KIND, RFA_NCOLS
};

/* Rows matching f; the sum of their seats (1/1000; adjustments: of unit changes); how many are
 * usage rows and the sum of their quantities (1/1000 GB; adjustments: 0). */
struct report_sums {
    long long rows, qty, usage_rows, usage_qty;
};
int report_count(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                 struct report_sums *out);
/* One page, ordered by sort (a known key) then by row id. */
int report_rows(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                const char *sort, int desc, int limit, long long offset, struct dbrows *out);
/* Every matching row in the same order, from an unbuffered result (exports). */
int report_stream(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                  const char *sort, int desc, db_row_fn fn, void *ctx);
/* quantity, unit_cost, currency, period months (12 annual, else 1) and how many matching rows
 * have them (unordered; for money totals, which are computed in C with core/money.h, never in
 * SQL: each group's rounded value count times). Adjustments: 1000 (one unit), the prorated
 * amount, "" (the estimate is in the PSA's currency), 1. */
enum report_amount_col { RAM_QTY, RAM_UNIT, RAM_CURRENCY, RAM_MONTHS, RAM_COUNT, RAM_NCOLS };
int report_amounts(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                   db_row_fn fn, void *ctx);
/* The top `limit` companies (by name) by total seats, positive totals only: company, sum. */
int report_top_companies(db_t *db, long long tenant_id, enum report_kind kind,
                         const struct report_filter *f, int limit, struct series_list *out);
/* Matching rows per day of the report's date (adjustments: created_at, UTC): day
 * ("YYYY-MM-DD"), count, ascending. -1 for a report without dates. */
int report_per_day(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                   struct series_list *out);
/* Per day of the report's date, the matching rows, their quantity sum and amount sum; for the
 * reports whose amounts add up in SQL (report_has_day_totals: the adjustment log). One
 * statement serves the page's count, totals and chart; the days are "YYYY-MM-DD", in order,
 * days without rows left out. */
struct report_day {
    const char *day;
    long long rows, qty, amount;
};
DB_LIST(report_day_list, struct report_day);
int report_has_day_totals(enum report_kind kind);
int report_days(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                struct report_day_list *out);
/* 1 when the report has a date range (and report_per_day). */
int report_has_dates(enum report_kind kind);
/* The tenant's source connections for the filter. */
struct report_source {
    long long id;
    const char *id_text, *name;
};
DB_LIST(report_source_list, struct report_source);
int report_sources(db_t *db, long long tenant_id, struct report_source_list *out);

#endif
