/* invoice_text.h: the tenant's invoice text option (tenant_policies.invoice_text_*, sql/021) and
 * the names its placeholders stand for (doc/invoice-text.md). */
#ifndef BILLSYNC_DB_INVOICE_TEXT_H
#define BILLSYNC_DB_INVOICE_TEXT_H

#include "core/invoice_text.h"
#include "db/db.h"

struct invoice_policy {
    char mode[16];                        /* "product" (default) or "template" */
    char tpl[INVOICE_TEXT_BYTES];         /* the template ("" in product mode unless kept) */
};

/* The tenant's option (the default when it never chose). 0 ok, -1 db error. */
int invoice_policy_get(db_t *db, long long tenant_id, struct invoice_policy *p);
int invoice_policy_set(db_t *db, long long tenant_id, const struct invoice_policy *p);
/* Does the tenant have a connection of this system? 1 yes, 0 no, -1 db error. */
int invoice_has_system(db_t *db, long long tenant_id, const char *system);

/* What the placeholders of one line stand for, from billsync's copy of the PSA and the links. */
struct invoice_names {
    char product[256];                    /* the PSA service / catalog item name ("" unknown) */
    char company[256];                    /* the PSA account of the contract */
    char subscription[512];               /* the subscriptions feeding the service, ", "-joined */
};
/* For a seat change of (contract, service) on a PSA connection; service may be "" (a charge). */
int invoice_names_get(db_t *db, long long tenant_id, long long psa_conn, const char *contract,
                      const char *service, struct invoice_names *out);
/* The PSA product an annual subscription's charge is written on where the PSA needs one
 * (ConnectWise: an addition names a catalog item): the service whose SKU or name is the
 * distributor's SKU or product name. id "" when none; 0 ok, -1 db error. */
int invoice_product_for(db_t *db, long long tenant_id, long long psa_conn, const char *sku, const char *name,
                        char *id, size_t idn, char *pname, size_t pn);

#endif
