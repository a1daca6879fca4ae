/* connections.c: a tenant's PSA and distributor connections (see connections.h). */
#include "db/connections.h"

#include "common/crypto.h"
#include "db/conn_shared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src ? src : ""); }

int connection_get(db_t *db, long long tenant_id, long long id, struct connection_row *out)
{
    struct dbrows r;
    memset(out, 0, sizeof *out);
    if (db_query(db,
                 "SELECT id, tenant_id, kind, system, name, settings, secrets, status, status_message,"
                 " COALESCE(DATE_FORMAT(tested_at, '%Y-%m-%d %H:%i UTC'), ''), refresh_status,"
                 " refresh_message, COALESCE(DATE_FORMAT(refreshed_at, '%Y-%m-%d %H:%i UTC'), '')"
                 " FROM connections WHERE tenant_id = ? AND id = ?",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(id)), &r) < 0)
        return -1;
    if (r.nrows == 0) {
        dbrows_free(&r);
        return 0;
    }
    out->id = dbrows_int(&r, 0, 0, 0);
    out->tenant_id = dbrows_int(&r, 0, 1, 0);
    copy(out->kind, sizeof out->kind, dbrows_get(&r, 0, 2));
    copy(out->system, sizeof out->system, dbrows_get(&r, 0, 3));
    copy(out->name, sizeof out->name, dbrows_get(&r, 0, 4));
    json_error_t jerr;
    out->settings = json_loads(dbrows_get(&r, 0, 5), 0, &jerr);
    if (!json_is_object(out->settings)) {
        json_decref(out->settings);
        out->settings = json_object();
    }
    const char *sec = dbrows_get(&r, 0, 6);
    out->secrets_sealed = sec ? strdup(sec) : NULL;
    copy(out->status, sizeof out->status, dbrows_get(&r, 0, 7));
    copy(out->status_message, sizeof out->status_message, dbrows_get(&r, 0, 8));
    copy(out->tested_at, sizeof out->tested_at, dbrows_get(&r, 0, 9));
    copy(out->refresh_status, sizeof out->refresh_status, dbrows_get(&r, 0, 10));
    copy(out->refresh_message, sizeof out->refresh_message, dbrows_get(&r, 0, 11));
    copy(out->refreshed_at, sizeof out->refreshed_at, dbrows_get(&r, 0, 12));
    dbrows_free(&r);
    return 1;
}

void connection_row_free(struct connection_row *r)
{
    json_decref(r->settings);
    free(r->secrets_sealed);
    r->settings = NULL;
    r->secrets_sealed = NULL;
}

int connection_save(db_t *db, long long tenant_id, long long *id, const char *kind,
                    const char *system, const char *name, const char *settings_json,
                    const char *secrets_sealed)
{
    if (*id == 0) {
        uint64_t nid = 0;
        if (db_exec(db,
                    "INSERT INTO connections (tenant_id, kind, system, name, settings, secrets)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    DB_PARAMS(DB_INT(tenant_id), DB_STR(kind), DB_STR(system), DB_STR(name),
                              DB_STR(settings_json), DB_STR(secrets_sealed)),
                    NULL, &nid) < 0)
            return -1;
        *id = (long long)nid;
        return 0;
    }
    /* Changed credentials have not been tested yet; tokens and zones of the old ones are void. */
    if (conn_shared_forget(db, tenant_id, *id) < 0)
        return -1;
    return db_exec(db,
                   "UPDATE connections SET name = ?, settings = ?, secrets = COALESCE(?, secrets),"
                   " status = 'untested', status_message = '', updated_at = UTC_TIMESTAMP(6)"
                   " WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_STR(name), DB_STR(settings_json), DB_STR(secrets_sealed),
                             DB_INT(tenant_id), DB_INT(*id)),
                   NULL, NULL);
}

int connection_delete(db_t *db, long long tenant_id, long long id)
{
    return db_exec(db, "DELETE FROM connections WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(id)), NULL, NULL);
}

int connection_set_status(db_t *db, long long tenant_id, long long id, int ok, const char *message)
{
    return db_exec(db,
                   "UPDATE connections SET status = ?, status_message = ?, tested_at = UTC_TIMESTAMP(6)"
                   " WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_STR(ok ? "ok" : "failed"), DB_STR(message), DB_INT(tenant_id),
                             DB_INT(id)),
                   NULL, NULL);
}

int connection_open(db_t *db, const unsigned char *key, long long tenant_id, long long id,
                    const char *slot_dir, struct conn *c, char system[32], char *err, size_t errlen)
{
    struct connection_row row;
    memset(c, 0, sizeof *c);
    int found = connection_get(db, tenant_id, id, &row);
    if (found <= 0) {
        if (found < 0)
            snprintf(err, errlen, "database error: %s", db_error(db));
        else
            snprintf(err, errlen, "no connection %lld", id);
        return found;
    }
    json_t *all = json_copy(row.settings);
    if (row.secrets_sealed) {
        char *plain = NULL;
        size_t len = 0;
        if (!key || crypto_open(key, row.secrets_sealed, &plain, &len) < 0) {
            snprintf(err, errlen, "the stored credentials cannot be decrypted (was the secret key "
                                  "changed?); enter them again");
            json_decref(all);
            connection_row_free(&row);
            return -1;
        }
        json_error_t jerr;
        json_t *sec = json_loads(plain, 0, &jerr);
        crypto_free_secret(plain, len);
        if (json_is_object(sec))
            json_object_update(all, sec);
        json_decref(sec);
    }
    snprintf(system, 32, "%s", row.system);
    c->id = row.id;
    c->tenant_id = row.tenant_id;
    c->system = system;
    c->settings = all;
    c->slot_dir = slot_dir;
    connection_row_free(&row);
    conn_shared_attach(c, db, key); /* without it (out of memory) the connector shares nothing */
    return 1;
}

void connection_close(struct conn *c)
{
    /* The merged object holds decrypted secrets: wipe the strings before freeing. */
    const char *k;
    json_t *v;
    json_object_foreach(c->settings, k, v)
    {
        if (json_is_string(v)) {
            size_t n = json_string_length(v);
            sodium_memzero((char *)json_string_value(v), n);
        }
    }
    json_decref(c->settings);
    c->settings = NULL;
    conn_shared_detach(c);
}

static void connection_item_fill(const struct dbrows *r, int i, void *p)
{
    struct connection_item *c = p;
    c->id = dbrows_get(r, i, 0);
    c->kind = dbrows_get(r, i, 1);
    c->system = dbrows_get(r, i, 2);
    c->name = dbrows_get(r, i, 3);
    c->status = dbrows_get(r, i, 4);
    c->message = dbrows_get(r, i, 5);
    c->tested = dbrows_get(r, i, 6);
}

int connections_list(db_t *db, long long tenant_id, struct connection_item_list *out)
{
    return DB_LIST_QUERY(db, out, connection_item_fill,
                         "SELECT id, kind, system, name, status, status_message,"
                         " COALESCE(DATE_FORMAT(tested_at, '%Y-%m-%d %H:%i UTC'), '')"
                         " FROM connections WHERE tenant_id = ? ORDER BY kind, name, id",
                         DB_PARAMS(DB_INT(tenant_id)));
}

static void csv_import_item_fill(const struct dbrows *r, int i, void *p)
{
    struct csv_import_item *c = p;
    c->file = dbrows_get(r, i, 0);
    c->status = dbrows_get(r, i, 1);
    c->rows = dbrows_get(r, i, 2);
    c->rows_total = dbrows_int(r, i, 2, 0);
    c->message = dbrows_get(r, i, 3);
    c->at = dbrows_get(r, i, 4);
    c->connection = dbrows_get(r, i, 5);
    c->rows_done = dbrows_int(r, i, 6, 0);
}

int csv_imports_recent(db_t *db, long long tenant_id, struct csv_import_item_list *out)
{
    return DB_LIST_QUERY(db, out, csv_import_item_fill,
                         "SELECT i.file_name, i.status, i.rows_total, i.message,"
                         " DATE_FORMAT(i.created_at, '%Y-%m-%d %H:%i UTC'), c.name, i.rows_done"
                         " FROM csv_imports i JOIN connections c ON c.id = i.connection_id AND c.tenant_id = i.tenant_id"
                         " WHERE i.tenant_id = ? ORDER BY i.id DESC LIMIT 10",
                         DB_PARAMS(DB_INT(tenant_id)));
}

static void api_source_fill(const struct dbrows *r, int i, void *p)
{
    struct api_source *s = p;
    s->id = dbrows_int(r, i, 0, 0);
    s->name = dbrows_get(r, i, 1);
}

int connections_api_sources(db_t *db, long long tenant_id, struct api_source_list *out)
{
    return DB_LIST_QUERY(db, out, api_source_fill,
                         "SELECT id, name FROM connections WHERE tenant_id = ? AND kind = 'source' AND system <> 'csv'"
                         " ORDER BY id",
                         DB_PARAMS(DB_INT(tenant_id)));
}

int connection_id_by_name(db_t *db, long long tenant_id, const char *name, long long *id)
{
    return db_scalar(db, "SELECT id FROM connections WHERE tenant_id = ? AND name = ?",
                     DB_PARAMS(DB_INT(tenant_id), DB_STR(name)), id);
}

int connection_tenant(db_t *db, long long id, const char *kind, long long *tenant_id)
{
    if (kind)
        return db_scalar(db, "SELECT tenant_id FROM connections WHERE id = ? AND kind = ?",
                         DB_PARAMS(DB_INT(id), DB_STR(kind)), tenant_id);
    return db_scalar(db, "SELECT tenant_id FROM connections WHERE id = ?", DB_PARAMS(DB_INT(id)), tenant_id);
}
