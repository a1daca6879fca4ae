/* page_charge_detail.c: GET /reports/charges/<id> (any role): one one-time charge billsync
 * created or tried to create in the PSA (an annual subscription's term, a month's usage),
 * linked from the failure log: what it bills (company, subscription, resource, by name), the
 * PSA contract and service, its date, quantity and prices, its state and last error, the
 * PSA's charge id, and every attempt, oldest first (time, what was asked, what the PSA
 * answered, the outcome: created, found already there under its key, or failed). Another
 * tenant's charge, or an unknown id, is a 404 that says only that there is no such charge. */
#include "web/pages.h"

#include "common/log.h"
#include "db/charges.h"
#include "web/detail.h"

#include <stdio.h>
#include <string.h>

#define PREFIX "/reports/charges/"

static const char *const outcome_labels[][2] = {
    {"created", "created"},
    {"found", "found: the PSA had it already (an earlier answer was lost)"},
    {"failed", "failed"},
};

void page_charge_detail(struct web *w)
{
    long long id = 0;
    struct dbrows c;
    struct attempt_list t;
    if (req_path_id(&w->req, PREFIX, &id) < 0) {
        web_error(w, 404, "There is no such charge: a charge's page is /reports/charges/ followed by its number.");
        return;
    }
    int found = charges_get(w->db, w->sess->tenant_id, id, &c);
    int listed = found == 1 ? charges_attempts(w->db, w->sess->tenant_id, id, &t) : 0;
    char missing[160];
    snprintf(missing, sizeof missing, "There is no charge %lld among your company's charges.", id);
    if (!detail_begin(w, "charge", "Charge", id, found, listed, &c, missing))
        return;
    hset(w, "Detail.id", dbrows_get(&c, 0, CG_ID));
    const char *state = dbrows_get(&c, 0, CG_STATE), *kind = dbrows_get(&c, 0, CG_KIND);
    hset(w, "Detail.state", state);
    struct detail_fields f = {w, 0};
    detail_text(&f, "description", "Charge", dbrows_get(&c, 0, CG_DESCRIPTION));
    detail_text(&f, "kind", "Kind", !strcmp(kind, "annual") ? "annual subscription (one charge per term and seats)"
                                                             : "usage (one charge per resource and month)");
    detail_text(&f, "company", "Company", dbrows_get(&c, 0, CG_COMPANY));
    detail_text(&f, "subscription", "Subscription", dbrows_get(&c, 0, CG_SUBSCRIPTION));
    if (!strcmp(kind, "usage"))
        detail_text(&f, "resource", "Resource", dbrows_get(&c, 0, CG_RESOURCE));
    detail_text(&f, "account", "PSA customer", dbrows_get(&c, 0, CG_ACCOUNT));
    detail_text(&f, "contract", "Contract", dbrows_get(&c, 0, CG_CONTRACT));
    detail_opt(&f, "service", "Service", dbrows_get(&c, 0, CG_SERVICE));
    detail_text(&f, "date", "Charge date", dbrows_get(&c, 0, CG_DATE));
    detail_qty(&f, "quantity", "Quantity", dbrows_get(&c, 0, CG_QTY), 0);
    detail_money(&f, "price", "Unit price", dbrows_get(&c, 0, CG_PRICE));
    detail_money(&f, "cost", "Unit cost", dbrows_get(&c, 0, CG_COST));
    detail_text(&f, "state", "State", state);
    detail_text(&f, "attempts", "Attempts", dbrows_get(&c, 0, CG_ATTEMPTS));
    if (!strcmp(state, "failed")) {
        detail_text(&f, "next_try", "Next try",
                    !strcmp(kind, "annual") ? "with the next sync"
                                            : "with the syncs of a month's first three days, or by applying "
                                              "that month's billing review");
        detail_text(&f, "error", "Last error", dbrows_get(&c, 0, CG_ERROR));
    }
    detail_opt(&f, "psa_id", "PSA charge id", dbrows_get(&c, 0, CG_PSA_ID));
    detail_text(&f, "key", "Charge key", dbrows_get(&c, 0, CG_KEY));
    detail_text(&f, "created", "First attempt", dbrows_get(&c, 0, CG_CREATED));
    detail_text(&f, "updated", "Last attempt", dbrows_get(&c, 0, CG_UPDATED));
    detail_attempts(w, &t, outcome_labels, sizeof outcome_labels / sizeof outcome_labels[0]);
    dbrows_free(&c);
    DB_LIST_FREE(&t);
    web_render(w, "charge_detail.cs");
}
