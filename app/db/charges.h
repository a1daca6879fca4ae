/* charges.h: what the annual-charge and usage jobs read and record. */
#ifndef BILLSYNC_DB_CHARGES_H
#define BILLSYNC_DB_CHARGES_H

#include "db/accounts.h"
#include "db/attempts.h"
#include "db/db.h"

/* An annual (up-front) billing line of a linked subscription not yet charged. */
struct annual_due {
    const char *line_id;
    long long src_conn;
    const char *sub_src, *description, *sku;
    const char *period_start, *period_end;          /* YYYY-MM-DD */
    long long qty, unit_cost, unit_price, ext_cost, ext_price;
    long long psa_conn;
    const char *contract;
    const char *billing_start;                      /* the contract's, "" none */
    const char *currency, *tenant_currency;         /* the line's, the tenant's */
    const char *subscription_name;
};
DB_LIST(annual_due_list, struct annual_due);
int charges_annual_due(db_t *db, long long tenant_id, struct annual_due_list *out);
/* A month's usage lines of one linked resource, summed. */
struct usage_due {
    long long src_conn;
    const char *res_src, *name, *sku;
    long long qty, ext_cost;                        /* totals */
    long long psa_conn;
    const char *contract, *service;
    const char *billing_start;                      /* the contract's, "" none */
    const char *currencies, *tenant_currency;       /* the lines' ("EUR, USD"), the tenant's */
};
DB_LIST(usage_due_list, struct usage_due);
int charges_usage_due(db_t *db, long long tenant_id, const char *month_first_day, struct usage_due_list *out);
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
enum charge_col {
    CG_ID, CG_KIND, CG_KEY, CG_DESCRIPTION, CG_COMPANY, CG_SUBSCRIPTION, CG_RESOURCE, CG_ACCOUNT, CG_CONTRACT,
    CG_SERVICE, CG_DATE, CG_QTY, CG_PRICE, CG_COST, CG_STATE, CG_ATTEMPTS, CG_ERROR, CG_PSA_ID, CG_CREATED,
    CG_UPDATED, CG_NCOLS
};
int charges_get(db_t *db, long long tenant_id, long long id, struct dbrows *out);
/* Its attempts, oldest first (db/attempts.h). */
int charges_attempts(db_t *db, long long tenant_id, long long id, struct attempt_list *out);

/* Failure alerts: failed adjustments failing for longer than the tenant's threshold and not
 * alerted yet. */
struct alert_adjustment {
    long long id;
    const char *company, *resource;
    long long unit_change;
    const char *effective, *error, *first_failure;
};
DB_LIST(alert_adjustment_list, struct alert_adjustment);
int alerts_due(db_t *db, long long tenant_id, int after_minutes, struct alert_adjustment_list *out);
int alerts_mark(db_t *db, long long tenant_id, long long adjustment_id);
/* The same for failed charges failing longer than the threshold and not alerted yet. */
struct alert_charge {
    long long id;
    const char *description, *error, *first_failure;
};
DB_LIST(alert_charge_list, struct alert_charge);
int alerts_due_charges(db_t *db, long long tenant_id, int after_minutes, struct alert_charge_list *out);
int alerts_mark_charge(db_t *db, long long tenant_id, long long charge_id);
/* E-mail addresses of the tenant's enabled admins (struct email_list: db/accounts.h). */
int alerts_admins(db_t *db, long long tenant_id, struct email_list *out);

#endif
