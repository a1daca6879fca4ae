/* review_grid.c: a review line's link, validation and display text (see review_grid.h).
 *
 * Validation, per line:
 *   - the line's resource is linked and its service is on the linked contract (PSA cache):
 *       recurring lines compare the billed quantity with the PSA units → quantity mismatch,
 *       then the unit prices when both are known → price mismatch, else matched; usage
 *       lines (one charge a month) and other charge types are matched on the link alone;
 *   - an annual line whose subscription is linked to a contract is matched: it becomes one
 *     charge on that contract (worker/charges.c), whatever the resource's link;
 *   - linked, but the service is not on the contract → missing in PSA;
 *   - not linked, but the PSA has (linked or suggested) the customer → missing in PSA: the
 *     contract or the service still has to be linked or created;
 *   - not linked and nothing suggested → unmapped.
 * The PSA units are the cache's (last refresh), except after a change of this review was
 * verified: then the units it set. */
#include "web/review_grid.h"

#include "web/reports.h"

#include <stdio.h>
#include <string.h>

const struct review_cell_def review_cells[RC_NCELLS] = {
    [RC_CUSTOMER] = {"customer", "Customer"},
    [RC_SUBSCRIPTION] = {"subscription", "Subscription ID"},
    [RC_CONTRACT] = {"contract", "Contract"},
    [RC_PRODUCT] = {"product", "Product / service"},
    [RC_PLAN] = {"plan", "Billing plan"},
    [RC_PERIOD] = {"period", "Billing period"},
    [RC_CYCLE] = {"cycle", "Billing cycle"},
    [RC_TERM] = {"term", "Commitment (months)"},
    [RC_QTY] = {"qty", "Quantity"},
    [RC_UNITS] = {"units", "Units"},
    [RC_UNIT_COST] = {"unit_cost", "Unit cost"},
    [RC_COST] = {"cost", "Cost"},
    [RC_EFFECTIVE] = {"effective", "Effective date"},
    [RC_STATUS] = {"status", "Status"},
    [RC_DECISION] = {"decision", "Decision"},
    [RC_DECIDED_BY] = {"decided_by", "Decided by"},
    [RC_DECIDED_AT] = {"decided_at", "Decided at"},
    [RC_NOTE] = {"note", "Note"},
    [RC_RESULT] = {"result", "Result"},
};

static const char *const names[] = {"matched", "quantity_mismatch", "price_mismatch", "missing", "unmapped"};
static const char *const labels[] = {"matched", "quantity mismatch", "price mismatch", "missing in PSA", "unmapped"};

const char *review_status_name(enum review_status s)
{
    return names[s];
}

const char *review_status_label(enum review_status s)
{
    return labels[s];
}

const char *review_result_label(const char *st)
{
    if (!st || !*st)
        return "";
    if (!strcmp(st, "awaiting_approval"))
        return "awaiting approval";
    return st;
}

static const char *cell(const struct dbrows *r, int i, int c)
{
    const char *v = dbrows_get(r, i, c);
    return v ? v : "";
}

static void set(struct review_line *L, int c, const char *v)
{
    snprintf(L->cell[c], sizeof L->cell[c], "%s", v ? v : "");
}

static void fill_cells(const struct dbrows *r, int i, struct review_line *L)
{
    char q[MONEY_FMT_MAX];
    set(L, RC_CUSTOMER, cell(r, i, RL_COMPANY));
    set(L, RC_SUBSCRIPTION, cell(r, i, RL_SUB_SRC));
    set(L, RC_CONTRACT, *cell(r, i, RL_LINK_CONTRACT_NAME) ? cell(r, i, RL_LINK_CONTRACT_NAME)
                                                         : cell(r, i, RL_SUB_CONTRACT_NAME));
    set(L, RC_PRODUCT, cell(r, i, RL_PRODUCT));
    set(L, RC_PLAN, cell(r, i, RL_CHARGE_TYPE));
    snprintf(L->cell[RC_PERIOD], sizeof L->cell[RC_PERIOD], "%s – %s", cell(r, i, RL_PERIOD_START),
             cell(r, i, RL_PERIOD_END));
    set(L, RC_CYCLE, cell(r, i, RL_CYCLE));
    long long term = dbrows_int(r, i, RL_TERM, 0);
    if (term > 0)
        snprintf(L->cell[RC_TERM], sizeof L->cell[RC_TERM], "%lld", term);
    qty_format(dbrows_int(r, i, RL_QTY, 0), q, sizeof q);
    set(L, RC_QTY, q);
    report_money(dbrows_int(r, i, RL_UNIT_COST, 0), q, sizeof q);
    set(L, RC_UNIT_COST, q);
    report_money(dbrows_int(r, i, RL_EXT_COST, 0), q, sizeof q);
    set(L, RC_COST, q);
    set(L, RC_EFFECTIVE, *cell(r, i, RL_EFFECTIVE) ? cell(r, i, RL_EFFECTIVE) : cell(r, i, RL_PERIOD_START));
    const char *decision = cell(r, i, RL_DECISION);
    set(L, RC_DECISION, strcmp(decision, "none") ? decision : "");
    set(L, RC_DECIDED_BY, cell(r, i, RL_DECIDED_BY));
    set(L, RC_DECIDED_AT, cell(r, i, RL_DECIDED_AT));
    set(L, RC_NOTE, cell(r, i, RL_NOTE));
    const char *st = cell(r, i, RL_ADJ_STATE), *charge = cell(r, i, RL_CHARGE_STATE);
    if (!*st && *charge)
        snprintf(L->cell[RC_RESULT], sizeof L->cell[RC_RESULT], "charge %s", charge);
    else if (!strcmp(st, "failed") && *cell(r, i, RL_ADJ_ERROR))
        snprintf(L->cell[RC_RESULT], sizeof L->cell[RC_RESULT], "failed: %s", cell(r, i, RL_ADJ_ERROR));
    else
        set(L, RC_RESULT, review_result_label(st));
}

/* Suggestions for the unlinked levels, top down; fills detail and the actions. */
static void unlinked(struct web *w, long long psa_conn, const struct dbrows *r, int i, int suggest,
                     struct review_line *L)
{
    char account[40], contract[40];
    snprintf(account, sizeof account, "%s", cell(r, i, RL_ACCOUNT));
    snprintf(contract, sizeof contract, "%s", cell(r, i, RL_SUB_CONTRACT));
    const char *level_word[] = {"customer", "contract", "service"};
    const int rows[] = {(int)(dbrows_int(r, i, RL_COMPANY_ROW, 0) > 0), (int)(dbrows_int(r, i, RL_SUB_ROW, 0) > 0),
                        (int)(dbrows_int(r, i, RL_RES_ROW, 0) > 0)};
    int linked[3] = {account[0] != 0, contract[0] != 0, 0};
    size_t used = 0;
    int any_psa = linked[0];
    for (int lv = 0; lv < 3; lv++) {
        const char *have = lv == 0 ? cell(r, i, RL_ACCOUNT_NAME) : lv == 1 ? cell(r, i, RL_SUB_CONTRACT_NAME) : "";
        int found = 0;
        if (!linked[lv] && suggest && psa_conn) {
            struct suggestion *s = &L->sug[lv];
            if (lv == 0)
                found = suggest_account(w, psa_conn, L->conn, cell(r, i, RL_COMPANY_SRC), cell(r, i, RL_COMPANY), s);
            else if (lv == 1 && account[0])
                found = suggest_contract(w, psa_conn, L->conn, cell(r, i, RL_SUB_SRC), cell(r, i, RL_SUB_NAME),
                                         cell(r, i, RL_CYCLE), account, s);
            else if (lv == 2 && contract[0])
                found = suggest_service(w, psa_conn, L->conn, cell(r, i, RL_RES_SRC), cell(r, i, RL_PRODUCT),
                                        cell(r, i, RL_SKU), contract, s);
            if (!found)
                s->id[0] = 0;
            else if (lv == 0)
                snprintf(account, sizeof account, "%s", s->id);
            else if (lv == 1)
                snprintf(contract, sizeof contract, "%s", s->id);
            if (found && lv == 0)
                any_psa = 1;
        }
        int k;
        if (linked[lv])
            k = snprintf(L->detail + used, sizeof L->detail - used, "%s%s linked (%s)", used ? "; " : "",
                         level_word[lv], have);
        else if (found)
            k = snprintf(L->detail + used, sizeof L->detail - used, "%s%s not linked, suggested: %s (%d%%)",
                         used ? "; " : "", level_word[lv], L->sug[lv].name, L->sug[lv].score);
        else
            k = snprintf(L->detail + used, sizeof L->detail - used, "%s%s not in the PSA", used ? "; " : "",
                         level_word[lv]);
        if (k > 0)
            used += (size_t)k < sizeof L->detail - used ? (size_t)k : sizeof L->detail - used - 1;
        /* the first unlinked level decides the action: link its suggestion, or create it */
        if (!linked[lv] && L->link_level < 0 && L->create_level < 0 && rows[lv]) {
            if (found)
                L->link_level = lv;
            else
                L->create_level = lv;
        }
        if (!linked[lv] && !found)
            break;                /* below a missing level nothing can be suggested */
    }
    L->status = any_psa ? RS_MISSING : RS_UNMAPPED;
}

void review_classify(struct web *w, long long psa_conn, const struct dbrows *r, int i, int suggest,
                     struct review_line *L)
{
    memset(L, 0, sizeof *L);
    L->link_level = L->create_level = -1;
    L->conn = dbrows_int(r, i, RL_CONN, 0);
    snprintf(L->key, sizeof L->key, "%lld:%s", L->conn, cell(r, i, RL_LINE_ID));
    L->link_id = dbrows_int(r, i, RL_LINK_ID, 0);
    L->psa_conn = dbrows_int(r, i, RL_LINK_PSA_CONN, 0);
    L->qty = dbrows_int(r, i, RL_QTY, 0);
    L->recurring = !strcmp(cell(r, i, RL_CHARGE_TYPE), "recurring");
    fill_cells(r, i, L);
    char q[MONEY_FMT_MAX], p[MONEY_FMT_MAX];
    const char *type = cell(r, i, RL_CHARGE_TYPE);
    int annual = !strcmp(cell(r, i, RL_CYCLE), "annual") && strcmp(type, "usage") && strcmp(type, "refund");
    L->charge_posted = !strcmp(cell(r, i, RL_CHARGE_STATE), "posted");
    if (annual && *cell(r, i, RL_SUB_CONTRACT)) {
        /* An annual line is one charge on the subscription's contract: no service needed. */
        L->charge = 1;
        L->status = RS_MATCHED;
        snprintf(L->detail, sizeof L->detail, "annual: one charge on the contract %s for the term",
                 cell(r, i, RL_SUB_CONTRACT_NAME));
    } else if (!L->link_id) {
        unlinked(w, psa_conn, r, i, suggest, L);
    } else if (!dbrows_int(r, i, RL_CS_FOUND, 0)) {
        L->status = RS_MISSING;
        snprintf(L->detail, sizeof L->detail, "the service %s is not on the contract %s", cell(r, i, RL_SERVICE_NAME),
                 cell(r, i, RL_LINK_CONTRACT_NAME));
        L->can_update = L->recurring && L->qty > 0;
    } else {
        L->linked_service = 1;
        qty_t units = dbrows_int(r, i, RL_CS_UNITS, 0);
        if (!strcmp(cell(r, i, RL_ADJ_STATE), "verified"))
            units = dbrows_int(r, i, RL_ADJ_DESIRED, 0);
        qty_format(units, q, sizeof q);
        set(L, RC_UNITS, q);
        money_t src_price = dbrows_int(r, i, RL_UNIT_PRICE, 0), psa_price = dbrows_int(r, i, RL_PSA_PRICE, 0);
        if (L->recurring && L->qty != units) {
            L->status = RS_QTY;
            char b[MONEY_FMT_MAX];
            qty_format(L->qty, b, sizeof b);
            snprintf(L->detail, sizeof L->detail, "the distributor bills %s, the PSA has %s", b, q);
            L->can_update = 1;
        } else if (L->recurring && src_price && psa_price && src_price != psa_price) {
            L->status = RS_PRICE;
            report_money(src_price, q, sizeof q);
            report_money(psa_price, p, sizeof p);
            snprintf(L->detail, sizeof L->detail, "unit price %s at the distributor, %s in the PSA", q, p);
        } else {
            L->status = RS_MATCHED;
            L->charge = !strcmp(type, "usage");
            snprintf(L->detail, sizeof L->detail, "%s", L->recurring ? "quantity and price agree"
                                                        : L->charge ? "usage: one charge for the month on the service"
                                                                    : "not a recurring line: the link is checked");
        }
    }
    set(L, RC_STATUS, review_status_label(L->status));
}
