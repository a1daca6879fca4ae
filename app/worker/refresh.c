/* refresh.c: the "refresh" job: reads one PSA or distributor connection completely into the
 * snapshot tables (upsert, then mark gone what the pull did not see) and records how it went
 * on the connection, for the mapping page. */
#include "worker/refresh.h"

#include "common/config.h"
#include "common/log.h"
#include "common/secret_key.h"
#include "connectors/psa.h"
#include "connectors/source.h"
#include "connectors/systems.h"
#include "db/connections.h"
#include "db/new_subs.h"
#include "db/snapshot.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int refresh_psa(const struct psa_connector *p, const struct conn *c, struct snap *s,
                       struct conn_error *ce, long counts[4])
{
    time_t now = time(NULL);
    cdate_t today;
    cdate_from_unix_utc((int64_t)now, 0, &today);
    long before = s->count;
    if (p->list_accounts(c, snap_psa_account, s, ce) < 0)
        return -1;
    counts[0] = s->count - before;
    before = s->count;
    if (p->list_contracts(c, snap_psa_contract, s, ce) < 0)
        return -1;
    counts[1] = s->count - before;
    before = s->count;
    if (p->list_services(c, snap_psa_service, s, ce) < 0)
        return -1;
    counts[2] = s->count - before;
    before = s->count;
    if (p->list_contract_services(c, "", today, snap_psa_contract_service, s, ce) < 0)
        return -1;
    counts[3] = s->count - before;
    return 0;
}

/* Subscriptions and resources of one pass, counted apart. */
struct pass {
    struct snap *s;
    long subscriptions, resources;
};

static int pass_subscription(void *ctx, const struct src_subscription *sub)
{
    struct pass *p = ctx;
    p->subscriptions++;
    return snap_src_subscription(p->s, sub);
}

static int pass_resource(void *ctx, const struct src_resource *r)
{
    struct pass *p = ctx;
    p->resources++;
    return snap_src_resource(p->s, r);
}

static int refresh_source(const struct source_connector *sc, const struct conn *c, struct snap *s,
                          struct conn_error *ce, long counts[4])
{
    long before = s->count;
    if (sc->list_companies(c, snap_src_company, s, ce) < 0)
        return -1;
    counts[0] = s->count - before;
    if (sc->list_subscriptions_and_resources) {
        struct pass p = {s, 0, 0};
        if (sc->list_subscriptions_and_resources(c, pass_subscription, pass_resource, &p, ce) < 0)
            return -1;
        counts[1] = p.subscriptions;
        counts[2] = p.resources;
        return 0;
    }
    before = s->count;
    if (sc->list_subscriptions(c, snap_src_subscription, s, ce) < 0)
        return -1;
    counts[1] = s->count - before;
    before = s->count;
    if (sc->list_resources(c, snap_src_resource, s, ce) < 0)
        return -1;
    counts[2] = s->count - before;
    return 0;
}

/* A pull that would take most of the connection's linked resources out of billing (more than
 * worker.loss_hold_percent of them, or every one of a company) is more likely an empty or
 * wrong answer than a customer base cancelling at once: the first such pull marks nothing
 * gone and says why (1); a second pull that agrees confirms it (0, with a note). -1: error. */
static int loss_guard(struct job_env *env, struct snap *s, const char *label, char *msg, size_t n,
                      char *note, size_t nn)
{
    struct snap_loss l;
    int held;
    note[0] = 0;
    if (snap_src_loss(s, &l) < 0 || snap_loss_held(s, &held) < 0)
        return -1;
    int big = l.missing > 0 &&
              ((long long)l.missing * 100 > (long long)l.linked * env->cfg->loss_hold_percent ||
               l.companies_emptied > 0);
    char seats[32];
    qty_format(l.seats_missing, seats, sizeof seats);
    if (!big || held) {
        if (held && snap_set_loss_held(s, 0) < 0)
            return -1;
        if (big)
            snprintf(note, nn, "; a second pull confirmed that %ld of %ld linked resources (%s seats) are gone",
                     l.missing, l.linked, seats);
        return 0;
    }
    if (snap_set_loss_held(s, 1) < 0)
        return -1;
    if (l.companies_emptied > 0)
        snprintf(msg, n, "held: %s returned no subscriptions for %ld compan%s that had %s seats (%ld of %ld "
                 "linked resources). Nothing was changed and nothing is posted; the next pull that agrees "
                 "confirms it.", label, l.companies_emptied, l.companies_emptied == 1 ? "y" : "ies", seats,
                 l.missing, l.linked);
    else
        snprintf(msg, n, "held: %s no longer lists %ld of %ld linked resources (%s seats). Nothing was "
                 "changed and nothing is posted; the next pull that agrees confirms it.", label, l.missing,
                 l.linked, seats);
    return 1;
}

int refresh_one(struct job_env *env, long long tenant_id, long long id, char *err, size_t errlen)
{
    struct conn c;
    char system[32] = "?", msg[900];
    int found = connection_open(env->db, secret_key(env->cfg), tenant_id, id, env->cfg->slot_dir,
                                &c, system, err, errlen);
    if (found == 0)
        return 0;                 /* deleted meanwhile: nothing to do */
    if (found < 0) {
        refresh_set_status(env->db, tenant_id, id, "failed", err);
        return -1;
    }
    refresh_set_status(env->db, tenant_id, id, "running", "reading");
    const struct psa_connector *pc = psa_connector_for(system);
    const struct source_connector *sc = source_connector_for(system);
    struct snap s;
    struct conn_error ce;
    memset(&ce, 0, sizeof ce);
    long counts[4] = {0, 0, 0, 0};
    int rc = -1, guard = 0, db_error_seen = 0;
    char note[300] = "";
    const struct system_info *si = system_find(system);
    if (snap_begin(&s, env->db, tenant_id, id) < 0) {
        snprintf(msg, sizeof msg, "database error: %s", db_error(env->db));
        db_error_seen = 1;
    } else if (!pc && !sc) {
        snprintf(msg, sizeof msg, "this version of billsync has no connector for %s", system);
    } else if ((pc ? refresh_psa(pc, &c, &s, &ce, counts) : refresh_source(sc, &c, &s, &ce, counts)) < 0 ||
               s.db_failed) {
        /* A row the database did not take stopped the listing (connectors report that as
         * success): what was read is partial, so nothing is marked gone; try again. */
        db_error_seen = s.db_failed;
        if (s.db_failed)
            snprintf(msg, sizeof msg, "database error while storing what was read: %s", db_error(env->db));
        else
            snprintf(msg, sizeof msg, "%s%s%s", ce.message, ce.hint[0] ? " — " : "", ce.hint);
    } else if (!pc && (guard = loss_guard(env, &s, si ? si->label : system, msg, sizeof msg, note,
                                          sizeof note)) != 0) {
        if (guard < 0) {
            snprintf(msg, sizeof msg, "database error: %s", db_error(env->db));
            db_error_seen = 1;
        }
        rc = guard < 0 ? -1 : 0;
    } else if ((pc ? snap_finish_psa(&s) : snap_finish_src(&s)) < 0) {
        snprintf(msg, sizeof msg, "database error: %s", db_error(env->db));
        db_error_seen = 1;
    } else {
        if (pc)
            snprintf(msg, sizeof msg, "%ld accounts, %ld contracts, %ld services, %ld contract services",
                     counts[0], counts[1], counts[2], counts[3]);
        else
            snprintf(msg, sizeof msg, "%ld companies, %ld subscriptions, %ld resources%s", counts[0],
                     counts[1], counts[2], note);
        /* a complete pull: what it saw first is new, once (the first one is the baseline) */
        if (!pc && new_subs_record(env->db, tenant_id, id) < 0)
            log_warn("refresh connection=%lld: new subscriptions not recorded: %s", id, db_error(env->db));
        rc = 0;
    }
    connection_close(&c);
    refresh_set_status(env->db, tenant_id, id, guard == 1 ? "held" : rc == 0 ? "ok" : "failed", msg);
    log_info("refresh connection=%lld system=%s: %s", id, system, msg);
    if (rc < 0)
        snprintf(err, errlen, "%s", msg);
    return rc < 0 && db_error_seen ? REFRESH_DB_ERROR : rc;
}

int job_refresh(struct job_env *env, struct job *job, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *p = job->payload ? json_loads(job->payload, 0, &jerr) : NULL;
    long long id = p ? json_integer_value(json_object_get(p, "connection_id")) : 0;
    json_decref(p);
    if (id <= 0 || job->tenant_id <= 0) {
        snprintf(err, errlen, "refresh job without a connection");
        job->attempts = job->max_attempts;
        return -1;
    }
    return refresh_one(env, job->tenant_id, id, err, errlen);
}

int refresh_charges(struct job_env *env, long long tenant_id, long long id, cdate_t month, char *msg, size_t n)
{
    struct conn c;
    char system[32] = "?";
    int found = connection_open(env->db, secret_key(env->cfg), tenant_id, id, env->cfg->slot_dir, &c, system, msg, n);
    if (found <= 0)
        return found == 0 ? 0 : -1;
    const struct source_connector *sc = source_connector_for(system);
    int rc = 0;
    if (sc) {
        struct snap s;
        struct conn_error ce;
        memset(&ce, 0, sizeof ce);
        if (snap_begin(&s, env->db, tenant_id, id) < 0 || sc->list_charges(&c, month, snap_src_charge, &s, &ce) < 0 ||
            s.db_failed) {
            if (s.db_failed)
                snprintf(msg, n, "database error while storing billing lines: %s", db_error(env->db));
            else
                snprintf(msg, n, "%s%s%s", ce.message[0] ? ce.message : db_error(env->db),
                         ce.hint[0] ? " — " : "", ce.hint);
            rc = -1;
        } else {
            snprintf(msg, n, "%ld billing lines", s.count);
        }
    } else {
        snprintf(msg, n, "billing lines of %s connections are uploaded, not read", system);
    }
    connection_close(&c);
    return rc;
}
