/* cost_ledger.h: cost and price changes in the adjustment ledger (kind 'cost', sql/018) and the
 * tenant's price policies. The rules: doc/ledger.md "Cost and price". */
#ifndef BILLSYNC_DB_COST_LEDGER_H
#define BILLSYNC_DB_COST_LEDGER_H

#include "core/cdate.h"
#include "core/money.h"
#include "core/price_policy.h"
#include "db/db.h"

/* Records the distributor cost billsync planned from for a link (its baseline). */
int cost_seen_set(db_t *db, long long tenant_id, long long link_id, money_t cost);

#define COST_BUSY_MAX 64
/* Days from `from` on that hold a change of the service billsync made or will make (any kind,
 * not superseded, not rejected; open cost changes excepted: a new plan replaces them). */
int cost_busy_days(db_t *db, long long tenant_id, long long psa_connection_id, const char *contract_id,
                   const char *service_id, cdate_t from, cdate_t *days, int max, int *n);

/* Days from `from` on that hold a cost change of the service (posted, or waiting: not
 * superseded or rejected): on a PSA taking one change per service and day, a seat change
 * moves past them. */
int cost_days(db_t *db, long long tenant_id, long long psa_connection_id, const char *contract_id,
              const char *service_id, cdate_t from, cdate_t *days, int max, int *n);

struct cost_plan {
    long long tenant_id, resource_link_id;
    long long src_connection_id;
    const char *src_resource_id;
    long long psa_connection_id;
    const char *psa_contract_id, *psa_service_id;
    cdate_t effective;
    money_t cost_before, new_cost;
    money_t price_before;
    int has_price;                /* the price policy sets a price */
    money_t new_price;
    const char *state;            /* queued | awaiting_approval | failed (needs a person) */
    const char *reason;           /* failed: why; awaiting_approval: the margin effect (or NULL) */
};

/* Records the change and supersedes the service's other open cost changes (one open cost change
 * per service). 1 planned, 0 the same change exists, -1 error; *id its id. */
int cost_plan_record(db_t *db, const struct cost_plan *p, long long *id);

/* Price policies (price_policies, sql/018). */
struct price_policy_row {
    char scope[8];                /* tenant | company | product */
    long long psa_connection_id;
    char scope_id[33];
    char name[256];               /* the PSA account's or service's name ("" for the tenant) */
    struct price_policy p;
};
DB_LIST(price_policy_list, struct price_policy_row);
int price_policies_list(db_t *db, long long tenant_id, struct price_policy_list *out);
/* The three levels for one contract service (found flags 0 when not set). */
int price_policies_for(db_t *db, long long tenant_id, long long psa_connection_id, const char *company_id,
                       const char *service_id, struct price_policy lv[3], int found[3]);
/* The policy for a contract service by the contract's PSA account (service_id "" for a service
 * not created yet): the most specific set, else keep. */
int price_policy_for_contract(db_t *db, long long tenant_id, long long psa_connection_id, const char *contract_id,
                              const char *service_id, struct price_policy *out);
int price_policy_save(db_t *db, long long tenant_id, const char *scope, long long psa_connection_id,
                      const char *scope_id, const struct price_policy *p, long long user_id);
int price_policy_delete(db_t *db, long long tenant_id, const char *scope, long long psa_connection_id,
                        const char *scope_id);
/* What a policy can be set for: the tenant's PSA accounts ('company') or services ('product'),
 * by name, at most max. */
struct price_target {
    long long psa_connection_id;
    const char *id, *name;
};
DB_LIST(price_target_list, struct price_target);
int price_targets(db_t *db, long long tenant_id, const char *scope, int max, struct price_target_list *out);
/* 1 when the tenant's PSA cache holds that account or service. */
int price_target_exists(db_t *db, long long tenant_id, const char *scope, long long psa_connection_id,
                        const char *id);

/* The PSA cache's cost and price of a contract service, after billsync changed them. */
int psa_cache_money(db_t *db, long long tenant_id, long long connection_id, const char *contract_id,
                    const char *service_id, money_t cost, int has_price, money_t price);
/* The tenant's currency (tenants.currency: the PSA's). */
int tenant_currency(db_t *db, long long tenant_id, char out[4]);

#endif
