/* throttle.c: failed sign-in counting over a sliding window, per account and per IP. */
#include "db/throttle.h"

/* Seconds until the count in the window drops below max: the age of the oldest failure
 * that keeps it at max. 0 when under the limit. */
static int over_limit(db_t *db, const char *sql_oldest, const char *key, int max, long long *wait_s)
{
    struct dbrows r;
    if (db_query(db, sql_oldest,
                 DB_PARAMS(DB_STR(key), DB_INT(THROTTLE_WINDOW_S), DB_INT(max - 1)), &r) < 0)
        return -1;
    int over = r.nrows > 0;
    if (over) {
        long long age = dbrows_int(&r, 0, 0, 0);
        long long w = THROTTLE_WINDOW_S - age;
        *wait_s = w > 1 ? w : 1;
    }
    dbrows_free(&r);
    return over;
}

int throttle_check(db_t *db, const char *email, const char *ip, long long *wait_s)
{
    /* The max-th most recent failure inside the window: if it exists, the limit is hit. */
    int a = over_limit(db,
                       "SELECT TIMESTAMPDIFF(SECOND, at, UTC_TIMESTAMP(6)) FROM login_attempts"
                       " WHERE email = ? AND at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND"
                       " ORDER BY at DESC LIMIT 1 OFFSET ?",
                       email, THROTTLE_MAX_ACCOUNT, wait_s);
    if (a != 0)
        return a;
    return over_limit(db,
                      "SELECT TIMESTAMPDIFF(SECOND, at, UTC_TIMESTAMP(6)) FROM login_attempts"
                      " WHERE ip = ? AND at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND"
                      " ORDER BY at DESC LIMIT 1 OFFSET ?",
                      ip, THROTTLE_MAX_IP, wait_s);
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
