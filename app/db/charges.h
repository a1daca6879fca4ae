/* charges.h: what the annual-charge and usage jobs read and record. */
#ifndef BILLSYNC_DB_CHARGES_H
#define BILLSYNC_DB_CHARGES_H

#include "db/db.h"

/* Annual (up-front) billing lines of linked subscriptions not yet charged: line id, src
 * connection, subscription source id, description, sku, period start, period end, quantity,
 * unit cost, unit price, extended cost, extended price, psa connection, contract id,
 * contract billing start ("" none). */
int charges_annual_due(db_t *db, long long tenant_id, struct dbrows *out);
/* Usage lines of a month per linked resource, summed: src connection, resource source id,
 * name, sku, total quantity, total extended cost, psa connection, contract, service,
 * contract billing start. */
int charges_usage_due(db_t *db, long long tenant_id, const char *month_first_day, struct dbrows *out);
/* 1 when the key was charged already (posted), 0 not, -1 error. */
int charges_done(db_t *db, long long tenant_id, const char *key);
int charges_record(db_t *db, long long tenant_id, const char *kind, const char *key, long long src_conn,
                   long long psa_conn, const char *contract, const char *charge_id, const char *description,
                   const char *date, long long qty, long long unit_price, long long unit_cost, const char *error);

/* Failure alerts: failed adjustments failing for longer than the tenant's threshold and not
 * alerted yet: id, company, resource, unit change, effective, error, first failure. */
int alerts_due(db_t *db, long long tenant_id, int after_minutes, struct dbrows *out);
int alerts_mark(db_t *db, long long tenant_id, long long adjustment_id);
/* E-mail addresses of the tenant's enabled admins. */
int alerts_admins(db_t *db, long long tenant_id, struct dbrows *out);

#endif
