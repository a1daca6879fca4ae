/* src_util.c: the distributor connectors' helpers other than the sessions (see src_util.h):
 * errors, field readers, terms, cycles and months, CSV, Basic auth and addresses. */
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

/* ---- errors ------------------------------------------------------------------------------ */

void src_bad_response(struct conn_error *err, const char *fmt, ...)
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

int src_missing(struct conn_error *err, const char *label, const char *what, const char *field)
{
    src_bad_response(err, "A record in %s's answer has no %s (%s)", label, field, what);
    return -1;
}

void src_transport_error(const struct http_response *r, const char *label, struct conn_error *err)
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

int src_config_error(struct conn_error *err, const char *label, const char *what)
{
    char msg[200];
    snprintf(msg, sizeof msg, "The %s connection has no %s.", label, what);
    conn_error_set(err, CONN_CONFIG, 0, msg, "Fill it in on the Connections page.");
    return -1;
}

enum conn_error_kind src_status_kind(long status, const char *label, char *hint, size_t n)
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

int64_t src_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void src_copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

int src_compose(struct conn_error *err, char *dst, size_t n, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(dst, n, fmt, ap);
    va_end(ap);
    if (w >= 0 && (size_t)w < n)
        return 0;
    src_bad_response(err, "A %s is longer than billsync can store (%zu characters)", what, n - 1);
    return -1;
}

int src_id(const json_t *o, const char *key, char *dst, size_t n)
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

int src_basic_header(const char *user, const char *pass, char *buf, size_t n)
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

int src_base_url(const char *setting, const char *fallback, char *buf, size_t n)
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

int src_in_month(cdate_t d, cdate_t month)
{
    return cdate_valid(d) && d.y == month.y && d.m == month.m;
}

enum src_cycle src_cycle_of_months(int months)
{
    return months >= 12 ? SRC_ANNUAL : SRC_MONTHLY;
}

int src_period_text_months(const char *text)
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

int src_first_seen(json_t *set, const char *key)
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

int src_csv_rows(const char *text, size_t len, json_t **rows, char *why, size_t n)
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
