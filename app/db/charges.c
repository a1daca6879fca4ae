/* charges.c: what the annual-charge and usage jobs read and record (see charges.h). */
#include "db/charges.h"

#include "db/charge_sql.h"

#include <stdio.h>

static void annual_fill(const struct dbrows *r, int i, void *p)
{
    struct annual_due *a = p;
    a->line_id = dbrows_get(r, i, 0);
    a->src_conn = dbrows_int(r, i, 1, 0);
    a->sub_src = dbrows_get(r, i, 2);
    a->description = dbrows_get(r, i, 3);
    a->sku = dbrows_get(r, i, 4);
    a->period_start = dbrows_get(r, i, 5);
    a->period_end = dbrows_get(r, i, 6);
    a->qty = dbrows_int(r, i, 7, 0);
    a->unit_cost = dbrows_int(r, i, 8, 0);
    a->unit_price = dbrows_int(r, i, 9, 0);
    a->ext_cost = dbrows_int(r, i, 10, 0);
    a->ext_price = dbrows_int(r, i, 11, 0);
    a->psa_conn = dbrows_int(r, i, 12, 0);
    a->contract = dbrows_get(r, i, 13);
    a->billing_start = dbrows_get(r, i, 14);
    a->currency = dbrows_get(r, i, 15);
    a->tenant_currency = dbrows_get(r, i, 16);
    a->subscription_name = dbrows_get(r, i, 17);
}

int charges_annual_due(db_t *db, long long tenant_id, struct annual_due_list *out)
{
    return DB_LIST_QUERY(db, out, annual_fill,
                    "SELECT ch.line_id, ch.connection_id, ch.subscription_source_id, ch.description, ch.sku,"
                    " DATE_FORMAT(ch.period_start, '%Y-%m-%d'), DATE_FORMAT(ch.period_end, '%Y-%m-%d'),"
                    " ch.quantity, ch.unit_cost, ch.unit_price, ch.extended_cost, ch.extended_price,"
                    " l.psa_connection_id, l.psa_contract_id, COALESCE(DATE_FORMAT(k.billing_start, '%Y-%m-%d'), ''),"
                    " ch.currency, t.currency, ch.subscription_name"
                    " FROM src_charges ch JOIN tenants t ON t.id = ch.tenant_id"
                    " JOIN subscription_links l ON l.tenant_id = ch.tenant_id AND l.src_connection_id = ch.connection_id"
                    "  AND l.src_subscription_id = ch.subscription_source_id AND l.active_key = 1"
                    " LEFT JOIN psa_contracts k ON k.tenant_id = l.tenant_id AND k.connection_id = l.psa_connection_id"
                    "  AND k.psa_id = l.psa_contract_id"
                    " WHERE ch.tenant_id = ? AND ch.frequency = 'annual'"
                    " AND ch.charge_type IN ('one_time', 'recurring', 'proration')"
                    /* The key is the subscription, the term (or the rest of it, for seats added
                     * mid-term) and the seats: a re-issued or corrected invoice line for the same
                     * thing is the same charge. Keys of earlier versions ended with the line id. */
                    " AND NOT EXISTS (SELECT 1 FROM charges_posted p WHERE p.tenant_id = ch.tenant_id"
                    "  AND p.state = 'posted' AND p.charge_key IN ("
                    "  CONCAT('annual:', ch.connection_id, ':', ch.subscription_source_id, ':',"
                    "   DATE_FORMAT(ch.period_start, '%Y-%m-%d'), ':', DATE_FORMAT(ch.period_end, '%Y-%m-%d'), ':q',"
                    "   ch.quantity),"
                    "  CONCAT('annual:', ch.connection_id, ':', ch.subscription_source_id, ':',"
                    "   DATE_FORMAT(ch.period_start, '%Y-%m-%d'), ':', ch.line_id)))"
                    " ORDER BY ch.period_start, ch.id LIMIT 500",
                    DB_PARAMS(DB_INT(tenant_id)));
}

static void usage_fill(const struct dbrows *r, int i, void *p)
{
    struct usage_due *u = p;
    u->src_conn = dbrows_int(r, i, 0, 0);
    u->res_src = dbrows_get(r, i, 1);
    u->name = dbrows_get(r, i, 2);
    u->sku = dbrows_get(r, i, 3);
    u->qty = dbrows_int(r, i, 4, 0);
    u->ext_cost = dbrows_int(r, i, 5, 0);
    u->psa_conn = dbrows_int(r, i, 6, 0);
    u->contract = dbrows_get(r, i, 7);
    u->service = dbrows_get(r, i, 8);
    u->billing_start = dbrows_get(r, i, 9);
    u->currencies = dbrows_get(r, i, 10);
    u->tenant_currency = dbrows_get(r, i, 11);
}

int charges_usage_due(db_t *db, long long tenant_id, const char *month_first_day, struct usage_due_list *out)
{
    return DB_LIST_QUERY(db, out, usage_fill,
                    "SELECT ch.connection_id, ch.resource_source_id, MAX(ch.description), MAX(ch.sku),"
                    " SUM(ch.quantity), SUM(ch.extended_cost), l.psa_connection_id, l.psa_contract_id,"
                    " l.psa_service_id, COALESCE(DATE_FORMAT(MAX(k.billing_start), '%Y-%m-%d'), ''),"
                    " GROUP_CONCAT(DISTINCT ch.currency ORDER BY ch.currency SEPARATOR ', '), MAX(t.currency)"
                    " FROM src_charges ch JOIN tenants t ON t.id = ch.tenant_id"
                    " JOIN resource_links l ON l.tenant_id = ch.tenant_id AND l.src_connection_id = ch.connection_id"
                    "  AND l.src_resource_id = ch.resource_source_id AND l.active_key = 1"
                    " LEFT JOIN psa_contracts k ON k.tenant_id = l.tenant_id AND k.connection_id = l.psa_connection_id"
                    "  AND k.psa_id = l.psa_contract_id"
                    " WHERE ch.tenant_id = ? AND ch.charge_type = 'usage' AND ch.period_month = ?"
                    " GROUP BY ch.connection_id, ch.resource_source_id, l.psa_connection_id, l.psa_contract_id,"
                    " l.psa_service_id ORDER BY 1, 2",
                    DB_PARAMS(DB_INT(tenant_id), DB_STR(month_first_day)));
}

int charges_done(db_t *db, long long tenant_id, const char *key)
{
    long long one = 0;
    return db_scalar(db, "SELECT 1 FROM charges_posted WHERE tenant_id = ? AND charge_key = ? AND state = 'posted'",
                     DB_PARAMS(DB_INT(tenant_id), DB_STR(key)), &one);
}

int charges_record(db_t *db, long long tenant_id, const struct charge_rec *c, const char *outcome,
                   const char *summary, const char *response, const char *error)
{
    if (db_exec(db,
                "INSERT INTO charges_posted (tenant_id, kind, charge_key, src_connection_id, src_subscription_id,"
                " src_resource_id, psa_connection_id, psa_contract_id, psa_service_id, psa_charge_id, description,"
                " charge_date, quantity, unit_price, unit_cost, state, last_error, attempts)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"
                " ON DUPLICATE KEY UPDATE psa_charge_id = VALUES(psa_charge_id), state = VALUES(state),"
                " last_error = VALUES(last_error), attempts = attempts + 1,"
                " src_subscription_id = COALESCE(src_subscription_id, VALUES(src_subscription_id)),"
                " src_resource_id = COALESCE(src_resource_id, VALUES(src_resource_id)),"
                " psa_service_id = COALESCE(psa_service_id, VALUES(psa_service_id)), updated_at = UTC_TIMESTAMP(6)",
                DB_PARAMS(DB_INT(tenant_id), DB_STR(c->kind), DB_STR(c->key), DB_INT(c->src_conn),
                          DB_STR(c->src_subscription), DB_STR(c->src_resource), DB_INT(c->psa_conn),
                          DB_STR(c->contract), DB_STR(c->service), DB_STR(c->charge_id), DB_STR(c->description),
                          DB_STR(c->date), DB_INT(c->qty), DB_INT(c->unit_price), DB_INT(c->unit_cost),
                          DB_STR(error ? "failed" : "posted"), DB_STR(error)),
                NULL, NULL) < 0)
        return -1;
    return db_exec(db,
                   "INSERT INTO charge_attempts (tenant_id, charge_id, outcome, request_summary, response, error)"
                   " SELECT tenant_id, id, ?, ?, ?, ? FROM charges_posted WHERE tenant_id = ? AND charge_key = ?",
                   DB_PARAMS(DB_STR(error ? "failed" : outcome), DB_STR(summary ? summary : ""),
                             DB_STR(response ? response : ""), DB_STR(error), DB_INT(tenant_id), DB_STR(c->key)),
                   NULL, NULL);
}

int charges_failed(db_t *db, long long tenant_id, long long *n, char oldest[11])
{
    struct dbrows r;
    if (db_query(db,
                 "SELECT COUNT(*), COALESCE(DATE_FORMAT(MIN(created_at), '%Y-%m-%d'), '') FROM charges_posted"
                 " WHERE tenant_id = ? AND state = 'failed'",
                 DB_PARAMS(DB_INT(tenant_id)), &r) < 0)
        return -1;
    *n = dbrows_int(&r, 0, 0, 0);
    snprintf(oldest, 11, "%s", dbrows_get(&r, 0, 1) ? dbrows_get(&r, 0, 1) : "");
    dbrows_free(&r);
    return 0;
}

#define CHG_TIME(x) "COALESCE(DATE_FORMAT(" x ", '%Y-%m-%d %H:%i:%s UTC'), '')"

int charges_get(db_t *db, long long tenant_id, long long id, struct dbrows *out)
{
    if (db_query(db,
                 "SELECT ch.id, ch.kind, ch.charge_key, ch.description, " CHG_COMPANY ", " CHG_SUBSCRIPTION ","
                 " COALESCE(r.name, ch.src_resource_id, ''), " CHG_ACCOUNT ", " CHG_CONTRACT ", " CHG_SERVICE ","
                 " DATE_FORMAT(ch.charge_date, '%Y-%m-%d'), ch.quantity, ch.unit_price, ch.unit_cost, ch.state,"
                 " ch.attempts, " CHG_ERROR ", COALESCE(ch.psa_charge_id, ''), " CHG_TIME("ch.created_at") ","
                 " " CHG_TIME("ch.updated_at")
                 CHG_JOINS " WHERE ch.tenant_id = ? AND ch.id = ?",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(id)), out) < 0)
        return -1;
    return out->nrows > 0;
}

int charges_attempts(db_t *db, long long tenant_id, long long id, struct attempt_list *out)
{
    return DB_LIST_QUERY(db, out, attempt_fill,
                         "SELECT " CHG_TIME("at") ", outcome, request_summary, response, COALESCE(error, '')"
                         " FROM charge_attempts WHERE tenant_id = ? AND charge_id = ? ORDER BY id",
                         DB_PARAMS(DB_INT(tenant_id), DB_INT(id)));
}

static void alert_adjustment_fill(const struct dbrows *r, int i, void *p)
{
    struct alert_adjustment *a = p;
    a->id = dbrows_int(r, i, 0, 0);
    a->company = dbrows_get(r, i, 1);
    a->resource = dbrows_get(r, i, 2);
    a->unit_change = dbrows_int(r, i, 3, 0);
    a->effective = dbrows_get(r, i, 4);
    a->error = dbrows_get(r, i, 5);
    a->first_failure = dbrows_get(r, i, 6);
}

int alerts_due(db_t *db, long long tenant_id, int after_minutes, struct alert_adjustment_list *out)
{
    return DB_LIST_QUERY(db, out, alert_adjustment_fill,
                    "SELECT a.id, COALESCE(c.name, ''), COALESCE(r.name, a.src_resource_id), a.unit_change,"
                    " DATE_FORMAT(a.effective_date, '%Y-%m-%d'), COALESCE(a.last_error, ''),"
                    " DATE_FORMAT(MIN(t.at), '%Y-%m-%d %H:%i UTC')"
                    " FROM adjustments a JOIN adjustment_attempts t ON t.tenant_id = a.tenant_id AND t.adjustment_id = a.id"
                    " LEFT JOIN src_resources r ON r.tenant_id = a.tenant_id AND r.connection_id = a.src_connection_id"
                    "  AND r.source_id = a.src_resource_id"
                    " LEFT JOIN src_companies c ON c.tenant_id = a.tenant_id AND c.connection_id = a.src_connection_id"
                    "  AND c.source_id = r.company_source_id"
                    " WHERE a.tenant_id = ? AND a.state = 'failed' AND a.alerted_at IS NULL"
                    " GROUP BY a.id HAVING MIN(t.at) < UTC_TIMESTAMP(6) - INTERVAL ? MINUTE ORDER BY a.id",
                    DB_PARAMS(DB_INT(tenant_id), DB_INT(after_minutes)));
}

int alerts_mark(db_t *db, long long tenant_id, long long adjustment_id)
{
    return db_exec(db, "UPDATE adjustments SET alerted_at = UTC_TIMESTAMP(6) WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(adjustment_id)), NULL, NULL);
}

int alerts_admins(db_t *db, long long tenant_id, struct email_list *out)
{
    return DB_LIST_QUERY(db, out, email_fill,
                         "SELECT email FROM users WHERE tenant_id = ? AND role = 'admin' AND disabled = 0"
                         " AND password_hash IS NOT NULL ORDER BY email",
                         DB_PARAMS(DB_INT(tenant_id)));
}

static void alert_charge_fill(const struct dbrows *r, int i, void *p)
{
    struct alert_charge *a = p;
    a->id = dbrows_int(r, i, 0, 0);
    a->description = dbrows_get(r, i, 1);
    a->error = dbrows_get(r, i, 2);
    a->first_failure = dbrows_get(r, i, 3);
}

int alerts_due_charges(db_t *db, long long tenant_id, int after_minutes, struct alert_charge_list *out)
{
    /* A charge is created at its first attempt: created_at is when it started failing. */
    return DB_LIST_QUERY(db, out, alert_charge_fill,
                    "SELECT id, description, COALESCE(last_error, ''), DATE_FORMAT(created_at, '%Y-%m-%d %H:%i UTC')"
                    " FROM charges_posted WHERE tenant_id = ? AND state = 'failed' AND alerted_at IS NULL"
                    " AND created_at < UTC_TIMESTAMP(6) - INTERVAL ? MINUTE ORDER BY id",
                    DB_PARAMS(DB_INT(tenant_id), DB_INT(after_minutes)));
}

int alerts_mark_charge(db_t *db, long long tenant_id, long long charge_id)
{
    return db_exec(db, "UPDATE charges_posted SET alerted_at = UTC_TIMESTAMP(6) WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(charge_id)), NULL, NULL);
}
