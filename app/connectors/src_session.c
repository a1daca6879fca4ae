/* src_session.c: the distributor connectors' two HTTP sessions (see src_util.h): the renewing
 * session of interworks, Ingram and MSP360, and the bearer session of Pax8 and Partner Center. */
#include "connectors/src_util.h"

#include "net/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define THROTTLE_RETRIES 4
#define SRC_BUCKET "api"
#define SRC_CONCURRENCY 4      /* requests in flight per connection, over all processes */

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* ---- the renewing session ----------------------------------------------------------------------------- */

struct http_client *src_client(const struct src_session *s, const char *base,
                               const char *const *headers, struct conn_error *err)
{
    char e[HTTP_ERROR_MAX];
    struct http_config cfg = HTTP_CONFIG_DEFAULTS;
    cfg.base_url = base;
    cfg.headers = headers;
    cfg.conn_id = s->conn_id;
    cfg.slot_dir = s->conn->slot_dir;
    cfg.bucket_limit = SRC_CONCURRENCY;
    struct http_client *h = http_client_new(&cfg, e, sizeof e);
    if (!h)
        conn_error_set(err, CONN_CONFIG, 0, e, "Check the connection's address and settings for "
                       "stray characters or line breaks.");
    return h;
}

/* (Re)build the API client with the current token. */
static int build_api(struct src_session *s, struct conn_error *err)
{
    const char *headers[SRC_MAX_EXTRA + 2];
    int k = 0;
    headers[k++] = s->auth;
    for (int i = 0; s->extra[i] && i < SRC_MAX_EXTRA; i++)
        headers[k++] = s->extra[i];
    headers[k] = NULL;
    http_client_free(s->api);
    s->api = src_client(s, s->base, headers, err);
    return s->api ? 0 : -1;
}

/* Seconds a token of that lifetime may still be used: a tenth of it (at most a minute) early,
 * so it does not run out between the check and the server reading it. */
static int64_t usable_s(int64_t expires_in_s)
{
    int64_t margin = expires_in_s / 10 < 60 ? expires_in_s / 10 : 60;
    return expires_in_s - margin;
}

/* Every worker reuses a token until it expires (kept sealed in the database as "<expiry> <token>";
 * core/conn_record.h conn_shared): a sync does not ask for a new one per call. */
void src_keep_token(const struct conn *c, const char *token, int64_t expires_in_s)
{
    char v[SRC_TOKEN_MAX + 32];
    if (!c->shared || !c->shared->put || expires_in_s <= 0 || usable_s(expires_in_s) <= 0)
        return;
    snprintf(v, sizeof v, "%lld %s", (long long)(time(NULL) + usable_s(expires_in_s)), token);
    c->shared->put(c, "token", v, (long)usable_s(expires_in_s));
    explicit_bzero(v, sizeof v);
}

/* A kept token and the seconds it has left: 1, or 0 when none is kept. */
int src_kept_token(const struct conn *c, char *token, size_t n, int64_t *left_s)
{
    char v[SRC_TOKEN_MAX + 32];
    long long until = 0;
    int off = 0, found = 0;
    if (c->shared && c->shared->get && c->shared->get(c, "token", v, sizeof v) == 1 &&
        sscanf(v, "%lld %n", &until, &off) == 1 && off > 0 && until > time(NULL) && strlen(v + off) < n) {
        snprintf(token, n, "%s", v + off);
        *left_s = until - time(NULL);
        found = 1;
    }
    explicit_bzero(v, sizeof v);
    return found;
}

static int install_token(struct src_session *s, const char *token, int64_t expires_in_s, struct conn_error *err)
{
    if (!token || !*token || strlen(token) >= SRC_TOKEN_MAX || strpbrk(token, "\r\n")) {
        src_bad_response(err, "%s's token answer has no usable access token", s->ops->label);
        return -1;
    }
    snprintf(s->auth, sizeof s->auth, "Authorization: Bearer %s", token);
    s->renew_at_ms = expires_in_s > 0 ? src_now_ms() + usable_s(expires_in_s) * 1000 : 0;
    return build_api(s, err);
}

int src_set_token(struct src_session *s, const char *token, int64_t expires_in_s,
                  struct conn_error *err)
{
    if (install_token(s, token, expires_in_s, err) < 0)
        return -1;
    src_keep_token(s->conn, token, expires_in_s);
    return 0;
}

static int renew(struct src_session *s, struct conn_error *err)
{
    explicit_bzero(s->auth, sizeof s->auth);
    return s->ops->fetch_token(s, err);
}

/* The first token of a session: one another worker fetched and kept, else a new one. */
static int first_token(struct src_session *s, struct conn_error *err)
{
    char token[SRC_TOKEN_MAX];
    int64_t left = 0;
    int rc = src_kept_token(s->conn, token, sizeof token, &left) ? install_token(s, token, left, err) : renew(s, err);
    explicit_bzero(token, sizeof token);
    return rc;
}

int src_open(struct src_session *s, const struct conn *c, const struct src_ops *ops,
             const char *base, const char *const *extra, void *sys, struct conn_error *err)
{
    memset(s, 0, sizeof *s);
    s->conn = c;
    s->ops = ops;
    s->sys = sys;
    for (int i = 0; extra && extra[i] && i < SRC_MAX_EXTRA; i++)
        s->extra[i] = extra[i];
    snprintf(s->conn_id, sizeof s->conn_id, "%lld", c->id);
    if (snprintf(s->base, sizeof s->base, "%s", base) >= (int)sizeof s->base) {
        conn_error_set(err, CONN_CONFIG, 0, "The API address is too long.", "Shorten it.");
        return -1;
    }
    return first_token(s, err);
}

void src_close(struct src_session *s)
{
    http_client_free(s->api);
    s->api = NULL;
    explicit_bzero(s->auth, sizeof s->auth);
}

int src_token_post(const struct src_session *s, struct http_client *tc, const char *path,
                   const char *body, const char *content_type, struct http_response *r,
                   json_t **doc, struct conn_error *err)
{
    char jerr[160];
    *doc = NULL;
    /* Asking for a token twice is harmless, so a lost answer may be asked again. */
    if (http_request(tc, "POST", path, NULL, body, content_type, SRC_BUCKET, HTTP_WRITE_RETRY_ALL,
                     r) < 0) {
        if (r->status == 0) {
            src_transport_error(r, s->ops->label, err);
            return -1;
        }
        return 1;
    }
    if (jsonx_parse(r->body.p, r->body.len, doc, jerr, sizeof jerr) < 0) {
        src_bad_response(err, "%s answered the token request with a body that is %s",
                          s->ops->label, jerr);
        err->http_status = (int)r->status;
        return -1;
    }
    return 0;
}

static int parse_answer(const struct src_session *s, const struct http_response *r, const char *what,
                        json_t **doc, struct conn_error *err)
{
    char jerr[160];
    if (jsonx_parse(r->body.p, r->body.len, doc, jerr, sizeof jerr) == 0)
        return 0;
    src_bad_response(err, "%s answered %s with a body that is %s", s->ops->label, what, jerr);
    err->http_status = (int)r->status;
    return -1;
}

int src_call(struct src_session *s, const char *method, const char *path, const char *query,
             const char *body, const char *what, json_t **doc, struct conn_error *err)
{
    struct http_response r = HTTP_RESPONSE_INIT;
    int rc = -1, renewed = 0, throttled = 0;
    *doc = NULL;
    if (s->renew_at_ms && src_now_ms() >= s->renew_at_ms && renew(s, err) < 0)
        return -1;
    for (;;) {
        /* PUT here is a read with a body (MSP360's billing): repeating it is harmless. */
        if (http_request(s->api, method, path, query, body, body ? "application/json" : NULL,
                         SRC_BUCKET, HTTP_WRITE_RETRY_ALL, &r) == 0) {
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
            src_transport_error(&r, s->ops->label, err);
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

int src_download(const struct src_session *s, const char *url, const char *what,
                 struct strbuf *out, struct conn_error *err)
{
    char base[SRC_BASE_MAX];
    if (!url || origin_of(url, base, sizeof base) < 0) {
        src_bad_response(err, "%s gave %s an address billsync cannot download", s->ops->label, what);
        return -1;
    }
    /* A report link carries its own access (like a blob URL): no credentials go there. */
    static const char *const headers[] = {"Accept: */*", NULL};
    struct http_client *h = src_client(s, base, headers, err);
    if (!h)
        return -1;
    struct http_response r = HTTP_RESPONSE_INIT;
    int rc = -1;
    if (http_request(h, "GET", url, NULL, NULL, NULL, SRC_BUCKET, 0, &r) == 0) {
        rc = strbuf_append_n(out, r.body.p ? r.body.p : "", r.body.len);
        if (rc < 0)
            conn_error_set(err, CONN_NETWORK, 0, "out of memory", "");
    } else if (r.status == 0) {
        src_transport_error(&r, s->ops->label, err);
    } else {
        char msg[300], hint[sizeof err->hint];
        enum conn_error_kind kind = src_status_kind(r.status, s->ops->label, hint, sizeof hint);
        snprintf(msg, sizeof msg, "Downloading %s failed: HTTP %ld", what, r.status);
        conn_error_set(err, kind == CONN_AUTH ? CONN_NOT_FOUND : kind, (int)r.status, msg, hint);
    }
    http_response_free(&r);
    http_client_free(h);
    return rc;
}

/* ---- the bearer session -------------------------------------------------------------------------------- */

static struct http_client *bearer_client(const struct conn *c, const char *base,
                                         const char *const *headers, char *e, size_t n)
{
    char conn_id[24];
    snprintf(conn_id, sizeof conn_id, "%lld", c->id);
    struct http_config cfg = HTTP_CONFIG_DEFAULTS;
    cfg.base_url = base;
    cfg.headers = headers;
    cfg.conn_id = conn_id;
    cfg.slot_dir = c->slot_dir;
    return http_client_new(&cfg, e, n);
}

int src_bearer_open(struct src_bearer *s, const struct conn *c, const char *label, const char *auth_hint,
                    const char *api_base, const char *token_url, const char *const *extra_api_headers,
                    src_bearer_token_fn fetch_token, struct conn_error *err)
{
    memset(s, 0, sizeof *s);
    s->conn = c;
    s->label = label;
    s->auth_hint = auth_hint;
    s->fetch_token = fetch_token;
    char e[HTTP_ERROR_MAX], msg[400];
    s->api = bearer_client(c, api_base, extra_api_headers, e, sizeof e);
    if (s->api)
        s->tok = bearer_client(c, token_url, NULL, e, sizeof e);
    if (!s->api || !s->tok) {
        snprintf(msg, sizeof msg, "The %s %s address is not usable (%s).", label,
                 s->api ? "token" : "API", e);
        src_bearer_close(s);
        conn_error_set(err, CONN_CONFIG, 0, msg, "Use an https:// address, or leave it empty for "
                       "the vendor's own.");
        return -1;
    }
    return 0;
}

void src_bearer_close(struct src_bearer *s)
{
    http_client_free(s->api);
    http_client_free(s->tok);
    s->api = s->tok = NULL;
    if (s->auth.p)
        explicit_bzero(s->auth.p, s->auth.cap);
    strbuf_free(&s->auth);
}

/* ---- tokens --------------------------------------------------------------------------------- */

int src_bearer_token_post(struct src_bearer *s, const char *body, const char *content_type, json_t **doc,
                          struct conn_error *err)
{
    struct http_response r = HTTP_RESPONSE_INIT;
    char jerr[160];
    int rc = -1;
    *doc = NULL;
    /* Asking for a token twice is harmless: the POST may be repeated. */
    if (http_request(s->tok, "POST", "", NULL, body, content_type, NULL, HTTP_WRITE_RETRY_ALL, &r) < 0)
        src_bearer_fail(s, &r, "the token request", 1, err);
    else if (jsonx_parse(r.body.p, r.body.len, doc, jerr, sizeof jerr) < 0) {
        src_bad_response(err, "%s answered the token request with a body that is %s", s->label, jerr);
        err->http_status = (int)r.status;
    } else
        rc = 0;
    if (r.body.p)
        explicit_bzero(r.body.p, r.body.len); /* it holds the token */
    http_response_free(&r);
    s->token_fetches++;
    return rc;
}

static int bearer_install(struct src_bearer *s, const char *t, struct conn_error *err)
{
    if (s->auth.p)
        explicit_bzero(s->auth.p, s->auth.cap);
    strbuf_reset(&s->auth);
    if (strbuf_appendf(&s->auth, "Authorization: Bearer %s", t) < 0) {
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
        return -1;
    }
    return 0;
}

/* The first token: one another worker fetched and kept, else a new one. */
static int bearer_first_token(struct src_bearer *s, struct conn_error *err)
{
    char token[SRC_TOKEN_MAX];
    int64_t left = 0;
    int rc = src_kept_token(s->conn, token, sizeof token, &left) ? bearer_install(s, token, err) : s->fetch_token(s, err);
    explicit_bzero(token, sizeof token);
    return rc;
}

int src_bearer_take_token(struct src_bearer *s, const json_t *doc, struct conn_error *err)
{
    const char *t = jsonx_str(doc, "access_token");
    int ctl = 0;
    for (const char *p = t; p && *p; p++)
        ctl |= (unsigned char)*p < 0x20 || *p == 0x7f;
    if (!t || !*t || ctl || strlen(t) >= SRC_TOKEN_MAX) {
        src_bad_response(err, "%s's token answer has no usable access_token", s->label);
        return -1;
    }
    if (bearer_install(s, t, err) < 0)
        return -1;
    /* expires_in: a number (Pax8, Entra v2) or a string of digits (Entra v1) */
    int64_t life = 0;
    const char *ls = jsonx_str(doc, "expires_in");
    if (jsonx_int(doc, "expires_in", &life) < 0 && ls)
        life = strtoll(ls, NULL, 10);
    src_keep_token(s->conn, t, life);
    return 0;
}

/* ---- GET ------------------------------------------------------------------------------------ */

static int get_once(struct src_bearer *s, const char *path, const char *query,
                    const char *const *extra, struct http_response *r)
{
    const char *headers[SRC_BEARER_MAX_HEADERS + 2];
    size_t k = 0;
    headers[k++] = strbuf_cstr(&s->auth);
    for (size_t i = 0; extra && extra[i] && k < SRC_BEARER_MAX_HEADERS + 1; i++)
        headers[k++] = extra[i];
    headers[k] = NULL;
    return http_request_ex(s->api, "GET", path, query, NULL, NULL, NULL, 0, headers, r);
}

int src_bearer_get(struct src_bearer *s, const char *path, const char *query, const char *const *extra,
                   const char *what, json_t **doc, struct conn_error *err)
{
    struct http_response r = HTTP_RESPONSE_INIT;
    char jerr[160];
    int rc = -1;
    *doc = NULL;
    if (s->auth.len == 0 && bearer_first_token(s, err) < 0)
        return -1;
    int sent = get_once(s, path, query, extra, &r);
    if (sent < 0 && r.status == 401) {
        /* The token expired (or was revoked) during the pull: one new token, one more try. */
        if (s->fetch_token(s, err) < 0)
            goto done;
        sent = get_once(s, path, query, extra, &r);
    }
    if (sent < 0)
        src_bearer_fail(s, &r, what, 0, err);
    else if (jsonx_parse(r.body.p, r.body.len, doc, jerr, sizeof jerr) < 0)
        src_bad_response(err, "%s answered %s with a body that is %s", s->label, what, jerr);
    else
        rc = 0;
    if (rc < 0 && err->kind == CONN_BAD_RESPONSE)
        err->http_status = (int)r.status;
done:
    http_response_free(&r);
    return rc;
}

/* ---- the bearer session's errors -------------------------------------------------------- */

/* First line of s into buf (Entra ID appends "\r\nTrace ID: ..." lines). */
static void first_line(const char *s, char *buf, size_t n)
{
    size_t len = strcspn(s, "\r\n");
    snprintf(buf, n, "%.*s", (int)len, s);
}

int src_error_text(const json_t *doc, char *buf, size_t n)
{
    static const char *const keys[] = {"message", "description", "error_description", "Message"};
    const char *msg = NULL;
    buf[0] = '\0';
    for (size_t i = 0; !msg && i < sizeof keys / sizeof keys[0]; i++) {
        msg = jsonx_str(doc, keys[i]);
        if (msg && !*msg)
            msg = NULL;
    }
    if (msg)
        first_line(msg, buf, n);
    size_t used = strlen(buf), i;
    json_t *d;
    int details = 0;
    json_array_foreach(jsonx_get(doc, "details"), i, d) {
        const char *t = jsonx_str(d, "message");
        if (!t || !*t || used + 3 >= n)
            continue;
        snprintf(buf + used, n - used, "%s%s", used == 0 ? "" : details ? "; " : ": ", t);
        used = strlen(buf);
        details = 1;
    }
    /* OAuth: {"error": "access_denied", "error_description": "Unauthorized"}. */
    const char *code = jsonx_str(doc, "error");
    if (code && *code && used + 4 < n)
        snprintf(buf + used, n - used, used ? " (%s)" : "%s", code);
    return buf[0] ? 0 : -1;
}

static void bearer_transport_error(const struct src_bearer *s, const struct http_response *r,
                                   struct conn_error *err)
{
    const char *e = r->error[0] ? r->error : "request failed";
    int tls = strcasestr(e, "SSL") || strcasestr(e, "certificate") || strcasestr(e, "TLS");
    char hint[sizeof err->hint];
    if (tls)
        snprintf(hint, sizeof hint, "Check the %s address and its server certificate.", s->label);
    else
        snprintf(hint, sizeof hint, "%s could not be reached or did not answer; billsync will try "
                 "again later.", s->label);
    conn_error_set(err, tls ? CONN_TLS : CONN_NETWORK, (int)r->status, e, hint);
}

void src_bearer_fail(const struct src_bearer *s, const struct http_response *r, const char *what,
                     int token_call, struct conn_error *err)
{
    if (r->status == 0) {
        bearer_transport_error(s, r, err);
        return;
    }
    json_t *doc = NULL;
    char text[sizeof err->message], jerr[160], hint[sizeof err->hint];
    if (jsonx_parse(r->body.p, r->body.len, &doc, jerr, sizeof jerr) < 0 ||
        src_error_text(doc, text, sizeof text) < 0)
        snprintf(text, sizeof text, "%s answered %s with HTTP %ld and no error message", s->label,
                 what, r->status);
    json_decref(doc);
    enum conn_error_kind kind;
    long st = r->status;
    if (st == 401 || (token_call && (st == 400 || st == 403))) {
        kind = CONN_AUTH;
        snprintf(hint, sizeof hint, "%s", s->auth_hint);
    } else if (st == 403) {
        kind = CONN_AUTH;
        snprintf(hint, sizeof hint, "%s does not let these API credentials read this; its message "
                 "says why.", s->label);
    } else if (st == 429) {
        kind = CONN_THROTTLED;
        snprintf(hint, sizeof hint, "%s is limiting requests; billsync will try again later.", s->label);
    } else if (st == 404 && token_call) {
        kind = CONN_CONFIG;
        snprintf(hint, sizeof hint, "Check the token address of the %s connection.", s->label);
    } else if (st == 404) {
        kind = CONN_NOT_FOUND;
        snprintf(hint, sizeof hint, "Check the API address of the %s connection.", s->label);
    } else if (st >= 500 || st == 408) {
        kind = CONN_NETWORK;
        snprintf(hint, sizeof hint, "%s had a server error; billsync will try again later.", s->label);
    } else {
        kind = CONN_REJECTED;
        snprintf(hint, sizeof hint, "%s refused the request; its message says why.", s->label);
    }
    conn_error_set(err, kind, (int)st, text, hint);
}
