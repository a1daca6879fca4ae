/* margin.h: the margin report's rows (doc/margin.md): one row per linked product of a customer,
 *   - a source resource with an active resource link (usage left out: backup storage is billed
 *     at the distributor's cost by the tenant's usage mode), priced by its PSA contract service
 *     (psa_contract_services.unit_price, or psa_services.unit_price when the contract service's
 *     price is not set: 0 or no row in the PSA cache) for the contract's billing cycle (cycle_months);
 *   - an annual resource billed by one-time charges (its subscription linked to a contract, no
 *     resource link), priced by the newest posted annual charge of its subscription, a price
 *     for the year.
 * The money of a row is computed in SQL by the rule of core/margin.h (integers, half-even to the
 * cent, the same results) so that sorting, the "flagged only" filter and the totals agree with
 * the cells the page computes in C. Filters are bound values; set ones add their conditions. */
#ifndef BILLSYNC_DB_MARGIN_H
#define BILLSYNC_DB_MARGIN_H

#include "db/db.h"
#include "db/series.h"

struct margin_filter {
    long long source;             /* source connection id, 0 all */
    long long psa;                /* PSA connection id, 0 all */
    const char *company;          /* source company or PSA account name contains */
    const char *product;          /* resource name, SKU or PSA service name contains */
    int flagged;                  /* only flagged rows */
    int threshold;                /* the tenant's threshold, tenths of a percent */
    long long set_no;             /* read the computed rows of this set (margin_set_fresh), 0: compute live */
};

/* Columns of margin_rows / margin_stream. Money 1/10000, quantities 1/1000, months >= 1;
 * share_w is the seats of every resource feeding the row's contract service (0: the row takes
 * the whole service; else the row's revenue is seats / share_w of it); has_price 0 when no
 * price was found (no contract service, service or charge: revenue 0); rev_c and cost_c the
 * monthly revenue and cost in cents (core/margin.h), flagged 0/1. */
enum margin_col {
    MG_RID, MG_SOURCE, MG_COMPANY, MG_ACCOUNT, MG_PRODUCT, MG_SERVICE, MG_SEATS, MG_UNIT_COST, MG_COST_MONTHS,
    MG_CURRENCY, MG_UNITS, MG_PRICE, MG_PRICE_MONTHS, MG_SHARE_W, MG_HAS_PRICE, MG_REV_C, MG_COST_C, MG_FLAGGED,
    MG_NCOLS
};

/* Sort keys: source, company, account, product, service, billing, seats, unit_cost, price,
 * units, revenue, cost, margin, margin_pct, flag, currency. Then the row id, same direction. */
int margin_sort_known(const char *key);

/* One page (limit, offset), through the tenant cache (db/tenant_cache.h). */
int margin_rows(db_t *db, long long tenant_id, const struct margin_filter *f, const char *sort, int desc, int limit,
                long long offset, struct dbrows *out);
/* Every matching row in the same order, unbuffered (the CSV export). */
int margin_stream(db_t *db, long long tenant_id, const struct margin_filter *f, const char *sort, int desc,
                  db_row_fn fn, void *ctx);

/* Totals per currency (alphabetical), through the cache. */
struct margin_total {
    const char *currency;
    long long rows, seats, rev_c, cost_c, flagged;
};
DB_LIST(margin_total_list, struct margin_total);
int margin_totals(db_t *db, long long tenant_id, const struct margin_filter *f, struct margin_total_list *out);

/* Rows flagged under the tenant's threshold (the dashboard's and the checklist's figure: the
 * row count of the report at MARGIN_FLAGGED_HREF, which they link to). */
#define MARGIN_FLAGGED_HREF "/reports/margin?flagged=1&sort=margin&dir=asc"
int margin_flagged_count(db_t *db, long long tenant_id, long long *out);

/* The top `limit` customers (source company) by summed monthly margin (cents), largest first;
 * the page charts MARGIN_CHART_BARS. */
#define MARGIN_CHART_BARS 10
int margin_top_companies(db_t *db, long long tenant_id, const struct margin_filter *f, int limit,
                         struct series_list *out);

/* Computes into the tenant cache (from the computed rows when current) what the report's two
 * usual views read (all rows sorted by company, and MARGIN_FLAGGED_HREF: count, totals, first
 * page, chart) and the flagged count,
 * for the worker's "figures" job (db/dashboard.h dash_warm): at 50,000 links each statement
 * costs about a second when it is not cached. */
#define MARGIN_PAGE_ROWS 50
int margin_warm(db_t *db, long long tenant_id);

/* The computed rows (sql/022 margin_rows, doc/margin.md 7). margin_set_fresh: 1 and the set
 * to read when the tenant's last complete set was computed at its current generation
 * (tenant_gen) and for this threshold, 0 (set_no 0) when there is none such: the readers above
 * then compute live; -1 on error. margin_fill (the figures job, worker/handlers.c): computes
 * every row of the tenant into a new set at READ COMMITTED and makes it the one readers use,
 * unless the current one is fresh; the set before it is deleted. One statement over every
 * linked resource: the worker runs it on a bulk connection (db_open_bulk), before margin_warm. */
int margin_set_fresh(db_t *db, long long tenant_id, int threshold, long long *set_no);
int margin_fill(db_t *db, long long tenant_id);

/* The tenant's connections for the filters: id, name, kind ("source" or "psa"), by kind then name. */
struct margin_conn {
    long long id;
    const char *id_text, *name, *kind;
};
DB_LIST(margin_conn_list, struct margin_conn);
int margin_connections(db_t *db, long long tenant_id, struct margin_conn_list *out);

/* The tenant's threshold in tenths of a percent (MARGIN_THRESHOLD_DEFAULT when none stored). */
int margin_threshold_get(db_t *db, long long tenant_id, int *out);
/* Stores it (0 ... MARGIN_THRESHOLD_MAX). */
int margin_threshold_set(db_t *db, long long tenant_id, int tenths);

#endif
