/* csv_import_job.c: the "csv_import" job (payload {"import_id": N}): stages and applies an
 * upload that the web request checked and stored (db/csv_import.c), renewing the job's lease
 * as it goes. A database failure is retried with the queue's back-off; on the last attempt
 * the import is marked failed so the page stops saying it is in progress. */
#include "worker/csv_import_job.h"

#include "common/log.h"
#include "db/csv_import.h"

#include <jansson.h>
#include <stdio.h>

struct lease {
    struct job_env *env;
    struct job *job;
};

/* On the worker's own connection (the import's is busy in its transaction): the usual lease,
 * or longer before a step that may take longer than that. */
static void renew(void *ctx, long rows_done, int next_step_s)
{
    (void)rows_done;
    struct lease *l = ctx;
    int s = l->env->lease_seconds;
    jobs_heartbeat(l->env->db, l->job, next_step_s > s ? next_step_s : s);
}

int job_csv_import(struct job_env *env, struct job *job, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *p = job->payload ? json_loads(job->payload, 0, &jerr) : NULL;
    long long import_id = p ? json_integer_value(json_object_get(p, "import_id")) : 0;
    json_decref(p);
    if (import_id <= 0 || job->tenant_id <= 0) {
        snprintf(err, errlen, "csv_import needs a tenant and {\"import_id\": N}");
        job->attempts = job->max_attempts;         /* no retry can mend the payload */
        return -1;
    }
    struct lease l = {env, job};
    struct csv_import_result res;
    char e[300];
    db_t *bulk = db_open_bulk(env->cfg, e, sizeof e);
    if (!bulk) {
        snprintf(err, errlen, "cannot connect to the database: %s", e);
        return -1;
    }
    int rc = csv_import_run(bulk, job->tenant_id, import_id, renew, &l, &res);
    db_close(bulk);
    if (rc == 0) {
        log_info("csv_import tenant=%lld import=%lld: %s", job->tenant_id, import_id, res.message);
        return 0;
    }
    snprintf(err, errlen, "%s", res.message);
    if (res.refused)
        job->attempts = job->max_attempts;
    else if (job->attempts >= job->max_attempts)
        csv_import_give_up(env->db, job->tenant_id, import_id, res.message);
    return -1;
}
