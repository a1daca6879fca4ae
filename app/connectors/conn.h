/* conn.h: what every connector shares: the connection it talks through (struct conn,
 * core/conn_record.h: credentials already decrypted, as JSON) and the error it reports (the
 * remote's own words plus a plain hint). */
#ifndef BILLSYNC_CONNECTORS_CONN_H
#define BILLSYNC_CONNECTORS_CONN_H

#include "core/conn_record.h"

#include <jansson.h>

enum conn_error_kind {
    CONN_OK = 0,
    CONN_AUTH,                    /* credentials refused */
    CONN_NETWORK,                 /* host unreachable, reset, timeout */
    CONN_TLS,                     /* certificate or handshake */
    CONN_THROTTLED,               /* 429, thread limit, hourly threshold: retry later */
    CONN_NOT_FOUND,
    CONN_REJECTED,                /* the remote refused the data (validation, rules) */
    CONN_BAD_RESPONSE,            /* empty, truncated, non-JSON or missing a required field */
    CONN_CONFIG,                  /* a setting of the connection is missing or invalid */
};

struct conn_error {
    enum conn_error_kind kind;
    int http_status;              /* 0 when no response */
    char message[600];            /* the remote's own error text, or the transport's */
    char hint[240];               /* what a person can do about it, in plain words */
    int retryable;                /* a later attempt may succeed as is */
    int maybe_committed;          /* a write whose outcome is unknown (re-read before retrying) */
    int held_back;                /* billsync's own budget held the call: nothing reached the remote */
};

void conn_error_set(struct conn_error *e, enum conn_error_kind kind, int http_status,
                    const char *message, const char *hint);
const char *conn_error_kind_name(enum conn_error_kind kind);
/* A setting as a string ("" when absent): the connectors' only way to read their config. */
const char *conn_setting(const struct conn *c, const char *key);

#endif
