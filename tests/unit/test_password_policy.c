/* test_password_policy.c: unit tests for core/password_policy and common/password_list */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/password_list.h"
#include "core/password_policy.h"

/* Sorted by strcmp, lowercase, as password_list produces. */
static const char *const common[] = {
    "123456789012", "iloveyou1234", "password", "password1234", "qwertyuiop123",
};
static const size_t ncommon = sizeof common / sizeof common[0];

static void fill(char *buf, size_t n, const char *unit)
{
    size_t ul = strlen(unit), o = 0;
    for (size_t i = 0; i < n; i++, o += ul)
        memcpy(buf + o, unit, ul);
    buf[o] = '\0';
}

static void test_length_rules(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_int_equal(password_check("short", NULL, NULL, 0, &why), -1);
    assert_non_null(strstr(why, "12"));
    assert_int_equal(password_check("elevenchars", NULL, NULL, 0, &why), -1);
    assert_int_equal(password_check("twelve chars", NULL, NULL, 0, &why), 0);
    assert_null(why);
    assert_int_equal(password_check("", NULL, NULL, 0, &why), -1);
    assert_int_equal(password_check(NULL, NULL, NULL, 0, &why), -1);
    assert_non_null(why);
    /* reason may be NULL. */
    assert_int_equal(password_check("short", NULL, NULL, 0, NULL), -1);
}

static void test_unicode_counts_code_points(void **state)
{
    (void)state;
    const char *why;
    char buf[4200];
    /* 11 two-byte characters = 22 bytes, still too short. */
    fill(buf, 11, "é");
    assert_int_equal(strlen(buf), 22);
    assert_int_equal(password_utf8_length(buf), 11);
    assert_int_equal(password_check(buf, NULL, NULL, 0, &why), -1);
    fill(buf, 12, "é");
    assert_int_equal(password_check(buf, NULL, NULL, 0, &why), 0);
    /* Four-byte characters: 11 emoji are 44 bytes but 11 characters. */
    fill(buf, 11, "🔑");
    assert_int_equal(password_utf8_length(buf), 11);
    assert_int_equal(password_check(buf, NULL, NULL, 0, &why), -1);
    fill(buf, 12, "🔑");
    assert_int_equal(password_check(buf, NULL, NULL, 0, &why), 0);
    /* CJK, 3 bytes each. */
    fill(buf, 12, "密");
    assert_int_equal(password_check(buf, NULL, NULL, 0, &why), 0);
    assert_int_equal(password_utf8_length("a€😀"), 3);
    assert_int_equal(password_utf8_length(""), 0);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    const char *why;
    assert_int_equal(password_check("abcdefghijk\xff", NULL, NULL, 0, &why), -1);
    assert_non_null(why);
    assert_int_equal(password_utf8_length("\xc0\xaf"), -1);            /* overlong '/' */
    assert_int_equal(password_utf8_length("\xed\xa0\x80"), -1);        /* surrogate */
    assert_int_equal(password_utf8_length("\xf4\x90\x80\x80"), -1);    /* > U+10FFFF */
    assert_int_equal(password_utf8_length("abc\xe2\x82"), -1);         /* truncated */
    assert_int_equal(password_utf8_length("\x80"), -1);                /* lone continuation */
    assert_int_equal(password_utf8_length(NULL), -1);
    assert_int_equal(password_check("aaaaaaaaaaaaa\xe2\x82", NULL, NULL, 0, &why), -1);
}

static void test_long_passwords(void **state)
{
    (void)state;
    const char *why;
    char buf[4200];
    /* 128 characters: accepted, in ASCII and in 4-byte characters (512 bytes). */
    fill(buf, 128, "x");
    assert_int_equal(password_check(buf, NULL, common, ncommon, &why), 0);
    fill(buf, 128, "🔑");
    assert_int_equal(strlen(buf), 512);
    assert_int_equal(password_check(buf, NULL, common, ncommon, &why), 0);
    /* 256 four-byte characters = exactly 1024 bytes: accepted. */
    fill(buf, 256, "🔑");
    assert_int_equal(password_check(buf, NULL, common, ncommon, &why), 0);
    /* 1024 bytes accepted, 1025 refused. */
    fill(buf, 1024, "y");
    assert_int_equal(password_check(buf, NULL, common, ncommon, &why), 0);
    fill(buf, 1025, "y");
    assert_int_equal(password_check(buf, NULL, common, ncommon, &why), -1);
    assert_non_null(strstr(why, "long"));
    fill(buf, 4000, "z");
    assert_int_equal(password_check(buf, NULL, common, ncommon, &why), -1);
}

static void test_common_list(void **state)
{
    (void)state;
    const char *why;
    assert_int_equal(password_check("password1234", NULL, common, ncommon, &why), -1);
    assert_non_null(strstr(why, "common"));
    assert_int_equal(password_check("PassWord1234", NULL, common, ncommon, &why), -1);
    assert_int_equal(password_check("QWERTYUIOP123", NULL, common, ncommon, &why), -1);
    assert_int_equal(password_check("123456789012", NULL, common, ncommon, &why), -1);
    assert_int_equal(password_check("password12345", NULL, common, ncommon, &why), 0);
    assert_int_equal(password_check("password1234", NULL, NULL, 0, &why), 0);
}

static void test_email_rules(void **state)
{
    (void)state;
    const char *why;
    const char *email = "maximilian.mustermann@example.com";
    assert_int_equal(password_check(email, email, NULL, 0, &why), -1);
    assert_non_null(strstr(why, "e-mail"));
    assert_int_equal(password_check("Maximilian.Mustermann@Example.COM", email, NULL, 0, &why),
                     -1);
    assert_int_equal(password_check("maximilian.mustermann", email, NULL, 0, &why), -1);
    assert_int_equal(password_check("MAXIMILIAN.MUSTERMANN", email, NULL, 0, &why), -1);
    assert_int_equal(password_check("maximilian.mustermann!", email, NULL, 0, &why), 0);
    assert_int_equal(password_check("maximilian.mustermann", "", NULL, 0, &why), 0);
    assert_int_equal(password_check("maximilian.mustermann", "noatsign", NULL, 0, &why), 0);
}

static char tmpdir[64];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_list_load_sorts_and_cleans(void **state)
{
    (void)state;
    char path[128], err[256] = "";
    snprintf(path, sizeof path, "%s/list.txt", tmpdir);
    write_text(path, "#!comment: header\nZebra\r\napple\n\n\nPASSWORD1234\npassword1234\nbanana");
    struct password_list list;
    assert_int_equal(password_list_load(path, &list, err, sizeof err), 0);
    assert_int_equal(list.count, 4);
    assert_string_equal(list.words[0], "apple");
    assert_string_equal(list.words[1], "banana");
    assert_string_equal(list.words[2], "password1234");
    assert_string_equal(list.words[3], "zebra");
    const char *why;
    assert_int_equal(password_check("Password1234", NULL, list.words, list.count, &why), -1);
    password_list_free(&list);
    assert_null(list.words);
    password_list_free(&list); /* twice is harmless */

    write_text(path, "");
    assert_int_equal(password_list_load(path, &list, err, sizeof err), 0);
    assert_int_equal(list.count, 0);
    password_list_free(&list);
}

static void test_list_load_errors(void **state)
{
    (void)state;
    char path[128], err[256] = "";
    struct password_list list;
    snprintf(path, sizeof path, "%s/nope.txt", tmpdir);
    assert_int_equal(password_list_load(path, &list, err, sizeof err), -1);
    assert_non_null(strstr(err, "nope.txt"));
    assert_null(list.words);
    assert_int_equal(list.count, 0);
    assert_int_equal(password_list_load(tmpdir, &list, err, sizeof err), -1);
    assert_int_equal(password_list_load(NULL, &list, err, sizeof err), -1);
}

/* The shipped list. __FILE__ is relative when make compiles from the repo
 * root, so if that does not resolve from the current directory, fall back
 * to the binary's location (<root>/build/unit/test_password_policy). */
static void shipped_list_path(char *out, size_t n)
{
    const char *file = __FILE__;
    const char *cut = strstr(file, "tests/unit/");
    size_t root = cut ? (size_t)(cut - file) : 0;
    snprintf(out, n, "%.*sconf/common-passwords.txt", (int)root, file);
    if (access(out, R_OK) == 0)
        return;
    char exe[400];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return;
    exe[len] = '\0';
    for (int up = 0; up < 3; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash)
            return;
        *slash = '\0';
    }
    snprintf(out, n, "%s/conf/common-passwords.txt", exe);
}

static void test_shipped_list(void **state)
{
    (void)state;
    char path[512], err[256] = "";
    shipped_list_path(path, sizeof path);
    struct password_list list;
    if (password_list_load(path, &list, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_true(list.count > 1000);
    for (size_t i = 1; i < list.count; i++)
        assert_true(strcmp(list.words[i - 1], list.words[i]) < 0);
    const char *why;
    const char *refused[] = {"password1234", "Password1234", "qwertyuiop123", "123456789012",
                             "111111111111", "iloveyou1234", "passwordpassword",
                             "1q2w3e4r5t6y", "Welcome2024!", "correcthorsebatterystaple"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        if (password_check(refused[i], NULL, list.words, list.count, &why) != -1)
            fail_msg("accepted common password %s", refused[i]);
        assert_non_null(strstr(why, "common"));
    }
    assert_int_equal(password_check("violet tractor 94 lantern", "a@b.example", list.words,
                                    list.count, &why),
                     0);
    password_list_free(&list);
}

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/billsync-pwlist-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length_rules),
        cmocka_unit_test(test_unicode_counts_code_points),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_long_passwords),
        cmocka_unit_test(test_common_list),
        cmocka_unit_test(test_email_rules),
        cmocka_unit_test(test_list_load_sorts_and_cleans),
        cmocka_unit_test(test_list_load_errors),
        cmocka_unit_test(test_shipped_list),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
