/* sync.h: the "sync" job (plan every linked resource of a tenant) and the "post" job (post
 * what is due to the PSA, verified, exactly once). */
#ifndef BILLSYNC_WORKER_SYNC_H
#define BILLSYNC_WORKER_SYNC_H

#include "worker/handlers.h"

int job_sync(struct job_env *env, struct job *job, char *err, size_t errlen);
int job_post(struct job_env *env, struct job *job, char *err, size_t errlen);

/* Retry back-off after n failed attempts: 1 minute doubling, capped at 1 hour. */
int sync_backoff_seconds(int attempts);

#endif
