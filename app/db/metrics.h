/* metrics.h: installation-wide counts for /metrics (no tenant identifiers). */
#ifndef BILLSYNC_DB_METRICS_H
#define BILLSYNC_DB_METRICS_H

#include "db/db.h"

/* kind, state, count of jobs */
int metrics_jobs(db_t *db, struct dbrows *out);
/* state, count of adjustments */
int metrics_adjustments(db_t *db, struct dbrows *out);
/* state, count of one-time charges */
int metrics_charges(db_t *db, struct dbrows *out);
/* connection status, count */
int metrics_connections(db_t *db, struct dbrows *out);

#endif
