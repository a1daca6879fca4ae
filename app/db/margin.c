/* margin.c: the margin report's queries (see margin.h). One statement text per request shape:
 * two branches (resource links; annual subscriptions billed by charges) with the same columns,
 * each with the set filters as bound conditions, then the money of a row by core/margin.h's
 * rule in SQL integers (MARGIN_RHE), then the flag against the bound threshold. Sort columns are
 * looked up in a fixed table; an unknown key never reaches the SQL text. */
#include "db/margin.h"

#include "core/margin.h"
#include "db/subs_sql.h"
#include "db/tenant_cache.h"
#include "common/log.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* Each sort: its key, its expression in the live statement (over x and the names), and in
 * the fill (over y, the computed row with its names: db/margin.c margin_fill ranks every row by
 * it, the rank stored as margin_rows.o_<key>). */
static const struct {
    const char *key, *expr, *fill;
} sorts[] = {
    {"source", "k.name", "y.source"},
    {"company", COMPANY, "y.company"},
    {"account", ACCOUNT, "y.account"},
    {"product", "r.name", "y.product"},
    {"service", N_SERVICE, "y.service"},
    {"billing", "GREATEST(x.cost_months, x.price_months)", "GREATEST(y.cost_months, y.price_months)"},
    {"seats", "x.seats", "y.seats"},
    {"unit_cost", "x.unit_cost", "y.unit_cost"},
    {"price", "x.price", "y.price"},
    {"units", "x.units", "y.units"},
    {"revenue", "x.rev_c", "y.rev_c"},
    {"cost", "x.cost_c", "y.cost_c"},
    {"margin", "x.rev_c - x.cost_c", "y.rev_c - y.cost_c"},
    {"margin_pct", "x.pct", "y.pct"},
    {"flag", "x.flagged", "y.flagged"},
    {"currency", "x.currency", "y.currency"},
};
#define NSORTS (sizeof sorts / sizeof sorts[0])

static int sort_index(const char *key)
{
    for (size_t i = 0; key && i < NSORTS; i++)
        if (!strcmp(sorts[i].key, key))
            return (int)i;
    return -1;
}

static const char *sort_expr(const char *key)
{
    int i = sort_index(key);
    return i < 0 ? NULL : sorts[i].expr;
}

int margin_sort_known(const char *key) { return sort_index(key) >= 0; }

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
static int build_wrapped(char *sql, size_t n, struct bound *b, long long tenant_id, const struct margin_filter *f,
                         const char *cols, int names, const char *tail, const char *pre, const char *post,
                         const struct dbv *lead, int nlead)
{
    memset(b, 0, sizeof *b);
    for (int i = 0; i < nlead; i++)
        b->v[b->n++] = lead[i];
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
                     " %sSELECT %s FROM (SELECT m.*, " PCT " AS pct,"
                     " (m.rev_c - m.cost_c < 0 OR (m.rev_c > 0 AND " MARGIN_RHE(PCT_N, "m.rev_c") " < ?)) AS flagged"
                     " FROM (SELECT v.*, " MARGIN_RHE("v.cn", "v.cd") " AS cost_c, " MARGIN_RHE("v.rn", "v.rd") " AS rev_c"
                     " FROM (SELECT b.*, " COST_N " AS cn, " COST_D " AS cd, " REV_N " AS rn, " REV_D " AS rd"
                     " FROM (" LINK_BRANCH "%s UNION ALL " CHARGE_BRANCH "%s) b) v) m) x%s WHERE %s%s%s",
                     pre, cols, c1, c2, names ? NAME_JOINS : "", f->flagged ? "x.flagged = 1" : "1 = 1", tail, post);
    return k < 0 || (size_t)k >= n || b->n > MAX_PARAMS ? -1 : 0;
}

static int build(char *sql, size_t n, struct bound *b, long long tenant_id, const struct margin_filter *f,
                 const char *cols, int names, const char *tail)
{
    return build_wrapped(sql, n, b, tenant_id, f, cols, names, tail, "", "", NULL, 0);
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

/* --- the computed rows (sql/022 margin_rows), filled by the figures job ------------------------ */

/* A set's columns as the live statement's OUT_COLS (enum margin_col). */
#define T_COLS \
    "m.rid, m.source, m.company, m.account, m.product, m.service, m.seats, m.unit_cost, m.cost_months," \
    " m.currency, m.units, m.price, m.price_months, m.w, m.has_price, m.rev_c, m.cost_c, m.flagged"
/* The computed row y of the fill, in margin_rows' column order (then the ranks). */
#define FILL_COLS \
    "x.rid, x.kind, k.name AS source, " COMPANY " AS company, " ACCOUNT " AS account, r.name AS product," \
    " r.sku, IF(x.kind = 2, 'annual charges', COALESCE(sv.name, '')) AS svc_match, " N_SERVICE " AS service," \
    " r.connection_id AS src_conn, COALESCE(rl.psa_connection_id, sl.psa_connection_id) AS psa_conn," \
    " x.seats, x.unit_cost, x.cost_months, x.currency, x.units, x.price, x.price_months, x.w, x.has_price," \
    " x.rev_c, x.cost_c, x.pct, x.flagged"
#define FILL_INTO \
    "INSERT INTO margin_rows (tenant_id, set_no, rid, kind, source, company, account, product, sku, svc_match," \
    " service, src_conn, psa_conn, seats, unit_cost, cost_months, currency, units, price, price_months, w," \
    " has_price, rev_c, cost_c, pct, flagged"

int margin_set_fresh(db_t *db, long long tenant_id, int threshold, long long *set_no)
{
    long long v = 0;
    int found = db_scalar(db,
                          "SELECT s.set_no FROM margin_sets s WHERE s.tenant_id = ? AND s.set_no IS NOT NULL"
                          " AND s.threshold = ? AND s.gen = COALESCE((SELECT g.gen FROM tenant_gen g"
                          " WHERE g.tenant_id = ?), 0)",
                          DB_PARAMS(DB_INT(tenant_id), DB_INT(threshold), DB_INT(tenant_id)), &v);
    *set_no = found > 0 ? v : 0;
    return found < 0 ? -1 : found;
}

/* The rows of f's set (alias a) that match f's filters, as bound conditions. */
struct tbound {
    char company[PATTERN], product[PATTERN];
    char where[700];
    struct dbv v[16];
    int n;
};

static int table_where(struct tbound *b, const char *a, long long tenant_id, const struct margin_filter *f)
{
    memset(b, 0, sizeof *b);
    if (f->company && *f->company && db_like_pattern(f->company, b->company, sizeof b->company) < 0)
        return -1;
    if (f->product && *f->product && db_like_pattern(f->product, b->product, sizeof b->product) < 0)
        return -1;
    int k = snprintf(b->where, sizeof b->where, "%s.tenant_id = ? AND %s.set_no = ?", a, a);
    b->v[b->n++] = DB_INT(tenant_id);
    b->v[b->n++] = DB_INT(f->set_no);
    if (f->source) {
        k += snprintf(b->where + k, sizeof b->where - (size_t)k, " AND %s.src_conn = ?", a);
        b->v[b->n++] = DB_INT(f->source);
    }
    if (f->psa) {
        k += snprintf(b->where + k, sizeof b->where - (size_t)k, " AND %s.psa_conn = ?", a);
        b->v[b->n++] = DB_INT(f->psa);
    }
    if (f->company && *f->company) {
        k += snprintf(b->where + k, sizeof b->where - (size_t)k, " AND (%s.company LIKE ? OR %s.account LIKE ?)",
                      a, a);
        b->v[b->n++] = DB_STR(b->company);
        b->v[b->n++] = DB_STR(b->company);
    }
    if (f->product && *f->product) {
        k += snprintf(b->where + k, sizeof b->where - (size_t)k,
                      " AND (%s.product LIKE ? OR %s.sku LIKE ? OR %s.svc_match LIKE ?)", a, a, a);
        b->v[b->n++] = DB_STR(b->product);
        b->v[b->n++] = DB_STR(b->product);
        b->v[b->n++] = DB_STR(b->product);
    }
    if (f->flagged)
        k += snprintf(b->where + k, sizeof b->where - (size_t)k, " AND %s.flagged = 1", a);
    return k < 0 || (size_t)k >= sizeof b->where ? -1 : 0;
}

/* A page: its ids from the sort's rank index (filters checked on the way), then those rows. */
static int table_rows(db_t *db, long long tenant_id, const struct margin_filter *f, const char *sort, int desc,
                      int limit, long long offset, struct dbrows *out)
{
    char sql[2048];
    struct tbound b;
    int si = sort_index(sort);
    const char *dir = desc ? " DESC" : "";
    if (si < 0 || table_where(&b, "i", tenant_id, f) < 0)
        return -1;
    /* A text filter matches few rows: one pass over the set, then a sort of those, costs less
     * than reading rows in the rank's order by their ids (56 against 145 ms at 52,000 rows). */
    int text = (f->company && *f->company) || (f->product && *f->product);
    int k = snprintf(sql, sizeof sql,
                     "SELECT " T_COLS " FROM (SELECT i.rid, i.o_%s AS o FROM margin_rows i%s%s%s WHERE %s"
                     " ORDER BY i.o_%s%s LIMIT ? OFFSET ?) p"
                     " JOIN margin_rows m ON m.tenant_id = ? AND m.set_no = ? AND m.rid = p.rid ORDER BY p.o%s",
                     sorts[si].key, text ? " IGNORE INDEX (ix_" : "", text ? sorts[si].key : "", text ? ")" : "",
                     b.where, sorts[si].key, dir, dir);
    if (k < 0 || (size_t)k >= sizeof sql)
        return -1;
    b.v[b.n++] = DB_INT(limit);
    b.v[b.n++] = DB_INT(offset);
    b.v[b.n++] = DB_INT(tenant_id);
    b.v[b.n++] = DB_INT(f->set_no);
    return tcache_query_auto(db, tenant_id, "margin:trows:", sql, b.v, b.n, out);
}

/* Every matching row in the page's order, read in the order of the sort's rank index: no sort
 * before the first row. */
static int table_stream(db_t *db, long long tenant_id, const struct margin_filter *f, const char *sort, int desc,
                        db_row_fn fn, void *ctx)
{
    char sql[2048];
    struct tbound b;
    int si = sort_index(sort);
    if (si < 0 || table_where(&b, "m", tenant_id, f) < 0)
        return -1;
    int k = snprintf(sql, sizeof sql, "SELECT " T_COLS " FROM margin_rows m FORCE INDEX (ix_%s) WHERE %s"
                     " ORDER BY m.o_%s%s", sorts[si].key, b.where, sorts[si].key, desc ? " DESC" : "");
    if (k < 0 || (size_t)k >= sizeof sql)
        return -1;
    return db_stream(db, sql, b.v, b.n, fn, ctx);
}

static int table_totals(db_t *db, long long tenant_id, const struct margin_filter *f, struct dbrows *out)
{
    char sql[1536];
    struct tbound b;
    if (table_where(&b, "m", tenant_id, f) < 0)
        return -1;
    int k = snprintf(sql, sizeof sql,
                     "SELECT m.currency, COUNT(*), SUM(m.seats), SUM(m.rev_c), SUM(m.cost_c), SUM(m.flagged)"
                     " FROM margin_rows m WHERE %s GROUP BY m.currency ORDER BY m.currency", b.where);
    if (k < 0 || (size_t)k >= sizeof sql)
        return -1;
    return tcache_query_auto(db, tenant_id, "margin:ttotals:", sql, b.v, b.n, out);
}

static int table_top(db_t *db, long long tenant_id, const struct margin_filter *f, int limit, struct dbrows *out)
{
    char sql[1536];
    struct tbound b;
    if (table_where(&b, "m", tenant_id, f) < 0)
        return -1;
    int k = snprintf(sql, sizeof sql,
                     "SELECT m.company AS company, SUM(m.rev_c - m.cost_c) AS total FROM margin_rows m WHERE %s"
                     " GROUP BY company ORDER BY total DESC, company LIMIT ?", b.where);
    if (k < 0 || (size_t)k >= sizeof sql)
        return -1;
    b.v[b.n++] = DB_INT(limit);
    return tcache_query_auto(db, tenant_id, "margin:ttop:", sql, b.v, b.n, out);
}

struct fill_ctx {
    const char *sql;
    const struct dbv *v;
    int n;
    uint64_t rows;
};

static int fill_txn(db_t *db, void *p)
{
    struct fill_ctx *c = p;
    return db_exec(db, c->sql, c->v, c->n, &c->rows, NULL) < 0 ? -1 : 0;
}

int margin_fill(db_t *db, long long tenant_id)
{
    static char sql[SQL_MAX * 2];  /* the worker's, one job at a time */
    char pre[2048], ranks[1200];
    struct margin_filter f = {0};
    struct bound b;
    long long gen = 0, cur, set_no;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (margin_threshold_get(db, tenant_id, &f.threshold) < 0 ||
        db_scalar(db, "SELECT gen FROM tenant_gen WHERE tenant_id = ?", DB_PARAMS(DB_INT(tenant_id)), &gen) < 0)
        return -1;
    /* the generation is read before the rows: the set is at least as new as the gen it records */
    int fresh = margin_set_fresh(db, tenant_id, f.threshold, &cur);
    if (fresh != 0)
        return fresh < 0 ? -1 : 0;
    if (db_exec(db,
                "INSERT INTO margin_sets (tenant_id, next_set) VALUES (?, LAST_INSERT_ID(1))"
                " ON DUPLICATE KEY UPDATE next_set = LAST_INSERT_ID(next_set + 1)",
                DB_PARAMS(DB_INT(tenant_id)), NULL, NULL) < 0 ||
        db_scalar(db, "SELECT LAST_INSERT_ID()", NULL, 0, &set_no) < 1 ||
        /* the set before the one in use (readers had a whole fill's time to finish with it) */
        db_exec(db,
                "DELETE FROM margin_rows WHERE tenant_id = ? AND set_no < COALESCE((SELECT s.set_no FROM"
                " margin_sets s WHERE s.tenant_id = ?), 0)",
                DB_PARAMS(DB_INT(tenant_id), DB_INT(tenant_id)), NULL, NULL) < 0)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < NSORTS; i++)
        o += (size_t)snprintf(ranks + o, sizeof ranks - o, ", o_%s", sorts[i].key);
    int k = snprintf(pre, sizeof pre, FILL_INTO "%s) SELECT ?, ?, y.*", ranks);
    for (size_t i = 0; i < NSORTS && k > 0 && (size_t)k < sizeof pre; i++)
        k += snprintf(pre + k, sizeof pre - (size_t)k, ", ROW_NUMBER() OVER (ORDER BY %s, y.rid)", sorts[i].fill);
    if (k < 0 || (size_t)k + 10 >= sizeof pre || o >= sizeof ranks)
        return -1;
    snprintf(pre + k, sizeof pre - (size_t)k, " FROM (");
    struct dbv lead[2] = {DB_INT(tenant_id), DB_INT(set_no)};
    if (build_wrapped(sql, sizeof sql, &b, tenant_id, &f, FILL_COLS, 1, "", pre, ") y", lead, 2) < 0)
        return -1;
    struct fill_ctx c = {sql, b.v, b.n, 0};
    if (db_txn_read_committed(db, fill_txn, &c) != 0)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ms = (t1.tv_sec - t0.tv_sec) * 1000LL + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    if (db_exec(db,
                "UPDATE margin_sets SET set_no = ?, gen = ?, threshold = ?, rows_n = ?, fill_ms = ?,"
                " filled_at = UTC_TIMESTAMP(6) WHERE tenant_id = ? AND (set_no IS NULL OR set_no < ?)",
                DB_PARAMS(DB_INT(set_no), DB_INT(gen), DB_INT(f.threshold), DB_INT((long long)c.rows), DB_INT(ms),
                          DB_INT(tenant_id), DB_INT(set_no)),
                NULL, NULL) < 0)
        return -1;
    log_info("margin rows of tenant %lld: set %lld, %llu rows at gen %lld in %lld ms", tenant_id, set_no,
             (unsigned long long)c.rows, gen, ms);
    return 0;
}

int margin_rows(db_t *db, long long tenant_id, const struct margin_filter *f, const char *sort, int desc, int limit,
                long long offset, struct dbrows *out)
{
    if (f->set_no)
        return table_rows(db, tenant_id, f, sort, desc, limit, offset, out);
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
    if (f->set_no)
        return table_stream(db, tenant_id, f, sort, desc, fn, ctx);
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
    if (f->set_no) {
        if (table_totals(db, tenant_id, f, &out->rows) < 0)
            return -1;
        return DB_LIST_FILL(out, total_fill);
    }
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
    if (margin_set_fresh(db, tenant_id, thr, &f.set_no) < 0)
        return -1;
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
    if (f->set_no) {
        if (table_top(db, tenant_id, f, limit, &out->rows) < 0)
            return -1;
        return DB_LIST_FILL(out, series_fill);
    }
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
    /* the rows the figures job has just computed (worker/handlers.c), when they are current */
    if (margin_set_fresh(db, tenant_id, f.threshold, &f.set_no) < 0)
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
