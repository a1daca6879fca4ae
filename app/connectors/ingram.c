/* ingram.c: the Ingram Micro Cloud Marketplace source connector: customers, subscriptions with
 * one resource per product (MPN), and the month's rated-data report (doc/source-apis.md 3). */
#include "connectors/ingram.h"

#include "connectors/src_util.h"
#include "net/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IM_LABEL "Ingram Micro"
#define IM_LIMIT 100                  /* the largest page the Marketplace API is known to give */
#define IM_MAX_PAGES 1000000
#define IM_DEFAULT_BASE "https://api.cloud.im/marketplace/"

struct im {
    struct src_session s;
    char key[300];                    /* "X-Subscription-Key: ..." (wiped on close) */
    char basic[700];                  /* the API user as HTTP Basic, for the token */
};

/* Called per list item: 0 for more, 1 to stop, -1 with *err. */
typedef int (*im_item_fn)(struct im *m, const json_t *item, void *ctx, struct conn_error *err);

/* ---- value mapping ------------------------------------------------------------------------ */

static enum src_status im_status(const char *st)
{
    if (!st || !*st || !strcasecmp(st, "active"))
        return SRC_ACTIVE;
    if (!strcasecmp(st, "hold") || strcasestr(st, "suspend"))
        return SRC_SUSPENDED;
    if (!strcasecmp(st, "terminated") || !strcasecmp(st, "removed") || strcasestr(st, "cancel"))
        return SRC_CANCELLED;
    return SRC_PENDING;               /* pending, or a status billsync does not know */
}

/* {"type": "month"|"year", "duration": n} in months; 0 when absent or in days. */
static int period_months(const json_t *p)
{
    const char *type = jsonx_str(p, "type");
    int64_t n = 1;
    if (!type || (jsonx_get(p, "duration") && (jsonx_int(p, "duration", &n) < 0 || n < 1 || n > 100)))
        return 0;
    if (!strcasecmp(type, "year") || !strcasecmp(type, "years"))
        return (int)n * 12;
    if (!strcasecmp(type, "month") || !strcasecmp(type, "months"))
        return (int)n;
    return 0;
}

static enum src_charge_type im_charge_type(const char *t)
{
    if (!strcasecmp(t, "recurring") || !strcasecmp(t, "renewal"))
        return SRC_CHARGE_RECURRING;
    if (strcasestr(t, "prorat"))
        return SRC_CHARGE_PRORATION;
    if (strcasestr(t, "refund") || strcasestr(t, "credit"))
        return SRC_CHARGE_REFUND;
    if (strcasestr(t, "overuse") || strcasestr(t, "usage"))
        return SRC_CHARGE_USAGE;
    return SRC_CHARGE_ONE_TIME;       /* setup, cancellation and other one-off fees */
}

/* An amount either as {"amount": "11.0350", "currency"} or as a bare value. */
/* An amount as {"amount": 11.035, "currency": "USD"} or a bare number or string. Absent is 0;
 * present and unreadable fails, naming the record (never a silent 0). */
static int amount(const json_t *o, const char *key, const char *what, money_t *out, struct conn_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "%s.amount", key);
    if (json_is_object(jsonx_get(o, key)))
        return src_opt_money(o, path, what, out, err);
    return src_opt_money(o, key, what, out, err);
}

/* ---- errors ------------------------------------------------------------------------------ */

/* Gateway {statusCode, message} and API {timeStamp, status, message, path, correlationId}. */
static void im_error(const struct http_response *r, const char *what, int token_call,
                     struct conn_error *err)
{
    json_t *doc = NULL;
    char jerr[80], msg[sizeof err->message], hint[sizeof err->hint];
    const char *text = NULL, *cid = http_response_header(r, "X-Correlation-ID");
    int gateway = 0;
    if (jsonx_parse(r->body.p, r->body.len, &doc, jerr, sizeof jerr) == 0) {
        text = jsonx_str(doc, "message");
        gateway = jsonx_get(doc, "statusCode") != NULL;
        if (jsonx_str(doc, "correlationId"))
            cid = jsonx_str(doc, "correlationId");
    }
    if (text && *text)
        snprintf(msg, sizeof msg, "%s", text);
    else
        snprintf(msg, sizeof msg, "%s answered %s with HTTP %ld", IM_LABEL, what, r->status);
    if (cid && *cid && strlen(msg) + strlen(cid) + 24 < sizeof msg)
        snprintf(msg + strlen(msg), sizeof msg - strlen(msg), " (correlation ID %s)", cid);
    enum conn_error_kind kind = src_status_kind(r->status, IM_LABEL, hint, sizeof hint);
    if (r->status == 401 && (gateway || (text && strcasestr(text, "subscription key"))))
        snprintf(hint, sizeof hint, "Check the subscription key (the X-Subscription-Key of your "
                 "Marketplace API product).");
    else if (r->status == 401 && token_call)
        snprintf(hint, sizeof hint, "Check the Marketplace API user name and password.");
    else if (r->status == 401)
        snprintf(hint, sizeof hint, "%s refused a token it had just issued; check that the API user "
                 "is still active.", IM_LABEL);
    if (token_call && r->status == 400 && text && strcasestr(text, "marketplace")) {
        kind = CONN_CONFIG;
        snprintf(hint, sizeof hint, "Check the marketplace code (like us, uk, de).");
    }
    conn_error_set(err, kind, (int)r->status, msg, hint);
    json_decref(doc);
}

static void im_api_error(const struct src_session *s, const struct http_response *r, const char *what,
                         struct conn_error *err)
{
    (void)s;
    im_error(r, what, 0, err);
}

/* ---- session ------------------------------------------------------------------------------ */

static int im_fetch_token(struct src_session *s, struct conn_error *err)
{
    struct im *m = s->sys;
    const char *headers[] = {m->basic, m->key, NULL};
    struct http_client *tc = src_client(s, s->base, headers, err);
    if (!tc)
        return -1;
    json_t *req = json_pack("{s:s}", "marketplace", conn_setting(s->conn, "marketplace"));
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    struct http_response r = HTTP_RESPONSE_INIT;
    json_t *doc = NULL;
    int rc = -1;
    if (!body)
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    else
        rc = src_token_post(s, tc, "token", body, "application/json", &r, &doc, err);
    if (rc == 1) {
        im_error(&r, "the token request", 1, err);
        rc = -1;
    } else if (rc == 0) {
        int64_t expires = 0;
        jsonx_int(doc, "expiresInSeconds", &expires);
        rc = src_set_token(s, jsonx_str(doc, "token"), expires, err);
    }
    json_decref(doc);
    if (r.body.p)
        explicit_bzero(r.body.p, r.body.len);
    http_response_free(&r);
    http_client_free(tc);
    free(body);
    return rc;
}

static const struct src_ops im_ops = {IM_LABEL, im_fetch_token, im_api_error, NULL};

static int im_open(const struct conn *c, struct im *m, struct conn_error *err)
{
    static const char *const keys[][2] = {{"username", "API user name"}, {"password", "API user password"},
                                          {"subscription_key", "subscription key"},
                                          {"marketplace", "marketplace"}};
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!*conn_setting(c, keys[i][0]))
            return src_config_error(err, IM_LABEL, keys[i][1]);
    char fallback[200], base[SRC_BASE_MAX];
    snprintf(fallback, sizeof fallback, "%s%s", IM_DEFAULT_BASE, conn_setting(c, "marketplace"));
    if (src_base_url(conn_setting(c, "url"), fallback, base, sizeof base) < 0) {
        conn_error_set(err, CONN_CONFIG, 0, "The Ingram Micro API address is not a usable address.",
                       "Leave it empty, or use the Marketplace API address, like "
                       "https://api.cloud.im/marketplace/us.");
        return -1;
    }
    const char *key = conn_setting(c, "subscription_key");
    int w = snprintf(m->key, sizeof m->key, "X-Subscription-Key: %s", key);
    if (w < 0 || (size_t)w >= sizeof m->key ||
        src_basic_header(conn_setting(c, "username"), conn_setting(c, "password"), m->basic,
                         sizeof m->basic) < 0)
        return src_config_error(err, IM_LABEL, "user name, password and key of a usable length");
    const char *extra[] = {m->key, NULL};
    if (src_open(&m->s, c, &im_ops, base, extra, m, err) < 0) {
        src_close(&m->s);
        explicit_bzero(m->key, sizeof m->key);
        explicit_bzero(m->basic, sizeof m->basic);
        return -1;
    }
    return 0;
}

static void im_close(struct im *m)
{
    src_close(&m->s);
    explicit_bzero(m->key, sizeof m->key);
    explicit_bzero(m->basic, sizeof m->basic);
}

/* ---- paged lists -------------------------------------------------------------------------- */

/* offset/limit pages of {"data", "pagination": {offset, limit, total}}. 0 done, 1 stopped. */
static int im_list(struct im *m, const char *path, const char *extra_query, const char *what,
                   im_item_fn fn, void *ctx, struct conn_error *err)
{
    char label[96];
    int rc = 0;
    long long offset = 0;
    snprintf(label, sizeof label, "the %s list", what);
    for (long page = 0; rc == 0; page++) {
        struct strbuf q = STRBUF_INIT;
        json_t *doc = NULL;
        int64_t total;
        if (strbuf_appendf(&q, "offset=%lld&limit=%d", offset, IM_LIMIT) < 0 ||
            (extra_query && *extra_query && strbuf_appendf(&q, "&%s", extra_query) < 0)) {
            conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
            rc = -1;
        } else {
            rc = src_call(&m->s, "GET", path, strbuf_cstr(&q), NULL, label, &doc, err);
        }
        strbuf_free(&q);
        json_t *data = jsonx_get(doc, "data");
        if (rc == 0 && !json_is_array(data)) {
            src_bad_response(err, "%s's answer to %s has no data list", IM_LABEL, label);
            rc = -1;
        }
        size_t n = rc == 0 ? json_array_size(data) : 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            json_t *item = json_array_get(data, i);
            if (!json_is_object(item)) {
                src_bad_response(err, "An entry of %s's %s list is not an object", IM_LABEL, what);
                rc = -1;
            } else {
                rc = fn(m, item, ctx, err);
            }
        }
        /* Advance by what came back: a server that clamps the limit still pages correctly. */
        offset += (long long)n;
        int more = n > 0 && (jsonx_int(doc, "pagination.total", &total) == 0 ? offset < total
                                                                             : n >= IM_LIMIT);
        json_decref(doc);
        if (rc != 0 || !more)
            break;
        if (page + 1 >= IM_MAX_PAGES) {
            src_bad_response(err, "%s's %s list does not end", IM_LABEL, what);
            rc = -1;
        }
    }
    return rc;
}

/* ---- companies, subscriptions, resources -------------------------------------------------- */

static int on_customer(struct im *m, const json_t *j, void *ctx, struct conn_error *err)
{
    (void)m;
    struct src_emit *e = ctx;
    struct src_company co;
    memset(&co, 0, sizeof co);
    if (src_id(j, "id", co.id, sizeof co.id) < 0)
        return src_missing(err, IM_LABEL, "customer", "id");
    src_copy(co.name, sizeof co.name, jsonx_str(j, "name"));
    return e->company(e->ctx, &co) ? 1 : 0;
}

static int parse_subscription(const json_t *d, const json_t *item, struct src_subscription *s,
                              struct conn_error *err)
{
    memset(s, 0, sizeof *s);
    if (src_id(d, "id", s->id, sizeof s->id) < 0)
        return src_missing(err, IM_LABEL, "subscription", "id");
    if (src_id(d, "customerId", s->company_id, sizeof s->company_id) < 0 &&
        src_id(item, "customerId", s->company_id, sizeof s->company_id) < 0)
        return src_missing(err, IM_LABEL, "subscription", "customerId");
    const char *name = jsonx_str(d, "name");
    src_copy(s->name, sizeof s->name, name ? name : jsonx_str(item, "name"));
    s->status = im_status(jsonx_str(d, "status"));
    s->billing_cycle = src_cycle_of_months(period_months(jsonx_get(d, "billingPeriod")));
    s->term_months = period_months(jsonx_get(d, "subscriptionPeriod"));
    jsonx_date(d, "expirationDate", &s->commitment_end);
    jsonx_bool(d, "renewalStatus", &s->auto_renew);
    return 0;
}

static int emit_resources(const json_t *d, const struct src_subscription *s, struct src_emit *e,
                          struct conn_error *err)
{
    json_t *products = jsonx_get(d, "products");
    size_t i;
    json_t *p;
    if (products && !json_is_array(products)) {
        src_bad_response(err, "%s's subscription %s has a products value that is not a list",
                         IM_LABEL, s->id);
        return -1;
    }
    json_array_foreach(products, i, p) {
        struct src_resource r;
        memset(&r, 0, sizeof r);
        const char *mpn = jsonx_str(p, "mpn");
        if (!mpn || !*mpn)
            return src_missing(err, IM_LABEL, "product of a subscription", "mpn");
        if (src_compose(err, r.id, sizeof r.id, "resource id", "%s/%s", s->id, mpn) < 0)
            return -1;
        src_copy(r.subscription_id, sizeof r.subscription_id, s->id);
        src_copy(r.company_id, sizeof r.company_id, s->company_id);
        src_copy(r.name, sizeof r.name, jsonx_str(p, "name"));
        src_copy(r.sku, sizeof r.sku, mpn);
        char what[200];
        snprintf(what, sizeof what, "%s's subscription %s, product %s,", IM_LABEL, s->id, mpn);
        if (src_opt_qty(p, "quantity", what, &r.quantity, err) < 0 ||
            amount(p, "unitCost", what, &r.unit_cost, err) < 0 || amount(p, "unitPrice", what, &r.unit_price, err) < 0)
            return -1;
        const char *cur = jsonx_str(p, "unitPrice.currency");
        if (!cur)
            cur = jsonx_str(p, "unitCost.currency");
        src_copy(r.currency, sizeof r.currency, cur && strlen(cur) == 3 ? cur : "");
        r.billing_cycle = s->billing_cycle;
        r.term_months = s->term_months;
        r.commitment_end = s->commitment_end;
        r.status = s->status;
        if (e->resource(e->ctx, &r))
            return 1;
    }
    return 0;
}

struct sub_ctx {
    struct src_emit *e;
    int resources;                    /* emit resources, not subscriptions */
};

/* The list items lack periods and products: every subscription is read in full. */
static int on_subscription(struct im *m, const json_t *item, void *ctx, struct conn_error *err)
{
    struct sub_ctx *x = ctx;
    char id[SRC_ID];
    struct strbuf path = STRBUF_INIT;
    json_t *d = NULL;
    if (src_id(item, "id", id, sizeof id) < 0)
        return src_missing(err, IM_LABEL, "subscription", "id");
    int rc = -1;
    if (strbuf_append(&path, "subscriptions/") == 0 && url_escape(&path, id) == 0)
        rc = src_call(&m->s, "GET", strbuf_cstr(&path), NULL, NULL, "a subscription", &d, err);
    else
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    strbuf_free(&path);
    if (rc < 0 && err->kind == CONN_NOT_FOUND) {
        memset(err, 0, sizeof *err);  /* removed since the list was read */
        return 0;
    }
    struct src_subscription s;
    if (rc == 0 && (!json_is_object(d) || parse_subscription(d, item, &s, err) < 0)) {
        if (!json_is_object(d))
            src_bad_response(err, "%s's answer for subscription %s is not an object", IM_LABEL, id);
        rc = -1;
    }
    if (rc == 0 && x->resources)
        rc = emit_resources(d, &s, x->e, err);
    else if (rc == 0 && x->e->subscription(x->e->ctx, &s))
        rc = 1;
    json_decref(d);
    return rc;
}

/* ---- charges: the rated-data report ------------------------------------------------------- */

struct charge_ctx {
    struct src_emit *e;
    cdate_t month;
    json_t *seen;                     /* charge ids already emitted (reports may overlap) */
    int reports;
};

static const char *cell(const json_t *row, const char *column)
{
    const char *v = jsonx_str(row, column);
    return v ? v : "";
}

static int required_cell(const json_t *row, const char *column, const char **out, struct conn_error *err)
{
    *out = cell(row, column);
    return **out ? 0 : src_missing(err, IM_LABEL, "rated-data report row", column);
}

static int on_report_row(const json_t *row, struct charge_ctx *x, struct conn_error *err)
{
    const char *sub, *mpn, *start_text, *type, *customer;
    struct src_charge ch;
    memset(&ch, 0, sizeof ch);
    if (required_cell(row, "Charge Start Date", &start_text, err) < 0)
        return -1;
    if (cdate_parse(start_text, &ch.period_start) < 0) {
        src_bad_response(err, "%s's rated-data report has a Charge Start Date that is not a date",
                         IM_LABEL);
        return -1;
    }
    if (!src_in_month(ch.period_start, x->month))
        return 0;
    if (required_cell(row, "Subscription ID", &sub, err) < 0 ||
        required_cell(row, "Resource MPN", &mpn, err) < 0 ||
        required_cell(row, "Charge Type", &type, err) < 0 ||
        required_cell(row, "Customer Account ID", &customer, err) < 0)
        return -1;
    char day[CDATE_FMT_LEN];
    cdate_format(ch.period_start, day, sizeof day);
    if (src_compose(err, ch.id, sizeof ch.id, "charge id", "%s/%s/%s/%s", sub, mpn, day, type) < 0 ||
        src_compose(err, ch.resource_id, sizeof ch.resource_id, "resource id", "%s/%s", sub, mpn) < 0 ||
        src_compose(err, ch.company_id, sizeof ch.company_id, "customer id", "%s", customer) < 0 ||
        src_compose(err, ch.subscription_id, sizeof ch.subscription_id, "subscription id", "%s", sub) < 0)
        return -1;
    if (!src_first_seen(x->seen, ch.id))
        return 0;
    src_copy(ch.description, sizeof ch.description, cell(row, "Resource Name"));
    src_copy(ch.sku, sizeof ch.sku, mpn);
    ch.type = im_charge_type(type);
    if (cdate_parse(cell(row, "Charge End Date"), &ch.period_end) < 0)
        memset(&ch.period_end, 0, sizeof ch.period_end);
    ch.effective = ch.period_start;
    char what[300];
    snprintf(what, sizeof what, "The rated-data report's line for subscription %s, %s,", sub, mpn);
    /* Extended amounts are already scaled by Duration: taken as they are. */
    if (src_opt_qty(row, "Quantity", what, &ch.quantity, err) < 0 ||
        src_opt_money(row, "Unit Cost", what, &ch.unit_cost, err) < 0 ||
        src_opt_money(row, "Unit Price", what, &ch.unit_price, err) < 0 ||
        src_opt_money(row, "Extended Cost", what, &ch.extended_cost, err) < 0 ||
        src_opt_money(row, "Extended Price", what, &ch.extended_price, err) < 0)
        return -1;
    const char *cur = cell(row, "Currency");
    src_copy(ch.currency, sizeof ch.currency, strlen(cur) == 3 ? cur : "");
    ch.term_months = src_period_text_months(cell(row, "Subscription Period"));
    int billing = src_period_text_months(cell(row, "Billing Period"));
    ch.frequency = src_cycle_of_months(billing);
    if (!billing && ch.type == SRC_CHARGE_USAGE)
        ch.frequency = SRC_USAGE;     /* overuse without a stated billing period */
    if (x->e->charge(x->e->ctx, &ch))
        return 1;
    return 0;
}

/* The report file as rows of column title -> text: CSV, or JSON (an array, or {"data": [...]}). */
static int report_rows(const struct strbuf *body, int json, json_t **rows, struct conn_error *err)
{
    char why[200];
    if (!json) {
        if (src_csv_rows(body->p ? body->p : "", body->len, rows, why, sizeof why) == 0)
            return 0;
        src_bad_response(err, "%s's rated-data report is not a usable CSV file: %s", IM_LABEL, why);
        return -1;
    }
    json_t *doc = NULL;
    if (jsonx_parse(body->p, body->len, &doc, why, sizeof why) < 0) {
        src_bad_response(err, "%s's rated-data report is %s", IM_LABEL, why);
        return -1;
    }
    json_t *list = json_is_array(doc) ? doc : jsonx_get(doc, "data");
    if (!json_is_array(list)) {
        json_decref(doc);
        src_bad_response(err, "%s's rated-data report holds no list of rows", IM_LABEL);
        return -1;
    }
    *rows = json_incref(list);
    json_decref(doc);
    return 0;
}

static int on_report(struct im *m, const json_t *rep, void *ctx, struct conn_error *err)
{
    struct charge_ctx *x = ctx;
    cdate_t start;
    const char *status = jsonx_str(rep, "status"), *url = jsonx_str(rep, "downloadUrl");
    if (status && strcasecmp(status, "completed") != 0)
        return 0;
    if (jsonx_date(rep, "startDate", &start) == 0 && !src_in_month(start, x->month))
        return 0;
    if (!url || !*url)
        return src_missing(err, IM_LABEL, "report", "downloadUrl");
    const char *format = jsonx_str(rep, "format");
    size_t ul = strcspn(url, "?#");
    int json = format ? !strcasecmp(format, "json") : ul >= 5 && !strncasecmp(url + ul - 5, ".json", 5);
    struct strbuf body = STRBUF_INIT;
    json_t *rows = NULL;
    int rc = src_download(&m->s, url, "the rated-data report", &body, err);
    if (rc == 0)
        rc = report_rows(&body, json, &rows, err);
    strbuf_free(&body);
    for (size_t i = 0; rc == 0 && i < json_array_size(rows); i++) {
        const json_t *row = json_array_get(rows, i);
        if (!json_is_object(row)) {
            src_bad_response(err, "A row of %s's rated-data report is not an object", IM_LABEL);
            rc = -1;
        } else {
            rc = on_report_row(row, x, err);
        }
    }
    json_decref(rows);
    x->reports += rc == 0;
    return rc;
}

static int report_query(cdate_t month, struct strbuf *q)
{
    cdate_t first, last;
    char a[CDATE_FMT_LEN], b[CDATE_FMT_LEN];
    if (cdate_first_of_month(month, &first) < 0 || cdate_last_of_month(month, &last) < 0)
        return -1;
    cdate_format(first, a, sizeof a);
    cdate_format(last, b, sizeof b);
    return strbuf_appendf(q, "type=monthly&status=completed&from=%s&to=%s", a, b);
}

/* ---- operations --------------------------------------------------------------------------- */

static int im_test(const struct conn *c, char *summary, size_t n, struct conn_error *err)
{
    struct im m;
    json_t *doc = NULL;
    int64_t total;
    if (im_open(c, &m, err) < 0)
        return -1;
    int rc = src_call(&m.s, "GET", "customers", "offset=0&limit=1", NULL, "the customer list", &doc, err);
    if (rc == 0 && jsonx_int(doc, "pagination.total", &total) == 0)
        snprintf(summary, n, "found %lld customers", (long long)total);
    else if (rc == 0 && json_is_array(jsonx_get(doc, "data")))
        snprintf(summary, n, "signed in; the customer list answers");
    else if (rc == 0) {
        src_bad_response(err, "%s's answer to the customer list has no data list", IM_LABEL);
        rc = -1;
    }
    json_decref(doc);
    im_close(&m);
    return rc;
}

static int im_list_companies(const struct conn *c, src_company_fn fn, void *ctx, struct conn_error *err)
{
    struct im m;
    struct src_emit e = {.company = fn, .ctx = ctx};
    if (im_open(c, &m, err) < 0)
        return -1;
    int rc = im_list(&m, "customers", NULL, "customer", on_customer, &e, err);
    im_close(&m);
    return rc < 0 ? -1 : 0;
}

static int list_subs(const struct conn *c, struct src_emit *e, int resources, struct conn_error *err)
{
    struct im m;
    struct sub_ctx x = {e, resources};
    if (im_open(c, &m, err) < 0)
        return -1;
    int rc = im_list(&m, "subscriptions", NULL, "subscription", on_subscription, &x, err);
    im_close(&m);
    return rc < 0 ? -1 : 0;
}

static int im_list_subscriptions(const struct conn *c, src_subscription_fn fn, void *ctx,
                                 struct conn_error *err)
{
    struct src_emit e = {.subscription = fn, .ctx = ctx};
    return list_subs(c, &e, 0, err);
}

static int im_list_resources(const struct conn *c, src_resource_fn fn, void *ctx, struct conn_error *err)
{
    struct src_emit e = {.resource = fn, .ctx = ctx};
    return list_subs(c, &e, 1, err);
}

static int im_list_charges(const struct conn *c, cdate_t month, src_charge_fn fn, void *ctx,
                           struct conn_error *err)
{
    struct im m;
    struct src_emit e = {.charge = fn, .ctx = ctx};
    struct charge_ctx x = {&e, month, NULL, 0};
    struct strbuf q = STRBUF_INIT;
    if (report_query(month, &q) < 0) {
        strbuf_free(&q);
        conn_error_set(err, CONN_CONFIG, 0, "The month is not a valid date.", "");
        return -1;
    }
    if (im_open(c, &m, err) < 0) {
        strbuf_free(&q);
        return -1;
    }
    x.seen = json_object();
    int rc = im_list(&m, "reports", strbuf_cstr(&q), "report", on_report, &x, err);
    if (rc == 0 && x.reports == 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s has no completed monthly rated-data report for %04d-%02d yet.",
                 IM_LABEL, month.y, month.m);
        conn_error_set(err, CONN_NOT_FOUND, 0, msg, "Ingram Micro prepares it after the month "
                       "ends; billsync will try again later.");
        err->retryable = 1;
        rc = -1;
    }
    json_decref(x.seen);
    strbuf_free(&q);
    im_close(&m);
    return rc < 0 ? -1 : 0;
}

const struct source_connector ingram_connector = {
    .system = "ingram",
    .label = "Ingram Micro Cloud Marketplace",
    .test = im_test,
    .list_companies = im_list_companies,
    .list_subscriptions = im_list_subscriptions,
    .list_resources = im_list_resources,
    .list_charges = im_list_charges,
};
