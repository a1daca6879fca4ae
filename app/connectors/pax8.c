/* pax8.c: the Pax8 Partner API source connector: companies, subscriptions (one resource
 * each) and invoice items as canonical records (doc/source-apis.md section 2). */
#include "connectors/pax8.h"

#include "connectors/src_util.h"
#include "net/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PAX8_LABEL "Pax8"
#define PAX8_URL "https://api.pax8.com/v1"
#define PAX8_AUDIENCE "https://api.pax8.com"
#define PAX8_PAGE 200           /* the API's maximum page size (more is a 422) */
#define PAX8_MAX_PAGES 100000
#define PAX8_AUTH_HINT "Check the Pax8 client ID and client secret (Integrations > API credentials)."

typedef int (*pax8_item_fn)(void *ctx, const json_t *item, struct conn_error *err);

/* ---- session -------------------------------------------------------------------------------- */

static int pax8_token(struct src_bearer *s, struct conn_error *err)
{
    json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "client_id", conn_setting(s->conn, "client_id"),
                            "client_secret", conn_setting(s->conn, "client_secret"),
                            "audience", PAX8_AUDIENCE, "grant_type", "client_credentials");
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) {
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
        return -1;
    }
    json_t *doc = NULL;
    int rc = src_bearer_token_post(s, body, "application/json", &doc, err);
    explicit_bzero(body, strlen(body));
    free(body);
    if (rc == 0)
        rc = src_bearer_take_token(s, doc, err);
    json_decref(doc);
    return rc;
}

static int pax8_open(const struct conn *c, struct src_bearer *s, struct conn_error *err)
{
    static const char *const keys[][2] = {{"client_id", "client ID"}, {"client_secret", "client secret"}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!*conn_setting(c, keys[i][0])) {
            char msg[120];
            snprintf(msg, sizeof msg, "The Pax8 connection has no %s.", keys[i][1]);
            conn_error_set(err, CONN_CONFIG, 0, msg, "Fill it in on the Connections page.");
            return -1;
        }
    char base[512], token_url[600];
    src_url_setting(c, "url", PAX8_URL, base, sizeof base);
    /* The token service lives under the API address (/v1/token) unless set otherwise. */
    char fallback[600];
    snprintf(fallback, sizeof fallback, "%s/token", base);
    src_url_setting(c, "token_url", fallback, token_url, sizeof token_url);
    return src_bearer_open(s, c, PAX8_LABEL, PAX8_AUTH_HINT, base, token_url, NULL, pax8_token, err);
}

/* ---- paged lists ---------------------------------------------------------------------------- */

/* GET path?page=N&size=200[&filter] for N = 0, 1, ... until totalPages (or a short page when
 * the envelope has no totals). Every record must be an object. */
static int pax8_list(struct src_bearer *s, const char *path, const char *filter, const char *what,
                     pax8_item_fn fn, void *ctx, struct conn_error *err)
{
    char label[96];
    snprintf(label, sizeof label, "the %s list", what);
    for (int page = 0; page < PAX8_MAX_PAGES; page++) {
        char query[600];
        snprintf(query, sizeof query, "page=%d&size=%d%s%s", page, PAX8_PAGE, filter ? "&" : "",
                 filter ? filter : "");
        json_t *doc;
        if (src_bearer_get(s, path, query, NULL, label, &doc, err) < 0)
            return -1;
        const json_t *content = jsonx_get(doc, "content");
        int64_t pages = -1;
        if (!json_is_array(content)) {
            src_bad_response(err, "Pax8 answered %s without a content list", label);
            json_decref(doc);
            return -1;
        }
        size_t n = json_array_size(content), i;
        json_t *item;
        int rc = 0;
        json_array_foreach(content, i, item) {
            if (!json_is_object(item)) {
                src_bad_response(err, "Pax8 answered %s with a record that is not an object "
                                 "(record %zu)", label, i);
                rc = -1;
            } else {
                rc = fn(ctx, item, err);
            }
            if (rc != 0)
                break;
        }
        int known = jsonx_int(doc, "page.totalPages", &pages) == 0;
        json_decref(doc);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
        if (n == 0 || (known ? page + 1 >= pages : n < PAX8_PAGE))
            return 0;
    }
    src_bad_response(err, "Pax8's %s list does not end", what);
    return -1;
}

/* ---- mapping -------------------------------------------------------------------------------- */

static enum src_status pax8_status(const char *s)
{
    static const char *const active[] = {"Active", "PendingCancel", "Trial", "Activated"};
    static const char *const cancelled[] = {"Cancelled", "Canceled", "Converted"};
    for (size_t i = 0; s && i < sizeof active / sizeof active[0]; i++)
        if (strcasecmp(s, active[i]) == 0)
            return SRC_ACTIVE;
    for (size_t i = 0; s && i < sizeof cancelled / sizeof cancelled[0]; i++)
        if (strcasecmp(s, cancelled[i]) == 0)
            return SRC_CANCELLED;
    /* PendingManual, PendingAutomated, PendingActivation, WaitingForDetails, and new words. */
    return s && *s ? SRC_PENDING : SRC_ACTIVE;
}

static enum src_charge_type pax8_charge_type(const char *type, const char *term)
{
    if (!type || strcasecmp(type, "subscription") == 0)
        return term && strcasecmp(term, "Arrears") == 0 ? SRC_CHARGE_USAGE : SRC_CHARGE_RECURRING;
    if (strcasecmp(type, "prorate") == 0)
        return SRC_CHARGE_PRORATION;
    if (strcasestr(type, "credit") || strcasecmp(type, "rebate") == 0)
        return SRC_CHARGE_REFUND;
    return SRC_CHARGE_ONE_TIME; /* one-time, service-charge */
}

struct pax8_sub {
    struct src_subscription sub;
    struct src_resource res;
};

static int read_subscription(const json_t *o, struct pax8_sub *p, struct conn_error *err)
{
    memset(p, 0, sizeof *p);
    struct src_subscription *s = &p->sub;
    struct src_resource *r = &p->res;
    char what[SRC_ID + 40];
    if (src_req_str(o, "id", "A Pax8 subscription", s->id, sizeof s->id, err) < 0)
        return -1;
    snprintf(what, sizeof what, "Pax8 subscription %s", s->id);
    if (src_req_str(o, "companyId", what, s->company_id, sizeof s->company_id, err) < 0 ||
        src_opt_str(o, "productName", what, s->name, sizeof s->name, err) < 0 ||
        src_opt_date(o, "commitmentTerm.endDate", what, &s->commitment_end, err) < 0 ||
        src_opt_str(o, "vendorSkuId", what, r->sku, sizeof r->sku, err) < 0 ||
        src_opt_str(o, "currencyCode", what, r->currency, sizeof r->currency, err) < 0 ||
        src_opt_qty(o, "quantity", what, &r->quantity, err) < 0 ||
        src_opt_money(o, "partnerCost", what, &r->unit_cost, err) < 0 ||
        src_opt_money(o, "price", what, &r->unit_price, err) < 0)
        return -1;
    s->status = pax8_status(jsonx_str(o, "status"));
    s->billing_cycle = src_cycle_from(jsonx_str(o, "billingTerm"));
    s->term_months = src_term_months(jsonx_str(o, "commitmentTerm.term"));
    s->auto_renew = 0; /* Pax8 does not state it */
    snprintf(r->id, sizeof r->id, "%s", s->id);
    snprintf(r->subscription_id, sizeof r->subscription_id, "%s", s->id);
    snprintf(r->company_id, sizeof r->company_id, "%s", s->company_id);
    snprintf(r->name, sizeof r->name, "%s", s->name);
    r->billing_cycle = s->billing_cycle;
    r->term_months = s->term_months;
    r->commitment_end = s->commitment_end;
    r->status = s->status;
    return 0;
}

/* ---- operations ----------------------------------------------------------------------------- */

struct emit {
    src_company_fn company;
    src_subscription_fn subscription;
    src_resource_fn resource;
    src_charge_fn charge;
    void *ctx;
    json_t *terms;              /* subscription id -> term months (charges) */
    cdate_t month;
    int stopped;                /* the caller asked to stop */
};

static int pax8_test(const struct conn *c, char *summary, size_t n, struct conn_error *err)
{
    struct src_bearer s;
    if (pax8_open(c, &s, err) < 0)
        return -1;
    json_t *doc;
    int rc = src_bearer_get(&s, "companies", "page=0&size=1", NULL, "the company list", &doc, err);
    if (rc == 0) {
        int64_t total;
        if (jsonx_int(doc, "page.totalElements", &total) == 0)
            snprintf(summary, n, "Connected to Pax8: %lld companies", (long long)total);
        else
            snprintf(summary, n, "Connected to Pax8");
        json_decref(doc);
    }
    src_bearer_close(&s);
    return rc;
}

static int company_item(void *p, const json_t *o, struct conn_error *err)
{
    struct emit *e = p;
    struct src_company c;
    char what[SRC_ID + 40];
    if (src_req_str(o, "id", "A Pax8 company", c.id, sizeof c.id, err) < 0)
        return -1;
    snprintf(what, sizeof what, "Pax8 company %s", c.id);
    if (src_req_str(o, "name", what, c.name, sizeof c.name, err) < 0)
        return -1;
    return e->company(e->ctx, &c) ? 1 : 0;
}

static int pax8_list_companies(const struct conn *c, src_company_fn fn, void *ctx, struct conn_error *err)
{
    struct src_bearer s;
    if (pax8_open(c, &s, err) < 0)
        return -1;
    struct emit e = {.company = fn, .ctx = ctx};
    int rc = pax8_list(&s, "companies", NULL, "company", company_item, &e, err);
    src_bearer_close(&s);
    return rc;
}

static int subscription_item(void *p, const json_t *o, struct conn_error *err)
{
    struct emit *e = p;
    struct pax8_sub ps;
    if (read_subscription(o, &ps, err) < 0)
        return -1;
    if (e->terms) {
        json_object_set_new(e->terms, ps.sub.id, json_integer(ps.sub.term_months));
        return 0;
    }
    int stop = (e->subscription && e->subscription(e->ctx, &ps.sub)) || (e->resource && e->resource(e->ctx, &ps.res));
    return stop ? 1 : 0;
}

static int list_subs(const struct conn *c, struct emit *e, struct conn_error *err)
{
    struct src_bearer s;
    if (pax8_open(c, &s, err) < 0)
        return -1;
    int rc = pax8_list(&s, "subscriptions", NULL, "subscription", subscription_item, e, err);
    src_bearer_close(&s);
    return rc;
}

static int pax8_list_subscriptions(const struct conn *c, src_subscription_fn fn, void *ctx,
                                   struct conn_error *err)
{
    struct emit e = {.subscription = fn, .ctx = ctx};
    return list_subs(c, &e, err);
}

static int pax8_list_resources(const struct conn *c, src_resource_fn fn, void *ctx, struct conn_error *err)
{
    struct emit e = {.resource = fn, .ctx = ctx};
    return list_subs(c, &e, err);
}

/* A Pax8 subscription is its own resource: one pass gives both. */
static int pax8_list_subscriptions_and_resources(const struct conn *c, src_subscription_fn sfn,
                                                 src_resource_fn rfn, void *ctx, struct conn_error *err)
{
    struct emit e = {.subscription = sfn, .resource = rfn, .ctx = ctx};
    return list_subs(c, &e, err);
}

static int charge_item(void *p, const json_t *o, struct conn_error *err)
{
    struct emit *e = p;
    struct src_charge ch;
    memset(&ch, 0, sizeof ch);
    char what[SRC_ID + 40];
    if (src_req_str(o, "id", "A Pax8 invoice item", ch.id, sizeof ch.id, err) < 0)
        return -1;
    snprintf(what, sizeof what, "Pax8 invoice item %s", ch.id);
    cdate_t end;
    char type[40];
    if (src_req_str(o, "type", what, type, sizeof type, err) < 0)
        return -1;
    if (src_req_date(o, "startPeriod", what, &ch.period_start, err) < 0)
        return -1;
    if (!src_in_month(ch.period_start, e->month))
        return 0;
    if (src_opt_date(o, "endPeriod", what, &end, err) < 0 ||
        src_opt_str(o, "companyId", what, ch.company_id, sizeof ch.company_id, err) < 0 ||
        src_opt_str(o, "subscriptionId", what, ch.subscription_id, sizeof ch.subscription_id, err) < 0 ||
        src_opt_str(o, "description", what, ch.description, sizeof ch.description, err) < 0 ||
        src_opt_str(o, "sku", what, ch.sku, sizeof ch.sku, err) < 0 ||
        src_opt_str(o, "currencyCode", what, ch.currency, sizeof ch.currency, err) < 0 ||
        src_opt_qty(o, "quantity", what, &ch.quantity, err) < 0 ||
        src_opt_money(o, "cost", what, &ch.unit_cost, err) < 0 ||
        src_opt_money(o, "price", what, &ch.unit_price, err) < 0 ||
        src_opt_money(o, "costTotal", what, &ch.extended_cost, err) < 0 ||
        src_opt_money(o, "subTotal", what, &ch.extended_price, err) < 0)
        return -1;
    /* endPeriod is the day after the service window (04-01..05-01 covers April). */
    if (cdate_valid(end) && cdate_add_days(end, -1, &ch.period_end) < 0)
        ch.period_end = end;
    snprintf(ch.resource_id, sizeof ch.resource_id, "%s", ch.subscription_id);
    const char *term = jsonx_str(o, "term");
    ch.type = pax8_charge_type(type, term);
    ch.frequency = src_cycle_from(term);
    ch.effective = ch.period_start;
    /* The commitment term is the subscription's (0 when it is no longer listed). */
    const json_t *months = json_object_get(e->terms, ch.subscription_id);
    ch.term_months = json_is_integer(months) ? (int)json_integer_value(months) : 0;
    e->stopped = e->charge(e->ctx, &ch) != 0;
    return e->stopped;
}

struct invoice_ctx {
    struct src_bearer *s;
    struct emit *e;
};

static int invoice_items(void *p, const json_t *o, struct conn_error *err)
{
    struct invoice_ctx *k = p;
    char id[SRC_ID];
    struct strbuf path = STRBUF_INIT;
    if (src_req_str(o, "id", "A Pax8 invoice", id, sizeof id, err) < 0)
        return -1;
    int rc = -1;
    if (strbuf_append(&path, "invoices/") < 0 || url_escape(&path, id) < 0 ||
        strbuf_append(&path, "/items") < 0)
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    else
        rc = pax8_list(k->s, strbuf_cstr(&path), NULL, "invoice item", charge_item, k->e, err);
    strbuf_free(&path);
    return rc < 0 ? -1 : k->e->stopped;
}

static int pax8_list_charges(const struct conn *c, cdate_t month, src_charge_fn fn, void *ctx,
                             struct conn_error *err)
{
    struct src_bearer s;
    cdate_t first, from, to;
    if (cdate_first_of_month(month, &first) < 0 || cdate_add_months(first, -1, &from) < 0 ||
        cdate_add_months(first, 3, &to) < 0 || cdate_add_days(to, -1, &to) < 0) {
        conn_error_set(err, CONN_CONFIG, 0, "The billing month is not a valid date.", "");
        return -1;
    }
    struct emit e = {.charge = fn, .ctx = ctx, .terms = json_object(), .month = first};
    if (!e.terms) {
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
        return -1;
    }
    if (pax8_open(c, &s, err) < 0) {
        json_decref(e.terms);
        return -1;
    }
    int rc = pax8_list(&s, "subscriptions", NULL, "subscription", subscription_item, &e, err);
    if (rc == 0) {
        /* Lines of a month sit on that month's invoice (billed ahead) or the next ones
         * (prorations in arrears): read the invoices dated from the month before to two after. */
        char a[CDATE_FMT_LEN], b[CDATE_FMT_LEN], filter[80];
        cdate_format(from, a, sizeof a);
        cdate_format(to, b, sizeof b);
        snprintf(filter, sizeof filter, "invoiceDateRangeStart=%s&invoiceDateRangeEnd=%s", a, b);
        struct invoice_ctx k = {&s, &e};
        rc = pax8_list(&s, "invoices", filter, "invoice", invoice_items, &k, err);
    }
    json_decref(e.terms);
    src_bearer_close(&s);
    return rc;
}

const struct source_connector pax8_connector = {
    .system = "pax8",
    .label = "Pax8",
    .test = pax8_test,
    .list_companies = pax8_list_companies,
    .list_subscriptions = pax8_list_subscriptions,
    .list_resources = pax8_list_resources,
    .list_subscriptions_and_resources = pax8_list_subscriptions_and_resources,
    .list_charges = pax8_list_charges,
};
