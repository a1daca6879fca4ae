/* reports.c: the subscription reports (see reports.h). One FROM/WHERE for every query of a
 * report (its page, count, totals, chart and export), so they always select the same rows.
 * Sort columns cannot be bound: the key is looked up in a fixed table of SQL expressions and
 * an unknown key never reaches the SQL text. */
#include "db/reports.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define COMPANY "COALESCE(c.name, r.company_source_id)"
#define SUBSCRIPTION "COALESCE(s.name, r.subscription_source_id)"
/* A resource of a suspended or cancelled subscription is as suspended or cancelled as it. */
#define STATUS "CAST(CASE WHEN s.status IS NOT NULL AND s.status <> 'active' THEN s.status ELSE r.status END AS CHAR)"
#define ACCOUNT_N "COALESCE(a.name, p.company_psa_id)"
#define CONTRACT "COALESCE(p.name, rl.psa_contract_id)"
#define SERVICE "COALESCE(sv.name, rl.psa_service_id)"
#define LINKED "CASE WHEN rl.id IS NULL THEN 'not linked' ELSE CONCAT_WS(' / ', " ACCOUNT_N ", " CONTRACT ", " SERVICE ") END"
/* Units on the linked contract service as last read from the PSA (a ConnectWise agreement
 * may carry the same product more than once: the PSA bills the sum). */
#define PSA_UNITS \
    "(SELECT SUM(cs.units) FROM psa_contract_services cs WHERE cs.tenant_id = r.tenant_id" \
    " AND cs.connection_id = rl.psa_connection_id AND cs.contract_psa_id = rl.psa_contract_id" \
    " AND cs.service_psa_id = rl.psa_service_id AND cs.gone = 0)"
#define DIFF "(r.quantity - COALESCE(" PSA_UNITS ", 0))"
/* Exact (DECIMAL) product for ordering; the shown value is money_mul_qty of the same two. */
#define VALUE "(CAST(r.quantity AS DECIMAL(40,0)) * r.unit_cost)"

/* The left joins on unique keys that a query does not use are eliminated by the optimizer. */
#define REPORT_FROM \
    " FROM src_resources r" \
    " JOIN connections k ON k.tenant_id = r.tenant_id AND k.id = r.connection_id" \
    " LEFT JOIN src_subscriptions s ON s.tenant_id = r.tenant_id AND s.connection_id = r.connection_id" \
    "  AND s.source_id = r.subscription_source_id" \
    " LEFT JOIN src_companies c ON c.tenant_id = r.tenant_id AND c.connection_id = r.connection_id" \
    "  AND c.source_id = r.company_source_id" \
    " LEFT JOIN resource_links rl ON rl.tenant_id = r.tenant_id AND rl.src_connection_id = r.connection_id" \
    "  AND rl.src_resource_id = r.source_id AND rl.active_key = 1" \
    " LEFT JOIN psa_contracts p ON p.tenant_id = r.tenant_id AND p.connection_id = rl.psa_connection_id" \
    "  AND p.psa_id = rl.psa_contract_id" \
    " LEFT JOIN psa_companies a ON a.tenant_id = r.tenant_id AND a.connection_id = rl.psa_connection_id" \
    "  AND a.psa_id = p.company_psa_id" \
    " LEFT JOIN psa_services sv ON sv.tenant_id = r.tenant_id AND sv.connection_id = rl.psa_connection_id" \
    "  AND sv.psa_id = rl.psa_service_id"

/* Parameters: tenant, source ×2, company, product ×2, status ×2, q ×3 (see bind_filter()). */
#define REPORT_WHERE \
    " WHERE r.tenant_id = ? AND r.gone = 0 AND COALESCE(s.gone, 0) = 0 AND COALESCE(c.gone, 0) = 0" \
    " AND (? = 0 OR r.connection_id = ?)" \
    " AND " COMPANY " LIKE ?" \
    " AND (r.name LIKE ? OR r.sku LIKE ?)" \
    " AND (? = '' OR " STATUS " = ?)" \
    " AND (" COMPANY " LIKE ? OR " SUBSCRIPTION " LIKE ? OR r.name LIKE ?)"
#define NPARAMS 11

static const char *const kind_where[] = {
    [REPORT_SUBSCRIPTIONS] = "",
    [REPORT_LINKED] = " AND rl.id IS NOT NULL",
    [REPORT_UNLINKED] = " AND rl.id IS NULL",
};

static const char *const kind_cols[] = {
    [REPORT_SUBSCRIPTIONS] = "k.name, " COMPANY ", r.company_source_id, r.subscription_source_id, "
                             SUBSCRIPTION ", r.source_id, r.name, r.quantity, " STATUS ", " LINKED,
    [REPORT_LINKED] = "k.name, " COMPANY ", " SUBSCRIPTION ", r.name, r.quantity, COALESCE(" ACCOUNT_N
                      ", ''), " CONTRACT ", " SERVICE ", " PSA_UNITS ", " DIFF,
    [REPORT_UNLINKED] = "k.name, " COMPANY ", " SUBSCRIPTION ", r.name, r.quantity, r.unit_cost, r.currency",
};

#define K_SUBS (1u << REPORT_SUBSCRIPTIONS)
#define K_LINKED (1u << REPORT_LINKED)
#define K_UNLINKED (1u << REPORT_UNLINKED)
#define K_ALL (K_SUBS | K_LINKED | K_UNLINKED)

/* The sort whitelist: key → SQL expression, and the reports that have the column. */
static const struct {
    const char *key, *expr;
    unsigned kinds;
} sorts[] = {
    {"source", "k.name", K_ALL},
    {"company", COMPANY, K_ALL},
    {"company_id", "r.company_source_id", K_SUBS},
    {"subscription_id", "r.subscription_source_id", K_SUBS},
    {"subscription", SUBSCRIPTION, K_ALL},
    {"resource_id", "r.source_id", K_SUBS},
    {"resource", "r.name", K_ALL},
    {"count", "r.quantity", K_ALL},
    {"status", STATUS, K_SUBS},
    {"linked", LINKED, K_SUBS},
    {"account", "COALESCE(" ACCOUNT_N ", '')", K_LINKED},
    {"contract", CONTRACT, K_LINKED},
    {"service", SERVICE, K_LINKED},
    {"psa_units", PSA_UNITS, K_LINKED},
    {"diff", DIFF, K_LINKED},
    {"unit_cost", "r.unit_cost", K_UNLINKED},
    {"value", VALUE, K_UNLINKED},
    {"currency", "r.currency", K_UNLINKED},
};
#define NSORTS (sizeof sorts / sizeof sorts[0])

static int kind_ok(enum report_kind kind)
{
    return kind >= REPORT_SUBSCRIPTIONS && kind <= REPORT_UNLINKED;
}

static const char *sort_expr(enum report_kind kind, const char *key)
{
    if (!kind_ok(kind) || !key)
        return NULL;
    for (size_t i = 0; i < NSORTS; i++)
        if ((sorts[i].kinds & (1u << kind)) && strcmp(sorts[i].key, key) == 0)
            return sorts[i].expr;
    return NULL;
}

int report_sort_known(enum report_kind kind, const char *key) { return sort_expr(kind, key) != NULL; }

/* Bound values of REPORT_WHERE, plus room for LIMIT and OFFSET. */
struct bound {
    char company[2 * REPORT_TEXT_MAX + 3], product[2 * REPORT_TEXT_MAX + 3], q[2 * REPORT_TEXT_MAX + 3];
    struct dbv v[NPARAMS + 2];
};

static int bind_filter(struct bound *b, long long tenant_id, const struct report_filter *f)
{
    const char *status = f->status ? f->status : "";
    if (db_like_pattern(f->company, b->company, sizeof b->company) < 0 ||
        db_like_pattern(f->product, b->product, sizeof b->product) < 0 ||
        db_like_pattern(f->q, b->q, sizeof b->q) < 0)
        return -1;                /* longer than REPORT_TEXT_MAX: refuse rather than widen */
    struct dbv v[NPARAMS] = {
        DB_INT(tenant_id), DB_INT(f->source), DB_INT(f->source), DB_STR(b->company),
        DB_STR(b->product), DB_STR(b->product), DB_STR(status), DB_STR(status),
        DB_STR(b->q), DB_STR(b->q), DB_STR(b->q),
    };
    memcpy(b->v, v, sizeof v);
    return 0;
}

/* SELECT <cols> FROM ... WHERE ...<tail>; -1 when it does not fit (a programming error). */
static int build(char *sql, size_t n, enum report_kind kind, const char *cols, const char *tail)
{
    int k = snprintf(sql, n, "SELECT %s" REPORT_FROM REPORT_WHERE "%s%s", cols, kind_where[kind], tail);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

#define SQL_MAX 8192

int report_count(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                 long long *rows, long long *qty_sum)
{
    char sql[SQL_MAX];
    struct bound b;
    struct dbrows r;
    if (!kind_ok(kind) || bind_filter(&b, tenant_id, f) < 0 ||
        build(sql, sizeof sql, kind, "COUNT(*), COALESCE(SUM(r.quantity), 0)", "") < 0 ||
        db_query(db, sql, b.v, NPARAMS, &r) < 0)
        return -1;
    *rows = dbrows_int(&r, 0, 0, 0);
    *qty_sum = dbrows_int(&r, 0, 1, 0);
    dbrows_free(&r);
    return 0;
}

static int ordered(char *sql, size_t n, enum report_kind kind, const char *sort, int desc)
{
    const char *expr = sort_expr(kind, sort);
    char tail[1200];
    if (!expr)
        return -1;
    int k = snprintf(tail, sizeof tail, " ORDER BY %s%s, r.id LIMIT ? OFFSET ?", expr, desc ? " DESC" : "");
    if (k < 0 || (size_t)k >= sizeof tail)
        return -1;
    return build(sql, n, kind, kind_cols[kind], tail);
}

int report_rows(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                const char *sort, int desc, int limit, long long offset, struct dbrows *out)
{
    char sql[SQL_MAX];
    struct bound b;
    if (!kind_ok(kind) || bind_filter(&b, tenant_id, f) < 0 || ordered(sql, sizeof sql, kind, sort, desc) < 0)
        return -1;
    b.v[NPARAMS] = DB_INT(limit);
    b.v[NPARAMS + 1] = DB_INT(offset);
    return db_query(db, sql, b.v, NPARAMS + 2, out);
}

int report_stream(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                  const char *sort, int desc, db_row_fn fn, void *ctx)
{
    char sql[SQL_MAX];
    struct bound b;
    if (!kind_ok(kind) || bind_filter(&b, tenant_id, f) < 0 || ordered(sql, sizeof sql, kind, sort, desc) < 0)
        return -1;
    /* The page's own statement with no effective limit: one prepared statement serves both. */
    b.v[NPARAMS] = DB_INT(LLONG_MAX);
    b.v[NPARAMS + 1] = DB_INT(0);
    return db_stream(db, sql, b.v, NPARAMS + 2, fn, ctx);
}

int report_amounts(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                   db_row_fn fn, void *ctx)
{
    char sql[SQL_MAX];
    struct bound b;
    if (!kind_ok(kind) || bind_filter(&b, tenant_id, f) < 0 ||
        build(sql, sizeof sql, kind, "r.quantity, r.unit_cost, r.currency", "") < 0)
        return -1;
    return db_stream(db, sql, b.v, NPARAMS, fn, ctx);
}

int report_top_companies(db_t *db, long long tenant_id, enum report_kind kind,
                         const struct report_filter *f, int limit, struct dbrows *out)
{
    char sql[SQL_MAX];
    struct bound b;
    if (!kind_ok(kind) || bind_filter(&b, tenant_id, f) < 0 ||
        build(sql, sizeof sql, kind, COMPANY " AS company, SUM(r.quantity) AS total",
              " GROUP BY " COMPANY " ORDER BY total DESC, company LIMIT ?") < 0)
        return -1;
    b.v[NPARAMS] = DB_INT(limit);
    return db_query(db, sql, b.v, NPARAMS + 1, out);
}

int report_sources(db_t *db, long long tenant_id, struct dbrows *out)
{
    return db_query(db, "SELECT id, name FROM connections WHERE tenant_id = ? AND kind = 'source' ORDER BY name, id",
                    DB_PARAMS(DB_INT(tenant_id)), out);
}
