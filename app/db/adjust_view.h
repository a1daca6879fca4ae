/* adjust_view.h: adjustments as people see them (approvals, logs): with the names of the
 * distributor and PSA objects they concern. */
#ifndef BILLSYNC_DB_ADJUST_VIEW_H
#define BILLSYNC_DB_ADJUST_VIEW_H

#include "db/db.h"

/* id, company, subscription, resource, PSA account, contract, service, units before, desired,
 * unit change, effective date, estimated amount, note (drift / reason), created, state,
 * attempts, next try, last error. Rows of one state, oldest first (limit). */
int av_list(db_t *db, long long tenant_id, const char *state, int limit, struct dbrows *out);
int av_count(db_t *db, long long tenant_id, const char *state, long long *n);

#endif
