/* accounts.c: tenants and users (the only SQL for them). */
#include "db/accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tenant_ensure(db_t *db, const char *name, const char *time_zone, long long *id)
{
    int found = db_scalar(db, "SELECT id FROM tenants WHERE name = ?", DB_PARAMS(DB_STR(name)), id);
    if (found != 0)
        return found < 0 ? -1 : 0;
    uint64_t nid = 0;
    if (db_exec(db, "INSERT INTO tenants (name, time_zone) VALUES (?, ?)",
                DB_PARAMS(DB_STR(name), DB_STR(time_zone ? time_zone : "UTC")), NULL, &nid) < 0)
        return -1;
    *id = (long long)nid;
    return 1;
}

int tenant_find(db_t *db, const char *name_or_id, long long *id)
{
    char *end;
    long long v = strtoll(name_or_id, &end, 10);
    if (*name_or_id && !*end)
        return db_scalar(db, "SELECT id FROM tenants WHERE id = ?", DB_PARAMS(DB_INT(v)), id);
    return db_scalar(db, "SELECT id FROM tenants WHERE name = ?", DB_PARAMS(DB_STR(name_or_id)), id);
}

#define USER_COLS "id, tenant_id, email, name, role, password_hash, disabled, totp_secret," \
                  " totp_enabled, totp_last_step"

static int load_user(const struct dbrows *r, struct user *u)
{
    if (r->nrows == 0)
        return 0;
    memset(u, 0, sizeof *u);
    u->id = dbrows_int(r, 0, 0, 0);
    u->tenant_id = dbrows_int(r, 0, 1, 0);
    snprintf(u->email, sizeof u->email, "%s", dbrows_get(r, 0, 2));
    snprintf(u->name, sizeof u->name, "%s", dbrows_get(r, 0, 3) ? dbrows_get(r, 0, 3) : "");
    snprintf(u->role, sizeof u->role, "%s", dbrows_get(r, 0, 4));
    const char *h = dbrows_get(r, 0, 5);
    snprintf(u->password_hash, sizeof u->password_hash, "%s", h ? h : "");
    u->disabled = (int)dbrows_int(r, 0, 6, 0);
    const char *t = dbrows_get(r, 0, 7);
    snprintf(u->totp_secret, sizeof u->totp_secret, "%s", t ? t : "");
    u->totp_enabled = (int)dbrows_int(r, 0, 8, 0);
    u->totp_last_step = dbrows_int(r, 0, 9, 0);
    return 1;
}

int user_find_by_email(db_t *db, const char *email, struct user *u)
{
    struct dbrows r;
    if (db_query(db, "SELECT " USER_COLS " FROM users WHERE email = ?", DB_PARAMS(DB_STR(email)),
                 &r) < 0)
        return -1;
    int found = load_user(&r, u);
    dbrows_free(&r);
    return found;
}

int user_find(db_t *db, long long tenant_id, long long user_id, struct user *u)
{
    struct dbrows r;
    if (db_query(db, "SELECT " USER_COLS " FROM users WHERE tenant_id = ? AND id = ?",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(user_id)), &r) < 0)
        return -1;
    int found = load_user(&r, u);
    dbrows_free(&r);
    return found;
}

int user_create(db_t *db, long long tenant_id, const char *email, const char *name,
                const char *role, const char *password_hash, long long *id)
{
    uint64_t nid = 0;
    if (db_exec(db,
                "INSERT INTO users (tenant_id, email, name, role, password_hash) VALUES (?, ?, ?, ?, ?)",
                DB_PARAMS(DB_INT(tenant_id), DB_STR(email), DB_STR(name ? name : ""), DB_STR(role),
                          DB_STR(password_hash)),
                NULL, &nid) < 0)
        return -1;
    if (id)
        *id = (long long)nid;
    return 0;
}

int user_set_password(db_t *db, long long tenant_id, long long user_id, const char *hash)
{
    return db_exec(db,
                   "UPDATE users SET password_hash = ?, updated_at = UTC_TIMESTAMP(6)"
                   " WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_STR(hash), DB_INT(tenant_id), DB_INT(user_id)), NULL, NULL);
}

int user_set_role(db_t *db, long long tenant_id, long long user_id, const char *role)
{
    return db_exec(db,
                   "UPDATE users SET role = ?, updated_at = UTC_TIMESTAMP(6)"
                   " WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_STR(role), DB_INT(tenant_id), DB_INT(user_id)), NULL, NULL);
}

int user_set_disabled(db_t *db, long long tenant_id, long long user_id, int disabled)
{
    return db_exec(db,
                   "UPDATE users SET disabled = ?, updated_at = UTC_TIMESTAMP(6)"
                   " WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_INT(disabled), DB_INT(tenant_id), DB_INT(user_id)), NULL, NULL);
}

int user_count_admins(db_t *db, long long tenant_id, long long *n)
{
    return db_scalar(db,
                     "SELECT COUNT(*) FROM users WHERE tenant_id = ? AND role = 'admin' AND disabled = 0",
                     DB_PARAMS(DB_INT(tenant_id)), n) < 0 ? -1 : 0;
}
