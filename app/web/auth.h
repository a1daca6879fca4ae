/* auth.h: what the sign-in pages share: password rules, password hashing with the
 * configured cost, the audit call, safe "next" targets. */
#ifndef BILLSYNC_WEB_AUTH_H
#define BILLSYNC_WEB_AUTH_H

#include "common/crypto.h"
#include "web/web.h"

/* NULL when acceptable, else the reason to show next to the field. */
const char *auth_password_problem(struct web *w, const char *pw, const char *email);
int auth_hash_password(struct web *w, const char *pw, char out[CRYPTO_PWHASH_LEN]);
/* Audit with the signed-in user as actor (or the given ids when signed out). */
void auth_audit(struct web *w, long long tenant_id, long long user_id, const char *email,
                const char *action, const char *subject, const char *detail);
/* A local path to go to after sign-in: "/x?y" yes; "//host", "/\host", "http:..." no. */
int auth_is_local_path(const char *p);
/* "Too many <what>. For your safety, try again in N minutes." for a throttle's answer (t: 1
 * refused after wait_s seconds; -1 the count could not be read: "not available right now"). */
void auth_throttle_message(char *buf, size_t n, int t, const char *what, long long wait_s);
/* A role from its stored name ("admin", "billing", "viewer"); ROLE_NONE for anything else. */
enum role role_parse(const char *s);
const char *role_name(enum role r);

#endif
