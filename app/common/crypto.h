/* crypto.h: password hashing, random tokens and credential encryption (libsodium) */
#ifndef BILLSYNC_COMMON_CRYPTO_H
#define BILLSYNC_COMMON_CRYPTO_H

#include <stddef.h>
#include <sodium.h>

/* Argon2id cost. Stored hashes carry their own cost, so changing it only
 * affects new hashes (see crypto_password_needs_rehash). */
struct crypto_pw_cost {
    unsigned long long opslimit;
    size_t memlimit;
};

/* Production default: libsodium's INTERACTIVE limits (2 passes, 64 MiB). */
extern const struct crypto_pw_cost crypto_pw_cost_default;
/* Minimum limits: for unit tests only, never for real passwords. */
extern const struct crypto_pw_cost crypto_pw_cost_fast;

#define CRYPTO_PWHASH_LEN crypto_pwhash_STRBYTES      /* buffer incl. NUL */
#define CRYPTO_TOKEN_LEN 43                           /* 32 bytes base64url, no padding */
#define CRYPTO_TOKEN_HASH_LEN (2 * crypto_hash_sha256_BYTES) /* hex chars */
#define CRYPTO_KEY_BYTES crypto_secretbox_KEYBYTES    /* 32 */
#define CRYPTO_SEAL_PREFIX "v1:"

/* sodium_init; call once at start-up, before fork. */
int crypto_init(void);

/* Hash pw with argon2id; cost NULL means crypto_pw_cost_default. */
int crypto_password_hash(const char *pw, const struct crypto_pw_cost *cost,
                         char out[CRYPTO_PWHASH_LEN]);
/* 0 when pw matches hash, -1 otherwise (also for a malformed hash). */
int crypto_password_verify(const char *hash, const char *pw);
/* 1 when hash was made with other parameters than cost (rehash on next
 * login), 0 when current, -1 when hash is not an argon2id string. */
int crypto_password_needs_rehash(const char *hash, const struct crypto_pw_cost *cost);
/* Spend the same time as a real verification, for a login with an unknown
 * user, so response time does not reveal which e-mail addresses exist. */
void crypto_password_dummy_verify(const char *pw, const struct crypto_pw_cost *cost);

/* out (n >= CRYPTO_TOKEN_LEN + 1) gets 256 random bits, base64url, no padding. */
int crypto_token_new(char *out, size_t n);
/* out gets the lowercase hex SHA-256 of token: what the database stores. */
int crypto_token_hash(const char *token, char out[CRYPTO_TOKEN_HASH_LEN + 1]);
/* Constant-time string comparison: 0 when equal, -1 otherwise. The time
 * depends on the lengths only, never on the contents. */
int crypto_compare(const char *a, const char *b);

/* Load the credential key: the file holds 64 hex chars (trailing whitespace
 * allowed) or exactly 32 raw bytes (not all printable: 32 bytes of text is
 * refused as a likely short hex key). On -1, err says why (never key bytes). */
int crypto_key_load(const char *path, unsigned char key[CRYPTO_KEY_BYTES],
                    char *err, size_t errlen);
/* Create a new key file (64 hex chars + newline, mode 0600). Refuses to
 * overwrite an existing file: losing a key loses every stored credential.
 * -1 with errno set on failure. */
int crypto_key_generate_file(const char *path);

/* Encrypt len bytes: *out_b64 = "v1:" base64(nonce || secretbox), malloc'd. */
int crypto_seal(const unsigned char key[CRYPTO_KEY_BYTES], const void *plain, size_t len,
                char **out_b64);
/* Decrypt crypto_seal output. *plain is malloc'd and NUL-terminated (len
 * excludes the NUL); free it with crypto_free_secret. -1 on a wrong key,
 * tampering, a bad prefix or bad base64. */
int crypto_open(const unsigned char key[CRYPTO_KEY_BYTES], const char *b64, char **plain,
                size_t *len);
/* Wipe len bytes (plus the NUL crypto_open added) and free. NULL is a no-op. */
void crypto_free_secret(char *p, size_t len);

#endif
