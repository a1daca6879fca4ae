/* page_report_adjustments.c: /reports/adjustments, the adjustment log (doc/seeds.md 001
 * "Successful Adjustments Log", figures 3-6 to 3-9): every change of units billsync posted to
 * the PSA or tried to (verified and failed adjustments), created within the date range (the
 * last 30 days unless chosen), with the names of what it concerns, the estimated prorated
 * amount, its state and attempts; totals, a per-day chart and the CSV export. A row's date
 * opens the adjustment's page with every attempt (/reports/adjustments/<id>). Failures have
 * their own report with the actions (/reports/failures). */
#include "web/pages.h"
#include "web/reports.h"

static const struct report_col cols[] = {
    {"date", "Adjustment date", 0},
    {"company", "Company", 0},
    {"subscription", "Subscription", 0},
    {"resource", "Resource", 0},
    {"account", "PSA customer", 0},
    {"contract", "Contract", 0},
    {"service", "Service", 0},
    {"change", "Unit change", 1},
    {"effective", "Effective date", 0},
    {"amount", "Estimated amount", 1},
    {"state", "State", 0},
    {"attempts", "Attempts", 1},
};

static const struct report_def def = {
    .kind = REPORT_ADJUSTMENTS,
    .path = "/reports/adjustments",
    .title = "Adjustment log",
    .tmpl = "report_adjustments.cs",
    .csv_name = "adjustment-log.csv",
    .cols = cols,
    .ncols = (int)(sizeof cols / sizeof cols[0]),
    .qty_col = 7,
    .value_col = 9,
    .cells = report_adjustment_cells,
    REPORT_LEDGER_LOG,
    .chart_title = "Adjustments per day",
    .qty_signed = 1,
    .money_decimals = 2,
};

void page_report_adjustments(struct web *w) { report_serve(w, &def); }
