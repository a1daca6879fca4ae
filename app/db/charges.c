/* charges.c: what the annual-charge and usage jobs read and record (see charges.h). */
#include "db/charges.h"

int charges_annual_due(db_t *db, long long tenant_id, struct dbrows *out)
{
    return db_query(db,
                    "SELECT ch.line_id, ch.connection_id, ch.subscription_source_id, ch.description, ch.sku,"
                    " DATE_FORMAT(ch.period_start, '%Y-%m-%d'), DATE_FORMAT(ch.period_end, '%Y-%m-%d'),"
                    " ch.quantity, ch.unit_cost, ch.unit_price, ch.extended_cost, ch.extended_price,"
                    " l.psa_connection_id, l.psa_contract_id, COALESCE(DATE_FORMAT(k.billing_start, '%Y-%m-%d'), '')"
                    " FROM src_charges ch"
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
                    DB_PARAMS(DB_INT(tenant_id)), out);
}

int charges_usage_due(db_t *db, long long tenant_id, const char *month_first_day, struct dbrows *out)
{
    return db_query(db,
                    "SELECT ch.connection_id, ch.resource_source_id, MAX(ch.description), MAX(ch.sku),"
                    " SUM(ch.quantity), SUM(ch.extended_cost), l.psa_connection_id, l.psa_contract_id,"
                    " l.psa_service_id, COALESCE(DATE_FORMAT(MAX(k.billing_start), '%Y-%m-%d'), '')"
                    " FROM src_charges ch"
                    " JOIN resource_links l ON l.tenant_id = ch.tenant_id AND l.src_connection_id = ch.connection_id"
                    "  AND l.src_resource_id = ch.resource_source_id AND l.active_key = 1"
                    " LEFT JOIN psa_contracts k ON k.tenant_id = l.tenant_id AND k.connection_id = l.psa_connection_id"
                    "  AND k.psa_id = l.psa_contract_id"
                    " WHERE ch.tenant_id = ? AND ch.charge_type = 'usage' AND ch.period_month = ?"
                    " GROUP BY ch.connection_id, ch.resource_source_id, l.psa_connection_id, l.psa_contract_id,"
                    " l.psa_service_id ORDER BY 1, 2",
                    DB_PARAMS(DB_INT(tenant_id), DB_STR(month_first_day)), out);
}

int charges_done(db_t *db, long long tenant_id, const char *key)
{
    long long one = 0;
    return db_scalar(db, "SELECT 1 FROM charges_posted WHERE tenant_id = ? AND charge_key = ? AND state = 'posted'",
                     DB_PARAMS(DB_INT(tenant_id), DB_STR(key)), &one);
}

int charges_record(db_t *db, long long tenant_id, const char *kind, const char *key, long long src_conn,
                   long long psa_conn, const char *contract, const char *charge_id, const char *description,
                   const char *date, long long qty, long long unit_price, long long unit_cost, const char *error)
{
    return db_exec(db,
                   "INSERT INTO charges_posted (tenant_id, kind, charge_key, src_connection_id, psa_connection_id,"
                   " psa_contract_id, psa_charge_id, description, charge_date, quantity, unit_price, unit_cost, state,"
                   " last_error, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"
                   " ON DUPLICATE KEY UPDATE psa_charge_id = VALUES(psa_charge_id), state = VALUES(state),"
                   " last_error = VALUES(last_error), attempts = attempts + 1, updated_at = UTC_TIMESTAMP(6)",
                   DB_PARAMS(DB_INT(tenant_id), DB_STR(kind), DB_STR(key), DB_INT(src_conn), DB_INT(psa_conn),
                             DB_STR(contract), DB_STR(charge_id), DB_STR(description), DB_STR(date), DB_INT(qty),
                             DB_INT(unit_price), DB_INT(unit_cost), DB_STR(error ? "failed" : "posted"),
                             DB_STR(error)),
                   NULL, NULL);
}

int alerts_due(db_t *db, long long tenant_id, int after_minutes, struct dbrows *out)
{
    return db_query(db,
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
                    DB_PARAMS(DB_INT(tenant_id), DB_INT(after_minutes)), out);
}

int alerts_mark(db_t *db, long long tenant_id, long long adjustment_id)
{
    return db_exec(db, "UPDATE adjustments SET alerted_at = UTC_TIMESTAMP(6) WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(adjustment_id)), NULL, NULL);
}

int alerts_admins(db_t *db, long long tenant_id, struct dbrows *out)
{
    return db_query(db, "SELECT email FROM users WHERE tenant_id = ? AND role = 'admin' AND disabled = 0"
                        " AND password_hash IS NOT NULL ORDER BY email",
                    DB_PARAMS(DB_INT(tenant_id)), out);
}
