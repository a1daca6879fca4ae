/* sessions.h: sign-in sessions (hashed ids) and their flash messages. */
#ifndef BILLSYNC_DB_SESSIONS_H
#define BILLSYNC_DB_SESSIONS_H

#include "db/db.h"

struct session_row {
    long long tenant_id, user_id;
    char email[255], role[16], csrf[44], tenant_name[201];
    int mfa_ok, disabled;
    long long age_s, idle_s;
};

/* 1 found, 0 not, -1 error. */
int sessions_find(db_t *db, const char *id_hash, struct session_row *out);
int sessions_insert(db_t *db, const char *id_hash, long long tenant_id, long long user_id,
                    const char *csrf, int mfa_ok, int lifetime_s, const char *ip);
int sessions_delete(db_t *db, const char *id_hash);
int sessions_touch(db_t *db, const char *id_hash);
int sessions_set_mfa_ok(db_t *db, long long tenant_id, const char *id_hash);
int sessions_end_user(db_t *db, long long tenant_id, long long user_id);
/* Every session of the user but keep_hash (after a password change). */
int sessions_end_others(db_t *db, long long tenant_id, long long user_id, const char *keep_hash);
int sessions_set_flash(db_t *db, long long tenant_id, const char *id_hash, const char *msg);
/* The flash, removed; malloc'd or NULL. */
char *sessions_take_flash(db_t *db, const char *id_hash);

#endif
