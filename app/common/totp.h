/* totp.h: RFC 6238 time-based one-time passwords (30 s, 6 digits, SHA-1) for 2FA */
#ifndef BILLSYNC_COMMON_TOTP_H
#define BILLSYNC_COMMON_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_STEP_SECONDS 30
#define TOTP_DIGITS 6
#define TOTP_SECRET_BYTES 20                /* 160 bits, as RFC 4226 recommends */
#define TOTP_SECRET_B32_LEN 32              /* base32 chars, no padding */

/* base32_out (TOTP_SECRET_B32_LEN + 1 bytes) gets a new random secret. */
int totp_secret_new(char base32_out[TOTP_SECRET_B32_LEN + 1]);

/* 0 when code (6 digits; spaces ignored) matches some step s with
 * |s - now/30| <= window_steps and s > last_used_step; *matched_step = s.
 * The caller stores matched_step and passes it back as last_used_step next
 * time, so a code is accepted at most once (pass -1 when none used yet).
 * -1 otherwise, including for a replayed code. */
int totp_verify(const char *base32_secret, const char *code, int64_t now_unix,
                int window_steps, int64_t last_used_step, int64_t *matched_step);

/* The code for the step containing now_unix (for tests and the CLI). */
int totp_code_at(const char *base32_secret, int64_t now_unix, char out[TOTP_DIGITS + 1]);

/* The time step number of now_unix. */
int64_t totp_step(int64_t now_unix);

/* otpauth://totp/Issuer:account?secret=..&issuer=..&algorithm=SHA1&digits=6&period=30
 * with issuer and account percent-encoded; -1 if it does not fit in n. */
int totp_uri(const char *issuer, const char *account, const char *base32_secret, char *out,
             size_t n);

#endif
