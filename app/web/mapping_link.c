/* mapping_link.c: one Set or Unset Relation at a level (company, subscription, resource),
 * validated, with the one-time reconciliation when a resource is linked: the PSA's units are
 * read and the difference is planned in the adjustment ledger (doc/seeds.md 001: 8
 * bought, 1 billed: +7). Below the Billing page's actions, bulk accept and create, which all
 * link through it. */
#include "web/mapping_link.h"

#include "common/config.h"
#include "common/secret_key.h"
#include "connectors/psa.h"
#include "core/service_plan.h"
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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const mapping_level_names[3] = {"company", "subscription", "resource"};

qty_t mapping_psa_units(struct web *w, long long psa_conn, const char *contract, const char *service, cdate_t day,
                        int *live)
{
    struct conn c;
    char system[32], err[300];
    qty_t units = 0;
    *live = 0;
    if (connection_open(w->db, secret_key(w->cfg), w->sess->tenant_id, psa_conn, w->cfg->slot_dir, &c,
                        system, err, sizeof err) == 1) {
        const struct psa_connector *p = psa_connector_for(system);
        struct conn_error ce;
        struct psa_units_seen seen;
        if (p && p->read_units(&c, contract, service, day, &seen, &ce) == 0) {
            units = seen.units;
            *live = 1;
        }
        connection_close(&c);
    }
    if (!*live) {
        long long cached = 0, price = 0;
        mv_contract_service(w->db, w->sess->tenant_id, psa_conn, contract, service, &cached, &price);
        units = cached;
    }
    return units;
}

/* 1 when the PSA of connection psa_conn takes one unit change per service and day (Autotask). */
static int psa_one_change_per_day(struct web *w, long long psa_conn)
{
    struct connection_row cr;
    int one = 1; /* unknown: the stricter rule */
    if (connection_get(w->db, w->sess->tenant_id, psa_conn, &cr) == 1) {
        const struct psa_connector *p = psa_connector_for(cr.system);
        if (p)
            one = p->one_change_per_day;
        connection_row_free(&cr);
    }
    return one;
}

/* One-time reconciliation after a resource is linked; writes what happened into msg. The
 * service's target is the sum of every link feeding it (this one included), so a second
 * subscription on a service adds its seats instead of replacing the first one's. Dated by the
 * planner as the worker dates it (calendar-month periods, the tenant's decrease policy, the next
 * free day when the service already holds billsync's change that day). */
static void reconcile(struct web *w, long long psa_conn, long long link_id, long long src_conn,
                      const char *src_id, qty_t own, const char *contract, const char *service, char *msg, size_t n)
{
    long long tenant = w->sess->tenant_id;
    cdate_t today = web_today(w);
    qty_t desired = own;
    int feeders = 1;
    if (links_service_desired(w->db, tenant, psa_conn, contract, service, &desired, &feeders) < 0 || feeders < 1) {
        desired = own;
        feeders = 1;
    }
    int live = 0;
    qty_t before = mapping_psa_units(w, psa_conn, contract, service, today, &live);
    char qd[32], qb[32], qc[32], fed[80] = "";
    qty_format(desired, qd, sizeof qd);
    qty_format(before, qb, sizeof qb);
    if (feeders > 1)
        snprintf(fed, sizeof fed, " (the service is fed by %d subscriptions)", feeders);
    /* The estimate uses the PSA's price only: the distributor's is the MSP's cost. */
    money_t price = 0;
    long long cs_units = 0, cs_price = 0;
    if (mv_contract_service(w->db, tenant, psa_conn, contract, service, &cs_units, &cs_price) == 1)
        price = cs_price;
    struct tenant_policy pol;
    policy_get(w->db, tenant, &pol);
    int approval = !strcmp(pol.approval, "require");
    struct service_post posts[SERVICE_POSTS_MAX];
    struct service_state st = {.today = today, .desired = desired, .posts = posts,
                               .one_change_per_day = psa_one_change_per_day(w, psa_conn)};
    if (ledger_service_posts(w->db, tenant, psa_conn, contract, service, posts, SERVICE_POSTS_MAX, &st.nposts) < 0)
        st.nposts = 0;
    struct planner_input in = {
        .decrease = strcmp(pol.decrease_mode, "immediate") ? PLANNER_DECREASE_NEXT_PERIOD : PLANNER_DECREASE_IMMEDIATE,
        .drift = PLANNER_DRIFT_OVERWRITE, /* linking is the person's decision about this service */
        .approval = approval ? PLANNER_APPROVAL_REQUIRE : PLANNER_APPROVAL_AUTO,
        .contract_start = cdate_make(2000, 1, 1), .cycle_months = 1, .unit_price = price,
    };
    cdate_first_of_month(today, &in.period_anchor);
    struct planner_output out;
    if (service_plan(&st, before, &in, &out) < 0 || out.action == PLANNER_NOTHING) {
        snprintf(msg, n, "The distributor and the PSA both have %s%s: nothing to post.", qd, fed);
        return;
    }
    struct plan p = {tenant, link_id, "link", src_conn, src_id, psa_conn, contract, service,
                     desired, before, out.effective, price, out.estimate, approval ? "awaiting_approval" : "queued",
                     NULL, {0, 0, 0}};
    long long adj = 0;
    int rc = out.action == PLANNER_FAIL ? ledger_plan_failed(w->db, &p, out.reason, &adj) : ledger_plan(w->db, &p, &adj);
    if (rc >= 0 && adj)
        ledger_supersede_service(w->db, tenant, psa_conn, contract, service, adj);
    if (rc > 0 && !approval && out.action != PLANNER_FAIL)
        jobs_enqueue(w->db, tenant, "post", NULL, NULL, 0, NULL);
    qty_format(out.unit_change, qc, sizeof qc);
    char date[11], money[32];
    cdate_format(out.effective, date, sizeof date);
    money_format(out.estimate, money, sizeof money, 2);
    snprintf(msg, n, "Reconciliation: the distributor has %s%s, the PSA %s%s. A change of %s%s from %s "
                     "(estimated prorated amount %s%s) is %s.",
             qd, fed, qb, live ? "" : " (as of the last refresh)", out.unit_change > 0 ? "+" : "", qc, date, money,
             price ? "" : ", no PSA price known",
             rc < 0 ? "NOT planned (database error)"
             : out.action == PLANNER_FAIL ? "NOT planned: see the failure log"
             : approval ? "waiting for approval"
             : cdate_cmp(out.effective, today) > 0 ? "posted on that day" : "being posted");
}

/* Validates and applies one Set Relation; msg gets the outcome for the flash. 0 ok, -1 refused. */
int mapping_set_one(struct web *w, long long psa_conn, int level, long long row, const char *target,
                    char *msg, size_t n)
{
    struct src_object_list o;
    int found = mv_src_object(w->db, w->sess->tenant_id, level, row, &o);
    if (found != 1) {
        DB_LIST_FREE(&o);
        snprintf(msg, n, "That %s is not in your company's data.", mapping_level_names[level]);
        return -1;
    }
    long long src_conn = o.v[0].conn;
    char src_id[81], name[256], parent[81], sku[81], cycle[16] = "";
    snprintf(src_id, sizeof src_id, "%s", o.v[0].src_id);
    snprintf(name, sizeof name, "%s", o.v[0].name);
    snprintf(parent, sizeof parent, "%s", o.v[0].parent);
    qty_t qty = o.v[0].qty;
    snprintf(sku, sizeof sku, "%s", o.v[0].sku);
    DB_LIST_FREE(&o);
    struct link_target to;
    memset(&to, 0, sizeof to);
    to.psa_connection_id = psa_conn;
    if (level == LINK_COMPANY) {
        if (!mv_psa_exists(w->db, w->sess->tenant_id, psa_conn, 0, target, "")) {
            snprintf(msg, n, "Choose a PSA account for %s.", name);
            return -1;
        }
        snprintf(to.psa_id, sizeof to.psa_id, "%s", target);
    } else if (level == LINK_SUBSCRIPTION) {
        struct link_target company;
        struct psa_contract_list c;
        if (link_get(w->db, w->sess->tenant_id, LINK_COMPANY, src_conn, parent, &company, NULL) != 1) {
            snprintf(msg, n, "Link the company of %s to a PSA account first.", name);
            return -1;
        }
        int has = mv_contract(w->db, w->sess->tenant_id, psa_conn, target, &c);
        if (has != 1) {
            DB_LIST_FREE(&c);
            snprintf(msg, n, "Choose a contract for %s.", name);
            return -1;
        }
        int other = strcmp(c.v[0].account, company.psa_id) != 0;
        char cname[256];
        snprintf(cname, sizeof cname, "%s", c.v[0].name);
        DB_LIST_FREE(&c);
        if (other) {
            snprintf(msg, n, "The contract \"%s\" belongs to another PSA account than the one %s's company is "
                             "linked to. Choose one of that account's contracts.", cname, name);
            return -1;
        }
        snprintf(to.psa_id, sizeof to.psa_id, "%s", target);
    } else {
        struct link_target sub;
        char ctype[16], cname[256];
        /* An annual subscription's resources go the charge route; seats only into a recurring
         * contract (issue 13 item 5): refused here whoever asks (a form, accept-all, a review). */
        enum seat_rule rule = seat_rule_of(w, psa_conn, src_conn, src_id, "", cycle, ctype, cname);
        if (rule == SEAT_ANNUAL) {
            seat_refusal(rule, name, ctype, cname, msg, n);
            return -1;
        }
        if (link_get(w->db, w->sess->tenant_id, LINK_SUBSCRIPTION, src_conn, parent, &sub, NULL) != 1) {
            snprintf(msg, n, "Link the subscription of %s to a PSA contract first.", name);
            return -1;
        }
        rule = seat_rule_of(w, psa_conn, src_conn, src_id, sub.psa_id, cycle, ctype, cname);
        if (rule != SEAT_OK) {
            seat_refusal(rule, name, ctype, cname, msg, n);
            return -1;
        }
        if (strncmp(target, "svc:", 4) ||
            !mv_psa_exists(w->db, w->sess->tenant_id, psa_conn, 2, target + 4, sub.psa_id)) {
            snprintf(msg, n, "Choose a PSA service for %s.", name);
            return -1;
        }
        snprintf(to.psa_id, sizeof to.psa_id, "%s", sub.psa_id);
        snprintf(to.service_id, sizeof to.service_id, "%s", target + 4);
    }
    int changed = 0;
    char before[80];
    if (link_set(w->db, w->sess->tenant_id, w->sess->user_id, level, src_conn, src_id, &to, &changed, before) < 0) {
        snprintf(msg, n, "The link could not be saved. Nothing was changed; try again.");
        return -1;
    }
    if (!changed) {
        snprintf(msg, n, "%s was already linked so.", name);
        return 0;
    }
    char after[80], detail[200];
    if (to.service_id[0])
        snprintf(after, sizeof after, "%lld:%s/%s", psa_conn, to.psa_id, to.service_id);
    else
        snprintf(after, sizeof after, "%lld:%s", psa_conn, to.psa_id);
    snprintf(detail, sizeof detail, "%s -> %s", before[0] ? before : "(none)", after);
    char action[40];
    snprintf(action, sizeof action, "mapping.%s_linked", mapping_level_names[level]);
    auth_audit(w, 0, 0, NULL, action, name, detail);
    snprintf(msg, n, "Linked %s.", name);
    if (level == LINK_RESOURCE) {
        long long link_id = 0;
        struct link_target now;
        link_get(w->db, w->sess->tenant_id, LINK_RESOURCE, src_conn, src_id, &now, &link_id);
        size_t k = strlen(msg);
        msg[k++] = ' ';
        msg[k] = 0;
        if (!strcmp(cycle, "usage") || !strcmp(cycle, "one_time"))   /* charges, not seats */
            snprintf(msg + k, n - k, "It is billed as %s charges on this service, not as seats: nothing to "
                                     "reconcile.", !strcmp(cycle, "usage") ? "monthly usage" : "one-time");
        else
            reconcile(w, psa_conn, link_id, src_conn, src_id, qty, to.psa_id, to.service_id, msg + k, n - k);
    }
    return 0;
}

int mapping_unset_one(struct web *w, int level, long long row, char *msg, size_t n)
{
    struct src_object_list o;
    int found = mv_src_object(w->db, w->sess->tenant_id, level, row, &o);
    if (found != 1) {
        DB_LIST_FREE(&o);
        snprintf(msg, n, "That %s is not in your company's data.", mapping_level_names[level]);
        return -1;
    }
    long long src_conn = o.v[0].conn;
    char src_id[81], name[256];
    snprintf(src_id, sizeof src_id, "%s", o.v[0].src_id);
    snprintf(name, sizeof name, "%s", o.v[0].name);
    DB_LIST_FREE(&o);
    int changed = 0;
    char before[80];
    if (link_clear(w->db, w->sess->tenant_id, w->sess->user_id, level, src_conn, src_id, &changed, before) < 0) {
        snprintf(msg, n, "The link could not be cleared. Nothing was changed; try again.");
        return -1;
    }
    if (changed) {
        char action[40], detail[120];
        snprintf(action, sizeof action, "mapping.%s_unlinked", mapping_level_names[level]);
        snprintf(detail, sizeof detail, "%s -> (none)", before);
        auth_audit(w, 0, 0, NULL, action, name, detail);
    }
    snprintf(msg, n, changed ? "Cleared the relation of %s. Its history is kept." : "%s was not linked.", name);
    return 0;
}
