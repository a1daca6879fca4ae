/* charge_sql.h: SQL fragments of "a charge with the names of what it bills", private to
 * app/db: the charge detail page (db/charges.c) and the failure log (db/reports.c) name a
 * charge the same way. */
#ifndef BILLSYNC_DB_CHARGE_SQL_H
#define BILLSYNC_DB_CHARGE_SQL_H

/* charges_posted ch with the resource it bills (r, usage), its subscription (s: the annual
 * charge's own, or the resource's), company (c), PSA contract (p), account (pa) and service
 * (sv). Charges recorded before sql/012 name no subscription or resource: those names are
 * empty. */
#define CHG_JOINS \
    " FROM charges_posted ch" \
    " LEFT JOIN src_resources r ON r.tenant_id = ch.tenant_id AND r.connection_id = ch.src_connection_id" \
    "  AND r.source_id = ch.src_resource_id" \
    " LEFT JOIN src_subscriptions s ON s.tenant_id = ch.tenant_id AND s.connection_id = ch.src_connection_id" \
    "  AND s.source_id = COALESCE(ch.src_subscription_id, r.subscription_source_id)" \
    " LEFT JOIN src_companies c ON c.tenant_id = ch.tenant_id AND c.connection_id = ch.src_connection_id" \
    "  AND c.source_id = COALESCE(r.company_source_id, s.company_source_id)" \
    " LEFT JOIN psa_contracts p ON p.tenant_id = ch.tenant_id AND p.connection_id = ch.psa_connection_id" \
    "  AND p.psa_id = ch.psa_contract_id" \
    " LEFT JOIN psa_companies pa ON pa.tenant_id = ch.tenant_id AND pa.connection_id = ch.psa_connection_id" \
    "  AND pa.psa_id = p.company_psa_id" \
    " LEFT JOIN psa_services sv ON sv.tenant_id = ch.tenant_id AND sv.connection_id = ch.psa_connection_id" \
    "  AND sv.psa_id = ch.psa_service_id"

#define CHG_COMPANY "COALESCE(c.name, r.company_source_id, s.company_source_id, '')"
#define CHG_SUBSCRIPTION "COALESCE(s.name, ch.src_subscription_id, r.subscription_source_id, '')"
/* The resource column shows what the charge bills: its own description ("Microsoft 365 E3
 * (2027-01-01 to 2027-12-31)", "Backup storage, 2027-01: 512.5 GB"). */
#define CHG_RESOURCE "ch.description"
#define CHG_ACCOUNT "COALESCE(pa.name, p.company_psa_id, '')"
#define CHG_CONTRACT "COALESCE(p.name, ch.psa_contract_id)"
#define CHG_SERVICE "COALESCE(sv.name, ch.psa_service_id, '')"
#define CHG_ERROR "COALESCE(ch.last_error, '')"

#endif
