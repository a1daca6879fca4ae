/* reports.h: the subscription reports (seed 001 "Subscriptions Report", "Linked / Unlinked
 * subscriptions"): every non-gone source resource of a tenant with its company, subscription
 * and link, filtered, sorted by a whitelisted column, paged, totalled, charted and streamed.
 *
 * One row per source resource. A resource is "linked" when it has an active resource link.
 * Its status is its own, or its subscription's when the subscription is not active. */
#ifndef BILLSYNC_DB_REPORTS_H
#define BILLSYNC_DB_REPORTS_H

#include "db/db.h"

enum report_kind {
    REPORT_SUBSCRIPTIONS,         /* every resource */
    REPORT_LINKED,                /* resources with an active resource link */
    REPORT_UNLINKED,              /* resources without one */
};

/* Filters; every one is a bound value and an empty one (or 0) matches everything. Text
 * filters match as "contains", case-insensitively, with % and _ taken literally. */
struct report_filter {
    long long source;             /* source connection id */
    const char *company;          /* company name */
    const char *product;          /* resource (product) name or SKU */
    const char *status;           /* active | suspended | cancelled | pending */
    const char *q;                /* company, subscription or resource name */
};

/* Longest text filter accepted (bytes); the LIKE patterns are sized for it. */
#define REPORT_TEXT_MAX 200

/* Columns of report_rows / report_stream, in this order (quantities and money as integers
 * in 1/1000 and 1/10000; NULL only where noted):
 *   REPORT_SUBSCRIPTIONS: source, company, company_id, subscription_id, subscription,
 *                         resource_id, resource, quantity, status, linked_to ("not linked" or
 *                         "account / contract / service")
 *   REPORT_LINKED:        source, company, subscription, resource, quantity, account,
 *                         contract, service, psa_units (NULL when the PSA cache has no such
 *                         contract service), diff (quantity - psa_units, a missing one as 0)
 *   REPORT_UNLINKED:      source, company, subscription, resource, quantity, unit_cost,
 *                         currency
 * Sort keys (report_sort_known): the column names above, with "count" for quantity,
 * "linked" for linked_to, and for REPORT_UNLINKED also "value" (quantity × unit cost). */
int report_sort_known(enum report_kind kind, const char *key);

/* Rows matching f and the sum of their quantities (1/1000). */
int report_count(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                 long long *rows, long long *qty_sum);
/* One page, ordered by sort (a known key) then by row id. */
int report_rows(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                const char *sort, int desc, int limit, long long offset, struct dbrows *out);
/* Every matching row in the same order, from an unbuffered result (exports). */
int report_stream(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                  const char *sort, int desc, db_row_fn fn, void *ctx);
/* quantity, unit_cost, currency of every matching row (unordered; for money totals, which
 * are computed in C with core/money.h, never in SQL). */
int report_amounts(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                   db_row_fn fn, void *ctx);
/* The top `limit` companies (by name) by total quantity: company, quantity sum. */
int report_top_companies(db_t *db, long long tenant_id, enum report_kind kind,
                         const struct report_filter *f, int limit, struct dbrows *out);
/* The tenant's source connections for the filter: id, name. */
int report_sources(db_t *db, long long tenant_id, struct dbrows *out);

#endif
