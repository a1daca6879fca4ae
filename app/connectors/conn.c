/* conn.c: what every connector shares (see conn.h). */
#include "connectors/conn.h"

#include <stdio.h>
#include <string.h>

void conn_error_set(struct conn_error *e, enum conn_error_kind kind, int http_status,
                    const char *message, const char *hint)
{
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->http_status = http_status;
    snprintf(e->message, sizeof e->message, "%s", message ? message : "");
    snprintf(e->hint, sizeof e->hint, "%s", hint ? hint : "");
    e->retryable = kind == CONN_NETWORK || kind == CONN_THROTTLED;
}

const char *conn_error_kind_name(enum conn_error_kind kind)
{
    static const char *const names[] = {"ok", "auth", "network", "tls", "throttled",
                                        "not_found", "rejected", "bad_response", "config"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

const char *conn_setting(const struct conn *c, const char *key)
{
    const char *v = c && c->settings ? json_string_value(json_object_get(c->settings, key)) : NULL;
    return v ? v : "";
}
