/* src_common.c: session, token, GET and field helpers of the Pax8 and Partner Center
 * connectors (see src_common.h). */
#include "connectors/src_common.h"

#include "net/jsonx.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- errors --------------------------------------------------------------------------------- */

void src_bad_response(struct conn_error *err, const char *fmt, ...)
{
    char msg[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    conn_error_set(err, CONN_BAD_RESPONSE, 0, msg,
                   "The distributor sent an answer billsync cannot use; try again later and report "
                   "it if it persists.");
}

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

static void transport_error(const struct src_session *s, const struct http_response *r,
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

void src_fail(const struct src_session *s, const struct http_response *r, const char *what,
              int token_call, struct conn_error *err)
{
    if (r->status == 0) {
        transport_error(s, r, err);
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

/* ---- session -------------------------------------------------------------------------------- */

static struct http_client *client(const struct conn *c, const char *base,
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

int src_open(struct src_session *s, const struct conn *c, const char *label, const char *auth_hint,
             const char *api_base, const char *token_url, const char *const *extra_api_headers,
             src_token_fn fetch_token, struct conn_error *err)
{
    memset(s, 0, sizeof *s);
    s->conn = c;
    s->label = label;
    s->auth_hint = auth_hint;
    s->fetch_token = fetch_token;
    char e[HTTP_ERROR_MAX], msg[400];
    s->api = client(c, api_base, extra_api_headers, e, sizeof e);
    if (s->api)
        s->tok = client(c, token_url, NULL, e, sizeof e);
    if (!s->api || !s->tok) {
        snprintf(msg, sizeof msg, "The %s %s address is not usable (%s).", label,
                 s->api ? "token" : "API", e);
        src_close(s);
        conn_error_set(err, CONN_CONFIG, 0, msg, "Use an https:// address, or leave it empty for "
                       "the vendor's own.");
        return -1;
    }
    return 0;
}

void src_close(struct src_session *s)
{
    http_client_free(s->api);
    http_client_free(s->tok);
    s->api = s->tok = NULL;
    if (s->auth.p)
        explicit_bzero(s->auth.p, s->auth.cap);
    strbuf_free(&s->auth);
}

/* ---- tokens --------------------------------------------------------------------------------- */

int src_token_post(struct src_session *s, const char *body, const char *content_type, json_t **doc,
                   struct conn_error *err)
{
    struct http_response r = HTTP_RESPONSE_INIT;
    char jerr[160];
    int rc = -1;
    *doc = NULL;
    /* Asking for a token twice is harmless: the POST may be repeated. */
    if (http_request(s->tok, "POST", "", NULL, body, content_type, NULL, HTTP_WRITE_RETRY_ALL, &r) < 0)
        src_fail(s, &r, "the token request", 1, err);
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

int src_take_token(struct src_session *s, const json_t *doc, struct conn_error *err)
{
    const char *t = jsonx_str(doc, "access_token");
    int ctl = 0;
    for (const char *p = t; p && *p; p++)
        ctl |= (unsigned char)*p < 0x20 || *p == 0x7f;
    if (!t || !*t || ctl) {
        src_bad_response(err, "%s's token answer has no usable access_token", s->label);
        return -1;
    }
    if (s->auth.p)
        explicit_bzero(s->auth.p, s->auth.cap);
    strbuf_reset(&s->auth);
    if (strbuf_appendf(&s->auth, "Authorization: Bearer %s", t) < 0) {
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
        return -1;
    }
    return 0;
}

/* ---- GET ------------------------------------------------------------------------------------ */

static int get_once(struct src_session *s, const char *path, const char *query,
                    const char *const *extra, struct http_response *r)
{
    const char *headers[SRC_MAX_EXTRA_HEADERS + 2];
    size_t k = 0;
    headers[k++] = strbuf_cstr(&s->auth);
    for (size_t i = 0; extra && extra[i] && k < SRC_MAX_EXTRA_HEADERS + 1; i++)
        headers[k++] = extra[i];
    headers[k] = NULL;
    return http_request_ex(s->api, "GET", path, query, NULL, NULL, NULL, 0, headers, r);
}

int src_get(struct src_session *s, const char *path, const char *query, const char *const *extra,
            const char *what, json_t **doc, struct conn_error *err)
{
    struct http_response r = HTTP_RESPONSE_INIT;
    char jerr[160];
    int rc = -1;
    *doc = NULL;
    if (s->auth.len == 0 && s->fetch_token(s, err) < 0)
        return -1;
    int sent = get_once(s, path, query, extra, &r);
    if (sent < 0 && r.status == 401) {
        /* The token expired (or was revoked) during the pull: one new token, one more try. */
        if (s->fetch_token(s, err) < 0)
            goto done;
        sent = get_once(s, path, query, extra, &r);
    }
    if (sent < 0)
        src_fail(s, &r, what, 0, err);
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

/* ---- text and settings ---------------------------------------------------------------------- */

void src_url_setting(const struct conn *c, const char *key, const char *fallback, char *buf, size_t n)
{
    const char *v = conn_setting(c, key);
    while (*v == ' ' || *v == '\t')
        v++;
    if (!*v)
        v = fallback;
    size_t len = strlen(v);
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '/'))
        len--;
    snprintf(buf, n, "%.*s", (int)len, v);
}

/* ---- field readers -------------------------------------------------------------------------- */

int src_has(const json_t *o, const char *key)
{
    const json_t *v = jsonx_get(o, key);
    return v && !(json_is_string(v) && json_string_length(v) == 0);
}

static int wrong(struct conn_error *err, const char *what, const char *key, const char *kind)
{
    src_bad_response(err, "%s has a %s that is not %s", what, key, kind);
    return -1;
}

int src_req_str(const json_t *o, const char *key, const char *what, char *dst, size_t n,
                struct conn_error *err)
{
    if (!src_has(o, key)) {
        src_bad_response(err, "%s has no %s", what, key);
        return -1;
    }
    return src_opt_str(o, key, what, dst, n, err);
}

int src_opt_str(const json_t *o, const char *key, const char *what, char *dst, size_t n,
                struct conn_error *err)
{
    dst[0] = '\0';
    const json_t *v = jsonx_get(o, key);
    if (!v)
        return 0;
    if (json_is_string(v)) {
        snprintf(dst, n, "%s", json_string_value(v));
        return 0;
    }
    if (json_is_integer(v)) { /* an id written as a number */
        snprintf(dst, n, "%lld", (long long)json_integer_value(v));
        return 0;
    }
    return wrong(err, what, key, "text");
}

int src_opt_money(const json_t *o, const char *key, const char *what, money_t *out,
                  struct conn_error *err)
{
    *out = 0;
    if (!src_has(o, key))
        return 0;
    return jsonx_money(o, key, out) == 0 ? 0 : wrong(err, what, key, "an amount");
}

int src_opt_qty(const json_t *o, const char *key, const char *what, qty_t *out, struct conn_error *err)
{
    *out = 0;
    if (!src_has(o, key))
        return 0;
    return jsonx_qty(o, key, out) == 0 ? 0 : wrong(err, what, key, "a quantity");
}

int src_opt_date(const json_t *o, const char *key, const char *what, cdate_t *out, struct conn_error *err)
{
    *out = (cdate_t){0, 0, 0};
    if (!src_has(o, key))
        return 0;
    return jsonx_date(o, key, out) == 0 ? 0 : wrong(err, what, key, "a date");
}

int src_req_date(const json_t *o, const char *key, const char *what, cdate_t *out, struct conn_error *err)
{
    if (!src_has(o, key)) {
        src_bad_response(err, "%s has no %s", what, key);
        return -1;
    }
    return src_opt_date(o, key, what, out, err);
}

/* ---- terms and months ----------------------------------------------------------------------- */

int src_term_months(const char *t)
{
    if (!t || !*t)
        return 0;
    char *end;
    if (t[0] == 'P' || t[0] == 'p') { /* ISO 8601: P1M, P1Y, P3Y */
        long v = strtol(t + 1, &end, 10);
        if (end == t + 1 || v <= 0 || v > 100 || end[1] != '\0')
            return 0;
        return *end == 'Y' || *end == 'y' ? (int)v * 12 : *end == 'M' || *end == 'm' ? (int)v : 0;
    }
    long v = strtol(t, &end, 10); /* "1-Year", "1-Month", "2 Year" */
    if (end == t || v <= 0 || v > 100)
        return 0;
    while (*end == '-' || *end == ' ')
        end++;
    if (strncasecmp(end, "year", 4) == 0)
        return (int)v * 12;
    if (strncasecmp(end, "month", 5) == 0)
        return (int)v;
    return 0;
}

enum src_cycle src_cycle_from(const char *t)
{
    static const char *const annual[] = {"annual", "yearly", "triennial"};
    static const char *const once[] = {"one-time", "one_time", "onetime", "one time", "activation",
                                       "rebate"};
    static const char *const usage[] = {"usage", "arrears"};
    for (size_t i = 0; t && i < sizeof annual / sizeof annual[0]; i++)
        if (strcasecmp(t, annual[i]) == 0)
            return SRC_ANNUAL;
    if (src_term_months(t) >= 12)
        return SRC_ANNUAL;
    for (size_t i = 0; t && i < sizeof once / sizeof once[0]; i++)
        if (strcasecmp(t, once[i]) == 0)
            return SRC_ONE_TIME;
    for (size_t i = 0; t && i < sizeof usage / sizeof usage[0]; i++)
        if (strcasecmp(t, usage[i]) == 0)
            return SRC_USAGE;
    return SRC_MONTHLY; /* Monthly, Trial, none */
}

int src_in_month(cdate_t d, cdate_t month)
{
    return cdate_valid(d) && d.y == month.y && d.m == month.m;
}
