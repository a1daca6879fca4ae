/* tokens.c: single-use password tokens (reset and invite), stored hashed. */
#include "db/tokens.h"

#include "common/crypto.h"

#include <string.h>

int token_create(db_t *db, long long tenant_id, long long user_id, const char *purpose,
                 int ttl_s, char raw[44])
{
    char hash[CRYPTO_TOKEN_HASH_LEN + 1];
    if (crypto_token_new(raw, 44) < 0 || crypto_token_hash(raw, hash) < 0)
        return -1;
    return db_exec(db,
                   "INSERT INTO password_tokens (token_hash, tenant_id, user_id, purpose, expires_at)"
                   " VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND)",
                   DB_PARAMS(DB_STR(hash), DB_INT(tenant_id), DB_INT(user_id), DB_STR(purpose),
                             DB_INT(ttl_s)),
                   NULL, NULL);
}

static int hash_of(const char *raw, char hash[CRYPTO_TOKEN_HASH_LEN + 1])
{
    if (!raw || strlen(raw) != CRYPTO_TOKEN_LEN)
        return -1;
    for (const char *p = raw; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return -1;
    return crypto_token_hash(raw, hash);
}

int token_peek(db_t *db, const char *raw, const char *purpose, long long *tenant_id,
               long long *user_id)
{
    char hash[CRYPTO_TOKEN_HASH_LEN + 1];
    if (hash_of(raw, hash) < 0)
        return 0;
    struct dbrows r;
    if (db_query(db,
                 "SELECT tenant_id, user_id FROM password_tokens WHERE token_hash = ? AND purpose = ?"
                 " AND used_at IS NULL AND expires_at > UTC_TIMESTAMP(6)",
                 DB_PARAMS(DB_STR(hash), DB_STR(purpose)), &r) < 0)
        return -1;
    int found = r.nrows == 1;
    if (found) {
        *tenant_id = dbrows_int(&r, 0, 0, 0);
        *user_id = dbrows_int(&r, 0, 1, 0);
    }
    dbrows_free(&r);
    return found;
}

int token_burn(db_t *db, const char *raw, const char *purpose, long long *tenant_id,
               long long *user_id)
{
    int live = token_peek(db, raw, purpose, tenant_id, user_id);
    if (live != 1)
        return live;
    char hash[CRYPTO_TOKEN_HASH_LEN + 1];
    hash_of(raw, hash);
    uint64_t affected = 0;
    /* The WHERE makes it single use even when two requests race with the same token. */
    if (db_exec(db,
                "UPDATE password_tokens SET used_at = UTC_TIMESTAMP(6) WHERE token_hash = ?"
                " AND used_at IS NULL AND expires_at > UTC_TIMESTAMP(6)",
                DB_PARAMS(DB_STR(hash)), &affected, NULL) < 0)
        return -1;
    return affected == 1;
}

int token_last_age(db_t *db, long long tenant_id, long long user_id, const char *purpose,
                   long long *age_s)
{
    int found = db_scalar(db,
                          "SELECT TIMESTAMPDIFF(SECOND, MAX(created_at), UTC_TIMESTAMP(6))"
                          " FROM password_tokens WHERE tenant_id = ? AND user_id = ? AND purpose = ?"
                          " HAVING MAX(created_at) IS NOT NULL",
                          DB_PARAMS(DB_INT(tenant_id), DB_INT(user_id), DB_STR(purpose)), age_s);
    if (found == 0)
        *age_s = -1;
    return found < 0 ? -1 : 0;
}
