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

/* One query per AT_PAGE contracts ("in" lists stay within the 500-condition cap), each paged by
 * 500 rows: a sync of N linked services on up to 500 contracts costs ceil(rows / 500) calls. */
int at_read_units_bulk(const struct conn *c, const char *const *contract_ids, int n, cdate_t date,
                       psa_units_fn fn, void *ctx, struct conn_error *err)
{
    if (n <= 0)
        return 0;
    int64_t *ids = malloc((size_t)n * sizeof *ids);
    if (!ids) {
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (at_parse_id(contract_ids[i], "contract", &ids[i], err) < 0) {
            free(ids);
            return -1;
        }
    struct at_session s;
    if (at_open(c, &s, err) < 0) {
        free(ids);
        return -1;
    }
    struct unit_sums l = {0};
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i += AT_PAGE) {
        json_t *in = json_array(), *f = json_array();
        for (int j = i; j < n && j < i + AT_PAGE; j++)
            json_array_append_new(in, json_integer(ids[j]));
        json_array_append_new(f, at_cond("in", "contractID", in));
        json_array_append_new(f, at_cond("lte", "startDate", at_date_value(date)));
        json_array_append_new(f, at_cond("gte", "endDate", at_date_value(date)));
        rc = at_query(&s, "ContractServiceUnits", f, unit_sum_item, &l, err);
    }
    at_close(&s);
    free(ids);
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
