/* test_crypto.c: unit tests for common/crypto (hashing, tokens, key files, seal/open) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crypto.h"

static char tmpdir[64];

static int setup_dir(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/billsync-crypto-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    return crypto_init();
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void fill_password(char *buf, size_t chars)
{
    for (size_t i = 0; i < chars; i++)
        buf[i] = (char)('a' + i % 26);
    buf[chars] = '\0';
}

static void test_password_roundtrip(void **state)
{
    (void)state;
    char hash[CRYPTO_PWHASH_LEN];
    assert_int_equal(crypto_password_hash("correct horse battery", &crypto_pw_cost_fast, hash),
                     0);
    assert_non_null(strstr(hash, "$argon2id$"));
    assert_int_equal(crypto_password_verify(hash, "correct horse battery"), 0);
    assert_int_equal(crypto_password_verify(hash, "correct horse batterY"), -1);
    assert_int_equal(crypto_password_verify(hash, ""), -1);
    assert_int_equal(crypto_password_verify(hash, NULL), -1);

    /* Two hashes of the same password differ (random salt). */
    char hash2[CRYPTO_PWHASH_LEN];
    assert_int_equal(crypto_password_hash("correct horse battery", &crypto_pw_cost_fast, hash2),
                     0);
    assert_string_not_equal(hash, hash2);
}

static void test_password_long_and_empty(void **state)
{
    (void)state;
    char hash[CRYPTO_PWHASH_LEN];
    char pw[1025];
    fill_password(pw, 128);
    assert_int_equal(crypto_password_hash(pw, &crypto_pw_cost_fast, hash), 0);
    assert_int_equal(crypto_password_verify(hash, pw), 0);
    pw[127] = 'X';
    assert_int_equal(crypto_password_verify(hash, pw), -1);

    fill_password(pw, 1024);
    assert_int_equal(crypto_password_hash(pw, &crypto_pw_cost_fast, hash), 0);
    assert_int_equal(crypto_password_verify(hash, pw), 0);
    /* The last byte counts: no truncation at 72 bytes as with bcrypt. */
    pw[1023] = '#';
    assert_int_equal(crypto_password_verify(hash, pw), -1);

    assert_int_equal(crypto_password_hash("", &crypto_pw_cost_fast, hash), 0);
    assert_int_equal(crypto_password_verify(hash, ""), 0);
    assert_int_equal(crypto_password_verify(hash, "x"), -1);
}

static void test_password_bad_hash(void **state)
{
    (void)state;
    assert_int_equal(crypto_password_verify("", "pw"), -1);
    assert_int_equal(crypto_password_verify("$2y$10$abcdefghijklmnopqrstuv", "pw"), -1);
    assert_int_equal(crypto_password_verify("$argon2id$v=19$m=8,t=1,p=1$garbage", "pw"), -1);
    assert_int_equal(crypto_password_verify(NULL, "pw"), -1);
    assert_int_equal(crypto_password_needs_rehash("not a hash", NULL), -1);
}

static void test_password_needs_rehash(void **state)
{
    (void)state;
    char hash[CRYPTO_PWHASH_LEN];
    assert_int_equal(crypto_password_hash("some password", &crypto_pw_cost_fast, hash), 0);
    assert_int_equal(crypto_password_needs_rehash(hash, &crypto_pw_cost_fast), 0);
    assert_int_equal(crypto_password_needs_rehash(hash, &crypto_pw_cost_default), 1);
    assert_int_equal(crypto_password_needs_rehash(hash, NULL), 1);
    crypto_password_dummy_verify("whatever", &crypto_pw_cost_fast);
}

static void test_default_cost_is_interactive(void **state)
{
    (void)state;
    assert_true(crypto_pw_cost_default.opslimit == crypto_pwhash_OPSLIMIT_INTERACTIVE);
    assert_true(crypto_pw_cost_default.memlimit == crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

static void test_token_new(void **state)
{
    (void)state;
    char a[CRYPTO_TOKEN_LEN + 1], b[CRYPTO_TOKEN_LEN + 1];
    assert_int_equal(crypto_token_new(a, sizeof a), 0);
    assert_int_equal(crypto_token_new(b, sizeof b), 0);
    assert_int_equal(strlen(a), 43);
    assert_string_not_equal(a, b);
    for (const char *p = a; *p; p++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                               "0123456789-_",
                               *p));
    char small[CRYPTO_TOKEN_LEN];
    assert_int_equal(crypto_token_new(small, sizeof small), -1);
    assert_int_equal(crypto_token_new(NULL, 64), -1);
}

static void test_token_hash(void **state)
{
    (void)state;
    char h[CRYPTO_TOKEN_HASH_LEN + 1];
    /* SHA-256("abc"), FIPS 180-2 example. */
    assert_int_equal(crypto_token_hash("abc", h), 0);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(crypto_token_hash("", h), 0);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(crypto_token_hash(NULL, h), -1);
}

static void test_compare(void **state)
{
    (void)state;
    assert_int_equal(crypto_compare("abc", "abc"), 0);
    assert_int_equal(crypto_compare("", ""), 0);
    assert_int_equal(crypto_compare("abc", "abd"), -1);
    assert_int_equal(crypto_compare("abc", "abcd"), -1);
    assert_int_equal(crypto_compare("abc", NULL), -1);
}

static void test_key_generate_and_load(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "gen.key");
    mode_t old = umask(0);
    int rc = crypto_key_generate_file(path);
    umask(old);
    assert_int_equal(rc, 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);

    unsigned char key[CRYPTO_KEY_BYTES];
    char err[256] = "";
    assert_int_equal(crypto_key_load(path, key, err, sizeof err), 0);

    /* Never overwrites an existing key. */
    errno = 0;
    assert_int_equal(crypto_key_generate_file(path), -1);
    assert_int_equal(errno, EEXIST);
    unsigned char again[CRYPTO_KEY_BYTES];
    assert_int_equal(crypto_key_load(path, again, err, sizeof err), 0);
    assert_memory_equal(key, again, sizeof key);
}

static void test_key_load_formats(void **state)
{
    (void)state;
    char path[128], err[256];
    unsigned char key[CRYPTO_KEY_BYTES], want[CRYPTO_KEY_BYTES];
    for (size_t i = 0; i < sizeof want; i++)
        want[i] = (unsigned char)(i * 7 + 1);

    tmp_path(path, sizeof path, "raw.key");
    write_file(path, want, sizeof want, 0600);
    assert_int_equal(crypto_key_load(path, key, err, sizeof err), 0);
    assert_memory_equal(key, want, sizeof want);

    const char *hex = "01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da";
    tmp_path(path, sizeof path, "hex.key");
    write_file(path, hex, strlen(hex), 0600);
    memset(key, 0, sizeof key);
    assert_int_equal(crypto_key_load(path, key, err, sizeof err), 0);
    assert_memory_equal(key, want, sizeof want);

    char hexnl[80];
    snprintf(hexnl, sizeof hexnl, "%s\r\n", hex);
    write_file(path, hexnl, strlen(hexnl), 0600);
    assert_int_equal(crypto_key_load(path, key, err, sizeof err), 0);
    assert_memory_equal(key, want, sizeof want);
}

static void test_key_load_errors(void **state)
{
    (void)state;
    char path[128], err[256];
    unsigned char key[CRYPTO_KEY_BYTES];

    tmp_path(path, sizeof path, "missing.key");
    err[0] = '\0';
    assert_int_equal(crypto_key_load(path, key, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing.key"));
    assert_non_null(strstr(err, "No such file"));

    tmp_path(path, sizeof path, "short.key");
    write_file(path, "0123456789abcdef", 16, 0600);
    assert_int_equal(crypto_key_load(path, key, err, sizeof err), -1);
    assert_non_null(strstr(err, "wrong format"));

    /* 32 bytes of text (a 128-bit hex key) is not taken as a raw key. */
    write_file(path, "0123456789abcdef0123456789abcdef", 32, 0600);
    assert_int_equal(crypto_key_load(path, key, err, sizeof err), -1);
    assert_non_null(strstr(err, "wrong format"));

    write_file(path, "", 0, 0600);
    assert_int_equal(crypto_key_load(path, key, err, sizeof err), -1);

    /* 64 characters that are not all hex. */
    const char *nothex = "zz080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da";
    write_file(path, nothex, strlen(nothex), 0600);
    assert_int_equal(crypto_key_load(path, key, err, sizeof err), -1);
    /* The message never echoes file contents. */
    assert_null(strstr(err, "161d242b"));

    /* 65 hex digits. */
    const char *longer = "01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da0";
    write_file(path, longer, strlen(longer), 0600);
    assert_int_equal(crypto_key_load(path, key, err, sizeof err), -1);

    assert_int_equal(crypto_key_load(tmpdir, key, err, sizeof err), -1);
    assert_int_equal(crypto_key_load("", key, err, sizeof err), -1);
}

static void make_key(unsigned char key[CRYPTO_KEY_BYTES], unsigned char seed)
{
    for (size_t i = 0; i < CRYPTO_KEY_BYTES; i++)
        key[i] = (unsigned char)(seed + i);
}

static void test_seal_roundtrip(void **state)
{
    (void)state;
    unsigned char key[CRYPTO_KEY_BYTES];
    make_key(key, 1);
    const char *secret = "api-secret: s3cr3t/with\"quotes\"";
    char *b64 = NULL, *plain = NULL;
    size_t len = 0;
    assert_int_equal(crypto_seal(key, secret, strlen(secret), &b64), 0);
    assert_non_null(b64);
    assert_memory_equal(b64, "v1:", 3);
    assert_null(strstr(b64, "s3cr3t"));
    assert_int_equal(crypto_open(key, b64, &plain, &len), 0);
    assert_int_equal(len, strlen(secret));
    assert_string_equal(plain, secret);
    crypto_free_secret(plain, len);

    /* A fresh nonce each time: same plaintext, different output. */
    char *b64b = NULL;
    assert_int_equal(crypto_seal(key, secret, strlen(secret), &b64b), 0);
    assert_string_not_equal(b64, b64b);
    free(b64);
    free(b64b);

    /* Binary data with NUL bytes survives. */
    const unsigned char bin[] = {0, 1, 2, 0, 255, 0};
    assert_int_equal(crypto_seal(key, bin, sizeof bin, &b64), 0);
    assert_int_equal(crypto_open(key, b64, &plain, &len), 0);
    assert_int_equal(len, sizeof bin);
    assert_memory_equal(plain, bin, sizeof bin);
    crypto_free_secret(plain, len);
    free(b64);
}

static void test_seal_empty(void **state)
{
    (void)state;
    unsigned char key[CRYPTO_KEY_BYTES];
    make_key(key, 2);
    char *b64 = NULL, *plain = NULL;
    size_t len = 99;
    assert_int_equal(crypto_seal(key, "", 0, &b64), 0);
    assert_int_equal(crypto_open(key, b64, &plain, &len), 0);
    assert_int_equal(len, 0);
    assert_string_equal(plain, "");
    crypto_free_secret(plain, len);
    free(b64);
    assert_int_equal(crypto_seal(key, NULL, 0, &b64), 0);
    free(b64);
    assert_int_equal(crypto_seal(key, NULL, 5, &b64), -1);
    assert_null(b64);
}

static void test_open_wrong_key(void **state)
{
    (void)state;
    unsigned char key[CRYPTO_KEY_BYTES], other[CRYPTO_KEY_BYTES];
    make_key(key, 3);
    make_key(other, 4);
    char *b64 = NULL, *plain = (char *)"sentinel";
    size_t len = 7;
    assert_int_equal(crypto_seal(key, "secret", 6, &b64), 0);
    assert_int_equal(crypto_open(other, b64, &plain, &len), -1);
    assert_null(plain);
    assert_int_equal(len, 0);
    free(b64);
}

static void test_open_tampering(void **state)
{
    (void)state;
    unsigned char key[CRYPTO_KEY_BYTES];
    make_key(key, 5);
    char *b64 = NULL, *plain = NULL;
    size_t len;
    assert_int_equal(crypto_seal(key, "a credential value", 18, &b64), 0);
    size_t n = strlen(b64);
    /* Flip one character at every position after the prefix, skipping the
     * final padding: each change must be refused, not decrypted. */
    for (size_t i = 3; i < n; i++) {
        if (b64[i] == '=')
            continue;
        char *t = strdup(b64);
        assert_non_null(t);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        assert_int_equal(crypto_open(key, t, &plain, &len), -1);
        assert_null(plain);
        free(t);
    }
    /* Truncated and extended. */
    char *t = strdup(b64);
    assert_non_null(t);
    t[n - 4] = '\0';
    assert_int_equal(crypto_open(key, t, &plain, &len), -1);
    free(t);
    size_t tl = n + 5;
    t = malloc(tl);
    assert_non_null(t);
    snprintf(t, tl, "%sAAAA", b64);
    assert_int_equal(crypto_open(key, t, &plain, &len), -1);
    free(t);
    free(b64);
}

static void test_open_bad_input(void **state)
{
    (void)state;
    unsigned char key[CRYPTO_KEY_BYTES];
    make_key(key, 6);
    char *plain = NULL;
    size_t len;
    char *b64 = NULL;
    assert_int_equal(crypto_seal(key, "x", 1, &b64), 0);
    /* Without or with a wrong version prefix. */
    assert_int_equal(crypto_open(key, b64 + 3, &plain, &len), -1);
    char v2[256];
    snprintf(v2, sizeof v2, "v2:%s", b64 + 3);
    assert_int_equal(crypto_open(key, v2, &plain, &len), -1);
    free(b64);

    assert_int_equal(crypto_open(key, "", &plain, &len), -1);
    assert_int_equal(crypto_open(key, "v1:", &plain, &len), -1);
    assert_int_equal(crypto_open(key, "v1:!!!!not base64!!!!", &plain, &len), -1);
    assert_int_equal(crypto_open(key, "v1:AAAA", &plain, &len), -1); /* too short */
    /* 40 zero bytes: long enough, but the MAC fails. */
    assert_int_equal(crypto_open(key, "v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
                                 &plain, &len),
                     -1);
    assert_int_equal(crypto_open(key, NULL, &plain, &len), -1);
    assert_null(plain);
    crypto_free_secret(NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_roundtrip),
        cmocka_unit_test(test_password_long_and_empty),
        cmocka_unit_test(test_password_bad_hash),
        cmocka_unit_test(test_password_needs_rehash),
        cmocka_unit_test(test_default_cost_is_interactive),
        cmocka_unit_test(test_token_new),
        cmocka_unit_test(test_token_hash),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_key_generate_and_load),
        cmocka_unit_test(test_key_load_formats),
        cmocka_unit_test(test_key_load_errors),
        cmocka_unit_test(test_seal_roundtrip),
        cmocka_unit_test(test_seal_empty),
        cmocka_unit_test(test_open_wrong_key),
        cmocka_unit_test(test_open_tampering),
        cmocka_unit_test(test_open_bad_input),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
