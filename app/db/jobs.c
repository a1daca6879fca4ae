/* jobs.c: the leased job queue (enqueue, claim with SKIP LOCKED, complete, fail, heartbeat). */
#include "db/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jobs_backoff_seconds(int attempts)
{
    int s = 30;
    for (int i = 1; i < attempts && s < 3600; i++)
        s *= 2;
    return s > 3600 ? 3600 : s;
}

int jobs_enqueue(db_t *db, long long tenant_id, const char *kind, const char *payload,
                 const char *unique_key, int delay_s, long long *id_out)
{
    uint64_t affected = 0, id = 0;
    /* INSERT IGNORE on the unique key: an already pending job with that key stays as is. */
    if (db_exec(db,
                "INSERT IGNORE INTO jobs (tenant_id, kind, payload, unique_key, due_at)"
                " VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND)",
                DB_PARAMS(tenant_id ? DB_INT(tenant_id) : DB_NULL, DB_STR(kind), DB_STR(payload),
                          DB_STR(unique_key), DB_INT(delay_s)),
                &affected, &id) < 0)
        return -1;
    if (id_out)
        *id_out = affected ? (long long)id : 0;
    return 0;
}

int jobs_enqueue_selected(db_t *db, const char *select_sql)
{
    return jobs_enqueue_selected_params(db, select_sql, DB_NONE);
}

int jobs_enqueue_selected_params(db_t *db, const char *select_sql, const struct dbv *p, int np)
{
    struct dbrows r;
    if (db_query(db, select_sql, p, np, &r) < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < r.nrows && rc == 0; i++)
        rc = jobs_enqueue(db, dbrows_int(&r, i, 0, 0), dbrows_get(&r, i, 1), dbrows_get(&r, i, 2), dbrows_get(&r, i, 3),
                          (int)dbrows_int(&r, i, 4, 0), NULL);
    dbrows_free(&r);
    return rc;
}

struct claim_ctx {
    const char *owner;
    int lease_s;
    struct job *out;
    int claimed;
};

static int claim_txn(db_t *db, void *vctx)
{
    struct claim_ctx *c = vctx;
    struct dbrows r;
    if (c->claimed)               /* db_txn runs it again: the commit failed (Galera certification) */
        job_free(c->out);
    c->claimed = 0;
    /* The index ix_jobs_claim (state, due_at, id) serves both WHERE and ORDER BY, so SKIP
     * LOCKED locks only the row it returns and other workers get the next one. */
    if (db_query(db,
                 "SELECT id, tenant_id, kind, payload, attempts, max_attempts FROM jobs"
                 " WHERE state = 'pending' AND due_at <= UTC_TIMESTAMP(6)"
                 " ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
                 DB_NONE, &r) < 0)
        return -1;
    if (r.nrows == 0) {
        dbrows_free(&r);
        return 0;
    }
    struct job *j = c->out;
    memset(j, 0, sizeof *j);
    j->id = dbrows_int(&r, 0, 0, 0);
    j->tenant_id = dbrows_int(&r, 0, 1, 0);
    snprintf(j->kind, sizeof j->kind, "%s", dbrows_get(&r, 0, 2));
    const char *p = dbrows_get(&r, 0, 3);
    j->payload = p ? strdup(p) : NULL;
    j->attempts = (int)dbrows_int(&r, 0, 4, 0) + 1;
    j->max_attempts = (int)dbrows_int(&r, 0, 5, 10);
    snprintf(j->lease, sizeof j->lease, "%s", c->owner);
    dbrows_free(&r);
    if (db_exec(db,
                "UPDATE jobs SET lease_owner = ?, attempts = attempts + 1,"
                " due_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND WHERE id = ?",
                DB_PARAMS(DB_STR(j->lease), DB_INT(c->lease_s), DB_INT(j->id)), NULL, NULL) < 0) {
        job_free(j);
        return -1;
    }
    c->claimed = 1;
    return 0;
}

int jobs_claim(db_t *db, const char *owner_prefix, int lease_s, struct job *out)
{
    static unsigned long long seq;
    char owner[100];
    snprintf(owner, sizeof owner, "%.60s:%llu:%08x", owner_prefix, ++seq, (unsigned)random());
    struct claim_ctx c = {owner, lease_s, out, 0};
    if (db_txn(db, claim_txn, &c) != 0) {
        if (c.claimed)
            job_free(out);
        return -1;
    }
    return c.claimed;
}

int jobs_heartbeat(db_t *db, const struct job *j, int lease_s)
{
    uint64_t affected = 0;
    if (db_exec(db,
                "UPDATE jobs SET due_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND"
                " WHERE id = ? AND state = 'pending' AND lease_owner = ?",
                DB_PARAMS(DB_INT(lease_s), DB_INT(j->id), DB_STR(j->lease)), &affected, NULL) < 0)
        return -1;
    return affected == 1 ? 0 : -1;
}

int jobs_complete(db_t *db, const struct job *j)
{
    uint64_t affected = 0;
    /* Fenced by the lease token: a worker whose lease expired cannot complete a job that
     * another worker has taken over. */
    if (db_exec(db,
                "UPDATE jobs SET state = 'done', finished_at = UTC_TIMESTAMP(6), done_by = ?,"
                " lease_owner = NULL, unique_key = NULL"
                " WHERE id = ? AND state = 'pending' AND lease_owner = ?",
                DB_PARAMS(DB_STR(j->lease), DB_INT(j->id), DB_STR(j->lease)), &affected, NULL) < 0)
        return -1;
    return affected == 1 ? 0 : -1;
}

int jobs_fail(db_t *db, const struct job *j, const char *error)
{
    char msg[1000];
    snprintf(msg, sizeof msg, "%s", error ? error : "failed");
    if (j->attempts >= j->max_attempts)
        return db_exec(db,
                       "UPDATE jobs SET state = 'failed', last_error = ?, lease_owner = NULL,"
                       " unique_key = NULL, finished_at = UTC_TIMESTAMP(6)"
                       " WHERE id = ? AND state = 'pending' AND lease_owner = ?",
                       DB_PARAMS(DB_STR(msg), DB_INT(j->id), DB_STR(j->lease)), NULL, NULL);
    return db_exec(db,
                   "UPDATE jobs SET last_error = ?, lease_owner = NULL,"
                   " due_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND"
                   " WHERE id = ? AND state = 'pending' AND lease_owner = ?",
                   DB_PARAMS(DB_STR(msg), DB_INT(jobs_backoff_seconds(j->attempts)), DB_INT(j->id),
                             DB_STR(j->lease)),
                   NULL, NULL);
}

int jobs_clear_payload(db_t *db, const struct job *j)
{
    return db_exec(db, "UPDATE jobs SET payload = NULL WHERE id = ? AND lease_owner = ?",
                   DB_PARAMS(DB_INT(j->id), DB_STR(j->lease)), NULL, NULL);
}

void job_free(struct job *j)
{
    free(j->payload);
    j->payload = NULL;
}
