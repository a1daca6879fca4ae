/* jobs.h: the leased job queue (enqueue, claim with SKIP LOCKED, complete, fail, heartbeat). */
#ifndef BILLSYNC_DB_JOBS_H
#define BILLSYNC_DB_JOBS_H

#include "db/db.h"

struct job {
    long long id;
    long long tenant_id;          /* 0 = not tenant-specific */
    char kind[64];
    char *payload;                /* malloc'd, may be NULL */
    int attempts, max_attempts;
    char lease[100];              /* fencing token: this claim's owner string */
};

/* Adds a job due after delay_s seconds. unique_key (may be NULL) keeps at most one pending
 * job per key: a second enqueue with the same key is a no-op that returns 0. */
int jobs_enqueue(db_t *db, long long tenant_id, const char *kind, const char *payload,
                 const char *unique_key, int delay_s, long long *id_out);

/* Claims the oldest due job for lease_s seconds. 1 = claimed, 0 = none due, -1 = error.
 * owner_prefix identifies the worker (host:pid); a unique suffix is added per claim. */
/* The scheduler's way to queue what is due: select_sql answers rows of (tenant_id, kind,
 * payload, unique_key, delay seconds), each then queued as jobs_enqueue does. The SELECT is a
 * plain consistent read: an INSERT ... SELECT would take shared locks on every row it reads
 * (the whole ledger's due rows) and wait behind any transaction writing one. */
int jobs_enqueue_selected(db_t *db, const char *select_sql);
/* The same with bound parameters: jobs_enqueue_selected_params(db, sql, DB_PARAMS(...)). */
int jobs_enqueue_selected_params(db_t *db, const char *select_sql, const struct dbv *p, int np);
int jobs_claim(db_t *db, const char *owner_prefix, int lease_s, struct job *out);
/* Extends the lease; -1 when the lease was lost (another worker took the job). */
int jobs_heartbeat(db_t *db, const struct job *j, int lease_s);
/* Marks done; returns -1 if this worker no longer holds the lease (nothing is changed). */
int jobs_complete(db_t *db, const struct job *j);
/* Records the error and schedules a retry with capped exponential backoff, or marks the job
 * failed when its attempts are used up. */
int jobs_fail(db_t *db, const struct job *j, const char *error);
/* Forgets the payload of a job this worker holds (sealed mail, once sent). */
int jobs_clear_payload(db_t *db, const struct job *j);
void job_free(struct job *j);

/* Backoff before attempt n+1 after n failures: 30 s doubling, capped at 1 hour. */
int jobs_backoff_seconds(int attempts);

#endif
