/* psa_pool.h: opened PSA connections of one job, by connection id (open once, reuse). */
#ifndef BILLSYNC_WORKER_PSA_POOL_H
#define BILLSYNC_WORKER_PSA_POOL_H

#include "connectors/psa.h"
#include "worker/handlers.h"

#define PSA_POOL_MAX 8

struct psa_pool {
    int n;
    struct {
        long long id;
        struct conn c;
        char system[32];
        const struct psa_connector *p;
        char error[300];          /* why it could not be opened ("" when open) */
    } e[PSA_POOL_MAX];
};

/* The connector and connection for id, or NULL with why (the open error) set. */
const struct psa_connector *psa_pool_get(struct psa_pool *pool, struct job_env *env, long long tenant_id,
                                         long long id, const struct conn **c, const char **why);
void psa_pool_close(struct psa_pool *pool);

#endif
