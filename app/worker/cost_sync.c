/* cost_sync.c: cost and price changes in the sync and post jobs (see cost_sync.h). */
#include "worker/cost_sync.h"

#include "common/log.h"
#include "core/price_policy.h"
#include "db/cost_ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void money_text(money_t v, char *buf, size_t n)
{
    if (money_format(v, buf, n, v % 100 ? 4 : 2) < 0)
        snprintf(buf, n, "?");
}

void cost_plan_service(struct job_env *env, long long t, cdate_t today, const struct link_state *links, int n,
                       int require, struct psa_pool *pool, struct cost_tally *tally)
{
    struct cost_link *cl = calloc((size_t)(n ? n : 1), sizeof *cl);
    if (!cl)
        return;
    for (int i = 0; i < n; i++) {
        const struct link_state *l = &links[i];
        cl[i] = (struct cost_link){l->src_cost, l->has_cost_seen, l->cost_seen, l->desired, l->source_gone};
        /* a link without a baseline gets one, and changes nothing */
        if (!l->has_cost_seen && !l->source_gone)
            cost_seen_set(env->db, t, l->link_id, l->src_cost);
    }
    money_t cost = 0;
    int changed = cost_service_target(cl, n, &cost);
    free(cl);
    if (changed != 1)
        return;
    const struct link_state *l = &links[0];
    const struct conn *c;
    const char *why;
    const struct psa_connector *p = psa_pool_get(pool, env, t, l->psa_connection_id, &c, &why);
    if (!p)
        return; /* the PSA connection cannot be opened: planned at the next sync */
    struct cost_plan cp = {.tenant_id = t, .resource_link_id = l->link_id, .src_connection_id = l->src_connection_id,
                           .src_resource_id = l->src_resource_id, .psa_connection_id = l->psa_connection_id,
                           .psa_contract_id = l->psa_contract_id, .psa_service_id = l->psa_service_id,
                           .effective = today, .cost_before = l->psa_unit_cost, .new_cost = cost,
                           .price_before = l->unit_price, .state = require ? "awaiting_approval" : "queued"};
    /* What the PSA holds now: the change's "before" (the margin a person approves from), and
     * nothing to plan when someone already set the cost there. One call per cost change. */
    struct psa_money_seen m;
    struct conn_error ce;
    memset(&ce, 0, sizeof ce);
    if (p->read_money(c, l->psa_contract_id, l->psa_service_id, today, &m, &ce) < 0) {
        log_warn("sync tenant=%lld: cost of service %s on contract %s not read (%s); planned at the next sync", t,
                 l->psa_service_id, l->psa_contract_id, ce.message);
        return;
    }
    if (m.found) {
        cp.cost_before = m.unit_cost;
        cp.price_before = m.unit_price;
    }
    char reason[600] = "", currency[4];
    tenant_currency(env->db, t, currency);
    money_t srp = 0;
    for (int i = 0; i < n; i++) {
        if (links[i].source_gone)
            continue;
        if (links[i].currency[0] && strcmp(links[i].currency, currency)) {
            snprintf(reason, sizeof reason, "The distributor bills this subscription in %s and the PSA in %s: "
                     "billsync does not convert currencies. Set the cost in the PSA by hand, or bill it in %s.",
                     links[i].currency, currency, currency);
            cp.state = "failed";
        }
        if (!srp)
            srp = links[i].src_srp;
    }
    struct price_policy lv[3], pol;
    int found[3];
    if (!reason[0] && price_policies_for(env->db, t, l->psa_connection_id, l->company_psa_id, l->psa_service_id, lv,
                                         found) == 0) {
        pol = price_policy_resolve(found[0] ? &lv[0] : NULL, found[1] ? &lv[1] : NULL, found[2] ? &lv[2] : NULL);
        money_t price;
        if (pol.maintain && price_policy_price(&pol, cost, srp, &price) == 1 && price != cp.price_before) {
            cp.has_price = 1;
            cp.new_price = price;
            cp.state = "awaiting_approval"; /* a sell price always waits for a person */
        }
    }
    /* One change per service and day (Autotask): the first day holding none of billsync's. */
    cdate_t busy[COST_BUSY_MAX], none = {0, 0, 0}, end = none;
    int nbusy = 0;
    if (p->one_change_per_day &&
        cost_busy_days(env->db, t, l->psa_connection_id, l->psa_contract_id, l->psa_service_id, today, busy,
                       COST_BUSY_MAX, &nbusy) < 0)
        return;
    if (l->contract_end[0])
        cdate_parse(l->contract_end, &end);
    if (!reason[0] && cost_free_day(today, busy, nbusy, end, &cp.effective) < 0) {
        snprintf(reason, sizeof reason, "No day is left before the contract ends (%s) to post the cost change on.",
                 l->contract_end);
        cp.state = "failed";
    }
    cp.reason = reason[0] ? reason : NULL; /* the change itself is shown from its columns */
    long long id = 0;
    int rc = 1;
    if (!reason[0] && m.found && m.uniform && m.unit_cost == cp.new_cost && !cp.has_price)
        rc = 0;
    else if ((rc = cost_plan_record(env->db, &cp, &id)) < 0)
        return;
    /* Planned from these costs: the next change is a change of them. */
    for (int i = 0; i < n; i++)
        if (!links[i].source_gone)
            cost_seen_set(env->db, t, links[i].link_id, links[i].src_cost);
    if (rc == 0) {
        /* nothing to post: the PSA holds the cost (and the policy's price) already */
    } else if (!strcmp(cp.state, "failed"))
        tally->failed++;
    else if (!strcmp(cp.state, "awaiting_approval"))
        tally->approval++;
    else
        tally->queued++;
    if (rc)
        log_info("sync tenant=%lld: cost change %lld of service %s on contract %s (%s)", t, id, l->psa_service_id,
                 l->psa_contract_id, cp.state);
}

enum cost_post_result cost_post(struct job_env *env, long long t, const struct adjustment *a,
                                const struct psa_connector *p, const struct conn *c, const char *lease,
                                struct conn_error *ce, char *summary, size_t ns, char *msg, size_t nm)
{
    cdate_t eff;
    if (cdate_parse(a->effective, &eff) < 0)
        memset(&eff, 0, sizeof eff);
    char cn[MONEY_FMT_MAX], pn[MONEY_FMT_MAX] = "";
    money_text(a->new_cost, cn, sizeof cn);
    if (a->has_new_price)
        money_text(a->new_price, pn, sizeof pn);
    /* Read first, always: the plan did not read the PSA, and a lost answer may have landed. */
    struct psa_money_seen m;
    memset(ce, 0, sizeof *ce);
    if (p->read_money(c, a->psa_contract_id, a->psa_service_id, eff, &m, ce) < 0) {
        if (ce->held_back)
            return COST_HELD;
        snprintf(summary, ns, "read cost of service %s on contract %s on %s", a->psa_service_id, a->psa_contract_id,
                 a->effective);
        snprintf(msg, nm, "%s%s%s", ce->message, ce->hint[0] ? " — " : "", ce->hint);
        return COST_FAILED;
    }
    if (m.found && m.uniform && m.unit_cost == a->new_cost && (!a->has_new_price || m.unit_price == a->new_price)) {
        snprintf(summary, ns, "read cost on %s", a->effective);
        snprintf(msg, nm, "the PSA already has cost %s%s%s", cn, pn[0] ? " and price " : "", pn);
        ledger_verified(env->db, t, a->id, lease, NULL, "nothing_to_do", summary, msg);
        psa_cache_money(env->db, t, a->psa_connection_id, a->psa_contract_id, a->psa_service_id, a->new_cost,
                        a->has_new_price, a->new_price);
        return COST_POSTED;
    }
    struct psa_price_change pc = {a->psa_contract_id, a->psa_service_id, eff, a->new_cost, a->has_new_price,
                                  a->new_price};
    char ref[PSA_ID] = "";
    snprintf(summary, ns, "cost %s%s%s of service %s on contract %s from %s", cn, pn[0] ? ", price " : "", pn,
             a->psa_service_id, a->psa_contract_id, a->effective);
    if (p->post_price_change(c, &pc, ref, ce) == 0) {
        ledger_verified(env->db, t, a->id, lease, ref, "verified", summary, "posted and read back");
        psa_cache_money(env->db, t, a->psa_connection_id, a->psa_contract_id, a->psa_service_id, a->new_cost,
                        a->has_new_price, a->new_price);
        return COST_POSTED;
    }
    if (ce->held_back)
        return COST_HELD;
    snprintf(msg, nm, "%s%s%s%s", ce->message, ce->hint[0] ? " — " : "", ce->hint,
             ce->maybe_committed ? " (the PSA may have taken it; the next try reads it back first)" : "");
    return COST_FAILED;
}
