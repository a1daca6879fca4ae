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

/* ---- what may be a seat link ---- */

enum seat_rule seat_rule_for(const char *cycle, const char *contract_type)
{
    cycle = cycle ? cycle : "";
    contract_type = contract_type ? contract_type : "";
    if (!strcmp(cycle, "annual"))
        return SEAT_ANNUAL;
    if (!strcmp(cycle, "monthly") && *contract_type && strcmp(contract_type, "recurring"))
        return SEAT_NOT_RECURRING;
    return SEAT_OK;
}

static const char *type_words(const char *contract_type)
{
    if (!strcmp(contract_type, "fixed_price"))
        return "a fixed-price";
    if (!strcmp(contract_type, "one_time"))
        return "a one-time";
    return "a non-recurring";
}

void mapping_utf8_cut(const char *in, size_t max, char *out, size_t n)
{
    size_t len = strlen(in ? in : "");
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)in[len] & 0xC0) == 0x80)
            len--;                /* not inside a character */
    }
    snprintf(out, n, "%.*s", (int)len, in ? in : "");
}

void seat_refusal(enum seat_rule why, const char *name, const char *contract_type, const char *contract,
                  char *msg, size_t n)
{
    char nm[128], ct[128];        /* the sentence stays short enough for a flash message */
    mapping_utf8_cut(name, 120, nm, sizeof nm);
    mapping_utf8_cut(contract && *contract ? contract : "its contract", 120, ct, sizeof ct);
    if (why == SEAT_ANNUAL)
        snprintf(msg, n, "%s was not linked: it belongs to an annual subscription, which is billed as one-time "
                         "charges on the subscription's contract (one per term and seats), never as seat changes. "
                         "Linking the subscription to a contract is all it needs.", nm);
    else if (why == SEAT_NOT_RECURRING)
        snprintf(msg, n, "%s was not linked: \"%s\" is %s contract, and seat changes can only be posted to a "
                         "recurring contract. Link its subscription to a recurring contract first.", nm, ct,
                 type_words(contract_type ? contract_type : ""));
    else if (n)
        msg[0] = 0;
}

const char *seat_note(enum seat_rule why)
{
    if (why == SEAT_ANNUAL)
        return "Annual subscription: billed as one-time charges on the subscription's contract, no service link.";
    if (why == SEAT_NOT_RECURRING)
        return "The subscription's contract is not recurring: seat changes need a recurring contract. Link the "
               "subscription to one first.";
    return "";
}

enum seat_rule seat_rule_of(struct web *w, long long psa_conn, long long src_conn, const char *resource_src_id,
                            const char *contract, char cycle[16], char contract_type[16], char contract_name[256])
{
    char c[16], t[16], nm[256];
    if (mv_seat_facts(w->db, w->sess->tenant_id, src_conn, resource_src_id, psa_conn, contract, c, t, nm) != 1)
        c[0] = t[0] = nm[0] = 0;
    if (cycle)
        snprintf(cycle, 16, "%s", c);
    if (contract_type)
        snprintf(contract_type, 16, "%s", t);
    if (contract_name)
        snprintf(contract_name, 256, "%s", nm);
    return seat_rule_for(c, t);
}

/* ---- contracts ---- */

/* A contract a subscription of this billing cycle may be linked to: a monthly subscription's
 * seats need a recurring contract; the others are billed as charges, on any contract. */
static int contract_fits(const char *cycle, const char *type)
{
    return strcmp(cycle ? cycle : "", "monthly") || !strcmp(type, "recurring");
}

/* The contract kind that is the natural home of a subscription of this billing cycle. */
static int contract_of_kind(const char *cycle, const char *type)
{
    if (cycle && !strcmp(cycle, "annual"))
        return !strcmp(type, "fixed_price") || !strcmp(type, "one_time");
    return !strcmp(type, "recurring");
}

static void take(const struct dbrows *opts, int i, int score, const char *why, struct suggestion *out)
{
    snprintf(out->id, sizeof out->id, "%s", dbrows_get(opts, i, MVK_ID));
    snprintf(out->name, sizeof out->name, "%s", dbrows_get(opts, i, MVK_NAME));
    out->score = score;
    out->reason = MATCH_NONE;
    out->reason_text = why;
}

int suggest_contract_from(const struct dbrows *opts, const char *name, const char *cycle,
                          const char *remembered_id, int free_only, struct suggestion *out)
{
    if (opts->nrows == 0)
        return 0;
    /* the remembered contract, else by name, among the contracts that fit */
    struct match_candidate *c = calloc((size_t)opts->nrows, sizeof *c);
    int *row = calloc((size_t)opts->nrows, sizeof *row);
    size_t n = 0;
    if (!c || !row) {
        free(c);
        free(row);
        return 0;
    }
    for (int i = 0; i < opts->nrows; i++) {
        if (!contract_fits(cycle, dbrows_get(opts, i, MVK_TYPE)))
            continue;
        c[n].id = dbrows_get(opts, i, MVK_ID);
        c[n].name = dbrows_get(opts, i, MVK_NAME);
        c[n].sku = "";
        c[n].remembered = remembered_id && *remembered_id && !strcmp(c[n].id, remembered_id);
        row[n++] = i;
    }
    struct match_result m;
    int found = n && match_best(name, "", c, n, MATCH_PRODUCT, &m) == 1;
    if (found) {
        take(opts, row[m.index], m.score, match_reason_text(m.reason), out);
        out->reason = m.reason;
    }
    free(c);
    free(row);
    if (found)
        return 1;
    /* the one contract of the kind that holds the account's other subscriptions, else the
     * account's only contract of the kind */
    int shared = -1, nshared = 0, only = -1, nonly = 0;
    for (int i = 0; i < opts->nrows; i++) {
        if (!contract_of_kind(cycle, dbrows_get(opts, i, MVK_TYPE)))
            continue;
        nonly++;
        only = i;
        if (dbrows_int(opts, i, MVK_SUBS, 0) > 0) {
            nshared++;
            shared = i;
        }
    }
    if (nshared == 1) {
        take(opts, shared, SUGGEST_SHARED_CONTRACT_SCORE, "the contract of the account's other subscriptions", out);
        return 1;
    }
    if (nshared > 1 || nonly != 1)
        return 0;                 /* more than one: a person chooses */
    const char *type = dbrows_get(opts, only, MVK_TYPE);
    const char *why = !strcmp(type, "recurring")
                          ? (free_only ? "the account's only recurring contract not linked yet"
                                       : "the account's only recurring contract")
                      : !strcmp(type, "fixed_price")
                          ? (free_only ? "the account's only fixed-price contract not linked yet"
                                       : "the account's only fixed-price contract")
                          : (free_only ? "the account's only one-time contract not linked yet"
                                       : "the account's only one-time contract");
    take(opts, only, SUGGEST_ONLY_CONTRACT_SCORE, why, out);
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
    int found = suggest_from(&opts, MVA_ID, MVA_NAME, -1, name, "", mem, MATCH_COMPANY, out);
    dbrows_free(&opts);
    return found;
}

int suggest_contract_free(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                          const char *name, const char *cycle, const char *account, int free_only,
                          struct suggestion *out)
{
    struct dbrows opts;
    char mem[40];
    if (mv_contracts(w->db, w->sess->tenant_id, psa_conn, account, web_today(w), 0, !free_only, &opts) < 0)
        return 0;
    remembered(w, LINK_SUBSCRIPTION, src_conn, src_id, "", mem);
    int found = suggest_contract_from(&opts, name, cycle, mem, free_only, out);
    dbrows_free(&opts);
    return found;
}

int suggest_contract(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                     const char *name, const char *cycle, const char *account, struct suggestion *out)
{
    return suggest_contract_free(w, psa_conn, src_conn, src_id, name, cycle, account, 0, out);
}

int suggest_service(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                    const char *name, const char *sku, const char *contract, struct suggestion *out)
{
    struct dbrows opts;
    char mem[40];
    if (seat_rule_of(w, psa_conn, src_conn, src_id, contract, NULL, NULL, NULL) != SEAT_OK)
        return 0;
    if (mv_services(w->db, w->sess->tenant_id, psa_conn, contract, &opts) < 0)
        return 0;
    remembered(w, LINK_RESOURCE, src_conn, src_id, "svc:", mem);
    int found = suggest_from(&opts, MVV_VALUE, MVV_NAME, MVV_SKU, name, sku, mem, MATCH_PRODUCT, out);
    dbrows_free(&opts);
    return found;
}
