/* mapping_view.h: what the Billing (mapping) page shows: source companies with their
 * subscriptions and resources, their links, and the PSA objects they can link to. Each
 * function fills a dbrows with the columns listed. */
#ifndef BILLSYNC_DB_MAPPING_VIEW_H
#define BILLSYNC_DB_MAPPING_VIEW_H

#include "core/cdate.h"
#include "db/db.h"

/* The tenant's PSA connection (the first one); 1 found, 0 none. */
int mv_psa_connection(db_t *db, long long tenant_id, long long *id, char system[32]);
/* Connections with their refresh state: id, name, system, refresh_status, refresh_message,
 * refreshed_at. */
int mv_connections(db_t *db, long long tenant_id, struct dbrows *out);
/* Companies matching q (name contains; "" all), with unlinked-only unless show_mapped:
 * id, connection_id, source_id, name, connection name, linked psa_company_id, linked account
 * name, linked resources, unlinked resources. *total = matching companies. */
int mv_companies(db_t *db, long long tenant_id, const char *q, int show_mapped, int limit,
                 int offset, struct dbrows *out, long long *total);
/* id, source_id, name, billing_cycle, status, linked psa_contract_id, contract name, that
 * contract's type ("" when not linked or not in the cache). */
int mv_subscriptions(db_t *db, long long tenant_id, long long conn, const char *company_src,
                     struct dbrows *out);
/* id, source_id, name, sku, quantity, psa_contract_id, psa_service_id, service name, PSA units
 * (cached), approval override, billing_cycle, the active links feeding the same contract
 * service (0 unlinked) and the sum of their quantities. Linked resources only when show_mapped. */
int mv_resources(db_t *db, long long tenant_id, long long conn, const char *subscription_src,
                 int show_mapped, struct dbrows *out);
/* psa_id, name */
int mv_accounts(db_t *db, long long tenant_id, long long psa_conn, struct dbrows *out);
/* psa_id, name, end_date, subscriptions linked to it (a count), contract_type. Expired means
 * ended before today (the tenant's date, not the database server's). Contracts that hold a
 * subscription already are left out unless show_linked (one contract per subscription). */
int mv_contracts(db_t *db, long long tenant_id, long long psa_conn, const char *account,
                 cdate_t today, int show_expired, int show_linked, struct dbrows *out);
/* value ("cs:<id>" or "svc:<id>"), name, sku, units ("" for catalogue items), group
 * ("contract"|"catalogue") */
int mv_services(db_t *db, long long tenant_id, long long psa_conn, const char *contract,
                struct dbrows *out);

/* One source object by its row id, scoped to the tenant: connection_id, source_id, name,
 * parent source id (company for subscriptions, subscription for resources), quantity
 * (resources), sku, unit_price, unit_cost, billing_cycle, commitment_end. 1 found, 0 not. */
int mv_src_object(db_t *db, long long tenant_id, int level, long long row_id, struct dbrows *out);
/* A PSA contract of the connection: company_psa_id, name, start, end, billing_start; 1/0. */
int mv_contract(db_t *db, long long tenant_id, long long psa_conn, const char *contract, struct dbrows *out);

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

/* Every resource with its chain, for Manage Relations and accept-all: resource row id,
 * connection_id, resource source_id, name, sku, quantity, subscription row id, subscription
 * source_id, subscription name, company row id, company source_id, company name, linked
 * account, linked contract, linked service ("" when not), account name, contract name,
 * service name, subscription billing cycle, resource billing cycle, linked contract's type.
 * Unlinked resources only unless show_mapped. */
int mv_chains(db_t *db, long long tenant_id, int show_mapped, int limit, int offset, struct dbrows *out,
              long long *total);

#endif
