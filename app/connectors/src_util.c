/* src_util.c: session, reads, errors and conversions shared by the interworks, Ingram and
 * MSP360 connectors (see src_util.h). */
#include "connectors/src_util.h"

#include "net/jsonx.h"

#include <csv.h>
#include <ctype.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define THROTTLE_RETRIES 4
#define SRCU_BUCKET "api"
#define SRCU_CONCURRENCY 4      /* requests in flight per connection, over all processes */

/* ---- errors ------------------------------------------------------------------------------ */

void srcu_bad_response(struct conn_error *err, const char *fmt, ...)
{
    char msg[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    conn_error_set(err, CONN_BAD_RESPONSE, 0, msg,
                   "The distributor sent an answer billsync cannot use; try again later and "
                   "report it if it persists.");
}

int srcu_missing(struct conn_error *err, const char *label, const char *what, const char *field)
{
    srcu_bad_response(err, "A record in %s's answer has no %s (%s)", label, field, what);
    return -1;
}

void srcu_transport_error(const struct http_response *r, const char *label, struct conn_error *err)
{
    const char *e = r->error[0] ? r->error : "request failed";
    int tls = strcasestr(e, "SSL") || strcasestr(e, "certificate") || strcasestr(e, "TLS");
    char hint[sizeof err->hint];
    if (tls)
        snprintf(hint, sizeof hint, "Check the %s address and its server certificate.", label);
    else
        snprintf(hint, sizeof hint, "%s did not answer in time; billsync will retry.", label);
    conn_error_set(err, tls ? CONN_TLS : CONN_NETWORK, (int)r->status, e, hint);
}

int srcu_config_error(struct conn_error *err, const char *label, const char *what)
{
    char msg[200];
    snprintf(msg, sizeof msg, "The %s connection has no %s.", label, what);
    conn_error_set(err, CONN_CONFIG, 0, msg, "Fill it in on the Connections page.");
    return -1;
}

enum conn_error_kind srcu_status_kind(long status, const char *label, char *hint, size_t n)
{
    if (status == 401) {
        snprintf(hint, n, "%s refused the credentials; check them on the Connections page.", label);
        return CONN_AUTH;
    }
    if (status == 403) {
        snprintf(hint, n, "%s does not allow this API user to read this.", label);
        return CONN_AUTH;
    }
    if (status == 404) {
        snprintf(hint, n, "%s does not have it (any more).", label);
        return CONN_NOT_FOUND;
    }
    if (status == 429) {
        snprintf(hint, n, "%s is limiting requests; billsync will retry later.", label);
        return CONN_THROTTLED;
    }
    if (status >= 500) {
        snprintf(hint, n, "%s had a server error; billsync will retry.", label);
        return CONN_NETWORK;
    }
    snprintf(hint, n, "%s refused the request; its message says why.", label);
    return CONN_REJECTED;
}

/* ---- small helpers ------------------------------------------------------------------------ */

int64_t srcu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

void srcu_copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

int srcu_compose(struct conn_error *err, char *dst, size_t n, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(dst, n, fmt, ap);
    va_end(ap);
    if (w >= 0 && (size_t)w < n)
        return 0;
    srcu_bad_response(err, "A %s is longer than billsync can store (%zu characters)", what, n - 1);
    return -1;
}

int srcu_id(const json_t *o, const char *key, char *dst, size_t n)
{
    const char *s = jsonx_str(o, key);
    int64_t v;
    int w;
    if (s && *s)
        w = snprintf(dst, n, "%s", s);
    else if (json_is_integer(jsonx_get(o, key)) && jsonx_int(o, key, &v) == 0)
        w = snprintf(dst, n, "%lld", (long long)v);
    else
        return -1;
    return w > 0 && (size_t)w < n ? 0 : -1;
}

int srcu_basic_header(const char *user, const char *pass, char *buf, size_t n)
{
    char pair[600], b64[820];
    int w = snprintf(pair, sizeof pair, "%s:%s", user, pass);
    int rc = -1;
    if (w >= 0 && (size_t)w < sizeof pair &&
        sodium_base64_encoded_len((size_t)w, sodium_base64_VARIANT_ORIGINAL) <= sizeof b64) {
        sodium_bin2base64(b64, sizeof b64, (const unsigned char *)pair, (size_t)w,
                          sodium_base64_VARIANT_ORIGINAL);
        w = snprintf(buf, n, "Authorization: Basic %s", b64);
        rc = w >= 0 && (size_t)w < n ? 0 : -1;
    }
    explicit_bzero(pair, sizeof pair);
    explicit_bzero(b64, sizeof b64);
    return rc;
}

int srcu_base_url(const char *setting, const char *fallback, char *buf, size_t n)
{
    const char *s = setting && *setting ? setting : fallback;
    while (s && (*s == ' ' || *s == '\t'))
        s++;
    if (!s || (strncasecmp(s, "http://", 7) != 0 && strncasecmp(s, "https://", 8) != 0))
        return -1;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '/'))
        len--;
    int w = snprintf(buf, n, "%.*s/", (int)len, s);
    return w > 0 && (size_t)w < n ? 0 : -1;
}

int srcu_in_month(cdate_t d, cdate_t month)
{
    return cdate_valid(d) && d.y == month.y && d.m == month.m;
}

enum src_cycle srcu_cycle_of_months(int months)
{
    return months >= 12 ? SRC_ANNUAL : SRC_MONTHLY;
}

int srcu_period_text_months(const char *text)
{
    long k = 1;
    const char *p = text;
    if (!p)
        return 0;
    while (*p == ' ')
        p++;
    if (isdigit((unsigned char)*p)) {
        char *end;
        k = strtol(p, &end, 10);
        p = end;
    }
    while (*p == ' ')
        p++;
    if (k <= 0 || k > 100)
        return 0;
    if (!strncasecmp(p, "year", 4) || !strncasecmp(p, "annual", 6))
        return (int)k * 12;
    if (!strncasecmp(p, "month", 5))
        return (int)k;
    return 0;
}

int srcu_first_seen(json_t *set, const char *key)
{
    if (json_object_get(set, key))
        return 0;
    json_object_set_new(set, key, json_true());
    return 1;
}

/* ---- CSV --------------------------------------------------------------------------------- */

struct csv_ctx {
    json_t *rows, *header, *fields;
    long row;
    int failed;
    char *why;
    size_t n;
};

static void csv_fail(struct csv_ctx *x, const char *why)
{
    if (!x->failed)
        snprintf(x->why, x->n, "row %ld: %s", x->row + 1, why);
    x->failed = 1;
}

static void on_csv_field(void *data, size_t len, void *vx)
{
    struct csv_ctx *x = vx;
    if (x->failed)
        return;
    const char *s = data ? data : "";
    /* A UTF-8 byte order mark before the first header name is not part of it. */
    if (x->row == 0 && json_array_size(x->fields) == 0 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
        s += 3;
        len -= 3;
    }
    json_t *v = json_stringn(s, len);
    if (!v)
        csv_fail(x, "a field is not UTF-8 text");
    else
        json_array_append_new(x->fields, v);
}

static void on_csv_row(int term, void *vx)
{
    struct csv_ctx *x = vx;
    (void)term;
    size_t nf = json_array_size(x->fields), nh = json_array_size(x->header);
    if (!x->failed && !x->header) {
        x->header = x->fields;
        x->fields = json_array();
    } else if (!x->failed && nf && nf != nh) {
        char why[120];
        snprintf(why, sizeof why, "%zu fields where the header has %zu (a cut-off file?)", nf, nh);
        csv_fail(x, why);
    } else if (!x->failed && nf) {
        json_t *o = json_object();
        for (size_t i = 0; i < nh; i++)
            json_object_set(o, json_string_value(json_array_get(x->header, i)),
                            json_array_get(x->fields, i));
        json_array_append_new(x->rows, o);
    }
    json_array_clear(x->fields);
    x->row++;
}

int srcu_csv_rows(const char *text, size_t len, json_t **rows, char *why, size_t n)
{
    struct csv_parser p;
    struct csv_ctx x = {json_array(), NULL, json_array(), 0, 0, why, n};
    *rows = NULL;
    why[0] = '\0';
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        csv_fail(&x, "out of memory");
    } else {
        if (csv_parse(&p, text, len, on_csv_field, on_csv_row, &x) != len)
            csv_fail(&x, csv_strerror(csv_error(&p)));
        if (!x.failed && csv_fini(&p, on_csv_field, on_csv_row, &x) != 0)
            csv_fail(&x, "an unclosed quote");
        csv_free(&p);
    }
    if (!x.failed && !x.header) {
        snprintf(why, n, "the file is empty: no header row");
        x.failed = 1;
    }
    json_decref(x.header);
    json_decref(x.fields);
    if (x.failed) {
        json_decref(x.rows);
        return -1;
    }
    *rows = x.rows;
    return 0;
}

/* ---- session ----------------------------------------------------------------------------- */

struct http_client *srcu_client(const struct srcu_session *s, const char *base,
                                const char *const *headers, struct conn_error *err)
{
    char e[HTTP_ERROR_MAX];
    struct http_config cfg = HTTP_CONFIG_DEFAULTS;
    cfg.base_url = base;
    cfg.headers = headers;
    cfg.conn_id = s->conn_id;
    cfg.slot_dir = s->conn->slot_dir;
    cfg.bucket_limit = SRCU_CONCURRENCY;
    struct http_client *h = http_client_new(&cfg, e, sizeof e);
    if (!h)
        conn_error_set(err, CONN_CONFIG, 0, e, "Check the connection's address and settings for "
                       "stray characters or line breaks.");
    return h;
}

/* (Re)build the API client with the current token. */
static int build_api(struct srcu_session *s, struct conn_error *err)
{
    const char *headers[SRCU_MAX_EXTRA + 2];
    int k = 0;
    headers[k++] = s->auth;
    for (int i = 0; s->extra[i] && i < SRCU_MAX_EXTRA; i++)
        headers[k++] = s->extra[i];
    headers[k] = NULL;
    http_client_free(s->api);
    s->api = srcu_client(s, s->base, headers, err);
    return s->api ? 0 : -1;
}

int srcu_set_token(struct srcu_session *s, const char *token, int64_t expires_in_s,
                   struct conn_error *err)
{
    if (!token || !*token || strlen(token) >= SRCU_TOKEN_MAX || strpbrk(token, "\r\n")) {
        srcu_bad_response(err, "%s's token answer has no usable access token", s->ops->label);
        return -1;
    }
    snprintf(s->auth, sizeof s->auth, "Authorization: Bearer %s", token);
    s->renew_at_ms = 0;
    if (expires_in_s > 0) {
        /* Renew a little early (a tenth of the lifetime, at most a minute) so a token does not
         * run out between the check and the server reading it. */
        int64_t life = expires_in_s * 1000, margin = life / 10 < 60000 ? life / 10 : 60000;
        s->renew_at_ms = srcu_now_ms() + life - margin;
    }
    return build_api(s, err);
}

static int renew(struct srcu_session *s, struct conn_error *err)
{
    explicit_bzero(s->auth, sizeof s->auth);
    return s->ops->fetch_token(s, err);
}

int srcu_open(struct srcu_session *s, const struct conn *c, const struct srcu_ops *ops,
              const char *base, const char *const *extra, void *sys, struct conn_error *err)
{
    memset(s, 0, sizeof *s);
    s->conn = c;
    s->ops = ops;
    s->sys = sys;
    for (int i = 0; extra && extra[i] && i < SRCU_MAX_EXTRA; i++)
        s->extra[i] = extra[i];
    snprintf(s->conn_id, sizeof s->conn_id, "%lld", c->id);
    if (snprintf(s->base, sizeof s->base, "%s", base) >= (int)sizeof s->base) {
        conn_error_set(err, CONN_CONFIG, 0, "The API address is too long.", "Shorten it.");
        return -1;
    }
    return renew(s, err);
}

void srcu_close(struct srcu_session *s)
{
    http_client_free(s->api);
    s->api = NULL;
    explicit_bzero(s->auth, sizeof s->auth);
}

int srcu_token_post(const struct srcu_session *s, struct http_client *tc, const char *path,
                    const char *body, const char *content_type, struct http_response *r,
                    json_t **doc, struct conn_error *err)
{
    char jerr[160];
    *doc = NULL;
    /* Asking for a token twice is harmless, so a lost answer may be asked again. */
    if (http_request(tc, "POST", path, NULL, body, content_type, SRCU_BUCKET, HTTP_WRITE_RETRY_ALL,
                     r) < 0) {
        if (r->status == 0) {
            srcu_transport_error(r, s->ops->label, err);
            return -1;
        }
        return 1;
    }
    if (jsonx_parse(r->body.p, r->body.len, doc, jerr, sizeof jerr) < 0) {
        srcu_bad_response(err, "%s answered the token request with a body that is %s",
                          s->ops->label, jerr);
        err->http_status = (int)r->status;
        return -1;
    }
    return 0;
}

static int parse_answer(const struct srcu_session *s, const struct http_response *r, const char *what,
                        json_t **doc, struct conn_error *err)
{
    char jerr[160];
    if (jsonx_parse(r->body.p, r->body.len, doc, jerr, sizeof jerr) == 0)
        return 0;
    srcu_bad_response(err, "%s answered %s with a body that is %s", s->ops->label, what, jerr);
    err->http_status = (int)r->status;
    return -1;
}

int srcu_call(struct srcu_session *s, const char *method, const char *path, const char *query,
              const char *body, const char *what, json_t **doc, struct conn_error *err)
{
    struct http_response r = HTTP_RESPONSE_INIT;
    int rc = -1, renewed = 0, throttled = 0;
    *doc = NULL;
    if (s->renew_at_ms && srcu_now_ms() >= s->renew_at_ms && renew(s, err) < 0)
        return -1;
    for (;;) {
        /* PUT here is a read with a body (MSP360's billing): repeating it is harmless. */
        if (http_request(s->api, method, path, query, body, body ? "application/json" : NULL,
                         SRCU_BUCKET, HTTP_WRITE_RETRY_ALL, &r) == 0) {
            rc = parse_answer(s, &r, what, doc, err);
            break;
        }
        if (r.status == 401 && !renewed) {
            /* The token expired during the pull (or was revoked): one new token, one retry. */
            renewed = 1;
            if (renew(s, err) < 0)
                break;
            continue;
        }
        int64_t wait = r.status && s->ops->throttle_wait_ms ? s->ops->throttle_wait_ms(&r) : -1;
        if (wait >= 0 && throttled < THROTTLE_RETRIES) {
            throttled++;
            sleep_ms(wait);
            continue;
        }
        if (r.status == 0)
            srcu_transport_error(&r, s->ops->label, err);
        else
            s->ops->api_error(s, &r, what, err);
        break;
    }
    http_response_free(&r);
    return rc;
}

/* "scheme://host[:port]/" of an absolute URL. */
static int origin_of(const char *url, char *buf, size_t n)
{
    const char *p = strstr(url, "://");
    if (!p || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0))
        return -1;
    p += 3;
    size_t len = (size_t)(p - url) + strcspn(p, "/?#");
    int w = snprintf(buf, n, "%.*s/", (int)len, url);
    return w > 0 && (size_t)w < n ? 0 : -1;
}

int srcu_download(const struct srcu_session *s, const char *url, const char *what,
                  struct strbuf *out, struct conn_error *err)
{
    char base[SRCU_BASE_MAX];
    if (!url || origin_of(url, base, sizeof base) < 0) {
        srcu_bad_response(err, "%s gave %s an address billsync cannot download", s->ops->label, what);
        return -1;
    }
    /* A report link carries its own access (like a blob URL): no credentials go there. */
    static const char *const headers[] = {"Accept: */*", NULL};
    struct http_client *h = srcu_client(s, base, headers, err);
    if (!h)
        return -1;
    struct http_response r = HTTP_RESPONSE_INIT;
    int rc = -1;
    if (http_request(h, "GET", url, NULL, NULL, NULL, SRCU_BUCKET, 0, &r) == 0) {
        rc = strbuf_append_n(out, r.body.p ? r.body.p : "", r.body.len);
        if (rc < 0)
            conn_error_set(err, CONN_NETWORK, 0, "out of memory", "");
    } else if (r.status == 0) {
        srcu_transport_error(&r, s->ops->label, err);
    } else {
        char msg[300], hint[sizeof err->hint];
        enum conn_error_kind kind = srcu_status_kind(r.status, s->ops->label, hint, sizeof hint);
        snprintf(msg, sizeof msg, "Downloading %s failed: HTTP %ld", what, r.status);
        conn_error_set(err, kind == CONN_AUTH ? CONN_NOT_FOUND : kind, (int)r.status, msg, hint);
    }
    http_response_free(&r);
    http_client_free(h);
    return rc;
}
