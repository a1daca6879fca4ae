/* autotask.c: the Datto Autotask connector: psa.h's operations as Autotask REST v1.0 calls. */
#include "connectors/autotask.h"

#include "connectors/autotask_api.h"
#include "connectors/psa_util.h"
#include "net/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Autotask requires a phone number on a company; billsync only knows the name. */
#define AT_PHONE_PLACEHOLDER "n/a"

/* ---- small helpers ------------------------------------------------------------------------ */

static json_t *all_rows(void)
{
    /* A query needs a filter; "id >= 0" is the documented idiom for "everything". */
    json_t *f = json_array();
    json_array_append_new(f, at_cond("gte", "id", json_integer(0)));
    return f;
}

static int rejected(struct conn_error *err, const char *msg, const char *hint)
{
    conn_error_set(err, CONN_REJECTED, 0, msg, hint);
    return -1;
}

/* First item of a query: its id (1), none (0), or -1. */
struct first_ctx {
    int found;
    int64_t id;
    const char *field; /* optional: the integer field wanted instead of the id */
};

static int first_item(void *p, const json_t *item, struct conn_error *err)
{
    (void)err;
    struct first_ctx *f = p;
    if (jsonx_int(item, f->field ? f->field : "id", &f->id) < 0)
        return 0; /* keep looking for one that has the field */
    f->found = 1;
    return 1;
}

static int first_of(struct at_session *s, const char *entity, json_t *filter, const char *field,
                    int64_t *out, struct conn_error *err)
{
    struct first_ctx f = {.field = field};
    if (at_query(s, entity, filter, first_item, &f, err) < 0)
        return -1;
    *out = f.id;
    return f.found;
}

/* ---- test, accounts, contracts, services ---------------------------------------------------- */

static int at_test(const struct conn *c, char *summary, size_t n, struct conn_error *err)
{
    struct at_session s;
    if (at_open(c, &s, err) < 0)
        return -1;
    int64_t count = 0;
    int rc = at_count(&s, "Companies", all_rows(), &count, err);
    if (rc == 0)
        snprintf(summary, n, "%lld accounts", (long long)count);
    at_close(&s);
    return rc;
}

struct list_ctx {
    struct at_session *s;
    psa_account_fn account;
    psa_contract_fn contract;
    psa_service_fn service;
    void *ctx;
};

static int need_text(const json_t *item, const char *key, const char *what, const char *id,
                     const char **out, struct conn_error *err)
{
    *out = jsonx_str(item, key);
    if (*out)
        return 0;
    psa_bad_response(err, "Autotask %s %s has no %s", what, id, key);
    return -1;
}

static int account_item(void *p, const json_t *item, struct conn_error *err)
{
    struct list_ctx *k = p;
    struct psa_account a = {.active = 1};
    const char *name;
    psa_json_id(item, "id", a.id);
    if (need_text(item, "companyName", "company", a.id, &name, err) < 0)
        return -1;
    snprintf(a.name, sizeof a.name, "%s", name);
    jsonx_bool(item, "isActive", &a.active);
    return k->account(k->ctx, &a) ? 1 : 0;
}

static int at_list_accounts(const struct conn *c, psa_account_fn fn, void *ctx, struct conn_error *err)
{
    struct at_session s;
    if (at_open(c, &s, err) < 0)
        return -1;
    struct list_ctx k = {.s = &s, .account = fn, .ctx = ctx};
    int rc = at_query(&s, "Companies", all_rows(), account_item, &k, err);
    at_close(&s);
    return rc;
}

/* The label of an integer picklist field of a contract (NULL when unset or unknown). */
static int contract_label(struct at_session *s, const json_t *item, const char *field,
                          const char **label, int64_t *value, struct conn_error *err)
{
    *label = NULL;
    *value = -1;
    if (jsonx_int(item, field, value) < 0)
        return 0;
    return at_pick_label(s, "Contracts", field, *value, label, err);
}

static int contract_fields(struct at_session *s, const json_t *item, struct psa_contract *ct,
                           struct conn_error *err)
{
    const char *label;
    int64_t v;
    if (contract_label(s, item, "contractType", &label, &v, err) < 0)
        return -1;
    ct->type = at_label_matches(label, "Recurring Service") ? PSA_RECURRING
               : at_label_matches(label, "Fixed Price")     ? PSA_FIXED_PRICE
                                                            : PSA_OTHER;
    if (contract_label(s, item, "status", &label, &v, err) < 0)
        return -1;
    ct->active = label ? at_label_matches(label, "Active|In Effect") : v == 1;
    if (contract_label(s, item, "contractPeriodType", &label, &v, err) < 0)
        return -1;
    ct->cycle_months = at_period_months(label);
    if (ct->cycle_months == 0 && ct->type == PSA_RECURRING)
        ct->cycle_months = 1;
    /* Autotask prorates mid-period adjustments of recurring services by default. */
    ct->prorate = ct->type == PSA_RECURRING;
    return 0;
}

static int contract_item(void *p, const json_t *item, struct conn_error *err)
{
    struct list_ctx *k = p;
    struct psa_contract ct;
    const char *name;
    memset(&ct, 0, sizeof ct);
    psa_json_id(item, "id", ct.id);
    if (psa_json_id(item, "companyID", ct.account_id) < 0) {
        psa_bad_response(err, "Autotask contract %s has no companyID", ct.id);
        return -1;
    }
    if (need_text(item, "contractName", "contract", ct.id, &name, err) < 0)
        return -1;
    snprintf(ct.name, sizeof ct.name, "%s", name);
    if (jsonx_date(item, "startDate", &ct.start) < 0) {
        psa_bad_response(err, "Autotask contract %s has no startDate", ct.id);
        return -1;
    }
    jsonx_date(item, "endDate", &ct.end);
    ct.billing_start = ct.start;
    if (contract_fields(k->s, item, &ct, err) < 0)
        return -1;
    return k->contract(k->ctx, &ct) ? 1 : 0;
}

static int at_list_contracts(const struct conn *c, psa_contract_fn fn, void *ctx, struct conn_error *err)
{
    struct at_session s;
    if (at_open(c, &s, err) < 0)
        return -1;
    struct list_ctx k = {.s = &s, .contract = fn, .ctx = ctx};
    int rc = at_query(&s, "Contracts", all_rows(), contract_item, &k, err);
    at_close(&s);
    return rc;
}

static int service_item(void *p, const json_t *item, struct conn_error *err)
{
    struct list_ctx *k = p;
    struct psa_service sv = {.active = 1};
    const char *name, *sku = jsonx_str(item, "sku");
    psa_json_id(item, "id", sv.id);
    if (need_text(item, "name", "service", sv.id, &name, err) < 0)
        return -1;
    snprintf(sv.name, sizeof sv.name, "%s", name);
    if (!sku)
        sku = jsonx_str(item, "catalogNumberPartNumber");
    snprintf(sv.sku, sizeof sv.sku, "%s", sku ? sku : "");
    char what[80];
    snprintf(what, sizeof what, "Autotask service %s", sv.id);
    if (psa_opt_money(item, "unitPrice", what, &sv.unit_price, err) < 0 ||
        psa_opt_money(item, "unitCost", what, &sv.unit_cost, err) < 0)
        return -1;
    jsonx_bool(item, "isActive", &sv.active);
    return k->service(k->ctx, &sv) ? 1 : 0;
}

static int at_list_services(const struct conn *c, psa_service_fn fn, void *ctx, struct conn_error *err)
{
    struct at_session s;
    if (at_open(c, &s, err) < 0)
        return -1;
    struct list_ctx k = {.s = &s, .service = fn, .ctx = ctx};
    int rc = at_query(&s, "Services", all_rows(), service_item, &k, err);
    at_close(&s);
    return rc;
}

/* ---- contract services and units ------------------------------------------------------------ */

struct cs_row {
    int64_t id, contract, service;
    money_t price, cost;
    qty_t units;
    char name[PSA_NAME];
};

struct cs_list {
    struct cs_row *v;
    size_t n, cap;
};

static int cs_item(void *p, const json_t *item, struct conn_error *err)
{
    struct cs_list *l = p;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct cs_row *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    struct cs_row *r = &l->v[l->n];
    memset(r, 0, sizeof *r);
    jsonx_int(item, "id", &r->id);
    if (jsonx_int(item, "contractID", &r->contract) < 0 || jsonx_int(item, "serviceID", &r->service) < 0) {
        psa_bad_response(err, "Autotask contract service %lld has no contractID or serviceID",
                         (long long)r->id);
        return -1;
    }
    char what[80];
    snprintf(what, sizeof what, "Autotask contract service %lld", (long long)r->id);
    if (psa_opt_money(item, "unitPrice", what, &r->price, err) < 0 ||
        psa_opt_money(item, "unitCost", what, &r->cost, err) < 0)
        return -1;
    const char *d = jsonx_str(item, "invoiceDescription");
    snprintf(r->name, sizeof r->name, "%s", d ? d : "");
    l->n++;
    return 0;
}

static int cmp_row_id(const void *a, const void *b)
{
    int64_t x = ((const struct cs_row *)a)->id, y = ((const struct cs_row *)b)->id;
    return (x > y) - (x < y);
}

static int unit_item(void *p, const json_t *item, struct conn_error *err)
{
    struct cs_list *l = p;
    struct cs_row key = {.id = -1};
    qty_t units = 0;
    if (jsonx_int(item, "contractServiceID", &key.id) < 0 || jsonx_qty(item, "units", &units) < 0) {
        psa_bad_response(err, "An Autotask ContractServiceUnits row has no contractServiceID or units");
        return -1;
    }
    struct cs_row *r = bsearch(&key, l->v, l->n, sizeof *l->v, cmp_row_id);
    if (r) {
        r->units += units;
        char what[80];
        snprintf(what, sizeof what, "Autotask contract service %lld's units row", (long long)key.id);
        if (psa_opt_money(item, "price", what, &r->price, err) < 0 ||
            psa_opt_money(item, "cost", what, &r->cost, err) < 0)
            return -1;
    }
    return 0;
}

struct svc_names {
    int64_t *ids;
    char (*names)[PSA_NAME];
    size_t n;
};

static int service_name_item(void *p, const json_t *item, struct conn_error *err)
{
    (void)err;
    struct svc_names *sn = p;
    int64_t id = -1;
    const char *name = jsonx_str(item, "name");
    jsonx_int(item, "id", &id);
    int64_t *hit = bsearch(&id, sn->ids, sn->n, sizeof *sn->ids, at_cmp_id);
    if (hit && name)
        snprintf(sn->names[hit - sn->ids], PSA_NAME, "%s", name);
    return 0;
}

/* The distinct service ids of the rows, sorted. */
static int distinct_services(const struct cs_list *l, struct svc_names *sn)
{
    sn->ids = malloc((l->n ? l->n : 1) * sizeof *sn->ids);
    sn->names = calloc(l->n ? l->n : 1, sizeof *sn->names);
    if (!sn->ids || !sn->names)
        return -1;
    for (size_t i = 0; i < l->n; i++)
        sn->ids[i] = l->v[i].service;
    qsort(sn->ids, l->n, sizeof *sn->ids, at_cmp_id);
    sn->n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (sn->n == 0 || sn->ids[sn->n - 1] != sn->ids[i])
            sn->ids[sn->n++] = sn->ids[i];
    return 0;
}

/* Names of the rows' services, by "in" queries of at most 500 ids (Autotask's OR cap). */
static int fill_service_names(struct at_session *s, struct cs_list *l, struct conn_error *err)
{
    struct svc_names sn = {0};
    int rc = distinct_services(l, &sn);
    if (rc < 0)
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    for (size_t i = 0; rc == 0 && i < sn.n; i += AT_PAGE) {
        json_t *ids = json_array(), *f = json_array();
        for (size_t j = i; j < sn.n && j < i + AT_PAGE; j++)
            json_array_append_new(ids, json_integer(sn.ids[j]));
        json_array_append_new(f, at_cond("in", "id", ids));
        rc = at_query(s, "Services", f, service_name_item, &sn, err);
    }
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        int64_t *hit = bsearch(&l->v[i].service, sn.ids, sn.n, sizeof *sn.ids, at_cmp_id);
        if (hit && sn.names[hit - sn.ids][0])
            snprintf(l->v[i].name, sizeof l->v[i].name, "%s", sn.names[hit - sn.ids]);
    }
    free(sn.ids);
    free(sn.names);
    return rc;
}

static json_t *units_filter(int64_t contract, int64_t service, cdate_t d)
{
    json_t *f = json_array();
    if (contract >= 0)
        json_array_append_new(f, at_cond("eq", "contractID", json_integer(contract)));
    if (service >= 0)
        json_array_append_new(f, at_cond("eq", "serviceID", json_integer(service)));
    json_array_append_new(f, at_cond("lte", "startDate", at_date_value(d)));
    json_array_append_new(f, at_cond("gte", "endDate", at_date_value(d)));
    return f;
}

static int emit_rows(const struct cs_list *l, psa_contract_service_fn fn, void *ctx)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct cs_row *r = &l->v[i];
        struct psa_contract_service cs;
        memset(&cs, 0, sizeof cs);
        at_id_text(r->id, cs.id);
        at_id_text(r->contract, cs.contract_id);
        at_id_text(r->service, cs.service_id);
        snprintf(cs.name, sizeof cs.name, "%s", r->name);
        cs.units = r->units;
        cs.unit_price = r->price;
        cs.unit_cost = r->cost;
        if (fn(ctx, &cs))
            break;
    }
    return 0;
}

static int at_list_contract_services(const struct conn *c, const char *contract_id, cdate_t date,
                                     psa_contract_service_fn fn, void *ctx, struct conn_error *err)
{
    int64_t cid = -1;
    if (contract_id && *contract_id && at_parse_id(contract_id, "contract", &cid, err) < 0)
        return -1;
    struct at_session s;
    if (at_open(c, &s, err) < 0)
        return -1;
    struct cs_list l = {0};
    json_t *f = cid >= 0 ? json_array() : all_rows();
    if (cid >= 0)
        json_array_append_new(f, at_cond("eq", "contractID", json_integer(cid)));
    int rc = at_query(&s, "ContractServices", f, cs_item, &l, err);
    if (rc == 0 && l.n) {
        qsort(l.v, l.n, sizeof *l.v, cmp_row_id);
        rc = at_query(&s, "ContractServiceUnits", units_filter(cid, -1, date), unit_item, &l, err);
    }
    if (rc == 0 && l.n)
        rc = fill_service_names(&s, &l, err);
    if (rc == 0)
        emit_rows(&l, fn, ctx);
    free(l.v);
    at_close(&s);
    return rc;
}

static int sum_units(void *p, const json_t *item, struct conn_error *err)
{
    qty_t *sum = p, u;
    if (jsonx_qty(item, "units", &u) < 0) {
        psa_bad_response(err, "An Autotask ContractServiceUnits row has no units");
        return -1;
    }
    *sum += u;
    return 0;
}

/* Units of a service on a contract in effect on d: the ContractServiceUnits rows covering it. */
static int units_on(struct at_session *s, int64_t contract, int64_t service, cdate_t d, qty_t *units,
                    struct conn_error *err)
{
    *units = 0;
    return at_query(s, "ContractServiceUnits", units_filter(contract, service, d), sum_units, units, err);
}

static int at_read_units(const struct conn *c, const char *contract_id, const char *service_id,
                         cdate_t date, struct psa_units_seen *seen, struct conn_error *err)
{
    int64_t cid, sid;
    memset(seen, 0, sizeof *seen);
    if (at_parse_id(contract_id, "contract", &cid, err) < 0 || at_parse_id(service_id, "service", &sid, err) < 0)
        return -1;
    struct at_session s;
    if (at_open(c, &s, err) < 0)
        return -1;
    int rc = units_on(&s, cid, sid, date, &seen->units, err);
    at_close(&s);
    return rc;
}

/* ---- unit changes --------------------------------------------------------------------------- */

static json_t *adjustment_body(const struct psa_unit_change *u, int64_t cid, int64_t sid,
                               int64_t csid, int64_t delta)
{
    json_t *b = json_object();
    json_object_set_new(b, "contractID", json_integer(cid));
    json_object_set_new(b, "serviceID", json_integer(sid));
    if (csid > 0)
        json_object_set_new(b, "contractServiceID", json_integer(csid));
    json_object_set_new(b, "effectiveDate", at_date_value(u->effective));
    json_object_set_new(b, "unitChange", json_integer(delta));
    /* 0 means "keep the contract's price": an adjusted price applies from this date on. */
    if (u->unit_price)
        json_object_set_new(b, "adjustedUnitPrice", psa_json_money(u->unit_price));
    if (u->unit_cost)
        json_object_set_new(b, "adjustedUnitCost", psa_json_money(u->unit_cost));
    return b;
}

/* After an accepted adjustment the units on the effective date must have moved by delta. */
static int verify_units(struct at_session *s, int64_t cid, int64_t sid, cdate_t d, qty_t want,
                        struct conn_error *err)
{
    qty_t got;
    if (units_on(s, cid, sid, d, &got, err) < 0) {
        err->maybe_committed = 1; /* posted, but not verified */
        return -1;
    }
    if (got == want)
        return 0;
    char g[MONEY_FMT_MAX], w[MONEY_FMT_MAX], day[CDATE_FMT_LEN];
    qty_format(got, g, sizeof g);
    qty_format(want, w, sizeof w);
    cdate_format(d, day, sizeof day);
    psa_bad_response(err, "Autotask accepted the service adjustment, but its ContractServiceUnits "
                     "show %s units on %s instead of %s", g, day, w);
    err->maybe_committed = 1;
    return -1;
}

static int at_post_unit_change(const struct conn *c, const struct psa_unit_change *u, char ref[PSA_ID],
                               struct conn_error *err)
{
    int64_t cid, sid, csid = 0, delta;
    ref[0] = '\0';
    if (at_parse_id(u->contract_id, "contract", &cid, err) < 0 || at_parse_id(u->service_id, "service", &sid, err) < 0)
        return -1;
    if (u->contract_service_id && *u->contract_service_id &&
        at_parse_id(u->contract_service_id, "contract service", &csid, err) < 0)
        return -1;
    if (qty_to_int(u->delta, &delta) < 0)
        return rejected(err, "Autotask adjusts whole units only; the change has a fraction.",
                        "Map this subscription to a charge instead of a recurring service.");
    if (!cdate_valid(u->effective))
        return rejected(err, "The unit change has no valid effective date.", "");
    if (delta == 0)
        return 0; /* nothing to post */
    struct at_session s;
    if (at_open(c, &s, err) < 0)
        return -1;
    qty_t before = 0;
    int64_t item = 0;
    /* The units the change was planned from, when the caller read them for this change:
     * one write and one verifying read, nothing more. */
    int rc = 0;
    if (u->seen)
        before = u->seen->units;
    else
        rc = units_on(&s, cid, sid, u->effective, &before, err);
    if (rc == 0) {
        char path[64];
        snprintf(path, sizeof path, "Contracts/%lld/ServiceAdjustments", (long long)cid);
        rc = at_create(&s, path, "ContractServiceAdjustments", "service adjustment",
                       adjustment_body(u, cid, sid, csid, delta), 1, &item, err);
    }
    if (rc == 0 && item > 0)
        at_id_text(item, ref); /* Autotask often answers itemId 0: never rely on it */
    if (rc == 0)
        rc = verify_units(&s, cid, sid, u->effective, before + delta * QTY_SCALE, err);
    at_close(&s);
    return rc;
}

/* ---- creates ------------------------------------------------------------------------------- */

/* A resource to own new companies: the one owning the MSP's own company (id 0), else any. */
static int company_owner(struct at_session *s, int64_t *owner, struct conn_error *err)
{
    json_t *f = json_array();
    json_array_append_new(f, at_cond("eq", "id", json_integer(0)));
    int rc = first_of(s, "Companies", f, "ownerResourceID", owner, err);
    if (rc == 0) {
        f = json_array();
        json_array_append_new(f, at_cond("exist", "ownerResourceID", NULL));
        rc = first_of(s, "Companies", f, "ownerResourceID", owner, err);
    }
    if (rc == 0) {
        conn_error_set(err, CONN_CONFIG, 0, "No Autotask company has an owner resource billsync "
                       "could give the new company.", "Create the company in Autotask instead.");
        return -1;
    }
    return rc < 0 ? -1 : 0;
}

static int at_create_account(const struct conn *c, const char *name, char id[PSA_ID],
                             struct conn_error *err)
{
    struct at_session s;
    int64_t owner, type, item;
    id[0] = '\0';
    if (!name || !*name)
        return rejected(err, "The new company needs a name.", "");
    if (at_open(c, &s, err) < 0)
        return -1;
    int rc = company_owner(&s, &owner, err);
    if (rc == 0)
        rc = at_pick_value(&s, "Companies", "companyType", "Customer", &type, err);
    if (rc == 0) {
        json_t *b = json_object();
        json_object_set_new(b, "companyName", json_string(name));
        json_object_set_new(b, "companyType", json_integer(type));
        json_object_set_new(b, "phone", json_string(AT_PHONE_PLACEHOLDER));
        json_object_set_new(b, "ownerResourceID", json_integer(owner));
        rc = at_create(&s, "Companies", "Companies", "company", b, 0, &item, err);
    }
    if (rc == 0)
        at_id_text(item, id);
    at_close(&s);
    return rc;
}

static const char *period_labels(int months)
{
    switch (months) {
    case 0:
    case 1:
        return "Monthly|Month";
    case 3:
        return "Quarterly|Quarter";
    case 6:
        return "Semi-Annual|Semiannual|Semi-Annually";
    case 12:
        return "Yearly|Annual|Annually";
    default:
        return NULL;
    }
}

static int contract_picks(struct at_session *s, const struct psa_new_contract *nc, json_t *b,
                          struct conn_error *err)
{
    int recurring = nc->type == PSA_RECURRING;
    int64_t type, status, period;
    if (at_pick_value(s, "Contracts", "contractType", recurring ? "Recurring Service" : "Fixed Price",
                      &type, err) < 0 ||
        at_pick_value(s, "Contracts", "status", "Active|In Effect", &status, err) < 0)
        return -1;
    json_object_set_new(b, "contractType", json_integer(type));
    json_object_set_new(b, "status", json_integer(status));
    if (!recurring)
        return 0;
    const char *labels = period_labels(nc->cycle_months);
    if (!labels)
        return rejected(err, "Autotask billing periods are monthly, quarterly, semi-annual or yearly.", "");
    if (at_pick_value(s, "Contracts", "contractPeriodType", labels, &period, err) < 0)
        return -1;
    json_object_set_new(b, "contractPeriodType", json_integer(period));
    return 0;
}

static int at_create_contract(const struct conn *c, const struct psa_new_contract *nc, char id[PSA_ID],
                              struct conn_error *err)
{
    int64_t account, item;
    id[0] = '\0';
    if (at_parse_id(nc->account_id, "company", &account, err) < 0)
        return -1;
    if (nc->type == PSA_OTHER)
        return rejected(err, "billsync creates recurring service and fixed price contracts only.", "");
    if (!cdate_valid(nc->start) || !cdate_valid(nc->end) || cdate_cmp(nc->end, nc->start) < 0)
        return rejected(err, "Autotask contracts need a start date and an end date on or after it.",
                        "Give the contract an end date.");
    struct at_session s;
    if (at_open(c, &s, err) < 0)
        return -1;
    json_t *b = json_object();
    json_object_set_new(b, "companyID", json_integer(account));
    json_object_set_new(b, "contractName", json_string(nc->name ? nc->name : ""));
    json_object_set_new(b, "startDate", at_date_value(nc->start));
    json_object_set_new(b, "endDate", at_date_value(nc->end));
    json_object_set_new(b, "timeReportingRequiresStartAndStopTimes", json_integer(1));
    int rc = contract_picks(&s, nc, b, err);
    if (rc == 0)
        rc = at_create(&s, "Contracts", "Contracts", "contract", json_incref(b), 0, &item, err);
    if (rc == 0)
        at_id_text(item, id);
    json_decref(b);
    at_close(&s);
    return rc;
}

/* The first active billing code of a use type ("Recurring Contract Service", "Material Cost Code"). */
static int billing_code(struct at_session *s, const char *use, int64_t *code, struct conn_error *err)
{
    int64_t type;
    if (at_pick_value(s, "BillingCodes", "useType", use, &type, err) < 0)
        return -1;
    json_t *f = json_array();
    json_array_append_new(f, at_cond("eq", "useType", json_integer(type)));
    json_array_append_new(f, at_cond("eq", "isActive", json_true()));
    int rc = first_of(s, "BillingCodes", f, NULL, code, err);
    if (rc == 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "Autotask has no active \"%s\" billing code.", use);
        conn_error_set(err, CONN_CONFIG, 0, msg,
                       "Create one in Autotask (Admin > Products & Services > Billing Codes).");
    }
    return rc == 1 ? 0 : -1;
}

static json_t *service_body(const struct psa_new_service *ns, int64_t code, int64_t period)
{
    json_t *b = json_object();
    json_object_set_new(b, "name", json_string(ns->name));
    if (ns->description && *ns->description)
        json_object_set_new(b, "description", json_string(ns->description));
    json_object_set_new(b, "invoiceDescription", json_string(ns->name));
    if (ns->sku && *ns->sku)
        json_object_set_new(b, "sku", json_string(ns->sku));
    json_object_set_new(b, "billingCodeID", json_integer(code));
    json_object_set_new(b, "periodType", json_integer(period));
    json_object_set_new(b, "unitPrice", psa_json_money(ns->unit_price));
    json_object_set_new(b, "unitCost", psa_json_money(ns->unit_cost));
    return b;
}

static int at_create_service(const struct conn *c, const struct psa_new_service *ns, char id[PSA_ID],
                             struct conn_error *err)
{
    int64_t code, period, item;
    id[0] = '\0';
    if (!ns->name || !*ns->name)
        return rejected(err, "The new service needs a name.", "");
    struct at_session s;
    if (at_open(c, &s, err) < 0)
        return -1;
    int rc = billing_code(&s, "Recurring Contract Service", &code, err);
    if (rc == 0)
        rc = at_pick_value(&s, "Services", "periodType", "Monthly|Month", &period, err);
    if (rc == 0)
        rc = at_create(&s, "Services", "Services", "service", service_body(ns, code, period), 0, &item, err);
    if (rc == 0)
        at_id_text(item, id);
    at_close(&s);
    return rc;
}

/* ---- one-time charges ------------------------------------------------------------------------ */

static int find_in(struct at_session *s, int64_t cid, const char *marker, char id[PSA_ID],
                   struct conn_error *err)
{
    struct psa_marker_search k = {marker, id, 0};
    json_t *f = json_array();
    json_array_append_new(f, at_cond("eq", "contractID", json_integer(cid)));
    json_array_append_new(f, at_cond("contains", "description", json_string(marker)));
    if (at_query(s, "ContractCharges", f, psa_marker_item, &k, err) < 0)
        return -1;
    return k.found;
}

static int at_find_charge(const struct conn *c, const char *contract_id, const char *key, char id[PSA_ID],
                          struct conn_error *err)
{
    int64_t cid;
    char marker[PSA_MARKER_MAX];
    id[0] = '\0';
    if (at_parse_id(contract_id, "contract", &cid, err) < 0 || psa_charge_key(key, marker, sizeof marker, err) < 0)
        return -1;
    struct at_session s;
    if (at_open(c, &s, err) < 0)
        return -1;
    int rc = find_in(&s, cid, marker, id, err);
    at_close(&s);
    return rc;
}

static json_t *charge_body(const struct psa_charge *ch, int64_t cid, const char *marker, int64_t type,
                           int64_t code)
{
    char desc[2000];
    if (ch->description && *ch->description)
        snprintf(desc, sizeof desc, "%.1800s %s", ch->description, marker);
    else
        snprintf(desc, sizeof desc, "%s", marker);
    json_t *b = json_object();
    json_object_set_new(b, "contractID", json_integer(cid));
    json_object_set_new(b, "name", json_string(ch->name ? ch->name : ""));
    json_object_set_new(b, "description", json_string(desc));
    json_object_set_new(b, "chargeType", json_integer(type));
    json_object_set_new(b, "datePurchased", at_date_value(ch->date));
    json_object_set_new(b, "unitQuantity", psa_json_qty(ch->quantity));
    json_object_set_new(b, "unitPrice", psa_json_money(ch->unit_price));
    json_object_set_new(b, "unitCost", psa_json_money(ch->unit_cost));
    json_object_set_new(b, "isBillableToCompany", json_true());
    json_object_set_new(b, "billingCodeID", json_integer(code));
    return b;
}

static int at_create_charge(const struct conn *c, const struct psa_charge *ch, char id[PSA_ID],
                            struct conn_error *err)
{
    int64_t cid, type, code, item;
    char marker[PSA_MARKER_MAX];
    id[0] = '\0';
    if (at_parse_id(ch->contract_id, "contract", &cid, err) < 0 ||
        psa_charge_key(ch->key, marker, sizeof marker, err) < 0)
        return -1;
    if (!cdate_valid(ch->date))
        return rejected(err, "The charge has no valid date.", "");
    struct at_session s;
    if (at_open(c, &s, err) < 0)
        return -1;
    /* Check before create: a charge with this key means an earlier attempt landed. */
    int rc = find_in(&s, cid, marker, id, err);
    if (rc == 0)
        rc = billing_code(&s, "Material Cost Code", &code, err);
    if (rc == 0)
        rc = at_pick_value(&s, "ContractCharges", "chargeType", "Operational", &type, err);
    if (rc == 0) {
        char path[64];
        snprintf(path, sizeof path, "Contracts/%lld/Charges", (long long)cid);
        rc = at_create(&s, path, "ContractCharges", "contract charge",
                       charge_body(ch, cid, marker, type, code), 0, &item, err);
        if (rc == 0)
            at_id_text(item, id);
    }
    at_close(&s);
    return rc < 0 ? -1 : 0;
}

const struct psa_connector autotask_connector = {
    .system = "autotask",
    .label = "Datto Autotask",
    .one_change_per_day = 1,
    PSA_CONNECTOR_OPS(at),
};
