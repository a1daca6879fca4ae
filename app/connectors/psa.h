/* psa.h: the PSA connector interface (Autotask, ConnectWise). Canonical records
 * (core/psa_records.h) in, canonical records out; each connector maps them to its API
 * (autotask.c, connectwise.c). Connectors speak HTTP through app/net and never touch the
 * database. */
#ifndef BILLSYNC_CONNECTORS_PSA_H
#define BILLSYNC_CONNECTORS_PSA_H

#include "connectors/conn.h"
#include "core/psa_records.h"

typedef int (*psa_account_fn)(void *ctx, const struct psa_account *a);
typedef int (*psa_contract_fn)(void *ctx, const struct psa_contract *c);
typedef int (*psa_service_fn)(void *ctx, const struct psa_service *s);
typedef int (*psa_contract_service_fn)(void *ctx, const struct psa_contract_service *cs);
/* A service on a contract, by the PSA's ids. */
struct psa_service_key {
    const char *contract_id, *service_id;
};
typedef int (*psa_units_fn)(void *ctx, const char *contract_id, const char *service_id,
                            const struct psa_units_seen *u);
/* A contract service's unit cost and price in effect on a day. */
struct psa_money_seen {
    int found;                    /* the service holds units on the contract that day */
    money_t unit_cost, unit_price;
    int uniform;                  /* every line in effect carries that cost and price (ConnectWise
                                     may hold several additions of one product) */
};
/* A new unit cost (and, when has_price, a new sell price) of a contract service from a day. */
struct psa_price_change {
    const char *contract_id, *service_id;
    cdate_t effective;
    money_t unit_cost;
    int has_price;
    money_t unit_price;
};

/* Every function returns 0 or -1 with *err filled; list callbacks return non-zero to stop. */
struct psa_connector {
    const char *system;           /* "autotask", "connectwise" */
    const char *label;            /* "Datto Autotask" */
    /* 1: the PSA takes one unit change per contract service and day, and posted changes cannot be
     * edited (Autotask ServiceAdjustments); 0: several per day (ConnectWise additions). */
    int one_change_per_day;
    int charge_needs_product;     /* a one-time charge names a product (ConnectWise additions) */
    /* Forgets what this process cached from the PSA (picklists, zones, billing cycles): a
     * person's Retry after fixing something in the PSA must not meet the old answer. */
    void (*forget_cached)(void);
    /* A cheap authenticated call; *summary says what was found ("214 accounts"). */
    int (*test)(const struct conn *c, char *summary, size_t n, struct conn_error *err);
    int (*list_accounts)(const struct conn *c, psa_account_fn fn, void *ctx, struct conn_error *err);
    int (*list_contracts)(const struct conn *c, psa_contract_fn fn, void *ctx, struct conn_error *err);
    int (*list_services)(const struct conn *c, psa_service_fn fn, void *ctx, struct conn_error *err);
    /* Services of one contract (or all when contract_id is "") with units in effect on date. */
    int (*list_contract_services)(const struct conn *c, const char *contract_id, cdate_t date,
                                  psa_contract_service_fn fn, void *ctx, struct conn_error *err);
    /* Units of one service on a contract in effect on date (0 when it is not there). */
    int (*read_units)(const struct conn *c, const char *contract_id, const char *service_id,
                      cdate_t date, struct psa_units_seen *seen, struct conn_error *err);
    /* Units in effect on date of the n services (keys sorted by contract), in as few paged reads
     * as the API allows (Autotask: ContractServiceUnits by lists of contract and service ids;
     * ConnectWise: one additions list per agreement): fn once per (contract, service) holding
     * units, which may include services not asked for; a service not reported holds none. */
    int (*read_units_bulk)(const struct conn *c, const struct psa_service_key *keys, int n, cdate_t date,
                           psa_units_fn fn, void *ctx, struct conn_error *err);
    int (*create_account)(const struct conn *c, const char *name, char id[PSA_ID],
                          struct conn_error *err);
    int (*create_contract)(const struct conn *c, const struct psa_new_contract *nc, char id[PSA_ID],
                           struct conn_error *err);
    int (*create_service)(const struct conn *c, const struct psa_new_service *ns, char id[PSA_ID],
                          struct conn_error *err);
    /* Posts the change; ref gets the PSA's reference when it gives one. */
    int (*post_unit_change)(const struct conn *c, const struct psa_unit_change *u, char ref[PSA_ID],
                            struct conn_error *err);
    /* The cost and price of a service on a contract in effect on date (doc/ledger.md "Cost and
     * price"). */
    int (*read_money)(const struct conn *c, const char *contract_id, const char *service_id, cdate_t date,
                      struct psa_money_seen *m, struct conn_error *err);
    /* Writes a new cost (and price) from the change's date and reads it back (Autotask: a
     * ServiceAdjustment of 0 units with adjustedUnitCost/adjustedUnitPrice; ConnectWise: PATCH
     * unitCost/unitPrice of the product's additions in effect). */
    int (*post_price_change)(const struct conn *c, const struct psa_price_change *pc, char ref[PSA_ID],
                             struct conn_error *err);
    /* 1 found (id set), 0 not found, -1 error. */
    int (*find_charge)(const struct conn *c, const char *contract_id, const char *key,
                       char id[PSA_ID], struct conn_error *err);
    int (*create_charge)(const struct conn *c, const struct psa_charge *ch, char id[PSA_ID],
                         struct conn_error *err);
};

/* The operations of a connector whose functions are named <p>_forget_cached, <p>_test,
 * <p>_list_accounts ... <p>_create_charge (autotask.c at_, connectwise.c cw_). */
#define PSA_CONNECTOR_OPS(p)                                                                     \
    .forget_cached = p##_forget_cached, .test = p##_test, .list_accounts = p##_list_accounts,    \
    .list_contracts = p##_list_contracts, .list_services = p##_list_services,                    \
    .list_contract_services = p##_list_contract_services, .read_units = p##_read_units,          \
    .read_units_bulk = p##_read_units_bulk,                                                      \
    .create_account = p##_create_account, .create_contract = p##_create_contract,                \
    .create_service = p##_create_service, .post_unit_change = p##_post_unit_change,              \
    .read_money = p##_read_money, .post_price_change = p##_post_price_change,                    \
    .find_charge = p##_find_charge, .create_charge = p##_create_charge

/* Every PSA connector forgets what this process cached (see forget_cached). */
void psa_forget_cached(void);
/* The connector for a system name, or NULL. */
const struct psa_connector *psa_connector_for(const char *system);

#endif
