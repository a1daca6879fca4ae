/* cost_ledger.c: cost and price changes in the ledger, price policies (see cost_ledger.h). */
#include "db/cost_ledger.h"

#include <stdio.h>
#include <string.h>

int cost_seen_set(db_t *db, long long tenant_id, long long link_id, money_t cost)
{
    return db_exec(db, "UPDATE resource_links SET cost_seen = ? WHERE tenant_id = ? AND id = ?"
                       " AND NOT (cost_seen <=> ?)",
                   DB_PARAMS(DB_INT(cost), DB_INT(tenant_id), DB_INT(link_id), DB_INT(cost)), NULL, NULL) < 0
               ? -1 : 0;
}

/* The distinct days from `from` on of the service's rows that match `which`. */
static int days_of(db_t *db, const char *which, long long tenant_id, long long psa_connection_id,
                   const char *contract_id, const char *service_id, cdate_t from, cdate_t *days, int max, int *n)
{
    struct dbrows r;
    char day[11], sql[800];
    cdate_format(from, day, sizeof day);
    *n = 0;
    snprintf(sql, sizeof sql,
             "SELECT DISTINCT DATE_FORMAT(effective_date, '%%Y-%%m-%%d') FROM adjustments"
             " WHERE tenant_id = ? AND psa_connection_id = ? AND psa_contract_id = ? AND psa_service_id = ?"
             " AND effective_date >= ? AND (%s) ORDER BY 1 LIMIT ?", which);
    if (db_query(db, sql,
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_connection_id), DB_STR(contract_id), DB_STR(service_id),
                           DB_STR(day), DB_INT(max)),
                 &r) < 0)
        return -1;
    for (int i = 0; i < r.nrows && *n < max; i++)
        if (cdate_parse(dbrows_get(&r, i, 0), &days[*n]) == 0)
            (*n)++;
    dbrows_free(&r);
    return 0;
}

int cost_busy_days(db_t *db, long long tenant_id, long long psa_connection_id, const char *contract_id,
                   const char *service_id, cdate_t from, cdate_t *days, int max, int *n)
{
    return days_of(db,
                   "state IN ('verified', 'posted') OR (kind = 'units'"
                   " AND state IN ('planned', 'awaiting_approval', 'queued', 'failed'))",
                   tenant_id, psa_connection_id, contract_id, service_id, from, days, max, n);
}

int cost_days(db_t *db, long long tenant_id, long long psa_connection_id, const char *contract_id,
              const char *service_id, cdate_t from, cdate_t *days, int max, int *n)
{
    return days_of(db,
                   "kind = 'cost' AND state IN ('planned', 'awaiting_approval', 'queued', 'posted', 'verified',"
                   " 'failed')",
                   tenant_id, psa_connection_id, contract_id, service_id, from, days, max, n);
}

int cost_plan_record(db_t *db, const struct cost_plan *p, long long *id)
{
    char key[191], date[11];
    cdate_format(p->effective, date, sizeof date);
    /* The same cost (and price) for the same service on the same day is the same change. */
    snprintf(key, sizeof key, "cost:%lld:%s:%s:%s:%lld:%lld", p->psa_connection_id, p->psa_contract_id,
             p->psa_service_id, date, (long long)p->new_cost, p->has_price ? (long long)p->new_price : -1LL);
    uint64_t affected = 0, nid = 0;
    if (db_exec(db,
                "INSERT IGNORE INTO adjustments (tenant_id, resource_link_id, origin, kind, src_connection_id,"
                " src_resource_id, psa_connection_id, psa_contract_id, psa_service_id, desired_units,"
                " psa_units_before, unit_change, effective_date, unit_price, prorated_amount, state,"
                " idempotency_key, cost_before, new_unit_cost, price_before, new_unit_price, last_error)"
                " VALUES (?, ?, 'sync', 'cost', ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
                DB_PARAMS(DB_INT(p->tenant_id), DB_INT(p->resource_link_id), DB_INT(p->src_connection_id),
                          DB_STR(p->src_resource_id), DB_INT(p->psa_connection_id), DB_STR(p->psa_contract_id),
                          DB_STR(p->psa_service_id), DB_STR(date), DB_INT(p->price_before), DB_STR(p->state),
                          DB_STR(key), DB_INT(p->cost_before), DB_INT(p->new_cost), DB_INT(p->price_before),
                          p->has_price ? DB_INT(p->new_price) : DB_NULL, DB_STR(p->reason)),
                &affected, &nid) < 0)
        return -1;
    long long the_id = (long long)nid;
    if (!affected &&
        db_scalar(db, "SELECT id FROM adjustments WHERE tenant_id = ? AND idempotency_key = ?",
                  DB_PARAMS(DB_INT(p->tenant_id), DB_STR(key)), &the_id) < 0)
        return -1;
    if (id)
        *id = the_id;
    /* One open cost change per service: the newest replaces any still waiting. */
    if (db_exec(db,
                "UPDATE adjustments SET state = 'superseded', updated_at = UTC_TIMESTAMP(6)"
                " WHERE tenant_id = ? AND psa_connection_id = ? AND psa_contract_id = ? AND psa_service_id = ?"
                " AND id <> ? AND kind = 'cost' AND state IN ('planned', 'awaiting_approval', 'queued', 'failed')"
                " AND (lease_until IS NULL OR lease_until < UTC_TIMESTAMP(6))",
                DB_PARAMS(DB_INT(p->tenant_id), DB_INT(p->psa_connection_id), DB_STR(p->psa_contract_id),
                          DB_STR(p->psa_service_id), DB_INT(the_id)),
                NULL, NULL) < 0)
        return -1;
    return affected ? 1 : 0;
}

static void policy_fill(const struct dbrows *r, int i, void *rec)
{
    struct price_policy_row *x = rec;
    snprintf(x->scope, sizeof x->scope, "%s", dbrows_get(r, i, 0));
    x->psa_connection_id = dbrows_int(r, i, 1, 0);
    snprintf(x->scope_id, sizeof x->scope_id, "%s", dbrows_get(r, i, 2));
    if (price_mode_parse(dbrows_get(r, i, 3), &x->p.mode) < 0)
        x->p.mode = PRICE_KEEP;
    x->p.markup_bp = (int)dbrows_int(r, i, 4, 0);
    x->p.maintain = (int)dbrows_int(r, i, 5, 0);
    snprintf(x->name, sizeof x->name, "%s", dbrows_get(r, i, 6) ? dbrows_get(r, i, 6) : "");
}

int price_policies_list(db_t *db, long long tenant_id, struct price_policy_list *out)
{
    return DB_LIST_QUERY(db, out, policy_fill,
                         "SELECT p.scope, p.psa_connection_id, p.scope_id, p.mode, p.markup_bp, p.maintain,"
                         " COALESCE(a.name, s.name, '') FROM price_policies p"
                         " LEFT JOIN psa_companies a ON p.scope = 'company' AND a.tenant_id = p.tenant_id"
                         "  AND a.connection_id = p.psa_connection_id AND a.psa_id = p.scope_id"
                         " LEFT JOIN psa_services s ON p.scope = 'product' AND s.tenant_id = p.tenant_id"
                         "  AND s.connection_id = p.psa_connection_id AND s.psa_id = p.scope_id"
                         " WHERE p.tenant_id = ? ORDER BY FIELD(p.scope, 'tenant', 'company', 'product'),"
                         " COALESCE(a.name, s.name, ''), p.scope_id",
                         DB_PARAMS(DB_INT(tenant_id)));
}

int price_policies_for(db_t *db, long long tenant_id, long long psa_connection_id, const char *company_id,
                       const char *service_id, struct price_policy lv[3], int found[3])
{
    struct dbrows r;
    memset(found, 0, 3 * sizeof *found);
    if (db_query(db,
                 "SELECT scope, mode, markup_bp, maintain FROM price_policies WHERE tenant_id = ?"
                 " AND (scope = 'tenant' OR (psa_connection_id = ? AND ((scope = 'company' AND scope_id = ?)"
                 "  OR (scope = 'product' AND scope_id = ?))))",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_connection_id), DB_STR(company_id), DB_STR(service_id)),
                 &r) < 0)
        return -1;
    for (int i = 0; i < r.nrows; i++) {
        const char *scope = dbrows_get(&r, i, 0);
        int k = !strcmp(scope, "tenant") ? 0 : !strcmp(scope, "company") ? 1 : 2;
        if (price_mode_parse(dbrows_get(&r, i, 1), &lv[k].mode) < 0)
            lv[k].mode = PRICE_KEEP;
        lv[k].markup_bp = (int)dbrows_int(&r, i, 2, 0);
        lv[k].maintain = (int)dbrows_int(&r, i, 3, 0);
        found[k] = 1;
    }
    dbrows_free(&r);
    return 0;
}

static void target_fill(const struct dbrows *r, int i, void *rec)
{
    struct price_target *x = rec;
    x->psa_connection_id = dbrows_int(r, i, 0, 0);
    x->id = dbrows_get(r, i, 1);
    x->name = dbrows_get(r, i, 2);
}

int price_targets(db_t *db, long long tenant_id, const char *scope, int max, struct price_target_list *out)
{
    if (!strcmp(scope, "company"))
        return DB_LIST_QUERY(db, out, target_fill,
                             "SELECT connection_id, psa_id, name FROM psa_companies WHERE tenant_id = ? AND gone = 0"
                             " ORDER BY name, psa_id LIMIT ?",
                             DB_PARAMS(DB_INT(tenant_id), DB_INT(max)));
    return DB_LIST_QUERY(db, out, target_fill,
                         "SELECT connection_id, psa_id, name FROM psa_services WHERE tenant_id = ? AND gone = 0"
                         " ORDER BY name, psa_id LIMIT ?",
                         DB_PARAMS(DB_INT(tenant_id), DB_INT(max)));
}

int price_target_exists(db_t *db, long long tenant_id, const char *scope, long long psa_connection_id,
                        const char *id)
{
    long long n = 0;
    const char *sql = !strcmp(scope, "company")
                          ? "SELECT COUNT(*) FROM psa_companies WHERE tenant_id = ? AND connection_id = ? AND psa_id = ?"
                          : "SELECT COUNT(*) FROM psa_services WHERE tenant_id = ? AND connection_id = ? AND psa_id = ?";
    if (db_scalar(db, sql, DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_connection_id), DB_STR(id)), &n) < 0)
        return -1;
    return n > 0;
}

int price_policy_for_contract(db_t *db, long long tenant_id, long long psa_connection_id, const char *contract_id,
                              const char *service_id, struct price_policy *out)
{
    struct dbrows r;
    char company[33] = "";
    if (db_query(db, "SELECT company_psa_id FROM psa_contracts WHERE tenant_id = ? AND connection_id = ? AND psa_id = ?",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_connection_id), DB_STR(contract_id)), &r) < 0)
        return -1;
    if (r.nrows && dbrows_get(&r, 0, 0))
        snprintf(company, sizeof company, "%s", dbrows_get(&r, 0, 0));
    dbrows_free(&r);
    struct price_policy lv[3];
    int found[3];
    if (price_policies_for(db, tenant_id, psa_connection_id, company, service_id, lv, found) < 0)
        return -1;
    *out = price_policy_resolve(found[0] ? &lv[0] : NULL, found[1] ? &lv[1] : NULL, found[2] ? &lv[2] : NULL);
    return 0;
}

int price_policy_save(db_t *db, long long tenant_id, const char *scope, long long psa_connection_id,
                      const char *scope_id, const struct price_policy *p, long long user_id)
{
    return db_exec(db,
                   "INSERT INTO price_policies (tenant_id, scope, psa_connection_id, scope_id, mode, markup_bp,"
                   " maintain, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                   " mode = VALUES(mode), markup_bp = VALUES(markup_bp), maintain = VALUES(maintain),"
                   " updated_by = VALUES(updated_by), updated_at = UTC_TIMESTAMP(6)",
                   DB_PARAMS(DB_INT(tenant_id), DB_STR(scope), DB_INT(psa_connection_id), DB_STR(scope_id),
                             DB_STR(price_mode_name(p->mode)), DB_INT(p->markup_bp), DB_INT(p->maintain),
                             DB_INT(user_id)),
                   NULL, NULL) < 0 ? -1 : 0;
}

int price_policy_delete(db_t *db, long long tenant_id, const char *scope, long long psa_connection_id,
                        const char *scope_id)
{
    return db_exec(db,
                   "DELETE FROM price_policies WHERE tenant_id = ? AND scope = ? AND psa_connection_id = ?"
                   " AND scope_id = ?",
                   DB_PARAMS(DB_INT(tenant_id), DB_STR(scope), DB_INT(psa_connection_id), DB_STR(scope_id)),
                   NULL, NULL) < 0 ? -1 : 0;
}

int psa_cache_money(db_t *db, long long tenant_id, long long connection_id, const char *contract_id,
                    const char *service_id, money_t cost, int has_price, money_t price)
{
    return db_exec(db,
                   "UPDATE psa_contract_services SET unit_cost = ?, unit_price = IF(?, ?, unit_price)"
                   " WHERE tenant_id = ? AND connection_id = ? AND contract_psa_id = ? AND service_psa_id = ?"
                   " AND gone = 0",
                   DB_PARAMS(DB_INT(cost), DB_INT(has_price), DB_INT(price), DB_INT(tenant_id),
                             DB_INT(connection_id), DB_STR(contract_id), DB_STR(service_id)),
                   NULL, NULL) < 0 ? -1 : 0;
}

int tenant_currency(db_t *db, long long tenant_id, char out[4])
{
    struct dbrows r;
    snprintf(out, 4, "USD");
    if (db_query(db, "SELECT currency FROM tenants WHERE id = ?", DB_PARAMS(DB_INT(tenant_id)), &r) < 0)
        return -1;
    if (r.nrows && dbrows_get(&r, 0, 0))
        snprintf(out, 4, "%s", dbrows_get(&r, 0, 0));
    dbrows_free(&r);
    return 0;
}
