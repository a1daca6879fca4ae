/* throttle.h: failed sign-in counting over a sliding window, per account and per IP, in the
 * database so every web child and host sees the same counts. */
#ifndef BILLSYNC_DB_THROTTLE_H
#define BILLSYNC_DB_THROTTLE_H

#include "db/db.h"

#define THROTTLE_WINDOW_S (15 * 60)
#define THROTTLE_MAX_ACCOUNT 5
#define THROTTLE_MAX_IP 20

/* 0 = allowed; 1 = refused, with *wait_s until the window lets the next attempt in;
 * -1 = database error. */
int throttle_check(db_t *db, const char *email, const char *ip, long long *wait_s);
int throttle_record_failure(db_t *db, const char *email, const char *ip);
/* A successful sign-in clears the account's failures (not the IP's). */
int throttle_reset_account(db_t *db, const char *email);

#endif
