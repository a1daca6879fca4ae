/* sync.c: the "sync" job: refresh the tenant's distributor connections, then plan every
 * active resource link (core/planner.c) from the source's quantity and the PSA's units read
 * just now, into the adjustment ledger: queued (posted next), awaiting approval, drift held
 * for review, or failed with the reason. Target state, not replayed deltas: a plan is always
 * desired − current, so repeated syncs and lost responses cannot double a change. */
#include "worker/sync.h"

#include "common/config.h"
#include "common/log.h"
#include "common/tzdate.h"
#include "core/planner.h"
#include "db/accounts.h"
#include "db/connections.h"
#include "db/cost_ledger.h"
#include "db/jobs.h"
#include "db/ledger.h"
#include "db/new_subs.h"
#include "db/snapshot.h"
#include "worker/charges.h"
#include "worker/cost_sync.h"
#include "worker/invoice_text.h"
#include "worker/psa_pool.h"
#include "worker/refresh.h"
#include "worker/sync_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sync_backoff_seconds(int attempts)
{
    int s = 60;
    for (int i = 1; i < attempts && s < 3600; i++)
        s *= 2;
    return s > 3600 ? 3600 : s;
}

static cdate_t date_or_zero(const char *s)
{
    cdate_t d = {0, 0, 0};
    if (s && *s && cdate_parse(s, &d) < 0)
        memset(&d, 0, sizeof d);
    return d;
}

/* Pulls every distributor of the tenant. A distributor that fails leaves its last snapshot
 * (the others still sync); billsync's own database failing fails the sync (-1, err), which
 * runs again soon instead of comparing what it could not store. */
static int refresh_sources(struct job_env *env, long long tenant_id, char *err, size_t errlen)
{
    struct api_source_list r;
    if (connections_api_sources(env->db, tenant_id, &r) < 0) {
        snprintf(err, errlen, "cannot read the connections: %s", db_error(env->db));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < r.n && rc == 0; i++) {
        char why[600];
        int got = refresh_one(env, tenant_id, r.v[i].id, why, sizeof why);
        if (got == REFRESH_DB_ERROR) {
            snprintf(err, errlen, "the pull of connection %lld could not be stored: %s", r.v[i].id, why);
            rc = -1;
        } else if (got < 0) {
            log_warn("sync tenant=%lld: refresh of connection %lld failed: %s", tenant_id, r.v[i].id, why);
        }
    }
    DB_LIST_FREE(&r);
    return rc;
}

struct tally {
    int queued, approval, drift, failed, nothing, unreadable;
};

static int link_requires_approval(const struct link_state *l, const struct tenant_policy *pol)
{
    return !strcmp(l->approval, "require") || (!strcmp(l->approval, "inherit") && !strcmp(pol->approval, "require"));
}

/*
 * One PSA contract service and the n links feeding it (doc/design.md 4.2), read from the PSA just
 * now (sync_read.c): its desired units are the sum of its links' source quantities, so two
 * subscriptions on one service (5 + 3) make 8, never a fight between 5 and 3. One open change per
 * service: the newest plan supersedes any change still waiting in the ledger (a restore before the
 * 1st cancels a waiting decrease; a second decrease replaces the first, on the same date).
 */
static void plan_service(struct job_env *env, long long tenant_id, const struct tenant_policy *pol, cdate_t today,
                         struct sync_service *sv, struct psa_pool *pool, struct tally *t)
{
    const struct link_state *links = sv->links, *l = &links[0];
    int n = sv->n, require = 0;
    const struct conn *c;
    const char *why;
    const struct psa_connector *p = psa_pool_get(pool, env, tenant_id, l->psa_connection_id, &c, &why);
    for (int i = 0; i < n; i++)
        require |= link_requires_approval(&links[i], pol);
    struct service_state st = {.today = today, .desired = sv->desired, .posts = sv->posts, .nposts = sv->nposts,
                               .one_change_per_day = p ? p->one_change_per_day : 1};
    /* days holding a cost change (one change per service and day): a seat change moves past them */
    cdate_t cost_busy[SERVICE_POSTS_MAX];
    if (st.one_change_per_day &&
        cost_days(env->db, tenant_id, l->psa_connection_id, l->psa_contract_id, l->psa_service_id, today, cost_busy,
                  SERVICE_POSTS_MAX, &st.nalso_busy) == 0)
        st.also_busy = cost_busy;
    qty_t psa_units = sv->seen.units;
    if (cdate_cmp(sv->read_on, today) == 0)
        psa_cache_units(env->db, tenant_id, l->psa_connection_id, l->psa_contract_id, l->psa_service_id, psa_units);
    struct planner_input in = {
        .decrease = strcmp(pol->decrease_mode, "immediate") ? PLANNER_DECREASE_NEXT_PERIOD : PLANNER_DECREASE_IMMEDIATE,
        .drift = strcmp(pol->drift_mode, "overwrite") ? PLANNER_DRIFT_FLAG : PLANNER_DRIFT_OVERWRITE,
        .approval = require ? PLANNER_APPROVAL_REQUIRE : PLANNER_APPROVAL_AUTO,
        .contract_start = date_or_zero(l->contract_start),
        .contract_end = date_or_zero(l->contract_end),
        .billing_start = date_or_zero(l->billing_start),
        .cycle_months = l->cycle_months > 0 ? l->cycle_months : 1,
        .unit_price = l->unit_price,
    };
    if (!cdate_valid(in.contract_start)) {
        /* The PSA cache has no start for this contract: no lower bound, and calendar-month
         * periods (anchoring on today would make every decrease immediate). */
        in.contract_start = cdate_make(2000, 1, 1);
        cdate_first_of_month(today, &in.period_anchor);
    }
    struct planner_output out;
    if (service_plan(&st, psa_units, &in, &out) < 0) {
        t->unreadable += n;
        return;
    }
    if (out.action == PLANNER_NOTHING) {
        /* The target is reached: a change still waiting (a decrease before a restore) is void. */
        if (l->open_change)
            ledger_supersede_service(env->db, tenant_id, l->psa_connection_id, l->psa_contract_id, l->psa_service_id, 0);
        t->nothing++;
        return;
    }
    /* The read travels with the change: posted on the day it was read for, soon, its first
     * attempt writes and verifies without reading again. */
    struct plan pl = {tenant_id, l->link_id, "sync", l->src_connection_id, l->src_resource_id, l->psa_connection_id,
                      l->psa_contract_id, l->psa_service_id, in.desired, psa_units,
                      out.effective, l->unit_price, out.estimate, "queued", &sv->seen, sv->read_on};
    long long id = 0;
    int rc;
    if (out.action == PLANNER_FAIL) {
        rc = ledger_plan_failed(env->db, &pl, out.reason, &id);
        t->failed++;
    } else {
        pl.state = (out.action == PLANNER_DRIFT || out.needs_approval) ? "awaiting_approval" : "queued";
        rc = ledger_plan(env->db, &pl, &id);
        if (out.action == PLANNER_DRIFT) {
            ledger_note(env->db, tenant_id, id, out.reason);
            t->drift++;
        } else if (out.needs_approval) {
            t->approval++;
        } else {
            t->queued++;
        }
    }
    if (rc >= 0 && id)
        ledger_supersede_service(env->db, tenant_id, l->psa_connection_id, l->psa_contract_id, l->psa_service_id, id);
}

static int same_service(const struct link_state *a, const struct link_state *b)
{
    return a->psa_connection_id == b->psa_connection_id && !strcmp(a->psa_contract_id, b->psa_contract_id) &&
           !strcmp(a->psa_service_id, b->psa_service_id);
}

/* What billsync knows of the service (its first link carries the service's cache and ledger
 * facts), and whether the sync must read it. */
static void judge_service(struct job_env *env, long long tenant_id, const char *zone, cdate_t today,
                          struct sync_service *sv)
{
    const struct link_state *l = sv->links;
    qty_t *quantities = calloc((size_t)sv->n, sizeof *quantities);
    int *gone = calloc((size_t)sv->n, sizeof *gone);
    for (int i = 0; quantities && gone && i < sv->n; i++) {
        quantities[i] = sv->links[i].desired;
        gone[i] = sv->links[i].source_gone;
    }
    sv->ok = quantities && gone && service_desired(quantities, gone, sv->n, &sv->desired) == 0;
    free(quantities);
    free(gone);
    if (!sv->ok)
        return;
    struct service_known k = {.cached = l->cached, .cached_units = l->cached_units, .cached_age_s = l->cached_age_s,
                              .cached_on = tz_date(zone, time(NULL) - (time_t)l->cached_age_s),
                              .has_last_post = l->has_last_post, .last_post_desired = l->last_post_desired,
                              .last_post_effective = date_or_zero(l->last_post_effective),
                              .open_change = l->open_change};
    sv->need_read = service_read_needed(&k, sv->desired, today, (long long)env->cfg->drift_check_hours * 3600);
    if (!sv->need_read)
        return;
    struct service_state st = {.today = today, .posts = sv->posts};
    sv->ok = ledger_service_posts(env->db, tenant_id, l->psa_connection_id, l->psa_contract_id, l->psa_service_id,
                                  sv->posts, SERVICE_POSTS_MAX, &sv->nposts) == 0;
    st.nposts = sv->nposts;
    sv->read_on = service_read_on(&st);
}

int job_sync(struct job_env *env, struct job *job, char *err, size_t errlen)
{
    long long t = job->tenant_id;
    if (t <= 0) {
        snprintf(err, errlen, "sync job without a tenant");
        job->attempts = job->max_attempts;
        return -1;
    }
    sync_mark(env->db, t, 1, "running: reading the distributors");
    new_subs_sync_begin(env->db, t);     /* "new since last sync" starts with this pull */
    if (refresh_sources(env, t, err, errlen) < 0) {
        sync_mark(env->db, t, 0, err);
        return -1;
    }
    sync_mark(env->db, t, 1, "running: comparing with the PSA");
    struct tenant_policy pol;
    policy_get(env->db, t, &pol);
    char zone[64];
    tenant_time_zone(env->db, t, zone, sizeof zone);
    cdate_t today = tz_date(zone, time(NULL));
    struct link_state *links = NULL;
    int n = 0;
    if (ledger_links(env->db, t, &links, &n) < 0) {
        snprintf(err, errlen, "cannot read the links: %s", db_error(env->db));
        sync_mark(env->db, t, 0, err);
        return -1;
    }
    struct sync_service *sv = calloc((size_t)(n ? n : 1), sizeof *sv);
    if (!sv) {
        free(links);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int nsv = 0;
    for (int i = 0; i < n; nsv++) {
        int k = 1;
        while (i + k < n && same_service(&links[i], &links[i + k]))
            k++;
        sv[nsv].links = &links[i];
        sv[nsv].n = k;
        judge_service(env, t, zone, today, &sv[nsv]);
        i += k;
    }
    struct psa_pool pool = {0};
    struct tally tally = {0};
    struct cost_tally costs = {0};
    sync_read_services(env, t, &pool, sv, nsv);
    int read = 0;
    for (int i = 0; i < nsv; i++) {
        if (!sv[i].ok || (sv[i].need_read && !sv[i].have_read)) {
            tally.unreadable += sv[i].n;
        } else if (!sv[i].need_read) {
            tally.nothing++;      /* in step as far as billsync knows; its drift check is not due */
        } else {
            plan_service(env, t, &pol, today, &sv[i], &pool, &tally);
            read++;
            jobs_heartbeat(env->db, job, env->lease_seconds);
        }
        /* The distributor's cost: planned from billsync's own record, no PSA read. */
        int require = 0;
        for (int k = 0; k < sv[i].n; k++)
            require |= link_requires_approval(&sv[i].links[k], &pol);
        if (sv[i].ok)
            cost_plan_service(env, t, today, sv[i].links, sv[i].n, require, &pool, &costs);
    }
    free(sv);
    /* One-time charges: annual lines whenever seen; usage of last month on days 1-3. */
    int charged = 0, charge_failed = 0;
    charges_post_annual(env, t, &pool, &charged, &charge_failed);
    if (today.d <= 3) {
        cdate_t first, last_month;
        cdate_first_of_month(today, &first);
        cdate_add_days(first, -1, &last_month);
        charges_post_usage(env, t, last_month, &pool, &charged, &charge_failed);
    }
    alerts_send(env, t);
    psa_pool_close(&pool);
    free(links);
    char msg[520];
    char cost_msg[120] = "";
    if (costs.queued || costs.approval || costs.failed)
        snprintf(cost_msg, sizeof cost_msg, "; cost changes: %d to post, %d awaiting approval, %d failed", costs.queued,
                 costs.approval, costs.failed);
    snprintf(msg, sizeof msg, "%d links checked (%d services read from the PSA): %d to post, %d awaiting approval,"
             " %d drift, %d failed, %d in step%s; %d charges created%s%s", n, read, tally.queued, tally.approval,
             tally.drift, tally.failed, tally.nothing, cost_msg, charged,
             charge_failed ? " (some charges failed; retried next sync)" : "",
             tally.unreadable ? " (the PSA could not be read for some; retried next sync)" : "");
    sync_mark(env->db, t, 0, msg);
    new_subs_sync_done(env->db, t);
    log_info("sync tenant=%lld: %s", t, msg);
    if (tally.queued || costs.queued) {
        /* The scheduler's key: one post job per tenant, never two posting side by side. */
        char key[40];
        snprintf(key, sizeof key, "post:%lld", t);
        jobs_enqueue(env->db, t, "post", NULL, key, 0, NULL);
    }
    return 0;
}

/* Retrying cannot fix it: the PSA read the request and refused it (validation, a rule, a closed
 * period). Not a throttle, an outage or a write whose outcome is unknown. */
static int needs_person(const struct conn_error *ce)
{
    return !ce->retryable && !ce->maybe_committed && (ce->kind == CONN_REJECTED || ce->kind == CONN_NOT_FOUND);
}

/* Records a failed attempt: retried after back-off, or held for a person when retrying cannot help. */
static void post_failed(struct job_env *env, long long t, const struct adjustment *a, const char *lease,
                        const struct conn_error *ce, const char *summary, const char *msg)
{
    /* Autotask answers validation and server trouble alike with HTTP 500 and a message: such a
     * refusal is tried three times before it waits for a person; a 4xx refusal waits at once. */
    if (ce && needs_person(ce) && (ce->http_status < 500 || a->attempts >= 3))
        ledger_needs_person(env->db, t, a->id, lease, summary, msg);
    else
        ledger_failed(env->db, t, a->id, lease, sync_backoff_seconds(a->attempts), summary, msg);
}

static int listed(const long long *v, int n, long long id)
{
    for (int i = 0; i < n; i++)
        if (v[i] == id)
            return 1;
    return 0;
}

/* A PSA that does not answer (or throttles) fails every change the same way, each after the
 * HTTP client's retries: the rest of its changes wait for the next run, so one tenant's outage
 * does not hold a worker for minutes per change while other tenants wait. */
static void note_outage(const struct conn_error *ce, long long conn, long long *down, int *ndown)
{
    int outage = ce->kind == CONN_NETWORK || ce->kind == CONN_TLS || ce->kind == CONN_THROTTLED;
    if (outage && *ndown < PSA_POOL_MAX && !listed(down, *ndown, conn))
        down[(*ndown)++] = conn;
}

int job_post(struct job_env *env, struct job *job, char *err, size_t errlen)
{
    long long t = job->tenant_id;
    long long *ids = NULL;
    int n = 0;
    (void)err;
    (void)errlen;
    char zone[64];
    tenant_time_zone(env->db, t, zone, sizeof zone);
    cdate_t today = tz_date(zone, time(NULL));
    if (ledger_due(env->db, t, today, &ids, &n) < 0)
        return -1;
    if (job->payload && !strcmp(job->payload, "fresh"))
        psa_forget_cached();   /* a person pressed Retry after fixing something in the PSA */
    struct psa_pool pool = {0};
    int posted = 0, failed = 0, held = 0, ndown = 0;
    long long down[PSA_POOL_MAX];
    for (int i = 0; i < n; i++) {
        /* The lease fences this change: a second worker skips it while we hold it. */
        if (ledger_claim(env->db, t, ids[i], job->lease, env->lease_seconds) != 1)
            continue;
        struct adjustment a;
        if (ledger_get(env->db, t, ids[i], &a) != 1)
            continue;
        if (listed(down, ndown, a.psa_connection_id)) {
            ledger_release(env->db, t, a.id, job->lease); /* its PSA is out: next run, untried */
            continue;
        }
        const struct conn *c;
        const char *why;
        const struct psa_connector *p = psa_pool_get(&pool, env, t, a.psa_connection_id, &c, &why);
        cdate_t eff = date_or_zero(a.effective);
        char summary[300], dq[32], msg[1000];
        qty_format(a.desired, dq, sizeof dq);
        if (!p) {
            snprintf(msg, sizeof msg, "%s", why);
            ledger_failed(env->db, t, a.id, job->lease, sync_backoff_seconds(a.attempts), "", msg);
            failed++;
            continue;
        }
        if (a.is_cost) {
            struct conn_error ce;
            switch (cost_post(env, t, &a, p, c, job->lease, &ce, summary, sizeof summary, msg, sizeof msg)) {
            case COST_POSTED:
                posted++;
                break;
            case COST_HELD:
                held = 1;
                ledger_release(env->db, t, a.id, job->lease);
                break;
            case COST_FAILED:
                if (needs_person(&ce) && (ce.http_status < 500 || a.attempts >= 3))
                    snprintf(msg + strlen(msg), sizeof msg - strlen(msg), "%s",
                             " (not retried: fix it in the PSA or the mapping, then press Retry)");
                post_failed(env, t, &a, job->lease, &ce, summary, msg);
                failed++;
                note_outage(&ce, a.psa_connection_id, down, &ndown);
                break;
            }
            if (held)
                break;
            jobs_heartbeat(env->db, job, env->lease_seconds);
            continue;
        }
        /* Target state. The read the change was planned from, when it is minutes old and for
         * this day, on a first attempt (attempts counts this claim); otherwise, a retry or a
         * change that waited, read what the PSA has now: a lost answer may have landed. */
        struct psa_units_seen seen = a.seen;
        struct conn_error ce;
        memset(&ce, 0, sizeof ce);
        if (!(a.attempts == 1 && a.read_fresh) &&
            p->read_units(c, a.psa_contract_id, a.psa_service_id, eff, &seen, &ce) < 0) {
            if (ce.held_back) {
                held = 1;
                ledger_release(env->db, t, a.id, job->lease);
                break;
            }
            snprintf(summary, sizeof summary, "read units of service %s on contract %s on %s", a.psa_service_id,
                     a.psa_contract_id, a.effective);
            snprintf(msg, sizeof msg, "%s%s%s", ce.message, ce.hint[0] ? " — " : "", ce.hint);
            post_failed(env, t, &a, job->lease, &ce, summary, msg);
            failed++;
            note_outage(&ce, a.psa_connection_id, down, &ndown);
            continue;
        }
        qty_t current = seen.units;
        int read_today = cdate_cmp(eff, today) == 0;
        if (current == a.desired) {
            if (read_today)
                psa_cache_units(env->db, t, a.psa_connection_id, a.psa_contract_id, a.psa_service_id, current);
            char cq[32];
            qty_format(current, cq, sizeof cq);
            snprintf(summary, sizeof summary, "read units on %s", a.effective);
            snprintf(msg, sizeof msg, "the PSA already has %s units", cq);
            ledger_verified(env->db, t, a.id, job->lease, NULL, "nothing_to_do", summary, msg);
            continue;
        }
        /* No price travels with a unit change: the MSP's sell price in the PSA stands (the ledger's
         * price is the PSA's own, read earlier, for the estimate only). */
        char itext[INVOICE_TEXT_BYTES], dqty[32];
        qty_format(a.desired, dqty, sizeof dqty);
        struct invoice_line il = {p->system, a.psa_connection_id, a.psa_contract_id, a.psa_service_id, NULL, NULL,
                                  a.effective, dqty, INVOICE_DEFAULT_SEATS};
        itext[0] = '\0';                        /* Autotask's adjustments have no text */
        if (strcmp(p->system, "autotask"))
            invoice_text_for(env->db, t, &il, itext, sizeof itext);  /* doc/invoice-text.md */
        struct psa_unit_change u = {a.psa_contract_id, a.psa_service_id, "", a.desired - current, eff, 0, 0,
                                    itext, &seen, a.terms_known ? &a.terms : NULL, a.line_price, a.line_cost};
        char ref[PSA_ID] = "", dc[32];
        qty_format(u.delta, dc, sizeof dc);
        snprintf(summary, sizeof summary, "%s%s units of service %s on contract %s from %s (to %s)",
                 u.delta > 0 ? "+" : "", dc, a.psa_service_id, a.psa_contract_id, a.effective, dq);
        if (p->post_unit_change(c, &u, ref, &ce) == 0) {
            ledger_verified(env->db, t, a.id, job->lease, ref, "verified", summary, "posted and read back");
            if (read_today)
                psa_cache_units(env->db, t, a.psa_connection_id, a.psa_contract_id, a.psa_service_id, a.desired);
            posted++;
        } else if (ce.held_back) {
            held = 1;
            ledger_release(env->db, t, a.id, job->lease);
            break;
        } else {
            snprintf(msg, sizeof msg, "%s%s%s%s", ce.message, ce.hint[0] ? " — " : "", ce.hint,
                     ce.maybe_committed ? " (the PSA may have taken it; the next try reads it back first)"
                     : needs_person(&ce) && (ce.http_status < 500 || a.attempts >= 3)
                         ? " (not retried: fix it in the PSA or the mapping, then press Retry)" : "");
            post_failed(env, t, &a, job->lease, &ce, summary, msg);
            failed++;
            note_outage(&ce, a.psa_connection_id, down, &ndown);
        }
        jobs_heartbeat(env->db, job, env->lease_seconds);
    }
    psa_pool_close(&pool);
    free(ids);
    if (posted || failed)
        log_info("post tenant=%lld: %d posted, %d failed (retried later)", t, posted, failed);
    /* The PSA's budget is used: the rest waits, untried and queued, for the scheduler's next look
     * (a refused call costs the PSA nothing). */
    if (held)
        log_info("post tenant=%lld: billsync's share of the PSA's hourly limit is used; posting resumes later", t);
    return 0;
}
