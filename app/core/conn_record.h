/* conn_record.h: one configured connection as a connector receives it: ids, system, settings
 * with the credentials decrypted. The database fills it (db/connections.h connection_open);
 * the connectors read it (connectors/conn.h conn_setting). A record only: no I/O here. */
#ifndef BILLSYNC_CORE_CONN_RECORD_H
#define BILLSYNC_CORE_CONN_RECORD_H

struct json_t;                    /* jansson's json_t */

/* One configured connection of a tenant: the system's name, its settings and credentials
 * (decrypted JSON object, owned by the caller), and where the process keeps per-host
 * concurrency slots. */
struct conn {
    long long id, tenant_id;
    const char *system;           /* "autotask", "connectwise", "interworks", ... */
    struct json_t *settings;      /* credentials + options, system-specific keys */
    const char *slot_dir;         /* for the cross-process concurrency caps */
};

#endif
