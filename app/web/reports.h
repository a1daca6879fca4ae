/* reports.h: what the report pages share: filters and sort read from the query string
 * (checked against fixed lists), an optional date range (defaulting to the last N days),
 * paging, the totals row, a chart (licences per customer, or rows per day over the date
 * range), the CSV export (the same URL with format=csv) and optional row actions (checkbox
 * per row, POSTed with the CSRF token; a role is needed to see and use them). A report page
 * only describes its columns and turns one database row into display values.
 *
 * Query parameters (all optional; an unknown value is a 400 page):
 *   source, company, product, status, q       REPORT_F_SOURCE ... REPORT_F_Q
 *   billing    seats|monthly|annual|one_time|usage   REPORT_F_BILLING
 *   subscription, resource                     REPORT_F_SUBSCRIPTION, REPORT_F_RESOURCE
 *   from, to   YYYY-MM-DD, inclusive (UTC)     REPORT_F_DATES; defaults: to = today (UTC),
 *                                              from = to - (default_days - 1)
 *   sort (the report's keys), dir=asc|desc, page (1-based, 50 rows), format=html|csv */
#ifndef BILLSYNC_WEB_REPORTS_H
#define BILLSYNC_WEB_REPORTS_H

#include "core/money.h"
#include "core/strbuf.h"
#include "db/reports.h"
#include "web/web.h"

#define REPORT_MAX_COLS 16
#define REPORT_PAGE_SIZE 50
#define REPORT_MAX_PAGE 100000
#define REPORT_CHART_BARS 10
#define REPORT_CHART_MAX_DAYS 366     /* a longer date range is listed but not charted */
#define REPORT_REASON_MAX 500         /* bytes of a row action's reason */
#define REPORT_MAX_PICKS 500          /* rows one action may name */

/* Filters a report offers (its form fields and the query parameters it reads). */
enum report_filters {
    REPORT_F_SOURCE = 1 << 0,
    REPORT_F_COMPANY = 1 << 1,
    REPORT_F_PRODUCT = 1 << 2,
    REPORT_F_STATUS = 1 << 3,
    REPORT_F_Q = 1 << 4,
    REPORT_F_SUBSCRIPTION = 1 << 5,
    REPORT_F_RESOURCE = 1 << 6,
    REPORT_F_DATES = 1 << 7,
    REPORT_F_BILLING = 1 << 8,
    REPORT_F_NEW = 1 << 9,        /* new=1: new since the last sync (the unlinked report) */
};
/* The subscription reports' set (what filters = 0 means). */
#define REPORT_F_SUBSCRIPTIONS \
    (REPORT_F_SOURCE | REPORT_F_COMPANY | REPORT_F_PRODUCT | REPORT_F_STATUS | REPORT_F_BILLING | REPORT_F_Q)

/* The status and billing filters' values (NULL-terminated), declared with the routes. */
extern const char *const report_statuses[];
extern const char *const report_billings[];

/* The unit of a usage resource's quantity (db/subs_sql.h: backup storage). */
#define REPORT_USAGE_UNIT "GB"

enum report_chart {
    REPORT_CHART_COMPANIES = 0,   /* horizontal bars: the top companies by quantity */
    REPORT_CHART_DAYS,            /* vertical bars: rows per day of the date range */
};

/* A row action: a button per row and one for the checked rows. */
struct report_action {
    const char *name;             /* the form's action value */
    const char *label;            /* the button */
    int needs_reason;             /* a non-blank reason (at most REPORT_REASON_MAX bytes) */
    int danger;                   /* shown as a destructive button */
    /* Applies it to one row of the tenant: 1 done, 0 not applicable (any more), -1 error. */
    int (*apply)(struct web *w, long long id, const char *reason);
    /* After all rows: `done` of `asked` were changed. Sets the flash (and, say, queues work). */
    void (*after)(struct web *w, int done, int asked);
};

struct report_col {
    const char *key;              /* sort key (db/reports.h) */
    const char *label;            /* column heading, also the CSV header */
    int num;                      /* a number: right-aligned */
};

/* One row's values as shown (the CSV holds the same text). v[i] points into the database
 * row or into buf[i]; cls[i] is an optional CSS class for the cell. */
struct report_cells {
    const char *id;               /* the row's id, for row actions (NULL: the row has none) */
    const char *v[REPORT_MAX_COLS];
    const char *cls[REPORT_MAX_COLS];
    char buf[REPORT_MAX_COLS][MONEY_FMT_MAX];
    char text[240];               /* one longer cell (a cost change's "cost 5.40 -> 5.94; ...") */
    char href[64];                /* the row's detail page ("" none), linked from cell href_col */
    int href_col;
    const char *kind;             /* optional data-kind of the row ("adjustment", "charge") */
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
    /* Everything below is optional: zero gives the subscription reports' behaviour. */
    unsigned filters;             /* REPORT_F_*; 0 = REPORT_F_SUBSCRIPTIONS */
    const char *default_sort;     /* NULL = "company" */
    int default_desc;
    int default_days;             /* REPORT_F_DATES: the default range's length (0 = 30) */
    enum report_chart chart;
    const char *chart_title;      /* NULL = "Licences per customer (top 10 by count)" */
    int qty_signed;               /* the quantity total with a sign: "+3", "-2" */
    int money_decimals;           /* the value total: 0 = report_money, else this many */
    const struct report_action *actions;
    int nactions;
    enum role action_role;        /* who sees and may use the actions (others get 403) */
    const char *row_noun;         /* "adjustment": labels of the checkboxes */
};

/* What the two ledger logs (the adjustment log and the failure log) share in their report_def:
 * the filters, newest first, the last 30 days by default, a chart per day. */
#define REPORT_LEDGER_LOG \
    .filters = REPORT_F_DATES | REPORT_F_COMPANY | REPORT_F_SUBSCRIPTION | REPORT_F_RESOURCE | REPORT_F_Q, \
    .default_sort = "date", .default_desc = 1, .default_days = 30, .chart = REPORT_CHART_DAYS

/* Serves the report: 400 on an unknown filter or sort, the HTML page, or the CSV export;
 * a POST runs a row action (403 below action_role, 400 on an unknown action or a missing
 * reason, then a flash and a redirect back to the same report URL). */
void report_serve(struct web *w, const struct report_def *def);

/* The monthly value at cost of a resource whose unit cost is for period_months (1 monthly,
 * 12 annual), the one rule of the unlinked report and the dashboard's leakage:
 *   1:  unit_cost × quantity, half-even to 1/10000 (money_mul_qty);
 *   12: unit_cost × quantity ÷ 12 computed exactly and rounded half-even to 1/10000, then
 *       half-even to the cent (the convention of core/prorate.h prorate_to_cents).
 * -1 on overflow or another period. */
int report_monthly_value(money_t unit_cost, qty_t qty, int period_months, money_t *out);
/* A quantity with its unit for a billing cycle: "977.75 GB" for usage, else "12". */
void report_qty_unit(qty_t q, const char *cycle, char *buf, size_t n);

/* Money as shown in reports: two decimals when exact, else all four ("3.60", "0.0125"). */
void report_money(money_t v, char *buf, size_t n);
/* Into url (empty on entry): the failure log reaching back to oldest ("YYYY-MM-DD", UTC day of
 * the oldest failure; "" or NULL: the log's default 30 days), for the dashboard and checklist. */
void report_failures_url(const char *oldest, struct strbuf *url);

/* Cell helpers for a page's cells(): in is the database value (NULL for SQL NULL). */
void report_cell_text(struct report_cells *out, int col, const char *in, const char *if_null);
/* A quantity (1/1000) in its shortest form, "+3" / "-2" / "0" when sign is set. */
void report_cell_qty(struct report_cells *out, int col, const char *in, int sign);
/* The adjustment log's twelve cells (date … attempts) from a row of REPORT_ADJUSTMENTS
 * (db/reports.h: id, created, company, … state, attempts), the date linked to the
 * adjustment's detail page. */
void report_adjustment_cells(char *const *in, struct report_cells *out);
/* Money (1/10000) with that many decimals (half away from zero); 0 = report_money. */
void report_cell_money(struct report_cells *out, int col, const char *in, int decimals);
/* The same from a value. */
void report_cell_money_v(struct report_cells *out, int col, money_t v, int decimals);
/* The row's detail page: prefix and id ("/reports/adjustments/" "42"), linked from cell col. */
void report_cell_link(struct report_cells *out, int col, const char *prefix, const char *id);

#endif
