/* review_jobs.c: "pull_charges" (see review_jobs.h). CSV connections are skipped: their lines
 * arrive by upload. One connection failing does not stop the others; the review page shows
 * each connection's outcome and the person retrieves again when the distributor is back. */
#include "worker/review_jobs.h"

#include "common/log.h"
#include "core/cdate.h"
#include "db/connections.h"
#include "db/review.h"
#include "worker/charges.h"
#include "worker/psa_pool.h"
#include "worker/refresh.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* The job's tenant and {"month":"YYYY-MM"}; a job without them fails for good. 0 ok. */
static int job_month(struct job *job, const char *kind, cdate_t *month, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *p = job->payload ? json_loads(job->payload, 0, &jerr) : NULL;
    const char *m = p ? json_string_value(json_object_get(p, "month")) : NULL;
    char first[16] = "";
    if (m && strlen(m) == 7)
        snprintf(first, sizeof first, "%s-01", m);
    json_decref(p);
    if (job->tenant_id <= 0 || cdate_parse(first, month) < 0) {
        snprintf(err, errlen, "%s needs a tenant and a month YYYY-MM", kind);
        job->attempts = job->max_attempts;
        return -1;
    }
    return 0;
}

int job_review_charges(struct job_env *env, struct job *job, char *err, size_t errlen)
{
    cdate_t month;
    if (job_month(job, "review_charges", &month, err, errlen) < 0)
        return -1;
    struct psa_pool pool = {0};
    int posted = 0, failed = 0;
    int rc = charges_post_annual(env, job->tenant_id, &pool, &posted, &failed);
    if (rc == 0)
        rc = charges_post_usage(env, job->tenant_id, month, &pool, &posted, &failed);
    psa_pool_close(&pool);
    if (rc < 0)
        snprintf(err, errlen, "review charges: %s", db_error(env->db));
    log_info("review_charges tenant=%lld: %d charges created, %d failed", job->tenant_id, posted, failed);
    return rc;
}

int job_pull_charges(struct job_env *env, struct job *job, char *err, size_t errlen)
{
    long long t = job->tenant_id;
    cdate_t month;
    char date[11];
    if (job_month(job, "pull_charges", &month, err, errlen) < 0)
        return -1;
    cdate_format(month, date, sizeof date);
    review_pull_mark(env->db, t, date, "running", "Reading the distributors' billing lines…");
    struct api_source_list r;
    if (connections_api_sources(env->db, t, &r) < 0) {
        snprintf(err, errlen, "cannot list the connections: %s", db_error(env->db));
        review_pull_mark(env->db, t, date, "failed", err);
        return -1;
    }
    char summary[1000] = "";
    size_t used = 0;
    int failed = 0;
    for (int i = 0; i < r.n; i++) {
        char msg[600] = "";
        int rc = refresh_charges(env, t, r.v[i].id, month, msg, sizeof msg);
        if (rc < 0)
            failed++;
        int k = snprintf(summary + used, sizeof summary - used, "%s%s: %s%s", used ? "; " : "",
                         r.v[i].name, rc < 0 ? "failed: " : "", msg);
        if (k > 0)
            used += (size_t)k < sizeof summary - used ? (size_t)k : sizeof summary - used - 1;
        jobs_heartbeat(env->db, job, env->lease_seconds);
    }
    if (!r.n)
        snprintf(summary, sizeof summary, "No distributor is read through an API; uploaded files are already here.");
    log_info("pull_charges tenant=%lld month=%s: %s", t, date, summary);
    review_pull_mark(env->db, t, date, failed ? "failed" : "done", summary);
    DB_LIST_FREE(&r);
    return 0;
}
