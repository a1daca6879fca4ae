/* adjust_view.c: adjustments with the names of what they concern (see adjust_view.h). */
#include "db/adjust_view.h"

#define AV_FROM \
    " FROM adjustments a" \
    " LEFT JOIN src_resources r ON r.tenant_id = a.tenant_id AND r.connection_id = a.src_connection_id" \
    "  AND r.source_id = a.src_resource_id" \
    " LEFT JOIN src_subscriptions s ON s.tenant_id = a.tenant_id AND s.connection_id = a.src_connection_id" \
    "  AND s.source_id = r.subscription_source_id" \
    " LEFT JOIN src_companies c ON c.tenant_id = a.tenant_id AND c.connection_id = a.src_connection_id" \
    "  AND c.source_id = r.company_source_id" \
    " LEFT JOIN psa_contracts k ON k.tenant_id = a.tenant_id AND k.connection_id = a.psa_connection_id" \
    "  AND k.psa_id = a.psa_contract_id" \
    " LEFT JOIN psa_companies pa ON pa.tenant_id = a.tenant_id AND pa.connection_id = a.psa_connection_id" \
    "  AND pa.psa_id = k.company_psa_id" \
    " LEFT JOIN psa_services sv ON sv.tenant_id = a.tenant_id AND sv.connection_id = a.psa_connection_id" \
    "  AND sv.psa_id = a.psa_service_id"

int av_list(db_t *db, long long tenant_id, const char *state, int limit, struct dbrows *out)
{
    return db_query(db,
                    "SELECT a.id, COALESCE(c.name, ''), COALESCE(s.name, ''), COALESCE(r.name, a.src_resource_id),"
                    " COALESCE(pa.name, ''), COALESCE(k.name, a.psa_contract_id), COALESCE(sv.name, a.psa_service_id),"
                    " a.psa_units_before, a.desired_units, a.unit_change, DATE_FORMAT(a.effective_date, '%Y-%m-%d'),"
                    " a.prorated_amount, COALESCE(a.last_error, ''), DATE_FORMAT(a.created_at, '%Y-%m-%d %H:%i UTC'),"
                    " a.state, a.attempts, COALESCE(DATE_FORMAT(a.next_attempt_at, '%Y-%m-%d %H:%i UTC'), ''),"
                    " COALESCE(a.last_error, ''), a.kind, a.cost_before, a.new_unit_cost, a.price_before,"
                    " a.new_unit_price"
                    AV_FROM " WHERE a.tenant_id = ? AND a.state = ? ORDER BY a.id LIMIT ?",
                    DB_PARAMS(DB_INT(tenant_id), DB_STR(state), DB_INT(limit)), out);
}

int av_count(db_t *db, long long tenant_id, const char *state, long long *n)
{
    return db_scalar(db, "SELECT COUNT(*) FROM adjustments WHERE tenant_id = ? AND state = ?",
                     DB_PARAMS(DB_INT(tenant_id), DB_STR(state)), n) < 0 ? -1 : 0;
}

#define AV_TIME(x) "COALESCE(DATE_FORMAT(" x ", '%Y-%m-%d %H:%i:%s UTC'), '')"

int av_get(db_t *db, long long tenant_id, long long id, struct dbrows *out)
{
    if (db_query(db,
                 "SELECT a.id, COALESCE(c.name, r.company_source_id, ''), COALESCE(s.name, r.subscription_source_id, ''),"
                 " COALESCE(r.name, a.src_resource_id), COALESCE(pa.name, k.company_psa_id, ''),"
                 " COALESCE(k.name, a.psa_contract_id), COALESCE(sv.name, a.psa_service_id), a.resource_link_id,"
                 " a.origin, a.psa_units_before, a.desired_units, a.unit_change,"
                 " DATE_FORMAT(a.effective_date, '%Y-%m-%d'), a.unit_price, a.prorated_amount, a.state, a.attempts,"
                 " " AV_TIME("a.next_attempt_at") ", COALESCE(a.last_error, ''), COALESCE(a.psa_ref, ''),"
                 " " AV_TIME("a.created_at") ", " AV_TIME("a.posted_at") ", COALESCE(u.email, ''),"
                 " " AV_TIME("a.decided_at") ", COALESCE(a.decision_note, '')"
                 AV_FROM
                 " LEFT JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.decided_by"
                 " WHERE a.tenant_id = ? AND a.id = ?",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(id)), out) < 0)
        return -1;
    return out->nrows > 0;
}

int av_attempts(db_t *db, long long tenant_id, long long id, struct attempt_list *out)
{
    return DB_LIST_QUERY(db, out, attempt_fill,
                         "SELECT " AV_TIME("at") ", outcome, request_summary, response, COALESCE(error, '')"
                         " FROM adjustment_attempts WHERE tenant_id = ? AND adjustment_id = ? ORDER BY id",
                         DB_PARAMS(DB_INT(tenant_id), DB_INT(id)));
}
