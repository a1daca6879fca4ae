/* totp.c: RFC 6238 TOTP via liboath, with replay protection by last used step */
#include "common/totp.h"

#include <liboath/oath.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOTP_MIN_SECRET_BYTES 16 /* RFC 4226: at least 128 bits */
#define TOTP_MAX_WINDOW 10
#define TOTP_MAX_B32 128

static int oath_ready(void)
{
    static int ready;
    if (!ready) {
        if (oath_init() != OATH_OK)
            return -1;
        ready = 1;
    }
    return 0;
}

/* Decode a base32 secret into a malloc'd buffer; -1 if malformed or short. */
static int decode_secret(const char *b32, char **raw, size_t *rawlen)
{
    *raw = NULL;
    *rawlen = 0;
    if (!b32 || oath_ready() != 0)
        return -1;
    size_t len = strnlen(b32, TOTP_MAX_B32 + 1);
    if (len == 0 || len > TOTP_MAX_B32)
        return -1;
    if (oath_base32_decode(b32, len, raw, rawlen) != OATH_OK) {
        *raw = NULL;
        return -1;
    }
    if (*rawlen < TOTP_MIN_SECRET_BYTES) {
        sodium_memzero(*raw, *rawlen);
        free(*raw);
        *raw = NULL;
        return -1;
    }
    return 0;
}

static void free_secret(char *raw, size_t rawlen)
{
    if (raw) {
        sodium_memzero(raw, rawlen);
        free(raw);
    }
}

int totp_secret_new(char base32_out[TOTP_SECRET_B32_LEN + 1])
{
    unsigned char raw[TOTP_SECRET_BYTES];
    char *b32 = NULL;
    size_t b32len = 0;
    if (!base32_out || oath_ready() != 0)
        return -1;
    randombytes_buf(raw, sizeof raw);
    int rc = oath_base32_encode((const char *)raw, sizeof raw, &b32, &b32len);
    sodium_memzero(raw, sizeof raw);
    /* 20 bytes are exactly 32 base32 characters: no padding to strip. */
    if (rc != OATH_OK || b32len != TOTP_SECRET_B32_LEN) {
        free_secret(b32, b32len);
        return -1;
    }
    memcpy(base32_out, b32, TOTP_SECRET_B32_LEN);
    base32_out[TOTP_SECRET_B32_LEN] = '\0';
    free_secret(b32, b32len);
    return 0;
}

int64_t totp_step(int64_t now_unix)
{
    /* Floor division, so negative times do not round towards zero. */
    int64_t q = now_unix / TOTP_STEP_SECONDS;
    if (now_unix % TOTP_STEP_SECONDS < 0)
        q--;
    return q;
}

/* Code for step s into out (TOTP_DIGITS + 1 bytes). */
static int code_for_step(const char *raw, size_t rawlen, int64_t s, char *out)
{
    time_t t = (time_t)(s * TOTP_STEP_SECONDS);
    return oath_totp_generate2(raw, rawlen, t, TOTP_STEP_SECONDS, 0, TOTP_DIGITS, 0, out) ==
                   OATH_OK
               ? 0
               : -1;
}

/* Far enough ahead for any real clock, small enough that step * 30 cannot overflow. */
static int time_ok(int64_t now_unix)
{
    return now_unix >= 0 && now_unix <= INT64_C(1) << 40;
}

int totp_code_at(const char *base32_secret, int64_t now_unix, char out[TOTP_DIGITS + 1])
{
    char *raw;
    size_t rawlen;
    if (!out || !time_ok(now_unix) || decode_secret(base32_secret, &raw, &rawlen) != 0)
        return -1;
    int rc = code_for_step(raw, rawlen, totp_step(now_unix), out);
    free_secret(raw, rawlen);
    return rc;
}

int totp_verify(const char *base32_secret, const char *code, int64_t now_unix,
                int window_steps, int64_t last_used_step, int64_t *matched_step)
{
    char want[TOTP_DIGITS + 1];
    size_t n = 0;

    if (!code || !time_ok(now_unix) || window_steps < 0 || window_steps > TOTP_MAX_WINDOW)
        return -1;
    for (const char *p = code; *p; p++) {
        if (*p == ' ')
            continue;
        if (*p < '0' || *p > '9' || n == TOTP_DIGITS)
            return -1;
        want[n++] = *p;
    }
    if (n != TOTP_DIGITS)
        return -1;
    want[n] = '\0';

    char *raw;
    size_t rawlen;
    if (decode_secret(base32_secret, &raw, &rawlen) != 0)
        return -1;
    int64_t cur = totp_step(now_unix), found = -1;
    int ok = 0, err = 0;
    /* Try every step in the window without stopping early, and compare in
     * constant time, so timing does not say which step (if any) matched. */
    for (int64_t s = cur - window_steps; s <= cur + window_steps; s++) {
        char got[TOTP_DIGITS + 1];
        if (s < 0)
            continue;
        if (code_for_step(raw, rawlen, s, got) != 0) {
            err = 1;
            continue;
        }
        int eq = sodium_memcmp(got, want, TOTP_DIGITS) == 0;
        if (eq && s > last_used_step && !ok) {
            ok = 1;
            found = s;
        }
        sodium_memzero(got, sizeof got);
    }
    free_secret(raw, rawlen);
    sodium_memzero(want, sizeof want);
    if (!ok || err)
        return -1;
    if (matched_step)
        *matched_step = found;
    return 0;
}

/* Append s percent-encoded (RFC 3986 unreserved characters kept). */
static int pct_append(char *out, size_t n, size_t *off, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
                   *p == '~';
        size_t need = keep ? 1 : 3;
        if (*off + need >= n)
            return -1;
        if (keep) {
            out[(*off)++] = (char)*p;
        } else {
            out[(*off)++] = '%';
            out[(*off)++] = hex[*p >> 4];
            out[(*off)++] = hex[*p & 15];
        }
    }
    out[*off] = '\0';
    return 0;
}

static int raw_append(char *out, size_t n, size_t *off, const char *s)
{
    size_t len = strlen(s);
    if (*off + len >= n)
        return -1;
    memcpy(out + *off, s, len + 1);
    *off += len;
    return 0;
}

int totp_uri(const char *issuer, const char *account, const char *base32_secret, char *out,
             size_t n)
{
    size_t off = 0;
    if (!issuer || !account || !base32_secret || !out || n == 0)
        return -1;
    out[0] = '\0';
    /* The secret goes in unencoded: check it is plain base32 first. */
    for (const char *p = base32_secret; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '2' && *p <= '7')))
            return -1;
    if (!*base32_secret)
        return -1;
    if (raw_append(out, n, &off, "otpauth://totp/") || pct_append(out, n, &off, issuer) ||
        raw_append(out, n, &off, ":") || pct_append(out, n, &off, account) ||
        raw_append(out, n, &off, "?secret=") || raw_append(out, n, &off, base32_secret) ||
        raw_append(out, n, &off, "&issuer=") || pct_append(out, n, &off, issuer) ||
        raw_append(out, n, &off, "&algorithm=SHA1&digits=6&period=30")) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}
