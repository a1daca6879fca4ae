/* adj_export.h: the adjustment log's CSV export at production volume (db/reports.c
 * report_stream uses it when no text filter is set and the sort is a column of the ledger row
 * itself; doc/volume.md 4). The rows and their order are the page's; the names come from
 * maps loaded once per export instead of six joins per row. */
#ifndef BILLSYNC_DB_ADJ_EXPORT_H
#define BILLSYNC_DB_ADJ_EXPORT_H

#include "db/db.h"
#include "db/reports.h"

/* Streams "SELECT <the ledger row> FROM adjustments j<where><order>" with parameters p to fn as
 * rows of the adjustment log's columns (reports.h RAD_*). where and order are SQL fragments of
 * db/reports.c (fixed text, every value bound). */
int adj_export_stream(db_t *db, long long tenant_id, const char *where, const char *order, const struct dbv *p,
                      int np, db_row_fn fn, void *user);

#endif
