/* handlers.c: job kinds → the functions that run them. */
#include "worker/handlers.h"

#include "common/config.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/mail.h"
#include "common/secret_key.h"
#include "db/dashboard.h"
#include "db/margin.h"
#include "worker/charges.h"
#include "worker/csv_import_job.h"
#include "worker/new_subs_job.h"
#include "worker/refresh.h"
#include "worker/review_jobs.h"
#include "worker/sync.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* "selftest": proves the queue end to end (tests, and `billsync` operators checking a new
 * host). Payload {"sleep_ms": N, "fail": true|false}. */
static int job_selftest(struct job_env *env, struct job *job, char *err, size_t errlen)
{
    (void)env;
    json_error_t jerr;
    json_t *p = job->payload ? json_loads(job->payload, 0, &jerr) : NULL;
    long long sleep_ms = p ? json_integer_value(json_object_get(p, "sleep_ms")) : 0;
    int fail = p ? json_is_true(json_object_get(p, "fail")) : 0;
    json_decref(p);
    if (sleep_ms > 0 && sleep_ms < 600000) {
        struct timespec ts = {(time_t)(sleep_ms / 1000), (long)(sleep_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0) {
        }
    }
    if (fail) {
        snprintf(err, errlen, "selftest asked to fail");
        return -1;
    }
    return 0;
}

/* "mail": one sealed message from the outbox (db/outbox.c), sent over SMTP. */
static int job_mail(struct job_env *env, struct job *job, char *err, size_t errlen)
{
    const unsigned char *key = secret_key(env->cfg);
    char *plain = NULL;
    size_t len = 0;
    if (!key || !job->payload || crypto_open(key, job->payload, &plain, &len) < 0) {
        snprintf(err, errlen, "mail payload cannot be opened (secret key changed?)");
        job->attempts = job->max_attempts;
        return -1;
    }
    json_error_t jerr;
    json_t *m = json_loads(plain, 0, &jerr);
    crypto_free_secret(plain, len);
    const char *to = json_string_value(json_object_get(m, "to"));
    const char *subject = json_string_value(json_object_get(m, "subject"));
    const char *body = json_string_value(json_object_get(m, "body"));
    int rc = -1;
    if (!to || !subject || !body) {
        snprintf(err, errlen, "mail payload is incomplete");
        job->attempts = job->max_attempts;
    } else if (!env->cfg->smtp_url[0]) {
        snprintf(err, errlen, "smtp.url is not configured");
    } else {
        struct mail_config mc = {
            .url = env->cfg->smtp_url,
            .user = env->cfg->smtp_user[0] ? env->cfg->smtp_user : NULL,
            .password = env->cfg->smtp_password[0] ? env->cfg->smtp_password : NULL,
            .from = env->cfg->smtp_from,
            .timeout_ms = env->cfg->smtp_timeout_ms,
            .starttls = 1,
        };
        rc = mail_send(&mc, to, subject, body, err, errlen);
        if (rc == 0)
            jobs_clear_payload(env->db, job);
    }
    json_decref(m);
    return rc;
}

/* "figures": the tenant's dashboard figures computed into its cache (db/dashboard.h dash_warm),
 * queued after each job that changes them (worker/main.c). */
static int job_figures(struct job_env *env, struct job *job, char *err, size_t errlen)
{
    cdate_t today;
    char e[300];
    /* First the margin report's rows (db/margin.h margin_fill), which margin_warm then reads: one
     * statement over every linked resource, on a bulk connection since at production volume it
     * outlasts db.timeout. Should it fail, the report computes live as before. */
    db_t *bulk = db_open_bulk(env->cfg, e, sizeof e);
    if (!bulk)
        log_warn("margin rows of tenant %lld not computed: %s", job->tenant_id, e);
    else {
        if (margin_fill(bulk, job->tenant_id) < 0)
            log_warn("margin rows of tenant %lld not computed: %s", job->tenant_id, db_error(bulk));
        db_close(bulk);
    }
    /* the PSA's read date as the pages read it: today, UTC (web/web.h utc_today) */
    if (cdate_from_unix_utc((int64_t)time(NULL), 0, &today) < 0 || dash_warm(env->db, job->tenant_id, today) < 0) {
        snprintf(err, errlen, "figures: %s", db_error(env->db));
        return -1;
    }
    return 0;
}

static const struct {
    const char *kind;
    job_fn fn;
    int per_tenant;               /* runs for one tenant: a job without one can never succeed */
} table[] = {
    {"selftest", job_selftest, 0},
    {"mail", job_mail, 0},
    {"refresh", job_refresh, 1},
    {"sync", job_sync, 1},
    {"post", job_post, 1},
    {"pull_charges", job_pull_charges, 1},
    {"review_charges", job_review_charges, 1},
    {"usage", job_usage, 1},
    {"csv_import", job_csv_import, 1},
    {"figures", job_figures, 1},
    {"unlinked_alert", job_unlinked_alert, 1},
};

int handlers_kind(const char *kind)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].kind, kind) == 0)
            return table[i].per_tenant ? 2 : 1;
    return 0;
}

const char *handlers_kind_at(size_t i)
{
    return i < sizeof table / sizeof table[0] ? table[i].kind : NULL;
}

job_fn handlers_find(const char *kind)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].kind, kind) == 0)
            return table[i].fn;
    return NULL;
}
