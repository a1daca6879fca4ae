/* reports.c: the report queries (see reports.h). Each family of reports (subscriptions,
 * adjustments) has one FROM/WHERE for every query of a report (its page, count, totals,
 * charts and export), so they always select the same rows; a kind adds a condition and its
 * columns. Sort columns cannot be bound: the key is looked up in a fixed table of SQL
 * expressions and an unknown key never reaches the SQL text. */
#include "db/reports.h"

#include "core/cdate.h"
#include "db/adj_export.h"
#include "db/charge_sql.h"
#include "db/subs_sql.h"
#include "db/new_subs.h"
#include "db/tenant_cache.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define COMPANY "COALESCE(c.name, r.company_source_id)"
#define SUBSCRIPTION "COALESCE(s.name, r.subscription_source_id)"
/* A resource of a suspended or cancelled subscription is as suspended or cancelled as it. */
#define STATUS "CAST(CASE WHEN s.status IS NOT NULL AND s.status <> 'active' THEN s.status ELSE r.status END AS CHAR)"
/* The PSA side of a linked row: its resource link's, or for an annual subscription billed by
 * charges (subs_sql.h SUBS_BY_CHARGE) its subscription link's contract, with no service. */
#define LINK_PSA "COALESCE(rl.psa_connection_id, sl.psa_connection_id)"
#define LINK_CONTRACT "COALESCE(rl.psa_contract_id, sl.psa_contract_id)"
#define ACCOUNT_N "COALESCE(a.name, p.company_psa_id)"
#define CONTRACT "COALESCE(p.name, " LINK_CONTRACT ")"
#define SERVICE "IF(rl.id IS NULL, 'annual charges', COALESCE(sv.name, rl.psa_service_id))"
#define LINKED "CASE WHEN NOT " SUBS_LINKED " THEN 'not linked' ELSE CONCAT_WS(' / ', " ACCOUNT_N ", " CONTRACT ", " SERVICE ") END"
/* Units on the linked contract service as last read from the PSA (a ConnectWise agreement
 * may carry the same product more than once: the PSA bills the sum). */
#define PSA_UNITS \
    "(SELECT SUM(cs.units) FROM psa_contract_services cs WHERE cs.tenant_id = r.tenant_id" \
    " AND cs.connection_id = rl.psa_connection_id AND cs.contract_psa_id = rl.psa_contract_id" \
    " AND cs.service_psa_id = rl.psa_service_id AND cs.gone = 0)"
/* What the linked contract service should hold: the quantities of every active link feeding it
 * (a service fed by two subscriptions bills their sum; doc/ledger.md). */
#define SERVICE_WANTS \
    "(SELECT SUM(x.quantity) FROM resource_links o JOIN src_resources x ON x.tenant_id = o.tenant_id" \
    " AND x.connection_id = o.src_connection_id AND x.source_id = o.src_resource_id AND x.gone = 0" \
    " WHERE o.tenant_id = rl.tenant_id AND o.active_key = 1 AND o.psa_connection_id = rl.psa_connection_id" \
    " AND o.psa_contract_id = rl.psa_contract_id AND o.psa_service_id = rl.psa_service_id)"
/* The service's sources minus the PSA; NULL for a row billed by charges: nothing to compare. */
#define DIFF "IF(rl.id IS NULL, NULL, COALESCE(" SERVICE_WANTS ", r.quantity) - COALESCE(" PSA_UNITS ", 0))"
/* The monthly value (web/reports.h report_monthly_value) for ordering: exact (DECIMAL) and
 * times 12, so an annual row's twelfth needs no division. */
#define VALUE "(CAST(r.quantity AS DECIMAL(40,0)) * r.unit_cost * IF(" SUBS_ANNUAL ", 1, 12))"

/* Subscriptions ----------------------------------------------------------------------------- */

/* The left joins on unique keys that a query does not use are eliminated by the optimizer. */
#define SUBS_FROM \
    SUBS_JOINS \
    " LEFT JOIN psa_contracts p ON p.tenant_id = r.tenant_id AND p.connection_id = " LINK_PSA \
    "  AND p.psa_id = " LINK_CONTRACT \
    " LEFT JOIN psa_companies a ON a.tenant_id = r.tenant_id AND a.connection_id = " LINK_PSA \
    "  AND a.psa_id = p.company_psa_id" \
    " LEFT JOIN psa_services sv ON sv.tenant_id = r.tenant_id AND sv.connection_id = rl.psa_connection_id" \
    "  AND sv.psa_id = rl.psa_service_id"

/* Parameter: tenant. The filters that are set add their conditions (bind_subs()). */
#define SUBS_WHERE SUBS_LIVE

/* Adjustments ------------------------------------------------------------------------------- */

#define ADJ_COMPANY "COALESCE(c.name, r.company_source_id, '')"
#define ADJ_SUBSCRIPTION "COALESCE(s.name, r.subscription_source_id, '')"
#define ADJ_RESOURCE "COALESCE(r.name, j.src_resource_id)"
#define ADJ_ACCOUNT "COALESCE(pa.name, p.company_psa_id, '')"
#define ADJ_CONTRACT "COALESCE(p.name, j.psa_contract_id)"
#define ADJ_SERVICE "COALESCE(sv.name, j.psa_service_id)"
#define ADJ_ERROR "COALESCE(j.last_error, '')"
/* An ENUM sorts by its position in the list; people expect the name's order. */
#define ADJ_STATE "CAST(j.state AS CHAR)"

#define ADJ_FROM " FROM adjustments j" ADJ_JOINS
/* The names of a ledger row j. */
#define ADJ_JOINS \
    " LEFT JOIN src_resources r ON r.tenant_id = j.tenant_id AND r.connection_id = j.src_connection_id" \
    "  AND r.source_id = j.src_resource_id" \
    " LEFT JOIN src_subscriptions s ON s.tenant_id = j.tenant_id AND s.connection_id = j.src_connection_id" \
    "  AND s.source_id = r.subscription_source_id" \
    " LEFT JOIN src_companies c ON c.tenant_id = j.tenant_id AND c.connection_id = j.src_connection_id" \
    "  AND c.source_id = r.company_source_id" \
    " LEFT JOIN psa_contracts p ON p.tenant_id = j.tenant_id AND p.connection_id = j.psa_connection_id" \
    "  AND p.psa_id = j.psa_contract_id" \
    " LEFT JOIN psa_companies pa ON pa.tenant_id = j.tenant_id AND pa.connection_id = j.psa_connection_id" \
    "  AND pa.psa_id = p.company_psa_id" \
    " LEFT JOIN psa_services sv ON sv.tenant_id = j.tenant_id AND sv.connection_id = j.psa_connection_id" \
    "  AND sv.psa_id = j.psa_service_id"

/* Parameters: tenant, from, to (see bind_adj()); the range is on the indexed (tenant_id,
 * created_at). The text filters that are set add their conditions. */
#define ADJ_WHERE \
    " WHERE j.tenant_id = ? AND j.created_at >= CAST(? AS DATETIME(6)) AND j.created_at <= CAST(? AS DATETIME(6))"
/* The text filters' conditions (each one bound pattern; q once per column). */
#define ADJ_Q_COLS 7
static const char *const adj_q_cols[ADJ_Q_COLS] = {
    ADJ_COMPANY, ADJ_SUBSCRIPTION, ADJ_RESOURCE, ADJ_ACCOUNT, ADJ_CONTRACT, ADJ_SERVICE, ADJ_ERROR,
};

#define ADJ_COLS \
    "j.id, DATE_FORMAT(j.created_at, '%Y-%m-%d %H:%i UTC'), " ADJ_COMPANY ", " ADJ_SUBSCRIPTION ", " \
    ADJ_RESOURCE ", " ADJ_ACCOUNT ", " ADJ_CONTRACT ", " ADJ_SERVICE ", j.unit_change," \
    " DATE_FORMAT(j.effective_date, '%Y-%m-%d'), j.prorated_amount, " ADJ_STATE ", j.attempts, " ADJ_ERROR "," \
    " DATE_FORMAT(j.next_attempt_at, '%Y-%m-%d %H:%i UTC'), j.kind, j.cost_before, j.new_unit_cost," \
    " j.price_before, j.new_unit_price"

/* Failures: failed adjustments and failed one-time charges (db/charge_sql.h), one row each,
 * as a derived table j with the same columns for both, so one WHERE filters and sorts them
 * alike. Each branch binds the tenant. A charge has no unit change (NULL: not in the totals'
 * sum); its amount is its quantity × unit price, an adjustment's its estimate (× one unit). */
#define FAIL_ADJ \
    "SELECT 'adjustment' AS kind, j.id, j.created_at, " ADJ_COMPANY " AS company, " ADJ_SUBSCRIPTION \
    " AS subscription, " ADJ_RESOURCE " AS resource, " ADJ_ACCOUNT " AS account, " ADJ_CONTRACT " AS contract, " \
    ADJ_SERVICE " AS service, j.unit_change, j.effective_date AS effective, 1000 AS amount_qty," \
    " j.prorated_amount AS amount_unit, CAST(j.prorated_amount AS DECIMAL(40,4)) AS amount, j.attempts, " \
    ADJ_ERROR " AS error, j.next_attempt_at AS next_at," \
    " CAST(IF(j.kind = 'cost', 'cost', NULL) AS CHAR(10)) AS charge_kind" \
    ADJ_FROM " WHERE j.tenant_id = ? AND j.state = 'failed'"
/* A failed annual charge is tried again by every sync; a usage charge by the syncs of the
 * month's first three days (worker/sync.c) and by a review's Apply. */
#define FAIL_CHG \
    "SELECT 'charge', ch.id, ch.created_at, " CHG_COMPANY ", " CHG_SUBSCRIPTION ", " CHG_RESOURCE ", " \
    CHG_ACCOUNT ", " CHG_CONTRACT ", " CHG_SERVICE ", NULL, ch.charge_date, ch.quantity, ch.unit_price," \
    " CAST(ch.quantity AS DECIMAL(40,0)) * ch.unit_price / 1000, ch.attempts, " CHG_ERROR ", NULL," \
    " CAST(ch.kind AS CHAR(10))" \
    CHG_JOINS " WHERE ch.tenant_id = ? AND ch.state = 'failed'"

/* Parameters: tenant, from, to for each branch (see bind_fail()): the window is applied inside
 * each branch, so only its rows are joined (MariaDB did not push it into the union); set text
 * filters add their conditions on the derived columns. */
#define FAIL_WINDOW(t) " AND " t ".created_at >= CAST(? AS DATETIME(6)) AND " t ".created_at <= CAST(? AS DATETIME(6))"
#define FAIL_WHERE \
    " FROM (" FAIL_ADJ FAIL_WINDOW("j") " UNION ALL " FAIL_CHG FAIL_WINDOW("ch") ") j WHERE 1 = 1"
/* The same rows with only what the count, totals and chart read (no join): what they use
 * when no text filter is set. Parameters as FAIL_WHERE. */
#define FAIL_LEAN_WHERE \
    " FROM (SELECT j.created_at, j.unit_change, 1000 AS amount_qty, j.prorated_amount AS amount_unit" \
    "  FROM adjustments j WHERE j.tenant_id = ? AND j.state = 'failed'" FAIL_WINDOW("j") \
    " UNION ALL SELECT ch.created_at, NULL, ch.quantity, ch.unit_price FROM charges_posted ch" \
    "  WHERE ch.tenant_id = ? AND ch.state = 'failed'" FAIL_WINDOW("ch") ") j WHERE 1 = 1"
static const char *const fail_q_cols[ADJ_Q_COLS] = {
    "j.company", "j.subscription", "j.resource", "j.account", "j.contract", "j.service", "j.error",
};

#define FAIL_COLS \
    "j.kind, j.id, DATE_FORMAT(j.created_at, '%Y-%m-%d %H:%i UTC'), j.error, j.company, j.subscription," \
    " j.resource, j.account, j.contract, j.service, j.unit_change, DATE_FORMAT(j.effective, '%Y-%m-%d')," \
    " j.amount_qty, j.amount_unit, j.attempts, DATE_FORMAT(j.next_at, '%Y-%m-%d %H:%i UTC'), j.charge_kind"

/* The machinery ----------------------------------------------------------------------------- */

#define MAX_PARAMS 16
#define PATTERN (2 * REPORT_TEXT_MAX + 3)

/* The WHERE of one request: the family's fixed part plus a condition for each filter that is
 * set, with their bound values and room for LIMIT and OFFSET. A filter left empty adds
 * nothing, so the joins only it would need are eliminated and an index can serve the rest. */
struct bound {
    char company[PATTERN], product[PATTERN], q[PATTERN], subscription[PATTERN], resource[PATTERN];
    char from[32], to[32];
    const char *billing, *status;
    char where[2048];
    size_t wlen;
    struct dbv v[MAX_PARAMS + 2];
    int n, text;                  /* text: a text filter is set (the day counters cannot answer) */
    int overflow;
};

static void add_cond(struct bound *b, const char *sql)
{
    size_t k = strlen(sql);
    if (b->wlen + k + 6 >= sizeof b->where) {
        b->overflow = 1;
        return;
    }
    memcpy(b->where + b->wlen, " AND ", 5);
    memcpy(b->where + b->wlen + 5, sql, k + 1);
    b->wlen += 5 + k;
}

static void add_value(struct bound *b, struct dbv v)
{
    if (b->n >= MAX_PARAMS)
        b->overflow = 1;
    else
        b->v[b->n++] = v;
}

static int set(const char *s) { return s && *s; }

/* A text filter: its LIKE pattern in buf and one condition "expr LIKE ?". -1 when longer than
 * REPORT_TEXT_MAX: refuse rather than widen. */
static int like_filter(struct bound *b, const char *text, char *buf, const char *expr)
{
    if (!set(text))
        return 0;
    if (db_like_pattern(text, buf, PATTERN) < 0)
        return -1;
    char cond[600];
    snprintf(cond, sizeof cond, "%s LIKE ?", expr);
    add_cond(b, cond);
    add_value(b, DB_STR(buf));
    b->text = 1;
    return 0;
}

/* q: any of the columns matches (one bound pattern per column). */
static int q_filter(struct bound *b, const char *q, const char *const *cols, int ncols)
{
    if (!set(q))
        return 0;
    if (db_like_pattern(q, b->q, sizeof b->q) < 0)
        return -1;
    char cond[1400];
    size_t k = 0;
    for (int i = 0; i < ncols && k < sizeof cond; i++) {
        int m = snprintf(cond + k, sizeof cond - k, "%s%s LIKE ?%s", i ? " OR " : "(", cols[i],
                         i == ncols - 1 ? ")" : "");
        if (m < 0)
            return -1;
        k += (size_t)m;
        add_value(b, DB_STR(b->q));
    }
    if (k >= sizeof cond)
        return -1;
    add_cond(b, cond);
    b->text = 1;
    return 0;
}

static void start(struct bound *b)
{
    b->wlen = 0;
    b->where[0] = 0;
    b->n = b->text = b->overflow = 0;
}

static int bind_subs(struct bound *b, long long tenant_id, const struct report_filter *f)
{
    static const char *const q_cols[] = {COMPANY, SUBSCRIPTION, "r.name"};
    start(b);
    add_value(b, DB_INT(tenant_id));
    if (f->source) {
        add_cond(b, "r.connection_id = ?");
        add_value(b, DB_INT(f->source));
    }
    if (like_filter(b, f->company, b->company, COMPANY) < 0)
        return -1;
    if (set(f->product)) {
        if (db_like_pattern(f->product, b->product, sizeof b->product) < 0)
            return -1;
        add_cond(b, "(r.name LIKE ? OR r.sku LIKE ?)");
        add_value(b, DB_STR(b->product));
        add_value(b, DB_STR(b->product));
        b->text = 1;
    }
    if (set(f->status)) {
        b->status = f->status;
        add_cond(b, STATUS " = ?");
        add_value(b, DB_STR(b->status));
    }
    /* billing: 'seats' is every resource but usage; otherwise one billing cycle */
    if (set(f->billing) && !strcmp(f->billing, "seats"))
        add_cond(b, "NOT " SUBS_USAGE);
    else if (set(f->billing)) {
        b->billing = f->billing;
        add_cond(b, "CAST(r.billing_cycle AS CHAR) = ?");
        add_value(b, DB_STR(b->billing));
    }
    if (q_filter(b, f->q, q_cols, 3) < 0)
        return -1;
    if (set(f->new_since)) {      /* the dashboard's "New since last sync" (db/new_subs.h) */
        add_cond(b, NEW_SUBS_REPORT_COND);
        add_value(b, DB_STR(f->new_since));
    }
    return b->overflow ? -1 : 0;
}

/* A day as the first or last instant of it; an open end as the first or last day there is. */
static int bind_day(const char *day, int end, char *out, size_t n)
{
    cdate_t d = end ? cdate_make(9999, 12, 31) : cdate_make(1, 1, 1);
    char s[CDATE_FMT_LEN];
    if (day && *day && cdate_parse_ymd(day, &d) < 0)
        return -1;
    if (cdate_format(d, s, sizeof s) < 0)
        return -1;
    snprintf(out, n, "%s %s", s, end ? "23:59:59.999999" : "00:00:00");
    return 0;
}

/* The ledger families' filters: tenant and dates for each branch (always bound), then the text
 * filters that are set on the family's columns (company, subscription, resource, then q's
 * seven). */
static int bind_ledger(struct bound *b, long long tenant_id, int branches, const struct report_filter *f,
                       const char *const *cols)
{
    if (bind_day(f->from, 0, b->from, sizeof b->from) < 0 || bind_day(f->to, 1, b->to, sizeof b->to) < 0)
        return -1;
    for (int i = 0; i < branches; i++) {   /* each branch's tenant and window */
        add_value(b, DB_INT(tenant_id));
        add_value(b, DB_STR(b->from));
        add_value(b, DB_STR(b->to));
    }
    if (like_filter(b, f->company, b->company, cols[0]) < 0 ||
        like_filter(b, f->subscription, b->subscription, cols[1]) < 0 ||
        like_filter(b, f->resource, b->resource, cols[2]) < 0 || q_filter(b, f->q, cols, ADJ_Q_COLS) < 0)
        return -1;
    return b->overflow ? -1 : 0;
}

static int bind_adj(struct bound *b, long long tenant_id, const struct report_filter *f)
{
    start(b);
    return bind_ledger(b, tenant_id, 1, f, adj_q_cols);
}

static int bind_fail(struct bound *b, long long tenant_id, const struct report_filter *f)
{
    start(b);
    return bind_ledger(b, tenant_id, 2, f, fail_q_cols);   /* adjustments, then charges */
}

/* A family: the rows and filters its reports share. */
struct family {
    const char *from_where;       /* FROM ... WHERE <fixed part> (bind adds the set filters) */
    const char *lean_from_where;  /* the same rows, the columns of qty, amounts and day only, for
                                     aggregates with no text filter; NULL: from_where */
    int (*bind)(struct bound *b, long long tenant_id, const struct report_filter *f);
    const char *id;               /* the row id: the last sort key, so orders are total */
    const char *qty;              /* summed in report_count and charted: seats, never usage */
    const char *usage_row;        /* 1 for a usage row (report_count), else 0; NULL: none */
    const char *usage_qty;        /* its quantity (GB), summed apart; NULL: none */
    const char *amounts;          /* report_amounts: quantity, unit amount, currency[, period
                                     months, 1 when left out] */
    const char *amount_sum;       /* a row's amount when amounts add up in SQL (report_days);
                                     NULL: report_amounts only */
    const char *company;          /* report_top_companies groups by it */
    const char *day;              /* report_per_day groups by it; NULL: no dates */
    int cached;                   /* its aggregates (count, amounts, top companies) read through
                                     the tenant's cache (db/tenant_cache.h): its rows change only
                                     with the source, link and PSA-cache data */
};

static const struct family subs_family = {
    .from_where = SUBS_FROM SUBS_WHERE,
    .bind = bind_subs,
    .id = "r.id",
    .qty = SUBS_SEATS,
    .usage_row = SUBS_USAGE,
    .usage_qty = SUBS_USAGE_QTY,
    .amounts = "r.quantity, r.unit_cost, r.currency, " SUBS_PERIOD_MONTHS,
    .company = COMPANY,
    .day = NULL,
    .cached = 1,
};

static const struct family adj_family = {
    .from_where = ADJ_FROM ADJ_WHERE,
    .bind = bind_adj,
    .id = "j.id",
    .qty = "j.unit_change",
    .usage_row = "0",
    .usage_qty = "0",
    .amounts = "1000, j.prorated_amount, '', 1",
    .amount_sum = "j.prorated_amount",
    .company = ADJ_COMPANY,
    .day = "DATE_FORMAT(j.created_at, '%Y-%m-%d')",
};

static const struct family fail_family = {
    .from_where = FAIL_WHERE,
    .lean_from_where = FAIL_LEAN_WHERE,
    .bind = bind_fail,
    .id = "j.kind, j.id",
    .qty = "j.unit_change",
    .usage_row = "0",
    .usage_qty = "0",
    .amounts = "j.amount_qty, j.amount_unit, '', 1",
    .company = "j.company",
    .day = "DATE_FORMAT(j.created_at, '%Y-%m-%d')",
};

static const struct {
    const struct family *family;
    const char *where;            /* the kind's own condition */
    const char *cols;             /* its columns (reports.h) */
} kinds[] = {
    [REPORT_SUBSCRIPTIONS] = {&subs_family, "",
                              "k.name, " COMPANY ", r.company_source_id, r.subscription_source_id, "
                              SUBSCRIPTION ", r.source_id, r.name, r.quantity, " STATUS ", " LINKED
                              ", CAST(r.billing_cycle AS CHAR)"},
    [REPORT_LINKED] = {&subs_family, " AND " SUBS_LINKED,
                       "k.name, " COMPANY ", " SUBSCRIPTION ", r.name, r.quantity, COALESCE(" ACCOUNT_N
                       ", ''), " CONTRACT ", " SERVICE ", " PSA_UNITS ", " DIFF ", CAST(r.billing_cycle AS CHAR)"},
    [REPORT_UNLINKED] = {&subs_family, " AND NOT " SUBS_LINKED,
                         "k.name, " COMPANY ", " SUBSCRIPTION ", r.name, r.quantity, r.unit_cost, r.currency,"
                         " CAST(r.billing_cycle AS CHAR)"},
    [REPORT_ADJUSTMENTS] = {&adj_family, " AND j.state IN ('verified', 'failed')", ADJ_COLS},
    [REPORT_FAILURES] = {&fail_family, "", FAIL_COLS},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

#define K_SUBS (1u << REPORT_SUBSCRIPTIONS)
#define K_LINKED (1u << REPORT_LINKED)
#define K_UNLINKED (1u << REPORT_UNLINKED)
#define K_ALL (K_SUBS | K_LINKED | K_UNLINKED)
#define K_ADJ (1u << REPORT_ADJUSTMENTS)
#define K_FAIL (1u << REPORT_FAILURES)

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
    {"billing", "CAST(r.billing_cycle AS CHAR)", K_UNLINKED},
    {"date", "j.created_at", K_ADJ},
    {"company", ADJ_COMPANY, K_ADJ},
    {"subscription", ADJ_SUBSCRIPTION, K_ADJ},
    {"resource", ADJ_RESOURCE, K_ADJ},
    {"account", ADJ_ACCOUNT, K_ADJ},
    {"contract", ADJ_CONTRACT, K_ADJ},
    {"service", ADJ_SERVICE, K_ADJ},
    {"change", "j.unit_change", K_ADJ},
    {"effective", "j.effective_date", K_ADJ},
    {"amount", "j.prorated_amount", K_ADJ},
    {"state", ADJ_STATE, K_ADJ},
    {"attempts", "j.attempts", K_ADJ},
    /* the failure log's derived columns */
    {"date", "j.created_at", K_FAIL},
    {"error", "j.error", K_FAIL},
    {"kind", "j.kind", K_FAIL},
    {"company", "j.company", K_FAIL},
    {"subscription", "j.subscription", K_FAIL},
    {"resource", "j.resource", K_FAIL},
    {"account", "j.account", K_FAIL},
    {"contract", "j.contract", K_FAIL},
    {"service", "j.service", K_FAIL},
    {"change", "j.unit_change", K_FAIL},
    {"effective", "j.effective", K_FAIL},
    {"amount", "j.amount", K_FAIL},
    {"attempts", "j.attempts", K_FAIL},
    {"next_try", "j.next_at", K_FAIL},
};
#define NSORTS (sizeof sorts / sizeof sorts[0])

static int kind_ok(enum report_kind kind)
{
    return kind >= REPORT_SUBSCRIPTIONS && (size_t)kind < NKINDS && kinds[kind].family;
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

int report_has_dates(enum report_kind kind) { return kind_ok(kind) && kinds[kind].family->day != NULL; }

static int bind_filter(struct bound *b, long long tenant_id, enum report_kind kind, const struct report_filter *f)
{
    return kind_ok(kind) ? kinds[kind].family->bind(b, tenant_id, f) : -1;
}

/* SELECT <cols> FROM ... WHERE ...<set filters><kind's condition><tail>; -1 when it does not
 * fit (a programming error). Only compile-time fragments of this file are spliced (columns,
 * the family's FROM/WHERE, the conditions of the filters that are set, a sort expression
 * picked from a fixed table); every value is a bound parameter. */
static int build(char *sql, size_t n, enum report_kind kind, const struct bound *b, const char *cols,
                 const char *tail)
{
    int k = snprintf(sql, n, "SELECT %s%s%s%s%s", cols, kinds[kind].family->from_where, b->where,
                     kinds[kind].where, tail);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* build for an aggregate (count, amounts, days): the family's lean rows when no text filter
 * needs the joined columns. */
static int build_agg(char *sql, size_t n, enum report_kind kind, const struct bound *b, const char *cols,
                     const char *tail)
{
    const struct family *fam = kinds[kind].family;
    if (b->text || !fam->lean_from_where)
        return build(sql, n, kind, b, cols, tail);
    int k = snprintf(sql, n, "SELECT %s%s%s%s", cols, fam->lean_from_where, kinds[kind].where, tail);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

#define SQL_MAX 12288

/* A query of the report (an aggregate or a page): through the tenant's cache for a cached family. */
static int cached_query(db_t *db, long long tenant_id, enum report_kind kind, const char *prefix, const char *sql,
                     const struct bound *b, int np, struct dbrows *out)
{
    if (kinds[kind].family->cached)
        return tcache_query_auto(db, tenant_id, prefix, sql, b->v, np, out);
    return db_query(db, sql, b->v, np, out);
}

int report_count(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                 struct report_sums *out)
{
    char sql[SQL_MAX], cols[600];
    struct bound b;
    struct dbrows r;
    if (bind_filter(&b, tenant_id, kind, f) < 0)
        return -1;
    const struct family *fam = kinds[kind].family;
    int k = snprintf(cols, sizeof cols, "COUNT(*), COALESCE(SUM(%s), 0), COALESCE(SUM(%s), 0), COALESCE(SUM(%s), 0)",
                     fam->qty, fam->usage_row ? fam->usage_row : "0", fam->usage_qty ? fam->usage_qty : "0");
    if (k < 0 || (size_t)k >= sizeof cols || build_agg(sql, sizeof sql, kind, &b, cols, "") < 0 ||
        cached_query(db, tenant_id, kind, "rep:count:", sql, &b, b.n, &r) < 0)
        return -1;
    out->rows = dbrows_int(&r, 0, 0, 0);
    out->qty = dbrows_int(&r, 0, 1, 0);
    out->usage_rows = dbrows_int(&r, 0, 2, 0);
    out->usage_qty = dbrows_int(&r, 0, 3, 0);
    dbrows_free(&r);
    return 0;
}

/* The sort, then the row id in the same direction, so an index on (tenant, sort column) can
 * be read backwards for a descending sort instead of sorting the window. */
static int ordered(char *sql, size_t n, enum report_kind kind, const struct bound *b, const char *sort, int desc)
{
    const char *expr = sort_expr(kind, sort);
    char tail[1400];
    if (!expr)
        return -1;
    /* the family's id, one or two columns, each in the sort's direction */
    const char *id = kinds[kind].family->id, *comma = strchr(id, ',');
    int k = !desc ? snprintf(tail, sizeof tail, " ORDER BY %s, %s LIMIT ? OFFSET ?", expr, id)
            : comma ? snprintf(tail, sizeof tail, " ORDER BY %s DESC, %.*s DESC,%s DESC LIMIT ? OFFSET ?", expr,
                               (int)(comma - id), id, comma + 1)
                    : snprintf(tail, sizeof tail, " ORDER BY %s DESC, %s DESC LIMIT ? OFFSET ?", expr, id);
    if (k < 0 || (size_t)k >= sizeof tail)
        return -1;
    return build(sql, n, kind, b, kinds[kind].cols, tail);
}

static int ledger_sort(const char *sort);

/* A page of the adjustment log sorted on the ledger row itself: the page's ids first, from the
 * ledger alone (the (tenant_id, created_at, state) index serves the window, the order and the
 * state), then the names of those rows only: a deep page does not join every row it skips. */
static int adj_page_sql(char *sql, size_t n, const char *order_limit)
{
    char order[1400];
    const char *limit = strstr(order_limit, " LIMIT ");
    if (!limit || (size_t)(limit - order_limit) >= sizeof order)
        return -1;
    memcpy(order, order_limit, (size_t)(limit - order_limit));
    order[limit - order_limit] = 0;
    int k = snprintf(sql, n, "SELECT %s FROM (SELECT j.id FROM adjustments j%s%s%s) pick"
                             " JOIN adjustments j ON j.id = pick.id" ADJ_JOINS "%s",
                     kinds[REPORT_ADJUSTMENTS].cols, ADJ_WHERE, kinds[REPORT_ADJUSTMENTS].where, order_limit, order);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* A page of the failure log by date with no text filter: the page's (kind, id) from the failed
 * rows alone, then the named rows of those ids only. The failures' derived table would
 * otherwise join and sort every failed row of the window for each page. */
#define FAIL_PAGE_MAX 200
static int fail_page(db_t *db, long long tenant_id, const struct bound *b, int desc, int limit, long long offset,
                     struct dbrows *out)
{
    const char *dir = desc ? " DESC" : "";
    char sql[SQL_MAX], adj_in[FAIL_PAGE_MAX * 3 + 8] = "NULL", chg_in[FAIL_PAGE_MAX * 3 + 8] = "NULL";
    struct dbrows ids;
    struct dbv v[2 * FAIL_PAGE_MAX + 2];
    if (limit <= 0 || limit > FAIL_PAGE_MAX)
        return -1;
    int k = snprintf(sql, sizeof sql,
                     /* each kind's first offset + limit in the order (the index serves the
                        adjustments'), then the page of both */
                     "SELECT j.kind, j.id FROM ((SELECT 'adjustment' AS kind, id, created_at FROM adjustments"
                     " WHERE tenant_id = ? AND state = 'failed' AND created_at >= CAST(? AS DATETIME(6))"
                     " AND created_at <= CAST(? AS DATETIME(6)) ORDER BY created_at%s, id%s LIMIT ?)"
                     " UNION ALL (SELECT 'charge', id, created_at FROM charges_posted"
                     " WHERE tenant_id = ? AND state = 'failed' AND created_at >= CAST(? AS DATETIME(6))"
                     " AND created_at <= CAST(? AS DATETIME(6)) ORDER BY created_at%s, id%s LIMIT ?)) j"
                     " ORDER BY j.created_at%s, j.kind%s, j.id%s LIMIT ? OFFSET ?",
                     dir, dir, dir, dir, dir, dir, dir);
    long long first = offset + limit;
    if (k < 0 || (size_t)k >= sizeof sql ||
        db_query(db, sql,
                 DB_PARAMS(DB_INT(tenant_id), DB_STR(b->from), DB_STR(b->to), DB_INT(first), DB_INT(tenant_id),
                           DB_STR(b->from), DB_STR(b->to), DB_INT(first), DB_INT(limit), DB_INT(offset)),
                 &ids) < 0)
        return -1;
    int na = 0, nc = 0, m = 0;
    size_t ka = 0, kc = 0;
    v[m++] = DB_INT(tenant_id);
    for (int i = 0; i < ids.nrows; i++)
        if (!strcmp(dbrows_get(&ids, i, 0), "adjustment")) {
            ka += (size_t)snprintf(adj_in + ka, sizeof adj_in - ka, "%s?", na++ ? ", " : "");
            v[m++] = DB_INT(dbrows_int(&ids, i, 1, 0));
        }
    v[m++] = DB_INT(tenant_id);
    for (int i = 0; i < ids.nrows; i++)
        if (strcmp(dbrows_get(&ids, i, 0), "adjustment")) {
            kc += (size_t)snprintf(chg_in + kc, sizeof chg_in - kc, "%s?", nc++ ? ", " : "");
            v[m++] = DB_INT(dbrows_int(&ids, i, 1, 0));
        }
    dbrows_free(&ids);
    k = snprintf(sql, sizeof sql, "SELECT %s FROM (" FAIL_ADJ " AND j.id IN (%s) UNION ALL " FAIL_CHG
                 " AND ch.id IN (%s)) j ORDER BY j.created_at%s, j.kind%s, j.id%s",
                 kinds[REPORT_FAILURES].cols, adj_in, chg_in, dir, dir, dir);
    if (k < 0 || (size_t)k >= sizeof sql)
        return -1;
    return db_query(db, sql, v, m, out);
}

int report_rows(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                const char *sort, int desc, int limit, long long offset, struct dbrows *out)
{
    char sql[SQL_MAX];
    struct bound b;
    if (bind_filter(&b, tenant_id, kind, f) < 0 || ordered(sql, sizeof sql, kind, &b, sort, desc) < 0)
        return -1;
    if (kind == REPORT_FAILURES && !b.text && sort && !strcmp(sort, "date"))
        return fail_page(db, tenant_id, &b, desc, limit, offset, out);
    if (kind == REPORT_ADJUSTMENTS && !b.text && ledger_sort(sort)) {
        char tail[1400];
        const char *order = strstr(sql, " ORDER BY ");
        if (!order || strlen(order) >= sizeof tail)
            return -1;
        memcpy(tail, order, strlen(order) + 1);
        if (adj_page_sql(sql, sizeof sql, tail) < 0)
            return -1;
    }
    b.v[b.n] = DB_INT(limit);
    b.v[b.n + 1] = DB_INT(offset);
    /* a page of a cached family is as cacheable as its totals: the same data decides both */
    return cached_query(db, tenant_id, kind, "rep:rows:", sql, &b, b.n + 2, out);
}

/* Sorts of the adjustment log on a column of the ledger row itself (no join needed). */
static int ledger_sort(const char *sort)
{
    static const char *const keys[] = {"date", "change", "effective", "amount", "state", "attempts"};
    for (size_t i = 0; sort && i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(sort, keys[i]))
            return 1;
    return 0;
}

int report_stream(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                  const char *sort, int desc, db_row_fn fn, void *ctx)
{
    char sql[SQL_MAX];
    struct bound b;
    if (bind_filter(&b, tenant_id, kind, f) < 0 || ordered(sql, sizeof sql, kind, &b, sort, desc) < 0)
        return -1;
    /* The page's own statement with no effective limit: one prepared statement serves both. */
    b.v[b.n] = DB_INT(LLONG_MAX);
    b.v[b.n + 1] = DB_INT(0);
    if (kind == REPORT_ADJUSTMENTS && !b.text && ledger_sort(sort)) {
        /* the same WHERE and ORDER BY, on the ledger alone (db/adj_export.h) */
        char where[600];
        const char *order = strstr(sql, " ORDER BY ");
        int k = snprintf(where, sizeof where, "%s%s", ADJ_WHERE, kinds[kind].where);
        if (!order || k < 0 || (size_t)k >= sizeof where)
            return -1;
        return adj_export_stream(db, tenant_id, where, order, b.v, b.n + 2, fn, ctx);
    }
    return db_stream(db, sql, b.v, b.n + 2, fn, ctx);
}

int report_amounts(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                   db_row_fn fn, void *ctx)
{
    char sql[SQL_MAX], cols[600], tail[600];
    struct bound b;
    struct dbrows r;
    const char *amounts = kinds[kind].family->amounts;
    if (bind_filter(&b, tenant_id, kind, f) < 0)
        return -1;
    /* rows that value alike are one group with its count */
    int k1 = snprintf(cols, sizeof cols, "%s, COUNT(*)", amounts);
    int k2 = snprintf(tail, sizeof tail, " GROUP BY %s", amounts);
    if (k1 < 0 || (size_t)k1 >= sizeof cols || k2 < 0 || (size_t)k2 >= sizeof tail ||
        build_agg(sql, sizeof sql, kind, &b, cols, tail) < 0 ||
        cached_query(db, tenant_id, kind, "rep:amounts:", sql, &b, b.n, &r) < 0)
        return -1;
    int rc = dbrows_each(&r, fn, ctx);
    dbrows_free(&r);
    return rc;
}

int report_top_companies(db_t *db, long long tenant_id, enum report_kind kind,
                         const struct report_filter *f, int limit, struct series_list *out)
{
    char sql[SQL_MAX], cols[400], tail[400];
    struct bound b;
    memset(out, 0, sizeof *out);
    if (bind_filter(&b, tenant_id, kind, f) < 0)
        return -1;
    const struct family *fam = kinds[kind].family;
    snprintf(cols, sizeof cols, "%s AS company, SUM(%s) AS total", fam->company, fam->qty);
    snprintf(tail, sizeof tail, " GROUP BY %s HAVING total > 0 ORDER BY total DESC, company LIMIT ?", fam->company);
    if (build(sql, sizeof sql, kind, &b, cols, tail) < 0)
        return -1;
    b.v[b.n] = DB_INT(limit);
    if (cached_query(db, tenant_id, kind, "rep:top:", sql, &b, b.n + 1, &out->rows) < 0)
        return -1;
    return DB_LIST_FILL(out, series_fill);
}

int report_per_day(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                   struct series_list *out)
{
    char sql[SQL_MAX], cols[400];
    struct bound b;
    memset(out, 0, sizeof *out);
    if (!report_has_dates(kind) || bind_filter(&b, tenant_id, kind, f) < 0)
        return -1;
    snprintf(cols, sizeof cols, "%s AS day, COUNT(*)", kinds[kind].family->day);
    if (build_agg(sql, sizeof sql, kind, &b, cols, " GROUP BY day ORDER BY day") < 0)
        return -1;
    return DB_LIST_QUERY(db, out, series_fill, sql, b.v, b.n);
}

int report_has_day_totals(enum report_kind kind)
{
    return kind_ok(kind) && kinds[kind].family->amount_sum && kinds[kind].family->day;
}

static void day_fill(const struct dbrows *r, int i, void *p)
{
    struct report_day *d = p;
    d->day = dbrows_get(r, i, 0);
    d->rows = dbrows_int(r, i, 1, 0);
    d->qty = dbrows_int(r, i, 2, 0);
    d->amount = dbrows_int(r, i, 3, 0);
}

/* With no text filter set, the adjustment log's days come from the per-day counters the
 * ledger's triggers keep (sql/013_report_volume.sql): a month is ~30 rows of one primary key
 * range, whatever the history holds. With one, from one pass over the filtered rows. */
int report_days(db_t *db, long long tenant_id, enum report_kind kind, const struct report_filter *f,
                struct report_day_list *out)
{
    char sql[SQL_MAX], cols[600];
    struct bound b;
    memset(out, 0, sizeof *out);
    if (!report_has_day_totals(kind) || bind_filter(&b, tenant_id, kind, f) < 0)
        return -1;
    if (!b.text && kind == REPORT_ADJUSTMENTS)
        return DB_LIST_QUERY(db, out, day_fill,
                             "SELECT DATE_FORMAT(day, '%Y-%m-%d'), SUM(n), SUM(units), SUM(amount)"
                             " FROM adjustment_days WHERE tenant_id = ? AND day >= CAST(? AS DATE)"
                             " AND day <= CAST(? AS DATE) AND state IN ('verified', 'failed')"
                             " GROUP BY day HAVING SUM(n) > 0 ORDER BY day",
                             DB_PARAMS(DB_INT(tenant_id), DB_STR(b.from), DB_STR(b.to)));
    const struct family *fam = kinds[kind].family;
    int k = snprintf(cols, sizeof cols, "%s AS day, COUNT(*), COALESCE(SUM(%s), 0), COALESCE(SUM(%s), 0)", fam->day,
                     fam->qty, fam->amount_sum);
    if (k < 0 || (size_t)k >= sizeof cols || build(sql, sizeof sql, kind, &b, cols, " GROUP BY day ORDER BY day") < 0)
        return -1;
    return DB_LIST_QUERY(db, out, day_fill, sql, b.v, b.n);
}

static void source_fill(const struct dbrows *r, int i, void *p)
{
    struct report_source *s = p;
    s->id = dbrows_int(r, i, 0, -1);
    s->id_text = dbrows_get(r, i, 0);
    s->name = dbrows_get(r, i, 1);
}

int report_sources(db_t *db, long long tenant_id, struct report_source_list *out)
{
    return DB_LIST_QUERY(db, out, source_fill,
                         "SELECT id, name FROM connections WHERE tenant_id = ? AND kind = 'source' ORDER BY name, id",
                         DB_PARAMS(DB_INT(tenant_id)));
}
