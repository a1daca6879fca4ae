/* invoice_text.c: the invoice text of one line (see invoice_text.h). */
#include "worker/invoice_text.h"

#include "common/log.h"
#include "db/invoice_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void invoice_text_for(db_t *db, long long tenant_id, const struct invoice_line *l, char *out, size_t n)
{
    struct invoice_policy *pol = calloc(1, sizeof *pol);
    struct invoice_names names;
    memset(&names, 0, sizeof names);
    const char *tpl = l->default_tpl;
    if (pol && invoice_policy_get(db, tenant_id, pol) == 0 && !strcmp(pol->mode, "template") && pol->tpl[0])
        tpl = pol->tpl;
    if (invoice_names_get(db, tenant_id, l->psa_conn, l->contract, l->service ? l->service : "", &names) < 0)
        log_warn("invoice text: the names of contract %s could not be read", l->contract);
    struct invoice_vars v = {
        .product = names.product[0] ? names.product : l->product ? l->product : "",
        .subscription = l->subscription ? l->subscription : names.subscription,
        .company = names.company,
        .period = l->period ? l->period : "",
        .quantity = l->quantity ? l->quantity : "",
    };
    size_t max = l->system && !strcmp(l->system, "autotask") ? INVOICE_TEXT_AUTOTASK_MAX : INVOICE_TEXT_MAX;
    if (invoice_text_expand(tpl, &v, max, out, n) < 0 || !out[0])
        invoice_text_expand(l->default_tpl, &v, max, out, n);
    if (!out[0])
        snprintf(out, n, "%s", "billsync");
    free(pol);
}
