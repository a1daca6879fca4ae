/* margin.c: the margin report's queries (see margin.h). One statement text per request shape:
 * two branches (resource links; annual subscriptions billed by charges) with the same columns,
 * each with the set filters as bound conditions, then the money of a row by core/margin.h's
 * rule in SQL integers (MARGIN_RHE), then the flag against the bound threshold. Sort columns are
 * looked up in a fixed table; an unknown key never reaches the SQL text. */
#include "db/margin.h"

#include "core/margin.h"
#include "db/subs_sql.h"
#include "db/tenant_cache.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define COMPANY "COALESCE(c.name, r.company_source_id)"
#define ACCOUNT "COALESCE(a.name, p.company_psa_id, '')"

/* N / D rounded half-even to an integer, D > 0 (core/margin.c margin_div_half_even): exact
 * DECIMAL integer arithmetic, the negative half mirrored. */
#define RHE_POS(N, D) "((" N ") DIV (" D ") + (2 * ((" N ") MOD (" D ")) > (" D ") OR (2 * ((" N ") MOD (" D ")) = (" D \
    ") AND ((" N ") DIV (" D ")) MOD 2 = 1)))"
#define MARGIN_RHE(N, D) "(CASE WHEN (" N ") >= 0 THEN " RHE_POS(N, D) " ELSE -" RHE_POS("-(" N ")", D) " END)"

/* The common joins of a resource: connection, subscription, company (subs_sql.h's rows). */
#define RES_JOINS \
    " FROM src_resources r" \
    " JOIN connections k ON k.tenant_id = r.tenant_id AND k.id = r.connection_id" \
    " LEFT JOIN src_subscriptions s ON s.tenant_id = r.tenant_id AND s.connection_id = r.connection_id" \
    "  AND s.source_id = r.subscription_source_id" \
    " LEFT JOIN src_companies c ON c.tenant_id = r.tenant_id AND c.connection_id = r.connection_id" \
    "  AND c.source_id = r.company_source_id"

/* Branch 1: resources with an active resource link (usage left out). The contract service's
 * units (a ConnectWise agreement may hold a product twice: their sum) and its price (the first
 * cached row's; none or 0, i.e. not set on the contract: the service's list price), the
 * contract's cycle, and the seats of every link feeding the service (doc/ledger.md: the service
 * bills their sum). The two per-service sums are grouped once per statement (derived tables csa
 * and wa, each binding the tenant), not computed per row: at 50,000 links correlated subqueries
 * cost seconds. */
#define LINK_BRANCH \
    "SELECT r.id AS rid, 1 AS kind, r.quantity AS seats, r.unit_cost, IF(" SUBS_ANNUAL ", 12, 1) AS cost_months," \
    " r.currency, COALESCE(csa.units, 0) AS units, COALESCE(NULLIF(cs1.unit_price, 0), sv.unit_price, 0) AS price," \
    " GREATEST(COALESCE(p.cycle_months, 1), 1) AS price_months, COALESCE(wa.w, 0) AS w," \
    " (csa.first_id IS NOT NULL OR sv.id IS NOT NULL) AS has_price" \
    RES_JOINS \
    " JOIN resource_links rl ON rl.tenant_id = r.tenant_id AND rl.src_connection_id = r.connection_id" \
    "  AND rl.src_resource_id = r.source_id AND rl.active_key = 1" \
    " LEFT JOIN psa_contracts p ON p.tenant_id = r.tenant_id AND p.connection_id = rl.psa_connection_id" \
    "  AND p.psa_id = rl.psa_contract_id" \
    " LEFT JOIN psa_companies a ON a.tenant_id = r.tenant_id AND a.connection_id = rl.psa_connection_id" \
    "  AND a.psa_id = p.company_psa_id" \
    " LEFT JOIN psa_services sv ON sv.tenant_id = r.tenant_id AND sv.connection_id = rl.psa_connection_id" \
    "  AND sv.psa_id = rl.psa_service_id" \
    " LEFT JOIN (SELECT cs.connection_id, cs.contract_psa_id, cs.service_psa_id, SUM(cs.units) AS units," \
    "  MIN(cs.id) AS first_id FROM psa_contract_services cs WHERE cs.tenant_id = ? AND cs.gone = 0" \
    "  GROUP BY cs.connection_id, cs.contract_psa_id, cs.service_psa_id) csa" \
    "  ON csa.connection_id = rl.psa_connection_id AND csa.contract_psa_id = rl.psa_contract_id" \
    "  AND csa.service_psa_id = rl.psa_service_id" \
    " LEFT JOIN psa_contract_services cs1 ON cs1.id = csa.first_id" \
    " LEFT JOIN (SELECT o.psa_connection_id, o.psa_contract_id, o.psa_service_id, SUM(x.quantity) AS w" \
    "  FROM resource_links o JOIN src_resources x ON x.tenant_id = o.tenant_id" \
    "  AND x.connection_id = o.src_connection_id AND x.source_id = o.src_resource_id AND x.gone = 0" \
    "  WHERE o.tenant_id = ? AND o.active_key = 1" \
    "  GROUP BY o.psa_connection_id, o.psa_contract_id, o.psa_service_id) wa" \
    "  ON wa.psa_connection_id = rl.psa_connection_id AND wa.psa_contract_id = rl.psa_contract_id" \
    "  AND wa.psa_service_id = rl.psa_service_id" \
    SUBS_LIVE " AND NOT " SUBS_USAGE

/* Branch 2: annual resources billed by one-time charges (subs_sql.h SUBS_BY_CHARGE). The price
 * is the newest posted annual charge of the subscription on its linked contract (its key starts
 * "annual:<connection>:<subscription>:", worker/charges.c): a price for the year. */
#define CHG_MATCH \
    " ch.tenant_id = r.tenant_id AND ch.kind = 'annual' AND ch.state = 'posted'" \
    " AND ch.src_connection_id = r.connection_id AND ch.psa_connection_id = sl.psa_connection_id" \
    " AND ch.psa_contract_id = sl.psa_contract_id" \
    " AND LEFT(ch.charge_key, CHAR_LENGTH(CONCAT('annual:', r.connection_id, ':', r.subscription_source_id, ':')))" \
    "  = CONCAT('annual:', r.connection_id, ':', r.subscription_source_id, ':')"
#define CHARGE_BRANCH \
    "SELECT r.id, 2, r.quantity, r.unit_cost, 12, r.currency, r.quantity," \
    " COALESCE((SELECT ch.unit_price FROM charges_posted ch WHERE" CHG_MATCH \
    "  ORDER BY ch.charge_date DESC, ch.id DESC LIMIT 1), 0), 12, 0," \
    " EXISTS (SELECT 1 FROM charges_posted ch WHERE" CHG_MATCH ")" \
    RES_JOINS \
    " JOIN subscription_links sl ON sl.tenant_id = r.tenant_id AND sl.src_connection_id = r.connection_id" \
    "  AND sl.src_subscription_id = r.subscription_source_id AND sl.active_key = 1" \
    " LEFT JOIN resource_links rl ON rl.tenant_id = r.tenant_id AND rl.src_connection_id = r.connection_id" \
    "  AND rl.src_resource_id = r.source_id AND rl.active_key = 1" \
    " LEFT JOIN psa_contracts p ON p.tenant_id = r.tenant_id AND p.connection_id = sl.psa_connection_id" \
    "  AND p.psa_id = sl.psa_contract_id" \
    " LEFT JOIN psa_companies a ON a.tenant_id = r.tenant_id AND a.connection_id = sl.psa_connection_id" \
    "  AND a.psa_id = p.company_psa_id" \
    SUBS_LIVE " AND rl.id IS NULL AND " SUBS_ANNUAL

/* A row's money (b: a branch row): cents, by core/margin.h margin_monthly. */
#define COST_N "CAST(b.seats AS DECIMAL(40,0)) * b.unit_cost"
#define COST_D "100000 * b.cost_months"
#define REV_N "CAST(b.units AS DECIMAL(40,0)) * b.price * IF(b.w = 0, 1, b.seats)"
#define REV_D "CAST(100000 * b.price_months AS DECIMAL(40,0)) * IF(b.w = 0, 1, b.w)"
#define PCT_N "(m.rev_c - m.cost_c) * 1000"
#define PCT "IF(m.rev_c > 0, " MARGIN_RHE(PCT_N, "m.rev_c") ", NULL)"

/* The names of a computed row x (kind 1: a resource link, 2: the charge route), joined last: the
 * levels above carry ids and numbers only (wide name columns in each materialized level cost
 * more than the arithmetic). Unused left joins on unique keys are eliminated. */
#define NAME_JOINS \
    " JOIN src_resources r ON r.id = x.rid" \
    " JOIN connections k ON k.tenant_id = r.tenant_id AND k.id = r.connection_id" \
    " LEFT JOIN src_companies c ON c.tenant_id = r.tenant_id AND c.connection_id = r.connection_id" \
    "  AND c.source_id = r.company_source_id" \
    " LEFT JOIN resource_links rl ON x.kind = 1 AND rl.tenant_id = r.tenant_id" \
    "  AND rl.src_connection_id = r.connection_id AND rl.src_resource_id = r.source_id AND rl.active_key = 1" \
    " LEFT JOIN subscription_links sl ON x.kind = 2 AND sl.tenant_id = r.tenant_id" \
    "  AND sl.src_connection_id = r.connection_id AND sl.src_subscription_id = r.subscription_source_id" \
    "  AND sl.active_key = 1" \
    " LEFT JOIN psa_contracts p ON p.tenant_id = r.tenant_id" \
    "  AND p.connection_id = COALESCE(rl.psa_connection_id, sl.psa_connection_id)" \
    "  AND p.psa_id = COALESCE(rl.psa_contract_id, sl.psa_contract_id)" \
    " LEFT JOIN psa_companies a ON a.tenant_id = r.tenant_id AND a.connection_id = p.connection_id" \
    "  AND a.psa_id = p.company_psa_id" \
    " LEFT JOIN psa_services sv ON sv.tenant_id = r.tenant_id AND sv.connection_id = rl.psa_connection_id" \
    "  AND sv.psa_id = rl.psa_service_id"
#define N_SERVICE \
    "IF(x.kind = 2, CONCAT(COALESCE(p.name, sl.psa_contract_id), ' / annual charges')," \
    " CONCAT_WS(' / ', COALESCE(p.name, rl.psa_contract_id), COALESCE(sv.name, rl.psa_service_id)))"

/* The outer columns (enum margin_col). */
#define OUT_COLS \
    "x.rid, k.name, " COMPANY ", " ACCOUNT ", r.name, " N_SERVICE ", x.seats, x.unit_cost, x.cost_months," \
    " x.currency, x.units, x.price, x.price_months, x.w, x.has_price, x.rev_c, x.cost_c, x.flagged"

static const struct {
    const char *key, *expr;
} sorts[] = {
    {"source", "k.name"},         {"company", COMPANY},
    {"account", ACCOUNT},         {"product", "r.name"},
    {"service", N_SERVICE},       {"billing", "GREATEST(x.cost_months, x.price_months)"},
    {"seats", "x.seats"},         {"unit_cost", "x.unit_cost"},
    {"price", "x.price"},         {"units", "x.units"},
    {"revenue", "x.rev_c"},       {"cost", "x.cost_c"},
    {"margin", "x.rev_c - x.cost_c"}, {"margin_pct", "x.pct"},
    {"flag", "x.flagged"},        {"currency", "x.currency"},
};

static const char *sort_expr(const char *key)
{
    for (size_t i = 0; key && i < sizeof sorts / sizeof sorts[0]; i++)
        if (!strcmp(sorts[i].key, key))
            return sorts[i].expr;
    return NULL;
}

int margin_sort_known(const char *key) { return sort_expr(key) != NULL; }

#define PATTERN (2 * 200 + 3)
#define MAX_PARAMS 24
#define SQL_MAX 16384

struct bound {
    char company[PATTERN], product[PATTERN];
    char cond[600];               /* the set filters' conditions, the same for both branches */
    size_t clen;
    struct dbv v[MAX_PARAMS + 2];
    int n;
};

static int add_cond(struct bound *b, const char *sql)
{
    int k = snprintf(b->cond + b->clen, sizeof b->cond - b->clen, " AND %s", sql);
    if (k < 0 || (size_t)k >= sizeof b->cond - b->clen)
        return -1;
    b->clen += (size_t)k;
    return 0;
}

/* The values of one branch: (the link branch: the tenant of its two grouped sums), the tenant
 * of its WHERE, then the set filters. */
static void branch_values(struct bound *b, long long tenant_id, const struct margin_filter *f, int link)
{
    if (link) {                   /* the link branch's grouped sums (csa, wa) */
        b->v[b->n++] = DB_INT(tenant_id);
        b->v[b->n++] = DB_INT(tenant_id);
    }
    b->v[b->n++] = DB_INT(tenant_id);
    if (f->source)
        b->v[b->n++] = DB_INT(f->source);
    if (f->psa)
        b->v[b->n++] = DB_INT(f->psa);
    if (f->company && *f->company) {
        b->v[b->n++] = DB_STR(b->company);
        b->v[b->n++] = DB_STR(b->company);
    }
    if (f->product && *f->product) {
        b->v[b->n++] = DB_STR(b->product);
        b->v[b->n++] = DB_STR(b->product);
        b->v[b->n++] = DB_STR(b->product);
    }
}

/* SELECT <cols> FROM (rows with money and flag) x WHERE <flagged?><tail>, values bound in
 * order: threshold, branch 1, branch 2 (the caller adds the tail's). */
static int build(char *sql, size_t n, struct bound *b, long long tenant_id, const struct margin_filter *f,
                 const char *cols, int names, const char *tail)
{
    memset(b, 0, sizeof *b);
    if (f->company && *f->company && db_like_pattern(f->company, b->company, sizeof b->company) < 0)
        return -1;
    if (f->product && *f->product && db_like_pattern(f->product, b->product, sizeof b->product) < 0)
        return -1;
    /* the branches name the PSA connection differently: {psa} is replaced below */
    if ((f->source && add_cond(b, "r.connection_id = ?") < 0) || (f->psa && add_cond(b, "{psa} = ?") < 0) ||
        (f->company && *f->company && add_cond(b, "(" COMPANY " LIKE ? OR " ACCOUNT " LIKE ?)") < 0) ||
        (f->product && *f->product && add_cond(b, "(r.name LIKE ? OR r.sku LIKE ? OR {service} LIKE ?)") < 0))
        return -1;
    char c1[700], c2[700];
    const char *psa[2] = {"rl.psa_connection_id", "sl.psa_connection_id"};
    const char *svc[2] = {"COALESCE(sv.name, '')", "'annual charges'"};
    char *outs[2] = {c1, c2};
    for (int br = 0; br < 2; br++) {
        size_t o = 0;
        for (const char *p = b->cond; *p && o + 40 < sizeof c1;) {
            const char *rep = !strncmp(p, "{psa}", 5) ? psa[br] : !strncmp(p, "{service}", 9) ? svc[br] : NULL;
            if (rep) {
                o += (size_t)snprintf(outs[br] + o, sizeof c1 - o, "%s", rep);
                p += !strncmp(p, "{psa}", 5) ? 5 : 9;
            } else
                outs[br][o++] = *p++;
        }
        outs[br][o] = 0;
    }
    b->v[b->n++] = DB_INT(f->threshold);
    branch_values(b, tenant_id, f, 1);
    branch_values(b, tenant_id, f, 0);
    /* Each level is materialized once (derived_merge off): merged, the rounding of the rounding
     * would be expanded into one expression that repeats each inner one eight times per row. */
    int k = snprintf(sql, n,
                     "SET STATEMENT optimizer_switch = 'derived_merge=off' FOR"
                     " SELECT %s FROM (SELECT m.*, " PCT " AS pct,"
                     " (m.rev_c - m.cost_c < 0 OR (m.rev_c > 0 AND " MARGIN_RHE(PCT_N, "m.rev_c") " < ?)) AS flagged"
                     " FROM (SELECT v.*, " MARGIN_RHE("v.cn", "v.cd") " AS cost_c, " MARGIN_RHE("v.rn", "v.rd") " AS rev_c"
                     " FROM (SELECT b.*, " COST_N " AS cn, " COST_D " AS cd, " REV_N " AS rn, " REV_D " AS rd"
                     " FROM (" LINK_BRANCH "%s UNION ALL " CHARGE_BRANCH "%s) b) v) m) x%s WHERE %s%s",
                     cols, c1, c2, names ? NAME_JOINS : "", f->flagged ? "x.flagged = 1" : "1 = 1", tail);
    return k < 0 || (size_t)k >= n || b->n > MAX_PARAMS ? -1 : 0;
}

static int ordered(char *sql, size_t n, struct bound *b, long long tenant_id, const struct margin_filter *f,
                   const char *sort, int desc)
{
    const char *expr = sort_expr(sort);
    char tail[300];
    if (!expr)
        return -1;
    const char *dir = desc ? " DESC" : "";
    snprintf(tail, sizeof tail, " ORDER BY %s%s, x.rid%s LIMIT ? OFFSET ?", expr, dir, dir);
    return build(sql, n, b, tenant_id, f, OUT_COLS, 1, tail);
}

int margin_rows(db_t *db, long long tenant_id, const struct margin_filter *f, const char *sort, int desc, int limit,
                long long offset, struct dbrows *out)
{
    char sql[SQL_MAX];
    struct bound b;
    if (ordered(sql, sizeof sql, &b, tenant_id, f, sort, desc) < 0)
        return -1;
    b.v[b.n] = DB_INT(limit);
    b.v[b.n + 1] = DB_INT(offset);
    return tcache_query_auto(db, tenant_id, "margin:rows:", sql, b.v, b.n + 2, out);
}

int margin_stream(db_t *db, long long tenant_id, const struct margin_filter *f, const char *sort, int desc,
                  db_row_fn fn, void *ctx)
{
    char sql[SQL_MAX];
    struct bound b;
    if (ordered(sql, sizeof sql, &b, tenant_id, f, sort, desc) < 0)
        return -1;
    b.v[b.n] = DB_INT(LLONG_MAX);
    b.v[b.n + 1] = DB_INT(0);
    return db_stream(db, sql, b.v, b.n + 2, fn, ctx);
}

static void total_fill(const struct dbrows *r, int i, void *p)
{
    struct margin_total *t = p;
    t->currency = dbrows_get(r, i, 0);
    t->rows = dbrows_int(r, i, 1, 0);
    t->seats = dbrows_int(r, i, 2, 0);
    t->rev_c = dbrows_int(r, i, 3, 0);
    t->cost_c = dbrows_int(r, i, 4, 0);
    t->flagged = dbrows_int(r, i, 5, 0);
}

int margin_totals(db_t *db, long long tenant_id, const struct margin_filter *f, struct margin_total_list *out)
{
    char sql[SQL_MAX];
    struct bound b;
    memset(out, 0, sizeof *out);
    if (build(sql, sizeof sql, &b, tenant_id, f,
              "x.currency, COUNT(*), SUM(x.seats), SUM(x.rev_c), SUM(x.cost_c), SUM(x.flagged)", 0,
              " GROUP BY x.currency ORDER BY x.currency") < 0 ||
        tcache_query_auto(db, tenant_id, "margin:totals:", sql, b.v, b.n, &out->rows) < 0)
        return -1;
    return DB_LIST_FILL(out, total_fill);
}

int margin_flagged_count(db_t *db, long long tenant_id, long long *out)
{
    int thr;
    struct margin_total_list t;
    struct margin_filter f = {.flagged = 1};
    if (margin_threshold_get(db, tenant_id, &thr) < 0)
        return -1;
    f.threshold = thr;
    if (margin_totals(db, tenant_id, &f, &t) < 0)
        return -1;
    *out = 0;
    for (int i = 0; i < t.n; i++)
        *out += t.v[i].rows;
    DB_LIST_FREE(&t);
    return 0;
}

int margin_top_companies(db_t *db, long long tenant_id, const struct margin_filter *f, int limit,
                         struct series_list *out)
{
    char sql[SQL_MAX];
    struct bound b;
    memset(out, 0, sizeof *out);
    if (build(sql, sizeof sql, &b, tenant_id, f, COMPANY " AS company, SUM(x.rev_c - x.cost_c) AS total", 1,
              " GROUP BY company ORDER BY total DESC, company LIMIT ?") < 0)
        return -1;
    b.v[b.n] = DB_INT(limit);
    if (tcache_query_auto(db, tenant_id, "margin:top:", sql, b.v, b.n + 1, &out->rows) < 0)
        return -1;
    return DB_LIST_FILL(out, series_fill);
}

int margin_threshold_get(db_t *db, long long tenant_id, int *out)
{
    long long v;
    int found = db_scalar(db, "SELECT margin_threshold_tenths FROM tenant_policies WHERE tenant_id = ?",
                          DB_PARAMS(DB_INT(tenant_id)), &v);
    if (found < 0)
        return -1;
    *out = found ? (int)v : MARGIN_THRESHOLD_DEFAULT;
    return 0;
}

int margin_threshold_set(db_t *db, long long tenant_id, int tenths)
{
    if (tenths < 0 || tenths > MARGIN_THRESHOLD_MAX)
        return -1;
    return db_exec(db,
                   "INSERT INTO tenant_policies (tenant_id, margin_threshold_tenths) VALUES (?, ?)"
                   " ON DUPLICATE KEY UPDATE margin_threshold_tenths = VALUES(margin_threshold_tenths),"
                   " updated_at = UTC_TIMESTAMP(6)",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(tenths)), NULL, NULL);
}

int margin_warm(db_t *db, long long tenant_id)
{
    struct margin_filter f = {0};
    struct margin_total_list t;
    struct series_list top;
    struct dbrows rows;
    if (margin_threshold_get(db, tenant_id, &f.threshold) < 0)
        return -1;
    for (int flagged = 0; flagged <= 1; flagged++) {
        f.flagged = flagged;
        if (margin_totals(db, tenant_id, &f, &t) < 0)
            return -1;
        DB_LIST_FREE(&t);
        if (margin_rows(db, tenant_id, &f, flagged ? "margin" : "company", 0, MARGIN_PAGE_ROWS, 0, &rows) < 0)
            return -1;
        dbrows_free(&rows);
        if (margin_top_companies(db, tenant_id, &f, MARGIN_CHART_BARS, &top) < 0)
            return -1;
        DB_LIST_FREE(&top);
    }
    return 0;
}

static void conn_fill(const struct dbrows *r, int i, void *p)
{
    struct margin_conn *c = p;
    c->id = dbrows_int(r, i, 0, 0);
    c->id_text = dbrows_get(r, i, 0);
    c->name = dbrows_get(r, i, 1);
    c->kind = dbrows_get(r, i, 2);
}

int margin_connections(db_t *db, long long tenant_id, struct margin_conn_list *out)
{
    return DB_LIST_QUERY(db, out, conn_fill,
                         "SELECT id, name, CAST(kind AS CHAR) FROM connections WHERE tenant_id = ?"
                         " ORDER BY kind, name, id",
                         DB_PARAMS(DB_INT(tenant_id)));
}
