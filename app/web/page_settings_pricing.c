/* page_settings_pricing.c: /settings/pricing (admin): price policies (doc/ledger.md "Cost and
 * price"): the tenant's, and overrides per PSA account and per PSA service. keep (billsync
 * never changes a sell price), cost + markup %, or the distributor's suggested retail price;
 * "maintain" makes the price follow cost changes, each as a change a person approves. */
#include "web/pages.h"

#include "common/log.h"
#include "core/price_policy.h"
#include "db/cost_ledger.h"
#include "web/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TARGETS_MAX 2000

/* "12.5" -> 1250 basis points: 0 to 1000 %, at most two decimals. */
static int markup_parse(const char *s, int *bp)
{
    money_t v;
    if (!s || !*s || money_parse_strict(s, &v) < 0 || v < 0 || v > 1000 * MONEY_SCALE || v % 100)
        return -1;
    *bp = (int)(v / 100);
    return 0;
}

static void markup_text(int bp, char *buf, size_t n)
{
    if (bp % 100)
        snprintf(buf, n, "%d.%02d", bp / 100, bp % 100);
    else
        snprintf(buf, n, "%d", bp / 100);
}

/* The policy in the form; NULL and a message when it is not valid. */
static const char *read_policy(struct web *w, struct price_policy *p)
{
    memset(p, 0, sizeof *p);
    if (price_mode_parse(req_form(&w->req, "mode"), &p->mode) < 0)
        return "The price policy must be keep, markup or srp.";
    if (p->mode == PRICE_MARKUP && markup_parse(req_form(&w->req, "markup"), &p->markup_bp) < 0)
        return "The markup must be a percentage from 0 to 1000 with at most two decimals (e.g. 20 or 12.5).";
    const char *m = req_form(&w->req, "maintain");
    p->maintain = p->mode != PRICE_KEEP && m && !strcmp(m, "1");
    return NULL;
}

static void post(struct web *w)
{
    long long t = w->sess->tenant_id;
    const char *action = req_form(&w->req, "action");
    const char *scope = req_form(&w->req, "scope");
    char detail[200];
    if (action && !strcmp(action, "delete")) {
        int bad = 0;
        long long conn = req_int(&w->req, "conn", 1, 9223372036854775807LL, 0, &bad);
        const char *id = req_form(&w->req, "id");
        if (bad || !scope || (strcmp(scope, "company") && strcmp(scope, "product")) || !id || !*id) {
            web_error(w, 400, "That override is not one of yours. Nothing was changed.");
            return;
        }
        if (price_policy_delete(w->db, t, scope, conn, id) < 0) {
            web_error(w, 503, "The override could not be removed. Nothing was changed.");
            return;
        }
        snprintf(detail, sizeof detail, "%s %lld:%s removed", scope, conn, id);
        auth_audit(w, 0, 0, NULL, "tenant.price_policy", w->sess->tenant_name, detail);
        web_flash(w, "Override removed.");
        web_redirect(w, "/settings/pricing");
        return;
    }
    struct price_policy p;
    const char *why = read_policy(w, &p);
    long long conn = 0;
    char id[33] = "";
    if (!why && action && !strcmp(action, "tenant")) {
        scope = "tenant";
    } else if (!why && action && !strcmp(action, "add")) {
        /* target: "<connection id>:<PSA id>" */
        const char *target = req_form(&w->req, "target");
        char *end = NULL;
        conn = target ? strtoll(target, &end, 10) : 0;
        if (!scope || (strcmp(scope, "company") && strcmp(scope, "product")))
            why = "Choose whether the override is for a PSA account or a service.";
        else if (!end || *end != ':' || conn <= 0 || strlen(end + 1) == 0 || strlen(end + 1) >= sizeof id)
            why = "Choose the PSA account or service the override is for.";
        else
            snprintf(id, sizeof id, "%s", end + 1);
        if (!why && price_target_exists(w->db, t, scope, conn, id) != 1)
            why = "That PSA account or service is not in your PSA's data. Refresh the PSA and try again.";
    } else if (!why) {
        why = "Unknown action.";
    }
    if (why) {
        web_error(w, 400, why);
        return;
    }
    if (price_policy_save(w->db, t, scope, conn, id, &p, w->sess->user_id) < 0) {
        web_error(w, 503, "The price policy could not be saved. Nothing was changed.");
        return;
    }
    char mk[16];
    markup_text(p.markup_bp, mk, sizeof mk);
    snprintf(detail, sizeof detail, "%s %lld:%s mode=%s markup=%s maintain=%d", scope, conn, id,
             price_mode_name(p.mode), mk, p.maintain);
    auth_audit(w, 0, 0, NULL, "tenant.price_policy", w->sess->tenant_name, detail);
    web_flash(w, "Price policy saved.");
    web_redirect(w, "/settings/pricing");
}

static void set_policy(struct web *w, const char *prefix, const struct price_policy *p)
{
    char mk[16];
    markup_text(p->markup_bp, mk, sizeof mk);
    hsetf(w, price_mode_name(p->mode), "%s.mode", prefix);
    hsetf(w, mk, "%s.markup", prefix);
    hsetf(w, p->maintain ? "1" : "0", "%s.maintain", prefix);
}

static void list_targets(struct web *w, const char *scope, const char *prefix)
{
    struct price_target_list l;
    if (price_targets(w->db, w->sess->tenant_id, scope, TARGETS_MAX, &l) < 0)
        log_error("pricing: %s", db_error(w->db));
    for (int i = 0; i < l.n; i++) {
        char value[64];
        snprintf(value, sizeof value, "%lld:%s", l.v[i].psa_connection_id, l.v[i].id);
        hsetf(w, value, "%s.%d.value", prefix, i);
        hsetf(w, l.v[i].name, "%s.%d.name", prefix, i);
    }
    DB_LIST_FREE(&l);
}

void page_settings_pricing(struct web *w)
{
    if (req_is_post(&w->req)) {
        post(w);
        return;
    }
    struct price_policy_list l;
    if (price_policies_list(w->db, w->sess->tenant_id, &l) < 0) {
        web_error(w, 503, "The price policies could not be read. Try again in a minute.");
        return;
    }
    struct price_policy keep = {PRICE_KEEP, 0, 0};
    set_policy(w, "Tenant", &keep);
    int k = 0;
    for (int i = 0; i < l.n; i++) {
        if (!strcmp(l.v[i].scope, "tenant")) {
            set_policy(w, "Tenant", &l.v[i].p);
            continue;
        }
        char prefix[32];
        snprintf(prefix, sizeof prefix, "Overrides.%d", k++);
        set_policy(w, prefix, &l.v[i].p);
        hsetf(w, l.v[i].scope, "%s.scope", prefix);
        hsetf(w, l.v[i].scope_id, "%s.id", prefix);
        hsetf(w, l.v[i].name[0] ? l.v[i].name : l.v[i].scope_id, "%s.name", prefix);
        char conn[24];
        snprintf(conn, sizeof conn, "%lld", l.v[i].psa_connection_id);
        hsetf(w, conn, "%s.conn", prefix);
    }
    DB_LIST_FREE(&l);
    list_targets(w, "company", "Companies");
    list_targets(w, "product", "Services");
    hset(w, "Page.title", "Price policies");
    web_render(w, "settings_pricing.cs");
}
