/* mapping_view.h: what the Billing (mapping) page shows: source companies with their
 * subscriptions and resources, their links, and the PSA objects they can link to. Each grid
 * function fills a dbrows whose columns are the enum declared with it (beside the SQL in
 * mapping_view.c: a column added to a SELECT is added to its enum); one source object and one
 * contract come as structs. */
#ifndef BILLSYNC_DB_MAPPING_VIEW_H
#define BILLSYNC_DB_MAPPING_VIEW_H

#include "core/cdate.h"
#include "db/db.h"

/* The tenant's PSA connection (the first one); 1 found, 0 none. */
int mv_psa_connection(db_t *db, long long tenant_id, long long *id, char system[32]);
/* Connections with their refresh state (refreshed_at "YYYY-MM-DD HH:MM UTC" or "never"). */
enum mv_connection_col { MVN_ID, MVN_NAME, MVN_SYSTEM, MVN_STATUS, MVN_MESSAGE, MVN_AT, MVN_NCOLS };
int mv_connections(db_t *db, long long tenant_id, struct dbrows *out);
/* Companies matching q (name contains; "" all), with unlinked-only unless show_mapped: the
 * linked account ("" none), the numbers of linked and unlinked resources. *total = matching
 * companies. */
enum mv_company_col {
    MVC_ID, MVC_CONN, MVC_SOURCE_ID, MVC_NAME, MVC_CONN_NAME, MVC_ACCOUNT, MVC_ACCOUNT_NAME, MVC_LINKED_N,
    MVC_UNLINKED_N, MVC_NCOLS
};
int mv_companies(db_t *db, long long tenant_id, const char *q, int show_mapped, int limit,
                 int offset, struct dbrows *out, long long *total);
/* A company's subscriptions: the linked contract, its name and type ("" when not linked or
 * not in the cache). */
enum mv_subscription_col {
    MVS_ID, MVS_SOURCE_ID, MVS_NAME, MVS_CYCLE, MVS_STATUS, MVS_CONTRACT, MVS_CONTRACT_NAME, MVS_CONTRACT_TYPE,
    MVS_NCOLS
};
int mv_subscriptions(db_t *db, long long tenant_id, long long conn, const char *company_src,
                     struct dbrows *out);
/* A subscription's resources: the linked contract and service, the service's name, its PSA
 * units (cached, "" unknown), the approval override, the active links feeding the same
 * contract service (0 unlinked) and the sum of their quantities. Linked resources only when
 * show_mapped. */
enum mv_resource_col {
    MVR_ID, MVR_SOURCE_ID, MVR_NAME, MVR_SKU, MVR_QTY, MVR_CONTRACT, MVR_SERVICE, MVR_SERVICE_NAME, MVR_UNITS,
    MVR_APPROVAL, MVR_CYCLE, MVR_FEEDERS, MVR_FEEDERS_QTY, MVR_NCOLS
};
int mv_resources(db_t *db, long long tenant_id, long long conn, const char *subscription_src,
                 int show_mapped, struct dbrows *out);
/* The PSA accounts. */
enum mv_account_col { MVA_ID, MVA_NAME, MVA_NCOLS };
int mv_accounts(db_t *db, long long tenant_id, long long psa_conn, struct dbrows *out);
/* An account's contracts: end date, subscriptions linked to it (a count), type. Expired
 * means ended before today (the tenant's date, not the database server's). Contracts that
 * hold a subscription already are left out unless show_linked (one contract per
 * subscription). */
enum mv_contract_col { MVK_ID, MVK_NAME, MVK_END, MVK_SUBS, MVK_TYPE, MVK_NCOLS };
int mv_contracts(db_t *db, long long tenant_id, long long psa_conn, const char *account,
                 cdate_t today, int show_expired, int show_linked, struct dbrows *out);
/* Services for a contract: value ("svc:<id>"), name, sku, units ("" for catalogue items),
 * group ("contract"|"catalogue"). */
enum mv_service_col { MVV_VALUE, MVV_NAME, MVV_SKU, MVV_UNITS, MVV_GROUP, MVV_NCOLS };
int mv_services(db_t *db, long long tenant_id, long long psa_conn, const char *contract,
                struct dbrows *out);

/* One source object (a company, subscription or resource) by its row id, scoped to the
 * tenant. 1 found (out.v[0]), 0 not, -1 error; DB_LIST_FREE(out) in every case. */
struct src_object {
    long long conn;
    const char *src_id, *name;
    const char *parent;           /* the company's source id for subscriptions, subscription's for resources */
    long long qty;                /* resources; 0 otherwise */
    const char *sku;              /* resources; "" otherwise */
    long long unit_price, unit_cost;
    const char *cycle, *commitment_end;
    const char *currency;         /* resources; "" otherwise */
};
DB_LIST(src_object_list, struct src_object);
int mv_src_object(db_t *db, long long tenant_id, int level, long long row_id, struct src_object_list *out);
/* A PSA contract of the connection ("" for absent dates). 1 found (out.v[0]), 0 not, -1
 * error; DB_LIST_FREE(out) in every case. */
struct psa_contract_row {
    const char *account, *name, *start, *end, *billing_start;
};
DB_LIST(psa_contract_list, struct psa_contract_row);
int mv_contract(db_t *db, long long tenant_id, long long psa_conn, const char *contract,
                struct psa_contract_list *out);

/* What decides whether a resource may be a seat link into contract (seat changes posted to a
 * contract service): the resource's billing cycle ("annual" when its subscription is annual),
 * and the contract's type and name ("" when the contract is not in the cache). 1 found, 0 no
 * such resource, -1 error. */
int mv_seat_facts(db_t *db, long long tenant_id, long long src_conn, const char *resource_src_id,
                  long long psa_conn, const char *contract, char cycle[16], char contract_type[16],
                  char contract_name[256]);

/* A PSA object's display name for a confirmation (level 0 account, 1 contract, 2 "svc:id"). */
void mv_target_label(db_t *db, long long tenant_id, long long psa_conn, int level, const char *target,
                     char *out, size_t n);

/* The cached contract service of (contract, service): units and unit price; 1 found, 0 not. */
int mv_contract_service(db_t *db, long long tenant_id, long long psa_conn, const char *contract,
                        const char *service, long long *units, long long *unit_price);
/* 1 when the PSA object exists in the cache: level 0 account; 2 service (catalogue, or on
 * contract). */
int mv_psa_exists(db_t *db, long long tenant_id, long long psa_conn, int level, const char *id,
                  const char *contract);

/* Every resource with its chain, for Manage Relations and accept-all: the resource, its
 * subscription and company, their links ("" when not) and the names of what they link to,
 * the billing cycles, the linked contract's type. Unlinked resources only unless show_mapped. */
enum mv_chain_col {
    MCH_RES_ROW, MCH_CONN, MCH_RES_SRC, MCH_RES_NAME, MCH_SKU, MCH_QTY, MCH_SUB_ROW, MCH_SUB_SRC, MCH_SUB_NAME,
    MCH_CO_ROW, MCH_CO_SRC, MCH_CO_NAME, MCH_ACCOUNT, MCH_CONTRACT, MCH_SERVICE, MCH_ACCOUNT_NAME,
    MCH_CONTRACT_NAME, MCH_SERVICE_NAME, MCH_SUB_CYCLE, MCH_RES_CYCLE, MCH_CONTRACT_TYPE, MCH_NCOLS
};
int mv_chains(db_t *db, long long tenant_id, int show_mapped, int limit, int offset, struct dbrows *out,
              long long *total);

#endif
