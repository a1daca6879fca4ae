/* review.c: the monthly billing review's storage (see review.h). */
#include "db/review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int review_find(db_t *db, long long tenant_id, const char *month, long long *id)
{
    *id = 0;
    return db_scalar(db, "SELECT id FROM billing_reviews WHERE tenant_id = ? AND month = ?",
                     DB_PARAMS(DB_INT(tenant_id), DB_STR(month)), id);
}

int review_open(db_t *db, long long tenant_id, const char *month, long long user_id, long long *id)
{
    if (db_exec(db, "INSERT IGNORE INTO billing_reviews (tenant_id, month, created_by) VALUES (?, ?, ?)",
                DB_PARAMS(DB_INT(tenant_id), DB_STR(month), user_id ? DB_INT(user_id) : DB_NULL), NULL, NULL) < 0)
        return -1;
    return review_find(db, tenant_id, month, id) == 1 ? 0 : -1;
}

int review_info(db_t *db, long long tenant_id, long long review_id, struct dbrows *out)
{
    if (db_query(db,
                 "SELECT r.id, r.status, r.pull_state, r.pull_message,"
                 " COALESCE(DATE_FORMAT(r.pull_at, '%Y-%m-%d %H:%i'), ''),"
                 " COALESCE(uc.email, ''), DATE_FORMAT(r.created_at, '%Y-%m-%d %H:%i'),"
                 " COALESCE(ua.email, ''), COALESCE(DATE_FORMAT(r.approved_at, '%Y-%m-%d %H:%i'), ''),"
                 " COALESCE(up.email, ''), COALESCE(DATE_FORMAT(r.applied_at, '%Y-%m-%d %H:%i'), '')"
                 " FROM billing_reviews r"
                 " LEFT JOIN users uc ON uc.tenant_id = r.tenant_id AND uc.id = r.created_by"
                 " LEFT JOIN users ua ON ua.tenant_id = r.tenant_id AND ua.id = r.approved_by"
                 " LEFT JOIN users up ON up.tenant_id = r.tenant_id AND up.id = r.applied_by"
                 " WHERE r.tenant_id = ? AND r.id = ?",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(review_id)), out) < 0)
        return -1;
    return out->nrows > 0;
}

int review_set_status(db_t *db, long long tenant_id, long long review_id, const char *status, long long user_id)
{
    const char *sql = !strcmp(status, "approved")
                          ? "UPDATE billing_reviews SET status = IF(status = 'applied', status, 'approved'),"
                            " approved_by = ?, approved_at = UTC_TIMESTAMP(6) WHERE tenant_id = ? AND id = ?"
                      : !strcmp(status, "applied")
                          ? "UPDATE billing_reviews SET status = 'applied', applied_by = ?,"
                            " applied_at = UTC_TIMESTAMP(6) WHERE tenant_id = ? AND id = ?"
                          : NULL;
    if (!sql)
        return -1;
    return db_exec(db, sql, DB_PARAMS(DB_INT(user_id), DB_INT(tenant_id), DB_INT(review_id)), NULL, NULL);
}

int review_pull_mark(db_t *db, long long tenant_id, const char *month, const char *state, const char *message)
{
    return db_exec(db,
                   "INSERT INTO billing_reviews (tenant_id, month, pull_state, pull_message, pull_at)"
                   " VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE pull_state = VALUES(pull_state),"
                   " pull_message = VALUES(pull_message), pull_at = VALUES(pull_at)",
                   DB_PARAMS(DB_INT(tenant_id), DB_STR(month), DB_STR(state), DB_STR(message)), NULL, NULL);
}

static void line_count_fill(const struct dbrows *r, int i, void *p)
{
    struct review_line_count *c = p;
    c->connection = dbrows_get(r, i, 0);
    c->lines = dbrows_get(r, i, 1);
}

int review_line_counts(db_t *db, long long tenant_id, const char *month, struct review_line_count_list *out)
{
    return DB_LIST_QUERY(db, out, line_count_fill,
                         "SELECT k.name, COUNT(c.id) FROM connections k"
                         " LEFT JOIN src_charges c ON c.tenant_id = k.tenant_id AND c.connection_id = k.id"
                         "  AND c.period_month = ?"
                         " WHERE k.tenant_id = ? AND k.kind = 'source' GROUP BY k.id, k.name ORDER BY k.id",
                         DB_PARAMS(DB_STR(month), DB_INT(tenant_id)));
}

/* Every line column (enum review_line_col); parameters: review id, then tenant, month. */
static const char lines_sql[] =
    "SELECT c.connection_id, c.line_id, c.company_name, c.company_source_id, c.subscription_source_id,"
    " c.subscription_name, c.resource_source_id, c.description, c.sku, c.charge_type,"
    " DATE_FORMAT(c.period_start, '%Y-%m-%d'), DATE_FORMAT(c.period_end, '%Y-%m-%d'),"
    " COALESCE(DATE_FORMAT(c.effective_date, '%Y-%m-%d'), ''), c.quantity, c.unit_cost, c.unit_price,"
    " c.extended_cost, c.currency, IF(c.term_months > 0, c.term_months, COALESCE(s.term_months, 0)), c.frequency,"
    " COALESCE(sc.id, 0), COALESCE(s.id, 0), COALESCE(sr.id, 0),"
    " COALESCE(cl.psa_company_id, ''), COALESCE(pa.name, ''),"
    " COALESCE(sl.psa_contract_id, ''), COALESCE(pk.name, ''),"
    " COALESCE(rl.id, 0), COALESCE(rl.psa_connection_id, 0), COALESCE(rl.psa_contract_id, ''),"
    " COALESCE(rl.psa_service_id, ''), COALESCE(rk.name, ''),"
    " (SELECT COUNT(*) FROM psa_contract_services cs WHERE cs.tenant_id = rl.tenant_id"
    "   AND cs.connection_id = rl.psa_connection_id AND cs.contract_psa_id = rl.psa_contract_id"
    "   AND cs.service_psa_id = rl.psa_service_id AND cs.gone = 0) > 0,"
    " COALESCE((SELECT SUM(cs.units) FROM psa_contract_services cs WHERE cs.tenant_id = rl.tenant_id"
    "   AND cs.connection_id = rl.psa_connection_id AND cs.contract_psa_id = rl.psa_contract_id"
    "   AND cs.service_psa_id = rl.psa_service_id AND cs.gone = 0), 0),"
    " COALESCE((SELECT MAX(NULLIF(cs.unit_price, 0)) FROM psa_contract_services cs WHERE cs.tenant_id = rl.tenant_id"
    "   AND cs.connection_id = rl.psa_connection_id AND cs.contract_psa_id = rl.psa_contract_id"
    "   AND cs.service_psa_id = rl.psa_service_id AND cs.gone = 0), NULLIF(ps.unit_price, 0), 0),"
    " COALESCE(ps.name, rl.psa_service_id, ''),"
    " COALESCE(bl.decision, 'none'), COALESCE(bl.note, ''), COALESCE(u.email, ''),"
    " COALESCE(DATE_FORMAT(bl.decided_at, '%Y-%m-%d %H:%i'), ''), COALESCE(bl.adjustment_id, 0),"
    " COALESCE(a.state, ''), COALESCE(a.desired_units, 0), COALESCE(DATE_FORMAT(a.effective_date, '%Y-%m-%d'), ''),"
    " COALESCE(a.last_error, ''), k.name,"
    /* the one-time charge of an annual or usage line, keyed as worker/charges.c keys it */
    /* (an annual charge of an earlier version was keyed by its line id: either counts; "posted"
     * sorts after "failed") */
    " COALESCE((SELECT MAX(p.state) FROM charges_posted p WHERE p.tenant_id = c.tenant_id AND p.charge_key IN ("
    "   IF(c.charge_type = 'usage', CONCAT('usage:', c.connection_id, ':', c.resource_source_id, ':',"
    "   DATE_FORMAT(c.period_month, '%Y-%m')), CONCAT('annual:', c.connection_id, ':', c.subscription_source_id, ':',"
    "   DATE_FORMAT(c.period_start, '%Y-%m-%d'), ':', DATE_FORMAT(c.period_end, '%Y-%m-%d'), ':q', c.quantity)),"
    "   CONCAT('annual:', c.connection_id, ':', c.subscription_source_id, ':',"
    "   DATE_FORMAT(c.period_start, '%Y-%m-%d'), ':', c.line_id))), '')"
    " FROM src_charges c"
    " JOIN connections k ON k.tenant_id = c.tenant_id AND k.id = c.connection_id"
    " LEFT JOIN src_companies sc ON sc.tenant_id = c.tenant_id AND sc.connection_id = c.connection_id"
    "  AND sc.source_id = c.company_source_id"
    " LEFT JOIN src_subscriptions s ON s.tenant_id = c.tenant_id AND s.connection_id = c.connection_id"
    "  AND s.source_id = c.subscription_source_id"
    " LEFT JOIN src_resources sr ON sr.tenant_id = c.tenant_id AND sr.connection_id = c.connection_id"
    "  AND sr.source_id = c.resource_source_id"
    " LEFT JOIN company_links cl ON cl.tenant_id = c.tenant_id AND cl.src_connection_id = c.connection_id"
    "  AND cl.src_company_id = c.company_source_id AND cl.active_key = 1"
    " LEFT JOIN psa_companies pa ON pa.tenant_id = cl.tenant_id AND pa.connection_id = cl.psa_connection_id"
    "  AND pa.psa_id = cl.psa_company_id"
    " LEFT JOIN subscription_links sl ON sl.tenant_id = c.tenant_id AND sl.src_connection_id = c.connection_id"
    "  AND sl.src_subscription_id = c.subscription_source_id AND sl.active_key = 1"
    " LEFT JOIN psa_contracts pk ON pk.tenant_id = sl.tenant_id AND pk.connection_id = sl.psa_connection_id"
    "  AND pk.psa_id = sl.psa_contract_id"
    " LEFT JOIN resource_links rl ON rl.tenant_id = c.tenant_id AND rl.src_connection_id = c.connection_id"
    "  AND rl.src_resource_id = c.resource_source_id AND rl.active_key = 1 AND c.resource_source_id <> ''"
    " LEFT JOIN psa_contracts rk ON rk.tenant_id = rl.tenant_id AND rk.connection_id = rl.psa_connection_id"
    "  AND rk.psa_id = rl.psa_contract_id"
    " LEFT JOIN psa_services ps ON ps.tenant_id = rl.tenant_id AND ps.connection_id = rl.psa_connection_id"
    "  AND ps.psa_id = rl.psa_service_id"
    " LEFT JOIN billing_review_lines bl ON bl.tenant_id = c.tenant_id AND bl.review_id = ?"
    "  AND bl.src_connection_id = c.connection_id AND bl.line_id = c.line_id"
    " LEFT JOIN users u ON u.tenant_id = bl.tenant_id AND u.id = bl.decided_by"
    " LEFT JOIN adjustments a ON a.tenant_id = bl.tenant_id AND a.id = bl.adjustment_id"
    " WHERE c.tenant_id = ? AND c.period_month = ?";

int review_lines(db_t *db, long long tenant_id, const char *month, long long review_id, int limit, long long offset,
                 struct dbrows *out)
{
    /* The page's line ids first (a sort of src_charges alone), then the joins and subqueries
     * for those lines only: a 200-line page of a 5,000-line month stays fast. */
    static const char from[] = " FROM src_charges c";
    const char *split = strstr(lines_sql, from);
    char sql[sizeof lines_sql + 600];
    snprintf(sql, sizeof sql,
             "%.*s FROM (SELECT id FROM src_charges WHERE tenant_id = ? AND period_month = ?"
             " ORDER BY company_name, subscription_name, description, connection_id, line_id LIMIT ? OFFSET ?) pick"
             " JOIN src_charges c ON c.id = pick.id%s"
             " ORDER BY c.company_name, c.subscription_name, c.description, c.connection_id, c.line_id",
             (int)(split - lines_sql), lines_sql, split + sizeof from - 1);
    return db_query(db, sql,
                    DB_PARAMS(DB_INT(tenant_id), DB_STR(month), DB_INT(limit > 0 ? limit : 1000000000),
                              DB_INT(offset), DB_INT(review_id), DB_INT(tenant_id), DB_STR(month)),
                    out);
}

#define LINE_ORDER "c.company_name, c.subscription_name, c.description, c.connection_id, c.line_id"

static int id_row(void *ctx, int ncols, char **cells, size_t *lens)
{
    struct { long long *v; size_t n, cap; } *ids = ctx;
    (void)ncols, (void)lens;
    if (ids->n == ids->cap) {
        size_t cap = ids->cap ? ids->cap * 2 : 4096;
        long long *nv = realloc(ids->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        ids->v = nv;
        ids->cap = cap;
    }
    ids->v[ids->n++] = strtoll(cells[0] ? cells[0] : "0", NULL, 10);
    return 0;
}

int review_line_ids(db_t *db, long long tenant_id, const char *month, long long **out, size_t *n)
{
    struct { long long *v; size_t n, cap; } ids = {0};
    *out = NULL;
    *n = 0;
    if (db_stream(db, "SELECT c.id FROM src_charges c WHERE c.tenant_id = ? AND c.period_month = ? ORDER BY " LINE_ORDER,
                  DB_PARAMS(DB_INT(tenant_id), DB_STR(month)), id_row, &ids) < 0) {
        free(ids.v);
        return -1;
    }
    *out = ids.v;
    *n = ids.n;
    return 0;
}

int review_lines_of(db_t *db, long long tenant_id, const char *month, long long review_id, const long long *ids,
                    int n, struct dbrows *out)
{
    static const char from[] = " FROM src_charges c";
    const char *split = strstr(lines_sql, from);
    char marks[REVIEW_BATCH * 3 + 1];
    struct dbv v[REVIEW_BATCH + 5];
    if (n <= 0 || n > REVIEW_BATCH) {
        memset(out, 0, sizeof *out);
        return n == 0 ? 0 : -1;
    }
    int k = 0, m = 0;
    v[m++] = DB_INT(tenant_id);
    v[m++] = DB_STR(month);
    for (int i = 0; i < n; i++) {
        k += snprintf(marks + k, sizeof marks - (size_t)k, "%s?", i ? ", " : "");
        v[m++] = DB_INT(ids[i]);
    }
    v[m++] = DB_INT(review_id);
    v[m++] = DB_INT(tenant_id);
    v[m++] = DB_STR(month);
    char sql[sizeof lines_sql + sizeof marks + 600];
    snprintf(sql, sizeof sql,
             "%.*s FROM (SELECT id FROM src_charges WHERE tenant_id = ? AND period_month = ? AND id IN (%s)) pick"
             " JOIN src_charges c ON c.id = pick.id%s ORDER BY " LINE_ORDER,
             (int)(split - lines_sql), lines_sql, marks, split + sizeof from - 1);
    return db_query(db, sql, v, m, out);
}

int review_line(db_t *db, long long tenant_id, const char *month, long long review_id, long long conn,
                const char *line_id, struct dbrows *out)
{
    char sql[sizeof lines_sql + 100];
    snprintf(sql, sizeof sql, "%s AND c.connection_id = ? AND c.line_id = ?", lines_sql);
    if (db_query(db, sql,
                 DB_PARAMS(DB_INT(review_id), DB_INT(tenant_id), DB_STR(month), DB_INT(conn), DB_STR(line_id)),
                 out) < 0)
        return -1;
    return out->nrows > 0;
}

int review_count(db_t *db, long long tenant_id, const char *month, long long *n)
{
    *n = 0;
    return db_scalar(db, "SELECT COUNT(*) FROM src_charges WHERE tenant_id = ? AND period_month = ?",
                     DB_PARAMS(DB_INT(tenant_id), DB_STR(month)), n) < 0 ? -1 : 0;
}

int review_line_status(db_t *db, long long tenant_id, long long review_id, long long conn, const char *line_id,
                       const char *status)
{
    return db_exec(db,
                   "INSERT INTO billing_review_lines (tenant_id, review_id, src_connection_id, line_id, status)"
                   " VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                   " updated_at = IF(status = VALUES(status), updated_at, UTC_TIMESTAMP(6)), status = VALUES(status)",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(review_id), DB_INT(conn), DB_STR(line_id), DB_STR(status)),
                   NULL, NULL);
}

int review_line_decide(db_t *db, long long tenant_id, long long review_id, long long conn, const char *line_id,
                       const char *decision, const char *note, long long user_id)
{
    return db_exec(db,
                   "INSERT INTO billing_review_lines (tenant_id, review_id, src_connection_id, line_id, decision,"
                   " note, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))"
                   " ON DUPLICATE KEY UPDATE decision = VALUES(decision), note = VALUES(note),"
                   " decided_by = VALUES(decided_by), decided_at = VALUES(decided_at), updated_at = UTC_TIMESTAMP(6)",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(review_id), DB_INT(conn), DB_STR(line_id), DB_STR(decision),
                             DB_STR(note ? note : ""), DB_INT(user_id)),
                   NULL, NULL);
}

int review_line_adjustment(db_t *db, long long tenant_id, long long review_id, long long conn, const char *line_id,
                           long long adjustment_id)
{
    return db_exec(db,
                   "INSERT INTO billing_review_lines (tenant_id, review_id, src_connection_id, line_id, adjustment_id)"
                   " VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE adjustment_id = VALUES(adjustment_id),"
                   " updated_at = UTC_TIMESTAMP(6)",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(review_id), DB_INT(conn), DB_STR(line_id),
                             DB_INT(adjustment_id)),
                   NULL, NULL);
}

int review_link_last_effective(db_t *db, long long tenant_id, long long link_id, char out[11])
{
    struct dbrows r;
    out[0] = 0;
    if (db_query(db,
                 "SELECT COALESCE(DATE_FORMAT(MAX(effective_date), '%Y-%m-%d'), '') FROM adjustments"
                 " WHERE tenant_id = ? AND resource_link_id = ? AND kind = 'units'"
                 " AND state IN ('queued', 'posted', 'verified')",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(link_id)), &r) < 0)
        return -1;
    if (r.nrows && dbrows_get(&r, 0, 0))
        snprintf(out, 11, "%s", dbrows_get(&r, 0, 0));
    dbrows_free(&r);
    return 0;
}

int review_adjustment_state(db_t *db, long long tenant_id, long long adjustment_id, char out[24])
{
    struct dbrows r;
    out[0] = 0;
    if (db_query(db, "SELECT state FROM adjustments WHERE tenant_id = ? AND id = ?",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(adjustment_id)), &r) < 0)
        return -1;
    if (r.nrows && dbrows_get(&r, 0, 0))
        snprintf(out, 24, "%s", dbrows_get(&r, 0, 0));
    dbrows_free(&r);
    return 0;
}
