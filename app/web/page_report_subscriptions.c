/* page_report_subscriptions.c: /reports/subscriptions (doc/seeds.md 001 "Subscriptions Report"):
 * every distributor subscription and resource, with what it is linked to in the PSA. Counts
 * are seats, a usage resource's count is GB (shown with its unit), totalled apart. */
#include "web/pages.h"
#include "web/reports.h"

#include <stdlib.h>
#include <string.h>

static const struct report_col cols[] = {
    {"source", "Source", 0},
    {"company", "Company", 0},
    {"company_id", "Company ID", 0},
    {"subscription_id", "Subscription ID", 0},
    {"subscription", "Subscription", 0},
    {"resource_id", "Resource ID", 0},
    {"resource", "Resource", 0},
    {"count", "Count", 1},
    {"status", "Status", 0},
    {"linked", "Linked to", 0},
};

/* in: enum report_subs_col (db/reports.h); shown in that order up to linked_to (a usage count
 * is shown with its unit) */
static void cells(char *const *in, struct report_cells *out)
{
    for (int i = 0; i < RSU_CYCLE; i++)
        out->v[i] = in[i] ? in[i] : "";
    report_qty_unit(strtoll(out->v[RSU_QTY], NULL, 10), in[RSU_CYCLE], out->buf[RSU_QTY], sizeof out->buf[RSU_QTY]);
    out->v[RSU_QTY] = out->buf[RSU_QTY];
    if (in[RSU_LINKED_TO] && !strcmp(in[RSU_LINKED_TO], "not linked"))
        out->cls[RSU_LINKED_TO] = "muted";
}

static const struct report_def def = {
    .kind = REPORT_SUBSCRIPTIONS,
    .path = "/reports/subscriptions",
    .title = "Subscriptions report",
    .tmpl = "report_subscriptions.cs",
    .csv_name = "subscriptions-report.csv",
    .cols = cols,
    .ncols = (int)(sizeof cols / sizeof cols[0]),
    .qty_col = 7,
    .value_col = -1,
    .cells = cells,
};

void page_report_subscriptions(struct web *w) { report_serve(w, &def); }
