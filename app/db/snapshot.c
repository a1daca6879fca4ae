/* snapshot.c: writes refresh results into the snapshot tables (see snapshot.h). */
#include "db/snapshot.h"

#include "db/jobs.h"

#include <stdio.h>
#include <string.h>

static const char *date_or_null(cdate_t d, char buf[11])
{
    if (!cdate_valid(d))
        return NULL;
    cdate_format(d, buf, 11);
    return buf;
}

int snap_begin(struct snap *s, db_t *db, long long tenant_id, long long connection_id)
{
    memset(s, 0, sizeof *s);
    s->db = db;
    s->tenant_id = tenant_id;
    s->connection_id = connection_id;
    struct dbrows r;
    if (db_query(db, "SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%d %H:%i:%s.%f')", DB_NONE, &r) < 0)
        return -1;
    snprintf(s->started, sizeof s->started, "%s", dbrows_get(&r, 0, 0));
    dbrows_free(&r);
    return 0;
}

/* A row the database did not take (an error db.c could not run again): the listing stops
 * (the callback's non-zero) and the refresh must end failed, never "ok" with part of the
 * rows (refresh.c reads db_failed). */
static int kept(struct snap *s, int rc)
{
    if (rc < 0)
        s->db_failed = 1;
    return rc;
}

#define CTX struct snap *s = vs
#define T_C DB_INT(s->tenant_id), DB_INT(s->connection_id)

int snap_psa_account(void *vs, const struct psa_account *a)
{
    CTX;
    s->count++;
    return kept(s, db_exec(s->db,
                   "INSERT INTO psa_companies (tenant_id, connection_id, psa_id, name, active)"
                   " VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE name = VALUES(name),"
                   " active = VALUES(active), gone = 0, last_seen = UTC_TIMESTAMP(6)",
                   DB_PARAMS(T_C, DB_STR(a->id), DB_STR(a->name), DB_INT(a->active)), NULL, NULL));
}

int snap_psa_contract(void *vs, const struct psa_contract *c)
{
    CTX;
    static const char *const types[] = {"recurring", "fixed_price", "one_time", "other"};
    char b1[11], b2[11], b3[11];
    s->count++;
    return kept(s, db_exec(s->db,
                   "INSERT INTO psa_contracts (tenant_id, connection_id, psa_id, company_psa_id, name,"
                   " contract_type, start_date, end_date, billing_start, active, prorate, cycle_months)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                   " company_psa_id = VALUES(company_psa_id), name = VALUES(name),"
                   " contract_type = VALUES(contract_type), start_date = VALUES(start_date),"
                   " end_date = VALUES(end_date), billing_start = VALUES(billing_start),"
                   " active = VALUES(active), prorate = VALUES(prorate), cycle_months = VALUES(cycle_months),"
                   " gone = 0, last_seen = UTC_TIMESTAMP(6)",
                   DB_PARAMS(T_C, DB_STR(c->id), DB_STR(c->account_id), DB_STR(c->name),
                             DB_STR(types[(unsigned)c->type < 4 ? c->type : 3]),
                             DB_STR(date_or_null(c->start, b1)), DB_STR(date_or_null(c->end, b2)),
                             DB_STR(date_or_null(c->billing_start, b3)), DB_INT(c->active),
                             DB_INT(c->prorate), DB_INT(c->cycle_months)),
                   NULL, NULL));
}

int snap_psa_service(void *vs, const struct psa_service *sv)
{
    CTX;
    s->count++;
    return kept(s, db_exec(s->db,
                   "INSERT INTO psa_services (tenant_id, connection_id, psa_id, name, sku, unit_price,"
                   " unit_cost, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                   " name = VALUES(name), sku = VALUES(sku), unit_price = VALUES(unit_price),"
                   " unit_cost = VALUES(unit_cost), active = VALUES(active), gone = 0,"
                   " last_seen = UTC_TIMESTAMP(6)",
                   DB_PARAMS(T_C, DB_STR(sv->id), DB_STR(sv->name), DB_STR(sv->sku),
                             DB_INT(sv->unit_price), DB_INT(sv->unit_cost), DB_INT(sv->active)),
                   NULL, NULL));
}

int snap_psa_contract_service(void *vs, const struct psa_contract_service *cs)
{
    CTX;
    s->count++;
    return kept(s, db_exec(s->db,
                   "INSERT INTO psa_contract_services (tenant_id, connection_id, psa_id, contract_psa_id,"
                   " service_psa_id, name, units, unit_price, unit_cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                   " ON DUPLICATE KEY UPDATE contract_psa_id = VALUES(contract_psa_id),"
                   " service_psa_id = VALUES(service_psa_id), name = VALUES(name), units = VALUES(units),"
                   " unit_price = VALUES(unit_price), unit_cost = VALUES(unit_cost), gone = 0,"
                   " read_at = UTC_TIMESTAMP(6)",
                   DB_PARAMS(T_C, DB_STR(cs->id), DB_STR(cs->contract_id), DB_STR(cs->service_id),
                             DB_STR(cs->name), DB_INT(cs->units), DB_INT(cs->unit_price),
                             DB_INT(cs->unit_cost)),
                   NULL, NULL));
}

int snap_src_company(void *vs, const struct src_company *c)
{
    CTX;
    s->count++;
    return kept(s, db_exec(s->db,
                   "INSERT INTO src_companies (tenant_id, connection_id, source_id, name) VALUES (?, ?, ?, ?)"
                   " ON DUPLICATE KEY UPDATE name = VALUES(name), gone = 0, last_seen = UTC_TIMESTAMP(6)",
                   DB_PARAMS(T_C, DB_STR(c->id), DB_STR(c->name)), NULL, NULL));
}

int snap_src_subscription(void *vs, const struct src_subscription *sub)
{
    CTX;
    char b[11];
    s->count++;
    return kept(s, db_exec(s->db,
                   "INSERT INTO src_subscriptions (tenant_id, connection_id, source_id, company_source_id,"
                   " name, status, billing_cycle, term_months, commitment_end, auto_renew)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                   " company_source_id = VALUES(company_source_id), name = VALUES(name),"
                   " status = VALUES(status), billing_cycle = VALUES(billing_cycle),"
                   " term_months = VALUES(term_months), commitment_end = VALUES(commitment_end),"
                   " auto_renew = VALUES(auto_renew), gone = 0, last_seen = UTC_TIMESTAMP(6)",
                   DB_PARAMS(T_C, DB_STR(sub->id), DB_STR(sub->company_id), DB_STR(sub->name),
                             DB_STR(src_status_name(sub->status)), DB_STR(src_cycle_name(sub->billing_cycle)),
                             DB_INT(sub->term_months), DB_STR(date_or_null(sub->commitment_end, b)),
                             DB_INT(sub->auto_renew)),
                   NULL, NULL));
}

int snap_src_resource(void *vs, const struct src_resource *r)
{
    CTX;
    char b[11];
    s->count++;
    return kept(s, db_exec(s->db,
                   "INSERT INTO src_resources (tenant_id, connection_id, source_id, subscription_source_id,"
                   " company_source_id, name, sku, quantity, unit_cost, unit_price, currency, billing_cycle,"
                   " term_months, commitment_end, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                   " ON DUPLICATE KEY UPDATE subscription_source_id = VALUES(subscription_source_id),"
                   " company_source_id = VALUES(company_source_id), name = VALUES(name), sku = VALUES(sku),"
                   " quantity = VALUES(quantity), unit_cost = VALUES(unit_cost), unit_price = VALUES(unit_price),"
                   " currency = VALUES(currency), billing_cycle = VALUES(billing_cycle),"
                   " term_months = VALUES(term_months), commitment_end = VALUES(commitment_end),"
                   " status = VALUES(status), gone = 0, last_seen = UTC_TIMESTAMP(6)",
                   DB_PARAMS(T_C, DB_STR(r->id), DB_STR(r->subscription_id), DB_STR(r->company_id),
                             DB_STR(r->name), DB_STR(r->sku), DB_INT(r->quantity), DB_INT(r->unit_cost),
                             DB_INT(r->unit_price), DB_STR(r->currency[0] ? r->currency : "USD"),
                             DB_STR(src_cycle_name(r->billing_cycle)), DB_INT(r->term_months),
                             DB_STR(date_or_null(r->commitment_end, b)), DB_STR(src_status_name(r->status))),
                   NULL, NULL));
}

int snap_src_charge(void *vs, const struct src_charge *ch)
{
    CTX;
    char ps[11], pe[11], ef[11], month[11];
    cdate_t m = cdate_make(ch->period_start.y, ch->period_start.m, 1);
    s->count++;
    return kept(s, db_exec(s->db,
                   "INSERT INTO src_charges (tenant_id, connection_id, line_id, period_month, company_source_id,"
                   " company_name, subscription_source_id, subscription_name, resource_source_id, description, sku,"
                   " charge_type, period_start, period_end, effective_date, quantity, unit_cost, unit_price,"
                   " extended_cost, extended_price, currency, term_months, frequency)"
                   " SELECT ?, ?, ?, ?, ?, COALESCE((SELECT name FROM src_companies c WHERE c.tenant_id = ?"
                   "  AND c.connection_id = ? AND c.source_id = ?), ''), ?, COALESCE((SELECT name FROM"
                   "  src_subscriptions x WHERE x.tenant_id = ? AND x.connection_id = ? AND x.source_id = ?), ''),"
                   " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
                   " ON DUPLICATE KEY UPDATE period_month = VALUES(period_month), charge_type = VALUES(charge_type),"
                   " period_start = VALUES(period_start), period_end = VALUES(period_end),"
                   " effective_date = VALUES(effective_date), quantity = VALUES(quantity),"
                   " unit_cost = VALUES(unit_cost), unit_price = VALUES(unit_price),"
                   " extended_cost = VALUES(extended_cost), extended_price = VALUES(extended_price),"
                   " imported_at = UTC_TIMESTAMP(6)",
                   DB_PARAMS(T_C, DB_STR(ch->id), DB_STR(date_or_null(m, month)), DB_STR(ch->company_id), T_C,
                             DB_STR(ch->company_id), DB_STR(ch->subscription_id), T_C, DB_STR(ch->subscription_id),
                             DB_STR(ch->resource_id), DB_STR(ch->description), DB_STR(ch->sku),
                             DB_STR(src_charge_type_name(ch->type)), DB_STR(date_or_null(ch->period_start, ps)),
                             DB_STR(date_or_null(ch->period_end, pe)), DB_STR(date_or_null(ch->effective, ef)),
                             DB_INT(ch->quantity), DB_INT(ch->unit_cost), DB_INT(ch->unit_price),
                             DB_INT(ch->extended_cost), DB_INT(ch->extended_price),
                             DB_STR(ch->currency[0] ? ch->currency : "USD"), DB_INT(ch->term_months),
                             DB_STR(src_cycle_name(ch->frequency))),
                   NULL, NULL));
}

int snap_finish_psa(struct snap *s)
{
    int rc = 0;
    rc |= db_exec(s->db, "UPDATE psa_companies SET gone = 1 WHERE tenant_id = ? AND connection_id = ? AND last_seen < ?",
                  DB_PARAMS(T_C, DB_STR(s->started)), NULL, NULL);
    rc |= db_exec(s->db, "UPDATE psa_contracts SET gone = 1 WHERE tenant_id = ? AND connection_id = ? AND last_seen < ?",
                  DB_PARAMS(T_C, DB_STR(s->started)), NULL, NULL);
    rc |= db_exec(s->db, "UPDATE psa_services SET gone = 1 WHERE tenant_id = ? AND connection_id = ? AND last_seen < ?",
                  DB_PARAMS(T_C, DB_STR(s->started)), NULL, NULL);
    rc |= db_exec(s->db, "UPDATE psa_contract_services SET gone = 1 WHERE tenant_id = ? AND connection_id = ? AND read_at < ?",
                  DB_PARAMS(T_C, DB_STR(s->started)), NULL, NULL);
    return rc ? -1 : 0;
}

int snap_finish_src(struct snap *s)
{
    int rc = 0;
    rc |= db_exec(s->db, "UPDATE src_companies SET gone = 1 WHERE tenant_id = ? AND connection_id = ? AND last_seen < ?",
                  DB_PARAMS(T_C, DB_STR(s->started)), NULL, NULL);
    rc |= db_exec(s->db, "UPDATE src_subscriptions SET gone = 1 WHERE tenant_id = ? AND connection_id = ? AND last_seen < ?",
                  DB_PARAMS(T_C, DB_STR(s->started)), NULL, NULL);
    rc |= db_exec(s->db, "UPDATE src_resources SET gone = 1 WHERE tenant_id = ? AND connection_id = ? AND last_seen < ?",
                  DB_PARAMS(T_C, DB_STR(s->started)), NULL, NULL);
    return rc ? -1 : 0;
}

int snap_src_loss(struct snap *s, struct snap_loss *out)
{
    memset(out, 0, sizeof *out);
    struct dbrows r;
    if (db_query(s->db,
                 "SELECT COUNT(*), COALESCE(SUM(missing), 0), COALESCE(SUM(IF(missing, r_qty, 0)), 0)"
                 " FROM (SELECT r.last_seen < ? missing, r.quantity r_qty"
                 "  FROM resource_links l JOIN src_resources r ON r.tenant_id = l.tenant_id"
                 "  AND r.connection_id = l.src_connection_id AND r.source_id = l.src_resource_id"
                 "  WHERE l.tenant_id = ? AND l.src_connection_id = ? AND l.active_key = 1 AND r.gone = 0) x",
                 DB_PARAMS(DB_STR(s->started), T_C), &r) < 0)
        return -1;
    out->linked = (long)dbrows_int(&r, 0, 0, 0);
    out->missing = (long)dbrows_int(&r, 0, 1, 0);
    out->seats_missing = dbrows_int(&r, 0, 2, 0);
    dbrows_free(&r);
    /* companies all of whose linked resources are missing */
    long long emptied = 0;
    if (db_scalar(s->db,
                  "SELECT COUNT(*) FROM (SELECT r.company_source_id FROM resource_links l"
                  " JOIN src_resources r ON r.tenant_id = l.tenant_id AND r.connection_id = l.src_connection_id"
                  "  AND r.source_id = l.src_resource_id"
                  " WHERE l.tenant_id = ? AND l.src_connection_id = ? AND l.active_key = 1 AND r.gone = 0"
                  " GROUP BY r.company_source_id HAVING MIN(r.last_seen < ?) = 1) x",
                  DB_PARAMS(T_C, DB_STR(s->started)), &emptied) < 0)
        return -1;
    out->companies_emptied = (long)emptied;
    return 0;
}

int snap_loss_held(struct snap *s, int *held)
{
    long long v = 0;
    int found = db_scalar(s->db,
                          "SELECT loss_held_at IS NOT NULL FROM connections WHERE tenant_id = ? AND id = ?",
                          DB_PARAMS(T_C), &v);
    *held = found == 1 && v;
    return found < 0 ? -1 : 0;
}

int snap_set_loss_held(struct snap *s, int held)
{
    return kept(s, db_exec(s->db,
                   "UPDATE connections SET loss_held_at = IF(?, UTC_TIMESTAMP(6), NULL) WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_INT(held), T_C), NULL, NULL));
}

int refresh_set_status(db_t *db, long long tenant_id, long long connection_id,
                       const char *status, const char *message)
{
    return db_exec(db,
                   "UPDATE connections SET refresh_status = ?, refresh_message = ?,"
                   " refreshed_at = IF(? = 'running', refreshed_at, UTC_TIMESTAMP(6))"
                   " WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_STR(status), DB_STR(message), DB_STR(status), DB_INT(tenant_id),
                             DB_INT(connection_id)),
                   NULL, NULL);
}

int refresh_enqueue_tenant(db_t *db, long long tenant_id)
{
    /* CSV connections are refreshed by uploading a file. A periodic refresh already queued
     * for later is brought forward: a person asked for it now. */
    if (db_exec(db,
                "INSERT INTO jobs (tenant_id, kind, payload, unique_key)"
                " SELECT tenant_id, 'refresh', CONCAT('{\"connection_id\":', id, '}'),"
                " CONCAT('refresh:', id) FROM connections WHERE tenant_id = ? AND system <> 'csv'"
                " ON DUPLICATE KEY UPDATE jobs.due_at = IF(jobs.lease_owner IS NULL,"
                " LEAST(jobs.due_at, UTC_TIMESTAMP(6)), jobs.due_at)",
                DB_PARAMS(DB_INT(tenant_id)), NULL, NULL) < 0)
        return -1;
    return db_exec(db,
                   "UPDATE connections SET refresh_status = 'running', refresh_message = 'queued'"
                   " WHERE tenant_id = ? AND system <> 'csv'",
                   DB_PARAMS(DB_INT(tenant_id)), NULL, NULL);
}

int refresh_enqueue_due(db_t *db, int psa_refresh_hours)
{
    /* Spread over a minute by connection id, so tenants do not all fire at once. */
    return jobs_enqueue_selected_params(db,
                                        "SELECT c.tenant_id, 'refresh', CONCAT('{\"connection_id\":', c.id, '}'),"
                                        " CONCAT('refresh:', c.id), (c.id * 37) % 60"
                                        " FROM connections c LEFT JOIN tenant_policies p ON p.tenant_id = c.tenant_id"
                                        " WHERE c.system <> 'csv' AND (c.refreshed_at IS NULL"
                                        " OR c.refreshed_at < UTC_TIMESTAMP(6) - INTERVAL IF(c.kind = 'psa' AND ? > 0,"
                                        "  ? * 60, COALESCE(p.sync_interval_minutes, 15)) MINUTE)"
                                        " AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.unique_key = CONCAT('refresh:', c.id))",
                                        DB_PARAMS(DB_INT(psa_refresh_hours), DB_INT(psa_refresh_hours)));
}

int psa_cache_units(db_t *db, long long tenant_id, long long connection_id, const char *contract_id,
                    const char *service_id, qty_t units)
{
    return db_exec(db,
                   "UPDATE psa_contract_services SET units = ?, read_at = UTC_TIMESTAMP(6)"
                   " WHERE tenant_id = ? AND connection_id = ? AND contract_psa_id = ? AND service_psa_id = ?"
                   " AND gone = 0",
                   DB_PARAMS(DB_INT(units), DB_INT(tenant_id), DB_INT(connection_id), DB_STR(contract_id),
                             DB_STR(service_id)),
                   NULL, NULL) < 0 ? -1 : 0;
}
