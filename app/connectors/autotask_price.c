/* autotask_price.c: a contract service's cost and price in Autotask (psa.h read_money,
 * post_price_change). ContractServiceUnits rows carry the price and cost in effect for their
 * dates; a ServiceAdjustment of 0 units with adjustedUnitCost (and adjustedUnitPrice) changes
 * them from its effective date (doc/psa-apis.md A8). */
#include "connectors/autotask.h"

#include "connectors/autotask_api.h"
#include "connectors/psa_util.h"
#include "net/jsonx.h"

#include <stdio.h>
#include <string.h>

static int money_item(void *p, const json_t *item, struct conn_error *err)
{
    struct psa_money_seen *m = p;
    money_t cost = 0, price = 0;
    if (psa_opt_money(item, "cost", "An Autotask ContractServiceUnits row", &cost, err) < 0 ||
        psa_opt_money(item, "price", "An Autotask ContractServiceUnits row", &price, err) < 0)
        return -1;
    if (!m->found) {
        m->found = 1;
        m->uniform = 1;
        m->unit_cost = cost;
        m->unit_price = price;
    } else if (cost != m->unit_cost || price != m->unit_price) {
        m->uniform = 0;
    }
    return 0;
}

static int money_on(struct at_session *s, int64_t cid, int64_t sid, cdate_t d, struct psa_money_seen *m,
                    struct conn_error *err)
{
    memset(m, 0, sizeof *m);
    json_t *f = json_array();
    json_array_append_new(f, at_cond("eq", "contractID", json_integer(cid)));
    json_array_append_new(f, at_cond("eq", "serviceID", json_integer(sid)));
    json_array_append_new(f, at_cond("lte", "startDate", at_date_value(d)));
    json_array_append_new(f, at_cond("gte", "endDate", at_date_value(d)));
    return at_query(s, "ContractServiceUnits", f, money_item, m, err);
}

int at_read_money(const struct conn *c, const char *contract_id, const char *service_id, cdate_t date,
                  struct psa_money_seen *m, struct conn_error *err)
{
    int64_t cid, sid;
    memset(m, 0, sizeof *m);
    if (at_parse_id(contract_id, "contract", &cid, err) < 0 || at_parse_id(service_id, "service", &sid, err) < 0)
        return -1;
    struct at_session s;
    if (at_open(c, &s, err) < 0)
        return -1;
    int rc = money_on(&s, cid, sid, date, m, err);
    at_close(&s);
    return rc;
}

int at_post_price_change(const struct conn *c, const struct psa_price_change *pc, char ref[PSA_ID],
                         struct conn_error *err)
{
    int64_t cid, sid, item = 0;
    ref[0] = '\0';
    if (at_parse_id(pc->contract_id, "contract", &cid, err) < 0 ||
        at_parse_id(pc->service_id, "service", &sid, err) < 0)
        return -1;
    if (!cdate_valid(pc->effective)) {
        conn_error_set(err, CONN_REJECTED, 0, "The cost change has no valid effective date.", "");
        return -1;
    }
    struct at_session s;
    if (at_open(c, &s, err) < 0)
        return -1;
    json_t *b = json_object();
    json_object_set_new(b, "contractID", json_integer(cid));
    json_object_set_new(b, "serviceID", json_integer(sid));
    json_object_set_new(b, "effectiveDate", at_date_value(pc->effective));
    json_object_set_new(b, "unitChange", json_integer(0));
    json_object_set_new(b, "adjustedUnitCost", psa_json_money(pc->unit_cost));
    if (pc->has_price)
        json_object_set_new(b, "adjustedUnitPrice", psa_json_money(pc->unit_price));
    char path[64];
    snprintf(path, sizeof path, "Contracts/%lld/ServiceAdjustments", (long long)cid);
    int rc = at_create(&s, path, "ContractServiceAdjustments", "service adjustment", b, 1, &item, err);
    if (rc == 0 && item > 0)
        at_id_text(item, ref);
    /* Read back: the row in effect on the date carries the new cost (and price). */
    struct psa_money_seen m;
    if (rc == 0 && money_on(&s, cid, sid, pc->effective, &m, err) < 0) {
        err->maybe_committed = 1;
        rc = -1;
    } else if (rc == 0 && (!m.found || m.unit_cost != pc->unit_cost || (pc->has_price && m.unit_price != pc->unit_price))) {
        psa_bad_response(err, "Autotask accepted the service adjustment, but its ContractServiceUnits do not show "
                         "the new cost on the effective date");
        err->maybe_committed = 1;
        rc = -1;
    }
    at_close(&s);
    return rc;
}
