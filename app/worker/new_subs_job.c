/* new_subs_job.c: the "unlinked_alert" job (see new_subs_job.h). The mail lists each new
 * unlinked subscription with its monthly value at cost and a link to its company on the
 * Billing page; the subscriptions are claimed in the transaction that queues the mails
 * (db/new_subs.h new_subs_claim_and_mail), so none is mailed twice, whatever the workers. */
#include "worker/new_subs_job.h"

#include "common/config.h"
#include "common/log.h"
#include "common/secret_key.h"
#include "common/tzdate.h"
#include "core/new_subs.h"
#include "core/strbuf.h"
#include "db/accounts.h"
#include "db/new_subs.h"
#include "db/outbox.h"
#include "net/urlenc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The mail lists this many subscriptions at most; the rest are counted and on the report. */
#define MAIL_MAX_LISTED 200

static void utc_text(time_t t, char out[20])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

struct mail_ctx {
    const struct config *cfg;
    long long tenant_id;
    int daily;
    struct strbuf items, body;
    int listed, total, failed;
};

static int add_line(void *vctx, const struct new_sub *s)
{
    struct mail_ctx *m = vctx;
    m->total++;
    if (m->listed >= MAIL_MAX_LISTED)
        return 0;
    m->listed++;
    char value[MONEY_FMT_MAX + 40];
    if (!s->currency[0])
        snprintf(value, sizeof value, "no resources yet");
    else if (!s->ok || money_format(s->value, value, MONEY_FMT_MAX, 2) < 0)
        snprintf(value, sizeof value, "value not computed (several currencies)");
    else
        snprintf(value + strlen(value), sizeof value - strlen(value), " %s a month at cost", s->currency);
    const struct new_sub_row *r = s->row;
    struct strbuf link;
    strbuf_init(&link);
    int bad = strbuf_appendf(&link, "%s/mapping?q=", m->cfg->base_url) < 0 || url_escape(&link, r->company) < 0 ||
              strbuf_appendf(&link, "&mapped=1#company-%lld", r->company_id) < 0;
    if (bad || strbuf_appendf(&m->items, "- %s / %s (%s, found %s): %s\n  Map it: %s\n", r->company ? r->company : "",
                              r->subscription ? r->subscription : "", r->source ? r->source : "",
                              r->found ? r->found : "", value, link.p) < 0)
        m->failed = 1;
    strbuf_free(&link);
    return 0;
}

/* Inside the claim's transaction: one mail per admin (db/outbox.h). */
static int queue_mails(void *vctx, db_t *db, const struct new_sub_list *subs, const struct email_list *admins)
{
    struct mail_ctx *m = vctx;
    /* (run again whole when the transaction is) */
    strbuf_reset(&m->body);
    strbuf_reset(&m->items);
    m->listed = m->total = m->failed = 0;
    new_subs_each(subs, add_line, m);
    if (m->failed || !m->items.p)
        return -1;
    if (strbuf_appendf(&m->body,
                       "billsync found %d new subscription%s at your distributors that %s not linked to your PSA.\n"
                       "Until %s linked, what %s cost%s you is not billed to your customer%s.\n\n%s",
                       m->total, m->total == 1 ? "" : "s", m->total == 1 ? "is" : "are",
                       m->total == 1 ? "it is" : "each is", m->total == 1 ? "it" : "they", m->total == 1 ? "s" : "",
                       m->total == 1 ? "" : "s", m->items.p) < 0 ||
        (m->total > m->listed &&
         strbuf_appendf(&m->body, "- and %d more (see the report below)\n", m->total - m->listed) < 0) ||
        strbuf_appendf(&m->body,
                       "\nUnlinked subscriptions: %s/reports/unlinked?status=active\n"
                       "Map them on the Billing page: %s/mapping\n\n"
                       "Each new subscription is mailed once. %s\nChange this in the billing settings: %s/settings/billing\n",
                       m->cfg->base_url, m->cfg->base_url,
                       m->daily ? "This digest comes once a day at 07:00 your time when there is something new."
                                : "You get this mail after each distributor pull that finds one.",
                       m->cfg->base_url) < 0)
        return -1;
    char subject[120];
    snprintf(subject, sizeof subject, "billsync: %d new unlinked subscription%s", m->total, m->total == 1 ? "" : "s");
    for (int i = 0; i < admins->n; i++)
        if (outbox_enqueue(db, secret_key(m->cfg), m->tenant_id, admins->v[i].email, subject, m->body.p) < 0)
            return -1;
    return 0;
}

int job_unlinked_alert(struct job_env *env, struct job *job, char *err, size_t errlen)
{
    long long t = job->tenant_id;
    char mode[16], zone[64], last[11], today_s[11], at[20];
    time_t now = time(NULL);
    if (new_subs_mode(env->db, t, mode) < 0 || new_subs_last_digest(env->db, t, last) < 0) {
        snprintf(err, errlen, "unlinked_alert: %s", db_error(env->db));
        return -1;
    }
    long next_in = 3600;
    int mailed = 0;
    struct mail_ctx m = {.cfg = env->cfg, .tenant_id = t};
    strbuf_init(&m.items);
    strbuf_init(&m.body);
    if (!strcmp(mode, "at_once")) {
        mailed = new_subs_claim_and_mail(env->db, t, job->lease, NULL, queue_mails, &m);
    } else if (!strcmp(mode, "daily")) {
        tenant_time_zone(env->db, t, zone, sizeof zone);
        int sec = 0;
        cdate_t today = tz_date_time(zone, now, &sec), last_day = {0, 0, 0};
        if (last[0])
            cdate_parse(last, &last_day);
        long since = 0;
        if (digest_due(today, sec, last_day, NEW_SUBS_DIGEST_HOUR, &since, &next_in)) {
            /* today's digest takes what was found before today's hour (later finds wait for
             * tomorrow's), and lists every one not yet mailed */
            long long before = 0;
            utc_text(now - since, at);
            cdate_format(today, today_s, sizeof today_s);
            m.daily = 1;
            if (new_subs_pending_before(env->db, t, at, &before) < 0)
                mailed = -1;
            else if (before > 0)
                mailed = new_subs_claim_and_mail(env->db, t, job->lease, today_s, queue_mails, &m);
        }
    } else {
        next_in = 86400;
    }
    strbuf_free(&m.items);
    strbuf_free(&m.body);
    if (mailed < 0) {
        snprintf(err, errlen, "unlinked_alert: %s", db_error(env->db));
        return -1;
    }
    utc_text(now + next_in, at);
    if (new_subs_next_check(env->db, t, at) < 0) {
        snprintf(err, errlen, "unlinked_alert: %s", db_error(env->db));
        return -1;
    }
    if (mailed > 0)
        log_info("unlinked_alert tenant=%lld: %d new unlinked subscriptions mailed (%s)", t, mailed, mode);
    return 0;
}

int unlinked_alert_enqueue_due(db_t *db)
{
    char now[20];
    utc_text(time(NULL), now);
    return new_subs_enqueue_due(db, now);
}
