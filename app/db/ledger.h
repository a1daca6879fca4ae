/* ledger.h: the adjustment ledger: intended unit changes on linked PSA services, planned once
 * per (link, effective date, origin) thanks to the idempotency key. */
#ifndef BILLSYNC_DB_LEDGER_H
#define BILLSYNC_DB_LEDGER_H

#include "core/cdate.h"
#include "core/money.h"
#include "db/db.h"

struct plan {
    long long tenant_id, resource_link_id;
    const char *origin;           /* link | sync | review */
    long long src_connection_id;
    const char *src_resource_id;
    long long psa_connection_id;
    const char *psa_contract_id, *psa_service_id;
    qty_t desired, psa_before;
    cdate_t effective;
    money_t unit_price, prorated;
    const char *state;            /* planned | awaiting_approval | queued */
};

/* Records the change (desired - psa_before). 1 = planned, 0 = nothing to do (no change, or
 * the same plan exists), -1 = error. *id gets the adjustment's id when planned or existing. */
int ledger_plan(db_t *db, const struct plan *p, long long *id);

#endif
