/* adjust_view.h: adjustments as people see them (approvals, logs): with the names of the
 * distributor and PSA objects they concern. */
#ifndef BILLSYNC_DB_ADJUST_VIEW_H
#define BILLSYNC_DB_ADJUST_VIEW_H

#include "db/attempts.h"
#include "db/db.h"

/* Adjustments of one state, oldest first (limit): units before, desired and the change (in
 * 1/1000), the estimated amount, the note (drift / reason), times "YYYY-MM-DD HH:MM UTC". */
enum av_list_col {
    AVL_ID, AVL_COMPANY, AVL_SUBSCRIPTION, AVL_RESOURCE, AVL_ACCOUNT, AVL_CONTRACT, AVL_SERVICE, AVL_BEFORE,
    AVL_DESIRED, AVL_CHANGE, AVL_EFFECTIVE, AVL_AMOUNT, AVL_NOTE, AVL_CREATED, AVL_STATE, AVL_ATTEMPTS, AVL_NEXT,
    AVL_ERROR, AVL_KIND, AVL_COST_BEFORE, AVL_NEW_COST, AVL_PRICE_BEFORE, AVL_NEW_PRICE, AVL_NCOLS
};
int av_list(db_t *db, long long tenant_id, const char *state, int limit, struct dbrows *out);
int av_count(db_t *db, long long tenant_id, const char *state, long long *n);

/* One adjustment of the tenant for its detail page (/reports/adjustments/<id>): id, company,
 * subscription, resource, PSA account, contract, service, resource link id, origin, units
 * before, desired, unit change, effective date, unit price, estimated amount, state, attempts,
 * next try, last error / note, PSA reference, created, posted (times "YYYY-MM-DD HH:MM:SS UTC"
 * or ""), decided by (e-mail or ""), decided at, decision note; "" for every absent value.
 * 1 found, 0 no such adjustment of this tenant, -1 error. */
enum av_col {
    AD_ID, AD_COMPANY, AD_SUBSCRIPTION, AD_RESOURCE, AD_ACCOUNT, AD_CONTRACT, AD_SERVICE, AD_LINK, AD_ORIGIN,
    AD_BEFORE, AD_DESIRED, AD_CHANGE, AD_EFFECTIVE, AD_PRICE, AD_AMOUNT, AD_STATE, AD_ATTEMPTS, AD_NEXT, AD_ERROR,
    AD_PSA_REF, AD_CREATED, AD_POSTED, AD_DECIDED_BY, AD_DECIDED_AT, AD_NOTE, AD_NCOLS
};
int av_get(db_t *db, long long tenant_id, long long id, struct dbrows *out);
/* Its attempts, oldest first (db/attempts.h). */
int av_attempts(db_t *db, long long tenant_id, long long id, struct attempt_list *out);

#endif
