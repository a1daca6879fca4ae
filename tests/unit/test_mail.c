/* test_mail.c: unit tests for common/mail (message format, encoding, header injection) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mail.h"

/* Value of header name (without the CRLF), folded lines joined; NULL if absent. */
static char *header(const char *msg, const char *name)
{
    const char *end = strstr(msg, "\r\n\r\n");
    size_t nl = strlen(name);
    for (const char *p = msg; p && p < end; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL) {
        if (strncmp(p, name, nl) == 0 && p[nl] == ':' && p[nl + 1] == ' ') {
            const char *v = p + nl + 2;
            char *out = malloc(strlen(v) + 1);
            size_t o = 0;
            for (;;) {
                const char *e = strstr(v, "\r\n");
                memcpy(out + o, v, (size_t)(e - v));
                o += (size_t)(e - v);
                if (e[2] != ' ' && e[2] != '\t')
                    break;
                v = e + 2; /* unfold: CRLF is removed, the WSP stays */
            }
            out[o] = '\0';
            return out;
        }
    }
    return NULL;
}

static const char *body_of(const char *msg)
{
    const char *p = strstr(msg, "\r\n\r\n");
    assert_non_null(p);
    return p + 4;
}

/* Every LF is preceded by CR and every CR followed by LF. */
static void assert_crlf_only(const char *msg)
{
    for (const char *p = msg; *p; p++) {
        if (*p == '\n')
            assert_true(p > msg && p[-1] == '\r');
        if (*p == '\r')
            assert_true(p[1] == '\n');
    }
}

static void assert_lines_at_most(const char *msg, size_t max)
{
    const char *p = msg;
    while (*p) {
        const char *e = strstr(p, "\r\n");
        assert_non_null(e);
        assert_true((size_t)(e - p) <= max);
        p = e + 2;
    }
}

/* Decode every =?UTF-8?B?...?= word in an unfolded header and concatenate. */
static char *decode_words(const char *v)
{
    char *out = calloc(strlen(v) + 1, 1);
    size_t o = 0;
    const char *p = v;
    while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
        p += 10;
        const char *e = strstr(p, "?=");
        assert_non_null(e);
        assert_true(e - p + 12 <= 75); /* RFC 2047 word length limit */
        size_t bl = 0;
        assert_int_equal(sodium_base642bin((unsigned char *)out + o, strlen(v) - o, p,
                                           (size_t)(e - p), NULL, &bl, NULL,
                                           sodium_base64_VARIANT_ORIGINAL),
                         0);
        o += bl;
        p = e + 2;
    }
    out[o] = '\0';
    return out;
}

static void test_basic_message(void **state)
{
    (void)state;
    char *msg = NULL;
    assert_int_equal(mail_build("noreply@billsync.example", "alice@example.com",
                                "Reset your password", "Hello Alice,\nclick the link.\n", &msg),
                     0);
    assert_crlf_only(msg);
    assert_lines_at_most(msg, 78);

    char *v = header(msg, "From");
    assert_string_equal(v, "noreply@billsync.example");
    free(v);
    v = header(msg, "To");
    assert_string_equal(v, "alice@example.com");
    free(v);
    v = header(msg, "Subject");
    assert_string_equal(v, "Reset your password");
    free(v);
    v = header(msg, "MIME-Version");
    assert_string_equal(v, "1.0");
    free(v);
    v = header(msg, "Content-Type");
    assert_string_equal(v, "text/plain; charset=UTF-8");
    free(v);
    v = header(msg, "Content-Transfer-Encoding");
    assert_string_equal(v, "7bit");
    free(v);

    v = header(msg, "Date");
    assert_non_null(v);
    /* "Thu, 23 Nov 2023 11:22:33 +0000" */
    char wd[8], mon[4];
    int d, y, hh, mm, ss;
    assert_int_equal(sscanf(v, "%3s, %d %3s %d %d:%d:%d +0000", wd, &d, mon, &y, &hh, &mm, &ss),
                     7);
    assert_int_equal(v[3], ',');
    assert_non_null(strstr("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", mon));
    free(v);

    v = header(msg, "Message-ID");
    assert_non_null(v);
    assert_int_equal(v[0], '<');
    assert_non_null(strstr(v, "@billsync.example>"));
    free(v);

    assert_string_equal(body_of(msg), "Hello Alice,\r\nclick the link.\r\n");
    free(msg);
}

static void test_message_ids_differ(void **state)
{
    (void)state;
    char *a, *b;
    assert_int_equal(mail_build("a@x.example", "b@y.example", "s", "b", &a), 0);
    assert_int_equal(mail_build("a@x.example", "b@y.example", "s", "b", &b), 0);
    char *ia = header(a, "Message-ID"), *ib = header(b, "Message-ID");
    assert_string_not_equal(ia, ib);
    free(ia);
    free(ib);
    free(a);
    free(b);
}

static void test_display_name(void **state)
{
    (void)state;
    char *msg;
    assert_int_equal(mail_build("Billsync <noreply@b.example>", "a@b.example", "s", "x", &msg),
                     0);
    char *v = header(msg, "From");
    assert_string_equal(v, "\"Billsync\" <noreply@b.example>");
    free(v);
    v = header(msg, "Message-ID");
    assert_non_null(strstr(v, "@b.example>"));
    free(v);
    free(msg);

    assert_int_equal(mail_build("Acme \"IT\" <n@b.example>", "a@b.example", "s", "x", &msg), 0);
    v = header(msg, "From");
    assert_string_equal(v, "\"Acme \\\"IT\\\"\" <n@b.example>");
    free(v);
    free(msg);

    assert_int_equal(mail_build("Müller GmbH <n@b.example>", "a@b.example", "s", "x", &msg), 0);
    v = header(msg, "From");
    assert_non_null(strstr(v, "=?UTF-8?B?"));
    assert_non_null(strstr(v, " <n@b.example>"));
    char *d = decode_words(v);
    assert_string_equal(d, "Müller GmbH");
    free(d);
    free(v);
    free(msg);
}

static void test_utf8_subject(void **state)
{
    (void)state;
    char *msg;
    const char *subj = "Rechnung für März – 3 Änderungen warten auf Freigabe 🧾";
    assert_int_equal(mail_build("n@b.example", "a@b.example", subj, "x", &msg), 0);
    char *v = header(msg, "Subject");
    assert_memory_equal(v, "=?UTF-8?B?", 10);
    char *d = decode_words(v);
    assert_string_equal(d, subj);
    free(d);
    free(v);
    assert_lines_at_most(msg, 78);
    free(msg);

    /* A long subject is folded as several words, never cut inside a character. */
    char longsub[1200] = "";
    for (int i = 0; i < 100; i++)
        strcat(longsub, "ÄÖÜ€x ");
    assert_int_equal(mail_build("n@b.example", "a@b.example", longsub, "x", &msg), 0);
    assert_lines_at_most(msg, 78);
    v = header(msg, "Subject");
    d = decode_words(v);
    assert_string_equal(d, longsub);
    free(d);
    free(v);
    free(msg);

    /* Long plain ASCII subjects are encoded too, to keep lines short. */
    memset(longsub, 'a', 300);
    longsub[300] = '\0';
    assert_int_equal(mail_build("n@b.example", "a@b.example", longsub, "x", &msg), 0);
    assert_lines_at_most(msg, 78);
    v = header(msg, "Subject");
    d = decode_words(v);
    assert_string_equal(d, longsub);
    free(d);
    free(v);
    free(msg);
}

static void test_utf8_body_quoted_printable(void **state)
{
    (void)state;
    char *msg;
    const char *body = "Grüße,\nline with = sign and trailing space \n.leading dot\n";
    assert_int_equal(mail_build("n@b.example", "a@b.example", "s", body, &msg), 0);
    char *v = header(msg, "Content-Transfer-Encoding");
    assert_string_equal(v, "quoted-printable");
    free(v);
    assert_string_equal(body_of(msg), "Gr=C3=BC=C3=9Fe,\r\n"
                                      "line with =3D sign and trailing space=20\r\n"
                                      ".leading dot\r\n");
    free(msg);

    /* Long lines get soft breaks at <= 76 characters. */
    char big[400];
    memset(big, 'x', 300);
    strcpy(big + 300, "é");
    assert_int_equal(mail_build("n@b.example", "a@b.example", "s", big, &msg), 0);
    assert_crlf_only(msg);
    assert_lines_at_most(body_of(msg), 76);
    assert_non_null(strstr(body_of(msg), "=\r\n"));
    free(msg);
}

static void test_line_endings_normalised(void **state)
{
    (void)state;
    char *msg;
    assert_int_equal(mail_build("n@b.example", "a@b.example", "s", "a\rb\nc\r\nd", &msg), 0);
    assert_crlf_only(msg);
    assert_string_equal(body_of(msg), "a\r\nb\r\nc\r\nd\r\n");
    free(msg);

    assert_int_equal(mail_build("n@b.example", "a@b.example", "s", "", &msg), 0);
    assert_string_equal(body_of(msg), "");
    free(msg);

    /* A 7bit line over 998 bytes switches to quoted-printable. */
    char *big = malloc(1200);
    memset(big, 'y', 1100);
    big[1100] = '\0';
    assert_int_equal(mail_build("n@b.example", "a@b.example", "s", big, &msg), 0);
    char *v = header(msg, "Content-Transfer-Encoding");
    assert_string_equal(v, "quoted-printable");
    free(v);
    assert_lines_at_most(msg, 998);
    free(msg);
    free(big);
}

static void test_header_injection_refused(void **state)
{
    (void)state;
    char *msg = (char *)"sentinel";
    const char *ok = "a@b.example";
    assert_int_equal(mail_build(ok, "a@b.example\r\nBcc: evil@x.example", "s", "x", &msg), -1);
    assert_null(msg);
    assert_int_equal(mail_build(ok, "a@b.example\nBcc: evil@x.example", "s", "x", &msg), -1);
    assert_int_equal(mail_build(ok, ok, "hi\r\nBcc: evil@x.example", "x", &msg), -1);
    assert_int_equal(mail_build(ok, ok, "hi\nBcc: evil@x.example", "x", &msg), -1);
    assert_int_equal(mail_build(ok, ok, "hi\rBcc: evil@x.example", "x", &msg), -1);
    assert_int_equal(mail_build("n@b.example\r\nBcc: e@x.example", ok, "s", "x", &msg), -1);
    assert_int_equal(mail_build("Name\r\n <n@b.example>", ok, "s", "x", &msg), -1);
    assert_int_equal(mail_build(ok, ok, "tab\there", "x", &msg), -1);
    assert_int_equal(mail_build(ok, ok, "nul-free but DEL\x7f", "x", &msg), -1);
}

static void test_bad_addresses_and_utf8(void **state)
{
    (void)state;
    char *msg;
    const char *ok = "a@b.example";
    assert_int_equal(mail_build(ok, "", "s", "x", &msg), -1);
    assert_int_equal(mail_build(ok, "no-at-sign", "s", "x", &msg), -1);
    assert_int_equal(mail_build(ok, "a@@b", "s", "x", &msg), -1);
    assert_int_equal(mail_build(ok, "@b.example", "s", "x", &msg), -1);
    assert_int_equal(mail_build(ok, "a@", "s", "x", &msg), -1);
    assert_int_equal(mail_build(ok, "a b@c.example", "s", "x", &msg), -1);
    assert_int_equal(mail_build(ok, "a@b.example, c@d.example", "s", "x", &msg), -1);
    assert_int_equal(mail_build(ok, "<a@b.example>", "s", "x", &msg), -1);
    assert_int_equal(mail_build(ok, "ä@b.example", "s", "x", &msg), -1);
    assert_int_equal(mail_build("", ok, "s", "x", &msg), -1);
    assert_int_equal(mail_build("Name <>", ok, "s", "x", &msg), -1);
    assert_int_equal(mail_build(ok, ok, "bad \xc3\x28 utf8", "x", &msg), -1);
    assert_int_equal(mail_build(ok, ok, "s", "overlong \xc0\xaf", &msg), -1);
    assert_int_equal(mail_build(ok, ok, "s", "surrogate \xed\xa0\x80", &msg), -1);
    assert_int_equal(mail_build(ok, ok, NULL, "x", &msg), -1);
    assert_int_equal(mail_build(ok, ok, "s", NULL, &msg), -1);
    assert_int_equal(mail_build(ok, ok, "s", "x", NULL), -1);

    char *long_local = malloc(300);
    memset(long_local, 'a', 260);
    strcpy(long_local + 260, "@b.example");
    assert_int_equal(mail_build(ok, long_local, "s", "x", &msg), -1);
    free(long_local);
}

static void test_send_refused_connection(void **state)
{
    (void)state;
    /* Port 1 on loopback: nothing listens, so connect fails fast. */
    struct mail_config cfg = {
        .url = "smtp://127.0.0.1:1",
        .user = "mailer",
        .password = "hunter2-SECRET",
        .from = "Billsync <noreply@b.example>",
        .timeout_ms = 3000,
        .starttls = 0,
    };
    char err[256] = "";
    assert_int_equal(mail_send(&cfg, "a@b.example", "s", "body", err, sizeof err), -1);
    assert_true(strlen(err) > 0);
    assert_null(strstr(err, "hunter2"));

    /* Validation failures happen before any connection. */
    assert_int_equal(mail_send(&cfg, "a@b.example\r\nX: y", "s", "body", err, sizeof err), -1);
    assert_non_null(strstr(err, "invalid"));
    cfg.from = "bad";
    assert_int_equal(mail_send(&cfg, "a@b.example", "s", "body", err, sizeof err), -1);
    assert_non_null(strstr(err, "sender"));
    /* Only SMTP URLs. */
    cfg.from = "n@b.example";
    cfg.url = "http://127.0.0.1:1/";
    assert_int_equal(mail_send(&cfg, "a@b.example", "s", "body", err, sizeof err), -1);
    assert_null(strstr(err, "hunter2"));
}

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_message),
        cmocka_unit_test(test_message_ids_differ),
        cmocka_unit_test(test_display_name),
        cmocka_unit_test(test_utf8_subject),
        cmocka_unit_test(test_utf8_body_quoted_printable),
        cmocka_unit_test(test_line_endings_normalised),
        cmocka_unit_test(test_header_injection_refused),
        cmocka_unit_test(test_bad_addresses_and_utf8),
        cmocka_unit_test(test_send_refused_connection),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
