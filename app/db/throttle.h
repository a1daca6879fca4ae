/* throttle.h: failed password guesses (sign-in, the profile's current password) counted over
 * a sliding window, in the database so every web child and host sees the same counts.
 *
 * Three limits: an account from one address (a person who forgot their password, or one
 * attacker), an account from everywhere (a guessing botnet), and one address over every
 * account, much higher: an office behind one NAT address must not be locked out of billsync
 * because one machine in it guesses. */
#ifndef BILLSYNC_DB_THROTTLE_H
#define BILLSYNC_DB_THROTTLE_H

#include "db/db.h"

#define THROTTLE_WINDOW_S (15 * 60)
#define THROTTLE_MAX_ACCOUNT_IP 5     /* one account from one address */
#define THROTTLE_MAX_ACCOUNT 20       /* one account from all addresses */
#define THROTTLE_MAX_IP 100           /* one address over all accounts */

/* 0 = allowed; 1 = refused, with *wait_s until the window lets the next attempt in;
 * -1 = database error. */
int throttle_check(db_t *db, const char *email, const char *ip, long long *wait_s);
int throttle_record_failure(db_t *db, const char *email, const char *ip);
/* /forgot: at most FORGOT_MAX_ADDRESS requests an hour for one address and FORGOT_MAX_IP
 * from one client, known addresses or not. 0 = allowed (and counted); 1 = refused with
 * *wait_s; -1 = database error. */
#define FORGOT_WINDOW_S 3600
#define FORGOT_MAX_ADDRESS 3
#define FORGOT_MAX_IP 20
int throttle_forgot(db_t *db, const char *email, const char *ip, long long *wait_s);

/* A successful sign-in clears the account's failures (not the address's). */
int throttle_reset_account(db_t *db, const char *email);

#endif
