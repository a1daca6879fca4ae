/* series.h: a chart's data as the db functions behind the dashboard and report charts return
 * it (dash_top_*, dash_adjustments_per_day, report_top_companies, report_per_day): each query
 * selects a label (a company, product or "YYYY-MM-DD" day) and a number, in this order. */
#ifndef BILLSYNC_DB_SERIES_H
#define BILLSYNC_DB_SERIES_H

#include "db/db.h"

struct series_point {
    const char *label;
    long long value;              /* 0 when NULL or not a number */
};
DB_LIST(series_list, struct series_point);

static inline void series_fill(const struct dbrows *r, int i, void *p)
{
    struct series_point *s = p;
    s->label = dbrows_get(r, i, 0);
    s->value = dbrows_int(r, i, 1, 0);
}

#endif
