/* interworks.c: the interworks.cloud BSS source connector: accounts, subscriptions (with their
 * pricingInfo) and invoice lines through the Platform API, version 3 or 2.2 (doc/source-apis.md 1). */
#include "connectors/interworks.h"

#include "connectors/src_util.h"
#include "net/jsonx.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define IW_LABEL "interworks.cloud"
#define IW_PAGE 1000                  /* pageSize (v3) / size (v2.2) of every list request */
#define IW_MAX_PAGES 100000           /* 100 million records: beyond that paging is looping */
#define IW_THROTTLE_WAIT_MS 2000      /* a 403 throttle without Retry-After */
#define IW_THROTTLE_MAX_MS 120000     /* a longer Retry-After is reported, not waited for */

struct iw {
    struct src_session s;
    int v3;                           /* X-Api-Version 3, else 2.2 */
    char version[32];                 /* the header line */
    char basic[700];                  /* client key and secret as HTTP Basic (wiped on close) */
    char refresh[SRC_TOKEN_MAX];      /* single-use refresh token of the last grant */
};

/* Called per list item: 0 for more, 1 to stop, -1 with *err. */
typedef int (*iw_item_fn)(struct iw *w, const json_t *item, void *ctx, struct conn_error *err);

/* ---- value mapping ------------------------------------------------------------------------ */

static enum src_status iw_status(const char *st)
{
    if (!st || !*st || !strcasecmp(st, "Active"))
        return SRC_ACTIVE;
    if (strcasestr(st, "suspend"))
        return SRC_SUSPENDED;
    if (strcasestr(st, "cancel") || strcasestr(st, "inactive") || strcasestr(st, "in-active") ||
        strcasestr(st, "terminat") ||
        strcasestr(st, "expire") || strcasestr(st, "delete") || strcasestr(st, "disable"))
        return SRC_CANCELLED;
    /* Pending, provisioning or a status billsync does not know: never synced as active. */
    return SRC_PENDING;
}

/* Months of "Monthly", "Annual", "Yearly", "Triennial", "1 Year", ...; 0 when unknown. */
static int iw_months(const char *text)
{
    static const struct {
        const char *name;
        int months;
    } names[] = {{"Monthly", 1}, {"Month", 1}, {"Quarterly", 3}, {"Annual", 12}, {"Annually", 12},
                 {"Yearly", 12}, {"Year", 12}, {"Biennial", 24}, {"Triennial", 36}};
    for (size_t i = 0; text && i < sizeof names / sizeof names[0]; i++)
        if (!strcasecmp(text, names[i].name))
            return names[i].months;
    return src_period_text_months(text);
}

static enum src_cycle iw_cycle(const char *text)
{
    static const char *const once[] = {"OneTime", "One Time", "One-Time", "Once"};
    for (size_t i = 0; text && i < sizeof once / sizeof once[0]; i++)
        if (!strcasecmp(text, once[i]))
            return SRC_ONE_TIME;
    return src_cycle_of_months(iw_months(text));
}

static int is_throttle(const struct http_response *r)
{
    if (r->status == 429)
        return 1;
    if (r->status != 403)
        return 0;
    if (http_response_header(r, "Retry-After"))
        return 1;
    json_t *doc = NULL;
    char jerr[80];
    int yes = jsonx_parse(r->body.p, r->body.len, &doc, jerr, sizeof jerr) == 0 &&
              jsonx_str(doc, "Type") && strcasestr(jsonx_str(doc, "Type"), "RateLimit");
    json_decref(doc);
    return yes;
}

/* ---- errors ------------------------------------------------------------------------------ */

static void iw_api_error(const struct src_session *s, const struct http_response *r, const char *what,
                         struct conn_error *err)
{
    (void)s;
    json_t *doc = NULL;
    char jerr[80], msg[sizeof err->message], hint[sizeof err->hint];
    const char *type = NULL, *text = NULL;
    if (jsonx_parse(r->body.p, r->body.len, &doc, jerr, sizeof jerr) == 0) {
        type = jsonx_str(doc, "Type");
        text = jsonx_str(doc, "Message");
    }
    if (text && *text)
        snprintf(msg, sizeof msg, "%s", text);
    else if (type && *type)
        snprintf(msg, sizeof msg, "%s", type);
    else
        snprintf(msg, sizeof msg, "%s answered %s with HTTP %ld", IW_LABEL, what, r->status);
    enum conn_error_kind kind = src_status_kind(r->status, IW_LABEL, hint, sizeof hint);
    if (is_throttle(r)) {
        kind = CONN_THROTTLED;
        snprintf(hint, sizeof hint, "%s is limiting API requests; billsync will retry later.", IW_LABEL);
    } else if (r->status == 401) {
        snprintf(hint, sizeof hint, "%s refused a token it had just issued; check that the API "
                 "user is enabled and may use the API.", IW_LABEL);
    } else if (r->status == 403) {
        snprintf(hint, sizeof hint, "The API user's role does not allow reading this.");
    } else if (type && (!strcasecmp(type, "UnsupportedApiVersion") ||
                        !strcasecmp(type, "ApiVersionRequired"))) {
        kind = CONN_CONFIG;
        snprintf(hint, sizeof hint, "Set the API version to 2.2 or 3, whichever your platform supports.");
    }
    conn_error_set(err, kind, (int)r->status, msg, hint);
    json_decref(doc);
}

static int64_t iw_throttle_wait(const struct http_response *r)
{
    /* The client retries 429 itself; interworks' documented 403 throttle is ours to wait out. */
    if (r->status != 403 || !is_throttle(r))
        return -1;
    int64_t ms = IW_THROTTLE_WAIT_MS;
    const char *ra = http_response_header(r, "Retry-After");
    if (ra && http_parse_retry_after(ra, time(NULL), &ms) < 0)
        ms = IW_THROTTLE_WAIT_MS;
    return ms <= IW_THROTTLE_MAX_MS ? ms : -1;
}

/* A refused token request: OAuth {error, error_description} in the platform's own words. */
static void token_error(const struct http_response *r, struct conn_error *err)
{
    json_t *doc = NULL;
    char jerr[80], msg[sizeof err->message], hint[sizeof err->hint];
    const char *code = NULL, *desc = NULL;
    if (jsonx_parse(r->body.p, r->body.len, &doc, jerr, sizeof jerr) == 0) {
        code = jsonx_str(doc, "error");
        desc = jsonx_str(doc, "error_description");
        if (!desc)
            desc = jsonx_str(doc, "Message");
    }
    snprintf(msg, sizeof msg, "%s", desc && *desc ? desc : code && *code ? code : "");
    if (!msg[0])
        snprintf(msg, sizeof msg, "%s refused the token request with HTTP %ld", IW_LABEL, r->status);
    enum conn_error_kind kind = src_status_kind(r->status, IW_LABEL, hint, sizeof hint);
    if (code && !strcmp(code, "invalid_client")) {
        kind = CONN_AUTH;
        snprintf(hint, sizeof hint, "Check the client key and secret (Setup → System Options → API "
                 "Credentials); they are sent as HTTP Basic.");
    } else if (code && !strcmp(code, "invalid_grant")) {
        kind = CONN_AUTH;
        snprintf(hint, sizeof hint, "Check the API user name and password.");
    } else if (is_throttle(r)) {
        kind = CONN_THROTTLED;
    }
    conn_error_set(err, kind, (int)r->status, msg, hint);
    json_decref(doc);
}

/* ---- session ------------------------------------------------------------------------------ */

static int grant(struct iw *w, const char *form, struct conn_error *err)
{
    const char *headers[] = {w->basic, w->version, NULL};
    struct http_client *tc = src_client(&w->s, w->s.base, headers, err);
    if (!tc)
        return -1;
    struct http_response r = HTTP_RESPONSE_INIT;
    json_t *doc = NULL;
    int rc = src_token_post(&w->s, tc, "oauth/token", form, "application/x-www-form-urlencoded",
                            &r, &doc, err);
    if (rc == 1) {
        token_error(&r, err);
        rc = -1;
    } else if (rc == 0) {
        int64_t expires = 0;
        const char *refresh = jsonx_str(doc, "refresh_token");
        jsonx_int(doc, "expires_in", &expires);
        src_copy(w->refresh, sizeof w->refresh,
                 refresh && strlen(refresh) < sizeof w->refresh ? refresh : "");
        rc = src_set_token(&w->s, jsonx_str(doc, "access_token"), expires, err);
    }
    json_decref(doc);
    if (r.body.p)
        explicit_bzero(r.body.p, r.body.len);
    http_response_free(&r);
    http_client_free(tc);
    return rc;
}

static void wipe(struct strbuf *b)
{
    if (b->p)
        explicit_bzero(b->p, b->len);
    strbuf_free(b);
}

/* Refresh grant while a refresh token is at hand, else (or when it is refused) the password. */
static int iw_fetch_token(struct src_session *s, struct conn_error *err)
{
    struct iw *w = s->sys;
    struct strbuf f = STRBUF_INIT;
    if (w->refresh[0]) {
        int ok = strbuf_append(&f, "grant_type=refresh_token&refresh_token=") == 0 &&
                 url_escape(&f, w->refresh) == 0;
        w->refresh[0] = '\0';             /* single use, whatever happens next */
        if (ok && grant(w, strbuf_cstr(&f), err) == 0) {
            wipe(&f);
            return 0;
        }
        wipe(&f);
    }
    int rc = -1;
    if (strbuf_append(&f, "grant_type=password&username=") == 0 &&
        url_escape(&f, conn_setting(s->conn, "username")) == 0 &&
        strbuf_append(&f, "&password=") == 0 && url_escape(&f, conn_setting(s->conn, "password")) == 0)
        rc = grant(w, strbuf_cstr(&f), err);
    else
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    wipe(&f);
    return rc;
}

static const struct src_ops iw_ops = {IW_LABEL, iw_fetch_token, iw_api_error, iw_throttle_wait};

static int iw_open(const struct conn *c, struct iw *w, struct conn_error *err)
{
    static const char *const keys[][2] = {{"url", "platform address"}, {"client_key", "client key"},
                                          {"client_secret", "client secret"}, {"username", "API user"},
                                          {"password", "API user password"}};
    memset(w, 0, sizeof *w);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!*conn_setting(c, keys[i][0]))
            return src_config_error(err, IW_LABEL, keys[i][1]);
    const char *v = conn_setting(c, "api_version");
    if (!*v || !strcmp(v, "3") || !strcmp(v, "3.0"))
        w->v3 = 1;
    else if (strcmp(v, "2.2") != 0) {
        conn_error_set(err, CONN_CONFIG, 0, "The interworks.cloud API version must be 2.2 or 3.",
                       "Leave it empty for 3.");
        return -1;
    }
    snprintf(w->version, sizeof w->version, "X-Api-Version: %s", w->v3 ? "3" : "2.2");
    char base[SRC_BASE_MAX];
    if (src_base_url(conn_setting(c, "url"), NULL, base, sizeof base) < 0) {
        conn_error_set(err, CONN_CONFIG, 0, "The interworks.cloud platform address is not a usable "
                       "address.", "Use your platform's address, like https://yourstore.interworks.cloud.");
        return -1;
    }
    /* Paths are rooted at /api/ and /oauth/: a base given with "/api" loses it. */
    size_t bl = strlen(base);
    if (bl > 5 && !strcasecmp(base + bl - 5, "/api/"))
        base[bl - 4] = '\0';
    if (src_basic_header(conn_setting(c, "client_key"), conn_setting(c, "client_secret"), w->basic,
                         sizeof w->basic) < 0)
        return src_config_error(err, IW_LABEL, "client key and secret of a usable length");
    const char *extra[] = {w->version, NULL};
    if (src_open(&w->s, c, &iw_ops, base, extra, w, err) < 0) {
        explicit_bzero(w->basic, sizeof w->basic);
        src_close(&w->s);
        return -1;
    }
    return 0;
}

static void iw_close(struct iw *w)
{
    src_close(&w->s);
    explicit_bzero(w->basic, sizeof w->basic);
    explicit_bzero(w->refresh, sizeof w->refresh);
}

/* ---- paged lists -------------------------------------------------------------------------- */

/* Every page of a collection: v3 pageIndex/pageSize until paging.totalPages, v2.2 page/size
 * until a short page. 0 done, 1 stopped by fn, -1 with *err. */
static int iw_list(struct iw *w, const char *path, const char *extra_query, const char *what,
                   iw_item_fn fn, void *ctx, struct conn_error *err)
{
    char label[96];
    int rc = 0;
    snprintf(label, sizeof label, "the %s list", what);
    for (long page = 1; rc == 0; page++) {
        struct strbuf q = STRBUF_INIT;
        json_t *doc = NULL;
        size_t n = 0;
        int64_t pages = 0;
        if (strbuf_appendf(&q, w->v3 ? "pageIndex=%ld&pageSize=%d" : "page=%ld&size=%d", page,
                           IW_PAGE) < 0 ||
            (extra_query && *extra_query && strbuf_appendf(&q, "&%s", extra_query) < 0)) {
            conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
            rc = -1;
        } else {
            rc = src_call(&w->s, "GET", path, strbuf_cstr(&q), NULL, label, &doc, err);
        }
        strbuf_free(&q);
        json_t *data = jsonx_get(doc, "data");
        if (rc == 0 && !json_is_array(data)) {
            src_bad_response(err, "%s's answer to %s has no data list", IW_LABEL, label);
            rc = -1;
        }
        n = rc == 0 ? json_array_size(data) : 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            json_t *item = json_array_get(data, i);
            if (!json_is_object(item)) {
                src_bad_response(err, "An entry of %s's %s list is not an object", IW_LABEL, what);
                rc = -1;
            } else {
                rc = fn(w, item, ctx, err);
            }
        }
        int more = n > 0 && (w->v3 && jsonx_int(doc, "paging.totalPages", &pages) == 0
                             ? page < pages : n >= IW_PAGE);
        json_decref(doc);
        if (rc != 0 || !more)
            break;
        if (page >= IW_MAX_PAGES) {
            src_bad_response(err, "%s's %s list does not end", IW_LABEL, what);
            rc = -1;
        }
    }
    return rc;
}

/* ---- records ------------------------------------------------------------------------------ */

static int parse_subscription(const json_t *j, struct src_subscription *s, struct conn_error *err)
{
    memset(s, 0, sizeof *s);
    if (src_id(j, "id", s->id, sizeof s->id) < 0)
        return src_missing(err, IW_LABEL, "subscription", "id");
    if (src_id(j, "account.id", s->company_id, sizeof s->company_id) < 0 &&
        src_id(j, "accountId", s->company_id, sizeof s->company_id) < 0)
        return src_missing(err, IW_LABEL, "subscription", "account.id");
    src_copy(s->name, sizeof s->name, jsonx_str(j, "name"));
    s->status = iw_status(jsonx_str(j, "status"));
    s->billing_cycle = iw_cycle(jsonx_str(j, "billingCycle"));
    s->term_months = iw_months(jsonx_str(j, "commitmentTerm"));
    jsonx_date(j, "endDate", &s->commitment_end);
    jsonx_bool(j, "autoRenew", &s->auto_renew);
    return 0;
}

static int on_account(struct iw *w, const json_t *a, void *ctx, struct conn_error *err)
{
    (void)w;
    struct src_emit *e = ctx;
    struct src_company co;
    memset(&co, 0, sizeof co);
    if (src_id(a, "id", co.id, sizeof co.id) < 0)
        return src_missing(err, IW_LABEL, "account", "id");
    src_copy(co.name, sizeof co.name, jsonx_str(a, "name"));
    return e->company(e->ctx, &co) ? 1 : 0;
}

/* account id -> its currency (v3 transactionCurrency; v2.2 states none). */
static int on_account_currency(struct iw *w, const json_t *a, void *ctx, struct conn_error *err)
{
    (void)w;
    char id[SRC_ID];
    const char *cur = jsonx_str(a, "transactionCurrency");
    if (src_id(a, "id", id, sizeof id) < 0)
        return src_missing(err, IW_LABEL, "account", "id");
    if (!cur)
        cur = jsonx_str(a, "currency");
    if (cur && strlen(cur) == 3)
        json_object_set_new((json_t *)ctx, id, json_string(cur));
    return 0;
}

static int on_subscription(struct iw *w, const json_t *j, void *ctx, struct conn_error *err)
{
    (void)w;
    struct src_emit *e = ctx;
    struct src_subscription s;
    if (parse_subscription(j, &s, err) < 0)
        return -1;
    return e->subscription(e->ctx, &s) ? 1 : 0;
}

/* subscription id -> commitment term in months. */
static int on_subscription_term(struct iw *w, const json_t *j, void *ctx, struct conn_error *err)
{
    (void)w;
    struct src_subscription s;
    if (parse_subscription(j, &s, err) < 0)
        return -1;
    json_object_set_new((json_t *)ctx, s.id, json_integer(s.term_months));
    return 0;
}

static int currency_map(struct iw *w, json_t **map, struct conn_error *err)
{
    *map = json_object();
    if (iw_list(w, "api/accounts", NULL, "account", on_account_currency, *map, err) == 0)
        return 0;
    json_decref(*map);
    *map = NULL;
    return -1;
}

static void set_currency(char dst[4], const json_t *map, const char *account, const char *fallback)
{
    const char *cur = json_string_value(json_object_get(map, account));
    src_copy(dst, 4, cur ? cur : (fallback && strlen(fallback) == 3 ? fallback : ""));
}

/* unit_cost / unit_price from the subscription's pricingInfo (absent: not stated). */
static int read_pricing(struct iw *w, const char *sub_id, struct src_resource *r, struct conn_error *err)
{
    struct strbuf p = STRBUF_INIT;
    json_t *doc = NULL;
    int rc = -1;
    if (strbuf_append(&p, "api/Subscriptions/") == 0 && url_escape(&p, sub_id) == 0 &&
        strbuf_append(&p, "/pricingInfo") == 0)
        rc = src_call(&w->s, "GET", strbuf_cstr(&p), NULL, NULL, "a subscription's pricing", &doc, err);
    else
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    strbuf_free(&p);
    if (rc < 0 && err->kind == CONN_NOT_FOUND) {
        memset(err, 0, sizeof *err);      /* no pricing for it: amounts stay unstated */
        return 0;
    }
    if (rc == 0 && !json_is_object(doc)) {
        src_bad_response(err, "%s's pricing answer for subscription %s is not an object", IW_LABEL, sub_id);
        rc = -1;
    }
    char what[200];
    snprintf(what, sizeof what, "%s's pricing of subscription %s", IW_LABEL, sub_id);
    if (rc == 0 && (src_opt_money(doc, "costPrice", what, &r->unit_cost, err) < 0 ||
                    src_opt_money(doc, "finalUnitPrice", what, &r->unit_price, err) < 0))
        rc = -1;
    json_decref(doc);
    return rc;
}

struct resource_ctx {
    struct src_emit *e;
    json_t *currency;
};

static int on_resource(struct iw *w, const json_t *j, void *ctx, struct conn_error *err)
{
    struct resource_ctx *x = ctx;
    struct src_subscription s;
    struct src_resource r;
    if (parse_subscription(j, &s, err) < 0)
        return -1;
    memset(&r, 0, sizeof r);
    /* One product per subscription: the resource is the subscription itself. */
    src_copy(r.id, sizeof r.id, s.id);
    src_copy(r.subscription_id, sizeof r.subscription_id, s.id);
    src_copy(r.company_id, sizeof r.company_id, s.company_id);
    const char *product = jsonx_str(j, "product.name");
    src_copy(r.name, sizeof r.name, product && *product ? product : s.name);
    src_copy(r.sku, sizeof r.sku, jsonx_str(j, "product.code"));
    char what[200];
    snprintf(what, sizeof what, "%s's subscription %s", IW_LABEL, s.id);
    if (src_opt_qty(j, "quantity", what, &r.quantity, err) < 0)
        return -1;
    set_currency(r.currency, x->currency, s.company_id, NULL);
    r.billing_cycle = s.billing_cycle;
    r.term_months = s.term_months;
    r.commitment_end = s.commitment_end;
    r.status = s.status;
    if (read_pricing(w, s.id, &r, err) < 0)
        return -1;
    return x->e->resource(x->e->ctx, &r) ? 1 : 0;
}

/* ---- charges ------------------------------------------------------------------------------ */

struct charge_ctx {
    struct src_emit *e;
    cdate_t month;
    json_t *currency;                 /* account id -> currency */
    json_t *terms;                    /* subscription id -> term months */
    char account[SRC_ID];             /* the invoice's account */
    char inv_currency[8];
    int credit;                       /* a credit note: its lines are refunds */
};

/* Recurring when the line covers the whole unit period, a proration when it is shorter. */
static enum src_charge_type line_type(cdate_t start, cdate_t end, int unit_months)
{
    cdate_t next, full_end;
    if (unit_months <= 0)
        return SRC_CHARGE_ONE_TIME;
    if (!cdate_valid(end) || cdate_add_months(start, unit_months, &next) < 0 ||
        cdate_add_days(next, -1, &full_end) < 0)
        return SRC_CHARGE_RECURRING;
    return cdate_cmp(end, full_end) < 0 ? SRC_CHARGE_PRORATION : SRC_CHARGE_RECURRING;
}

static int on_line(struct iw *w, const json_t *l, void *ctx, struct conn_error *err)
{
    (void)w;
    struct charge_ctx *x = ctx;
    struct src_charge ch;
    memset(&ch, 0, sizeof ch);
    if (jsonx_date(l, "billingPeriodStart", &ch.period_start) < 0)
        return src_missing(err, IW_LABEL, "invoice line", "billingPeriodStart");
    if (!src_in_month(ch.period_start, x->month))
        return 0;
    if (src_id(l, "id", ch.id, sizeof ch.id) < 0)
        return src_missing(err, IW_LABEL, "invoice line", "id");
    if (jsonx_date(l, "billingPeriodEnd", &ch.period_end) < 0)
        return src_missing(err, IW_LABEL, "invoice line", "billingPeriodEnd");
    const json_t *sub = jsonx_get(l, "subscriptions.0");
    src_id(sub, "id", ch.subscription_id, sizeof ch.subscription_id);
    src_copy(ch.resource_id, sizeof ch.resource_id, ch.subscription_id);
    /* The end customer is the subscription's account; the invoice may go to a reseller. */
    if (src_id(sub, "account.id", ch.company_id, sizeof ch.company_id) < 0)
        src_copy(ch.company_id, sizeof ch.company_id, x->account);
    if (!ch.company_id[0])
        return src_missing(err, IW_LABEL, "invoice line", "subscriptions[0].account.id");
    src_copy(ch.description, sizeof ch.description, jsonx_str(l, "product.name"));
    src_copy(ch.sku, sizeof ch.sku, jsonx_str(l, "product.code"));
    const char *unit = jsonx_str(l, "unit");
    int unit_months = iw_months(unit);
    ch.frequency = unit_months ? src_cycle_of_months(unit_months) : SRC_ONE_TIME;
    ch.type = x->credit ? SRC_CHARGE_REFUND : line_type(ch.period_start, ch.period_end, unit_months);
    ch.effective = ch.period_start;
    char what[200];
    snprintf(what, sizeof what, "%s's invoice line %s", IW_LABEL, ch.id);
    /* Money exactly as the platform states it; its totals are already prorated. */
    if (src_opt_qty(sub, "quantity", what, &ch.quantity, err) < 0 ||
        src_opt_money(l, "costPrice", what, &ch.unit_cost, err) < 0 ||
        src_opt_money(l, "finalPrice", what, &ch.unit_price, err) < 0 ||
        src_opt_money(l, "costTotal", what, &ch.extended_cost, err) < 0 ||
        src_opt_money(l, "finalTotal", what, &ch.extended_price, err) < 0)
        return -1;
    set_currency(ch.currency, x->currency, ch.company_id, x->inv_currency);
    ch.term_months = (int)json_integer_value(json_object_get(x->terms, ch.subscription_id));
    return x->e->charge(x->e->ctx, &ch) ? 1 : 0;
}

static int on_invoice(struct iw *w, const json_t *inv, void *ctx, struct conn_error *err)
{
    struct charge_ctx *x = ctx;
    char id[SRC_ID];
    struct strbuf path = STRBUF_INIT, q = STRBUF_INIT;
    if (src_id(inv, "id", id, sizeof id) < 0)
        return src_missing(err, IW_LABEL, "invoice", "id");
    x->account[0] = '\0';
    if (src_id(inv, "accountId", x->account, sizeof x->account) < 0)
        src_id(inv, "billingAccountId", x->account, sizeof x->account);
    src_copy(x->inv_currency, sizeof x->inv_currency, jsonx_str(inv, "currency"));
    x->credit = jsonx_str(inv, "type") && !strcasecmp(jsonx_str(inv, "type"), "Credit");
    int ok;
    if (w->v3) {
        ok = strbuf_append(&path, "api/invoices/") == 0 && url_escape(&path, id) == 0 &&
             strbuf_append(&path, "/lines") == 0;
    } else {
        /* 2.2: the invoice's lines come from the invoice list queried by its code (the way
         * the recorded 2.2 client reads them). */
        const char *code = jsonx_str(inv, "code");
        if (!code || !*code)
            return src_missing(err, IW_LABEL, "invoice", "code");
        ok = strbuf_append(&path, "api/invoices") == 0 && strbuf_append(&q, "invoiceCode=") == 0 &&
             url_escape(&q, code) == 0;
    }
    int rc = -1;
    if (ok)
        rc = iw_list(w, strbuf_cstr(&path), strbuf_cstr(&q), "invoice line", on_line, x, err);
    else
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    strbuf_free(&path);
    strbuf_free(&q);
    return rc;
}

/* $filter of the invoices that can carry the month's lines: created from the month before to
 * the month after (prepaid invoices come early, partial charges late). */
static int invoice_filter(cdate_t month, struct strbuf *q)
{
    cdate_t first, from, to;
    char a[CDATE_FMT_LEN], b[CDATE_FMT_LEN], f[160];
    if (cdate_first_of_month(month, &first) < 0 || cdate_add_months(first, -1, &from) < 0 ||
        cdate_add_months(first, 2, &to) < 0)
        return -1;
    cdate_format(from, a, sizeof a);
    cdate_format(to, b, sizeof b);
    snprintf(f, sizeof f, "createdAt ge datetime'%s' and createdAt lt datetime'%s'", a, b);
    return strbuf_append(q, "$filter=") == 0 && url_escape(q, f) == 0 ? 0 : -1;
}

/* ---- operations --------------------------------------------------------------------------- */

static int iw_test(const struct conn *c, char *summary, size_t n, struct conn_error *err)
{
    struct iw w;
    json_t *doc = NULL;
    if (iw_open(c, &w, err) < 0)
        return -1;
    int rc = src_call(&w.s, "GET", "api/accounts", w.v3 ? "pageIndex=1&pageSize=1" : "page=1&size=1000",
                      NULL, "the account list", &doc, err);
    int64_t total;
    if (rc == 0 && !json_is_array(jsonx_get(doc, "data"))) {
        src_bad_response(err, "%s's answer to the account list has no data list", IW_LABEL);
        rc = -1;
    } else if (rc == 0 && w.v3 && jsonx_int(doc, "paging.totalRecords", &total) == 0) {
        snprintf(summary, n, "found %lld accounts (API version 3)", (long long)total);
    } else if (rc == 0) {
        size_t k = json_array_size(jsonx_get(doc, "data"));
        snprintf(summary, n, "found %s%zu accounts (API version %s)", k >= 1000 ? "at least " : "",
                 k, w.v3 ? "3" : "2.2");
    }
    json_decref(doc);
    iw_close(&w);
    return rc;
}

static int iw_list_companies(const struct conn *c, src_company_fn fn, void *ctx, struct conn_error *err)
{
    struct iw w;
    struct src_emit e = {.company = fn, .ctx = ctx};
    if (iw_open(c, &w, err) < 0)
        return -1;
    int rc = iw_list(&w, "api/accounts", NULL, "account", on_account, &e, err);
    iw_close(&w);
    return rc < 0 ? -1 : 0;
}

static int iw_list_subscriptions(const struct conn *c, src_subscription_fn fn, void *ctx,
                                 struct conn_error *err)
{
    struct iw w;
    struct src_emit e = {.subscription = fn, .ctx = ctx};
    if (iw_open(c, &w, err) < 0)
        return -1;
    int rc = iw_list(&w, "api/subscriptions", NULL, "subscription", on_subscription, &e, err);
    iw_close(&w);
    return rc < 0 ? -1 : 0;
}

static int iw_list_resources(const struct conn *c, src_resource_fn fn, void *ctx, struct conn_error *err)
{
    struct iw w;
    struct src_emit e = {.resource = fn, .ctx = ctx};
    struct resource_ctx x = {&e, NULL};
    if (iw_open(c, &w, err) < 0)
        return -1;
    int rc = currency_map(&w, &x.currency, err);
    if (rc == 0)
        rc = iw_list(&w, "api/subscriptions", NULL, "subscription", on_resource, &x, err);
    json_decref(x.currency);
    iw_close(&w);
    return rc < 0 ? -1 : 0;
}

static int iw_list_charges(const struct conn *c, cdate_t month, src_charge_fn fn, void *ctx,
                           struct conn_error *err)
{
    struct iw w;
    struct src_emit e = {.charge = fn, .ctx = ctx};
    struct charge_ctx x;
    struct strbuf q = STRBUF_INIT;
    memset(&x, 0, sizeof x);
    x.e = &e;
    x.month = month;
    if (invoice_filter(month, &q) < 0) {
        strbuf_free(&q);
        conn_error_set(err, CONN_CONFIG, 0, "The month is not a valid date.", "");
        return -1;
    }
    if (iw_open(c, &w, err) < 0) {
        strbuf_free(&q);
        return -1;
    }
    x.terms = json_object();
    int rc = currency_map(&w, &x.currency, err);
    if (rc == 0)
        rc = iw_list(&w, "api/subscriptions", NULL, "subscription", on_subscription_term, x.terms, err);
    if (rc == 0)
        rc = iw_list(&w, "api/invoices", strbuf_cstr(&q), "invoice", on_invoice, &x, err);
    json_decref(x.currency);
    json_decref(x.terms);
    strbuf_free(&q);
    iw_close(&w);
    return rc < 0 ? -1 : 0;
}

const struct source_connector interworks_connector = {
    .system = "interworks",
    .label = "interworks.cloud BSS",
    .test = iw_test,
    .list_companies = iw_list_companies,
    .list_subscriptions = iw_list_subscriptions,
    .list_resources = iw_list_resources,
    .list_charges = iw_list_charges,
};
