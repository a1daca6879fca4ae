/* invoice_text.h: the text billsync writes for an invoice line (doc/invoice-text.md): the
 * tenant's option (tenant_policies.invoice_text_*) applied to one seat change or charge. */
#ifndef BILLSYNC_WORKER_INVOICE_TEXT_H
#define BILLSYNC_WORKER_INVOICE_TEXT_H

#include "core/invoice_text.h"
#include "db/db.h"

#include <stddef.h>

/* One line billsync writes, what its placeholders stand for. */
struct invoice_line {
    const char *system;           /* the PSA ("autotask", "connectwise"): its length limit */
    long long psa_conn;
    const char *contract, *service;   /* service "" for a charge without a product */
    const char *product;          /* the name when billsync's copy of the PSA has none */
    const char *subscription;     /* NULL: the subscriptions linked to the service */
    const char *period, *quantity;
    const char *default_tpl;      /* INVOICE_DEFAULT_SEATS, _ANNUAL or _USAGE */
};

/* The line's text into out; never fails (a database error falls back to the default with the
 * names at hand). */
void invoice_text_for(db_t *db, long long tenant_id, const struct invoice_line *l, char *out, size_t n);

#endif
