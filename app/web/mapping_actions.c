/* mapping_actions.c: what the Billing page's buttons do: Set and Unset Relation at each level
 * (with a confirmation step), accept suggestions above a threshold, refresh from sources.
 * One link or unlink, and the reconciliation a resource's link runs, is mapping_link.c. */
#include "web/mapping.h"
#include "web/mapping_link.h"

#include "common/config.h"
#include "common/secret_key.h"
#include "connectors/psa.h"
#include "core/service_plan.h"
#include "core/price_policy.h"
#include "core/prorate.h"
#include "db/accounts.h"
#include "db/connections.h"
#include "db/jobs.h"
#include "db/ledger.h"
#include "db/links.h"
#include "db/mapping_view.h"
#include "db/snapshot.h"
#include "web/auth.h"
#include "web/mapping_suggest.h"
#include "web/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_level(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (s && !strcmp(s, mapping_level_names[i]))
            return i;
    return -1;
}


/* The confirmation step: the same form again, described, with confirm=1. */
static void confirm_page(struct web *w, long long psa_conn, const char *action, int level, long long row,
                         const char *target)
{
    struct src_object_list o;
    if (mv_src_object(w->db, w->sess->tenant_id, level, row, &o) == 1)
        hset(w, "Confirm.name", o.v[0].name);
    DB_LIST_FREE(&o);
    hset(w, "Confirm.action", action);
    hset(w, "Confirm.level", mapping_level_names[level]);
    hset_int(w, "Confirm.row", row);
    hset(w, "Confirm.target", target);
    char label[256];
    mv_target_label(w->db, w->sess->tenant_id, psa_conn, level, target, label, sizeof label);
    hset(w, "Confirm.target_label", label);
    hset(w, "Confirm.back", req_form(&w->req, "back"));
    if (!strcmp(action, "create") && level == LINK_RESOURCE) {
        /* the price the new service gets, by the price policy, and its margin */
        money_t price, cost;
        char why[400], m[MONEY_FMT_MAX], c[MONEY_FMT_MAX], mt[24];
        if (mapping_new_service_price(w, psa_conn, row, &price, &cost, why, sizeof why) < 0) {
            hset(w, "Confirm.refused", why);
        } else {
            money_format(price, m, sizeof m, 2);
            money_format(cost, c, sizeof c, cost % 100 ? 4 : 2);
            margin_text(price, cost, mt, sizeof mt);
            hset(w, "Confirm.price", m);
            hset(w, "Confirm.cost", c);
            hset(w, "Confirm.margin", mt);
        }
    }
    hset(w, "Page.title", "Confirm");
    web_render(w, "mapping_confirm.cs");
}

static void back(struct web *w, const char *msg)
{
    web_flash(w, msg);
    const char *b = req_form(&w->req, "back");
    char loc[900];
    snprintf(loc, sizeof loc, "/mapping%s%s", b && *b && !strpbrk(b, "\r\n/") ? "?" : "",
             b && *b && !strpbrk(b, "\r\n/") ? b : "");
    web_redirect(w, loc);
}

int mapping_action(struct web *w, long long psa_conn, const char *psa_system)
{
    (void)psa_system;
    const char *action = req_form(&w->req, "action");
    action = action ? action : "";
    char msg[900];
    if (!strcmp(action, "sync")) {
        if (sync_enqueue(w->db, w->sess->tenant_id) < 0)
            back(w, "The sync could not be started. Try again.");
        else
            back(w, "Sync started: billsync reads the distributors, compares with the PSA and posts the differences.");
        return 1;
    }
    if (!strcmp(action, "refresh")) {
        if (refresh_enqueue_tenant(w->db, w->sess->tenant_id) < 0)
            back(w, "The refresh could not be started. Try again.");
        else
            back(w, "Refreshing from every connection. This page shows each one's progress.");
        return 1;
    }
    if (!strcmp(action, "set") || !strcmp(action, "unset") || !strcmp(action, "create")) {
        int level = parse_level(req_form(&w->req, "level"));
        int bad = 0;
        long long row = req_int(&w->req, "row", 1, 1LL << 62, 0, &bad);
        const char *target = req_form(&w->req, "target");
        if (level < 0 || bad || !row) {
            web_error(w, 400, "The relation to change is not valid.");
            return 1;
        }
        if (!psa_conn) {
            back(w, "Connect your PSA first (Configuration).");
            return 1;
        }
        if (!strcmp(action, "set") && (!target || !*target)) {
            back(w, "Choose what to link it to first.");
            return 1;
        }
        const char *confirm = req_form(&w->req, "confirm");
        if (!confirm || strcmp(confirm, "1")) {
            confirm_page(w, psa_conn, action, level, row, target ? target : "");
            return 1;
        }
        if (!strcmp(action, "create"))
            mapping_create(w, psa_conn, level, row, msg, sizeof msg);
        else if (!strcmp(action, "set"))
            mapping_set_one(w, psa_conn, level, row, target, msg, sizeof msg);
        else
            mapping_unset_one(w, level, row, msg, sizeof msg);
        back(w, msg);
        return 1;
    }
    if (!strcmp(action, "approval")) {
        int bad = 0;
        long long row = req_int(&w->req, "row", 1, 1LL << 62, 0, &bad);
        const char *mode = req_form(&w->req, "approval");
        struct src_object_list o;
        if (bad || !mode || (strcmp(mode, "inherit") && strcmp(mode, "auto") && strcmp(mode, "require"))) {
            web_error(w, 400, "Choose inherit, auto or require.");
            return 1;
        }
        if (mv_src_object(w->db, w->sess->tenant_id, LINK_RESOURCE, row, &o) != 1) {
            DB_LIST_FREE(&o);
            web_error(w, 404, "That resource is not in your company's data.");
            return 1;
        }
        const struct src_object *res = &o.v[0];
        int changed = link_set_approval(w->db, w->sess->tenant_id, res->conn, res->src_id, mode);
        if (changed == 1)
            auth_audit(w, 0, 0, NULL, "mapping.approval_override", res->name, mode);
        snprintf(msg, sizeof msg, changed == 1 ? "Approval for %s: %s." : "%s is not linked.", res->name, mode);
        DB_LIST_FREE(&o);
        back(w, msg);
        return 1;
    }
    if (!strcmp(action, "accept_all")) {
        int bad = 0;
        long long threshold = req_int(&w->req, "threshold", 50, 100, 90, &bad);
        if (bad) {
            web_error(w, 400, "The threshold must be a score from 50 to 100.");
            return 1;
        }
        if (!psa_conn) {
            back(w, "Connect your PSA first (Configuration).");
            return 1;
        }
        long long only_free = req_int(&w->req, "unlinked", 0, 1, 0, &bad);
        if (bad) {
            web_error(w, 400, "A filter of this page is not valid.");
            return 1;
        }
        mapping_accept_all(w, psa_conn, (int)threshold, (int)only_free, msg, sizeof msg);
        back(w, msg);
        return 1;
    }
    web_error(w, 400, "Unknown action.");
    return 1;
}
