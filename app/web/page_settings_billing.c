/* page_settings_billing.c: /settings/billing (admin): the tenant's billing policy: approval
 * before posting, decrease dating, PSA drift handling, usage billing mode, failure alerts, the
 * sync interval, the time zone whose "today" dates every change, the new-unlinked alert (off, a
 * daily digest at 07:00 tenant time, or at once after a pull; db/new_subs.h), and the margin
 * threshold under which the margin report flags a row (doc/margin.md); and, in a form of its own,
 * the text the customer's invoice shows for billsync's lines (doc/invoice-text.md). */
#include "web/pages.h"

#include "common/tzdate.h"
#include "core/margin.h"
#include "db/accounts.h"
#include "db/invoice_text.h"
#include "db/ledger.h"
#include "db/margin.h"
#include "db/new_subs.h"
#include "web/auth.h"

#include <stdio.h>
#include <string.h>

static const char *one_of(const char *v, const char *const *allowed)
{
    for (int i = 0; v && allowed[i]; i++)
        if (!strcmp(v, allowed[i]))
            return allowed[i];
    return NULL;
}

struct saving {
    long long tenant_id;
    const struct tenant_policy *policy;
    const char *zone;
    const char *unlinked_alert;   /* new-unlinked alert: off | daily | at_once */
    int margin_threshold;         /* tenths of a percent */
};

/* The policy and the time zone together, run again whole on a deadlock or a cluster's
 * certification failure (db_txn). */
static int save_policy(db_t *db, void *ctx)
{
    const struct saving *sv = ctx;
    return policy_set(db, sv->tenant_id, sv->policy) < 0 ||
                   tenant_set_time_zone(db, sv->tenant_id, sv->zone) < 0 ||
                   new_subs_set_mode(db, sv->tenant_id, sv->unlinked_alert) < 0 ||
                   margin_threshold_set(db, sv->tenant_id, sv->margin_threshold) < 0 ? -1 : 0;
}

/* The invoice text form: 0 saved (redirected), -1 refused (the page is drawn again with the
 * reason and what was typed; nothing stored). */
static int save_invoice_text(struct web *w, struct invoice_policy *ip)
{
    const char *mode = req_form(&w->req, "invoice_text_mode");
    const char *tpl = req_form(&w->req, "invoice_text_template");
    char why[400] = "";
    tpl = tpl ? tpl : "";
    if (!mode || (strcmp(mode, "product") && strcmp(mode, "template"))) {
        snprintf(why, sizeof why, "Choose where the invoice text comes from.");
    } else if (strlen(tpl) >= sizeof ip->tpl) {
        snprintf(why, sizeof why, "The invoice text template has more than %d characters; ConnectWise takes at most %d.",
                 INVOICE_TEXT_MAX, INVOICE_TEXT_MAX);
    } else if ((*tpl || !strcmp(mode, "template")) && invoice_template_check(tpl, INVOICE_TEXT_MAX, why, sizeof why) == 0 &&
               invoice_has_system(w->db, w->sess->tenant_id, "autotask") == 1 &&
               invoice_utf8_chars(tpl) > INVOICE_TEXT_AUTOTASK_MAX) {
        snprintf(why, sizeof why, "The invoice text template has %zu characters; an Autotask contract charge's name "
                 "takes at most %d. Shorten it (each placeholder counts as its name's length on the invoice).",
                 invoice_utf8_chars(tpl), INVOICE_TEXT_AUTOTASK_MAX);
    }
    if (why[0]) {
        w->resp.status = 400;
        hset(w, "Invoice.error", why);
        hset(w, "Invoice.mode", mode && !strcmp(mode, "template") ? "template" : "product");
        hset(w, "Invoice.template", strlen(tpl) < sizeof ip->tpl ? tpl : "");
        return -1;
    }
    snprintf(ip->mode, sizeof ip->mode, "%s", mode);
    snprintf(ip->tpl, sizeof ip->tpl, "%s", tpl);
    if (invoice_policy_set(w->db, w->sess->tenant_id, ip) < 0) {
        web_error(w, 503, "The invoice text could not be saved. Nothing was changed.");
        return 0;
    }
    char detail[200];
    snprintf(detail, sizeof detail, "invoice_text=%s template=%.120s", ip->mode, ip->tpl);
    auth_audit(w, 0, 0, NULL, "tenant.invoice_text", w->sess->tenant_name, detail);
    web_flash(w, "Invoice text saved.");
    web_redirect(w, "/settings/billing");
    return 0;
}

void page_settings_billing(struct web *w)
{
    struct tenant_policy p;
    static struct invoice_policy ip;      /* 24 KB: not on the stack */
    if (invoice_policy_get(w->db, w->sess->tenant_id, &ip) < 0) {
        web_error(w, 503, "The billing settings could not be read.");
        return;
    }
    const char *action = req_is_post(&w->req) ? req_form(&w->req, "action") : NULL;
    if (action && !strcmp(action, "invoice_text") && save_invoice_text(w, &ip) == 0)
        return;
    char unlinked[16];
    int threshold;
    if (policy_get(w->db, w->sess->tenant_id, &p) < 0 || new_subs_mode(w->db, w->sess->tenant_id, unlinked) < 0 ||
        margin_threshold_get(w->db, w->sess->tenant_id, &threshold) < 0) {
        web_error(w, 503, "The billing settings could not be read.");
        return;
    }
    if (req_is_post(&w->req) && !(action && !strcmp(action, "invoice_text"))) {
        static const char *const approvals[] = {"auto", "require", NULL};
        static const char *const decreases[] = {"next_period", "immediate", NULL};
        static const char *const drifts[] = {"flag", "overwrite", NULL};
        static const char *const usages[] = {"average_cost", "total_cost", "quantity_only", NULL};
        const char *a = one_of(req_form(&w->req, "approval"), approvals);
        const char *d = one_of(req_form(&w->req, "decrease_mode"), decreases);
        const char *dr = one_of(req_form(&w->req, "drift_mode"), drifts);
        const char *u = one_of(req_form(&w->req, "usage_mode"), usages);
        int bad = 0;
        long long alert = req_int(&w->req, "alert_after_minutes", 15, 10080, p.alert_after_minutes, &bad);
        long long interval = req_int(&w->req, "sync_interval_minutes", 5, 1440, p.sync_interval_minutes, &bad);
        /* the new-unlinked alert: unchanged when the form leaves it out */
        const char *ua = req_form(&w->req, "unlinked_alert");
        if (ua && !new_subs_mode_valid(ua))
            bad = 1;
        else if (ua)
            snprintf(unlinked, sizeof unlinked, "%s", ua);
        if (!a || !d || !dr || !u || bad) {
            web_error(w, 400, "A setting is not one of the allowed values. Nothing was changed.");
            return;
        }
        /* the time zone: unchanged when the form leaves it out */
        char zone[64];
        const char *tz = req_form(&w->req, "time_zone");
        if (tz && !tz_valid(tz)) {
            web_error(w, 400, "The time zone must be a name such as Europe/London or America/New_York. "
                              "Nothing was changed.");
            return;
        }
        /* the margin threshold: a percent, one decimal at most; unchanged when left out */
        const char *mt = req_form(&w->req, "margin_threshold");
        if (mt && margin_threshold_parse(mt, &threshold) < 0) {
            web_error(w, 400, "The margin threshold must be a percent from 0 to 100 with at most one decimal, "
                              "such as 10 or 12.5. Nothing was changed.");
            return;
        }
        if (tz)
            snprintf(zone, sizeof zone, "%s", tz);
        else
            tenant_time_zone(w->db, w->sess->tenant_id, zone, sizeof zone);
        snprintf(p.approval, sizeof p.approval, "%s", a);
        snprintf(p.decrease_mode, sizeof p.decrease_mode, "%s", d);
        snprintf(p.drift_mode, sizeof p.drift_mode, "%s", dr);
        snprintf(p.usage_mode, sizeof p.usage_mode, "%s", u);
        p.alert_after_minutes = (int)alert;
        p.sync_interval_minutes = (int)interval;
        struct saving sv = {w->sess->tenant_id, &p, zone, unlinked, threshold};
        if (db_txn(w->db, save_policy, &sv) != 0) {
            web_error(w, 503, "The billing settings could not be saved. Nothing was changed.");
            return;
        }
        char detail[380], mts[16];
        margin_pct_format(threshold, mts, sizeof mts);
        snprintf(detail, sizeof detail,
                 "approval=%s decrease=%s drift=%s usage=%s alert=%d interval=%d tz=%s unlinked_alert=%s"
                 " margin_threshold=%s%%",
                 p.approval, p.decrease_mode, p.drift_mode, p.usage_mode, p.alert_after_minutes,
                 p.sync_interval_minutes, zone, unlinked, mts);
        auth_audit(w, 0, 0, NULL, "tenant.billing_policy", w->sess->tenant_name, detail);
        web_flash(w, "Billing settings saved.");
        web_redirect(w, "/settings/billing");
        return;
    }
    hset(w, "P.approval", p.approval);
    hset(w, "P.decrease_mode", p.decrease_mode);
    hset(w, "P.drift_mode", p.drift_mode);
    hset(w, "P.usage_mode", p.usage_mode);
    hset_int(w, "P.alert_after_minutes", p.alert_after_minutes);
    hset_int(w, "P.sync_interval_minutes", p.sync_interval_minutes);
    hset(w, "P.unlinked_alert", unlinked);
    char zone[64];
    tenant_time_zone(w->db, w->sess->tenant_id, zone, sizeof zone);
    hset(w, "P.time_zone", zone);
    char mts[16];
    margin_pct_format(threshold, mts, sizeof mts);
    hset(w, "P.margin_threshold", mts);
    if (!hdf_get_value(w->hdf, "Invoice.mode", NULL)) {
        hset(w, "Invoice.mode", ip.mode);
        hset(w, "Invoice.template", ip.tpl);
    }
    hset_int(w, "Invoice.max", INVOICE_TEXT_MAX);
    hset(w, "Page.title", "Billing settings");
    web_render(w, "settings_billing.cs");
}
