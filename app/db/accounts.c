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

int user_change_password(db_t *db, long long tenant_id, long long user_id, const char *hash,
                         const char *keep_session_hash)
{
    if (user_set_password(db, tenant_id, user_id, hash) < 0 ||
        db_exec(db,
                "UPDATE password_tokens SET used_at = UTC_TIMESTAMP(6)"
                " WHERE tenant_id = ? AND user_id = ? AND used_at IS NULL",
                DB_PARAMS(DB_INT(tenant_id), DB_INT(user_id)), NULL, NULL) < 0)
        return -1;
    if (keep_session_hash)
        return db_exec(db, "DELETE FROM sessions WHERE tenant_id = ? AND user_id = ? AND id_hash <> ?",
                       DB_PARAMS(DB_INT(tenant_id), DB_INT(user_id), DB_STR(keep_session_hash)),
                       NULL, NULL);
    return db_exec(db, "DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(user_id)), NULL, NULL);
}

struct pw_change {
    long long tenant_id, user_id;
    const char *hash, *keep;
};

static int pw_change_txn(db_t *db, void *vctx)
{
    const struct pw_change *c = vctx;
    return user_change_password(db, c->tenant_id, c->user_id, c->hash, c->keep);
}

int user_change_password_txn(db_t *db, long long tenant_id, long long user_id, const char *hash,
                             const char *keep_session_hash)
{
    struct pw_change c = {tenant_id, user_id, hash, keep_session_hash};
    return db_txn(db, pw_change_txn, &c) == 0 ? 0 : -1;
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

int tenant_requires_2fa(db_t *db, long long tenant_id)
{
    long long v = 0;
    return db_scalar(db, "SELECT require_2fa FROM tenants WHERE id = ?", DB_PARAMS(DB_INT(tenant_id)), &v) == 1 && v;
}

int tenant_set_requires_2fa(db_t *db, long long tenant_id, int on)
{
    return db_exec(db, "UPDATE tenants SET require_2fa = ? WHERE id = ?",
                   DB_PARAMS(DB_INT(on), DB_INT(tenant_id)), NULL, NULL);
}

int tenant_time_zone(db_t *db, long long tenant_id, char *out, size_t n)
{
    struct dbrows r;
    snprintf(out, n, "UTC");
    if (db_query(db, "SELECT time_zone FROM tenants WHERE id = ?", DB_PARAMS(DB_INT(tenant_id)), &r) < 0)
        return -1;
    if (r.nrows)
        snprintf(out, n, "%s", dbrows_get(&r, 0, 0));
    dbrows_free(&r);
    return 0;
}

int tenant_set_time_zone(db_t *db, long long tenant_id, const char *zone)
{
    return db_exec(db, "UPDATE tenants SET time_zone = ? WHERE id = ?", DB_PARAMS(DB_STR(zone), DB_INT(tenant_id)),
                   NULL, NULL) < 0 ? -1 : 0;
}

int user_accept_totp_step(db_t *db, long long tenant_id, long long user_id, long long step)
{
    uint64_t affected = 0;
    /* Conditional on the stored step: of two requests racing with one code, one wins. */
    if (db_exec(db,
                "UPDATE users SET totp_last_step = ? WHERE tenant_id = ? AND id = ? AND totp_last_step < ?",
                DB_PARAMS(DB_INT(step), DB_INT(tenant_id), DB_INT(user_id), DB_INT(step)), &affected, NULL) < 0)
        return -1;
    return affected == 1;
}

int user_totp_set_pending(db_t *db, long long tenant_id, long long user_id, const char *sealed)
{
    return db_exec(db, "UPDATE users SET totp_secret = ?, totp_last_step = 0 WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_STR(sealed), DB_INT(tenant_id), DB_INT(user_id)), NULL, NULL);
}

int user_totp_enable(db_t *db, long long tenant_id, long long user_id)
{
    return db_exec(db, "UPDATE users SET totp_enabled = 1 WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(user_id)), NULL, NULL);
}

int user_totp_disable(db_t *db, long long tenant_id, long long user_id)
{
    return db_exec(db,
                   "UPDATE users SET totp_enabled = 0, totp_secret = NULL, totp_last_step = 0"
                   " WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(user_id)), NULL, NULL);
}

static void user_item_fill(const struct dbrows *r, int i, void *p)
{
    struct user_item *u = p;
    u->id = dbrows_int(r, i, 0, 0);
    u->id_text = dbrows_get(r, i, 0);
    u->email = dbrows_get(r, i, 1);
    u->name = dbrows_get(r, i, 2);
    u->role = dbrows_get(r, i, 3);
    u->disabled = dbrows_get(r, i, 4);
    u->totp = dbrows_get(r, i, 5);
    u->invited = dbrows_get(r, i, 6);
    u->created = dbrows_get(r, i, 7);
}

int users_list(db_t *db, long long tenant_id, struct user_item_list *out)
{
    return DB_LIST_QUERY(db, out, user_item_fill,
                         "SELECT id, email, name, role, disabled, totp_enabled, password_hash IS NULL,"
                         " DATE_FORMAT(created_at, '%Y-%m-%d') FROM users WHERE tenant_id = ? ORDER BY email",
                         DB_PARAMS(DB_INT(tenant_id)));
}

void email_fill(const struct dbrows *r, int i, void *record)
{
    ((struct email_row *)record)->email = dbrows_get(r, i, 0);
}

int users_emails(db_t *db, long long tenant_id, struct email_list *out)
{
    return DB_LIST_QUERY(db, out, email_fill, "SELECT email FROM users WHERE tenant_id = ? ORDER BY email",
                         DB_PARAMS(DB_INT(tenant_id)));
}
