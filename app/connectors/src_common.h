/* src_common.h: what the Pax8 and Partner Center connectors share: a session with an API
 * client and a token client, a bearer token fetched on demand and once more after a 401,
 * JSON GETs that report the remote's own words, and field readers that name what is wrong. */
#ifndef BILLSYNC_CONNECTORS_SRC_COMMON_H
#define BILLSYNC_CONNECTORS_SRC_COMMON_H

#include "connectors/conn.h"
#include "core/source_records.h"
#include "core/strbuf.h"
#include "net/http.h"
#include "net/urlenc.h"

#include <jansson.h>
#include <stddef.h>

#define SRC_MAX_EXTRA_HEADERS 8

struct src_session;

/* Fetches a new access token (src_token_post + src_set_token); -1 with *err. */
typedef int (*src_token_fn)(struct src_session *s, struct conn_error *err);

struct src_session {
    const struct conn *conn;
    const char *label;            /* "Pax8", "Partner Center": names the remote in messages */
    const char *auth_hint;        /* what to check when the credentials are refused */
    struct http_client *api;      /* the API's base address, no credentials of its own */
    struct http_client *tok;      /* the token address (may be another host) */
    src_token_fn fetch_token;
    struct strbuf auth;           /* "Authorization: Bearer ..." (wiped on close); empty: none yet */
    int token_fetches;
};

/* Clients for api_base and token_url; nothing is sent yet. extra_api_headers: NULL-terminated
 * "Name: value" lines for every API request, or NULL. */
int src_open(struct src_session *s, const struct conn *c, const char *label, const char *auth_hint,
             const char *api_base, const char *token_url, const char *const *extra_api_headers,
             src_token_fn fetch_token, struct conn_error *err);
void src_close(struct src_session *s);

/* POST body to the token address and parse the JSON answer into *doc (the caller's). A refusal
 * (400/401/403) is CONN_AUTH with the remote's text. */
int src_token_post(struct src_session *s, const char *body, const char *content_type, json_t **doc,
                   struct conn_error *err);
/* The access_token of a token answer becomes the session's bearer token. */
int src_take_token(struct src_session *s, const json_t *doc, struct conn_error *err);

/* GET path (relative to the API base, or an absolute URL on its origin) with the bearer
 * token and the extra header lines (NULL-terminated, may be NULL). Fetches a token first when
 * there is none, and once more, repeating the call, when the API answers 401 (a token that
 * expired during a pull). *doc is the parsed body (any JSON value; the caller's). `what`
 * names the request in messages ("the subscription list"). */
int src_get(struct src_session *s, const char *path, const char *query, const char *const *extra,
            const char *what, json_t **doc, struct conn_error *err);

/* err from a failed call: the remote's message (or the transport's), a kind and a hint. */
void src_fail(const struct src_session *s, const struct http_response *r, const char *what,
              int token_call, struct conn_error *err);
/* The remote's message from an error body: Pax8's {message, details[]}, Partner Center's
 * {description}, OAuth's {error, error_description} (first line). -1 when there is none. */
int src_error_text(const json_t *doc, char *buf, size_t n);
/* err = CONN_BAD_RESPONSE with a formatted message. */
void src_bad_response(struct conn_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* setting, or fallback when empty, without surrounding blanks and trailing slashes. */
void src_url_setting(const struct conn *c, const char *key, const char *fallback, char *buf, size_t n);

/* Field readers. `what` names the record in messages ("Pax8 subscription 1f2e..."). A JSON
 * null or an empty string counts as absent. Optional readers leave absent values 0/empty and
 * fail (CONN_BAD_RESPONSE naming the field) only on a value of the wrong kind. */
int src_req_str(const json_t *o, const char *key, const char *what, char *dst, size_t n,
                struct conn_error *err);
int src_opt_str(const json_t *o, const char *key, const char *what, char *dst, size_t n,
                struct conn_error *err);
int src_opt_money(const json_t *o, const char *key, const char *what, money_t *out,
                  struct conn_error *err);
int src_opt_qty(const json_t *o, const char *key, const char *what, qty_t *out, struct conn_error *err);
int src_opt_date(const json_t *o, const char *key, const char *what, cdate_t *out, struct conn_error *err);
int src_req_date(const json_t *o, const char *key, const char *what, cdate_t *out, struct conn_error *err);
/* 1 when the key holds a value (not absent, null or ""). */
int src_has(const json_t *o, const char *key);

/* Months of a term written as an ISO 8601 duration (P1M 1, P1Y 12, P3Y 36) or "1-Year",
 * "1-Month", "3-Year", "2 Year". 0 when empty or not understood. */
int src_term_months(const char *text);
/* A billing cycle or frequency word: Monthly; Annual, Yearly, Triennial, "2 Year"...;
 * One-Time, OneTime, Activation, Rebate; Usage, Arrears. Monthly when empty or unknown. */
enum src_cycle src_cycle_from(const char *word);
/* 1 when d lies in the calendar month of month. */
int src_in_month(cdate_t d, cdate_t month);

#endif
