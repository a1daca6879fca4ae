/* page_checklist.c: GET /checklist (any role): doc/seeds.md 001's "Pre-Invoicing Check-List" as a
 * page: what is left before the month can be invoiced, each item with its count and the page
 * that clears it, and "Ready to invoice" once every item is clear.
 *
 *   Unlinked subscriptions   active resources with no PSA link (/reports/unlinked?status=active):
 *                            seats that would go un-invoiced, and usage (GB) apart, as that
 *                            report's count total shows them
 *   Failures                 changes and one-time charges the PSA refused (/reports/failures,
 *                            back to the oldest)
 *   Awaiting approval        changes waiting for a person (/approvals)
 *   PSA drift                services whose PSA units differ from billsync's last verified post
 *                            (db/dashboard.h), shown on /reports/linked sorted by difference
 *   Monthly billing review   the previous month (in the tenant's time zone) has a billing
 *                            review and it was approved (/review/YYYY-MM)
 * and, for information (it does not hold the verdict back: a low margin is a pricing decision,
 * not a billing error), the margin report's flagged rows (db/margin.h MARGIN_FLAGGED_HREF).
 * Counts as on the dashboard (db/dashboard.h). */
#include "web/pages.h"

#include "common/log.h"
#include "core/cdate.h"
#include "core/margin.h"
#include "db/accounts.h"
#include "db/dashboard.h"
#include "db/margin.h"
#include "web/reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const month_names[] = {"January", "February", "March",     "April",   "May",      "June",
                                          "July",    "August",   "September", "October", "November", "December"};

struct items {
    struct web *w;
    int n, open;
};

static void item(struct items *it, const char *key, const char *label, long long count, const char *count_text,
                 int clear, const char *href, const char *todo, const char *done)
{
    struct web *w = it->w;
    int i = it->n++;
    hsetf(w, key, "Items.%d.key", i);
    hsetf(w, label, "Items.%d.label", i);
    char num[24];
    snprintf(num, sizeof num, "%lld", count);
    hsetf(w, num, "Items.%d.count", i);
    hsetf(w, count_text ? count_text : num, "Items.%d.count_text", i);
    hsetf(w, clear ? "1" : "0", "Items.%d.clear", i);
    hsetf(w, href, "Items.%d.href", i);
    hsetf(w, clear ? done : todo, "Items.%d.detail", i);
    if (!clear) {
        it->open++;
        hsetf(w, todo, "Left.%d", i);   /* named in the "not ready" verdict */
    }
}

static const char *plural(long long n, const char *one, const char *many) { return n == 1 ? one : many; }

void page_checklist(struct web *w)
{
    struct dash_counts c;
    hset(w, "Page.title", "Pre-invoicing checklist");
    if (dash_counts(w->db, w->sess->tenant_id, utc_today(), &c) < 0) {
        log_error("checklist: %s", db_error(w->db));
        web_error(w, 503, "The checklist could not be read. Try again in a minute.");
        return;
    }
    /* The month to invoice is the one that ended: the previous month of the tenant's today. */
    cdate_t today = web_today(w), prev;
    if (!cdate_valid(today) || cdate_add_months(cdate_make(today.y, today.m, 1), -1, &prev) < 0) {
        web_error(w, 500, "Today's date could not be worked out.");
        return;
    }
    char month[8], month_label[32];
    snprintf(month, sizeof month, "%04d-%02d", prev.y, prev.m);
    snprintf(month_label, sizeof month_label, "%s %d", month_names[(prev.m - 1) % 12], prev.y);
    int review = dash_review_state(w->db, w->sess->tenant_id, month);
    if (review < 0) {
        log_error("checklist: %s", db_error(w->db));
        web_error(w, 503, "The checklist could not be read. Try again in a minute.");
        return;
    }

    struct items it = {.w = w};
    char todo[300], done[200], href[120], seats[MONEY_FMT_MAX], gb[MONEY_FMT_MAX], what[2 * MONEY_FMT_MAX + 40];

    /* what they hold: seats, and usage apart in its unit */
    if (qty_format(c.unbilled_qty, seats, sizeof seats) < 0)
        snprintf(seats, sizeof seats, "?");
    if (qty_format(c.unbilled_usage_qty, gb, sizeof gb) < 0)
        snprintf(gb, sizeof gb, "?");
    if (c.unbilled_usage_rows && c.unbilled_seat_rows)
        snprintf(what, sizeof what, " (%s seats; %s " REPORT_USAGE_UNIT " of usage)", seats, gb);
    else if (c.unbilled_usage_rows)
        snprintf(what, sizeof what, " (%s " REPORT_USAGE_UNIT " of usage)", gb);
    else if (c.unbilled_seat_rows)
        snprintf(what, sizeof what, " (%s seat%s)", seats, c.unbilled_qty == 1000 ? "" : "s");
    else
        what[0] = 0;
    snprintf(todo, sizeof todo, "%lld unlinked %s%s: link %s on the Billing page or in the PSA", c.unlinked_active,
             plural(c.unlinked_active, "subscription", "subscriptions"), what, plural(c.unlinked_active, "it", "them"));
    item(&it, "unlinked", "Unlinked subscriptions", c.unlinked_active, NULL, c.unlinked_active == 0,
         "/reports/unlinked?status=active", todo, "Every active subscription is linked to the PSA.");

    struct strbuf url;
    strbuf_init(&url);
    report_failures_url(c.failed ? c.oldest_failed : NULL, &url);
    snprintf(href, sizeof href, "%s", strbuf_cstr(&url));
    strbuf_free(&url);
    long long failed_adj = c.failed - c.failed_charges;
    if (!c.failed_charges)
        snprintf(todo, sizeof todo, "%lld failed %s: retry or give up on the failure log", failed_adj,
                 plural(failed_adj, "adjustment", "adjustments"));
    else if (!failed_adj)
        snprintf(todo, sizeof todo, "%lld failed %s: see why on the failure log", c.failed_charges,
                 plural(c.failed_charges, "charge", "charges"));
    else
        snprintf(todo, sizeof todo, "%lld failed %s and %lld failed %s: see the failure log", failed_adj,
                 plural(failed_adj, "adjustment", "adjustments"), c.failed_charges,
                 plural(c.failed_charges, "charge", "charges"));
    item(&it, "failures", "Failed adjustments and charges", c.failed, NULL, c.failed == 0, href, todo,
         "No change or charge is stuck: the PSA accepted every one.");

    snprintf(todo, sizeof todo, "%lld %s awaiting approval: approve or reject %s", c.awaiting,
             plural(c.awaiting, "change", "changes"), plural(c.awaiting, "it", "them"));
    item(&it, "approvals", "Changes awaiting approval", c.awaiting, NULL, c.awaiting == 0, "/approvals", todo,
         "No change is waiting for a person.");

    snprintf(todo, sizeof todo, "%lld %s with PSA drift: the PSA was edited since billsync posted", c.drift,
             plural(c.drift, "service", "services"));
    item(&it, "drift", "PSA drift", c.drift, NULL, c.drift == 0, "/reports/linked?sort=diff&dir=desc", todo,
         "The PSA holds what billsync last posted.");

    snprintf(todo, sizeof todo, "the billing review of %s is %s", month_label,
             review == DASH_REVIEW_OPEN ? "not approved yet" : "not done");
    snprintf(done, sizeof done, "The billing review of %s is approved.", month_label);
    snprintf(href, sizeof href, "/review/%s", month);
    item(&it, "review", "Monthly billing review", review == DASH_REVIEW_APPROVED ? 0 : 1,
         review == DASH_REVIEW_APPROVED ? "approved" : review == DASH_REVIEW_OPEN ? "not approved" : "not done",
         review == DASH_REVIEW_APPROVED, href, todo, done);
    hset(w, "Review.month", month);
    hset(w, "Review.label", month_label);

    long long flagged;
    int threshold;
    if (margin_flagged_count(w->db, w->sess->tenant_id, &flagged) < 0 ||
        margin_threshold_get(w->db, w->sess->tenant_id, &threshold) < 0) {
        log_error("checklist: %s", db_error(w->db));
        web_error(w, 503, "The checklist could not be read. Try again in a minute.");
        return;
    }
    char thr[16];
    margin_pct_format(threshold, thr, sizeof thr);
    hset_int(w, "Margin.count", flagged);
    hset(w, "Margin.threshold", thr);
    hset(w, "Margin.href", MARGIN_FLAGGED_HREF);

    if (it.open == 0)
        hset(w, "Ready", "1");
    else
        hset_int(w, "Open", it.open);
    web_render(w, "checklist.cs");
}
