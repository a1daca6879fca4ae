/* password_policy.c: length, common-password and e-mail checks for new passwords */
#include "core/password_policy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

long password_utf8_length(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    long count = 0;
    if (!s)
        return -1;
    while (*s) {
        unsigned char c = *s;
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) {
            s++;
            count++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return -1;
        }
        for (size_t k = 1; k < len; k++) {
            /* A NUL here fails the test too, so we never read past the end. */
            if ((s[k] & 0xc0) != 0x80)
                return -1;
            cp = (cp << 6) | (s[k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return -1;
        s += len;
        count++;
    }
    return count;
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive equality of a[0..alen) and b[0..blen). */
static int eq_nocase(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return 0;
    return 1;
}

static int cmp_str(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

int password_check(const char *pw, const char *email, const char *const *common, size_t n,
                   const char **reason)
{
    const char *why = NULL;
    char lower[PASSWORD_MAX_BYTES + 1];

    if (!pw) {
        why = "Enter a password.";
        goto reject;
    }
    size_t bytes = strnlen(pw, PASSWORD_MAX_BYTES + 1);
    if (bytes > PASSWORD_MAX_BYTES) {
        why = "Password is too long (at most 1024 bytes).";
        goto reject;
    }
    long chars = password_utf8_length(pw);
    if (chars < 0) {
        why = "Password contains invalid characters.";
        goto reject;
    }
    if (chars < PASSWORD_MIN_CHARS) {
        why = "Password must be at least 12 characters long.";
        goto reject;
    }
    if (email && *email) {
        size_t elen = strlen(email);
        const char *at = strrchr(email, '@');
        size_t local = at ? (size_t)(at - email) : elen;
        if (eq_nocase(pw, bytes, email, elen) || (local > 0 && eq_nocase(pw, bytes, email, local))) {
            why = "Password must not be your e-mail address.";
            goto reject;
        }
    }
    if (common && n > 0) {
        for (size_t i = 0; i < bytes; i++)
            lower[i] = ascii_lower(pw[i]);
        lower[bytes] = '\0';
        int found = bsearch(lower, common, n, sizeof *common, cmp_str) != NULL;
        /* The password is a secret: do not leave a copy on the stack (core
         * has no libsodium dependency; glibc's explicit_bzero is not elided). */
        explicit_bzero(lower, bytes);
        if (found) {
            why = "Password is too common; choose another.";
            goto reject;
        }
    }
    if (reason)
        *reason = NULL;
    return 0;
reject:
    if (reason)
        *reason = why;
    return -1;
}
