/* throttle.c: failed password guesses over a sliding window, per account and address, per
 * account, and per address (see throttle.h for why three). */
#include "db/throttle.h"

/* Seconds until the count in the window drops below max: the age of the oldest failure
 * that keeps it at max. 0 when under the limit. sql counts the failures that keys[0..nkeys)
 * select (at most two keys). */
static int over_limit(db_t *db, const char *sql, const struct dbv *keys, int nkeys, int max,
                      int window_s, long long *wait_s)
{
    struct dbv p[4];
    for (int i = 0; i < nkeys; i++)
        p[i] = keys[i];
    p[nkeys] = DB_INT(window_s);
    p[nkeys + 1] = DB_INT(max - 1);
    struct dbrows r;
    if (db_query(db, sql, p, nkeys + 2, &r) < 0)
        return -1;
    int over = r.nrows > 0;
    if (over) {
        long long age = dbrows_int(&r, 0, 0, 0);
        long long w = window_s - age;
        *wait_s = w > 1 ? w : 1;
    }
    dbrows_free(&r);
    return over;
}

/* The max-th most recent event inside the window: if it exists, the limit is hit. */
#define NTH_RECENT_IN(table, cond) \
    "SELECT TIMESTAMPDIFF(SECOND, at, UTC_TIMESTAMP(6)) FROM " table " WHERE " cond \
    " AND at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND ORDER BY at DESC LIMIT 1 OFFSET ?"
#define NTH_RECENT(cond) NTH_RECENT_IN("login_attempts", cond)

int throttle_check(db_t *db, const char *email, const char *ip, long long *wait_s)
{
    int rc = over_limit(db, NTH_RECENT("email = ? AND ip = ?"), DB_PARAMS(DB_STR(email), DB_STR(ip)),
                        THROTTLE_MAX_ACCOUNT_IP, THROTTLE_WINDOW_S, wait_s);
    if (rc == 0)
        rc = over_limit(db, NTH_RECENT("email = ?"), DB_PARAMS(DB_STR(email)), THROTTLE_MAX_ACCOUNT,
                        THROTTLE_WINDOW_S, wait_s);
    if (rc == 0)
        rc = over_limit(db, NTH_RECENT("ip = ?"), DB_PARAMS(DB_STR(ip)), THROTTLE_MAX_IP, THROTTLE_WINDOW_S,
                        wait_s);
    return rc;
}

int throttle_record_failure(db_t *db, const char *email, const char *ip)
{
    return db_exec(db, "INSERT INTO login_attempts (email, ip) VALUES (?, ?)",
                   DB_PARAMS(DB_STR(email), DB_STR(ip)), NULL, NULL);
}

int throttle_reset_account(db_t *db, const char *email)
{
    return db_exec(db, "DELETE FROM login_attempts WHERE email = ?", DB_PARAMS(DB_STR(email)),
                   NULL, NULL);
}

int throttle_forgot(db_t *db, const char *email, const char *ip, long long *wait_s)
{
    int rc = over_limit(db, NTH_RECENT_IN("forgot_requests", "email = ?"), DB_PARAMS(DB_STR(email)),
                        FORGOT_MAX_ADDRESS, FORGOT_WINDOW_S, wait_s);
    if (rc == 0)
        rc = over_limit(db, NTH_RECENT_IN("forgot_requests", "ip = ?"), DB_PARAMS(DB_STR(ip)),
                        FORGOT_MAX_IP, FORGOT_WINDOW_S, wait_s);
    if (rc != 0)
        return rc;
    /* Counted, and yesterday's requests forgotten a few at a time. */
    if (db_exec(db, "INSERT INTO forgot_requests (email, ip) VALUES (?, ?)",
                DB_PARAMS(DB_STR(email), DB_STR(ip)), NULL, NULL) < 0 ||
        db_exec(db, "DELETE FROM forgot_requests WHERE at < UTC_TIMESTAMP(6) - INTERVAL 1 DAY LIMIT 100",
                DB_NONE, NULL, NULL) < 0)
        return -1;
    return 0;
}
