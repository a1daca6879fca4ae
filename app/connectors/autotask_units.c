/* autotask_units.c: a sync's bulk read of Autotask units (psa.h read_units_bulk): the
 * ContractServiceUnits of many contracts at once, summed per contract service. */
#include "connectors/autotask.h"

#include "connectors/autotask_api.h"
#include "connectors/psa_util.h"
#include "net/jsonx.h"

#include <stdlib.h>
#include <string.h>

/* ContractServiceUnits rows of many contracts, summed per (contract, service). */
struct unit_sum {
    int64_t contract, service;
    qty_t units;
};

struct unit_sums {
    struct unit_sum *v;
    size_t n, cap;
};

static int unit_sum_item(void *p, const json_t *item, struct conn_error *err)
{
    struct unit_sums *l = p;
    struct unit_sum u = {0, 0, 0};
    if (jsonx_int(item, "contractID", &u.contract) < 0 || jsonx_int(item, "serviceID", &u.service) < 0 ||
        jsonx_qty(item, "units", &u.units) < 0) {
        psa_bad_response(err, "An Autotask ContractServiceUnits row has no contractID, serviceID or units");
        return -1;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct unit_sum *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = u;
    return 0;
}

static int cmp_unit_sum(const void *a, const void *b)
{
    const struct unit_sum *x = a, *y = b;
    if (x->contract != y->contract)
        return x->contract < y->contract ? -1 : 1;
    return (x->service > y->service) - (x->service < y->service);
}

/* The distinct ids of one side of the keys (contract or service), sorted. */
static int distinct_ids(const struct psa_service_key *keys, int n, int service, int64_t *out, int *k,
                        struct conn_error *err)
{
    for (int i = 0; i < n; i++)
        if (at_parse_id(service ? keys[i].service_id : keys[i].contract_id, service ? "service" : "contract",
                        &out[i], err) < 0)
            return -1;
    qsort(out, (size_t)n, sizeof *out, at_cmp_id);
    *k = 0;
    for (int i = 0; i < n; i++)
        if (*k == 0 || out[*k - 1] != out[i])
            out[(*k)++] = out[i];
    return 0;
}

static json_t *id_list(const int64_t *ids, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_integer(ids[i]));
    return a;
}

/*
 * Autotask caps a query at 500 OR conditions, an "in" list's values included. When the services'
 * and contracts' ids fit in one query, it asks for those services only (a changed seat count
 * costs one call, however big its contract); otherwise every service of the contracts, 500
 * contracts a query, 500 rows a page: a drift check of N services costs about ceil(N / 500).
 */
int at_read_units_bulk(const struct conn *c, const struct psa_service_key *keys, int n, cdate_t date,
                       psa_units_fn fn, void *ctx, struct conn_error *err)
{
    if (n <= 0)
        return 0;
    int64_t *contracts = malloc((size_t)n * sizeof *contracts), *services = malloc((size_t)n * sizeof *services);
    int nc = 0, ns = 0, rc = -1;
    struct unit_sums l = {0};
    struct at_session s;
    if (!contracts || !services)
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    else if (distinct_ids(keys, n, 0, contracts, &nc, err) == 0 && distinct_ids(keys, n, 1, services, &ns, err) == 0 &&
             at_open(c, &s, err) == 0) {
        int narrow = nc + ns <= AT_PAGE;
        rc = 0;
        for (int i = 0; rc == 0 && i < nc; i += AT_PAGE) {
            json_t *f = json_array();
            json_array_append_new(f, at_cond("in", "contractID", id_list(contracts + i, nc - i < AT_PAGE ? nc - i : AT_PAGE)));
            if (narrow)
                json_array_append_new(f, at_cond("in", "serviceID", id_list(services, ns)));
            json_array_append_new(f, at_cond("lte", "startDate", at_date_value(date)));
            json_array_append_new(f, at_cond("gte", "endDate", at_date_value(date)));
            rc = at_query(&s, "ContractServiceUnits", f, unit_sum_item, &l, err);
        }
        at_close(&s);
    }
    free(contracts);
    free(services);
    if (rc == 0 && l.n)
        qsort(l.v, l.n, sizeof *l.v, cmp_unit_sum);
    for (size_t i = 0, j; rc == 0 && i < l.n; i = j) {
        struct psa_units_seen seen;
        memset(&seen, 0, sizeof seen);
        for (j = i; j < l.n && !cmp_unit_sum(&l.v[i], &l.v[j]); j++)
            seen.units += l.v[j].units;
        char cid[PSA_ID], sid[PSA_ID];
        at_id_text(l.v[i].contract, cid);
        at_id_text(l.v[i].service, sid);
        if (fn(ctx, cid, sid, &seen))
            break;
    }
    free(l.v);
    return rc;
}
