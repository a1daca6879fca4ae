/* main.c: billsync-worker: a master supervising worker.children processes; each leases due
 * jobs from the jobs table (SKIP LOCKED), runs them and records the outcome. A killed
 * worker's lease expires and another takes the job over. */
#include "common/config.h"
#include "common/log.h"
#include "common/program.h"
#include "common/supervisor.h"
#include "db/conn_shared.h"
#include "db/jobs.h"
#include "db/ledger.h"
#include "db/snapshot.h"
#include "net/http.h"
#include "worker/handlers.h"
#include "worker/new_subs_job.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
    (void)sig;
    stopping = 1;                 /* finish the job in hand, then exit */
}

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);         /* a signal ends the nap early, which is what we want */
}

/* After a job that may have changed what the dashboard shows, its figures are computed again in
 * the background (one pending "figures" job per tenant), so the person who opens it next does not
 * wait for them. */
static void warm_figures(struct job_env *env, const struct job *job)
{
    static const char *const changing[] = {"refresh", "sync", "post", "csv_import"};
    char key[64];
    for (size_t i = 0; i < sizeof changing / sizeof changing[0]; i++)
        if (job->tenant_id > 0 && !strcmp(job->kind, changing[i])) {
            snprintf(key, sizeof key, "figures:%lld", job->tenant_id);
            if (jobs_enqueue(env->db, job->tenant_id, "figures", NULL, key, 0, NULL) < 0)
                log_warn("figures of tenant %lld not queued: %s", job->tenant_id, db_error(env->db));
        }
}

/* retries_before: db_retries before the job was claimed; the job's line says how many of its
 * statements and transactions were run again (deadlocks, a cluster's certification
 * failures: make test-scale sums them per job). */
static void run_one(struct job_env *env, struct job *job, unsigned long retries_before)
{
    char err[1000] = "";
    job_fn fn = handlers_find(job->kind);
    log_info("job start id=%lld kind=%s attempt=%d", job->id, job->kind, job->attempts);
    int rc;
    if (!fn) {
        snprintf(err, sizeof err, "unknown job kind '%s'", job->kind);
        job->attempts = job->max_attempts;    /* retrying cannot help */
        rc = -1;
    } else {
        rc = fn(env, job, err, sizeof err);
    }
    if (rc == 0) {
        if (jobs_complete(env->db, job) == 0)
            log_info("job done id=%lld kind=%s db_retries=%lu", job->id, job->kind,
                     db_retries - retries_before);
        else
            log_warn("job id=%lld finished after its lease was lost; outcome left to the new owner",
                     job->id);
        warm_figures(env, job);
    } else {
        log_warn("job failed id=%lld kind=%s attempt=%d: %s", job->id, job->kind, job->attempts, err);
        if (jobs_fail(env->db, job, err) < 0)
            log_error("job id=%lld: cannot record failure: %s", job->id, db_error(env->db));
    }
}

static void child_main(void *vctx)
{
    const struct config *cfg = vctx;
    supervisor_on_signal(SIGTERM, on_term);
    supervisor_on_signal(SIGINT, on_term);
    db_t *db = db_lazy(cfg);
    if (!db)
        _exit(1);
    char host[64] = "host", owner[96];
    gethostname(host, sizeof host - 1);
    snprintf(owner, sizeof owner, "%.60s:%d", host, (int)getpid());
    struct job_env env = {cfg, db, cfg->lease_seconds};
    int idle_ms = cfg->poll_ms;
    time_t last_schedule = 0;
    while (!stopping) {
        /* Periodic work is queued by whichever worker looks first; the jobs' unique keys
         * make the others' attempts no-ops. */
        if (time(NULL) - last_schedule >= cfg->schedule_seconds) {
            last_schedule = time(NULL);
            if (refresh_enqueue_due(db, cfg->psa_refresh_hours) < 0 || sync_enqueue_due(db) < 0 ||
                post_enqueue_due(db) < 0 || unlinked_alert_enqueue_due(db) < 0)
                log_warn("cannot queue periodic jobs: %s", db_error(db));
        }
        struct job job;
        unsigned long retries_before = db_retries;
        int got = jobs_claim(db, owner, cfg->lease_seconds, &job);
        if (got == 1) {
            run_one(&env, &job, retries_before);
            job_free(&job);
            continue;
        }
        if (got < 0)
            log_warn("cannot claim jobs: %s", db_error(db));
        /* Nothing due (or the database is away): an empty SKIP LOCKED result only means
         * "try again later". */
        nap_ms(got < 0 ? 2000 : idle_ms);
    }
    db_close(db);
    _exit(0);
}

static const char usage[] =
    "usage: billsync-worker [--config FILE]\n"
    "Runs worker.children processes that lease and run due jobs (sync, posting, mail).\n"
    "Signals: TERM or INT finish the jobs in hand and exit; HUP recycles the workers.\n"
    "Environment: BILLSYNC_CONFIG, and BILLSYNC_SECTION_KEY for any setting.\n";

int main(int argc, char **argv)
{
    static struct config cfg;
    program_start(argc, argv, "billsync-worker", usage, &cfg, 0);
    conn_shared_configure(cfg.budget_share_percent, cfg.threshold_check_seconds);
    http_allow_insecure(cfg.net_allow_insecure_http);
    log_info("starting %d workers (lease %d s)", cfg.worker_children, cfg.lease_seconds);
    supervise(cfg.worker_children, child_main, &cfg, 30);
    log_info("stopped");
    return 0;
}
