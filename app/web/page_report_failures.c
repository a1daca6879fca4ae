/* page_report_failures.c: /reports/failures, the failure log (doc/seeds.md 001 "Failing Adjustments
 * Log", figures 3-10 to 3-13): adjustments and one-time charges that could not be posted, with
 * the PSA's (or the planner's) reason right after the date (visible without scrolling), the
 * kind, the attempts so far and when the next one is due ("—" when it will not retry by
 * itself, e.g. a date outside the contract). Each row links to its detail page with every
 * attempt (/reports/adjustments/<id>, /reports/charges/<id>). Anyone may read and export it;
 * a billing user may retry a failed adjustment now (the worker posts it at once) or give it up
 * with a reason (it leaves the ledger's work as rejected). Both are audited. A failed charge
 * is tried again by the syncs (an annual charge by every sync, a usage charge by those of the
 * month's first three days and by applying the month's billing review). */
#include "web/pages.h"
#include "web/reports.h"

#include "db/jobs.h"
#include "db/ledger.h"
#include "web/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct report_col cols[] = {
    {"date", "Date", 0},
    {"error", "Reason", 0},
    {"kind", "Kind", 0},
    {"company", "Company", 0},
    {"subscription", "Subscription", 0},
    {"resource", "Resource or charge", 0},
    {"account", "PSA customer", 0},
    {"contract", "Contract", 0},
    {"service", "Service", 0},
    {"change", "Unit change", 1},
    {"effective", "Effective date", 0},
    {"amount", "Estimated amount", 1},
    {"attempts", "Attempts", 1},
    {"next_try", "Next try", 0},
};

/* in: enum report_failure_col (db/reports.h) */
static void cells(char *const *in, struct report_cells *out)
{
    int charge = in[RFA_KIND] && !strcmp(in[RFA_KIND], "charge");
    out->kind = charge ? "charge" : "adjustment";
    out->id = charge ? NULL : in[RFA_ID];       /* the row actions are the ledger's */
    report_cell_link(out, 0, charge ? "/reports/charges/" : "/reports/adjustments/", in[RFA_ID]);
    report_cell_text(out, 0, in[RFA_CREATED], "");
    report_cell_text(out, 1, in[RFA_ERROR], "");
    out->cls[1] = "error-text";
    report_cell_text(out, 2, out->kind, "");
    for (int i = 3; i < 9; i++)          /* company ... service */
        report_cell_text(out, i, in[RFA_COMPANY + (i - 3)], "");
    report_cell_qty(out, 9, in[RFA_CHANGE], 1);
    long long change = in[RFA_CHANGE] ? strtoll(in[RFA_CHANGE], NULL, 10) : 0;
    out->cls[9] = change > 0 ? "diff-up" : change < 0 ? "diff-down" : NULL;
    if (!charge && in[RFA_CHARGE_KIND] && !strcmp(in[RFA_CHARGE_KIND], "cost"))
        report_cell_text(out, 9, "cost change", "");   /* a change of cost, not of units */
    report_cell_text(out, 10, in[RFA_EFFECTIVE], "");
    money_t amount = 0;
    if (money_mul_qty(in[RFA_AMOUNT_UNIT] ? strtoll(in[RFA_AMOUNT_UNIT], NULL, 10) : 0,
                      in[RFA_AMOUNT_QTY] ? strtoll(in[RFA_AMOUNT_QTY], NULL, 10) : 0, &amount) < 0)
        report_cell_text(out, 11, "?", "");
    else
        report_cell_money_v(out, 11, amount, 2);
    report_cell_text(out, 12, in[RFA_ATTEMPTS], "0");
    /* A charge is tried again by the syncs, not on a timer of its own: an annual one by the
     * next sync, a usage one by the first syncs of a month or the month's review (—). */
    if (charge)
        report_cell_text(out, 13, in[RFA_CHARGE_KIND] && !strcmp(in[RFA_CHARGE_KIND], "annual") ? "next sync" : NULL,
                         "\xE2\x80\x94");
    else
        report_cell_text(out, 13, in[RFA_NEXT], "\xE2\x80\x94");   /* — : no retry scheduled */
}

static void audit(struct web *w, const char *action, long long id, const char *detail)
{
    char subject[40];
    snprintf(subject, sizeof subject, "adjustment %lld", id);
    auth_audit(w, 0, 0, NULL, action, subject, detail);
}

static int retry(struct web *w, long long id, const char *reason)
{
    (void)reason;
    int n = ledger_retry_now(w->db, w->sess->tenant_id, id, w->sess->user_id);
    if (n == 1)
        audit(w, "adjustment.retry", id, NULL);
    return n;
}

static void retried(struct web *w, int done, int asked)
{
    char msg[160];
    if (done && jobs_enqueue(w->db, w->sess->tenant_id, "post", "fresh", NULL, 0, NULL) < 0)
        snprintf(msg, sizeof msg, "Marked %d adjustment%s for a retry; the worker will post %s within minutes.",
                 done, done == 1 ? "" : "s", done == 1 ? "it" : "them");
    else if (done)
        snprintf(msg, sizeof msg, "Retrying %d adjustment%s now.", done, done == 1 ? "" : "s");
    else if (asked)
        snprintf(msg, sizeof msg, "Nothing was retried: the chosen adjustments are no longer failed.");
    else
        snprintf(msg, sizeof msg, "Choose at least one failed adjustment.");
    web_flash(w, msg);
}

static int give_up(struct web *w, long long id, const char *reason)
{
    int n = ledger_give_up(w->db, w->sess->tenant_id, id, w->sess->user_id, reason);
    if (n == 1)
        audit(w, "adjustment.given_up", id, reason);
    return n;
}

static void given_up(struct web *w, int done, int asked)
{
    char msg[160];
    if (done)
        snprintf(msg, sizeof msg, "Gave up %d adjustment%s: billsync will not post %s.", done,
                 done == 1 ? "" : "s", done == 1 ? "it" : "them");
    else if (asked)
        snprintf(msg, sizeof msg, "Nothing was given up: the chosen adjustments are no longer failed.");
    else
        snprintf(msg, sizeof msg, "Choose at least one failed adjustment.");
    web_flash(w, msg);
}

static const struct report_action actions[] = {
    {"retry", "Retry now", 0, 0, retry, retried},
    {"give_up", "Give up", 1, 1, give_up, given_up},
};

static const struct report_def def = {
    .kind = REPORT_FAILURES,
    .path = "/reports/failures",
    .title = "Failure log",
    .tmpl = "report_failures.cs",
    .csv_name = "failure-log.csv",
    .cols = cols,
    .ncols = (int)(sizeof cols / sizeof cols[0]),
    .qty_col = 9,
    .value_col = 11,
    .cells = cells,
    REPORT_LEDGER_LOG,
    .chart_title = "Failures per day",
    .qty_signed = 1,
    .money_decimals = 2,
    .actions = actions,
    .nactions = (int)(sizeof actions / sizeof actions[0]),
    .action_role = ROLE_BILLING,
    .row_noun = "adjustment",
};

void page_report_failures(struct web *w) { report_serve(w, &def); }
