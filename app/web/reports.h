/* reports.h: what the three subscription report pages share: filters and sort read from
 * the query string (checked against fixed lists), paging, the totals row, the licences-per-
 * customer bar chart and the CSV export (the same URL with format=csv). A report page only
 * describes its columns and turns one database row into display values. */
#ifndef BILLSYNC_WEB_REPORTS_H
#define BILLSYNC_WEB_REPORTS_H

#include "core/money.h"
#include "db/reports.h"
#include "web/web.h"

#define REPORT_MAX_COLS 12
#define REPORT_PAGE_SIZE 50
#define REPORT_MAX_PAGE 100000
#define REPORT_CHART_BARS 10

struct report_col {
    const char *key;              /* sort key (db/reports.h) */
    const char *label;            /* column heading, also the CSV header */
    int num;                      /* a number: right-aligned */
};

/* One row's values as shown (the CSV holds the same text). v[i] points into the database
 * row or into buf[i]; cls[i] is an optional CSS class for the cell. */
struct report_cells {
    const char *v[REPORT_MAX_COLS];
    const char *cls[REPORT_MAX_COLS];
    char buf[REPORT_MAX_COLS][MONEY_FMT_MAX];
};

struct report_def {
    enum report_kind kind;
    const char *path;             /* /reports/... */
    const char *title;
    const char *tmpl;             /* templates/report_*.cs */
    const char *csv_name;         /* download file name */
    const struct report_col *cols;
    int ncols;
    int qty_col;                  /* the column whose sum the totals row shows */
    int value_col;                /* the monthly value column (money totals per currency), or -1 */
    /* in: the database row (columns of db/reports.h for kind); NULL cells are SQL NULL. */
    void (*cells)(char *const *in, struct report_cells *out);
};

/* Serves the report: 400 on an unknown filter or sort, the HTML page, or the CSV export. */
void report_serve(struct web *w, const struct report_def *def);

/* Money as shown in reports: two decimals when exact, else all four ("3.60", "0.0125"). */
void report_money(money_t v, char *buf, size_t n);

#endif
