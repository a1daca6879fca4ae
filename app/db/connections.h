/* connections.h: a tenant's PSA and distributor connections. Non-secret settings are stored
 * as JSON; secret fields are sealed with the installation key and never read back out to a
 * page. */
#ifndef BILLSYNC_DB_CONNECTIONS_H
#define BILLSYNC_DB_CONNECTIONS_H

#include "core/conn_record.h"
#include "db/db.h"

#include <jansson.h>

struct connection_row {
    long long id, tenant_id;
    char kind[8];                 /* psa | source */
    char system[32];
    char name[201];
    json_t *settings;             /* non-secret fields (owned) */
    char *secrets_sealed;         /* owned; NULL when none */
    char status[16];
    char status_message[1001];
    char tested_at[32];
    char refresh_status[16];
    char refresh_message[1001];
    char refreshed_at[32];
};

/* 1 found, 0 not (or another tenant's: same answer), -1 error. */
int connection_get(db_t *db, long long tenant_id, long long id, struct connection_row *out);
void connection_row_free(struct connection_row *r);
/* Inserts (id 0) or updates; secrets_sealed NULL keeps the stored secrets on update. */
int connection_save(db_t *db, long long tenant_id, long long *id, const char *kind,
                    const char *system, const char *name, const char *settings_json,
                    const char *secrets_sealed);
int connection_delete(db_t *db, long long tenant_id, long long id);
/* The id of the tenant's connection called name: 1 found, 0 none (*id untouched), -1 error. */
int connection_id_by_name(db_t *db, long long tenant_id, const char *name, long long *id);
/* The tenant of connection id (of kind "psa"/"source", NULL any), for the operator's CLI,
 * which names connections by id alone: 1 found, 0 none, -1 error. */
int connection_tenant(db_t *db, long long id, const char *kind, long long *tenant_id);
/* The tenant's source connections read through an API (CSV ones are uploaded). */
struct api_source {
    long long id;
    const char *name;
};
DB_LIST(api_source_list, struct api_source);
int connections_api_sources(db_t *db, long long tenant_id, struct api_source_list *out);
int connection_set_status(db_t *db, long long tenant_id, long long id, int ok, const char *message);

/* Loads a connection ready for a connector: settings and decrypted secrets merged into
 * c->settings (free with connection_close). 1 ok, 0 not found, -1 error (err says why). */
int connection_open(db_t *db, const unsigned char *key, long long tenant_id, long long id,
                    const char *slot_dir, struct conn *c, char system[32], char *err, size_t errlen);
void connection_close(struct conn *c);

/* The tenant's connections as listed (tested "YYYY-MM-DD HH:MM UTC" or ""). */
struct connection_item {
    const char *id, *kind, *system, *name, *status, *message, *tested;
};
DB_LIST(connection_item_list, struct connection_item);
int connections_list(db_t *db, long long tenant_id, struct connection_item_list *out);
/* The last 10 uploads (at "YYYY-MM-DD HH:MM UTC"). */
struct csv_import_item {
    const char *file, *status;
    const char *rows;             /* rows_total as text */
    const char *message, *at, *connection;
    long long rows_total, rows_done;
};
DB_LIST(csv_import_item_list, struct csv_import_item);
int csv_imports_recent(db_t *db, long long tenant_id, struct csv_import_item_list *out);

#endif
