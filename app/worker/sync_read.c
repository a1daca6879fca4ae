/* sync_read.c: a sync's bulk reads of the PSA (see sync_read.h). */
#include "worker/sync_read.h"

#include "common/log.h"

#include <stdlib.h>
#include <string.h>

/* The services to read, ordered by connection, day, contract and service. */
static int cmp_read(const void *a, const void *b)
{
    const struct sync_service *x = *(const struct sync_service *const *)a, *y = *(const struct sync_service *const *)b;
    const struct link_state *p = x->links, *q = y->links;
    if (p->psa_connection_id != q->psa_connection_id)
        return p->psa_connection_id < q->psa_connection_id ? -1 : 1;
    int c = cdate_cmp(x->read_on, y->read_on);
    if (c)
        return c;
    c = strcmp(p->psa_contract_id, q->psa_contract_id);
    return c ? c : strcmp(p->psa_service_id, q->psa_service_id);
}

struct group {
    struct sync_service **v;      /* one connection and day, sorted by contract and service */
    int n;
};

static int on_units(void *ctx, const char *contract_id, const char *service_id, const struct psa_units_seen *u)
{
    struct group *g = ctx;
    int lo = 0, hi = g->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        const struct link_state *l = g->v[mid]->links;
        int c = strcmp(l->psa_contract_id, contract_id);
        if (c == 0)
            c = strcmp(l->psa_service_id, service_id);
        if (c == 0) {
            g->v[mid]->seen = *u;
            return 0;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0; /* a service of the contract that no link feeds */
}

/* One connection and day: one bulk read, every service of the group read (one the PSA did not
 * report holds no units). */
static void read_group(struct job_env *env, long long tenant_id, struct psa_pool *pool, struct group *g)
{
    const struct link_state *first = g->v[0]->links;
    const struct conn *c;
    const char *why;
    const struct psa_connector *p = psa_pool_get(pool, env, tenant_id, first->psa_connection_id, &c, &why);
    struct psa_service_key *keys = malloc((size_t)g->n * sizeof *keys);
    if (!p || !keys) {
        log_warn("sync tenant=%lld: cannot read PSA connection %lld: %s", tenant_id, first->psa_connection_id,
                 p ? "out of memory" : why);
        free(keys);
        return;
    }
    for (int i = 0; i < g->n; i++) {
        memset(&g->v[i]->seen, 0, sizeof g->v[i]->seen);
        keys[i].contract_id = g->v[i]->links->psa_contract_id;
        keys[i].service_id = g->v[i]->links->psa_service_id;
    }
    struct conn_error ce;
    memset(&ce, 0, sizeof ce);
    if (p->read_units_bulk(c, keys, g->n, g->v[0]->read_on, on_units, g, &ce) < 0) {
        /* Cannot see the PSA now: nothing is planned blind; the next sync tries again. */
        log_warn("sync tenant=%lld: cannot read the units of %d services of PSA connection %lld: %s", tenant_id,
                 g->n, first->psa_connection_id, ce.message);
    } else {
        for (int i = 0; i < g->n; i++)
            g->v[i]->have_read = 1;
    }
    free(keys);
}

int sync_read_services(struct job_env *env, long long tenant_id, struct psa_pool *pool, struct sync_service *v,
                       int n)
{
    struct sync_service **order = malloc((size_t)(n ? n : 1) * sizeof *order);
    if (!order)
        return 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (v[i].ok && v[i].need_read)
            order[k++] = &v[i];
    qsort(order, (size_t)k, sizeof *order, cmp_read);
    int groups = 0;
    for (int i = 0, j; i < k; i = j) {
        for (j = i + 1; j < k && order[j]->links->psa_connection_id == order[i]->links->psa_connection_id &&
                        cdate_cmp(order[j]->read_on, order[i]->read_on) == 0;
             j++)
            ;
        struct group g = {&order[i], j - i};
        read_group(env, tenant_id, pool, &g);
        groups++;
    }
    free(order);
    return groups;
}
