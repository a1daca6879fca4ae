/* invoice_text.c: the invoice text option and its names (see invoice_text.h). */
#include "db/invoice_text.h"

#include <stdio.h>

int invoice_policy_get(db_t *db, long long tenant_id, struct invoice_policy *p)
{
    struct dbrows r;
    snprintf(p->mode, sizeof p->mode, "product");
    p->tpl[0] = '\0';
    if (db_query(db, "SELECT invoice_text_mode, COALESCE(invoice_text_template, '') FROM tenant_policies"
                     " WHERE tenant_id = ?", DB_PARAMS(DB_INT(tenant_id)), &r) < 0)
        return -1;
    if (r.nrows) {
        snprintf(p->mode, sizeof p->mode, "%s", dbrows_get(&r, 0, 0));
        snprintf(p->tpl, sizeof p->tpl, "%s", dbrows_get(&r, 0, 1));
    }
    dbrows_free(&r);
    return 0;
}

int invoice_policy_set(db_t *db, long long tenant_id, const struct invoice_policy *p)
{
    return db_exec(db,
                   "INSERT INTO tenant_policies (tenant_id, invoice_text_mode, invoice_text_template) VALUES (?, ?, ?)"
                   " ON DUPLICATE KEY UPDATE invoice_text_mode = VALUES(invoice_text_mode),"
                   " invoice_text_template = VALUES(invoice_text_template), updated_at = UTC_TIMESTAMP(6)",
                   DB_PARAMS(DB_INT(tenant_id), DB_STR(p->mode), p->tpl[0] ? DB_STR(p->tpl) : DB_NULL), NULL, NULL);
}

int invoice_has_system(db_t *db, long long tenant_id, const char *system)
{
    long long n = 0;
    if (db_scalar(db, "SELECT COUNT(*) FROM connections WHERE tenant_id = ? AND system = ?",
                  DB_PARAMS(DB_INT(tenant_id), DB_STR(system)), &n) < 0)
        return -1;
    return n > 0;
}

int invoice_names_get(db_t *db, long long tenant_id, long long psa_conn, const char *contract,
                      const char *service, struct invoice_names *out)
{
    struct dbrows r;
    out->product[0] = out->company[0] = out->subscription[0] = '\0';
    if (db_query(db,
                 "SELECT (SELECT s.name FROM psa_services s WHERE s.tenant_id = ? AND s.connection_id = ?"
                 "   AND s.psa_id = ? LIMIT 1),"
                 " (SELECT a.name FROM psa_contracts k JOIN psa_companies a ON a.tenant_id = k.tenant_id"
                 "   AND a.connection_id = k.connection_id AND a.psa_id = k.company_psa_id"
                 "   WHERE k.tenant_id = ? AND k.connection_id = ? AND k.psa_id = ? LIMIT 1),"
                 " (SELECT GROUP_CONCAT(DISTINCT sub.name ORDER BY sub.name SEPARATOR ', ')"
                 "   FROM resource_links l JOIN src_resources res ON res.tenant_id = l.tenant_id"
                 "   AND res.connection_id = l.src_connection_id AND res.source_id = l.src_resource_id"
                 "   JOIN src_subscriptions sub ON sub.tenant_id = res.tenant_id AND sub.connection_id = res.connection_id"
                 "   AND sub.source_id = res.subscription_source_id"
                 "   WHERE l.tenant_id = ? AND l.psa_connection_id = ? AND l.psa_contract_id = ?"
                 "   AND l.psa_service_id = ? AND l.active_key = 1)",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_conn), DB_STR(service ? service : ""), DB_INT(tenant_id),
                           DB_INT(psa_conn), DB_STR(contract), DB_INT(tenant_id), DB_INT(psa_conn), DB_STR(contract),
                           DB_STR(service ? service : "")),
                 &r) < 0)
        return -1;
    if (r.nrows) {
        const char *v;
        if ((v = dbrows_get(&r, 0, 0)))
            snprintf(out->product, sizeof out->product, "%s", v);
        if ((v = dbrows_get(&r, 0, 1)))
            snprintf(out->company, sizeof out->company, "%s", v);
        if ((v = dbrows_get(&r, 0, 2)))
            snprintf(out->subscription, sizeof out->subscription, "%s", v);
    }
    dbrows_free(&r);
    return 0;
}

int invoice_product_for(db_t *db, long long tenant_id, long long psa_conn, const char *sku, const char *name,
                        char *id, size_t idn, char *pname, size_t pn)
{
    struct dbrows r;
    id[0] = pname[0] = '\0';
    if (db_query(db,
                 "SELECT psa_id, name FROM psa_services WHERE tenant_id = ? AND connection_id = ? AND gone = 0"
                 " AND active = 1 AND ((sku <> '' AND sku = ?) OR name = ?) ORDER BY sku = ? DESC, id LIMIT 1",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_conn), DB_STR(sku ? sku : ""), DB_STR(name ? name : ""),
                           DB_STR(sku ? sku : "")),
                 &r) < 0)
        return -1;
    if (r.nrows) {
        snprintf(id, idn, "%s", dbrows_get(&r, 0, 0));
        snprintf(pname, pn, "%s", dbrows_get(&r, 0, 1));
    }
    dbrows_free(&r);
    return 0;
}
