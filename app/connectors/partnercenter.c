/* partnercenter.c: the Microsoft Partner Center (CSP) source connector: customers, their
 * subscriptions (one resource each) and the OneTime billing line items of the invoices as
 * canonical records (doc/source-apis.md section 4). */
#include "connectors/partnercenter.h"

#include "connectors/src_util.h"
#include "net/jsonx.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PC_LABEL "Partner Center"
#define PC_URL "https://api.partnercenter.microsoft.com"
#define PC_RESOURCE "https://api.partnercenter.microsoft.com"
#define PC_LOGIN "https://login.microsoftonline.com"
#define PC_CUSTOMERS_PAGE 100
#define PC_LINES_PAGE 2000      /* the documented maximum */
#define PC_MAX_PAGES 100000
#define PC_AUTH_HINT "Check the partner tenant ID, the application (client) ID and its client " \
                     "secret in Entra ID."

typedef int (*pc_item_fn)(void *ctx, const json_t *item, struct conn_error *err);

/* ---- session -------------------------------------------------------------------------------- */

static int form_field(struct strbuf *b, const char *name, const char *value)
{
    return strbuf_appendf(b, "%s%s=", b->len ? "&" : "", name) < 0 || url_escape(b, value) < 0
               ? -1 : 0;
}

/* Client credentials at Entra ID: v1 endpoints take the resource, v2.0 ones a scope. */
static int pc_token(struct src_bearer *s, struct conn_error *err)
{
    const struct conn *c = s->conn;
    char token_url[600];
    src_url_setting(c, "token_url", "", token_url, sizeof token_url);
    int v2 = strstr(token_url, "/v2.0") != NULL; /* .../oauth2/v2.0/token */
    struct strbuf body = STRBUF_INIT;
    int oom = form_field(&body, "grant_type", "client_credentials") < 0 ||
              form_field(&body, "client_id", conn_setting(c, "client_id")) < 0 ||
              form_field(&body, "client_secret", conn_setting(c, "client_secret")) < 0 ||
              (v2 ? form_field(&body, "scope", PC_RESOURCE "/.default")
                  : form_field(&body, "resource", PC_RESOURCE)) < 0;
    json_t *doc = NULL;
    int rc = -1;
    if (oom)
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    else if (src_bearer_token_post(s, strbuf_cstr(&body), "application/x-www-form-urlencoded", &doc,
                                   err) == 0)
        rc = src_bearer_take_token(s, doc, err);
    if (body.p)
        explicit_bzero(body.p, body.cap);
    strbuf_free(&body);
    json_decref(doc);
    return rc;
}

static int pc_open(const struct conn *c, struct src_bearer *s, struct conn_error *err)
{
    static const char *const keys[][2] = {{"tenant_id", "partner tenant ID"},
                                          {"client_id", "application (client) ID"},
                                          {"client_secret", "client secret"}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!*conn_setting(c, keys[i][0])) {
            char msg[120];
            snprintf(msg, sizeof msg, "The Partner Center connection has no %s.", keys[i][1]);
            conn_error_set(err, CONN_CONFIG, 0, msg, "Fill it in on the Connections page.");
            return -1;
        }
    char url[512], base[520], token_url[600];
    src_url_setting(c, "url", PC_URL, url, sizeof url);
    size_t len = strlen(url);
    int has_v1 = len >= 3 && strcasecmp(url + len - 3, "/v1") == 0;
    snprintf(base, sizeof base, "%s%s", url, has_v1 ? "/" : "/v1/");
    struct strbuf fallback = STRBUF_INIT;
    if (strbuf_appendf(&fallback, "%s/", PC_LOGIN) < 0 ||
        url_escape(&fallback, conn_setting(c, "tenant_id")) < 0 ||
        strbuf_append(&fallback, "/oauth2/token") < 0) {
        strbuf_free(&fallback);
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
        return -1;
    }
    src_url_setting(c, "token_url", strbuf_cstr(&fallback), token_url, sizeof token_url);
    strbuf_free(&fallback);
    static const char *const headers[] = {"MS-PartnerCenter-Application: billsync", NULL};
    return src_bearer_open(s, c, PC_LABEL, PC_AUTH_HINT, base, token_url, headers, pc_token, err);
}

/* ---- continuation paging -------------------------------------------------------------------- */

struct pc_next {
    struct strbuf path;
    struct strbuf hdr[SRC_BEARER_MAX_HEADERS];
    const char *lines[SRC_BEARER_MAX_HEADERS + 1];
    int n;
    struct strbuf token;        /* the previous continuation token: paging must advance */
};

static void next_free(struct pc_next *x)
{
    strbuf_free(&x->path);
    strbuf_free(&x->token);
    for (int i = 0; i < SRC_BEARER_MAX_HEADERS; i++)
        strbuf_free(&x->hdr[i]);
}

static int header_name_ok(const char *k)
{
    if (!k || !*k || strcasecmp(k, "Authorization") == 0 || strcasecmp(k, "Host") == 0)
        return 0;
    for (; *k; k++)
        if (!isalnum((unsigned char)*k) && *k != '-' && *k != '_')
            return 0;
    return 1;
}

static int add_header(struct pc_next *x, const char *key, const char *value)
{
    if (x->n >= SRC_BEARER_MAX_HEADERS || !header_name_ok(key) || !value || strpbrk(value, "\r\n"))
        return -1;
    strbuf_reset(&x->hdr[x->n]);
    if (strbuf_appendf(&x->hdr[x->n], "%s: %s", key, value) < 0)
        return -1;
    x->lines[x->n] = strbuf_cstr(&x->hdr[x->n]);
    x->lines[++x->n] = NULL;
    return 0;
}

/* The request for the next page from links.next {uri, headers[{key, value}]} (a top-level
 * continuationToken stands in for a missing header). 0 with the request in x, 1 when
 * there is no next page, -1 with *err. */
static int next_page(const json_t *doc, const char *label, struct pc_next *x, struct conn_error *err)
{
    const json_t *next = jsonx_get(doc, "links.next");
    if (!next)
        return 1;
    const char *uri = jsonx_str(next, "uri"), *token = NULL;
    if (!uri || !*uri) {
        src_bad_response(err, "Partner Center answered %s with a next link without a uri", label);
        return -1;
    }
    x->n = 0;
    x->lines[0] = NULL;
    size_t i;
    json_t *h;
    json_array_foreach(jsonx_get(next, "headers"), i, h) {
        const char *k = jsonx_str(h, "key"), *v = jsonx_str(h, "value");
        if (add_header(x, k, v) < 0) {
            src_bad_response(err, "Partner Center answered %s with a next link with an unusable "
                             "header", label);
            return -1;
        }
        if (strcasecmp(k, "MS-ContinuationToken") == 0)
            token = v;
    }
    const char *top = jsonx_str(doc, "continuationToken");
    if (!token && top && *top) {
        if (add_header(x, "MS-ContinuationToken", top) < 0) {
            src_bad_response(err, "Partner Center answered %s with an unusable continuation token", label);
            return -1;
        }
        token = top;
    }
    if (token && strcmp(token, strbuf_cstr(&x->token)) == 0) {
        src_bad_response(err, "Partner Center's paging of %s does not advance", label);
        return -1;
    }
    strbuf_reset(&x->token);
    strbuf_reset(&x->path);
    /* Links are relative to /v1 ("/invoices/G1/lineitems/...?seekOperation=Next"). */
    if (strncasecmp(uri, "/v1/", 4) == 0)
        uri += 3;
    if (strbuf_append(&x->token, token ? token : "") < 0 || strbuf_append(&x->path, uri) < 0) {
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
        return -1;
    }
    return 0;
}

/* GET path?query, then every links.next page; every item must be an object. */
static int pc_list(struct src_bearer *s, const char *path, const char *query, const char *what,
                   pc_item_fn fn, void *ctx, struct conn_error *err)
{
    char label[120];
    snprintf(label, sizeof label, "the %s list", what);
    struct pc_next x;
    memset(&x, 0, sizeof x);
    const char *cur = path;
    int rc = 0;
    for (int page = 0; rc == 0; page++) {
        json_t *doc;
        if (page >= PC_MAX_PAGES) {
            src_bad_response(err, "Partner Center's paging of %s does not end", label);
            rc = -1;
            break;
        }
        if (src_bearer_get(s, cur, page ? NULL : query, page ? x.lines : NULL, label, &doc, err) < 0) {
            rc = -1;
            break;
        }
        const json_t *items = jsonx_get(doc, "items");
        size_t i;
        json_t *item;
        if (!json_is_array(items)) {
            src_bad_response(err, "Partner Center answered %s without an items list", label);
            rc = -1;
        }
        json_array_foreach(items, i, item) {
            if (!json_is_object(item)) {
                src_bad_response(err, "Partner Center answered %s with an item that is not an object "
                                 "(item %zu)", label, i);
                rc = -1;
            } else {
                rc = fn(ctx, item, err);
            }
            if (rc != 0)
                break;
        }
        if (rc == 0)
            rc = next_page(doc, label, &x, err);
        json_decref(doc);
        cur = strbuf_cstr(&x.path);
    }
    next_free(&x);
    return rc < 0 ? -1 : 0;
}

/* ---- mapping -------------------------------------------------------------------------------- */

static enum src_status pc_status(const char *s)
{
    static const char *const cancelled[] = {"expired", "disabled", "deleted", "cancelled"};
    if (!s || strcasecmp(s, "active") == 0)
        return SRC_ACTIVE;
    if (strcasecmp(s, "suspended") == 0)
        return SRC_SUSPENDED;
    for (size_t i = 0; i < sizeof cancelled / sizeof cancelled[0]; i++)
        if (strcasecmp(s, cancelled[i]) == 0)
            return SRC_CANCELLED;
    return SRC_PENDING; /* pending, none, and new words */
}

/* chargeType (new-commerce vocabulary, any case) as a canonical charge type. */
static enum src_charge_type pc_charge_type(const char *t)
{
    static const char *const recurring[] = {"new", "cycleCharge", "renew", "convertTrial"};
    static const char *const refund[] = {"removeQuantity", "cancelInstance", "customerCredit", "refund"};
    for (size_t i = 0; i < sizeof recurring / sizeof recurring[0]; i++)
        if (strcasecmp(t, recurring[i]) == 0)
            return SRC_CHARGE_RECURRING;
    if (strcasecmp(t, "addQuantity") == 0)
        return SRC_CHARGE_PRORATION;
    for (size_t i = 0; i < sizeof refund / sizeof refund[0]; i++)
        if (strcasecmp(t, refund[i]) == 0)
            return SRC_CHARGE_REFUND;
    /* "Cycle charge", "Add quantity" (the recon file's wording) compare without blanks. */
    char squeezed[40];
    size_t k = 0;
    for (const char *p = t; *p && k + 1 < sizeof squeezed; p++)
        if (*p != ' ')
            squeezed[k++] = *p;
    squeezed[k] = '\0';
    if (strcmp(squeezed, t) != 0)
        return pc_charge_type(squeezed);
    return SRC_CHARGE_ONE_TIME; /* purchase, fees and words billsync does not know */
}

/* termAndBillingCycle: "One-Year commitment for monthly/yearly billing" -> 12. */
static int pc_term_text(const char *t)
{
    static const struct {
        const char *word;
        int n;
    } numbers[] = {{"One", 1}, {"Two", 2}, {"Three", 3}, {"Five", 5}};
    if (!t)
        return 0;
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        size_t l = strlen(numbers[i].word);
        if (strncasecmp(t, numbers[i].word, l) == 0 && t[l] == '-') {
            if (strncasecmp(t + l + 1, "Year", 4) == 0)
                return numbers[i].n * 12;
            if (strncasecmp(t + l + 1, "Month", 5) == 0)
                return numbers[i].n;
        }
    }
    return src_term_months(t); /* "1-Year commitment ..." */
}

struct pc_sub {
    struct src_subscription sub;
    struct src_resource res;
};

static int read_subscription(const json_t *o, const char *customer, struct pc_sub *p,
                             struct conn_error *err)
{
    memset(p, 0, sizeof *p);
    struct src_subscription *s = &p->sub;
    struct src_resource *r = &p->res;
    char what[SRC_ID + 60];
    if (src_req_str(o, "id", "A Partner Center subscription", s->id, sizeof s->id, err) < 0)
        return -1;
    snprintf(what, sizeof what, "Partner Center subscription %s", s->id);
    int renew = 0;
    if (src_opt_str(o, "friendlyName", what, s->name, sizeof s->name, err) < 0 ||
        src_opt_str(o, "offerName", what, r->name, sizeof r->name, err) < 0 ||
        src_opt_str(o, "offerId", what, r->sku, sizeof r->sku, err) < 0 ||
        src_opt_qty(o, "quantity", what, &r->quantity, err) < 0 ||
        src_opt_date(o, "commitmentEndDate", what, &s->commitment_end, err) < 0)
        return -1;
    if (src_has(o, "autoRenewEnabled") && jsonx_bool(o, "autoRenewEnabled", &renew) < 0) {
        src_bad_response(err, "%s has an autoRenewEnabled that is not true or false", what);
        return -1;
    }
    if (!s->name[0])
        snprintf(s->name, sizeof s->name, "%s", r->name);
    if (!r->name[0])
        snprintf(r->name, sizeof r->name, "%s", s->name);
    snprintf(s->company_id, sizeof s->company_id, "%s", customer);
    s->status = pc_status(jsonx_str(o, "status"));
    const char *cycle = jsonx_str(o, "billingCycle"), *type = jsonx_str(o, "billingType");
    s->billing_cycle = type && strcasecmp(type, "usage") == 0 ? SRC_USAGE : src_cycle_from(cycle);
    s->term_months = src_term_months(jsonx_str(o, "termDuration"));
    s->auto_renew = renew;
    snprintf(r->id, sizeof r->id, "%s", s->id);
    snprintf(r->subscription_id, sizeof r->subscription_id, "%s", s->id);
    snprintf(r->company_id, sizeof r->company_id, "%s", customer);
    r->billing_cycle = s->billing_cycle;
    r->term_months = s->term_months;
    r->commitment_end = s->commitment_end;
    r->status = s->status;
    return 0; /* Partner Center states no prices on a subscription: amounts stay 0 */
}

/* ---- operations ----------------------------------------------------------------------------- */

struct emit {
    src_company_fn company;
    src_subscription_fn subscription;
    src_resource_fn resource;
    src_charge_fn charge;
    void *ctx;
    json_t *ids;                /* collected customer / invoice ids */
    const char *customer;
    const char *invoice;
    cdate_t month, from, to;
    long count;
    int stopped;
};

static int oom(struct conn_error *err)
{
    conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    return -1;
}

static int list_customers(struct src_bearer *s, pc_item_fn fn, struct emit *e, struct conn_error *err)
{
    char q[32];
    snprintf(q, sizeof q, "size=%d", PC_CUSTOMERS_PAGE);
    return pc_list(s, "customers", q, "customer", fn, e, err);
}

static int count_item(void *p, const json_t *o, struct conn_error *err)
{
    (void)o;
    (void)err;
    ((struct emit *)p)->count++;
    return 0;
}

static int pc_test(const struct conn *c, char *summary, size_t n, struct conn_error *err)
{
    struct src_bearer s;
    if (pc_open(c, &s, err) < 0)
        return -1;
    struct emit e = {.ctx = NULL};
    int rc = list_customers(&s, count_item, &e, err);
    if (rc == 0)
        snprintf(summary, n, "Connected to Partner Center: %ld customers", e.count);
    src_bearer_close(&s);
    return rc;
}

static int customer_item(void *p, const json_t *o, struct conn_error *err)
{
    struct emit *e = p;
    struct src_company c;
    char what[SRC_ID + 40];
    if (src_req_str(o, "id", "A Partner Center customer", c.id, sizeof c.id, err) < 0)
        return -1;
    snprintf(what, sizeof what, "Partner Center customer %s", c.id);
    if (src_req_str(o, "companyProfile.companyName", what, c.name, sizeof c.name, err) < 0)
        return -1;
    if (e->ids) {
        json_array_append_new(e->ids, json_string(c.id));
        return 0;
    }
    return e->company(e->ctx, &c) ? 1 : 0;
}

static int pc_list_companies(const struct conn *c, src_company_fn fn, void *ctx, struct conn_error *err)
{
    struct src_bearer s;
    if (pc_open(c, &s, err) < 0)
        return -1;
    struct emit e = {.company = fn, .ctx = ctx};
    int rc = list_customers(&s, customer_item, &e, err);
    src_bearer_close(&s);
    return rc;
}

static int subscription_item(void *p, const json_t *o, struct conn_error *err)
{
    struct emit *e = p;
    struct pc_sub ps;
    if (read_subscription(o, e->customer, &ps, err) < 0)
        return -1;
    e->stopped = (e->subscription ? e->subscription(e->ctx, &ps.sub) : e->resource(e->ctx, &ps.res)) != 0;
    return e->stopped;
}

/* Every customer's subscriptions (a customer removed during the pull is skipped). */
static int list_subs(const struct conn *c, struct emit *e, struct conn_error *err)
{
    struct src_bearer s;
    if (pc_open(c, &s, err) < 0)
        return -1;
    e->ids = json_array();
    int rc = e->ids ? list_customers(&s, customer_item, e, err) : oom(err);
    size_t i;
    json_t *id;
    struct strbuf path = STRBUF_INIT;
    json_array_foreach(e->ids, i, id) {
        if (rc != 0 || e->stopped)
            break;
        e->customer = json_string_value(id);
        strbuf_reset(&path);
        if (strbuf_append(&path, "customers/") < 0 || url_escape(&path, e->customer) < 0 ||
            strbuf_append(&path, "/subscriptions") < 0) {
            rc = oom(err);
            break;
        }
        rc = pc_list(&s, strbuf_cstr(&path), NULL, "subscription", subscription_item, e, err);
        if (rc < 0 && err->kind == CONN_NOT_FOUND) {
            memset(err, 0, sizeof *err);
            rc = 0;
        }
    }
    strbuf_free(&path);
    json_decref(e->ids);
    src_bearer_close(&s);
    return rc;
}

static int pc_list_subscriptions(const struct conn *c, src_subscription_fn fn, void *ctx,
                                 struct conn_error *err)
{
    struct emit e = {.subscription = fn, .ctx = ctx};
    return list_subs(c, &e, err);
}

static int pc_list_resources(const struct conn *c, src_resource_fn fn, void *ctx, struct conn_error *err)
{
    struct emit e = {.resource = fn, .ctx = ctx};
    return list_subs(c, &e, err);
}

/* One OneTime billing line item of e->invoice as a charge, when it starts in e->month. */
static int line_item(void *p, const json_t *o, struct conn_error *err)
{
    struct emit *e = p;
    struct src_charge ch;
    memset(&ch, 0, sizeof ch);
    char invoice[SRC_ID], ref[SRC_ID], type[40], what[2 * SRC_ID + 60];
    char product[40], skuid[40], avail[40];
    snprintf(what, sizeof what, "A line item of Partner Center invoice %s", e->invoice);
    if (src_req_str(o, "referenceId", what, ref, sizeof ref, err) < 0 ||
        src_opt_str(o, "invoiceNumber", what, invoice, sizeof invoice, err) < 0)
        return -1;
    int w = snprintf(ch.id, sizeof ch.id, "%s/%s", invoice[0] ? invoice : e->invoice, ref);
    if (w < 0 || (size_t)w >= sizeof ch.id) {
        src_bad_response(err, "%s has a referenceId that is too long", what);
        return -1;
    }
    snprintf(what, sizeof what, "Partner Center line item %s", ch.id);
    if (src_req_date(o, "chargeStartDate", what, &ch.period_start, err) < 0)
        return -1;
    if (!src_in_month(ch.period_start, e->month))
        return 0;
    const char *qty_key = src_has(o, "billableQuantity") ? "billableQuantity" : "quantity";
    if (src_req_str(o, "customerId", what, ch.company_id, sizeof ch.company_id, err) < 0 ||
        src_req_str(o, "chargeType", what, type, sizeof type, err) < 0 ||
        src_opt_str(o, "subscriptionId", what, ch.subscription_id, sizeof ch.subscription_id, err) < 0 ||
        src_opt_str(o, "productName", what, ch.description, sizeof ch.description, err) < 0 ||
        src_opt_str(o, "productId", what, product, sizeof product, err) < 0 ||
        src_opt_str(o, "skuId", what, skuid, sizeof skuid, err) < 0 ||
        src_opt_str(o, "availabilityId", what, avail, sizeof avail, err) < 0 ||
        src_opt_str(o, "currency", what, ch.currency, sizeof ch.currency, err) < 0 ||
        src_opt_date(o, "chargeEndDate", what, &ch.period_end, err) < 0 ||
        src_opt_qty(o, qty_key, what, &ch.quantity, err) < 0 ||
        src_opt_money(o, "effectiveUnitPrice", what, &ch.unit_cost, err) < 0 ||
        src_opt_money(o, "unitPrice", what, &ch.unit_price, err) < 0 ||
        src_opt_money(o, "subtotal", what, &ch.extended_cost, err) < 0)
        return -1;
    w = product[0] ? snprintf(ch.sku, sizeof ch.sku, "%s:%s:%s", product, skuid, avail) : 0;
    if (w < 0 || (size_t)w >= sizeof ch.sku) {
        src_bad_response(err, "%s has a productId, skuId and availabilityId too long for a SKU", what);
        return -1;
    }
    snprintf(ch.resource_id, sizeof ch.resource_id, "%s", ch.subscription_id);
    ch.type = pc_charge_type(type);
    ch.effective = ch.period_start;
    ch.term_months = pc_term_text(jsonx_str(o, "termAndBillingCycle"));
    ch.frequency = src_cycle_from(jsonx_str(o, "billingFrequency"));
    /* extended_price stays 0: Partner Center bills the partner and states no sell price. */
    e->stopped = e->charge(e->ctx, &ch) != 0;
    return e->stopped;
}

/* Collects the ids of the invoices that can carry lines of the month. */
static int invoice_item(void *p, const json_t *o, struct conn_error *err)
{
    struct emit *e = p;
    char id[SRC_ID], what[SRC_ID + 40];
    cdate_t date;
    if (src_req_str(o, "id", "A Partner Center invoice", id, sizeof id, err) < 0)
        return -1;
    snprintf(what, sizeof what, "Partner Center invoice %s", id);
    if (src_opt_date(o, "invoiceDate", what, &date, err) < 0)
        return -1;
    if (!cdate_valid(date) || (cdate_cmp(date, e->from) >= 0 && cdate_cmp(date, e->to) <= 0))
        json_array_append_new(e->ids, json_string(id));
    return 0;
}

static int pc_list_charges(const struct conn *c, cdate_t month, src_charge_fn fn, void *ctx,
                           struct conn_error *err)
{
    struct emit e = {.charge = fn, .ctx = ctx};
    if (cdate_first_of_month(month, &e.month) < 0 || cdate_add_months(e.month, -1, &e.from) < 0 ||
        cdate_add_months(e.month, 3, &e.to) < 0 || cdate_add_days(e.to, -1, &e.to) < 0) {
        conn_error_set(err, CONN_CONFIG, 0, "The billing month is not a valid date.", "");
        return -1;
    }
    struct src_bearer s;
    if (pc_open(c, &s, err) < 0)
        return -1;
    e.ids = json_array();
    /* A month's lines sit on the invoices dated from the month before to two months after
     * (monthly invoices follow the month; annual ones come on their own at purchase). */
    int rc = e.ids ? pc_list(&s, "invoices", NULL, "invoice", invoice_item, &e, err) : oom(err);
    size_t i;
    json_t *id;
    struct strbuf path = STRBUF_INIT;
    char q[48];
    snprintf(q, sizeof q, "size=%d&offset=0", PC_LINES_PAGE);
    json_array_foreach(e.ids, i, id) {
        if (rc != 0 || e.stopped)
            break;
        e.invoice = json_string_value(id);
        strbuf_reset(&path);
        if (strbuf_append(&path, "invoices/") < 0 || url_escape(&path, e.invoice) < 0 ||
            strbuf_append(&path, "/lineitems/OneTime/BillingLineItems") < 0) {
            rc = oom(err);
            break;
        }
        rc = pc_list(&s, strbuf_cstr(&path), q, "billing line item", line_item, &e, err);
    }
    strbuf_free(&path);
    json_decref(e.ids);
    src_bearer_close(&s);
    return rc;
}

const struct source_connector partnercenter_connector = {
    .system = "partnercenter",
    .label = "Microsoft Partner Center",
    .test = pc_test,
    .list_companies = pc_list_companies,
    .list_subscriptions = pc_list_subscriptions,
    .list_resources = pc_list_resources,
    .list_charges = pc_list_charges,
};
