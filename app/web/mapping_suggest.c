/* mapping_suggest.c: the best PSA counterpart of a distributor object (see mapping_suggest.h). */
#include "web/mapping_suggest.h"

#include "db/links.h"
#include "db/mapping_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int suggest_from(const struct dbrows *opts, int id_col, int name_col, int sku_col, const char *name,
                 const char *sku, const char *remembered_id, enum match_kind kind, struct suggestion *out)
{
    if (opts->nrows == 0)
        return 0;
    struct match_candidate *c = calloc((size_t)opts->nrows, sizeof *c);
    if (!c)
        return 0;
    for (int i = 0; i < opts->nrows; i++) {
        c[i].id = dbrows_get(opts, i, id_col);
        c[i].name = dbrows_get(opts, i, name_col);
        c[i].sku = sku_col >= 0 ? dbrows_get(opts, i, sku_col) : "";
        c[i].remembered = remembered_id && *remembered_id && !strcmp(c[i].id, remembered_id);
    }
    struct match_result m;
    int found = match_best(name, sku, c, (size_t)opts->nrows, kind, &m) == 1;
    if (found) {
        snprintf(out->id, sizeof out->id, "%s", c[m.index].id);
        snprintf(out->name, sizeof out->name, "%s", c[m.index].name);
        out->score = m.score;
        out->reason = m.reason;
        out->reason_text = match_reason_text(m.reason);
    }
    free(c);
    return found;
}

int suggest_contract_from(const struct dbrows *opts, const char *name, const char *cycle,
                          const char *remembered_id, struct suggestion *out)
{
    if (suggest_from(opts, 0, 1, -1, name, "", remembered_id, MATCH_PRODUCT, out))
        return 1;
    const char *kind = cycle && !strcmp(cycle, "annual") ? "fixed_price" : "recurring";
    int only = -1;
    for (int i = 0; i < opts->nrows; i++)
        if (!strcmp(dbrows_get(opts, i, 4) ? dbrows_get(opts, i, 4) : "", kind)) {
            if (only >= 0)
                return 0;          /* more than one: a person chooses */
            only = i;
        }
    if (only < 0)
        return 0;
    snprintf(out->id, sizeof out->id, "%s", dbrows_get(opts, only, 0));
    snprintf(out->name, sizeof out->name, "%s", dbrows_get(opts, only, 1));
    out->score = SUGGEST_ONLY_CONTRACT_SCORE;
    out->reason = MATCH_NONE;
    out->reason_text = strcmp(kind, "recurring") ? "the account's only fixed-price contract"
                                                 : "the account's only recurring contract";
    return 1;
}

static void remembered(struct web *w, enum link_level level, long long conn, const char *src_id,
                       const char *prefix, char out[40])
{
    struct link_target t;
    out[0] = 0;
    if (link_remembered(w->db, w->sess->tenant_id, level, conn, src_id, &t) == 1)
        snprintf(out, 40, "%s%s", prefix, level == LINK_RESOURCE ? t.service_id : t.psa_id);
}

int suggest_account(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                    const char *name, struct suggestion *out)
{
    struct dbrows opts;
    char mem[40];
    if (mv_accounts(w->db, w->sess->tenant_id, psa_conn, &opts) < 0)
        return 0;
    remembered(w, LINK_COMPANY, src_conn, src_id, "", mem);
    int found = suggest_from(&opts, 0, 1, -1, name, "", mem, MATCH_COMPANY, out);
    dbrows_free(&opts);
    return found;
}

int suggest_contract(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                     const char *name, const char *cycle, const char *account, struct suggestion *out)
{
    struct dbrows opts;
    char mem[40];
    if (mv_contracts(w->db, w->sess->tenant_id, psa_conn, account, web_today(w), 0, 0, &opts) < 0)
        return 0;
    remembered(w, LINK_SUBSCRIPTION, src_conn, src_id, "", mem);
    int found = suggest_contract_from(&opts, name, cycle, mem, out);
    dbrows_free(&opts);
    return found;
}

int suggest_service(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                    const char *name, const char *sku, const char *contract, struct suggestion *out)
{
    struct dbrows opts;
    char mem[40];
    if (mv_services(w->db, w->sess->tenant_id, psa_conn, contract, &opts) < 0)
        return 0;
    remembered(w, LINK_RESOURCE, src_conn, src_id, "svc:", mem);
    int found = suggest_from(&opts, 0, 1, 2, name, sku, mem, MATCH_PRODUCT, out);
    dbrows_free(&opts);
    return found;
}
