/* refresh.h: the "refresh" job: reads one connection completely into the snapshot tables. */
#ifndef BILLSYNC_WORKER_REFRESH_H
#define BILLSYNC_WORKER_REFRESH_H

#include "core/cdate.h"
#include "worker/handlers.h"

int job_refresh(struct job_env *env, struct job *job, char *err, size_t errlen);
/* Reads a distributor connection's billing lines of the month of `month` into src_charges
 * (CSV connections are filled by upload instead). 0 ok (msg says how many), -1 with msg. */
int refresh_charges(struct job_env *env, long long tenant_id, long long id, cdate_t month, char *msg, size_t n);
/* Refreshes connection id of a tenant now (also used by sync): 0, -1 (the connection's
 * API, err says why), or REFRESH_DB_ERROR when billsync's database failed (a node lost, a
 * conflict run again too often): nothing is known of the distributor then, try again. */
#define REFRESH_DB_ERROR (-2)
int refresh_one(struct job_env *env, long long tenant_id, long long id, char *err, size_t errlen);

#endif
