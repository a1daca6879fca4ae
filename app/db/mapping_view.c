/* mapping_view.c: what the Billing (mapping) page shows (see mapping_view.h). */
#include "db/mapping_view.h"

#include "db/links.h"

#include <stdio.h>
#include <string.h>

int mv_psa_connection(db_t *db, long long tenant_id, long long *id, char system[32])
{
    struct dbrows r;
    if (db_query(db, "SELECT id, system FROM connections WHERE tenant_id = ? AND kind = 'psa' ORDER BY id LIMIT 1",
                 DB_PARAMS(DB_INT(tenant_id)), &r) < 0)
        return -1;
    int found = r.nrows > 0;
    if (found) {
        *id = dbrows_int(&r, 0, 0, 0);
        snprintf(system, 32, "%s", dbrows_get(&r, 0, 1));
    }
    dbrows_free(&r);
    return found;
}

int mv_connections(db_t *db, long long tenant_id, struct dbrows *out)
{
    return db_query(db,
                    "SELECT id, name, system, refresh_status, refresh_message,"
                    " COALESCE(DATE_FORMAT(refreshed_at, '%Y-%m-%d %H:%i UTC'), 'never')"
                    " FROM connections WHERE tenant_id = ? ORDER BY kind, name, id",
                    DB_PARAMS(DB_INT(tenant_id)), out);
}

#define COMPANY_FROM \
    " FROM src_companies c JOIN connections k ON k.id = c.connection_id AND k.tenant_id = c.tenant_id" \
    " LEFT JOIN company_links l ON l.tenant_id = c.tenant_id AND l.src_connection_id = c.connection_id" \
    "  AND l.src_company_id = c.source_id AND l.active_key = 1" \
    " LEFT JOIN psa_companies a ON a.tenant_id = c.tenant_id AND a.connection_id = l.psa_connection_id" \
    "  AND a.psa_id = l.psa_company_id" \
    " LEFT JOIN (SELECT r.connection_id, r.company_source_id, SUM(rl.id IS NOT NULL) linked," \
    "  SUM(rl.id IS NULL) unlinked FROM src_resources r LEFT JOIN resource_links rl" \
    "  ON rl.tenant_id = r.tenant_id AND rl.src_connection_id = r.connection_id" \
    "  AND rl.src_resource_id = r.source_id AND rl.active_key = 1" \
    "  WHERE r.tenant_id = ? AND r.gone = 0 GROUP BY r.connection_id, r.company_source_id) n" \
    "  ON n.connection_id = c.connection_id AND n.company_source_id = c.source_id" \
    " WHERE c.tenant_id = ? AND c.gone = 0 AND c.name LIKE ?" \
    " AND (? = 1 OR l.id IS NULL OR COALESCE(n.unlinked, 0) > 0)"

int mv_companies(db_t *db, long long tenant_id, const char *q, int show_mapped, int limit,
                 int offset, struct dbrows *out, long long *total)
{
    char pat[408];                /* 2 * 200 + 3: the longest q the page accepts */
    db_like_pattern(q, pat, sizeof pat);
    if (db_scalar(db, "SELECT COUNT(*)" COMPANY_FROM,
                  DB_PARAMS(DB_INT(tenant_id), DB_INT(tenant_id), DB_STR(pat), DB_INT(show_mapped)),
                  total) < 0)
        return -1;
    return db_query(db,
                    "SELECT c.id, c.connection_id, c.source_id, c.name, k.name, COALESCE(l.psa_company_id, ''),"
                    " COALESCE(a.name, l.psa_company_id, ''), COALESCE(n.linked, 0), COALESCE(n.unlinked, 0)"
                    COMPANY_FROM " ORDER BY c.name, c.id LIMIT ? OFFSET ?",
                    DB_PARAMS(DB_INT(tenant_id), DB_INT(tenant_id), DB_STR(pat), DB_INT(show_mapped),
                              DB_INT(limit), DB_INT(offset)),
                    out);
}

int mv_subscriptions(db_t *db, long long tenant_id, long long conn, const char *company_src,
                     struct dbrows *out)
{
    return db_query(db,
                    "SELECT s.id, s.source_id, s.name, s.billing_cycle, s.status, COALESCE(l.psa_contract_id, ''),"
                    " COALESCE(p.name, l.psa_contract_id, ''), COALESCE(p.contract_type, '') FROM src_subscriptions s"
                    " LEFT JOIN subscription_links l ON l.tenant_id = s.tenant_id AND l.src_connection_id = s.connection_id"
                    "  AND l.src_subscription_id = s.source_id AND l.active_key = 1"
                    " LEFT JOIN psa_contracts p ON p.tenant_id = s.tenant_id AND p.connection_id = l.psa_connection_id"
                    "  AND p.psa_id = l.psa_contract_id"
                    " WHERE s.tenant_id = ? AND s.connection_id = ? AND s.company_source_id = ? AND s.gone = 0"
                    " ORDER BY s.name, s.id",
                    DB_PARAMS(DB_INT(tenant_id), DB_INT(conn), DB_STR(company_src)), out);
}

int mv_resources(db_t *db, long long tenant_id, long long conn, const char *subscription_src,
                 int show_mapped, struct dbrows *out)
{
    return db_query(db,
                    "SELECT r.id, r.source_id, r.name, r.sku, r.quantity, COALESCE(l.psa_contract_id, ''),"
                    " COALESCE(l.psa_service_id, ''), COALESCE(sv.name, l.psa_service_id, ''),"
                    " COALESCE(cs.units, ''), COALESCE(l.approval, 'inherit'), r.billing_cycle,"
                    /* the links feeding the same contract service, and what they want together */
                    " (SELECT COUNT(*) FROM resource_links o WHERE o.tenant_id = l.tenant_id AND o.active_key = 1"
                    "  AND o.psa_connection_id = l.psa_connection_id AND o.psa_contract_id = l.psa_contract_id"
                    "  AND o.psa_service_id = l.psa_service_id),"
                    " (SELECT COALESCE(SUM(IF(x.gone = 0, x.quantity, 0)), 0) FROM resource_links o"
                    "  JOIN src_resources x ON x.tenant_id = o.tenant_id AND x.connection_id = o.src_connection_id"
                    "  AND x.source_id = o.src_resource_id WHERE o.tenant_id = l.tenant_id AND o.active_key = 1"
                    "  AND o.psa_connection_id = l.psa_connection_id AND o.psa_contract_id = l.psa_contract_id"
                    "  AND o.psa_service_id = l.psa_service_id)"
                    " FROM src_resources r"
                    " LEFT JOIN resource_links l ON l.tenant_id = r.tenant_id AND l.src_connection_id = r.connection_id"
                    "  AND l.src_resource_id = r.source_id AND l.active_key = 1"
                    " LEFT JOIN psa_services sv ON sv.tenant_id = r.tenant_id AND sv.connection_id = l.psa_connection_id"
                    "  AND sv.psa_id = l.psa_service_id"
                    " LEFT JOIN psa_contract_services cs ON cs.tenant_id = r.tenant_id"
                    "  AND cs.connection_id = l.psa_connection_id AND cs.contract_psa_id = l.psa_contract_id"
                    "  AND cs.service_psa_id = l.psa_service_id AND cs.gone = 0"
                    " WHERE r.tenant_id = ? AND r.connection_id = ? AND r.subscription_source_id = ? AND r.gone = 0"
                    " AND (? = 1 OR l.id IS NULL) ORDER BY r.name, r.id",
                    DB_PARAMS(DB_INT(tenant_id), DB_INT(conn), DB_STR(subscription_src), DB_INT(show_mapped)),
                    out);
}

int mv_accounts(db_t *db, long long tenant_id, long long psa_conn, struct dbrows *out)
{
    return db_query(db,
                    "SELECT psa_id, name FROM psa_companies WHERE tenant_id = ? AND connection_id = ?"
                    " AND gone = 0 AND active = 1 ORDER BY name, psa_id",
                    DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_conn)), out);
}

int mv_contracts(db_t *db, long long tenant_id, long long psa_conn, const char *account,
                 cdate_t today, int show_expired, int show_linked, struct dbrows *out)
{
    char day[11];
    cdate_format(today, day, sizeof day);
    return db_query(db,
                    "SELECT p.psa_id, p.name, COALESCE(p.end_date, ''),"
                    " (SELECT COUNT(*) FROM subscription_links l WHERE l.tenant_id = p.tenant_id"
                    "  AND l.psa_connection_id = p.connection_id AND l.psa_contract_id = p.psa_id AND l.active_key = 1),"
                    " p.contract_type"
                    " FROM psa_contracts p WHERE p.tenant_id = ? AND p.connection_id = ? AND p.company_psa_id = ?"
                    " AND p.gone = 0 AND (? = 1 OR p.end_date IS NULL OR p.end_date >= ?)"
                    " AND (? = 1 OR NOT EXISTS (SELECT 1 FROM subscription_links l WHERE l.tenant_id = p.tenant_id"
                    "  AND l.psa_connection_id = p.connection_id AND l.psa_contract_id = p.psa_id AND l.active_key = 1))"
                    " ORDER BY p.name, p.psa_id",
                    DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_conn), DB_STR(account), DB_INT(show_expired),
                              DB_STR(day), DB_INT(show_linked)),
                    out);
}

int mv_services(db_t *db, long long tenant_id, long long psa_conn, const char *contract,
                struct dbrows *out)
{
    return db_query(db,
                    "SELECT CONCAT('svc:', cs.service_psa_id), COALESCE(NULLIF(cs.name, ''), s.name, cs.service_psa_id),"
                    " COALESCE(s.sku, ''), cs.units, 'contract' FROM psa_contract_services cs"
                    " LEFT JOIN psa_services s ON s.tenant_id = cs.tenant_id AND s.connection_id = cs.connection_id"
                    "  AND s.psa_id = cs.service_psa_id"
                    " WHERE cs.tenant_id = ? AND cs.connection_id = ? AND cs.contract_psa_id = ? AND cs.gone = 0"
                    " UNION ALL SELECT CONCAT('svc:', s.psa_id), s.name, s.sku, '', 'catalogue' FROM psa_services s"
                    " WHERE s.tenant_id = ? AND s.connection_id = ? AND s.gone = 0 AND s.active = 1"
                    " AND NOT EXISTS (SELECT 1 FROM psa_contract_services cs WHERE cs.tenant_id = s.tenant_id"
                    "  AND cs.connection_id = s.connection_id AND cs.contract_psa_id = ? AND cs.service_psa_id = s.psa_id"
                    "  AND cs.gone = 0)"
                    " ORDER BY 5 DESC, 2",
                    DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_conn), DB_STR(contract), DB_INT(tenant_id),
                              DB_INT(psa_conn), DB_STR(contract)),
                    out);
}

static void src_object_fill(const struct dbrows *r, int i, void *p)
{
    struct src_object *o = p;
    o->conn = dbrows_int(r, i, 0, 0);
    o->src_id = dbrows_get(r, i, 1);
    o->name = dbrows_get(r, i, 2);
    o->parent = dbrows_get(r, i, 3);
    o->qty = dbrows_int(r, i, 4, 0);
    o->sku = dbrows_get(r, i, 5);
    o->unit_price = dbrows_int(r, i, 6, 0);
    o->unit_cost = dbrows_int(r, i, 7, 0);
    o->cycle = dbrows_get(r, i, 8);
    o->commitment_end = dbrows_get(r, i, 9);
    o->currency = dbrows_get(r, i, 10);
}

int mv_src_object(db_t *db, long long tenant_id, int level, long long row_id, struct src_object_list *out)
{
    static const char *const sql[] = {
        [LINK_COMPANY] = "SELECT connection_id, source_id, name, '', 0, '', 0, 0, 'monthly', '', ''"
                         " FROM src_companies WHERE tenant_id = ? AND id = ? AND gone = 0",
        [LINK_SUBSCRIPTION] = "SELECT connection_id, source_id, name, company_source_id, 0, '', 0, 0,"
                              " billing_cycle, COALESCE(commitment_end, ''), ''"
                              " FROM src_subscriptions WHERE tenant_id = ? AND id = ? AND gone = 0",
        [LINK_RESOURCE] = "SELECT connection_id, source_id, name, subscription_source_id, quantity, sku,"
                          " unit_price, unit_cost, billing_cycle, COALESCE(commitment_end, ''), currency"
                          " FROM src_resources WHERE tenant_id = ? AND id = ? AND gone = 0",
    };
    out->v = NULL;
    out->n = 0;
    memset(&out->rows, 0, sizeof out->rows);
    if (level < 0 || level > LINK_RESOURCE)
        return -1;
    if (DB_LIST_QUERY(db, out, src_object_fill, sql[level], DB_PARAMS(DB_INT(tenant_id), DB_INT(row_id))) < 0)
        return -1;
    return out->n > 0;
}

static void psa_contract_fill(const struct dbrows *r, int i, void *p)
{
    struct psa_contract_row *c = p;
    c->account = dbrows_get(r, i, 0);
    c->name = dbrows_get(r, i, 1);
    c->start = dbrows_get(r, i, 2);
    c->end = dbrows_get(r, i, 3);
    c->billing_start = dbrows_get(r, i, 4);
}

int mv_contract(db_t *db, long long tenant_id, long long psa_conn, const char *contract,
                struct psa_contract_list *out)
{
    if (DB_LIST_QUERY(db, out, psa_contract_fill,
                      "SELECT company_psa_id, name, COALESCE(start_date, ''), COALESCE(end_date, ''),"
                      " COALESCE(billing_start, '') FROM psa_contracts WHERE tenant_id = ? AND connection_id = ?"
                      " AND psa_id = ? AND gone = 0",
                      DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_conn), DB_STR(contract))) < 0)
        return -1;
    return out->n > 0;
}

int mv_seat_facts(db_t *db, long long tenant_id, long long src_conn, const char *resource_src_id,
                  long long psa_conn, const char *contract, char cycle[16], char contract_type[16],
                  char contract_name[256])
{
    struct dbrows r;
    cycle[0] = contract_type[0] = contract_name[0] = 0;
    if (db_query(db,
                 "SELECT IF(r.billing_cycle = 'annual' OR s.billing_cycle = 'annual', 'annual', r.billing_cycle),"
                 " COALESCE(p.contract_type, ''), COALESCE(p.name, '') FROM src_resources r"
                 " LEFT JOIN src_subscriptions s ON s.tenant_id = r.tenant_id AND s.connection_id = r.connection_id"
                 "  AND s.source_id = r.subscription_source_id"
                 " LEFT JOIN psa_contracts p ON p.tenant_id = r.tenant_id AND p.connection_id = ? AND p.psa_id = ?"
                 " WHERE r.tenant_id = ? AND r.connection_id = ? AND r.source_id = ?",
                 DB_PARAMS(DB_INT(psa_conn), DB_STR(contract ? contract : ""), DB_INT(tenant_id), DB_INT(src_conn),
                           DB_STR(resource_src_id)),
                 &r) < 0)
        return -1;
    int found = r.nrows > 0;
    if (found) {
        snprintf(cycle, 16, "%s", dbrows_get(&r, 0, 0));
        snprintf(contract_type, 16, "%s", dbrows_get(&r, 0, 1));
        snprintf(contract_name, 256, "%s", dbrows_get(&r, 0, 2));
    }
    dbrows_free(&r);
    return found;
}

void mv_target_label(db_t *db, long long tenant_id, long long psa_conn, int level, const char *target,
                     char *out, size_t n)
{
    static const char *const sql[] = {
        "SELECT name FROM psa_companies WHERE tenant_id = ? AND connection_id = ? AND psa_id = ?",
        "SELECT name FROM psa_contracts WHERE tenant_id = ? AND connection_id = ? AND psa_id = ?",
        "SELECT name FROM psa_services WHERE tenant_id = ? AND connection_id = ? AND psa_id = ?",
    };
    snprintf(out, n, "%s", target);
    if (level < 0 || level > 2)
        return;
    if (level == 2 && !strncmp(target, "svc:", 4))
        target += 4;
    struct dbrows r;
    if (db_query(db, sql[level], DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_conn), DB_STR(target)), &r) == 0) {
        if (r.nrows)
            snprintf(out, n, "%s", dbrows_get(&r, 0, 0));
        dbrows_free(&r);
    }
}

int mv_contract_service(db_t *db, long long tenant_id, long long psa_conn, const char *contract,
                        const char *service, long long *units, long long *unit_price)
{
    struct dbrows r;
    if (db_query(db,
                 "SELECT units, unit_price FROM psa_contract_services WHERE tenant_id = ? AND connection_id = ?"
                 " AND contract_psa_id = ? AND service_psa_id = ? AND gone = 0",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_conn), DB_STR(contract), DB_STR(service)), &r) < 0)
        return -1;
    int found = r.nrows > 0;
    if (found) {
        *units = dbrows_int(&r, 0, 0, 0);
        *unit_price = dbrows_int(&r, 0, 1, 0);
    }
    dbrows_free(&r);
    return found;
}

int mv_psa_exists(db_t *db, long long tenant_id, long long psa_conn, int level, const char *id,
                  const char *contract)
{
    long long one = 0;
    if (level == 0)
        return db_scalar(db, "SELECT 1 FROM psa_companies WHERE tenant_id = ? AND connection_id = ? AND psa_id = ? AND gone = 0",
                         DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_conn), DB_STR(id)), &one) == 1;
    return db_scalar(db,
                     "SELECT 1 FROM psa_services WHERE tenant_id = ? AND connection_id = ? AND psa_id = ? AND gone = 0"
                     " UNION SELECT 1 FROM psa_contract_services WHERE tenant_id = ? AND connection_id = ?"
                     " AND contract_psa_id = ? AND service_psa_id = ? AND gone = 0",
                     DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_conn), DB_STR(id), DB_INT(tenant_id), DB_INT(psa_conn),
                               DB_STR(contract), DB_STR(id)),
                     &one) == 1;
}

#define CHAIN_FROM \
    " FROM src_resources r" \
    " JOIN src_subscriptions s ON s.tenant_id = r.tenant_id AND s.connection_id = r.connection_id" \
    "  AND s.source_id = r.subscription_source_id AND s.gone = 0" \
    " JOIN src_companies c ON c.tenant_id = r.tenant_id AND c.connection_id = r.connection_id" \
    "  AND c.source_id = r.company_source_id AND c.gone = 0" \
    " LEFT JOIN company_links cl ON cl.tenant_id = r.tenant_id AND cl.src_connection_id = r.connection_id" \
    "  AND cl.src_company_id = c.source_id AND cl.active_key = 1" \
    " LEFT JOIN subscription_links sl ON sl.tenant_id = r.tenant_id AND sl.src_connection_id = r.connection_id" \
    "  AND sl.src_subscription_id = s.source_id AND sl.active_key = 1" \
    " LEFT JOIN resource_links rl ON rl.tenant_id = r.tenant_id AND rl.src_connection_id = r.connection_id" \
    "  AND rl.src_resource_id = r.source_id AND rl.active_key = 1" \
    " LEFT JOIN psa_companies pa ON pa.tenant_id = r.tenant_id AND pa.connection_id = cl.psa_connection_id" \
    "  AND pa.psa_id = cl.psa_company_id" \
    " LEFT JOIN psa_contracts pc ON pc.tenant_id = r.tenant_id AND pc.connection_id = sl.psa_connection_id" \
    "  AND pc.psa_id = sl.psa_contract_id" \
    " LEFT JOIN psa_services ps ON ps.tenant_id = r.tenant_id AND ps.connection_id = rl.psa_connection_id" \
    "  AND ps.psa_id = rl.psa_service_id" \
    " WHERE r.tenant_id = ? AND r.gone = 0 AND (? = 1 OR rl.id IS NULL)"

int mv_chains(db_t *db, long long tenant_id, int show_mapped, int limit, int offset, struct dbrows *out,
              long long *total)
{
    if (db_scalar(db, "SELECT COUNT(*)" CHAIN_FROM, DB_PARAMS(DB_INT(tenant_id), DB_INT(show_mapped)), total) < 0)
        return -1;
    return db_query(db,
                    "SELECT r.id, r.connection_id, r.source_id, r.name, r.sku, r.quantity, s.id, s.source_id, s.name,"
                    " c.id, c.source_id, c.name, COALESCE(cl.psa_company_id, ''), COALESCE(sl.psa_contract_id, ''),"
                    " COALESCE(rl.psa_service_id, ''), COALESCE(pa.name, ''), COALESCE(pc.name, ''), COALESCE(ps.name, ''),"
                    " s.billing_cycle, r.billing_cycle, COALESCE(pc.contract_type, '')" CHAIN_FROM " ORDER BY c.name, s.name, r.name, r.id LIMIT ? OFFSET ?",
                    DB_PARAMS(DB_INT(tenant_id), DB_INT(show_mapped), DB_INT(limit), DB_INT(offset)), out);
}
