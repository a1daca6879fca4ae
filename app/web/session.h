/* session.h: sign-in sessions in MariaDB (hashed ids), CSRF tokens, flash messages. */
#ifndef BILLSYNC_WEB_SESSION_H
#define BILLSYNC_WEB_SESSION_H

#include "web/web.h"

#define SESSION_COOKIE "bs_sid"
#define PRESESSION_COOKIE "bs_csrf"   /* double-submit token for forms before sign-in */

/* Loads the session named by the cookie, enforcing idle and absolute expiry and a disabled
 * user; sets w->sess. Returns 0 (with or without a session) or -1 on a database error. */
int session_load(struct web *w);
/* Starts a fresh session (new random id: no fixation) and sets the cookie. */
int session_create(struct web *w, long long tenant_id, long long user_id, int mfa_ok);
void session_destroy(struct web *w);
int session_set_mfa_ok(struct web *w);

/* The CSRF token forms must carry: the session's, or before sign-in a double-submit token
 * (set as a cookie on first use). */
const char *csrf_token(struct web *w);
int csrf_check(struct web *w);

/* Flash: a one-time message for the next page of this session. */
char *session_take_flash(struct web *w);

#endif
