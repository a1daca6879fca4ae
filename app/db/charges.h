/* charges.h: what the annual-charge and usage jobs read and record. */
#ifndef BILLSYNC_DB_CHARGES_H
#define BILLSYNC_DB_CHARGES_H

#include "db/db.h"

/* Annual (up-front) billing lines of linked subscriptions not yet charged: line id, src
 * connection, subscription source id, description, sku, period start, period end, quantity,
 * unit cost, unit price, extended cost, extended price, psa connection, contract id,
 * contract billing start ("" none), the line's currency, the tenant's currency. */
int charges_annual_due(db_t *db, long long tenant_id, struct dbrows *out);
/* Usage lines of a month per linked resource, summed: src connection, resource source id,
 * name, sku, total quantity, total extended cost, psa connection, contract, service,
 * contract billing start, the lines' currencies ("EUR, USD"), the tenant's currency. */
int charges_usage_due(db_t *db, long long tenant_id, const char *month_first_day, struct dbrows *out);
/* 1 when the key was charged already (posted), 0 not, -1 error. */
int charges_done(db_t *db, long long tenant_id, const char *key);

/* One charge as the jobs create it. */
struct charge_rec {
    const char *kind;             /* annual | usage */
    const char *key;              /* the charge key (db/charges.c, worker/charges.c) */
    long long src_conn;
    const char *src_subscription; /* what it bills: the subscription (annual) ... */
    const char *src_resource;     /* ... or the resource (usage); NULL when not known */
    long long psa_conn;
    const char *contract;
    const char *service;          /* usage: the contract service; NULL for annual */
    const char *charge_id;        /* the PSA's id ("" when it failed) */
    const char *description, *date;
    long long qty, unit_price, unit_cost;
};

/* Records one attempt at a charge: the charge itself (inserted, or its state, last error and
 * attempts updated) and the attempt in its trail. outcome: "created" (the PSA made it),
 * "found" (the PSA had it already under its key: an earlier answer was lost) or "failed"
 * (error set). summary says what was asked, response what the PSA answered. 0 ok, -1 error. */
int charges_record(db_t *db, long long tenant_id, const struct charge_rec *c, const char *outcome,
                   const char *summary, const char *response, const char *error);

/* Failed charges of the tenant: how many, and the UTC day ("YYYY-MM-DD") the oldest was
 * created ("" when none). The failure log lists the same rows (db/reports.h). */
int charges_failed(db_t *db, long long tenant_id, long long *n, char oldest[11]);

/* One charge of the tenant for its detail page (/reports/charges/<id>): id, kind, charge key,
 * description, company, subscription, resource, PSA account, contract, service, charge date,
 * quantity, unit price, unit cost, state, attempts, last error, PSA charge id, created,
 * updated (times "YYYY-MM-DD HH:MM:SS UTC"); "" for every absent value. 1 found, 0 no such
 * charge of this tenant, -1 error. */
int charges_get(db_t *db, long long tenant_id, long long id, struct dbrows *out);
/* Its attempts, oldest first: time, outcome, request summary, response, error ("" when none). */
int charges_attempts(db_t *db, long long tenant_id, long long id, struct dbrows *out);

/* Failure alerts: failed adjustments failing for longer than the tenant's threshold and not
 * alerted yet: id, company, resource, unit change, effective, error, first failure. */
int alerts_due(db_t *db, long long tenant_id, int after_minutes, struct dbrows *out);
int alerts_mark(db_t *db, long long tenant_id, long long adjustment_id);
/* The same for failed charges failing longer than the threshold and not alerted yet: id,
 * description, error, first failure. */
int alerts_due_charges(db_t *db, long long tenant_id, int after_minutes, struct dbrows *out);
int alerts_mark_charge(db_t *db, long long tenant_id, long long charge_id);
/* E-mail addresses of the tenant's enabled admins. */
int alerts_admins(db_t *db, long long tenant_id, struct dbrows *out);

#endif
