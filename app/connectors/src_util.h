/* src_util.h: what the interworks, Ingram and MSP360 connectors share: a bearer-token session
 * over the HTTP client (token on open, renewed before it expires and once after a 401), paged
 * JSON reads that report the remote's own words, record readers and small conversions. */
#ifndef BILLSYNC_CONNECTORS_SRC_UTIL_H
#define BILLSYNC_CONNECTORS_SRC_UTIL_H

#include "connectors/conn.h"
#include "connectors/source.h"
#include "core/strbuf.h"
#include "net/http.h"
#include "net/urlenc.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define SRCU_TOKEN_MAX 4096
#define SRCU_MAX_EXTRA 4
#define SRCU_BASE_MAX 512
#define SRCU_GIB (1024LL * 1024 * 1024)

struct srcu_session;

/* The system-specific parts of a session. */
struct srcu_ops {
    const char *label;            /* names the remote in messages: "interworks.cloud" */
    /* Get a new access token: srcu_set_token(); -1 with *err. */
    int (*fetch_token)(struct srcu_session *s, struct conn_error *err);
    /* err from an API answer that is not 2xx (status != 0): message, kind, hint. */
    void (*api_error)(const struct srcu_session *s, const struct http_response *r, const char *what,
                      struct conn_error *err);
    /* Wait before re-sending a refusal the HTTP client does not retry itself (interworks
     * throttles with 403); -1: not a throttle. NULL: none. */
    int64_t (*throttle_wait_ms)(const struct http_response *r);
};

/* The callbacks of one list operation (a non-zero return stops the listing). */
struct srcu_emit {
    src_company_fn company;
    src_subscription_fn subscription;
    src_resource_fn resource;
    src_charge_fn charge;
    void *ctx;
};

struct srcu_session {
    const struct conn *conn;
    const struct srcu_ops *ops;
    void *sys;                    /* the connector's own state */
    char base[SRCU_BASE_MAX];     /* API base URL, ending in "/" */
    char conn_id[24];
    const char *extra[SRCU_MAX_EXTRA + 1]; /* more header lines for API calls, NULL-terminated */
    char auth[SRCU_TOKEN_MAX + 32];        /* "Authorization: Bearer ..." (wiped on close) */
    int64_t renew_at_ms;          /* monotonic time to renew the token; 0: only after a 401 */
    struct http_client *api;
};

/* Checks nothing but the base; fetches the first token. extra: NULL-terminated header lines
 * (copied pointers: they must outlive the session). */
int srcu_open(struct srcu_session *s, const struct conn *c, const struct srcu_ops *ops,
              const char *base, const char *const *extra, void *sys, struct conn_error *err);
void srcu_close(struct srcu_session *s);
/* Install a new access token; expires_in_s <= 0 when the answer did not say. */
int srcu_set_token(struct srcu_session *s, const char *token, int64_t expires_in_s,
                   struct conn_error *err);

/* A client of its own for the token endpoint or a download (headers NULL-terminated). */
struct http_client *srcu_client(const struct srcu_session *s, const char *base,
                                const char *const *headers, struct conn_error *err);

/* One API read: GET, or PUT with a JSON body (MSP360's billing reads). The token is renewed
 * first when due and once more, repeating the call, after a 401. *doc is the parsed body. */
int srcu_call(struct srcu_session *s, const char *method, const char *path, const char *query,
              const char *body, const char *what, json_t **doc, struct conn_error *err);
/* POST a token request with its own client; *doc is the answer when 2xx. On an answer that
 * is not 2xx, *r keeps it (the caller maps it) and the return is 1; -1 on transport errors
 * or a body that is not JSON (err set). */
int srcu_token_post(const struct srcu_session *s, struct http_client *tc, const char *path,
                    const char *body, const char *content_type, struct http_response *r,
                    json_t **doc, struct conn_error *err);
/* GET an absolute URL (a report file) with a header-less client of its own origin. */
int srcu_download(const struct srcu_session *s, const char *url, const char *what,
                  struct strbuf *out, struct conn_error *err);

/* ---- errors ---------------------------------------------------------------------------- */

void srcu_bad_response(struct conn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "A record in <label>'s answer has no <field> (<what>)": a required field is absent. -1. */
int srcu_missing(struct conn_error *err, const char *label, const char *what, const char *field);
void srcu_transport_error(const struct http_response *r, const char *label, struct conn_error *err);
/* A config error: "The <label> connection has no <what>." Returns -1. */
int srcu_config_error(struct conn_error *err, const char *label, const char *what);
/* Kind and default hint of an HTTP failure status. */
enum conn_error_kind srcu_status_kind(long status, const char *label, char *hint, size_t n);

/* ---- readers and conversions ----------------------------------------------------------- */

/* An id held as a non-empty string or an integer, as text. -1 when absent or too long. */
int srcu_id(const json_t *o, const char *key, char *dst, size_t n);
/* Copy a string (NULL: "") truncating at n. */
void srcu_copy(char *dst, size_t n, const char *src);
/* snprintf that fails (CONN_BAD_RESPONSE naming what) when the text does not fit. */
int srcu_compose(struct conn_error *err, char *dst, size_t n, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* "Basic base64(user:pass)" header line into buf. -1 when too long. */
int srcu_basic_header(const char *user, const char *pass, char *buf, size_t n);
/* The setting's URL (or fallback) without blanks and trailing slashes, plus "/". -1 when it
 * is not an http(s) URL or too long. */
int srcu_base_url(const char *setting, const char *fallback, char *buf, size_t n);
/* 1 when d lies in the calendar month of month. */
int srcu_in_month(cdate_t d, cdate_t month);
/* A cycle from its length in months: 12 or more annual, else monthly. */
enum src_cycle srcu_cycle_of_months(int months);
/* Months of a period written "1 month", "1 year", "3 years", "12 months". 0 when not understood. */
int srcu_period_text_months(const char *text);
/* CSV text with a header row into a JSON array of objects (header → text). -1 with a reason
 * (no header, a row with another number of fields, not UTF-8, an unclosed quote). */
int srcu_csv_rows(const char *text, size_t len, json_t **rows, char *why, size_t n);
/* A JSON object used as a set of strings: 1 when key was new (and is now in), 0 when seen. */
int srcu_first_seen(json_t *set, const char *key);
int64_t srcu_now_ms(void);

#endif
