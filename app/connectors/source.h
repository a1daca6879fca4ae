/* source.h: the distributor ("source") connector interface: interworks.cloud, Ingram Micro,
 * Microsoft Partner Center, Pax8, MSP360. Each connector turns its API into these canonical
 * records. Quantities come from subscriptions; money comes from billing lines, exactly as the
 * distributor states it (never recomputed as quantity × price). */
#ifndef BILLSYNC_CONNECTORS_SOURCE_H
#define BILLSYNC_CONNECTORS_SOURCE_H

#include "connectors/conn.h"
#include "core/source_records.h"

typedef int (*src_company_fn)(void *ctx, const struct src_company *c);
typedef int (*src_subscription_fn)(void *ctx, const struct src_subscription *s);
typedef int (*src_resource_fn)(void *ctx, const struct src_resource *r);
typedef int (*src_charge_fn)(void *ctx, const struct src_charge *ch);

struct source_connector {
    const char *system;           /* "interworks", "ingram", "partnercenter", "pax8", "msp360" */
    const char *label;
    int (*test)(const struct conn *c, char *summary, size_t n, struct conn_error *err);
    int (*list_companies)(const struct conn *c, src_company_fn fn, void *ctx, struct conn_error *err);
    int (*list_subscriptions)(const struct conn *c, src_subscription_fn fn, void *ctx,
                              struct conn_error *err);
    int (*list_resources)(const struct conn *c, src_resource_fn fn, void *ctx, struct conn_error *err);
    /* Optional (NULL: list_subscriptions then list_resources): both from one pass over the
     * API, for a distributor whose resources are its subscriptions (Pax8): half the calls. */
    int (*list_subscriptions_and_resources)(const struct conn *c, src_subscription_fn sfn, src_resource_fn rfn,
                                            void *ctx, struct conn_error *err);
    /* Billing lines whose billing period starts in the month of `month` (its day ignored). */
    int (*list_charges)(const struct conn *c, cdate_t month, src_charge_fn fn, void *ctx,
                        struct conn_error *err);
};

const struct source_connector *source_connector_for(const char *system);

#endif
