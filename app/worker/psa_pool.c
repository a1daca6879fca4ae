/* psa_pool.c: opened PSA connections of one job (see psa_pool.h). */
#include "worker/psa_pool.h"

#include "common/config.h"
#include "common/secret_key.h"
#include "db/connections.h"

#include <stdio.h>
#include <string.h>

const struct psa_connector *psa_pool_get(struct psa_pool *pool, struct job_env *env, long long tenant_id,
                                         long long id, const struct conn **c, const char **why)
{
    for (int i = 0; i < pool->n; i++)
        if (pool->e[i].id == id) {
            *c = &pool->e[i].c;
            *why = pool->e[i].error;
            return pool->e[i].p;
        }
    if (pool->n == PSA_POOL_MAX) {
        *why = "too many PSA connections in one job";
        return NULL;
    }
    int k = pool->n++;
    memset(&pool->e[k], 0, sizeof pool->e[k]);
    pool->e[k].id = id;
    if (connection_open(env->db, secret_key(env->cfg), tenant_id, id, env->cfg->slot_dir, &pool->e[k].c,
                        pool->e[k].system, pool->e[k].error, sizeof pool->e[k].error) == 1) {
        pool->e[k].p = psa_connector_for(pool->e[k].system);
        if (!pool->e[k].p) {
            char system[32];
            memcpy(system, pool->e[k].system, sizeof system);
            snprintf(pool->e[k].error, sizeof pool->e[k].error, "no connector for %s", system);
        }
    } else if (!pool->e[k].error[0]) {
        snprintf(pool->e[k].error, sizeof pool->e[k].error, "the PSA connection was deleted");
    }
    *c = &pool->e[k].c;
    *why = pool->e[k].error;
    return pool->e[k].p;
}

void psa_pool_close(struct psa_pool *pool)
{
    for (int i = 0; i < pool->n; i++)
        if (pool->e[i].c.settings)
            connection_close(&pool->e[i].c);
    pool->n = 0;
}
