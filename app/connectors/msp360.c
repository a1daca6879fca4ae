/* msp360.c: the MSP360 Managed Backup source connector: companies, one usage subscription with
 * a storage resource (GB) each, and the month's storage billing per user (doc/source-apis.md 5). */
#include "connectors/msp360.h"

#include "connectors/src_util.h"
#include "net/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MB_LABEL "MSP360"
#define MB_DEFAULT_BASE "https://api.mspbackups.com"
#define MB_TAKE 1000                  /* StatisticBilling rows per request (skip/take) */
#define MB_MAX_PAGES 100000
#define MB_SKU "MSP360-STORAGE-GB"
#define MB_SUBSCRIPTION "Managed Backup"
#define MB_RESOURCE "Backup storage (GB)"

/* ---- errors ------------------------------------------------------------------------------ */

/* ASP.NET Web API failures: {"Message": "..."}. */
static void mb_error(const struct http_response *r, const char *what, int login, struct conn_error *err)
{
    json_t *doc = NULL;
    char jerr[80], msg[sizeof err->message], hint[sizeof err->hint];
    const char *text = NULL;
    if (jsonx_parse(r->body.p, r->body.len, &doc, jerr, sizeof jerr) == 0)
        text = jsonx_str(doc, "Message");
    if (text && *text)
        snprintf(msg, sizeof msg, "%s", text);
    else
        snprintf(msg, sizeof msg, "%s answered %s with HTTP %ld", MB_LABEL, what, r->status);
    enum conn_error_kind kind = src_status_kind(r->status, MB_LABEL, hint, sizeof hint);
    if (login && (r->status == 401 || r->status == 403)) {
        kind = CONN_AUTH;
        snprintf(hint, sizeof hint, "Check the API login and password (Settings → General in the "
                 "MSP360 console).");
    } else if (login && r->status == 400) {
        kind = CONN_CONFIG;
        snprintf(hint, sizeof hint, "Check the API login and password; the password has 3 to 100 "
                 "characters.");
    } else if (r->status == 401) {
        snprintf(hint, sizeof hint, "%s refused a token it had just issued; check that the API "
                 "login is still enabled.", MB_LABEL);
    }
    conn_error_set(err, kind, (int)r->status, msg, hint);
    json_decref(doc);
}

static void mb_api_error(const struct src_session *s, const struct http_response *r, const char *what,
                         struct conn_error *err)
{
    (void)s;
    mb_error(r, what, 0, err);
}

/* ---- session ------------------------------------------------------------------------------ */

static int mb_fetch_token(struct src_session *s, struct conn_error *err)
{
    static const char *const headers[] = {NULL};
    struct http_client *tc = src_client(s, s->base, headers, err);
    if (!tc)
        return -1;
    json_t *req = json_pack("{s:s, s:s}", "UserName", conn_setting(s->conn, "username"), "Password",
                            conn_setting(s->conn, "password"));
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    struct http_response r = HTTP_RESPONSE_INIT;
    json_t *doc = NULL;
    int rc = -1;
    if (!body)
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    else
        rc = src_token_post(s, tc, "api/Provider/Login", body, "application/json", &r, &doc, err);
    if (rc == 1) {
        mb_error(&r, "the login", 1, err);
        rc = -1;
    } else if (rc == 0) {
        int64_t expires = 0;
        const char *token = jsonx_str(doc, "access_token");
        jsonx_int(doc, "expires_in", &expires);
        rc = src_set_token(s, token ? token : jsonx_str(doc, "Token"), expires, err);
    }
    json_decref(doc);
    if (r.body.p)
        explicit_bzero(r.body.p, r.body.len);
    http_response_free(&r);
    http_client_free(tc);
    if (body) {
        explicit_bzero(body, strlen(body));
        free(body);
    }
    return rc;
}

static const struct src_ops mb_ops = {MB_LABEL, mb_fetch_token, mb_api_error, NULL};

static int mb_open(const struct conn *c, struct src_session *s, struct conn_error *err)
{
    char base[SRC_BASE_MAX];
    if (!*conn_setting(c, "username"))
        return src_config_error(err, MB_LABEL, "API user");
    if (!*conn_setting(c, "password"))
        return src_config_error(err, MB_LABEL, "API password");
    if (src_base_url(conn_setting(c, "url"), MB_DEFAULT_BASE, base, sizeof base) < 0) {
        conn_error_set(err, CONN_CONFIG, 0, "The MSP360 API address is not a usable address.",
                       "Leave it empty for " MB_DEFAULT_BASE ".");
        return -1;
    }
    if (src_open(s, c, &mb_ops, base, NULL, NULL, err) < 0) {
        src_close(s);
        return -1;
    }
    return 0;
}

/* An unpaged list (the API answers plain arrays): *doc is the array. */
static int mb_array(struct src_session *s, const char *path, const char *what, json_t **doc,
                    struct conn_error *err)
{
    if (src_call(s, "GET", path, NULL, NULL, what, doc, err) < 0)
        return -1;
    if (json_is_array(*doc))
        return 0;
    src_bad_response(err, "%s's answer to %s is not a list", MB_LABEL, what);
    json_decref(*doc);
    *doc = NULL;
    return -1;
}

/* Each company's id and name, checked. */
static int company_at(const json_t *companies, size_t i, struct src_company *co, struct conn_error *err)
{
    const json_t *j = json_array_get(companies, i);
    memset(co, 0, sizeof *co);
    if (src_id(j, "ID", co->id, sizeof co->id) < 0)
        return src_missing(err, MB_LABEL, "company", "ID");
    src_copy(co->name, sizeof co->name, jsonx_str(j, "Name"));
    return 0;
}

/* Every company, then fn per company. fn returns 0, 1 to stop, -1. */
typedef int (*mb_company_fn)(struct src_session *s, const struct src_company *co, void *ctx,
                             struct conn_error *err);

static int each_company(const struct conn *c, mb_company_fn fn, void *ctx, struct conn_error *err)
{
    struct src_session s;
    json_t *companies = NULL;
    if (mb_open(c, &s, err) < 0)
        return -1;
    int rc = mb_array(&s, "api/Companies", "the company list", &companies, err);
    for (size_t i = 0; rc == 0 && i < json_array_size(companies); i++) {
        struct src_company co;
        rc = company_at(companies, i, &co, err);
        if (rc == 0)
            rc = fn(&s, &co, ctx, err);
    }
    json_decref(companies);
    src_close(&s);
    return rc < 0 ? -1 : 0;
}

/* ---- companies, subscriptions, resources -------------------------------------------------- */

static int emit_company(struct src_session *s, const struct src_company *co, void *ctx,
                        struct conn_error *err)
{
    (void)s;
    (void)err;
    struct src_emit *e = ctx;
    return e->company(e->ctx, co) ? 1 : 0;
}

/* Backup is usage: one subscription per company, no commitment. */
static int emit_subscription(struct src_session *s, const struct src_company *co, void *ctx,
                             struct conn_error *err)
{
    (void)s;
    (void)err;
    struct src_emit *e = ctx;
    struct src_subscription sub;
    memset(&sub, 0, sizeof sub);
    src_copy(sub.id, sizeof sub.id, co->id);
    src_copy(sub.company_id, sizeof sub.company_id, co->id);
    src_copy(sub.name, sizeof sub.name, MB_SUBSCRIPTION);
    sub.status = SRC_ACTIVE;
    sub.billing_cycle = SRC_USAGE;
    return e->subscription(e->ctx, &sub) ? 1 : 0;
}

static int storage_resource(const char *company_id, struct src_resource *r, struct conn_error *err)
{
    memset(r, 0, sizeof *r);
    if (src_compose(err, r->id, sizeof r->id, "resource id", "%s/storage", company_id) < 0)
        return -1;
    src_copy(r->subscription_id, sizeof r->subscription_id, company_id);
    src_copy(r->company_id, sizeof r->company_id, company_id);
    src_copy(r->name, sizeof r->name, MB_RESOURCE);
    src_copy(r->sku, sizeof r->sku, MB_SKU);
    r->billing_cycle = SRC_USAGE;
    r->status = SRC_ACTIVE;
    return 0;
}

struct resource_ctx {
    struct src_emit *e;
    json_t *users;                    /* the user list, fetched with the first company */
};

/* Quantity: what the company's users hold now (SpaceUsed, bytes) in GiB; MSP360 states no
 * unit amounts for it. */
static int emit_resource(struct src_session *s, const struct src_company *co, void *ctx,
                         struct conn_error *err)
{
    struct resource_ctx *x = ctx;
    struct src_resource r;
    if (!x->users && mb_array(s, "api/Users", "the user list", &x->users, err) < 0)
        return -1;
    if (storage_resource(co->id, &r, err) < 0)
        return -1;
    int64_t bytes = 0, used;
    for (size_t i = 0; i < json_array_size(x->users); i++) {
        const json_t *u = json_array_get(x->users, i);
        const char *company = jsonx_str(u, "Company");
        if (company && co->name[0] && !strcasecmp(company, co->name) &&
            jsonx_int(u, "SpaceUsed", &used) == 0 && used > 0 && bytes <= INT64_MAX - used)
            bytes += used;
    }
    if (qty_from_fraction(bytes, SRC_GIB, &r.quantity) < 0) {
        src_bad_response(err, "%s's users of %s hold more space than billsync can count", MB_LABEL,
                         co->name);
        return -1;
    }
    return x->e->resource(x->e->ctx, &r) ? 1 : 0;
}

/* ---- charges: the month's storage billing ------------------------------------------------- */

struct charge_ctx {
    struct src_emit *e;
    cdate_t first, last;
    json_t *seen;                     /* user ids already billed this month */
};

static int billing_row(const json_t *b, const struct src_company *co, struct charge_ctx *x,
                       struct conn_error *err)
{
    char user[SRC_ID];
    const char *company = jsonx_str(b, "CompanyName");
    if (src_id(b, "UserId", user, sizeof user) < 0)
        return src_missing(err, MB_LABEL, "billing row", "UserId");
    /* Only the asked company's users, even if the filter were ignored. */
    if ((company && strcasecmp(company, co->name) != 0) || !src_first_seen(x->seen, user))
        return 0;
    struct src_charge ch;
    memset(&ch, 0, sizeof ch);
    if (src_compose(err, ch.id, sizeof ch.id, "charge id", "%04d-%02d/%s", x->first.y, x->first.m,
                    user) < 0 ||
        src_compose(err, ch.resource_id, sizeof ch.resource_id, "resource id", "%s/storage", co->id) < 0)
        return -1;
    src_copy(ch.company_id, sizeof ch.company_id, co->id);
    src_copy(ch.subscription_id, sizeof ch.subscription_id, co->id);
    src_copy(ch.description, sizeof ch.description, jsonx_str(b, "Email"));
    src_copy(ch.sku, sizeof ch.sku, MB_SKU);
    ch.type = SRC_CHARGE_USAGE;
    ch.frequency = SRC_USAGE;
    ch.period_start = ch.effective = x->first;
    ch.period_end = x->last;
    int64_t avg = 0;
    jsonx_int(b, "AverageSpace", &avg);
    if (avg < 0 || qty_from_fraction(avg, SRC_GIB, &ch.quantity) < 0) {
        src_bad_response(err, "%s's billing row of user %s has an unusable AverageSpace", MB_LABEL, user);
        return -1;
    }
    jsonx_money(b, "TotalCost", &ch.extended_cost);
    /* Average cost per GB of the stated total; the total itself when nothing was stored. */
    ch.unit_cost = ch.extended_cost;
    if (ch.quantity)
        money_div_qty(ch.extended_cost, ch.quantity, &ch.unit_cost);
    return x->e->charge(x->e->ctx, &ch) ? 1 : 0;
}

/* PUT api/Billing {CompanyName, Date} (a read), its StatisticBilling paged with skip/take. */
static int emit_billing(struct src_session *s, const struct src_company *co, void *ctx,
                        struct conn_error *err)
{
    struct charge_ctx *x = ctx;
    char date[CDATE_FMT_LEN];
    if (!co->name[0])
        return 0;                     /* an empty name would ask for every company */
    cdate_format(x->first, date, sizeof date);
    json_t *req = json_pack("{s:s, s:s}", "CompanyName", co->name, "Date", date);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    int rc = body ? 0 : -1;
    if (!body)
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    for (long page = 0; rc == 0; page++) {
        char q[64];
        json_t *doc = NULL;
        snprintf(q, sizeof q, "skip=%ld&take=%d", page * MB_TAKE, MB_TAKE);
        rc = src_call(s, "PUT", "api/Billing", q, body, "the monthly billing", &doc, err);
        json_t *rows = jsonx_get(doc, "StatisticBilling");
        if (rc == 0 && !json_is_array(rows)) {
            src_bad_response(err, "%s's monthly billing answer has no StatisticBilling list", MB_LABEL);
            rc = -1;
        }
        size_t n = rc == 0 ? json_array_size(rows) : 0;
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = billing_row(json_array_get(rows, i), co, x, err);
        json_decref(doc);
        if (rc != 0 || n < MB_TAKE)
            break;
        if (page + 1 >= MB_MAX_PAGES) {
            src_bad_response(err, "%s's monthly billing does not end", MB_LABEL);
            rc = -1;
        }
    }
    free(body);
    return rc;
}

/* ---- operations --------------------------------------------------------------------------- */

static int mb_test(const struct conn *c, char *summary, size_t n, struct conn_error *err)
{
    struct src_session s;
    json_t *companies = NULL;
    if (mb_open(c, &s, err) < 0)
        return -1;
    int rc = mb_array(&s, "api/Companies", "the company list", &companies, err);
    if (rc == 0)
        snprintf(summary, n, "found %zu companies", json_array_size(companies));
    json_decref(companies);
    src_close(&s);
    return rc;
}

static int mb_list_companies(const struct conn *c, src_company_fn fn, void *ctx, struct conn_error *err)
{
    struct src_emit e = {.company = fn, .ctx = ctx};
    return each_company(c, emit_company, &e, err);
}

static int mb_list_subscriptions(const struct conn *c, src_subscription_fn fn, void *ctx,
                                 struct conn_error *err)
{
    struct src_emit e = {.subscription = fn, .ctx = ctx};
    return each_company(c, emit_subscription, &e, err);
}

static int mb_list_resources(const struct conn *c, src_resource_fn fn, void *ctx, struct conn_error *err)
{
    struct src_emit e = {.resource = fn, .ctx = ctx};
    struct resource_ctx x = {&e, NULL};
    int rc = each_company(c, emit_resource, &x, err);
    json_decref(x.users);
    return rc;
}

static int mb_list_charges(const struct conn *c, cdate_t month, src_charge_fn fn, void *ctx,
                           struct conn_error *err)
{
    struct src_emit e = {.charge = fn, .ctx = ctx};
    struct charge_ctx x = {&e, {0, 0, 0}, {0, 0, 0}, NULL};
    if (cdate_first_of_month(month, &x.first) < 0 || cdate_last_of_month(month, &x.last) < 0) {
        conn_error_set(err, CONN_CONFIG, 0, "The month is not a valid date.", "");
        return -1;
    }
    x.seen = json_object();
    int rc = each_company(c, emit_billing, &x, err);
    json_decref(x.seen);
    return rc;
}

const struct source_connector msp360_connector = {
    .system = "msp360",
    .label = "MSP360 Managed Backup",
    .test = mb_test,
    .list_companies = mb_list_companies,
    .list_subscriptions = mb_list_subscriptions,
    .list_resources = mb_list_resources,
    .list_charges = mb_list_charges,
};
