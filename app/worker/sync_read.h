/* sync_read.h: a sync's reads of the PSA: every linked service that needs reading (core/service_plan.h
 * service_read_needed), in a few paged calls per PSA connection and day (psa.h read_units_bulk),
 * never one call per service. */
#ifndef BILLSYNC_WORKER_SYNC_READ_H
#define BILLSYNC_WORKER_SYNC_READ_H

#include "core/service_plan.h"
#include "db/ledger.h"
#include "worker/psa_pool.h"

/* One PSA contract service of a sync and the links feeding it. */
struct sync_service {
    const struct link_state *links; /* the first of its n links (same connection, contract, service) */
    int n;
    qty_t desired;                /* the sum of the links' quantities */
    int ok;                       /* desired and the ledger's posts are known */
    struct service_post posts[SERVICE_POSTS_MAX];
    int nposts;
    cdate_t read_on;              /* the day to read it on */
    int need_read;                /* the sync reads it from the PSA */
    int have_read;                /* it was read: seen holds what the PSA showed on read_on */
    struct psa_units_seen seen;
};

/* Reads every service with need_read; sets have_read and seen on each one read. Returns how many
 * (connection, day) groups were read. A connection that cannot be read leaves its services
 * unread: nothing is planned blind, the next sync tries again. */
int sync_read_services(struct job_env *env, long long tenant_id, struct psa_pool *pool, struct sync_service *v,
                       int n);

#endif
