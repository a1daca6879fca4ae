/* page_mapping.c: /mapping, the Billing page of doc/seeds.md 001: distributor companies hold
 * subscriptions, subscriptions hold resources; each level gets a drop-down of its PSA
 * counterpart (account, contract of that account, service on that contract or from the
 * catalogue), a suggestion with its score and reason, and Set / Unset Relation. */
#include "web/mapping.h"

#include "core/match.h"
#include "core/money.h"
#include "db/ledger.h"
#include "db/links.h"
#include "db/mapping_view.h"
#include "web/mapping_suggest.h"
#include "web/pages.h"
#include "web/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPANIES_PER_PAGE 20

int mapping_filters_read(struct web *w, struct mapping_filters *f)
{
    /* The route's parameters (routes.c), checked before the page ran (from the form of a POST). */
    f->q = param_str(&w->params, "q");
    f->show_mapped = (int)param_int(&w->params, "mapped");
    f->show_expired = (int)param_int(&w->params, "expired");
    f->only_free = (int)param_int(&w->params, "unlinked");
    f->page = param_int(&w->params, "page");
    return 0;
}

const char *mapping_filters_query(const struct mapping_filters *f, char *buf, size_t n)
{
    char *q = NULL;
    if (neos_url_escape(f->q, &q, NULL) != STATUS_OK)
        q = NULL;
    snprintf(buf, n, "q=%s&mapped=%d&expired=%d&unlinked=%d&page=%lld", q ? q : "",
             f->show_mapped, f->show_expired, f->only_free, f->page);
    free(q);
    return buf;
}

/* Puts a suggestion for prefix into the template. */
static void show(struct web *w, const char *prefix, const struct suggestion *sg)
{
    hsetf(w, sg->id, "%s.sugg.id", prefix);
    hsetf(w, sg->name, "%s.sugg.name", prefix);
    char score[8];
    snprintf(score, sizeof score, "%d", sg->score);
    hsetf(w, score, "%s.sugg.score", prefix);
    hsetf(w, sg->reason_text, "%s.sugg.reason", prefix);
}

static void suggest(struct web *w, const char *prefix, const char *name, const char *sku,
                    const struct dbrows *opts, int id_col, int name_col, int sku_col,
                    const char *remembered_id, enum match_kind kind)
{
    struct suggestion sg;
    if (suggest_from(opts, id_col, name_col, sku_col, name, sku, remembered_id, kind, &sg))
        show(w, prefix, &sg);
}

static void suggest_contract_here(struct web *w, const char *prefix, const char *name, const char *cycle,
                                  const struct dbrows *opts, const char *remembered_id, int free_only)
{
    struct suggestion sg;
    if (suggest_contract_from(opts, name, cycle, remembered_id, free_only, &sg))
        show(w, prefix, &sg);
}

static void remembered(struct web *w, enum link_level level, long long conn, const char *src_id,
                       char out[33])
{
    struct link_target t;
    out[0] = 0;
    if (link_remembered(w->db, w->sess->tenant_id, level, conn, src_id, &t) == 1)
        snprintf(out, 33, "%s", level == LINK_RESOURCE ? t.service_id : t.psa_id);
}

/* sub_cycle, contract_type: the subscription's billing cycle and its contract's type (what
 * decides whether its resources may be seat links at all). */
static void resources(struct web *w, const char *prefix, long long conn, const char *sub_src,
                      const char *sub_cycle, const char *contract, const char *contract_type, long long psa_conn,
                      const struct mapping_filters *f)
{
    struct dbrows r, svc = {0};
    if (mv_resources(w->db, w->sess->tenant_id, conn, sub_src, f->show_mapped, &r) < 0)
        return;
    if (*contract && mv_services(w->db, w->sess->tenant_id, psa_conn, contract, &svc) == 0) {
        for (int k = 0; k < svc.nrows; k++) {
            static const char *const cols[MVV_NCOLS] = {
                [MVV_VALUE] = "value", [MVV_NAME] = "name", [MVV_SKU] = "sku", [MVV_UNITS] = "units",
                [MVV_GROUP] = "group"};
            for (int c = 0; c < MVV_NCOLS; c++)
                hsetf(w, dbrows_get(&svc, k, c), "%s.Services.%d.%s", prefix, k, cols[c]);
            const char *units = dbrows_get(&svc, k, MVV_UNITS);   /* stored in 1/1000: shown as seats */
            if (units && *units) {
                char u[32];
                qty_format(dbrows_int(&svc, k, MVV_UNITS, 0), u, sizeof u);
                hsetf(w, u, "%s.Services.%d.units", prefix, k);
            }
        }
    }
    for (int i = 0; i < r.nrows; i++) {
        char p[120];
        snprintf(p, sizeof p, "%s.Res.%d", prefix, i);
        /* the columns shown as they are (the feeders' columns below, when they matter) */
        static const char *const cols[MVR_FEEDERS] = {
            [MVR_ID] = "id", [MVR_SOURCE_ID] = "source_id", [MVR_NAME] = "name", [MVR_SKU] = "sku",
            [MVR_QTY] = "qty", [MVR_CONTRACT] = "contract", [MVR_SERVICE] = "service",
            [MVR_SERVICE_NAME] = "service_name", [MVR_UNITS] = "units", [MVR_APPROVAL] = "approval",
            [MVR_CYCLE] = "cycle"};
        for (int c = 0; c < MVR_FEEDERS; c++)
            hsetf(w, dbrows_get(&r, i, c), "%s.%s", p, cols[c]);
        char qty[32];
        qty_format(dbrows_int(&r, i, MVR_QTY, 0), qty, sizeof qty);
        hsetf(w, qty, "%s.qty", p);
        const char *units = dbrows_get(&r, i, MVR_UNITS);
        if (units && *units) {
            qty_format(dbrows_int(&r, i, MVR_UNITS, 0), qty, sizeof qty);
            hsetf(w, qty, "%s.units", p);
            /* A service fed by several subscriptions bills their sum: that is what the PSA
             * badge is compared with (and says so). */
            long long feeders = dbrows_int(&r, i, MVR_FEEDERS, 0);
            qty_format(feeders > 1 ? dbrows_int(&r, i, MVR_FEEDERS_QTY, 0) : dbrows_int(&r, i, MVR_QTY, 0), qty,
                       sizeof qty);
            hsetf(w, qty, "%s.wanted", p);
            if (feeders > 1)
                hsetf(w, dbrows_get(&r, i, MVR_FEEDERS), "%s.feeders", p);
        }
        const char *cycle = !strcmp(sub_cycle, "annual") ? "annual" : dbrows_get(&r, i, MVR_CYCLE);
        enum seat_rule rule = seat_rule_for(cycle, *contract ? contract_type : "");
        if (!*dbrows_get(&r, i, MVR_SERVICE) && rule != SEAT_OK) {
            hsetf(w, seat_note(rule), "%s.note", p);      /* no seat link offered: see seat_rule_for */
        } else if (!*dbrows_get(&r, i, MVR_SERVICE) && svc.nrows) {
            char mem[33], svc_value[40] = "";
            remembered(w, LINK_RESOURCE, conn, dbrows_get(&r, i, MVR_SOURCE_ID), mem);
            if (*mem)
                snprintf(svc_value, sizeof svc_value, "svc:%s", mem);
            suggest(w, p, dbrows_get(&r, i, MVR_NAME), dbrows_get(&r, i, MVR_SKU), &svc, MVV_VALUE, MVV_NAME,
                    MVV_SKU, svc_value, MATCH_PRODUCT);
        }
    }
    dbrows_free(&r);
    dbrows_free(&svc);
}

static void subscriptions(struct web *w, const char *prefix, long long conn, const char *company_src,
                          const char *account, long long psa_conn, const struct mapping_filters *f)
{
    struct dbrows s, contracts = {0};
    if (mv_subscriptions(w->db, w->sess->tenant_id, conn, company_src, &s) < 0)
        return;
    if (*account)
        mv_contracts(w->db, w->sess->tenant_id, psa_conn, account, web_today(w), f->show_expired, !f->only_free,
                     &contracts);
    for (int j = 0; j < s.nrows; j++) {
        char p[100];
        snprintf(p, sizeof p, "%s.Subs.%d", prefix, j);
        for (int k = 0; k < contracts.nrows; k++) {
            hsetf(w, dbrows_get(&contracts, k, MVK_ID), "%s.Contracts.%d.id", p, k);
            hsetf(w, dbrows_get(&contracts, k, MVK_NAME), "%s.Contracts.%d.name", p, k);
            hsetf(w, dbrows_get(&contracts, k, MVK_END), "%s.Contracts.%d.end", p, k);
            hsetf(w, dbrows_get(&contracts, k, MVK_SUBS), "%s.Contracts.%d.subs", p, k);
        }
        static const char *const cols[MVS_CONTRACT_TYPE] = {
            [MVS_ID] = "id", [MVS_SOURCE_ID] = "source_id", [MVS_NAME] = "name", [MVS_CYCLE] = "cycle",
            [MVS_STATUS] = "status", [MVS_CONTRACT] = "linked_id", [MVS_CONTRACT_NAME] = "linked_name"};
        for (int c = 0; c < MVS_CONTRACT_TYPE; c++)
            hsetf(w, dbrows_get(&s, j, c), "%s.%s", p, cols[c]);
        const char *linked = dbrows_get(&s, j, MVS_CONTRACT);
        if (!*linked && contracts.nrows) {
            char mem[33];
            remembered(w, LINK_SUBSCRIPTION, conn, dbrows_get(&s, j, MVS_SOURCE_ID), mem);
            suggest_contract_here(w, p, dbrows_get(&s, j, MVS_NAME), dbrows_get(&s, j, MVS_CYCLE), &contracts, mem,
                                  f->only_free);
        }
        resources(w, p, conn, dbrows_get(&s, j, MVS_SOURCE_ID), dbrows_get(&s, j, MVS_CYCLE), linked,
                  dbrows_get(&s, j, MVS_CONTRACT_TYPE), psa_conn, f);
    }
    dbrows_free(&s);
    dbrows_free(&contracts);
}

static void view(struct web *w, long long psa_conn, const struct mapping_filters *f)
{
    struct dbrows conns, companies, accounts = {0};
    long long total = 0;
    if (mv_connections(w->db, w->sess->tenant_id, &conns) < 0 ||
        mv_companies(w->db, w->sess->tenant_id, f->q, f->show_mapped, COMPANIES_PER_PAGE,
                     (int)((f->page - 1) * COMPANIES_PER_PAGE), &companies, &total) < 0) {
        web_error(w, 503, "The mapping could not be read. Try again in a minute.");
        return;
    }
    for (int i = 0; i < conns.nrows; i++) {
        static const char *const cols[MVN_NCOLS] = {
            [MVN_ID] = "id", [MVN_NAME] = "name", [MVN_SYSTEM] = "system", [MVN_STATUS] = "status",
            [MVN_MESSAGE] = "message", [MVN_AT] = "at"};
        for (int c = 0; c < MVN_NCOLS; c++)
            hsetf(w, dbrows_get(&conns, i, c), "Conns.%d.%s", i, cols[c]);
    }
    dbrows_free(&conns);
    struct sync_list sync;
    if (sync_state(w->db, w->sess->tenant_id, &sync) == 0) {
        if (sync.n) {
            hset(w, "Sync.started", sync.v[0].started);
            hset(w, "Sync.finished", sync.v[0].finished);
            hset(w, "Sync.result", sync.v[0].result);
        }
        DB_LIST_FREE(&sync);
    }
    if (psa_conn && mv_accounts(w->db, w->sess->tenant_id, psa_conn, &accounts) == 0)
        for (int k = 0; k < accounts.nrows; k++) {
            hsetf(w, dbrows_get(&accounts, k, MVA_ID), "Accounts.%d.id", k);
            hsetf(w, dbrows_get(&accounts, k, MVA_NAME), "Accounts.%d.name", k);
        }
    for (int i = 0; i < companies.nrows; i++) {
        char p[40];
        snprintf(p, sizeof p, "Companies.%d", i);
        static const char *const cols[MVC_NCOLS] = {
            [MVC_ID] = "id", [MVC_CONN] = "conn", [MVC_SOURCE_ID] = "source_id", [MVC_NAME] = "name",
            [MVC_CONN_NAME] = "conn_name", [MVC_ACCOUNT] = "linked_id", [MVC_ACCOUNT_NAME] = "linked_name",
            [MVC_LINKED_N] = "linked_n", [MVC_UNLINKED_N] = "unlinked_n"};
        for (int c = 0; c < MVC_NCOLS; c++)
            hsetf(w, dbrows_get(&companies, i, c), "%s.%s", p, cols[c]);
        long long conn = dbrows_int(&companies, i, MVC_CONN, 0);
        const char *account = dbrows_get(&companies, i, MVC_ACCOUNT);
        if (!*account && accounts.nrows) {
            char mem[33];
            remembered(w, LINK_COMPANY, conn, dbrows_get(&companies, i, MVC_SOURCE_ID), mem);
            suggest(w, p, dbrows_get(&companies, i, MVC_NAME), "", &accounts, MVA_ID, MVA_NAME, -1, mem,
                    MATCH_COMPANY);
        }
        subscriptions(w, p, conn, dbrows_get(&companies, i, MVC_SOURCE_ID), account, psa_conn, f);
    }
    dbrows_free(&companies);
    dbrows_free(&accounts);
    hset(w, "Filter.q", f->q);
    hset_int(w, "Filter.mapped", f->show_mapped);
    hset_int(w, "Filter.expired", f->show_expired);
    hset_int(w, "Filter.unlinked", f->only_free);
    hset_int(w, "Filter.page", f->page);
    hset_int(w, "Total", total);
    hset_int(w, "Pages", total ? (total + COMPANIES_PER_PAGE - 1) / COMPANIES_PER_PAGE : 1);
    char query[MAPPING_FILTERS_QUERY_MAX];
    hset(w, "FilterQuery", mapping_filters_query(f, query, sizeof query));
    hset_int(w, "PsaConnection", psa_conn);
    hset(w, "Page.title", "Billing");
    web_render(w, "mapping.cs");
}

void page_mapping(struct web *w)
{
    long long psa_conn = 0;
    char psa_system[32] = "";
    if (mv_psa_connection(w->db, w->sess->tenant_id, &psa_conn, psa_system) < 0) {
        web_error(w, 503, "The mapping could not be read. Try again in a minute.");
        return;
    }
    if (req_is_post(&w->req)) {
        if (w->sess->role < ROLE_BILLING) {
            web_error(w, 403, "Your role does not allow changing the mapping.");
            return;
        }
        if (mapping_action(w, psa_conn, psa_system))
            return;
    }
    struct mapping_filters f;
    if (mapping_filters_read(w, &f) < 0)
        return;
    view(w, psa_conn, &f);
}
