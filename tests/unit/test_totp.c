/* test_totp.c: unit tests for common/totp (RFC 6238 vectors, window, replay, URI) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <liboath/oath.h>
#include <stdlib.h>
#include <string.h>

#include "common/totp.h"

/* RFC 6238 Appendix B seed for SHA-1: ASCII "12345678901234567890". */
#define RFC_SECRET "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

/* totp.c initialises liboath on first use; the group's teardown releases it. */
static int teardown(void **state)
{
    (void)state;
    oath_done();
    return 0;
}

struct vector {
    int64_t t;
    const char *code8;
};

/* RFC 6238 Appendix B, SHA-1 rows. */
static const struct vector rfc_vectors[] = {
    {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
    {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
};

static void test_rfc6238_vectors_8_digits(void **state)
{
    (void)state;
    /* The 8-digit values straight from liboath, to pin down the seed. */
    const char seed[] = "12345678901234567890";
    for (size_t i = 0; i < sizeof rfc_vectors / sizeof rfc_vectors[0]; i++) {
        char otp[9];
        assert_int_equal(oath_totp_generate2(seed, 20, (time_t)rfc_vectors[i].t, 30, 0, 8, 0,
                                             otp),
                         OATH_OK);
        assert_string_equal(otp, rfc_vectors[i].code8);
    }
}

static void test_rfc6238_vectors_6_digits(void **state)
{
    (void)state;
    /* Truncation is "value mod 10^digits", so the 6-digit code is the last
     * six digits of the 8-digit vector. */
    for (size_t i = 0; i < sizeof rfc_vectors / sizeof rfc_vectors[0]; i++) {
        char code[TOTP_DIGITS + 1];
        assert_int_equal(totp_code_at(RFC_SECRET, rfc_vectors[i].t, code), 0);
        assert_string_equal(code, rfc_vectors[i].code8 + 2);
        int64_t step = -1;
        assert_int_equal(totp_verify(RFC_SECRET, code, rfc_vectors[i].t, 0, -1, &step), 0);
        assert_int_equal(step, rfc_vectors[i].t / 30);
    }
}

static void test_secret_lowercase_accepted(void **state)
{
    (void)state;
    char code[TOTP_DIGITS + 1];
    assert_int_equal(totp_code_at("gezdgnbvgy3tqojqgezdgnbvgy3tqojq", 59, code), 0);
    assert_string_equal(code, "287082");
}

static void test_secret_new(void **state)
{
    (void)state;
    char a[TOTP_SECRET_B32_LEN + 1], b[TOTP_SECRET_B32_LEN + 1];
    assert_int_equal(totp_secret_new(a), 0);
    assert_int_equal(totp_secret_new(b), 0);
    assert_int_equal(strlen(a), 32);
    assert_string_not_equal(a, b);
    for (const char *p = a; *p; p++)
        assert_true((*p >= 'A' && *p <= 'Z') || (*p >= '2' && *p <= '7'));
    /* A fresh secret works end to end. */
    char code[TOTP_DIGITS + 1];
    assert_int_equal(totp_code_at(a, 1700000000, code), 0);
    assert_int_equal(totp_verify(a, code, 1700000000, 1, -1, NULL), 0);
}

static void test_window(void **state)
{
    (void)state;
    const int64_t now = 1700000015; /* inside step 56666667 */
    char prev[TOTP_DIGITS + 1], next[TOTP_DIGITS + 1], far[TOTP_DIGITS + 1];
    assert_int_equal(totp_code_at(RFC_SECRET, now - 30, prev), 0);
    assert_int_equal(totp_code_at(RFC_SECRET, now + 30, next), 0);
    assert_int_equal(totp_code_at(RFC_SECRET, now - 60, far), 0);
    int64_t step = 0;
    assert_int_equal(totp_verify(RFC_SECRET, prev, now, 1, -1, &step), 0);
    assert_int_equal(step, totp_step(now) - 1);
    assert_int_equal(totp_verify(RFC_SECRET, next, now, 1, -1, &step), 0);
    assert_int_equal(step, totp_step(now) + 1);
    /* Outside the window, and window 0 takes the current step only. */
    assert_int_equal(totp_verify(RFC_SECRET, far, now, 1, -1, &step), -1);
    assert_int_equal(totp_verify(RFC_SECRET, prev, now, 0, -1, &step), -1);
    assert_int_equal(totp_verify(RFC_SECRET, far, now, 2, -1, &step), 0);
}

static void test_replay(void **state)
{
    (void)state;
    const int64_t now = 1700000000;
    char code[TOTP_DIGITS + 1];
    assert_int_equal(totp_code_at(RFC_SECRET, now, code), 0);
    int64_t used = -1, step = -1;
    assert_int_equal(totp_verify(RFC_SECRET, code, now, 1, used, &step), 0);
    used = step;
    /* The same code again, even a few seconds later in the same step: refused. */
    assert_int_equal(totp_verify(RFC_SECRET, code, now + 5, 1, used, &step), -1);
    /* ... and in the next step, while it is still inside the window. */
    assert_int_equal(totp_verify(RFC_SECRET, code, now + 30, 1, used, &step), -1);
    /* An older code (previous step) is refused once a later one was used. */
    char old[TOTP_DIGITS + 1];
    assert_int_equal(totp_code_at(RFC_SECRET, now - 30, old), 0);
    assert_int_equal(totp_verify(RFC_SECRET, old, now, 1, used, &step), -1);
    /* The next step's code is fine. */
    char next[TOTP_DIGITS + 1];
    assert_int_equal(totp_code_at(RFC_SECRET, now + 30, next), 0);
    assert_int_equal(totp_verify(RFC_SECRET, next, now + 30, 1, used, &step), 0);
    assert_int_equal(step, used + 1);
}

static void test_bad_codes(void **state)
{
    (void)state;
    const int64_t now = 1700000000;
    char code[TOTP_DIGITS + 1];
    assert_int_equal(totp_code_at(RFC_SECRET, now, code), 0);
    char spaced[16];
    memcpy(spaced, code, 3);
    spaced[3] = ' ';
    memcpy(spaced + 4, code + 3, 4);
    assert_int_equal(totp_verify(RFC_SECRET, spaced, now, 1, -1, NULL), 0);

    char wrong[TOTP_DIGITS + 1];
    memcpy(wrong, code, sizeof wrong);
    wrong[5] = wrong[5] == '9' ? '0' : (char)(wrong[5] + 1);
    assert_int_equal(totp_verify(RFC_SECRET, wrong, now, 1, -1, NULL), -1);

    assert_int_equal(totp_verify(RFC_SECRET, "", now, 1, -1, NULL), -1);
    assert_int_equal(totp_verify(RFC_SECRET, "12345", now, 1, -1, NULL), -1);
    assert_int_equal(totp_verify(RFC_SECRET, "1234567", now, 1, -1, NULL), -1);
    assert_int_equal(totp_verify(RFC_SECRET, "12345a", now, 1, -1, NULL), -1);
    assert_int_equal(totp_verify(RFC_SECRET, NULL, now, 1, -1, NULL), -1);
    assert_int_equal(totp_verify(RFC_SECRET, code, now, -1, -1, NULL), -1);
    assert_int_equal(totp_verify(RFC_SECRET, code, now, 11, -1, NULL), -1);
    assert_int_equal(totp_verify(RFC_SECRET, code, -5, 1, -1, NULL), -1);
}

static void test_bad_secrets(void **state)
{
    (void)state;
    char code[TOTP_DIGITS + 1];
    assert_int_equal(totp_code_at("", 59, code), -1);
    assert_int_equal(totp_code_at(NULL, 59, code), -1);
    assert_int_equal(totp_code_at("JBSWY3DPEE", 59, code), -1);     /* 48 bits: too short */
    assert_int_equal(totp_code_at("GEZDGNBVGY3TQOJ1", 59, code), -1); /* '1' is not base32 */
    assert_int_equal(totp_verify("not base32!", "123456", 59, 1, -1, NULL), -1);
}

static void test_uri(void **state)
{
    (void)state;
    char uri[512];
    assert_int_equal(totp_uri("billsync", "alice@example.com", RFC_SECRET, uri, sizeof uri), 0);
    assert_string_equal(uri, "otpauth://totp/billsync:alice%40example.com?secret=" RFC_SECRET
                             "&issuer=billsync&algorithm=SHA1&digits=6&period=30");

    assert_int_equal(totp_uri("Acme MSP & Co", "bob o'neil@x.io", RFC_SECRET, uri, sizeof uri),
                     0);
    assert_string_equal(uri, "otpauth://totp/Acme%20MSP%20%26%20Co:bob%20o%27neil%40x.io?secret=" RFC_SECRET
                             "&issuer=Acme%20MSP%20%26%20Co&algorithm=SHA1&digits=6&period=30");

    /* UTF-8 is percent-encoded byte by byte. */
    assert_int_equal(totp_uri("Müller", "a:b", RFC_SECRET, uri, sizeof uri), 0);
    assert_non_null(strstr(uri, "totp/M%C3%BCller:a%3Ab?"));

    /* Too small a buffer: -1 and an empty string, never a truncated URI. */
    char small[40];
    assert_int_equal(totp_uri("billsync", "alice@example.com", RFC_SECRET, small, sizeof small),
                     -1);
    assert_string_equal(small, "");
    assert_int_equal(totp_uri("billsync", "a", "bad&secret=x", uri, sizeof uri), -1);
    assert_int_equal(totp_uri("billsync", "a", "", uri, sizeof uri), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6238_vectors_8_digits),
        cmocka_unit_test(test_rfc6238_vectors_6_digits),
        cmocka_unit_test(test_secret_lowercase_accepted),
        cmocka_unit_test(test_secret_new),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_bad_codes),
        cmocka_unit_test(test_bad_secrets),
        cmocka_unit_test(test_uri),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
