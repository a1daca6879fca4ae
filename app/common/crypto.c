/* crypto.c: argon2id password hashes, random tokens, secretbox for stored credentials */
#include "common/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct crypto_pw_cost crypto_pw_cost_default = {
    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
const struct crypto_pw_cost crypto_pw_cost_fast = {
    crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};

int crypto_init(void)
{
    /* sodium_init returns 1 when already initialised. */
    return sodium_init() < 0 ? -1 : 0;
}

static const struct crypto_pw_cost *cost_or_default(const struct crypto_pw_cost *cost)
{
    return cost ? cost : &crypto_pw_cost_default;
}

int crypto_password_hash(const char *pw, const struct crypto_pw_cost *cost,
                         char out[CRYPTO_PWHASH_LEN])
{
    if (!pw || !out)
        return -1;
    cost = cost_or_default(cost);
    if (crypto_pwhash_str_alg(out, pw, strlen(pw), cost->opslimit, cost->memlimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return -1; /* out of memory or limits out of range */
    return 0;
}

int crypto_password_verify(const char *hash, const char *pw)
{
    if (!hash || !pw)
        return -1;
    /* Only argon2id hashes are ours; anything else is a corrupt row. */
    if (strncmp(hash, crypto_pwhash_argon2id_STRPREFIX,
                strlen(crypto_pwhash_argon2id_STRPREFIX)) != 0)
        return -1;
    if (strnlen(hash, CRYPTO_PWHASH_LEN) >= CRYPTO_PWHASH_LEN)
        return -1;
    return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0 ? 0 : -1;
}

int crypto_password_needs_rehash(const char *hash, const struct crypto_pw_cost *cost)
{
    if (!hash)
        return -1;
    cost = cost_or_default(cost);
    int rc = crypto_pwhash_argon2id_str_needs_rehash(hash, cost->opslimit, cost->memlimit);
    return rc < 0 ? -1 : (rc > 0 ? 1 : 0);
}

void crypto_password_dummy_verify(const char *pw, const struct crypto_pw_cost *cost)
{
    char scratch[CRYPTO_PWHASH_LEN];
    (void)crypto_password_hash(pw ? pw : "", cost, scratch);
    sodium_memzero(scratch, sizeof scratch);
}

int crypto_token_new(char *out, size_t n)
{
    unsigned char raw[32];
    if (!out || n < CRYPTO_TOKEN_LEN + 1)
        return -1;
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, n, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    return 0;
}

int crypto_token_hash(const char *token, char out[CRYPTO_TOKEN_HASH_LEN + 1])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    if (!token || !out)
        return -1;
    crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, CRYPTO_TOKEN_HASH_LEN + 1, digest, sizeof digest);
    return 0;
}

int crypto_compare(const char *a, const char *b)
{
    if (!a || !b)
        return -1;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return -1;
    if (la == 0)
        return 0;
    return sodium_memcmp(a, b, la) == 0 ? 0 : -1;
}

static void set_err(char *err, size_t errlen, const char *path, const char *why)
{
    if (err && errlen)
        snprintf(err, errlen, "key file %s: %s", path, why);
}

int crypto_key_load(const char *path, unsigned char key[CRYPTO_KEY_BYTES], char *err,
                    size_t errlen)
{
    /* Large enough for 64 hex chars plus generous trailing whitespace. */
    unsigned char buf[160];
    ssize_t got = 0;
    int rc = -1;

    if (!path || !*path) {
        if (err && errlen)
            snprintf(err, errlen, "%s", "no key file configured");
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, errlen, path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        set_err(err, errlen, path, "not a regular file");
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t r = read(fd, buf + got, sizeof buf - (size_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            set_err(err, errlen, path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        got += r;
        if ((size_t)got == sizeof buf)
            break;
    }

    if (got == CRYPTO_KEY_BYTES) {
        /* 32 bytes of text is a mistake (say, 32 hex digits = 128 bits),
         * not a raw key: random bytes are all printable with p ~ 1e-14. */
        int text = 1;
        for (size_t i = 0; i < CRYPTO_KEY_BYTES && text; i++)
            text = (buf[i] >= 0x20 && buf[i] < 0x7f) || buf[i] == '\n' || buf[i] == '\r' ||
                   buf[i] == '\t';
        if (!text) {
            memcpy(key, buf, CRYPTO_KEY_BYTES);
            rc = 0;
            goto out;
        }
    }
    size_t len = (size_t)got;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
                       buf[len - 1] == '\t'))
        len--;
    size_t binlen = 0;
    const char *end = NULL;
    if (len != 2 * CRYPTO_KEY_BYTES ||
        sodium_hex2bin(key, CRYPTO_KEY_BYTES, (const char *)buf, len, NULL, &binlen, &end) != 0 ||
        binlen != CRYPTO_KEY_BYTES || end != (const char *)buf + len) {
        set_err(err, errlen, path,
                "wrong format (need 64 hex characters or 32 raw bytes)");
        sodium_memzero(key, CRYPTO_KEY_BYTES);
        goto out;
    }
    rc = 0;
out:
    sodium_memzero(buf, sizeof buf);
    close(fd);
    return rc;
}

int crypto_key_generate_file(const char *path)
{
    unsigned char key[CRYPTO_KEY_BYTES];
    char hex[2 * CRYPTO_KEY_BYTES + 2];
    int rc = -1, saved = 0;

    if (!path || !*path) {
        errno = EINVAL;
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    randombytes_buf(key, sizeof key);
    sodium_bin2hex(hex, sizeof hex, key, sizeof key);
    hex[2 * CRYPTO_KEY_BYTES] = '\n';
    size_t off = 0, total = 2 * CRYPTO_KEY_BYTES + 1;
    /* fchmod: the umask must not widen or narrow the mode we promise. */
    if (fchmod(fd, 0600) != 0)
        goto fail;
    while (off < total) {
        ssize_t w = write(fd, hex + off, total - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto fail;
        off += (size_t)w;
    }
    if (fsync(fd) != 0)
        goto fail;
    rc = 0;
fail:
    saved = errno;
    if (close(fd) != 0 && rc == 0) {
        saved = errno;
        rc = -1;
    }
    if (rc != 0)
        unlink(path);
    sodium_memzero(key, sizeof key);
    sodium_memzero(hex, sizeof hex);
    errno = saved;
    return rc;
}

int crypto_seal(const unsigned char key[CRYPTO_KEY_BYTES], const void *plain, size_t len,
                char **out_b64)
{
    if (!out_b64)
        return -1;
    *out_b64 = NULL;
    if (!key || (!plain && len))
        return -1;
    if (len > SIZE_MAX / 2 - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES)
        return -1;
    size_t boxlen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    unsigned char *box = malloc(boxlen);
    if (!box)
        return -1;
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain ? plain : (const void *)"",
                          len, box, key);

    size_t prefix = strlen(CRYPTO_SEAL_PREFIX);
    size_t b64len = sodium_base64_ENCODED_LEN(boxlen, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(prefix + b64len);
    if (!out) {
        free(box);
        return -1;
    }
    memcpy(out, CRYPTO_SEAL_PREFIX, prefix);
    sodium_bin2base64(out + prefix, b64len, box, boxlen, sodium_base64_VARIANT_ORIGINAL);
    free(box); /* ciphertext only, nothing secret to wipe */
    *out_b64 = out;
    return 0;
}

int crypto_open(const unsigned char key[CRYPTO_KEY_BYTES], const char *b64, char **plain,
                size_t *len)
{
    const size_t overhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
    if (!key || !b64 || !plain)
        return -1;
    *plain = NULL;
    if (len)
        *len = 0;
    size_t prefix = strlen(CRYPTO_SEAL_PREFIX);
    if (strncmp(b64, CRYPTO_SEAL_PREFIX, prefix) != 0)
        return -1;
    b64 += prefix;
    size_t b64len = strlen(b64);
    size_t maxbin = b64len / 4 * 3 + 3;
    if (maxbin < overhead)
        return -1;
    unsigned char *box = malloc(maxbin);
    if (!box)
        return -1;
    size_t boxlen = 0;
    /* b64_end NULL: the whole string must decode, no trailing garbage. */
    if (sodium_base642bin(box, maxbin, b64, b64len, NULL, &boxlen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        boxlen < overhead) {
        free(box);
        return -1;
    }
    size_t mlen = boxlen - overhead;
    char *m = malloc(mlen + 1);
    if (!m) {
        free(box);
        return -1;
    }
    if (crypto_secretbox_open_easy((unsigned char *)m, box + crypto_secretbox_NONCEBYTES,
                                   boxlen - crypto_secretbox_NONCEBYTES, box, key) != 0) {
        free(box);
        crypto_free_secret(m, mlen);
        return -1;
    }
    free(box);
    m[mlen] = '\0';
    *plain = m;
    if (len)
        *len = mlen;
    return 0;
}

void crypto_free_secret(char *p, size_t len)
{
    if (!p)
        return;
    sodium_memzero(p, len + 1);
    free(p);
}
