/* source_records.h: the canonical records every distributor's data is turned into
 * (companies, subscriptions, resources, billing lines). Connectors and file importers
 * produce them; the snapshot tables store them. */
#ifndef BILLSYNC_CORE_SOURCE_RECORDS_H
#define BILLSYNC_CORE_SOURCE_RECORDS_H

#include "core/cdate.h"
#include "core/money.h"

#define SRC_ID 80
#define SRC_NAME 256

struct src_company {
    char id[SRC_ID];
    char name[SRC_NAME];
};

enum src_status { SRC_ACTIVE, SRC_SUSPENDED, SRC_CANCELLED, SRC_PENDING };
enum src_cycle { SRC_MONTHLY, SRC_ANNUAL, SRC_ONE_TIME, SRC_USAGE };

struct src_subscription {
    char id[SRC_ID];
    char company_id[SRC_ID];
    char name[SRC_NAME];
    enum src_status status;
    enum src_cycle billing_cycle;
    int term_months;              /* commitment term: 1, 12, 36; 0 = none */
    cdate_t commitment_end;       /* {0,0,0} when unknown */
    int auto_renew;
};

/* A billable resource of a subscription: the unit that maps to a PSA service. Sources with
 * one product per subscription (Pax8, Partner Center) report one resource per subscription
 * with the subscription's id as its id. */
struct src_resource {
    char id[SRC_ID];
    char subscription_id[SRC_ID];
    char company_id[SRC_ID];
    char name[SRC_NAME];
    char sku[80];                 /* vendor SKU / product code, for suggestions */
    qty_t quantity;
    money_t unit_cost, unit_price;
    char currency[4];
    enum src_cycle billing_cycle;
    int term_months;
    cdate_t commitment_end;
    enum src_status status;
};

enum src_charge_type { SRC_CHARGE_RECURRING, SRC_CHARGE_ONE_TIME, SRC_CHARGE_USAGE,
                       SRC_CHARGE_PRORATION, SRC_CHARGE_REFUND };

/* One billing line of a month, as the distributor billed the MSP. */
struct src_charge {
    char id[SRC_ID];              /* stable line id (invoice + line) */
    char company_id[SRC_ID];
    char subscription_id[SRC_ID];
    char resource_id[SRC_ID];
    char description[SRC_NAME];
    char sku[80];
    enum src_charge_type type;
    cdate_t period_start, period_end;
    cdate_t effective;            /* the date the charge or change was realised */
    qty_t quantity;
    money_t unit_cost, unit_price;
    money_t extended_cost, extended_price;
    char currency[4];
    int term_months;
    enum src_cycle frequency;
};

const char *src_status_name(enum src_status s);
const char *src_cycle_name(enum src_cycle c);
const char *src_charge_type_name(enum src_charge_type t);

#endif
