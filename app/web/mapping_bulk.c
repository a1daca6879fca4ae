/* mapping_bulk.c: many relations at once: "Accept suggestions" above a threshold on the
 * Billing page, and /mapping/relations (Manage Relations, seed 001 figures 3-33 to 3-37): one
 * table of resources with checkboxes, to set (with the suggested chain) or clear in one go. */
#include "web/mapping.h"

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
};

static int plan_chain(struct web *w, long long psa_conn, const struct dbrows *r, int i, int threshold,
                      struct chain *ch)
{
    memset(ch, 0, sizeof *ch);
    ch->score = 100;
    long long conn = dbrows_int(r, i, 1, 0);
    struct suggestion sg;
    snprintf(ch->account, sizeof ch->account, "%s", dbrows_get(r, i, 12));
    snprintf(ch->account_name, sizeof ch->account_name, "%s", dbrows_get(r, i, 15));
    if (!ch->account[0]) {
        if (!suggest_account(w, psa_conn, conn, dbrows_get(r, i, 10), dbrows_get(r, i, 11), &sg) ||
            sg.score < threshold)
            return 0;
        snprintf(ch->account, sizeof ch->account, "%s", sg.id);
        snprintf(ch->account_name, sizeof ch->account_name, "%s", sg.name);
        ch->score = sg.score < ch->score ? sg.score : ch->score;
    }
    snprintf(ch->contract, sizeof ch->contract, "%s", dbrows_get(r, i, 13));
    snprintf(ch->contract_name, sizeof ch->contract_name, "%s", dbrows_get(r, i, 16));
    if (!ch->contract[0]) {
        if (!suggest_contract(w, psa_conn, conn, dbrows_get(r, i, 7), dbrows_get(r, i, 8), dbrows_get(r, i, 18),
                              ch->account, &sg) ||
            sg.score < threshold)
            return 0;
        snprintf(ch->contract, sizeof ch->contract, "%s", sg.id);
        snprintf(ch->contract_name, sizeof ch->contract_name, "%s", sg.name);
        ch->score = sg.score < ch->score ? sg.score : ch->score;
    }
    const char *svc = dbrows_get(r, i, 14);
    if (*svc) {
        snprintf(ch->service, sizeof ch->service, "svc:%s", svc);
        snprintf(ch->service_name, sizeof ch->service_name, "%s", dbrows_get(r, i, 17));
    } else {
        if (!suggest_service(w, psa_conn, conn, dbrows_get(r, i, 2), dbrows_get(r, i, 3), dbrows_get(r, i, 4),
                             ch->contract, &sg) || sg.score < threshold)
            return 0;
        snprintf(ch->service, sizeof ch->service, "%s", sg.id);
        snprintf(ch->service_name, sizeof ch->service_name, "%s", sg.name);
        ch->score = sg.score < ch->score ? sg.score : ch->score;
    }
    return 1;
}

struct tally {
    int companies, subscriptions, resources, refused;
    char last_refusal[900];
};

/* Applies the chain of row i, level by level (what is linked already stays). */
static void apply_chain(struct web *w, long long psa_conn, const struct dbrows *r, int i, const struct chain *ch,
                        struct tally *t)
{
    char msg[900];
    if (!*dbrows_get(r, i, 12)) {
        if (mapping_set_one(w, psa_conn, 0, dbrows_int(r, i, 9, 0), ch->account, msg, sizeof msg) < 0)
            goto refused;
        t->companies++;
    }
    if (!*dbrows_get(r, i, 13)) {
        if (mapping_set_one(w, psa_conn, 1, dbrows_int(r, i, 6, 0), ch->contract, msg, sizeof msg) < 0)
            goto refused;
        t->subscriptions++;
    }
    if (!*dbrows_get(r, i, 14)) {
        if (mapping_set_one(w, psa_conn, 2, dbrows_int(r, i, 0, 0), ch->service, msg, sizeof msg) < 0)
            goto refused;
        t->resources++;
    }
    return;
refused:
    t->refused++;
    snprintf(t->last_refusal, sizeof t->last_refusal, "%s", msg);
}

static void summary(const struct tally *t, const char *what, char *msg, size_t n)
{
    snprintf(msg, n, "%s: linked %d companies, %d subscriptions and %d resources.%s%.300s", what, t->companies,
             t->subscriptions, t->resources, t->refused ? " Not linked: " : "", t->refused ? t->last_refusal : "");
}

void mapping_accept_all(struct web *w, long long psa_conn, int threshold, char *msg, size_t n)
{
    struct dbrows r;
    long long total = 0;
    if (mv_chains(w->db, w->sess->tenant_id, 0, MAX_CHAINS, 0, &r, &total) < 0) {
        snprintf(msg, n, "The mapping could not be read. Nothing was changed.");
        return;
    }
    struct tally t = {0};
    for (int i = 0; i < r.nrows; i++) {
        struct chain ch;
        if (!plan_chain(w, psa_conn, &r, i, threshold, &ch))
            continue;
        int linked_before = t.resources;
        apply_chain(w, psa_conn, &r, i, &ch, &t);
        if (t.resources == linked_before)
            continue;             /* refused: this row stays unlinked, go on with the next */
        /* The next rows' cached link columns are stale once a company or subscription was
         * linked; re-read them so they are not linked twice. */
        dbrows_free(&r);
        if (mv_chains(w->db, w->sess->tenant_id, 0, MAX_CHAINS, 0, &r, &total) < 0)
            break;
        i = -1;                   /* restart over what is still unlinked */
        if (t.companies + t.subscriptions + t.resources > 3 * MAX_CHAINS)
            break;
    }
    dbrows_free(&r);
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
    int bad = 0;
    int show_mapped = (int)req_int(&w->req, "mapped", 0, 1, 0, &bad);
    long long page = req_int(&w->req, "page", 1, 100000, 1, &bad);
    if (bad) {
        web_error(w, 400, "A filter of this page is not valid.");
        return;
    }
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
                if (dbrows_int(&r, i, 0, 0) == row) {
                    struct chain ch;
                    if (plan_chain(w, psa_conn, &r, i, 60, &ch))
                        apply_chain(w, psa_conn, &r, i, &ch, &t);
                    else {
                        t.refused++;
                        snprintf(t.last_refusal, sizeof t.last_refusal,
                                 "%s has no good suggestion; link it on the Billing page.", dbrows_get(&r, i, 3));
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
        hsetf(w, dbrows_get(&r, i, 0), "Rows.%d.id", i);
        hsetf(w, dbrows_get(&r, i, 11), "Rows.%d.company", i);
        hsetf(w, dbrows_get(&r, i, 8), "Rows.%d.subscription", i);
        hsetf(w, dbrows_get(&r, i, 3), "Rows.%d.resource", i);
        int linked = *dbrows_get(&r, i, 14) != 0;
        hsetf(w, linked ? "1" : "0", "Rows.%d.linked", i);
        struct chain ch;
        if (psa_conn && plan_chain(w, psa_conn, &r, i, 60, &ch)) {
            hsetf(w, ch.account_name, "Rows.%d.account", i);
            hsetf(w, ch.contract_name, "Rows.%d.contract", i);
            hsetf(w, ch.service_name, "Rows.%d.service", i);
            char score[8];
            snprintf(score, sizeof score, "%d", ch.score);
            hsetf(w, score, "Rows.%d.score", i);
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
