/* tokens.h: single-use password tokens (reset and invite), stored hashed. */
#ifndef BILLSYNC_DB_TOKENS_H
#define BILLSYNC_DB_TOKENS_H

#include "db/db.h"

#define TOKEN_TTL_S 3600

/* Makes a token for the user; *raw gets the secret for the link (never stored). */
int token_create(db_t *db, long long tenant_id, long long user_id, const char *purpose,
                 int ttl_s, char raw[44]);
/* 1 when raw is a live token of that purpose (sets ids), 0 when not (unknown, used,
 * expired, garbled), -1 on error. Changes nothing. */
int token_peek(db_t *db, const char *raw, const char *purpose, long long *tenant_id,
               long long *user_id);
/* Burns the token: 1 when this call used it (it was live), 0 when it was not. Run it in the
 * same transaction as the change it authorises. */
int token_burn(db_t *db, const char *raw, const char *purpose, long long *tenant_id,
               long long *user_id);
/* Seconds since the user's newest token of that purpose (or -1 if none). */
int token_last_age(db_t *db, long long tenant_id, long long user_id, const char *purpose,
                   long long *age_s);

#endif
