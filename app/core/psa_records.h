/* psa_records.h: the canonical records of a PSA (Autotask, ConnectWise Manage): accounts,
 * contracts, catalogue services, the services on a contract with their units, and what
 * billsync asks a PSA to create or post. The PSA connectors (connectors/psa.h) produce and
 * take them; the snapshot tables store them (db/snapshot.h). doc/psa-apis.md maps each field
 * to the two APIs. */
#ifndef BILLSYNC_CORE_PSA_RECORDS_H
#define BILLSYNC_CORE_PSA_RECORDS_H

#include "core/cdate.h"
#include "core/money.h"

#define PSA_ID 32
#define PSA_NAME 256

struct psa_account {
    char id[PSA_ID];
    char name[PSA_NAME];
    int active;
};

enum psa_contract_type { PSA_RECURRING, PSA_FIXED_PRICE, PSA_ONE_TIME, PSA_OTHER };

struct psa_contract {
    char id[PSA_ID];
    char account_id[PSA_ID];
    char name[PSA_NAME];
    enum psa_contract_type type;  /* Autotask Recurring Service / Fixed Price; CW agreement */
    cdate_t start, end;           /* end {0,0,0} = open-ended */
    cdate_t billing_start;        /* first day that may be billed (CW billStartDate) */
    int active;
    int prorate;                  /* the PSA prorates mid-period changes */
    int cycle_months;             /* billing period length: 1 monthly, 12 annual, 0 one-time */
};

/* A catalogue item: Autotask Service, ConnectWise catalog item. */
struct psa_service {
    char id[PSA_ID];
    char name[PSA_NAME];
    char sku[64];
    money_t unit_price, unit_cost;
    int active;
};

/* A service on a contract and its units in effect on a date (Autotask ContractService +
 * ContractServiceUnits; ConnectWise agreement addition). */
struct psa_contract_service {
    char id[PSA_ID];
    char contract_id[PSA_ID];
    char service_id[PSA_ID];
    char name[PSA_NAME];
    qty_t units;
    money_t unit_price, unit_cost;
};

struct psa_new_contract {
    const char *account_id, *name;
    enum psa_contract_type type;
    cdate_t start, end;
    int cycle_months;
};

struct psa_new_service {
    const char *name, *sku, *description;
    money_t unit_price, unit_cost;
};

/* What one read of a contract service showed on a day: enough to write a change without
 * reading it again (doc/psa-apis.md, "Calls per change"). */
struct psa_units_seen {
    qty_t units;                  /* in effect on the day read */
    char line_id[PSA_ID];         /* ConnectWise: the newest addition in effect ("" none); Autotask "" */
    qty_t line_units;             /* that addition's quantity */
};

/* A contract's billing terms as billsync's cache of the PSA holds them (ConnectWise decides from
 * them whether a change is a quantity patch or a prorated addition). */
struct psa_contract_terms {
    cdate_t billing_start;        /* {0,0,0} unknown */
    int prorate;
    int cycle_months;
};

/* A change of units on a contract service, effective on a date (Autotask
 * ServiceAdjustment; ConnectWise addition quantity change or a new addition). seen: the
 * service as read for this change on its effective date (NULL: the connector reads it first);
 * terms: the contract's terms from the cache (NULL: the connector reads the contract). */
struct psa_unit_change {
    const char *contract_id, *service_id, *contract_service_id; /* cs id may be "" */
    qty_t delta;
    cdate_t effective;
    money_t unit_price, unit_cost;
    const char *description;
    const struct psa_units_seen *seen;
    const struct psa_contract_terms *terms;
    /* The price and cost the service's line carries now (billsync's cache; 0 unknown): a PSA
     * that writes a change as a new line (a ConnectWise addition) bills it like the old one,
     * not at the catalog's price. Autotask's adjustment keeps the contract's price itself. */
    money_t line_price, line_cost;
};

/* A one-time charge (annual subscription, usage). key is billsync's idempotency key; it is
 * written into the charge so find_charge can tell whether it exists already. */
struct psa_charge {
    const char *contract_id, *service_id, *name, *description, *key;
    cdate_t date;
    qty_t quantity;
    money_t unit_price, unit_cost;
};

#endif
