/* refresh.h: the "refresh" job: reads one connection completely into the snapshot tables. */
#ifndef BILLSYNC_WORKER_REFRESH_H
#define BILLSYNC_WORKER_REFRESH_H

#include "worker/handlers.h"

int job_refresh(struct job_env *env, struct job *job, char *err, size_t errlen);
/* Refreshes connection id of a tenant now (also used by sync). */
int refresh_one(struct job_env *env, long long tenant_id, long long id, char *err, size_t errlen);

#endif
