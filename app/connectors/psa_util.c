/* psa_util.c: helpers the PSA connectors share (see psa_util.h). */
#include "connectors/psa_util.h"

#include "net/jsonx.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

json_t *psa_json_money(money_t v)
{
    if (v % MONEY_SCALE == 0)
        return json_integer((json_int_t)(v / MONEY_SCALE));
    return json_real((double)v / MONEY_SCALE);
}

json_t *psa_json_qty(qty_t q)
{
    if (q % QTY_SCALE == 0)
        return json_integer((json_int_t)(q / QTY_SCALE));
    return json_real((double)q / QTY_SCALE);
}

char *psa_json_dump(const json_t *j)
{
    /* 15 significant digits print a 4-decimal amount as written (%.15g round-trips it). */
    return json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
}

void psa_date_text(cdate_t d, const char *suffix, char *buf, size_t n)
{
    char day[CDATE_FMT_LEN];
    if (cdate_format(d, day, sizeof day) < 0)
        snprintf(day, sizeof day, "0000-00-00");
    snprintf(buf, n, "%sT00:00:00%s", day, suffix ? suffix : "");
}

int psa_json_id(const json_t *obj, const char *key, char id[PSA_ID])
{
    int64_t v;
    if (jsonx_int(obj, key, &v) < 0 || v < 0)
        return -1;
    snprintf(id, PSA_ID, "%lld", (long long)v);
    return 0;
}

int psa_parse_id(const char *s, int64_t *out)
{
    if (!s || !*s || strlen(s) > 18)
        return -1;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return -1;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return 0;
}

int psa_charge_marker(const char *key, char *buf, size_t n)
{
    size_t len = key ? strlen(key) : 0;
    if (len == 0 || len > PSA_KEY_MAX)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)key[i];
        /* Query languages quote with " (ConnectWise) and escape with \; brackets and
         * parentheses would end the marker early. */
        if (ch < 0x20 || ch == 0x7f || strchr("\"\\()[]", ch))
            return -1;
    }
    int w = snprintf(buf, n, "(billsync key: %s)", key);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

int psa_charge_key(const char *key, char *marker, size_t n, struct conn_error *err)
{
    if (psa_charge_marker(key, marker, n) == 0)
        return 0;
    conn_error_set(err, CONN_REJECTED, 0, "The charge key is empty, too long or holds quotes, brackets or backslashes.",
                   "");
    return -1;
}

int psa_has_marker(const char *text, const char *marker)
{
    return text && marker && *marker && strstr(text, marker) != NULL;
}

int psa_marker_item(void *search, const json_t *item, struct conn_error *err)
{
    (void)err;
    struct psa_marker_search *k = search;
    if (!psa_has_marker(jsonx_str(item, "description"), k->marker))
        return 0;
    psa_json_id(item, "id", k->id);
    k->found = 1;
    return 1;
}

void psa_bad_response(struct conn_error *err, const char *fmt, ...)
{
    char msg[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    conn_error_set(err, CONN_BAD_RESPONSE, 0, msg,
                   "The PSA sent an answer billsync cannot use; try again later and report it "
                   "if it persists.");
}

int psa_parse_body(const struct http_response *r, const char *system_label, const char *what,
                   json_t **doc, struct conn_error *err)
{
    char jerr[200];
    if (jsonx_parse(r->body.p, r->body.len, doc, jerr, sizeof jerr) == 0)
        return 0;
    psa_bad_response(err, "%s answered %s with a body that is %s", system_label, what, jerr);
    err->http_status = (int)r->status;
    return -1;
}

void psa_transport_error(const struct http_response *r, const char *system_label, int is_write,
                         struct conn_error *err)
{
    if (r->gate_refused) {
        /* Not sent: billsync's own budget for this PSA (shared by its workers) is used up. */
        conn_error_set(err, CONN_THROTTLED, 0, r->error, "billsync keeps its calls under its share of the "
                       "PSA's hourly limit (psa.budget_share_percent); the rest waits for the next sync.");
        err->retryable = 1;
        err->held_back = 1;
        return;
    }
    const char *e = r->error[0] ? r->error : "request failed";
    int tls = strcasestr(e, "SSL") || strcasestr(e, "certificate") || strcasestr(e, "TLS");
    char hint[sizeof err->hint];
    int unknown = is_write && r->transport_error;
    if (tls)
        snprintf(hint, sizeof hint, "Check the %s address and its server certificate.", system_label);
    else if (unknown)
        snprintf(hint, sizeof hint, "%s did not answer; the change may have been saved, so billsync "
                 "reads %s again before any retry.", system_label, system_label);
    else
        snprintf(hint, sizeof hint, "%s did not answer in time; billsync will retry.", system_label);
    conn_error_set(err, tls ? CONN_TLS : CONN_NETWORK, (int)r->status, e, hint);
    err->maybe_committed = unknown;
}

int psa_write_outcome_unknown(const struct http_response *r, int remote_error_parsed)
{
    if (r->status == 0)
        return r->transport_error;
    if (r->status == 502 || r->status == 504)
        return 1;
    return r->status >= 500 && !remote_error_parsed;
}

int psa_opt_money(const json_t *o, const char *key, const char *what, money_t *out,
                  struct conn_error *err)
{
    const json_t *v = jsonx_get(o, key);
    if (!v || (json_is_string(v) && json_string_length(v) == 0))
        return 0;
    if (jsonx_money(o, key, out) == 0)
        return 0;
    psa_bad_response(err, "%s has a %s that is not an amount", what, key);
    return -1;
}

int psa_fail(const struct psa_error_reader *rd, const struct http_response *r, int is_write,
             const char *what, struct conn_error *err)
{
    if (r->status == 0) {
        psa_transport_error(r, rd->label, is_write, err);
        return 0;
    }
    json_t *doc = NULL;
    char text[sizeof err->message], jerr[160];
    int parsed = jsonx_parse(r->body.p, r->body.len, &doc, jerr, sizeof jerr) == 0 &&
                 rd->text(doc, text, sizeof text) == 0;
    if (!parsed)
        snprintf(text, sizeof text, "%s answered %s with HTTP %ld and no error message", rd->label,
                 what, r->status);
    json_decref(doc);
    const char *hint;
    enum conn_error_kind kind = rd->kind(r->status, text, &hint);
    conn_error_set(err, kind, (int)r->status, text, hint);
    err->maybe_committed = is_write && psa_write_outcome_unknown(r, parsed);
    return parsed;
}

/* ---- the shared budget ------------------------------------------------------------------------ */

static long gate_enter(void *ctx, char *why, size_t n)
{
    struct psa_gate *g = ctx;
    return g->c->shared->call_begin(g->c, g->instance, why, n);
}

static void gate_throttled(void *ctx, long retry_after_s)
{
    struct psa_gate *g = ctx;
    g->c->shared->call_throttled(g->c, g->instance, retry_after_s);
}

const struct http_gate *psa_gate_init(struct psa_gate *g, const struct conn *c, const char *system,
                                      const char *host, const char *who)
{
    memset(g, 0, sizeof *g);
    g->c = c;
    snprintf(g->instance, sizeof g->instance, "%s:%.80s:%.80s", system, host, who);
    for (char *p = g->instance; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (!c || !c->shared || !c->shared->call_begin)
        return NULL;
    g->gate.enter = gate_enter;
    g->gate.throttled = c->shared->call_throttled ? gate_throttled : NULL;
    g->gate.ctx = g;
    return &g->gate;
}
