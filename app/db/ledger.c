/* ledger.c: the adjustment ledger (see ledger.h). */
#include "db/ledger.h"

#include <stdio.h>

int ledger_plan(db_t *db, const struct plan *p, long long *id)
{
    qty_t change = p->desired - p->psa_before;
    if (change == 0)
        return 0;
    char key[191], date[11];
    cdate_format(p->effective, date, sizeof date);
    snprintf(key, sizeof key, "%s:%lld:%s:%lld", p->origin, p->resource_link_id, date, (long long)p->desired);
    uint64_t affected = 0, nid = 0;
    if (db_exec(db,
                "INSERT IGNORE INTO adjustments (tenant_id, resource_link_id, origin, src_connection_id,"
                " src_resource_id, psa_connection_id, psa_contract_id, psa_service_id, desired_units,"
                " psa_units_before, unit_change, effective_date, unit_price, prorated_amount, state,"
                " idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                DB_PARAMS(DB_INT(p->tenant_id), DB_INT(p->resource_link_id), DB_STR(p->origin),
                          DB_INT(p->src_connection_id), DB_STR(p->src_resource_id),
                          DB_INT(p->psa_connection_id), DB_STR(p->psa_contract_id),
                          DB_STR(p->psa_service_id), DB_INT(p->desired), DB_INT(p->psa_before),
                          DB_INT(change), DB_STR(date), DB_INT(p->unit_price), DB_INT(p->prorated),
                          DB_STR(p->state), DB_STR(key)),
                &affected, &nid) < 0)
        return -1;
    if (affected) {
        if (id)
            *id = (long long)nid;
        return 1;
    }
    long long existing = 0;
    db_scalar(db, "SELECT id FROM adjustments WHERE tenant_id = ? AND idempotency_key = ?",
              DB_PARAMS(DB_INT(p->tenant_id), DB_STR(key)), &existing);
    if (id)
        *id = existing;
    return 0;
}
