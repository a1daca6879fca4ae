/* sessions.c: sign-in sessions (hashed ids) and their flash messages. */
#include "db/sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sessions_find(db_t *db, const char *id_hash, struct session_row *out)
{
    struct dbrows r;
    if (db_query(db,
                 "SELECT s.tenant_id, s.user_id, u.email, u.role, s.csrf_token, s.mfa_ok, t.name,"
                 " TIMESTAMPDIFF(SECOND, s.created_at, UTC_TIMESTAMP(6)),"
                 " TIMESTAMPDIFF(SECOND, s.last_seen_at, UTC_TIMESTAMP(6)), u.disabled"
                 " FROM sessions s JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id"
                 " JOIN tenants t ON t.id = s.tenant_id WHERE s.id_hash = ?",
                 DB_PARAMS(DB_STR(id_hash)), &r) < 0)
        return -1;
    int found = r.nrows > 0;
    if (found) {
        memset(out, 0, sizeof *out);
        out->tenant_id = dbrows_int(&r, 0, 0, 0);
        out->user_id = dbrows_int(&r, 0, 1, 0);
        snprintf(out->email, sizeof out->email, "%s", dbrows_get(&r, 0, 2));
        snprintf(out->role, sizeof out->role, "%s", dbrows_get(&r, 0, 3));
        snprintf(out->csrf, sizeof out->csrf, "%s", dbrows_get(&r, 0, 4));
        out->mfa_ok = (int)dbrows_int(&r, 0, 5, 0);
        snprintf(out->tenant_name, sizeof out->tenant_name, "%s", dbrows_get(&r, 0, 6));
        out->age_s = dbrows_int(&r, 0, 7, 0);
        out->idle_s = dbrows_int(&r, 0, 8, 0);
        out->disabled = (int)dbrows_int(&r, 0, 9, 1);
    }
    dbrows_free(&r);
    return found;
}

int sessions_insert(db_t *db, const char *id_hash, long long tenant_id, long long user_id,
                    const char *csrf, int mfa_ok, int lifetime_s, const char *ip)
{
    return db_exec(db,
                   "INSERT INTO sessions (id_hash, tenant_id, user_id, csrf_token, mfa_ok, expires_at, ip)"
                   " VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND, ?)",
                   DB_PARAMS(DB_STR(id_hash), DB_INT(tenant_id), DB_INT(user_id), DB_STR(csrf),
                             DB_INT(mfa_ok), DB_INT(lifetime_s), DB_STR(ip)),
                   NULL, NULL);
}

int sessions_delete(db_t *db, const char *id_hash)
{
    return db_exec(db, "DELETE FROM sessions WHERE id_hash = ?", DB_PARAMS(DB_STR(id_hash)), NULL, NULL);
}

int sessions_touch(db_t *db, const char *id_hash)
{
    return db_exec(db, "UPDATE sessions SET last_seen_at = UTC_TIMESTAMP(6) WHERE id_hash = ?",
                   DB_PARAMS(DB_STR(id_hash)), NULL, NULL);
}

int sessions_set_mfa_ok(db_t *db, long long tenant_id, const char *id_hash)
{
    return db_exec(db, "UPDATE sessions SET mfa_ok = 1 WHERE id_hash = ? AND tenant_id = ?",
                   DB_PARAMS(DB_STR(id_hash), DB_INT(tenant_id)), NULL, NULL);
}

int sessions_end_user(db_t *db, long long tenant_id, long long user_id)
{
    return db_exec(db, "DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(user_id)), NULL, NULL);
}

int sessions_end_others(db_t *db, long long tenant_id, long long user_id, const char *keep_hash)
{
    return db_exec(db, "DELETE FROM sessions WHERE tenant_id = ? AND user_id = ? AND id_hash <> ?",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(user_id), DB_STR(keep_hash)), NULL, NULL);
}

int sessions_set_flash(db_t *db, long long tenant_id, const char *id_hash, const char *msg)
{
    return db_exec(db, "UPDATE sessions SET flash = ? WHERE id_hash = ? AND tenant_id = ?",
                   DB_PARAMS(DB_STR(msg), DB_STR(id_hash), DB_INT(tenant_id)), NULL, NULL);
}

char *sessions_take_flash(db_t *db, const char *id_hash)
{
    struct dbrows r;
    if (db_query(db, "SELECT flash FROM sessions WHERE id_hash = ? AND flash IS NOT NULL",
                 DB_PARAMS(DB_STR(id_hash)), &r) < 0)
        return NULL;
    char *msg = r.nrows ? strdup(dbrows_get(&r, 0, 0)) : NULL;
    dbrows_free(&r);
    if (msg)
        db_exec(db, "UPDATE sessions SET flash = NULL WHERE id_hash = ?", DB_PARAMS(DB_STR(id_hash)), NULL, NULL);
    return msg;
}
