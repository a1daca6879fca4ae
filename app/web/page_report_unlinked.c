/* page_report_unlinked.c: /reports/unlinked (seed 001 "Unlinked Subscriptions"): what
 * cannot be billed yet (no active resource link), with its monthly value at cost: quantity ×
 * unit cost, computed exactly with core/money.h (a display figure: the distributor's billing
 * lines, not this product, are what the MSP pays). */
#include "web/pages.h"
#include "web/reports.h"

#include <stdio.h>
#include <stdlib.h>

static const struct report_col cols[] = {
    {"source", "Source", 0},
    {"company", "Company", 0},
    {"subscription", "Subscription", 0},
    {"resource", "Resource", 0},
    {"count", "Count", 1},
    {"unit_cost", "Unit cost", 1},
    {"value", "Monthly value at cost", 1},
    {"currency", "Currency", 0},
};

/* in: source, company, subscription, resource, quantity, unit_cost, currency */
static void cells(char *const *in, struct report_cells *out)
{
    for (int i = 0; i < 4; i++)
        out->v[i] = in[i] ? in[i] : "";
    qty_t q = in[4] ? strtoll(in[4], NULL, 10) : 0;
    money_t cost = in[5] ? strtoll(in[5], NULL, 10) : 0, value;
    out->v[4] = qty_format(q, out->buf[4], sizeof out->buf[4]) == 0 ? out->buf[4] : "";
    report_money(cost, out->buf[5], sizeof out->buf[5]);
    out->v[5] = out->buf[5];
    if (money_mul_qty(cost, q, &value) == 0)
        report_money(value, out->buf[6], sizeof out->buf[6]);
    else
        snprintf(out->buf[6], sizeof out->buf[6], "too large");
    out->v[6] = out->buf[6];
    out->v[7] = in[6] ? in[6] : "";
}

static const struct report_def def = {
    .kind = REPORT_UNLINKED,
    .path = "/reports/unlinked",
    .title = "Unlinked subscriptions",
    .tmpl = "report_unlinked.cs",
    .csv_name = "unlinked-subscriptions.csv",
    .cols = cols,
    .ncols = (int)(sizeof cols / sizeof cols[0]),
    .qty_col = 4,
    .value_col = 6,
    .cells = cells,
};

void page_report_unlinked(struct web *w) { report_serve(w, &def); }
