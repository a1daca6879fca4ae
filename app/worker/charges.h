/* charges.h: one-time charges in the PSA (annual subscriptions, monthly usage) and the
 * failure alert digest; run after each sync, idempotent by key. */
#ifndef BILLSYNC_WORKER_CHARGES_H
#define BILLSYNC_WORKER_CHARGES_H

#include "core/cdate.h"
#include "worker/handlers.h"
#include "worker/psa_pool.h"

/* Annual up-front lines of linked subscriptions → one charge each on the linked contract. */
int charges_post_annual(struct job_env *env, long long tenant_id, struct psa_pool *pool, int *posted, int *failed);
/* A month's usage lines per linked resource → one charge each, in the tenant's usage mode. */
int charges_post_usage(struct job_env *env, long long tenant_id, cdate_t month, struct psa_pool *pool, int *posted,
                       int *failed);
/* One digest mail to the tenant's admins for failures older than the threshold (once each). */
int alerts_send(struct job_env *env, long long tenant_id);
/* "usage" job: payload {"month":"YYYY-MM"} (default: last month); posts that month's usage. */
int job_usage(struct job_env *env, struct job *job, char *err, size_t errlen);

#endif
