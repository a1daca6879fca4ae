/* mapping.h: shared by the Billing (mapping) page's view and its actions. */
#ifndef BILLSYNC_WEB_MAPPING_H
#define BILLSYNC_WEB_MAPPING_H

#include "core/money.h"
#include "web/web.h"

struct mapping_filters {
    const char *q;
    int show_mapped, show_expired;
    /* "One contract per subscription": contracts that hold a subscription already are neither
     * offered nor suggested (by default they are: one contract holds many subscriptions). */
    int only_free;
    long long page;
};

int mapping_filters_read(struct web *w, struct mapping_filters *f);
/* The query string that keeps the filters, for redirects and links, written into buf (n bytes;
 * MAPPING_FILTERS_QUERY_MAX holds any filters, cut short otherwise); returns buf. */
#define MAPPING_FILTERS_QUERY_MAX 800
const char *mapping_filters_query(const struct mapping_filters *f, char *buf, size_t n);
/* POST /mapping actions; returns 1 when it produced the response. */
int mapping_action(struct web *w, long long psa_conn, const char *psa_system);

/* Links everything unlinked whose best suggestion scores at least threshold: companies,
 * then their subscriptions, then their resources (each reconciled once); an annual
 * subscription's resources stay on the charge route (no seat link). only_free: contracts
 * holding a subscription already are not suggested (one contract per subscription). */
void mapping_accept_all(struct web *w, long long psa_conn, int threshold, int only_free, char *msg, size_t n);

/* Creates the PSA counterpart of a distributor object from its data, then links it. */
int mapping_create(struct web *w, long long psa_conn, int level, long long row, char *msg, size_t n);
/* The unit price and cost a service created for the resource would get (its contract's price
 * policy); -1 with msg when it cannot be priced (another currency than the PSA's). */
int mapping_new_service_price(struct web *w, long long psa_conn, long long row, money_t *price, money_t *cost,
                               char *msg, size_t n);

#endif
