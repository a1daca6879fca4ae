/* dashboard.c: the home page's and the checklist's figures (see dashboard.h). The resource
 * figures use the subscription reports' FROM/WHERE and classification (db/subs_sql.h), so a
 * tile's number is the row count or total of the report it links to. */
#include "db/dashboard.h"

#include "db/charges.h"
#include "db/margin.h"
#include "db/subs_sql.h"
#include "db/tenant_cache.h"

#include <stdio.h>
#include <string.h>

/* The subscription reports' rows (db/subs_sql.h, as db/reports.c selects them). */
#define RES_FROM SUBS_JOINS SUBS_LIVE
/* The reports' status filter "active": the resource's own status unless its subscription is
 * not active. */
#define RES_ACTIVE "(r.status = 'active' AND COALESCE(s.status, 'active') = 'active')"
#define RES_COMPANY "COALESCE(c.name, r.company_source_id)"
/* Unlinked and active: the rows of /reports/unlinked?status=active. */
#define UNBILLED "(NOT " SUBS_LINKED " AND " RES_ACTIVE ")"

/* Per PSA contract service (the group of links l feeding it; several links are one service):
 * the units billsync last left there in effect on the PSA's read date (doc/ledger.md), and the
 * PSA cache's units now. */
#define LAST_POSTED \
    "(SELECT a.desired_units FROM adjustments a WHERE a.tenant_id = l.tenant_id" \
    "  AND a.psa_connection_id = l.psa_connection_id AND a.psa_contract_id = l.psa_contract_id" \
    "  AND a.psa_service_id = l.psa_service_id AND a.state = 'verified' AND a.kind = 'units'" \
    "  AND a.effective_date <= ?" \
    "  ORDER BY a.effective_date DESC, a.posted_at DESC, a.id DESC LIMIT 1)"
#define CACHED_UNITS \
    "(SELECT SUM(cs.units) FROM psa_contract_services cs WHERE cs.tenant_id = l.tenant_id" \
    " AND cs.connection_id = l.psa_connection_id AND cs.contract_psa_id = l.psa_contract_id" \
    " AND cs.service_psa_id = l.psa_service_id AND cs.gone = 0)"

int dash_counts(db_t *db, long long tenant_id, cdate_t psa_date, struct dash_counts *out)
{
    char day[11];
    cdate_format(psa_date, day, sizeof day);
    struct dbrows r;
    long long v = 0;
    memset(out, 0, sizeof *out);

    /* The figures over every resource, link and service come from the tenant's cache while
     * its data is unchanged (db/tenant_cache.h); the failures and approvals are read live. */
    if (tcache_query(db, tenant_id, "dash:resources", 0,
                     "SELECT COALESCE(SUM(" SUBS_LINKED "), 0), COALESCE(SUM(NOT " SUBS_LINKED "), 0),"
                     " COALESCE(SUM(" UNBILLED "), 0),"
                     " COALESCE(SUM(" UNBILLED " AND NOT " SUBS_USAGE "), 0),"
                     " COALESCE(SUM(CASE WHEN " UNBILLED " THEN " SUBS_SEATS " ELSE 0 END), 0),"
                     " COALESCE(SUM(" UNBILLED " AND " SUBS_USAGE "), 0),"
                     " COALESCE(SUM(CASE WHEN " UNBILLED " THEN " SUBS_USAGE_QTY " ELSE 0 END), 0)" RES_FROM,
                     DB_PARAMS(DB_INT(tenant_id)), &r) < 0)
        return -1;
    out->linked = dbrows_int(&r, 0, 0, 0);
    out->unlinked = dbrows_int(&r, 0, 1, 0);
    out->unlinked_active = dbrows_int(&r, 0, 2, 0);
    out->unbilled_seat_rows = dbrows_int(&r, 0, 3, 0);
    out->unbilled_qty = dbrows_int(&r, 0, 4, 0);
    out->unbilled_usage_rows = dbrows_int(&r, 0, 5, 0);
    out->unbilled_usage_qty = dbrows_int(&r, 0, 6, 0);
    dbrows_free(&r);

    /* Failures and their oldest UTC day from the ledger's per-day counters (sql/013), not from
     * every failed row; changes awaiting approval are few and counted from the index. */
    if (db_query(db,
                 "SELECT (SELECT COALESCE(SUM(n), 0) FROM adjustment_days WHERE tenant_id = ? AND state = 'failed'),"
                 " (SELECT COUNT(*) FROM adjustments WHERE tenant_id = ? AND state = 'awaiting_approval'),"
                 " (SELECT COALESCE(DATE_FORMAT(MIN(day), '%Y-%m-%d'), '') FROM adjustment_days"
                 "  WHERE tenant_id = ? AND state = 'failed' AND n > 0)",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(tenant_id), DB_INT(tenant_id)), &r) < 0)
        return -1;
    out->failed = dbrows_int(&r, 0, 0, 0);
    out->awaiting = dbrows_int(&r, 0, 1, 0);
    snprintf(out->oldest_failed, sizeof out->oldest_failed, "%s", dbrows_get(&r, 0, 2) ? dbrows_get(&r, 0, 2) : "");
    dbrows_free(&r);
    /* Failed one-time charges are failures too: the failure log lists them beside adjustments. */
    char oldest_charge[11];
    if (charges_failed(db, tenant_id, &out->failed_charges, oldest_charge) < 0)
        return -1;
    out->failed += out->failed_charges;
    if (*oldest_charge && (!*out->oldest_failed || strcmp(oldest_charge, out->oldest_failed) < 0))
        snprintf(out->oldest_failed, sizeof out->oldest_failed, "%s", oldest_charge);

    char key[TCACHE_KEY_MAX + 1];
    snprintf(key, sizeof key, "dash:drift:%s", day);
    if (tcache_query(db, tenant_id, key, 1,
                     "SELECT COUNT(*) FROM (SELECT " LAST_POSTED " AS posted, " CACHED_UNITS " AS cached"
                     " FROM resource_links l WHERE l.tenant_id = ? AND l.active_key = 1"
                     " GROUP BY l.tenant_id, l.psa_connection_id, l.psa_contract_id, l.psa_service_id) d"
                     " WHERE d.posted IS NOT NULL AND d.cached IS NOT NULL AND d.posted <> d.cached",
                     DB_PARAMS(DB_STR(day), DB_INT(tenant_id)), &r) < 0)
        return -1;
    out->drift = dbrows_int(&r, 0, 0, 0);
    dbrows_free(&r);

    if (db_query(db,
                 "SELECT COALESCE(SUM(kind = 'source'), 0), COALESCE(SUM(kind = 'psa'), 0)"
                 " FROM connections WHERE tenant_id = ?",
                 DB_PARAMS(DB_INT(tenant_id)), &r) < 0)
        return -1;
    out->sources = dbrows_int(&r, 0, 0, 0);
    out->psas = dbrows_int(&r, 0, 1, 0);
    dbrows_free(&r);

    if (tcache_query(db, tenant_id, "dash:links", 0,
                     "SELECT (SELECT COUNT(*) FROM company_links WHERE tenant_id = ? AND active_key = 1)"
                     " + (SELECT COUNT(*) FROM subscription_links WHERE tenant_id = ? AND active_key = 1)"
                     " + (SELECT COUNT(*) FROM resource_links WHERE tenant_id = ? AND active_key = 1)",
                     DB_PARAMS(DB_INT(tenant_id), DB_INT(tenant_id), DB_INT(tenant_id)), &r) < 0)
        return -1;
    out->active_links = dbrows_int(&r, 0, 0, 0);
    dbrows_free(&r);

    if (db_scalar(db, "SELECT COUNT(*) FROM tenant_sync WHERE tenant_id = ? AND finished_at IS NOT NULL",
                  DB_PARAMS(DB_INT(tenant_id)), &v) < 0)
        return -1;
    out->sync_finished = v > 0;
    return 0;
}

/* Rows that value alike (quantity, cost, currency, period) are one group with its count: the
 * leakage sums each group's rounded value count times, as it would row by row. */
int dash_unbilled_rows(db_t *db, long long tenant_id, db_row_fn fn, void *ctx)
{
    struct dbrows r;
    if (tcache_query(db, tenant_id, "dash:unbilled", 0,
                     "SELECT r.quantity, r.unit_cost, r.currency, " SUBS_PERIOD_MONTHS " AS months, COUNT(*)"
                     RES_FROM " AND " UNBILLED " GROUP BY r.quantity, r.unit_cost, r.currency, months",
                     DB_PARAMS(DB_INT(tenant_id)), &r) < 0)
        return -1;
    int rc = dbrows_each(&r, fn, ctx);
    dbrows_free(&r);
    return rc;
}

static void series_cached(db_t *db, long long tenant_id, const char *key, const char *sql, const struct dbv *p,
                          int np, struct series_list *out, int *rc)
{
    memset(out, 0, sizeof *out);
    *rc = tcache_query(db, tenant_id, key, 0, sql, p, np, &out->rows) < 0 ? -1 : DB_LIST_FILL(out, series_fill);
}

int dash_top_companies(db_t *db, long long tenant_id, int limit, struct series_list *out)
{
    char key[TCACHE_KEY_MAX + 1];
    int rc;
    snprintf(key, sizeof key, "dash:top-companies:%d", limit);
    series_cached(db, tenant_id, key,
                  "SELECT " RES_COMPANY " AS company, SUM(" SUBS_SEATS ") AS total" RES_FROM
                  " GROUP BY " RES_COMPANY " HAVING total > 0 ORDER BY total DESC, company LIMIT ?",
                  DB_PARAMS(DB_INT(tenant_id), DB_INT(limit)), out, &rc);
    return rc;
}

int dash_top_products(db_t *db, long long tenant_id, int limit, struct series_list *out)
{
    char key[TCACHE_KEY_MAX + 1];
    int rc;
    snprintf(key, sizeof key, "dash:top-products:%d", limit);
    series_cached(db, tenant_id, key,
                  "SELECT r.name AS product, SUM(" SUBS_SEATS ") AS total" RES_FROM
                  " GROUP BY r.name HAVING total > 0 ORDER BY total DESC, product LIMIT ?",
                  DB_PARAMS(DB_INT(tenant_id), DB_INT(limit)), out, &rc);
    return rc;
}

int dash_adjustments_per_day(db_t *db, long long tenant_id, const char *from, const char *to,
                             struct series_list *out)
{
    /* The adjustment log's per-day counters (sql/013), as the log's own chart reads them. */
    return DB_LIST_QUERY(db, out, series_fill,
                         "SELECT DATE_FORMAT(day, '%Y-%m-%d'), SUM(n) FROM adjustment_days"
                         " WHERE tenant_id = ? AND day >= CAST(? AS DATE) AND day <= CAST(? AS DATE)"
                         " AND state IN ('verified', 'failed') GROUP BY day HAVING SUM(n) > 0 ORDER BY day",
                         DB_PARAMS(DB_INT(tenant_id), DB_STR(from), DB_STR(to)));
}

int dash_connections(db_t *db, long long tenant_id, struct dbrows *out)
{
    return db_query(db,
                    "SELECT id, kind, system, name, status, status_message,"
                    " COALESCE(DATE_FORMAT(tested_at, '%Y-%m-%d %H:%i UTC'), ''), refresh_status, refresh_message,"
                    " COALESCE(DATE_FORMAT(refreshed_at, '%Y-%m-%d %H:%i UTC'), '')"
                    " FROM connections WHERE tenant_id = ? ORDER BY kind, name, id",
                    DB_PARAMS(DB_INT(tenant_id)), out);
}

/* A review is approved once its status is approved (or applied, which follows approval). */
int dash_review_state(db_t *db, long long tenant_id, const char *month)
{
    char first[16];
    snprintf(first, sizeof first, "%.7s-01", month);
    struct dbrows r;
    if (db_query(db,
                 "SELECT CAST(status AS CHAR) FROM billing_reviews WHERE tenant_id = ? AND month = CAST(? AS DATE)",
                 DB_PARAMS(DB_INT(tenant_id), DB_STR(first)), &r) < 0)
        return -1;
    int state = DASH_REVIEW_NONE;
    if (r.nrows) {
        const char *st = dbrows_get(&r, 0, 0);
        state = st && (!strcmp(st, "approved") || !strcmp(st, "applied")) ? DASH_REVIEW_APPROVED : DASH_REVIEW_OPEN;
    }
    dbrows_free(&r);
    return state;
}

static int ignore_row(void *ctx, int ncols, char **cells, size_t *lens)
{
    (void)ctx, (void)ncols, (void)cells, (void)lens;
    return 0;
}

int dash_warm(db_t *db, long long tenant_id, cdate_t psa_date)
{
    struct dash_counts c;
    struct series_list top;
    if (dash_counts(db, tenant_id, psa_date, &c) < 0 || dash_unbilled_rows(db, tenant_id, ignore_row, NULL) < 0 ||
        dash_top_companies(db, tenant_id, DASH_TOP_BARS, &top) < 0)
        return -1;
    DB_LIST_FREE(&top);
    if (dash_top_products(db, tenant_id, DASH_TOP_BARS, &top) < 0)
        return -1;
    DB_LIST_FREE(&top);
    return margin_warm(db, tenant_id);   /* the Low margin tile and the report behind it (db/margin.h) */
}
