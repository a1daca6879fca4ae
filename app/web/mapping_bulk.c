/* mapping_bulk.c: many relations at once: "Accept suggestions" above a threshold on the
 * Billing page, and /mapping/relations (Manage Relations, doc/seeds.md 001 figures 3-33 to 3-37): one
 * table of resources with checkboxes, to set (with the suggested chain) or clear in one go. */
#include "web/mapping.h"
#include "web/mapping_link.h"

#include "db/links.h"
#include "db/mapping_view.h"
#include "web/mapping_suggest.h"
#include "web/pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHAINS 5000
#define ROWS_PER_PAGE 100

/* The chain one row would get: what is linked, else the suggestion (when good enough). */
struct chain {
    char account[40], contract[40], service[40];
    char account_name[256], contract_name[256], service_name[256];
    int score;                    /* the weakest suggestion used; 100 when all linked */
    int set_company, set_subscription, set_resource;   /* the levels to link */
    int charges;                  /* an annual subscription's resource: billed as one-time charges on
                                   * its subscription's contract, no service link (issue 13 item 5) */
};

/* fresh: what is linked is read again (accept-all and Set Relations link as they go, so the
 * row's link columns may be stale); else taken from the row. only_free: contracts holding a
 * subscription already are not suggested. 1 when the row has a whole chain. */
static int plan_chain(struct web *w, long long psa_conn, const struct dbrows *r, int i, int threshold,
                      int only_free, int fresh, struct chain *ch)
{
    memset(ch, 0, sizeof *ch);
    ch->score = 100;
    long long conn = dbrows_int(r, i, MCH_CONN, 0);
    struct suggestion sg;
    if (fresh) {
        struct link_target lt;
        if (link_get(w->db, w->sess->tenant_id, LINK_COMPANY, conn, dbrows_get(r, i, MCH_CO_SRC), &lt, NULL) == 1)
            snprintf(ch->account, sizeof ch->account, "%s", lt.psa_id);
        if (link_get(w->db, w->sess->tenant_id, LINK_SUBSCRIPTION, conn, dbrows_get(r, i, MCH_SUB_SRC), &lt, NULL) == 1)
            snprintf(ch->contract, sizeof ch->contract, "%s", lt.psa_id);
    } else {
        snprintf(ch->account, sizeof ch->account, "%s", dbrows_get(r, i, MCH_ACCOUNT));
        snprintf(ch->contract, sizeof ch->contract, "%s", dbrows_get(r, i, MCH_CONTRACT));
    }
    if (!strcmp(ch->account, dbrows_get(r, i, MCH_ACCOUNT)))
        snprintf(ch->account_name, sizeof ch->account_name, "%s", dbrows_get(r, i, MCH_ACCOUNT_NAME));
    if (!strcmp(ch->contract, dbrows_get(r, i, MCH_CONTRACT)))
        snprintf(ch->contract_name, sizeof ch->contract_name, "%s", dbrows_get(r, i, MCH_CONTRACT_NAME));
    if (!ch->account[0]) {
        if (!suggest_account(w, psa_conn, conn, dbrows_get(r, i, MCH_CO_SRC), dbrows_get(r, i, MCH_CO_NAME), &sg) ||
            sg.score < threshold)
            return 0;
        snprintf(ch->account, sizeof ch->account, "%s", sg.id);
        snprintf(ch->account_name, sizeof ch->account_name, "%s", sg.name);
        ch->score = sg.score < ch->score ? sg.score : ch->score;
        ch->set_company = 1;
    }
    const char *sub_cycle = dbrows_get(r, i, MCH_SUB_CYCLE);
    if (!ch->contract[0]) {
        if (!suggest_contract_free(w, psa_conn, conn, dbrows_get(r, i, MCH_SUB_SRC), dbrows_get(r, i, MCH_SUB_NAME),
                                   sub_cycle, ch->account, only_free, &sg) ||
            sg.score < threshold)
            return 0;
        snprintf(ch->contract, sizeof ch->contract, "%s", sg.id);
        snprintf(ch->contract_name, sizeof ch->contract_name, "%s", sg.name);
        ch->score = sg.score < ch->score ? sg.score : ch->score;
        ch->set_subscription = 1;
    }
    const char *svc = dbrows_get(r, i, MCH_SERVICE);
    if (*svc) {
        snprintf(ch->service, sizeof ch->service, "svc:%s", svc);
        snprintf(ch->service_name, sizeof ch->service_name, "%s", dbrows_get(r, i, MCH_SERVICE_NAME));
    } else if (!strcmp(sub_cycle, "annual") || !strcmp(dbrows_get(r, i, MCH_RES_CYCLE), "annual")) {
        ch->charges = 1;          /* the subscription's contract is all it needs */
    } else {
        /* none for a resource that may not be a seat link into this contract (seat_rule_of) */
        if (!suggest_service(w, psa_conn, conn, dbrows_get(r, i, MCH_RES_SRC), dbrows_get(r, i, MCH_RES_NAME),
                             dbrows_get(r, i, MCH_SKU), ch->contract, &sg) || sg.score < threshold)
            return 0;
        snprintf(ch->service, sizeof ch->service, "%s", sg.id);
        snprintf(ch->service_name, sizeof ch->service_name, "%s", sg.name);
        ch->score = sg.score < ch->score ? sg.score : ch->score;
        ch->set_resource = 1;
    }
    return 1;
}

struct tally {
    int companies, subscriptions, resources, refused, charges;
    char last_refusal[900];
};

/* Applies the chain of row i, level by level (what is linked already stays). 0, or -1 when a
 * level was refused (its reason in the tally). */
static int apply_chain(struct web *w, long long psa_conn, const struct dbrows *r, int i, const struct chain *ch,
                       struct tally *t)
{
    char msg[900];
    if (ch->set_company) {
        if (mapping_set_one(w, psa_conn, LINK_COMPANY, dbrows_int(r, i, MCH_CO_ROW, 0), ch->account, msg, sizeof msg) < 0)
            goto refused;
        t->companies++;
    }
    if (ch->set_subscription) {
        if (mapping_set_one(w, psa_conn, LINK_SUBSCRIPTION, dbrows_int(r, i, MCH_SUB_ROW, 0), ch->contract, msg,
                            sizeof msg) < 0)
            goto refused;
        t->subscriptions++;
    }
    if (ch->set_resource) {
        if (mapping_set_one(w, psa_conn, LINK_RESOURCE, dbrows_int(r, i, MCH_RES_ROW, 0), ch->service, msg,
                            sizeof msg) < 0)
            goto refused;
        t->resources++;
    }
    if (ch->charges)
        t->charges++;
    return 0;
refused:
    t->refused++;
    snprintf(t->last_refusal, sizeof t->last_refusal, "%s", msg);
    return -1;
}

/* Fits a flash message (500 characters at most are kept). */
#define SUMMARY_MAX 480

static void summary(const struct tally *t, const char *what, char *msg, size_t n)
{
    char charges[200] = "", full[1400];
    if (t->charges)
        snprintf(charges, sizeof charges, " %d resource%s of annual subscriptions %s billed as one-time charges on "
                                          "the subscription's contract, not linked as seats.",
                 t->charges, t->charges == 1 ? "" : "s", t->charges == 1 ? "is" : "are");
    snprintf(full, sizeof full, "%s: linked %d companies, %d subscriptions and %d resources.%s%s%s", what,
             t->companies, t->subscriptions, t->resources, charges, t->refused ? " Not linked: " : "",
             t->refused ? t->last_refusal : "");
    mapping_utf8_cut(full, SUMMARY_MAX < n ? SUMMARY_MAX : n - 1, msg, n);
}

/* Passes over what is unlinked: a subscription linked in one pass can make a contract the
 * suggestion of the account's other subscriptions in the next. */
#define ACCEPT_PASSES 3

void mapping_accept_all(struct web *w, long long psa_conn, int threshold, int only_free, char *msg, size_t n)
{
    struct tally t = {0};
    for (int pass = 0; pass < ACCEPT_PASSES; pass++) {
        struct dbrows r;
        long long total = 0;
        if (mv_chains(w->db, w->sess->tenant_id, 0, MAX_CHAINS, 0, &r, &total) < 0) {
            if (pass == 0) {
                snprintf(msg, n, "The mapping could not be read. Nothing was changed.");
                return;
            }
            break;
        }
        int before = t.companies + t.subscriptions + t.resources;
        t.refused = t.charges = 0;        /* what the last pass found still stands */
        t.last_refusal[0] = 0;
        for (int i = 0; i < r.nrows; i++) {
            struct chain ch;
            if (plan_chain(w, psa_conn, &r, i, threshold, only_free, 1, &ch))
                apply_chain(w, psa_conn, &r, i, &ch, &t);
        }
        dbrows_free(&r);
        if (t.companies + t.subscriptions + t.resources == before)
            break;
    }
    char what[80];
    snprintf(what, sizeof what, "Suggestions scoring %d%% or more", threshold);
    summary(&t, what, msg, n);
}

void page_mapping_relations(struct web *w)
{
    long long psa_conn = 0;
    char psa_system[32];
    if (mv_psa_connection(w->db, w->sess->tenant_id, &psa_conn, psa_system) < 0) {
        web_error(w, 503, "The mapping could not be read. Try again in a minute.");
        return;
    }
    int show_mapped = (int)param_int(&w->params, "mapped");
    long long page = param_int(&w->params, "page");
    if (req_is_post(&w->req)) {
        const char *action = req_form(&w->req, "action");
        int set = action && !strcmp(action, "set"), clear = action && !strcmp(action, "clear");
        if (!set && !clear) {
            web_error(w, 400, "Choose Set Relations or Clear Relations.");
            return;
        }
        struct tally t = {0};
        for (int k = 0; k < w->req.form.n; k++) {
            if (strcmp(w->req.form.items[k].key, "pick"))
                continue;
            char *end;
            long long row = strtoll(w->req.form.items[k].val, &end, 10);
            if (*end || row <= 0)
                continue;
            char msg[900];
            if (clear) {
                if (mapping_unset_one(w, 2, row, msg, sizeof msg) == 0)
                    t.resources++;
                else
                    t.refused++;
                continue;
            }
            struct dbrows r;
            long long total;
            if (mv_chains(w->db, w->sess->tenant_id, 1, MAX_CHAINS, 0, &r, &total) < 0)
                break;
            for (int i = 0; i < r.nrows; i++)
                if (dbrows_int(&r, i, MCH_RES_ROW, 0) == row) {
                    struct chain ch;
                    if (plan_chain(w, psa_conn, &r, i, 60, 0, 1, &ch))
                        apply_chain(w, psa_conn, &r, i, &ch, &t);
                    else {
                        t.refused++;
                        snprintf(t.last_refusal, sizeof t.last_refusal,
                                 "%s has no good suggestion; link it on the Billing page.",
                                 dbrows_get(&r, i, MCH_RES_NAME));
                    }
                }
            dbrows_free(&r);
        }
        char msg[900];
        if (clear)
            snprintf(msg, sizeof msg, "Cleared %d relations; their history is kept.", t.resources);
        else
            summary(&t, "Set Relations", msg, sizeof msg);
        web_flash(w, msg);
        char loc[80];
        snprintf(loc, sizeof loc, "/mapping/relations?mapped=%d", show_mapped);
        web_redirect(w, loc);
        return;
    }
    struct dbrows r;
    long long total = 0;
    if (mv_chains(w->db, w->sess->tenant_id, show_mapped, ROWS_PER_PAGE, (int)((page - 1) * ROWS_PER_PAGE), &r,
                  &total) < 0) {
        web_error(w, 503, "The mapping could not be read. Try again in a minute.");
        return;
    }
    for (int i = 0; i < r.nrows; i++) {
        hsetf(w, dbrows_get(&r, i, MCH_RES_ROW), "Rows.%d.id", i);
        hsetf(w, dbrows_get(&r, i, MCH_CO_NAME), "Rows.%d.company", i);
        hsetf(w, dbrows_get(&r, i, MCH_SUB_NAME), "Rows.%d.subscription", i);
        hsetf(w, dbrows_get(&r, i, MCH_RES_NAME), "Rows.%d.resource", i);
        int linked = *dbrows_get(&r, i, MCH_SERVICE) != 0;
        hsetf(w, linked ? "1" : "0", "Rows.%d.linked", i);
        struct chain ch;
        if (psa_conn && plan_chain(w, psa_conn, &r, i, 60, 0, 0, &ch)) {
            hsetf(w, ch.account_name, "Rows.%d.account", i);
            hsetf(w, ch.contract_name, "Rows.%d.contract", i);
            hsetf(w, ch.service_name, "Rows.%d.service", i);
            char score[8];
            snprintf(score, sizeof score, "%d", ch.score);
            hsetf(w, score, "Rows.%d.score", i);
            if (ch.charges)
                hsetf(w, "1", "Rows.%d.charges", i);
        }
    }
    dbrows_free(&r);
    hset_int(w, "Filter.mapped", show_mapped);
    hset_int(w, "Page", page);
    hset_int(w, "Total", total);
    hset_int(w, "Pages", total ? (total + ROWS_PER_PAGE - 1) / ROWS_PER_PAGE : 1);
    hset(w, "Page.title", "Manage Relations");
    web_render(w, "mapping_relations.cs");
}
