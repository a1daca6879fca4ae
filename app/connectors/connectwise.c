/* connectwise.c: the ConnectWise PSA connector: psa.h's operations as Manage REST 3.0 calls. */
#include "connectors/connectwise.h"

#include "connectors/connectwise_api.h"
#include "connectors/psa_util.h"
#include "net/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- small helpers ------------------------------------------------------------------------ */

static void id_text(int64_t v, char id[PSA_ID]) { snprintf(id, PSA_ID, "%lld", (long long)v); }

static void copy_text(char *dst, size_t n, const char *a, const char *b)
{
    snprintf(dst, n, "%s", a ? a : b ? b : "");
}

/* ---- test, accounts, contracts, services ---------------------------------------------------- */

static int cw_test(const struct conn *c, char *summary, size_t n, struct conn_error *err)
{
    struct cw_session s;
    if (cw_open(c, &s, err) < 0)
        return -1;
    int64_t count = 0;
    int rc = cw_count(&s, "company/companies", "deletedFlag = false", &count, err);
    if (rc == 0)
        snprintf(summary, n, "%lld companies", (long long)count);
    cw_close(&s);
    return rc;
}

struct list_ctx {
    const json_t *cycles;
    psa_account_fn account;
    psa_contract_fn contract;
    psa_service_fn service;
    void *ctx;
};

static int account_item(void *p, const json_t *item, struct conn_error *err)
{
    struct list_ctx *k = p;
    struct psa_account a = {.active = 1};
    const char *name = jsonx_str(item, "name"), *status = jsonx_str(item, "status.name");
    int deleted = 0;
    psa_json_id(item, "id", a.id);
    if (!name) {
        psa_bad_response(err, "ConnectWise company %s has no name", a.id);
        return -1;
    }
    snprintf(a.name, sizeof a.name, "%s", name);
    jsonx_bool(item, "deletedFlag", &deleted);
    a.active = !deleted && !(status && strcasestr(status, "inactive"));
    return k->account(k->ctx, &a) ? 1 : 0;
}

static int cw_list_accounts(const struct conn *c, psa_account_fn fn, void *ctx, struct conn_error *err)
{
    struct cw_session s;
    if (cw_open(c, &s, err) < 0)
        return -1;
    struct list_ctx k = {.account = fn, .ctx = ctx};
    int rc = cw_list(&s, "company/companies", "deletedFlag = false", "company", account_item, &k, err);
    cw_close(&s);
    return rc;
}

/* Months per billing period of an agreement from its billing cycle (-1 when unknown). */
static int agreement_months(const json_t *cycles, const json_t *agreement)
{
    int64_t want, id;
    size_t i;
    json_t *cy;
    if (jsonx_int(agreement, "billingCycle.id", &want) == 0)
        json_array_foreach(cycles, i, cy)
            if (jsonx_int(cy, "id", &id) == 0 && id == want)
                return cw_cycle_months(jsonx_str(cy, "billingOptions"));
    return cw_cycle_months(jsonx_str(agreement, "billingCycle.name"));
}

static void agreement_terms(const json_t *cycles, const json_t *item, struct psa_contract *ct)
{
    int months = agreement_months(cycles, item), one_time = 0, flag = 0, cancelled = 0;
    jsonx_bool(item, "oneTimeFlag", &one_time);
    one_time |= months == 0;
    ct->type = one_time ? PSA_ONE_TIME : PSA_RECURRING;
    ct->cycle_months = one_time ? 0 : months > 0 ? months : 1;
    jsonx_date(item, "startDate", &ct->start);
    if (!(jsonx_bool(item, "noEndingDateFlag", &flag) == 0 && flag))
        jsonx_date(item, "endDate", &ct->end);
    if (jsonx_date(item, "billStartDate", &ct->billing_start) < 0)
        ct->billing_start = ct->start;
    jsonx_bool(item, "prorateFlag", &ct->prorate);
    const char *status = jsonx_str(item, "agreementStatus");
    jsonx_bool(item, "cancelledFlag", &cancelled);
    ct->active = !cancelled && (!status || strcasecmp(status, "Active") == 0);
}

static int contract_item(void *p, const json_t *item, struct conn_error *err)
{
    struct list_ctx *k = p;
    struct psa_contract ct;
    memset(&ct, 0, sizeof ct);
    psa_json_id(item, "id", ct.id);
    const char *name = jsonx_str(item, "name");
    if (psa_json_id(item, "company.id", ct.account_id) < 0) {
        psa_bad_response(err, "ConnectWise agreement %s has no company", ct.id);
        return -1;
    }
    if (!name) {
        psa_bad_response(err, "ConnectWise agreement %s has no name", ct.id);
        return -1;
    }
    snprintf(ct.name, sizeof ct.name, "%s", name);
    agreement_terms(k->cycles, item, &ct);
    return k->contract(k->ctx, &ct) ? 1 : 0;
}

static int cw_list_contracts(const struct conn *c, psa_contract_fn fn, void *ctx, struct conn_error *err)
{
    struct cw_session s;
    if (cw_open(c, &s, err) < 0)
        return -1;
    struct list_ctx k = {.contract = fn, .ctx = ctx};
    int rc = (k.cycles = cw_billing_cycles(&s, err)) ? 0 : -1;
    if (rc == 0)
        rc = cw_list(&s, "finance/agreements", NULL, "agreement", contract_item, &k, err);
    cw_close(&s);
    return rc;
}

static int service_item(void *p, const json_t *item, struct conn_error *err)
{
    struct list_ctx *k = p;
    struct psa_service sv = {.active = 1};
    const char *cls = jsonx_str(item, "productClass"), *ident = jsonx_str(item, "identifier");
    const char *name = jsonx_str(item, "description");
    int inactive = 0;
    if (cls && strcasecmp(cls, "Bundle") == 0)
        return 0; /* a bundle cannot be an agreement addition */
    psa_json_id(item, "id", sv.id);
    if (!name && !ident) {
        psa_bad_response(err, "ConnectWise catalog item %s has no description or identifier", sv.id);
        return -1;
    }
    copy_text(sv.name, sizeof sv.name, name, ident);
    copy_text(sv.sku, sizeof sv.sku, ident, "");
    char what[80];
    snprintf(what, sizeof what, "ConnectWise catalog item %s", sv.id);
    if (psa_opt_money(item, "price", what, &sv.unit_price, err) < 0 ||
        psa_opt_money(item, "cost", what, &sv.unit_cost, err) < 0)
        return -1;
    jsonx_bool(item, "inactiveFlag", &inactive);
    sv.active = !inactive;
    return k->service(k->ctx, &sv) ? 1 : 0;
}

static int cw_list_services(const struct conn *c, psa_service_fn fn, void *ctx, struct conn_error *err)
{
    struct cw_session s;
    if (cw_open(c, &s, err) < 0)
        return -1;
    struct list_ctx k = {.service = fn, .ctx = ctx};
    int rc = cw_list(&s, "procurement/catalog", NULL, "catalog item", service_item, &k, err);
    cw_close(&s);
    return rc;
}

/* ---- additions ----------------------------------------------------------------------------- */

struct cw_add {
    int64_t id, product;
    qty_t qty;
    money_t price, cost;
    cdate_t eff;
    int in_effect;
    char name[PSA_NAME];
};

struct add_list {
    struct cw_add *v;
    size_t n, cap;
    cdate_t date; /* in_effect is computed for this day */
};

static int add_item(void *p, const json_t *item, struct conn_error *err)
{
    struct add_list *l = p;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct cw_add *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    struct cw_add *a = &l->v[l->n];
    memset(a, 0, sizeof *a);
    jsonx_int(item, "id", &a->id);
    if (jsonx_int(item, "product.id", &a->product) < 0) {
        psa_bad_response(err, "ConnectWise addition %lld has no product", (long long)a->id);
        return -1;
    }
    if (jsonx_qty(item, "quantity", &a->qty) < 0) {
        psa_bad_response(err, "ConnectWise addition %lld has no quantity", (long long)a->id);
        return -1;
    }
    char what[80];
    snprintf(what, sizeof what, "ConnectWise addition %lld", (long long)a->id);
    if (psa_opt_money(item, "unitPrice", what, &a->price, err) < 0 ||
        psa_opt_money(item, "unitCost", what, &a->cost, err) < 0)
        return -1;
    jsonx_date(item, "effectiveDate", &a->eff);
    a->in_effect = cw_in_effect(item, l->date);
    const char *d = jsonx_str(item, "description");
    copy_text(a->name, sizeof a->name, d && *d ? d : jsonx_str(item, "invoiceDescription"),
              jsonx_str(item, "product.identifier"));
    l->n++;
    return 0;
}

/* Additions of an agreement (of one product when product >= 0), judged for date. */
static int load_additions(struct cw_session *s, int64_t cid, int64_t product, cdate_t date,
                          struct add_list *l, struct conn_error *err)
{
    char path[80], cond[64] = "";
    snprintf(path, sizeof path, "finance/agreements/%lld/additions", (long long)cid);
    if (product >= 0)
        snprintf(cond, sizeof cond, "product/id = %lld", (long long)product);
    l->n = 0;
    l->date = date;
    return cw_list(s, path, cond, "addition", add_item, l, err);
}

static qty_t units_in_effect(const struct add_list *l)
{
    qty_t sum = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].in_effect)
            sum += l->v[i].qty;
    return sum;
}

/* The newest in-effect addition (latest effective date, then highest id), or NULL. */
static const struct cw_add *newest_open(const struct add_list *l)
{
    const struct cw_add *best = NULL;
    for (size_t i = 0; i < l->n; i++) {
        const struct cw_add *a = &l->v[i];
        int c = best ? cdate_cmp(a->eff, best->eff) : 1;
        if (a->in_effect && (c > 0 || (c == 0 && a->id > best->id)))
            best = a;
    }
    return best;
}

static int cmp_add(const void *x, const void *y)
{
    const struct cw_add *a = x, *b = y;
    if (a->product != b->product)
        return a->product < b->product ? -1 : 1;
    int c = cdate_cmp(a->eff, b->eff);
    return c ? c : (a->id > b->id) - (a->id < b->id);
}

/* One psa_contract_service per product: units summed over its in-effect additions, id,
 * prices and name from the newest one. Returns 1 when fn asked to stop. */
static int emit_products(struct add_list *l, int64_t cid, psa_contract_service_fn fn, void *ctx)
{
    qsort(l->v, l->n, sizeof *l->v, cmp_add);
    for (size_t i = 0, j; i < l->n; i = j) {
        qty_t units = 0;
        const struct cw_add *newest = NULL;
        for (j = i; j < l->n && l->v[j].product == l->v[i].product; j++)
            if (l->v[j].in_effect) {
                units += l->v[j].qty;
                newest = &l->v[j];
            }
        if (!newest)
            continue;
        struct psa_contract_service cs;
        memset(&cs, 0, sizeof cs);
        id_text(newest->id, cs.id);
        id_text(cid, cs.contract_id);
        id_text(newest->product, cs.service_id);
        snprintf(cs.name, sizeof cs.name, "%s", newest->name);
        cs.units = units;
        cs.unit_price = newest->price;
        cs.unit_cost = newest->cost;
        if (fn(ctx, &cs))
            return 1;
    }
    return 0;
}

struct id_list {
    int64_t *v;
    size_t n, cap;
};

static int id_item(void *p, const json_t *item, struct conn_error *err)
{
    struct id_list *l = p;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        int64_t *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    jsonx_int(item, "id", &l->v[l->n++]);
    return 0;
}

static int cw_list_contract_services(const struct conn *c, const char *contract_id, cdate_t date,
                                     psa_contract_service_fn fn, void *ctx, struct conn_error *err)
{
    struct id_list ids = {0};
    int64_t one;
    if (contract_id && *contract_id && cw_id_arg(contract_id, "agreement", &one, err) < 0)
        return -1;
    struct cw_session s;
    if (cw_open(c, &s, err) < 0)
        return -1;
    int rc = 0;
    if (contract_id && *contract_id) {
        ids.v = &one;
        ids.n = 1;
    } else {
        rc = cw_list(&s, "finance/agreements", NULL, "agreement", id_item, &ids, err);
    }
    struct add_list l = {0};
    for (size_t i = 0; rc == 0 && i < ids.n; i++) {
        rc = load_additions(&s, ids.v[i], -1, date, &l, err);
        if (rc == 0 && emit_products(&l, ids.v[i], fn, ctx))
            break;
    }
    free(l.v);
    if (ids.v != &one)
        free(ids.v);
    cw_close(&s);
    return rc;
}

/* What the additions of one product show: units in effect and the newest open addition. */
static void seen_of(const struct add_list *l, struct psa_units_seen *seen)
{
    memset(seen, 0, sizeof *seen);
    seen->units = units_in_effect(l);
    const struct cw_add *open = newest_open(l);
    if (open) {
        id_text(open->id, seen->line_id);
        seen->line_units = open->qty;
    }
}

/* The additions of one product on an agreement, judged for date, in a session of their own
 * (read_units, read_money). The caller frees l->v. */
static int product_additions(const struct conn *c, const char *contract_id, const char *service_id, cdate_t date,
                             struct add_list *l, struct conn_error *err)
{
    int64_t cid, sid;
    if (cw_id_arg(contract_id, "agreement", &cid, err) < 0 || cw_id_arg(service_id, "catalog item", &sid, err) < 0)
        return -1;
    struct cw_session s;
    if (cw_open(c, &s, err) < 0)
        return -1;
    int rc = load_additions(&s, cid, sid, date, l, err);
    cw_close(&s);
    return rc;
}

static int cw_read_units(const struct conn *c, const char *contract_id, const char *service_id,
                         cdate_t date, struct psa_units_seen *seen, struct conn_error *err)
{
    memset(seen, 0, sizeof *seen);
    struct add_list l = {0};
    int rc = product_additions(c, contract_id, service_id, date, &l, err);
    if (rc == 0)
        seen_of(&l, seen);
    free(l.v);
    return rc;
}

/* Additions are listed per agreement (there is no cross-agreement list): one paged read per
 * agreement, every product of it at once. */
static int cw_read_units_bulk(const struct conn *c, const struct psa_service_key *keys, int n, cdate_t date,
                              psa_units_fn fn, void *ctx, struct conn_error *err)
{
    if (n <= 0)
        return 0;
    struct cw_session s;
    if (cw_open(c, &s, err) < 0)
        return -1;
    struct add_list l = {0}, one = {0};
    int rc = 0, stop = 0;
    for (int i = 0; rc == 0 && !stop && i < n; i++) {
        if (i > 0 && !strcmp(keys[i].contract_id, keys[i - 1].contract_id))
            continue; /* keys come sorted by agreement: each one is listed once */
        int64_t cid;
        rc = cw_id_arg(keys[i].contract_id, "agreement", &cid, err);
        if (rc == 0)
            rc = load_additions(&s, cid, -1, date, &l, err);
        if (rc < 0)
            break;
        qsort(l.v, l.n, sizeof *l.v, cmp_add);
        for (size_t a = 0, b; !stop && a < l.n; a = b) {
            for (b = a; b < l.n && l.v[b].product == l.v[a].product; b++)
                ;
            one.v = &l.v[a];
            one.n = b - a;
            struct psa_units_seen seen;
            seen_of(&one, &seen);
            if (!seen.line_id[0])
                continue; /* only cancelled or future additions: holds nothing on the day */
            char sid[PSA_ID];
            id_text(l.v[a].product, sid);
            stop = fn(ctx, keys[i].contract_id, sid, &seen) != 0;
        }
    }
    free(l.v);
    cw_close(&s);
    return rc;
}

/* ---- unit changes --------------------------------------------------------------------------- */

struct agreement_info {
    cdate_t bill_start;           /* billStartDate, else startDate */
    int prorate;
    int months;                   /* billing period; 0 one-time */
};

static int load_agreement(struct cw_session *s, int64_t cid, struct agreement_info *ai,
                          struct conn_error *err)
{
    char path[64];
    json_t *doc = NULL;
    snprintf(path, sizeof path, "finance/agreements/%lld", (long long)cid);
    const json_t *cycles = cw_billing_cycles(s, err);
    if (!cycles || cw_get(s, path, "the agreement", &doc, err) < 0)
        return -1;
    struct psa_contract ct;
    memset(&ct, 0, sizeof ct);
    agreement_terms(cycles, doc, &ct);
    ai->bill_start = ct.billing_start;
    ai->prorate = ct.prorate;
    ai->months = ct.cycle_months;
    json_decref(doc);
    return 0;
}

/* Does a billing period start on d? Periods start on the 1st of the billing start's month
 * and run cycle months (ConnectWise bills calendar-aligned periods). */
static int period_starts_on(const struct agreement_info *ai, cdate_t d)
{
    cdate_period_t p;
    if (ai->months <= 0)
        return 1; /* one-time: no periods to split */
    cdate_t anchor = cdate_valid(ai->bill_start) ? cdate_make(ai->bill_start.y, ai->bill_start.m, 1)
                                                 : cdate_make(d.y, d.m, 1);
    return cdate_period_containing(anchor, ai->months, d, &p) == 0 && cdate_cmp(p.start, d) == 0;
}

/* One JSON Patch "replace" operation (value stolen). */
static json_t *replace_op(const char *path, json_t *value)
{
    json_t *op = json_object();
    json_object_set_new(op, "op", json_string("replace"));
    json_object_set_new(op, "path", json_string(path));
    json_object_set_new(op, "value", value);
    return op;
}

/* A PATCH body of one replace operation. */
static json_t *one_replace(const char *path, json_t *value)
{
    json_t *ops = json_array();
    json_array_append_new(ops, replace_op(path, value));
    return ops;
}

static json_t *quantity_patch(qty_t q) { return one_replace("quantity", psa_json_qty(q)); }

static json_t *cancel_patch(cdate_t d) { return one_replace("cancelledDate", cw_date_json(d)); }

static json_t *new_addition(int64_t product, qty_t qty, cdate_t eff, money_t price, money_t cost,
                            const char *invoice_text)
{
    json_t *b = json_object();
    json_object_set_new(b, "product", cw_ref(product));
    json_object_set_new(b, "quantity", psa_json_qty(qty));
    json_object_set_new(b, "billCustomer", json_string("Billable"));
    json_object_set_new(b, "effectiveDate", cw_date_json(eff));
    /* 0 means "the catalog price": ConnectWise fills it from the product. */
    if (price)
        json_object_set_new(b, "unitPrice", psa_json_money(price));
    if (cost)
        json_object_set_new(b, "unitCost", psa_json_money(cost));
    if (invoice_text && *invoice_text)
        json_object_set_new(b, "invoiceDescription", json_string(invoice_text));
    return b;
}

/*
 * How a change of units is written (doc/psa-apis.md B8, doc/proration.md 1.2):
 *  - PATCH the quantity of the newest open addition when the change takes effect on a billing
 *    period start, or the agreement does not prorate (ConnectWise then bills the new quantity
 *    from the next invoice, which is exactly the change): one line, no prorate noise;
 *  - otherwise POST a new addition holding the delta, effective on the date, so ConnectWise
 *    prorates the partial period (a negative delta is a credit line);
 *  - a date before the agreement's billing start always goes the POST way, so ConnectWise
 *    applies its own billing-start rule and its message reaches the user;
 *  - on a prorating agreement, a change on a period start keeps the history by dates (doc/
 *    proration.md 1.2): the open addition is cancelled the day before and a new one holds the new
 *    quantity at the open one's prices from the date, so the period already billed still reads
 *    its old quantity (an open addition that starts on the date itself is patched).
 * The PATCH sets an absolute quantity or date (safe to repeat); the POST is never re-sent
 * blindly: a retry reads the additions again and writes what is still missing.
 */
static int write_history(struct cw_session *s, int64_t cid, const struct psa_unit_change *u, int64_t sid,
                         const struct cw_add *open, int64_t *ref_id, struct conn_error *err)
{
    char path[96];
    json_t *doc = NULL;
    cdate_t before;
    if (cdate_add_days(u->effective, -1, &before) < 0)
        return cw_reject(err, "The unit change has no valid effective date.", "");
    snprintf(path, sizeof path, "finance/agreements/%lld/additions/%lld", (long long)cid, (long long)open->id);
    int rc = cw_write(s, "PATCH", path, cancel_patch(before), "the addition's cancelled date", &doc, err);
    json_decref(doc);
    doc = NULL;
    *ref_id = open->id;
    if (rc < 0 || open->qty + u->delta == 0)
        return rc;
    snprintf(path, sizeof path, "finance/agreements/%lld/additions", (long long)cid);
    rc = cw_write(s, "POST", path,
                  new_addition(sid, open->qty + u->delta, u->effective, open->price, open->cost, u->description),
                  "the new addition", &doc, err);
    if (rc < 0)
        err->maybe_committed = 1; /* the old line is cancelled: the retry reads and writes the rest */
    else
        jsonx_int(doc, "id", ref_id);
    json_decref(doc);
    return rc;
}

/* A new addition bills like the service's line: the change's own price (a charge, a probe) or,
 * when it has none, the line's as billsync's cache holds it; 0 lets ConnectWise take the
 * catalog's. */
static money_t line_money(money_t own, money_t line)
{
    return own ? own : line;
}

static int write_change(struct cw_session *s, int64_t cid, const struct psa_unit_change *u,
                        int64_t sid, const struct add_list *l, int from_seen, int64_t *ref_id,
                        struct conn_error *err)
{
    struct agreement_info ai;
    if (u->terms) {
        /* billsync's cache of the agreement (refreshed with the PSA's lists): no GET per change */
        ai.bill_start = u->terms->billing_start;
        ai.prorate = u->terms->prorate;
        ai.months = u->terms->cycle_months;
    } else if (load_agreement(s, cid, &ai, err) < 0) {
        return -1;
    }
    const struct cw_add *open = newest_open(l);
    int billable = !cdate_valid(ai.bill_start) || cdate_cmp(u->effective, ai.bill_start) >= 0;
    int patch = open && billable && (!ai.prorate || period_starts_on(&ai, u->effective)) &&
                open->qty + u->delta >= 0;
    char path[96];
    json_t *doc = NULL;
    int rc;
    if (patch && ai.prorate && ai.months > 0) {
        /* the caller's read carries no dates or prices: read the product's additions */
        struct add_list fresh = {0};
        if (from_seen) {
            if (load_additions(s, cid, sid, u->effective, &fresh, err) < 0)
                return -1;
            open = newest_open(&fresh);
        }
        if (open && cdate_cmp(open->eff, u->effective) < 0) {
            rc = write_history(s, cid, u, sid, open, ref_id, err);
            free(fresh.v);
            return rc;
        }
        if (open) {
            snprintf(path, sizeof path, "finance/agreements/%lld/additions/%lld", (long long)cid,
                     (long long)open->id);
            rc = cw_write(s, "PATCH", path, quantity_patch(open->qty + u->delta), "the addition", &doc, err);
        } else {
            snprintf(path, sizeof path, "finance/agreements/%lld/additions", (long long)cid);
            rc = cw_write(s, "POST", path,
                          new_addition(sid, u->delta, u->effective, line_money(u->unit_price, u->line_price),
                                       line_money(u->unit_cost, u->line_cost), u->description),
                          "the new addition", &doc, err);
        }
        free(fresh.v);
    } else if (patch) {
        snprintf(path, sizeof path, "finance/agreements/%lld/additions/%lld", (long long)cid,
                 (long long)open->id);
        rc = cw_write(s, "PATCH", path, quantity_patch(open->qty + u->delta), "the addition", &doc, err);
    } else {
        snprintf(path, sizeof path, "finance/agreements/%lld/additions", (long long)cid);
        rc = cw_write(s, "POST", path,
                      new_addition(sid, u->delta, u->effective, line_money(u->unit_price, u->line_price),
                                   line_money(u->unit_cost, u->line_cost), u->description),
                      "the new addition", &doc, err);
    }
    if (rc == 0)
        jsonx_int(doc, "id", ref_id);
    json_decref(doc);
    return rc;
}

static int verify_units(struct cw_session *s, int64_t cid, int64_t sid, cdate_t d, qty_t want,
                        struct add_list *l, struct conn_error *err)
{
    if (load_additions(s, cid, sid, d, l, err) < 0) {
        err->maybe_committed = 1; /* written, but not verified */
        return -1;
    }
    qty_t got = units_in_effect(l);
    if (got == want)
        return 0;
    char g[MONEY_FMT_MAX], w[MONEY_FMT_MAX], day[CDATE_FMT_LEN];
    qty_format(got, g, sizeof g);
    qty_format(want, w, sizeof w);
    cdate_format(d, day, sizeof day);
    psa_bad_response(err, "ConnectWise accepted the change, but the agreement's additions show %s "
                     "units on %s instead of %s", g, day, w);
    err->maybe_committed = 1;
    return -1;
}

static int cw_post_unit_change(const struct conn *c, const struct psa_unit_change *u, char out_ref[PSA_ID],
                               struct conn_error *err)
{
    int64_t cid, sid, ref_id = 0;
    out_ref[0] = '\0';
    if (cw_id_arg(u->contract_id, "agreement", &cid, err) < 0 || cw_id_arg(u->service_id, "catalog item", &sid, err) < 0)
        return -1;
    if (!cdate_valid(u->effective))
        return cw_reject(err, "The unit change has no valid effective date.", "");
    if (u->delta == 0)
        return 0; /* nothing to post */
    struct cw_session s;
    if (cw_open(c, &s, err) < 0)
        return -1;
    struct add_list l = {0};
    struct cw_add open;
    int rc = 0;
    qty_t before;
    if (u->seen) {
        /* Read for this change by the caller: its newest open addition is the one to patch. */
        before = u->seen->units;
        memset(&open, 0, sizeof open);
        if (u->seen->line_id[0] && psa_parse_id(u->seen->line_id, &open.id) == 0) {
            open.product = sid;
            open.qty = u->seen->line_units;
            open.in_effect = 1;
            open.eff = u->effective;
            l.v = &open;
            l.n = 1;
        }
    } else {
        rc = load_additions(&s, cid, sid, u->effective, &l, err);
        before = units_in_effect(&l);
    }
    if (rc == 0 && before + u->delta < 0)
        rc = cw_reject(err, "The change would take the agreement's additions below zero units.",
                      "Re-read the agreement: its units changed since the change was planned.");
    if (rc == 0)
        rc = write_change(&s, cid, u, sid, &l, l.v == &open, &ref_id, err);
    if (rc == 0 && ref_id > 0)
        id_text(ref_id, out_ref);
    if (l.v == &open)
        l = (struct add_list){0}; /* verify_units lists into it */
    if (rc == 0)
        rc = verify_units(&s, cid, sid, u->effective, before + u->delta, &l, err);
    free(l.v);
    cw_close(&s);
    return rc;
}

/* ---- cost and price: the additions' unitCost and unitPrice ------------------------------------ */

/* The product's additions in effect on the list's day: the newest one's cost and price, and
 * whether every one in effect carries them. */
static void money_of(const struct add_list *l, struct psa_money_seen *m)
{
    memset(m, 0, sizeof *m);
    const struct cw_add *open = newest_open(l);
    if (!open)
        return;
    m->found = 1;
    m->unit_cost = open->cost;
    m->unit_price = open->price;
    m->uniform = 1;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].in_effect && (l->v[i].cost != open->cost || l->v[i].price != open->price))
            m->uniform = 0;
}

static int cw_read_money(const struct conn *c, const char *contract_id, const char *service_id, cdate_t date,
                         struct psa_money_seen *m, struct conn_error *err)
{
    memset(m, 0, sizeof *m);
    struct add_list l = {0};
    int rc = product_additions(c, contract_id, service_id, date, &l, err);
    if (rc == 0)
        money_of(&l, m);
    free(l.v);
    return rc;
}

/* Every addition of the product in effect carries the change (and one is in effect). */
static int carries(const struct add_list *l, const struct psa_price_change *pc)
{
    int any = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct cw_add *a = &l->v[i];
        if (!a->in_effect)
            continue;
        any = 1;
        if (a->cost != pc->unit_cost || (pc->has_price && a->price != pc->unit_price))
            return 0;
    }
    return any;
}

/*
 * An addition carries one cost and one price for as long as it runs: the change is written on
 * every addition of the product in effect on the date that does not carry it yet (PATCH, an
 * absolute value: safe to repeat), and read back.
 */
static int cw_post_price_change(const struct conn *c, const struct psa_price_change *pc, char out_ref[PSA_ID],
                                struct conn_error *err)
{
    int64_t cid, sid;
    out_ref[0] = '\0';
    if (cw_id_arg(pc->contract_id, "agreement", &cid, err) < 0 ||
        cw_id_arg(pc->service_id, "catalog item", &sid, err) < 0)
        return -1;
    if (!cdate_valid(pc->effective))
        return cw_reject(err, "The cost change has no valid effective date.", "");
    struct cw_session s;
    if (cw_open(c, &s, err) < 0)
        return -1;
    struct add_list l = {0};
    int rc = load_additions(&s, cid, sid, pc->effective, &l, err), wrote = 0;
    if (rc == 0 && !newest_open(&l))
        rc = cw_reject(err, "No addition of this product is in effect on the agreement on the change's date.",
                       "Add the product to the agreement (or link the subscription to the right agreement), "
                       "then press Retry.");
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        const struct cw_add *a = &l.v[i];
        int cost = a->cost != pc->unit_cost, price = pc->has_price && a->price != pc->unit_price;
        if (!a->in_effect || (!cost && !price))
            continue;
        json_t *ops = json_array(), *doc = NULL;
        if (cost)
            json_array_append_new(ops, replace_op("unitCost", psa_json_money(pc->unit_cost)));
        if (price)
            json_array_append_new(ops, replace_op("unitPrice", psa_json_money(pc->unit_price)));
        char path[96];
        snprintf(path, sizeof path, "finance/agreements/%lld/additions/%lld", (long long)cid, (long long)a->id);
        rc = cw_write(&s, "PATCH", path, ops, "the addition", &doc, err);
        json_decref(doc);
        if (rc == 0 && !wrote++)
            id_text(a->id, out_ref);
    }
    if (rc == 0 && load_additions(&s, cid, sid, pc->effective, &l, err) < 0) {
        err->maybe_committed = 1;
        rc = -1;
    } else if (rc == 0 && !carries(&l, pc)) {
        psa_bad_response(err, "ConnectWise accepted the change, but the agreement's additions do not show the "
                         "new cost");
        err->maybe_committed = 1;
        rc = -1;
    }
    free(l.v);
    cw_close(&s);
    return rc;
}

/* ---- one-time charges: additions on a one-time agreement ------------------------------------- */

static int find_in(struct cw_session *s, int64_t cid, const char *marker, char id[PSA_ID],
                   struct conn_error *err)
{
    char path[80], cond[PSA_MARKER_MAX + 32];
    struct psa_marker_search k = {marker, id, 0};
    snprintf(path, sizeof path, "finance/agreements/%lld/additions", (long long)cid);
    snprintf(cond, sizeof cond, "description contains \"%s\"", marker);
    if (cw_list(s, path, cond, "addition", psa_marker_item, &k, err) < 0)
        return -1;
    return k.found;
}

static int cw_find_charge(const struct conn *c, const char *contract_id, const char *key, char id[PSA_ID],
                          struct conn_error *err)
{
    int64_t cid;
    char marker[PSA_MARKER_MAX];
    id[0] = '\0';
    if (cw_id_arg(contract_id, "agreement", &cid, err) < 0 || psa_charge_key(key, marker, sizeof marker, err) < 0)
        return -1;
    struct cw_session s;
    if (cw_open(c, &s, err) < 0)
        return -1;
    int rc = find_in(&s, cid, marker, id, err);
    cw_close(&s);
    return rc;
}

/* A one-time fee is an addition whose effective and cancelled dates fall in one period: both
 * are the charge date. The key goes into the (internal) description; the invoice shows the name. */
static json_t *charge_body(const struct psa_charge *ch, int64_t product, const char *marker)
{
    char desc[1200];
    if (ch->description && *ch->description)
        snprintf(desc, sizeof desc, "%.1000s %s", ch->description, marker);
    else
        snprintf(desc, sizeof desc, "%s", marker);
    json_t *b = new_addition(product, ch->quantity, ch->date, 0, 0, ch->name);
    json_object_set_new(b, "unitPrice", psa_json_money(ch->unit_price));
    json_object_set_new(b, "unitCost", psa_json_money(ch->unit_cost));
    json_object_set_new(b, "cancelledDate", cw_date_json(ch->date));
    json_object_set_new(b, "description", json_string(desc));
    return b;
}

static int cw_create_charge(const struct conn *c, const struct psa_charge *ch, char id[PSA_ID],
                            struct conn_error *err)
{
    int64_t cid, product;
    char marker[PSA_MARKER_MAX], path[80];
    id[0] = '\0';
    if (!ch->service_id || !*ch->service_id)
        return cw_reject(err, "ConnectWise needs a product for the charge's agreement addition, and no catalog "
                              "item has the distributor's SKU or product name.",
                         "Create the product in ConnectWise (Procurement > Products) with that SKU as its "
                         "Product ID, refresh, then press Retry.");
    if (cw_id_arg(ch->contract_id, "agreement", &cid, err) < 0 ||
        cw_id_arg(ch->service_id, "catalog item", &product, err) < 0 ||
        psa_charge_key(ch->key, marker, sizeof marker, err) < 0)
        return -1;
    if (!cdate_valid(ch->date))
        return cw_reject(err, "The charge has no valid date.", "");
    struct cw_session s;
    if (cw_open(c, &s, err) < 0)
        return -1;
    json_t *doc = NULL;
    /* Check before create: an addition with this key means an earlier attempt landed. */
    int rc = find_in(&s, cid, marker, id, err);
    if (rc == 0) {
        snprintf(path, sizeof path, "finance/agreements/%lld/additions", (long long)cid);
        rc = cw_write(&s, "POST", path, charge_body(ch, product, marker), "the new charge addition", &doc, err);
        if (rc == 0)
            psa_json_id(doc, "id", id);
    }
    json_decref(doc);
    cw_close(&s);
    return rc < 0 ? -1 : 0;
}

const struct psa_connector connectwise_connector = {
    .system = "connectwise",
    .label = "ConnectWise Manage",
    .one_change_per_day = 0,
    .charge_needs_product = 1,
    PSA_CONNECTOR_OPS(cw),
};
