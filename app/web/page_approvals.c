/* page_approvals.c: /approvals (billing): seat changes waiting for a person (tenant or link
 * policy "require approval", or PSA drift held for review): approve or reject, singly or in
 * bulk; a rejection records who and why. */
#include "web/pages.h"

#include "common/log.h"
#include "core/money.h"
#include "core/price_policy.h"
#include "db/adjust_view.h"
#include "db/jobs.h"
#include "db/ledger.h"
#include "web/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 500

static void decide(struct web *w)
{
    const char *action = req_form(&w->req, "action");
    int approve = action && !strcmp(action, "approve"), reject = action && !strcmp(action, "reject");
    if (!approve && !reject) {
        web_error(w, 400, "Choose Approve or Reject.");
        return;
    }
    const char *why = req_form(&w->req, "reason");
    if (reject && (!why || !*why || strlen(why) > 500)) {
        web_flash(w, "Say why you reject (at most 500 characters). Nothing was changed.");
        web_redirect(w, "/approvals");
        return;
    }
    int done = 0;
    for (int k = 0; k < w->req.form.n; k++) {
        if (strcmp(w->req.form.items[k].key, "pick"))
            continue;
        char *end;
        long long id = strtoll(w->req.form.items[k].val, &end, 10);
        if (*end || id <= 0)
            continue;
        int n = approve ? ledger_approve(w->db, w->sess->tenant_id, id, w->sess->user_id)
                        : ledger_reject(w->db, w->sess->tenant_id, id, w->sess->user_id, why);
        if (n == 1) {
            char subject[32];
            snprintf(subject, sizeof subject, "adjustment %lld", id);
            auth_audit(w, 0, 0, NULL, approve ? "adjustment.approved" : "adjustment.rejected", subject,
                       approve ? NULL : why);
            done++;
        }
    }
    if (approve && done)
        jobs_enqueue(w->db, w->sess->tenant_id, "post", NULL, NULL, 0, NULL);
    char msg[120];
    if (!done)
        snprintf(msg, sizeof msg, "Choose at least one change waiting for approval.");
    else
        snprintf(msg, sizeof msg, approve ? "Approved %d change%s; posting to the PSA now." : "Rejected %d change%s.",
                 done, done == 1 ? "" : "s");
    web_flash(w, msg);
    web_redirect(w, "/approvals");
}

void page_approvals(struct web *w)
{
    if (req_is_post(&w->req)) {
        decide(w);
        return;
    }
    struct dbrows r;
    if (av_list(w->db, w->sess->tenant_id, "awaiting_approval", MAX_ROWS, &r) < 0) {
        log_error("approvals: %s", db_error(w->db));
        web_error(w, 503, "The changes could not be read. Try again in a minute.");
        return;
    }
    /* the columns shown as they are */
    static const char *const cols[AVL_BEFORE] = {
        [AVL_ID] = "id", [AVL_COMPANY] = "company", [AVL_SUBSCRIPTION] = "subscription", [AVL_RESOURCE] = "resource",
        [AVL_ACCOUNT] = "account", [AVL_CONTRACT] = "contract", [AVL_SERVICE] = "service"};
    money_t total = 0;
    for (int i = 0; i < r.nrows; i++) {
        for (int c = 0; c < AVL_BEFORE; c++)
            hsetf(w, dbrows_get(&r, i, c), "Rows.%d.%s", i, cols[c]);
        char q[32];
        qty_format(dbrows_int(&r, i, AVL_BEFORE, 0), q, sizeof q);
        hsetf(w, q, "Rows.%d.from", i);
        qty_format(dbrows_int(&r, i, AVL_DESIRED, 0), q, sizeof q);
        hsetf(w, q, "Rows.%d.to", i);
        long long change = dbrows_int(&r, i, AVL_CHANGE, 0);
        qty_format(change, q, sizeof q);
        char signed_q[40];
        snprintf(signed_q, sizeof signed_q, "%s%s", change > 0 ? "+" : "", q);
        hsetf(w, signed_q, "Rows.%d.change", i);
        hsetf(w, dbrows_get(&r, i, AVL_EFFECTIVE), "Rows.%d.effective", i);
        money_t amount = dbrows_int(&r, i, AVL_AMOUNT, 0);
        money_add(total, amount, &total);
        char m[40];
        money_format(amount, m, sizeof m, 2);
        hsetf(w, m, "Rows.%d.amount", i);
        const char *kind = dbrows_get(&r, i, AVL_KIND);
        if (kind && !strcmp(kind, "cost")) {
            /* a cost change: the old and new cost and price and the margin either side */
            char text[200];
            price_change_text(dbrows_int(&r, i, AVL_COST_BEFORE, 0), dbrows_int(&r, i, AVL_NEW_COST, 0),
                              dbrows_int(&r, i, AVL_PRICE_BEFORE, 0), dbrows_get(&r, i, AVL_NEW_PRICE) != NULL,
                              dbrows_int(&r, i, AVL_NEW_PRICE, 0), text, sizeof text);
            hsetf(w, text, "Rows.%d.cost", i);
        } else {
            hsetf(w, dbrows_get(&r, i, AVL_NOTE), "Rows.%d.note", i);
        }
        hsetf(w, dbrows_get(&r, i, AVL_CREATED), "Rows.%d.created", i);
    }
    char m[40];
    money_format(total, m, sizeof m, 2);
    hset(w, "TotalAmount", m);
    hset_int(w, "Count", r.nrows);
    dbrows_free(&r);
    hset(w, "Page.title", "Approvals");
    web_render(w, "approvals.cs");
}
