/* src_util.h: the distributor connectors' one helper library: HTTP sessions with a bearer
 * token, JSON reads that report the remote's own words, field readers that name what is
 * wrong, and small conversions (terms, cycles, months, CSV, Basic auth, addresses).
 *
 * Two sessions, for the two ways the distributors hand out tokens:
 *   struct src_session (interworks, Ingram, MSP360): the token is fetched on open, renewed
 *     before it expires and once after a 401; reads are GET or PUT, counted in the
 *     connection's request slots, and a connector may retry its own throttle answers;
 *   struct src_bearer (Pax8, Partner Center): client credentials, the token fetched from a
 *     token address of its own when the first GET needs it and once more after a 401; GETs
 *     may carry header lines of their own (Partner Center's continuation token).
 * Implemented in src_session.c (both sessions) and src_util.c (the rest). */
#ifndef BILLSYNC_CONNECTORS_SRC_UTIL_H
#define BILLSYNC_CONNECTORS_SRC_UTIL_H

#include "connectors/conn.h"
#include "connectors/source.h"
#include "core/source_records.h"
#include "core/strbuf.h"
#include "net/http.h"
#include "net/urlenc.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the renewing session (interworks, Ingram, MSP360) ---------------------------------- */

#define SRC_TOKEN_MAX 4096
#define SRC_MAX_EXTRA 4
#define SRC_BASE_MAX 512
#define SRC_GIB (1024LL * 1024 * 1024)

struct src_session;

/* The system-specific parts of a session. */
struct src_ops {
    const char *label;            /* names the remote in messages: "interworks.cloud" */
    /* Get a new access token: src_set_token(); -1 with *err. */
    int (*fetch_token)(struct src_session *s, struct conn_error *err);
    /* err from an API answer that is not 2xx (status != 0): message, kind, hint. */
    void (*api_error)(const struct src_session *s, const struct http_response *r, const char *what,
                      struct conn_error *err);
    /* Wait before re-sending a refusal the HTTP client does not retry itself (interworks
     * throttles with 403); -1: not a throttle. NULL: none. */
    int64_t (*throttle_wait_ms)(const struct http_response *r);
};

/* The callbacks of one list operation (a non-zero return stops the listing). */
struct src_emit {
    src_company_fn company;
    src_subscription_fn subscription;
    src_resource_fn resource;
    src_charge_fn charge;
    void *ctx;
};

struct src_session {
    const struct conn *conn;
    const struct src_ops *ops;
    void *sys;                    /* the connector's own state */
    char base[SRC_BASE_MAX];      /* API base URL, ending in "/" */
    char conn_id[24];
    const char *extra[SRC_MAX_EXTRA + 1]; /* more header lines for API calls, NULL-terminated */
    char auth[SRC_TOKEN_MAX + 32];        /* "Authorization: Bearer ..." (wiped on close) */
    int64_t renew_at_ms;          /* monotonic time to renew the token; 0: only after a 401 */
    struct http_client *api;
};

/* Checks nothing but the base; fetches the first token. extra: NULL-terminated header lines
 * (copied pointers: they must outlive the session). */
int src_open(struct src_session *s, const struct conn *c, const struct src_ops *ops,
             const char *base, const char *const *extra, void *sys, struct conn_error *err);
void src_close(struct src_session *s);
/* Install a new access token; expires_in_s <= 0 when the answer did not say. */
int src_set_token(struct src_session *s, const char *token, int64_t expires_in_s,
                  struct conn_error *err);

/* Tokens kept for every worker until they expire (core/conn_record.h conn_shared): keep one a
 * token answer gave; get a kept one and the seconds it has left (1), or 0. */
void src_keep_token(const struct conn *c, const char *token, int64_t expires_in_s);
int src_kept_token(const struct conn *c, char *token, size_t n, int64_t *left_s);

/* A client of its own for the token endpoint or a download (headers NULL-terminated). */
struct http_client *src_client(const struct src_session *s, const char *base,
                               const char *const *headers, struct conn_error *err);

/* One API read: GET, or PUT with a JSON body (MSP360's billing reads). The token is renewed
 * first when due and once more, repeating the call, after a 401. *doc is the parsed body. */
int src_call(struct src_session *s, const char *method, const char *path, const char *query,
             const char *body, const char *what, json_t **doc, struct conn_error *err);
/* POST a token request with its own client; *doc is the answer when 2xx. On an answer that
 * is not 2xx, *r keeps it (the caller maps it) and the return is 1; -1 on transport errors
 * or a body that is not JSON (err set). */
int src_token_post(const struct src_session *s, struct http_client *tc, const char *path,
                   const char *body, const char *content_type, struct http_response *r,
                   json_t **doc, struct conn_error *err);
/* GET an absolute URL (a report file) with a header-less client of its own origin. */
int src_download(const struct src_session *s, const char *url, const char *what,
                 struct strbuf *out, struct conn_error *err);

/* ---- the bearer session (Pax8, Partner Center) --------------------------------------------- */

#define SRC_BEARER_MAX_HEADERS 8

struct src_bearer;

/* Fetches a new access token (src_bearer_token_post + src_bearer_take_token); -1 with *err. */
typedef int (*src_bearer_token_fn)(struct src_bearer *s, struct conn_error *err);

struct src_bearer {
    const struct conn *conn;
    const char *label;            /* "Pax8", "Partner Center": names the remote in messages */
    const char *auth_hint;        /* what to check when the credentials are refused */
    struct http_client *api;      /* the API's base address, no credentials of its own */
    struct http_client *tok;      /* the token address (may be another host) */
    src_bearer_token_fn fetch_token;
    struct strbuf auth;           /* "Authorization: Bearer ..." (wiped on close); empty: none yet */
    int token_fetches;
};

/* Clients for api_base and token_url; nothing is sent yet. extra_api_headers: NULL-terminated
 * "Name: value" lines for every API request, or NULL. */
int src_bearer_open(struct src_bearer *s, const struct conn *c, const char *label, const char *auth_hint,
                    const char *api_base, const char *token_url, const char *const *extra_api_headers,
                    src_bearer_token_fn fetch_token, struct conn_error *err);
void src_bearer_close(struct src_bearer *s);

/* POST body to the token address and parse the JSON answer into *doc (the caller's). A refusal
 * (400/401/403) is CONN_AUTH with the remote's text. */
int src_bearer_token_post(struct src_bearer *s, const char *body, const char *content_type, json_t **doc,
                          struct conn_error *err);
/* The access_token of a token answer becomes the session's bearer token. */
int src_bearer_take_token(struct src_bearer *s, const json_t *doc, struct conn_error *err);

/* GET path (relative to the API base, or an absolute URL on its origin) with the bearer
 * token and the extra header lines (NULL-terminated, may be NULL). Fetches a token first when
 * there is none, and once more, repeating the call, when the API answers 401 (a token that
 * expired during a pull). *doc is the parsed body (any JSON value; the caller's). `what`
 * names the request in messages ("the subscription list"). */
int src_bearer_get(struct src_bearer *s, const char *path, const char *query, const char *const *extra,
                   const char *what, json_t **doc, struct conn_error *err);

/* err from a failed call: the remote's message (or the transport's), a kind and a hint. */
void src_bearer_fail(const struct src_bearer *s, const struct http_response *r, const char *what,
                     int token_call, struct conn_error *err);
/* The remote's message from an error body: Pax8's {message, details[]}, Partner Center's
 * {description}, OAuth's {error, error_description} (first line). -1 when there is none. */
int src_error_text(const json_t *doc, char *buf, size_t n);

/* ---- errors ---------------------------------------------------------------------------- */

void src_bad_response(struct conn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "A record in <label>'s answer has no <field> (<what>)": a required field is absent. -1. */
int src_missing(struct conn_error *err, const char *label, const char *what, const char *field);
void src_transport_error(const struct http_response *r, const char *label, struct conn_error *err);
/* A config error: "The <label> connection has no <what>." Returns -1. */
int src_config_error(struct conn_error *err, const char *label, const char *what);
/* Kind and default hint of an HTTP failure status. */
enum conn_error_kind src_status_kind(long status, const char *label, char *hint, size_t n);

/* ---- readers and conversions ----------------------------------------------------------- */

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
/* An id held as a non-empty string or an integer, as text. -1 when absent or too long. */
int src_id(const json_t *o, const char *key, char *dst, size_t n);
/* Copy a string (NULL: "") truncating at n. */
void src_copy(char *dst, size_t n, const char *src);
/* snprintf that fails (CONN_BAD_RESPONSE naming what) when the text does not fit. */
int src_compose(struct conn_error *err, char *dst, size_t n, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* "Basic base64(user:pass)" header line into buf. -1 when too long. */
int src_basic_header(const char *user, const char *pass, char *buf, size_t n);
/* The setting's URL (or fallback) without blanks and trailing slashes, plus "/". -1 when it
 * is not an http(s) URL or too long. */
int src_base_url(const char *setting, const char *fallback, char *buf, size_t n);
/* 1 when d lies in the calendar month of month. */
int src_in_month(cdate_t d, cdate_t month);
/* A cycle from its length in months: 12 or more annual, else monthly. */
enum src_cycle src_cycle_of_months(int months);
/* Months of a period written "1 month", "1 year", "3 years", "12 months". 0 when not understood. */
int src_period_text_months(const char *text);
/* CSV text with a header row into a JSON array of objects (header → text). -1 with a reason
 * (no header, a row with another number of fields, not UTF-8, an unclosed quote). */
int src_csv_rows(const char *text, size_t len, json_t **rows, char *why, size_t n);
/* A JSON object used as a set of strings: 1 when key was new (and is now in), 0 when seen. */
int src_first_seen(json_t *set, const char *key);
int64_t src_now_ms(void);

#endif
