/* page_adjustment_detail.c: GET /reports/adjustments/<id> (any role): one adjustment of the
 * ledger, linked from the adjustment log and the failure log: what it changes (the source
 * resource and the PSA contract service, by name), the units before and desired, the change,
 * its effective date and estimate, its state, the last error or note, who decided on it, and
 * every attempt to post it, oldest first (time, what was asked, what the PSA answered, the
 * outcome): a failure that was resolved later keeps its history ("dropped", then "the PSA
 * already has 9 units"). Another tenant's adjustment, or an unknown id, is a 404 that says
 * only that there is no such adjustment. */
#include "web/pages.h"

#include "common/log.h"
#include "core/price_policy.h"
#include "db/adjust_view.h"
#include "web/detail.h"

#include <stdio.h>
#include <string.h>

#define PREFIX "/reports/adjustments/"

static const char *const outcome_labels[][2] = {
    {"posted", "posted"},
    {"verified", "posted and verified"},
    {"failed", "failed"},
    {"nothing_to_do", "nothing to do: the PSA had it"},
};

void page_adjustment_detail(struct web *w)
{
    long long id = 0;
    struct dbrows a;
    struct attempt_list t;
    if (req_path_id(&w->req, PREFIX, &id) < 0) {
        web_error(w, 404, "There is no such adjustment: an adjustment's page is /reports/adjustments/ followed by "
                          "its number.");
        return;
    }
    int found = av_get(w->db, w->sess->tenant_id, id, &a);
    int listed = found == 1 ? av_attempts(w->db, w->sess->tenant_id, id, &t) : 0;
    char missing[160];
    snprintf(missing, sizeof missing, "There is no adjustment %lld in your company's ledger.", id);
    if (!detail_begin(w, "adjustment", "Adjustment", id, found, listed, &a, missing))
        return;
    hset(w, "Detail.id", dbrows_get(&a, 0, AD_ID));
    const char *state = dbrows_get(&a, 0, AD_STATE);
    hset(w, "Detail.state", state);
    struct detail_fields f = {w, 0};
    detail_text(&f, "company", "Company", dbrows_get(&a, 0, AD_COMPANY));
    detail_text(&f, "subscription", "Subscription", dbrows_get(&a, 0, AD_SUBSCRIPTION));
    detail_text(&f, "resource", "Resource", dbrows_get(&a, 0, AD_RESOURCE));
    detail_text(&f, "account", "PSA customer", dbrows_get(&a, 0, AD_ACCOUNT));
    detail_text(&f, "contract", "Contract", dbrows_get(&a, 0, AD_CONTRACT));
    detail_text(&f, "service", "Service", dbrows_get(&a, 0, AD_SERVICE));
    char link[64];
    snprintf(link, sizeof link, "resource link %s, planned by %s", dbrows_get(&a, 0, AD_LINK),
             dbrows_get(&a, 0, AD_ORIGIN));
    detail_text(&f, "link", "Link", link);
    const char *kind = dbrows_get(&a, 0, AD_KIND);
    if (kind && !strcmp(kind, "cost")) {
        /* a cost change (doc/ledger.md "Cost and price"): its costs, prices and margins */
        char text[200];
        price_change_text(dbrows_int(&a, 0, AD_COST_BEFORE, 0), dbrows_int(&a, 0, AD_NEW_COST, 0),
                          dbrows_int(&a, 0, AD_PRICE_BEFORE, 0), dbrows_get(&a, 0, AD_NEW_PRICE) != NULL,
                          dbrows_int(&a, 0, AD_NEW_PRICE, 0), text, sizeof text);
        detail_text(&f, "change", "Cost change", text);
        detail_money(&f, "cost_before", "Unit cost in the PSA before", dbrows_get(&a, 0, AD_COST_BEFORE));
        detail_money(&f, "new_cost", "New unit cost", dbrows_get(&a, 0, AD_NEW_COST));
        if (dbrows_get(&a, 0, AD_NEW_PRICE))
            detail_money(&f, "new_price", "New unit price", dbrows_get(&a, 0, AD_NEW_PRICE));
    } else {
        detail_qty(&f, "before", "Units in the PSA before", dbrows_get(&a, 0, AD_BEFORE), 0);
        detail_qty(&f, "desired", "Desired units", dbrows_get(&a, 0, AD_DESIRED), 0);
        detail_qty(&f, "change", "Unit change", dbrows_get(&a, 0, AD_CHANGE), 1);
    }
    detail_text(&f, "effective", "Effective date", dbrows_get(&a, 0, AD_EFFECTIVE));
    detail_money(&f, "price", "Unit price", dbrows_get(&a, 0, AD_PRICE));
    detail_money(&f, "amount", "Estimated amount (prorated)", dbrows_get(&a, 0, AD_AMOUNT));
    detail_text(&f, "state", "State", state);
    detail_text(&f, "attempts", "Attempts", dbrows_get(&a, 0, AD_ATTEMPTS));
    const char *next = dbrows_get(&a, 0, AD_NEXT);
    if (!strcmp(state, "failed"))
        detail_text(&f, "next_try", "Next try", *next ? next : "none scheduled: it needs you (retry or give up on "
                                                               "the failure log)");
    if (!strcmp(state, "failed"))
        detail_text(&f, "error", "Last error", dbrows_get(&a, 0, AD_ERROR));
    else
        detail_opt(&f, "error", "Note", dbrows_get(&a, 0, AD_ERROR));
    detail_opt(&f, "psa_ref", "PSA reference", dbrows_get(&a, 0, AD_PSA_REF));
    detail_text(&f, "created", "Planned", dbrows_get(&a, 0, AD_CREATED));
    detail_opt(&f, "posted", "Posted", dbrows_get(&a, 0, AD_POSTED));
    detail_opt(&f, "decided_by", "Decided by", dbrows_get(&a, 0, AD_DECIDED_BY));
    detail_opt(&f, "decided_at", "Decided", dbrows_get(&a, 0, AD_DECIDED_AT));
    detail_opt(&f, "decision", "Decision note", dbrows_get(&a, 0, AD_NOTE));
    detail_attempts(w, &t, outcome_labels, sizeof outcome_labels / sizeof outcome_labels[0]);
    dbrows_free(&a);
    DB_LIST_FREE(&t);
    web_render(w, "adjustment_detail.cs");
}
