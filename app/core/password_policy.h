/* password_policy.h: which new passwords billsync accepts (pure, no I/O) */
#ifndef BILLSYNC_CORE_PASSWORD_POLICY_H
#define BILLSYNC_CORE_PASSWORD_POLICY_H

#include <stddef.h>

#define PASSWORD_MIN_CHARS 12     /* code points */
#define PASSWORD_MAX_BYTES 1024   /* allows >= 256 characters of any script */

/* 0 when pw is acceptable. Otherwise -1 and *reason (if reason is non-NULL)
 * points to a static sentence fit to show the user. Rules: valid UTF-8, at
 * least PASSWORD_MIN_CHARS code points, at most PASSWORD_MAX_BYTES bytes, not
 * in common (sorted by strcmp, lowercase; compared case-insensitively; may be
 * NULL when n is 0), not equal to email or its local part (ignoring ASCII
 * case; email may be NULL). */
int password_check(const char *pw, const char *email, const char *const *common, size_t n,
                   const char **reason);

/* Number of code points in s, or -1 if s is not valid UTF-8. */
long password_utf8_length(const char *s);

#endif
