/* page_report_unlinked.c: /reports/unlinked (doc/seeds.md 001 "Unlinked Subscriptions"): what
 * cannot be billed yet (db/reports.h: no active resource link, and not an annual subscription
 * billed by charges), with its monthly value at cost, computed exactly with core/money.h by
 * report_monthly_value (web/reports.h): count × unit cost, and for an annual subscription,
 * whose unit cost is for a year, a twelfth of it to the cent. A display figure: the
 * distributor's billing lines, not this product, are what the MSP pays. The billing column
 * says which rule a row follows; usage counts are GB, totalled apart from seats. */
#include "web/pages.h"
#include "web/reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct report_col cols[] = {
    {"source", "Source", 0},
    {"company", "Company", 0},
    {"subscription", "Subscription", 0},
    {"resource", "Resource", 0},
    {"billing", "Billing", 0},
    {"count", "Count", 1},
    {"unit_cost", "Unit cost per period", 1},
    {"value", "Monthly value at cost", 1},
    {"currency", "Currency", 0},
};

static const char *billing_label(const char *cycle)
{
    if (!cycle)
        return "";
    if (!strcmp(cycle, "annual"))
        return "annual (\xc3\xb7 12)";
    if (!strcmp(cycle, "usage"))
        return "usage (" REPORT_USAGE_UNIT ")";
    if (!strcmp(cycle, "one_time"))
        return "one-time";
    return cycle;
}

/* in: enum report_unlinked_col (db/reports.h); source to resource shown as they are */
static void cells(char *const *in, struct report_cells *out)
{
    for (int i = 0; i < RUN_QTY; i++)
        out->v[i] = in[i] ? in[i] : "";
    const char *cycle = in[RUN_CYCLE];
    qty_t q = in[RUN_QTY] ? strtoll(in[RUN_QTY], NULL, 10) : 0;
    money_t cost = in[RUN_UNIT_COST] ? strtoll(in[RUN_UNIT_COST], NULL, 10) : 0, value;
    out->v[4] = billing_label(cycle);
    report_qty_unit(q, cycle, out->buf[5], sizeof out->buf[5]);
    out->v[5] = out->buf[5];
    report_money(cost, out->buf[6], sizeof out->buf[6]);
    out->v[6] = out->buf[6];
    if (report_monthly_value(cost, q, cycle && !strcmp(cycle, "annual") ? 12 : 1, &value) == 0)
        report_money(value, out->buf[7], sizeof out->buf[7]);
    else
        snprintf(out->buf[7], sizeof out->buf[7], "too large");
    out->v[7] = out->buf[7];
    out->v[8] = in[RUN_CURRENCY] ? in[RUN_CURRENCY] : "";
}

static const struct report_def def = {
    .kind = REPORT_UNLINKED,
    .path = "/reports/unlinked",
    .title = "Unlinked subscriptions",
    .tmpl = "report_unlinked.cs",
    .csv_name = "unlinked-subscriptions.csv",
    .cols = cols,
    .ncols = (int)(sizeof cols / sizeof cols[0]),
    .qty_col = 5,
    .value_col = 7,
    .cells = cells,
    .filters = REPORT_F_SUBSCRIPTIONS | REPORT_F_NEW,
};

void page_report_unlinked(struct web *w) { report_serve(w, &def); }
