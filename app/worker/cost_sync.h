/* cost_sync.h: cost and price changes in the sync and post jobs (doc/ledger.md "Cost and
 * price"): a change of the distributor's unit cost of a linked service is planned into the
 * ledger (kind 'cost'), with a new sell price when the price policy maintains it, and posted
 * exactly once like a seat change. */
#ifndef BILLSYNC_WORKER_COST_SYNC_H
#define BILLSYNC_WORKER_COST_SYNC_H

#include "connectors/psa.h"
#include "db/ledger.h"
#include "worker/handlers.h"
#include "worker/psa_pool.h"

struct cost_tally {
    int queued, approval, failed;
};

/* One PSA contract service and the n links feeding it: records each link's baseline cost, and
 * plans a cost change when a link's distributor cost moved. require: the links' approval
 * policy asks for a person. */
void cost_plan_service(struct job_env *env, long long tenant_id, cdate_t today, const struct link_state *links,
                       int n, int require, struct psa_pool *pool, struct cost_tally *t);

enum cost_post_result { COST_POSTED, COST_FAILED, COST_HELD };
/* Posts a claimed cost change: reads the PSA's cost first (a lost answer that landed is
 * "nothing to do"), writes, reads back. COST_FAILED leaves *ce, summary and msg for the
 * caller's failure handling; the ledger row is updated on COST_POSTED only. */
enum cost_post_result cost_post(struct job_env *env, long long tenant_id, const struct adjustment *a,
                                const struct psa_connector *p, const struct conn *c, const char *lease,
                                struct conn_error *ce, char *summary, size_t ns, char *msg,
                                size_t nm);

#endif
