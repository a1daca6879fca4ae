/* psa_util.h: what the Autotask and ConnectWise connectors share: exact JSON numbers for
 * request bodies, ids, dates, URL escaping, the charge key marker and response checks. */
#ifndef BILLSYNC_CONNECTORS_PSA_UTIL_H
#define BILLSYNC_CONNECTORS_PSA_UTIL_H

#include "connectors/psa.h"
#include "core/strbuf.h"
#include "net/http.h"
#include "net/urlenc.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Longest charge key billsync writes into a PSA record. */
#define PSA_KEY_MAX 120
/* Big enough for psa_charge_marker's output. */
#define PSA_MARKER_MAX (PSA_KEY_MAX + 24)

/* JSON numbers from exact values: whole values as integers, others as reals that
 * psa_json_dump prints back with every decimal (no 0.10000000000000001). */
json_t *psa_json_money(money_t v);
json_t *psa_json_qty(qty_t q);
/* Compact text of a request body, or NULL when out of memory; free() it. */
char *psa_json_dump(const json_t *j);

/* "YYYY-MM-DDT00:00:00" followed by suffix ("" for Autotask, "Z" for ConnectWise). */
void psa_date_text(cdate_t d, const char *suffix, char *buf, size_t n);
/* A non-negative integer id held at key (number or digit string) as text into id. -1 when
 * absent, not an integer, negative or too long. */
int psa_json_id(const json_t *obj, const char *key, char id[PSA_ID]);
/* A non-negative decimal id ("123") as an integer; -1 on anything else. */
int psa_parse_id(const char *s, int64_t *out);
/* The text written into a one-time charge so find_charge can find it again:
 * "(billsync key: KEY)". -1 when the key is empty, longer than PSA_KEY_MAX or holds a
 * character a PSA query cannot carry safely (quotes, backslash, control characters). */
int psa_charge_marker(const char *key, char *buf, size_t n);
/* psa_charge_marker for a connector's find/create: 0, or -1 with err = CONN_REJECTED saying
 * why the key cannot be used. */
int psa_charge_key(const char *key, char *marker, size_t n, struct conn_error *err);
/* 1 when the text holds the marker exactly, else 0. */
int psa_has_marker(const char *text, const char *marker);
/* Looking for the charge that carries a marker in a listing (find_charge): the callback of
 * each listed charge or addition; stops at the first whose "description" holds the marker
 * exactly (a PSA's "contains" may be looser) and copies its "id". */
struct psa_marker_search {
    const char *marker;
    char *id;                     /* PSA_ID bytes */
    int found;
};
int psa_marker_item(void *search, const json_t *item, struct conn_error *err);

/* A response body as JSON; on failure err is CONN_BAD_RESPONSE naming what was read. */
int psa_parse_body(const struct http_response *r, const char *system_label, const char *what,
                   json_t **doc, struct conn_error *err);
/* An amount that may be absent (JSON null, "" or missing: *out stays 0) but, when stated,
 * must read as money: otherwise CONN_BAD_RESPONSE naming what ("Autotask service 12") and
 * the field. A price billsync cannot read must never become a price of 0. */
int psa_opt_money(const json_t *o, const char *key, const char *what, money_t *out,
                  struct conn_error *err);
/* err = CONN_BAD_RESPONSE with a formatted message. */
void psa_bad_response(struct conn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A request that got no usable HTTP answer (transport failure, slot wait, budget): NETWORK or
 * TLS from the client's error text. is_write: the outcome is unknown when a request was sent. */
void psa_transport_error(const struct http_response *r, const char *system_label, int is_write,
                         struct conn_error *err);
/* Whether a failed write may have been carried out anyway: no answer after sending, a
 * gateway timeout, or a server error without the PSA's own error body. */
int psa_write_outcome_unknown(const struct http_response *r, int remote_error_parsed);

/* How a PSA reads its own error bodies: its words into buf (-1 when there are none), and the
 * kind and hint of a failure status with those words. */
struct psa_error_reader {
    const char *label;            /* "Autotask": names the PSA in messages */
    int (*text)(const json_t *doc, char *buf, size_t n);
    enum conn_error_kind (*kind)(long status, const char *text, const char **hint);
};
/* err from a failed request: a transport error, or the PSA's own words (else "<label> answered
 * <what> with HTTP n and no error message") with the reader's kind and hint; a write whose
 * outcome is unknown is marked maybe_committed. Returns 1 when the body held the PSA's words. */
int psa_fail(const struct psa_error_reader *rd, const struct http_response *r, int is_write,
             const char *what, struct conn_error *err);

/* The budget every worker and host shares for one PSA instance (an Autotask database as its API
 * user reaches it, a ConnectWise company on its site): the HTTP gate of the connector's client.
 * NULL when the connection shares nothing (tools). g must outlive the client. */
struct psa_gate {
    struct http_gate gate;
    const struct conn *c;
    char instance[190];           /* "autotask:<host>:<user>", lower case */
};
const struct http_gate *psa_gate_init(struct psa_gate *g, const struct conn *c, const char *system,
                                      const char *host, const char *who);

#endif
