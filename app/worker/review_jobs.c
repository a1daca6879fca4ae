/* review_jobs.c: "pull_charges" (see review_jobs.h). CSV connections are skipped: their lines
 * arrive by upload. One connection failing does not stop the others; the review page shows
 * each connection's outcome and the person retrieves again when the distributor is back. */
#include "worker/review_jobs.h"

#include "common/log.h"
#include "core/cdate.h"
#include "db/review.h"
#include "worker/refresh.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int job_pull_charges(struct job_env *env, struct job *job, char *err, size_t errlen)
{
    long long t = job->tenant_id;
    json_error_t jerr;
    json_t *p = job->payload ? json_loads(job->payload, 0, &jerr) : NULL;
    const char *m = p ? json_string_value(json_object_get(p, "month")) : NULL;
    cdate_t month;
    char first[16] = "", date[11];
    if (m && strlen(m) == 7)
        snprintf(first, sizeof first, "%s-01", m);
    json_decref(p);
    if (t <= 0 || cdate_parse(first, &month) < 0) {
        snprintf(err, errlen, "pull_charges needs a tenant and a month YYYY-MM");
        job->attempts = job->max_attempts;
        return -1;
    }
    cdate_format(month, date, sizeof date);
    review_pull_mark(env->db, t, date, "running", "Reading the distributors' billing lines…");
    struct dbrows r;
    if (review_api_sources(env->db, t, &r) < 0) {
        snprintf(err, errlen, "cannot list the connections: %s", db_error(env->db));
        review_pull_mark(env->db, t, date, "failed", err);
        return -1;
    }
    char summary[1000] = "";
    size_t used = 0;
    int failed = 0;
    for (int i = 0; i < r.nrows; i++) {
        char msg[600] = "";
        int rc = refresh_charges(env, t, dbrows_int(&r, i, 0, 0), month, msg, sizeof msg);
        if (rc < 0)
            failed++;
        int k = snprintf(summary + used, sizeof summary - used, "%s%s: %s%s", used ? "; " : "",
                         dbrows_get(&r, i, 1), rc < 0 ? "failed: " : "", msg);
        if (k > 0)
            used += (size_t)k < sizeof summary - used ? (size_t)k : sizeof summary - used - 1;
        jobs_heartbeat(env->db, job, env->lease_seconds);
    }
    if (!r.nrows)
        snprintf(summary, sizeof summary, "No distributor is read through an API; uploaded files are already here.");
    log_info("pull_charges tenant=%lld month=%s: %s", t, date, summary);
    review_pull_mark(env->db, t, date, failed ? "failed" : "done", summary);
    dbrows_free(&r);
    return 0;
}
