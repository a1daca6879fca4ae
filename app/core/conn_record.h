/* conn_record.h: one configured connection as a connector receives it: ids, system, settings
 * with the credentials decrypted. The database fills it (db/connections.h connection_open);
 * the connectors read it (connectors/conn.h conn_setting). A record only: no I/O here. */
#ifndef BILLSYNC_CORE_CONN_RECORD_H
#define BILLSYNC_CORE_CONN_RECORD_H

#include <stddef.h>

struct json_t;                    /* jansson's json_t */

/* One configured connection of a tenant: the system's name, its settings and credentials
 * (decrypted JSON object, owned by the caller), and where the process keeps per-host
 * concurrency slots. */
struct conn {
    long long id, tenant_id;
    const char *system;           /* "autotask", "connectwise", "interworks", ... */
    struct json_t *settings;      /* credentials + options, system-specific keys */
    const char *slot_dir;         /* for the cross-process concurrency caps */
    const struct conn_shared *shared; /* NULL: nothing shared (a connector run alone, in tools) */
    void *shared_ctx;             /* the database behind it (owned by connection_open/close) */
};

/* What a connection shares with every worker process and host, through the database
 * (db/conn_shared.c installs it when a connection is opened): the connectors stay free of the
 * database. Every function may be skipped when c->shared is NULL. */
struct conn_shared {
    /* A value kept earlier for this connection (an access token, a zone address): 1 and copied
     * into buf, 0 when none is kept or it expired. */
    int (*get)(const struct conn *c, const char *key, char *buf, size_t n);
    /* Keeps value for ttl_s seconds (sealed with the secret key: a token is a credential). */
    void (*put)(const struct conn *c, const char *key, const char *value, long ttl_s);
    /* Before each call to a PSA instance ("autotask:<host>:<user>"): 0 go; > 0 wait that many
     * milliseconds, then ask again (a shared pause after a 429); < 0 refused: billsync's share of
     * the instance's hourly cap is used (why says so, with when it frees). Counts the call. */
    long (*call_begin)(const struct conn *c, const char *instance, char *why, size_t n);
    /* After a call the PSA throttled: every worker pauses for retry_after_s. */
    void (*call_throttled)(const struct conn *c, const char *instance, long retry_after_s);
    /* 1 when this process should ask the PSA for its own count now (Autotask
     * ThresholdInformation; one worker at a time, every psa.threshold_check_seconds). */
    int (*count_due)(const struct conn *c, const char *instance);
    /* The PSA's hourly cap and its count of every integration's calls in the current hour. */
    void (*count_report)(const struct conn *c, const char *instance, long cap, long used);
};

#endif
