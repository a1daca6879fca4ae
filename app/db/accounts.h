/* accounts.h: tenants and users (the only SQL for them). */
#ifndef BILLSYNC_DB_ACCOUNTS_H
#define BILLSYNC_DB_ACCOUNTS_H

#include "db/db.h"

struct user {
    long long id, tenant_id;
    char email[255];
    char name[201];
    char role[16];
    char password_hash[256];
    int disabled;
    char totp_secret[300];        /* sealed (crypto_seal) base32 secret, or empty */
    int totp_enabled;
    long long totp_last_step;
};

/* Returns the new (or existing, when the name is taken) tenant id via *id: 1 created,
 * 0 existed, -1 error. */
int tenant_ensure(db_t *db, const char *name, const char *time_zone, long long *id);
int tenant_find(db_t *db, const char *name_or_id, long long *id);

/* 1 found, 0 not, -1 error. E-mail addresses are unique across all tenants (login needs
 * no tenant picker), compared case-insensitively. */
int user_find_by_email(db_t *db, const char *email, struct user *u);
int user_find(db_t *db, long long tenant_id, long long user_id, struct user *u);
/* Creates a user (password_hash may be NULL for an invited user); -1 with errno 1062 in
 * db_errno when the e-mail is taken. */
int user_create(db_t *db, long long tenant_id, const char *email, const char *name,
                const char *role, const char *password_hash, long long *id);
/* The stored hash only (a rehash at sign-in with new cost parameters). */
int user_set_password(db_t *db, long long tenant_id, long long user_id, const char *hash);
/* A new password: every outstanding reset and invite link of the user stops working and every
 * session ends but keep_session_hash's (NULL: all of them). Run it inside a transaction. */
int user_change_password(db_t *db, long long tenant_id, long long user_id, const char *hash,
                         const char *keep_session_hash);
/* The same in a transaction of its own. */
int user_change_password_txn(db_t *db, long long tenant_id, long long user_id, const char *hash,
                             const char *keep_session_hash);
int user_set_role(db_t *db, long long tenant_id, long long user_id, const char *role);
int user_set_disabled(db_t *db, long long tenant_id, long long user_id, int disabled);
/* Enabled admins of a tenant. */
int user_count_admins(db_t *db, long long tenant_id, long long *n);

/* The tenant's "require two-factor" setting (0/1; 0 on error), and setting it. */
int tenant_requires_2fa(db_t *db, long long tenant_id);
int tenant_set_requires_2fa(db_t *db, long long tenant_id, int on);
int tenant_time_zone(db_t *db, long long tenant_id, char *out, size_t n);
/* The caller checks the name (common/tzdate.h tz_valid). */
int tenant_set_time_zone(db_t *db, long long tenant_id, const char *zone);
/* Records that the TOTP code of time step `step` was used; 1 when it was newer than the last
 * one (accepted), 0 when not (a replay), -1 error. */
int user_accept_totp_step(db_t *db, long long tenant_id, long long user_id, long long step);
int user_totp_set_pending(db_t *db, long long tenant_id, long long user_id, const char *sealed);
int user_totp_enable(db_t *db, long long tenant_id, long long user_id);
int user_totp_disable(db_t *db, long long tenant_id, long long user_id);
/* The tenant's users as listed: flags as "0"/"1", invited = no password yet, created
 * "YYYY-MM-DD". */
struct user_item {
    long long id;
    const char *id_text, *email, *name, *role, *disabled, *totp, *invited, *created;
};
DB_LIST(user_item_list, struct user_item);
int users_list(db_t *db, long long tenant_id, struct user_item_list *out);
/* An e-mail address per row. */
struct email_row {
    const char *email;
};
DB_LIST(email_list, struct email_row);
void email_fill(const struct dbrows *r, int i, void *record);
/* email of every user, for filters. */
int users_emails(db_t *db, long long tenant_id, struct email_list *out);

#endif
