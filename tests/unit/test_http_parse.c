/* test_http_parse.c: cmocka tests for the pure parts of net/http (Link, Retry-After, URL
 * redaction, backoff bounds, retry classification) and the retry loop under a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "net/http.h"

/* ---- Link ---- */

static void link_is(const char *header, const char *rel, const char *want)
{
    struct strbuf sb = STRBUF_INIT;
    int rc = http_link_find(header, rel, &sb);
    if (want == NULL) {
        if (rc != -1)
            fail_msg("Link [%s] rel=%s: found \"%s\", want none", header ? header : "(null)", rel,
                     strbuf_cstr(&sb));
    } else {
        if (rc != 0)
            fail_msg("Link [%s] rel=%s: none found, want \"%s\"", header, rel, want);
        assert_string_equal(strbuf_cstr(&sb), want);
    }
    strbuf_free(&sb);
}

static void test_link_connectwise(void **state)
{
    (void)state;
    const char *cw = "<https://host/v4_6_release/apis/3.0/company/companies?pageSize=1000&page=1>; rel=\"first\", "
                     "<https://host/v4_6_release/apis/3.0/company/companies?pageSize=1000&page=3>; rel=\"next\", "
                     "<https://host/v4_6_release/apis/3.0/company/companies?pageSize=1000&page=4>; rel=\"last\"";
    link_is(cw, "next", "https://host/v4_6_release/apis/3.0/company/companies?pageSize=1000&page=3");
    link_is(cw, "last", "https://host/v4_6_release/apis/3.0/company/companies?pageSize=1000&page=4");
    link_is(cw, "prev", NULL);
    /* last page: next omitted */
    link_is("<https://h/x?page=1>; rel=\"first\", <https://h/x?page=3>; rel=\"prev\"", "next", NULL);
    /* forward-only paging: the Link header holds just the next pageId URL */
    link_is("<https://h/apis/3.0/finance/agreements?pageSize=999&pageId=1234>; rel=\"next\"", "next",
            "https://h/apis/3.0/finance/agreements?pageSize=999&pageId=1234");
}

static void test_link_syntax_variants(void **state)
{
    (void)state;
    link_is("<https://h/a>; rel=next", "next", "https://h/a");                   /* token value */
    link_is("<https://h/a>;rel=\"NEXT\"", "next", "https://h/a");                /* case, no space */
    link_is("<https://h/a> ; REL = \"next\"", "next", "https://h/a");            /* OWS, name case */
    link_is("<https://h/a>; rel=\"prev next\"", "next", "https://h/a");          /* several rels */
    link_is("<https://h/a>; title=\"x, y; rel=next\"; rel=\"last\", <https://h/b>; rel=\"next\"",
            "next", "https://h/b");                                             /* quoted , and ; */
    link_is("<https://h/a>; rel=\"last\"; rel=\"next\"", "next", NULL);          /* first rel counts */
    link_is("<https://h/a,b>; rel=\"next\"", "next", "https://h/a,b");           /* comma in target */
    link_is("<https://h/a>; anchor=\"#x\"; type=\"text/html\"; rel=next", "next", "https://h/a");
    link_is("<https://h/a>; title=\"say \\\"hi\\\"\"; rel=next", "next", "https://h/a");
    link_is(" , <https://h/a>; rel=next ,", "next", "https://h/a");
    link_is("</relative?pageId=5>; rel=\"next\"", "next", "/relative?pageId=5");
    link_is("<https://h/a>; rel=\"nextpage\"", "next", NULL);
    link_is("<https://h/a>; rel=\"prev\", <https://h/b>; rel=\"next\", <https://h/c>; rel=\"next\"",
            "next", "https://h/b");
}

static void test_link_malformed(void **state)
{
    (void)state;
    link_is(NULL, "next", NULL);
    link_is("", "next", NULL);
    link_is("https://h/a; rel=next", "next", NULL);              /* no <> */
    link_is("<https://h/a; rel=next", "next", NULL);             /* unclosed < */
    link_is("<https://h/a>; rel=\"next", "next", NULL);          /* unclosed quote */
    link_is("<https://h/a>; =next", "next", NULL);               /* empty param name */
    link_is("<https://h/a> junk; rel=next", "next", NULL);
    link_is("<>; rel=next", "next", NULL);                       /* empty target */
    link_is("<https://h/a>; rel=next", "", NULL);
}

/* ---- Retry-After ---- */

static void ra_is(const char *v, time_t now, int64_t want)
{
    int64_t ms = -42;
    if (http_parse_retry_after(v, now, &ms) != 0)
        fail_msg("Retry-After \"%s\" did not parse", v);
    if (ms != want)
        fail_msg("Retry-After \"%s\" = %lld ms, want %lld", v, (long long)ms, (long long)want);
}

static void ra_bad(const char *v)
{
    int64_t ms = -42;
    if (http_parse_retry_after(v, 0, &ms) != -1)
        fail_msg("Retry-After \"%s\" accepted: %lld", v ? v : "(null)", (long long)ms);
    assert_true(ms == -42);
}

static void test_retry_after(void **state)
{
    (void)state;
    ra_is("1", 0, 1000);
    ra_is("0", 0, 0);
    ra_is("120", 0, 120000);
    ra_is(" 30 ", 0, 30000);
    ra_is("007", 0, 7000);
    /* absurd values saturate rather than overflow */
    int64_t ms = 0;
    assert_int_equal(http_parse_retry_after("99999999999999999999999999", 0, &ms), 0);
    assert_true(ms > 0 && ms % 1000 == 0);
    /* HTTP-date in all three RFC 9110 forms; 784111777 is Sun, 06 Nov 1994 08:49:37 GMT */
    ra_is("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30, 30000);
    ra_is("Sunday, 06-Nov-94 08:49:37 GMT", 784111777 - 5, 5000);
    ra_is("Sun Nov  6 08:49:37 1994", 784111777 - 1, 1000);
    ra_is("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 100, 0); /* in the past: now */
    ra_is("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 120, 120000);
    ra_bad(NULL);
    ra_bad("");
    ra_bad("   ");
    ra_bad("-5");
    ra_bad("1.5");
    ra_bad("soon");
    ra_bad("12 apples");
    ra_bad("+5");
}

/* ---- redaction ---- */

static void redacts(const char *url, const char *want)
{
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(http_redact_url(url, &sb), 0);
    if (strcmp(strbuf_cstr(&sb), want) != 0)
        fail_msg("redact(%s) = %s, want %s", url, strbuf_cstr(&sb), want);
    strbuf_free(&sb);
}

static void test_redact_url(void **state)
{
    (void)state;
    redacts("https://h/x?token=abc&x=1", "https://h/x?token=***&x=1");
    redacts("https://user:pw@h:8443/p?a=1", "https://h:8443/p?a=1");
    redacts("https://h/p?client_secret=s&password=p&api_key=k&code=c&signature=g&page=2",
            "https://h/p?client_secret=***&password=***&api_key=***&code=***&signature=***&page=2");
    redacts("https://h/p?ACCESS_TOKEN=a&Sig=b&refresh%5Ftoken=c", "https://h/p?ACCESS_TOKEN=***&Sig=***&refresh%5Ftoken=***");
    redacts("https://h/p?x=1#token=frag", "https://h/p?x=1");
    redacts("https://h/p#frag", "https://h/p");
    redacts("https://h/p?token&x=", "https://h/p?token&x=");       /* no value to hide */
    redacts("https://h/p?conditions=company%2Fid%3D250&pageSize=1000&page=2",
            "https://h/p?conditions=company%2Fid%3D250&pageSize=1000&page=2");
    redacts("https://h/p?", "https://h/p?");
    redacts("https://h", "https://h");
    redacts("https://a@b@h/p", "https://h/p");
    redacts("/relative/path?password=x", "/relative/path?password=***");
    redacts("https://h/p?a=1&&token=z&", "https://h/p?a=1&&token=***&");
    redacts("https://h/p?x=token%3Dabc", "https://h/p?x=token%3Dabc"); /* value, not a name */
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(http_redact_url(NULL, &sb), -1);
    strbuf_free(&sb);
}

/* ---- backoff and classification ---- */

static void test_backoff_bounds(void **state)
{
    (void)state;
    const uint64_t rnds[] = {0, 1, 7, 999, 12345678901ULL, UINT64_MAX, UINT64_MAX - 1, 1ULL << 63};
    for (int retry = 0; retry <= 200; retry++) {
        int64_t ceiling = 100;
        for (int i = 1; i < retry && ceiling < 30000; i++)
            ceiling *= 2;
        if (ceiling > 30000)
            ceiling = 30000;
        for (size_t k = 0; k < sizeof rnds / sizeof rnds[0]; k++) {
            int64_t v = http_backoff_ms(retry, 100, 30000, rnds[k]);
            if (v < 0 || v > ceiling)
                fail_msg("backoff(%d, rnd=%llu) = %lld outside [0, %lld]", retry,
                         (unsigned long long)rnds[k], (long long)v, (long long)ceiling);
        }
        /* full jitter reaches the ceiling and zero */
        assert_true(http_backoff_ms(retry, 100, 30000, (uint64_t)ceiling) == ceiling);
        assert_true(http_backoff_ms(retry, 100, 30000, 0) == 0);
    }
    assert_true(http_backoff_ms(1, 500, 30000, 500) == 500);
    assert_true(http_backoff_ms(2, 500, 30000, 1000) == 1000);
    assert_true(http_backoff_ms(3, 500, 30000, 2000) == 2000);
    assert_true(http_backoff_ms(3, 500, 30000, 2001) == 0);
    assert_true(http_backoff_ms(64, INT64_MAX / 4, INT64_MAX, UINT64_MAX - 1) <= INT64_MAX);
    assert_true(http_backoff_ms(5, 0, 30000, 99) == 0);
    assert_true(http_backoff_ms(5, 100, 0, 99) == 0);
    assert_true(http_backoff_ms(5, 100, 250, 250) == 250);
}

static void test_classification(void **state)
{
    (void)state;
    const long retry[] = {408, 429, 500, 502, 503, 504, 599};
    const long final[] = {200, 204, 301, 302, 400, 401, 403, 404, 405, 409, 422, 600, 0};
    for (size_t i = 0; i < sizeof retry / sizeof retry[0]; i++)
        assert_int_equal(http_status_retryable(retry[i]), 1);
    for (size_t i = 0; i < sizeof final / sizeof final[0]; i++)
        assert_int_equal(http_status_retryable(final[i]), 0);
    assert_int_equal(http_method_is_write("GET"), 0);
    assert_int_equal(http_method_is_write("HEAD"), 0);
    assert_int_equal(http_method_is_write("OPTIONS"), 0);
    assert_int_equal(http_method_is_write("POST"), 1);
    assert_int_equal(http_method_is_write("PATCH"), 1);
    assert_int_equal(http_method_is_write("PUT"), 1);
    assert_int_equal(http_method_is_write("DELETE"), 1);
    assert_int_equal(http_method_is_write(NULL), 1);
}

/* ---- response helpers ---- */

static void add_header(struct http_response *r, const char *n, const char *v)
{
    r->headers[r->nheaders].name = strdup(n);
    r->headers[r->nheaders].value = strdup(v);
    r->nheaders++;
}

static void test_response_next_link(void **state)
{
    (void)state;
    struct http_response r = HTTP_RESPONSE_INIT;
    http_response_init(&r);
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(http_response_next_link(&r, &sb), -1);
    r.effective_url = strdup("https://h.example/v4_6_release/apis/3.0/finance/agreements?pageSize=2");
    add_header(&r, "link", "</v4_6_release/apis/3.0/finance/agreements?pageSize=2&pageId=9>; rel=\"next\"");
    assert_string_equal(http_response_header(&r, "Link"), http_response_header(&r, "LINK"));
    assert_null(http_response_header(&r, "Retry-After"));
    assert_int_equal(http_response_next_link(&r, &sb), 0);
    assert_string_equal(strbuf_cstr(&sb), "https://h.example/v4_6_release/apis/3.0/finance/agreements?pageSize=2&pageId=9");
    http_response_free(&r);
    assert_int_equal(r.nheaders, 0);
    assert_null(r.effective_url);
    strbuf_free(&sb);
}

/* ---- client config and the retry loop under a fake clock ---- */

struct fake_clock {
    int64_t now, step;
    int sleeps;
    int64_t slept[16];
};

/* Every look at the clock moves it on by `step` ms: time passes, deterministically. */
static int64_t fake_now(void *ctx)
{
    struct fake_clock *f = ctx;
    f->now += f->step;
    return f->now;
}

static void fake_sleep(void *ctx, int64_t ms)
{
    struct fake_clock *f = ctx;
    if (f->sleeps < 16)
        f->slept[f->sleeps] = ms;
    f->sleeps++;
    f->now += ms;
}

static void test_client_config_checks(void **state)
{
    (void)state;
    char err[256];
    struct http_config cfg = HTTP_CONFIG_DEFAULTS;
    assert_null(http_client_new(&cfg, err, sizeof err)); /* no base URL */
    assert_non_null(strstr(err, "base URL"));
    cfg.base_url = "ftp://h/";
    assert_null(http_client_new(&cfg, err, sizeof err));
    cfg.base_url = "https://h/api/";
    cfg.max_attempts = 0;
    assert_null(http_client_new(&cfg, err, sizeof err));
    cfg.max_attempts = 3;
    const char *bad_headers[] = {"X-Evil: a\r\nInjected: b", NULL};
    cfg.headers = bad_headers;
    assert_null(http_client_new(&cfg, err, sizeof err));
    const char *good_headers[] = {"Authorization: Basic eDp5", "clientId: abc", NULL};
    cfg.headers = good_headers;
    struct http_client *c = http_client_new(&cfg, err, sizeof err);
    assert_non_null(c);
    struct http_response r = HTTP_RESPONSE_INIT;
    assert_int_equal(http_request(c, "get", "x", NULL, NULL, NULL, NULL, 0, &r), -1);
    assert_non_null(strstr(r.error, "method"));
    assert_int_equal(http_request(c, "GET", "x y", NULL, NULL, NULL, NULL, 0, &r), -1);
    assert_int_equal(http_request(c, "GET", "https://other.example/api/x", NULL, NULL, NULL, NULL, 0, &r), -1);
    assert_non_null(strstr(r.error, "origin"));
    assert_int_equal(r.attempts, 0);
    http_response_free(&r);
    http_client_free(c);
}

/* Port 1 on loopback refuses connections: a transport error before anything was sent. */
static struct http_client *refusing_client(struct fake_clock *fc, struct http_clock *hc, long budget)
{
    char err[256];
    *hc = (struct http_clock){fake_now, fake_sleep, fc};
    struct http_config cfg = HTTP_CONFIG_DEFAULTS;
    cfg.base_url = "http://127.0.0.1:1/";
    cfg.max_attempts = 4;
    cfg.backoff_base_ms = 1000;
    cfg.backoff_cap_ms = 3000;
    cfg.budget_ms = budget;
    cfg.clock = hc;
    struct http_client *c = http_client_new(&cfg, err, sizeof err);
    assert_non_null(c);
    return c;
}

static void test_retry_loop_fake_clock(void **state)
{
    (void)state;
    struct fake_clock fc = {.now = 1000000, .step = 1};
    struct http_clock hc;
    struct http_client *c = refusing_client(&fc, &hc, 600000);
    struct http_response r = HTTP_RESPONSE_INIT;
    assert_int_equal(http_request(c, "GET", "x", "token=zz", NULL, NULL, NULL, 0, &r), -1);
    assert_int_equal(r.attempts, 4);
    assert_int_equal(r.transport_error, 1);
    assert_int_equal(fc.sleeps, 3);
    int64_t ceil[] = {1000, 2000, 3000};
    for (int i = 0; i < 3; i++)
        assert_true(fc.slept[i] >= 0 && fc.slept[i] <= ceil[i]);
    assert_non_null(strstr(r.error, "(after 4 attempts)"));
    assert_string_equal(r.url, "http://127.0.0.1:1/x?token=***");

    /* a POST is not retried ... */
    fc.sleeps = 0;
    assert_int_equal(http_request(c, "POST", "x", NULL, "{}", NULL, NULL, 0, &r), -1);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(fc.sleeps, 0);
    assert_non_null(strstr(r.error, "not retried"));
    /* ... unless the caller allows it when nothing reached the server (connect refused) */
    assert_int_equal(http_request(c, "POST", "x", NULL, "{}", NULL, NULL, HTTP_WRITE_RETRY_REJECTED, &r), -1);
    assert_int_equal(r.attempts, 4);
    http_response_free(&r);
    http_client_free(c);

    /* a budget smaller than the next backoff stops early with a clear message */
    fc = (struct fake_clock){.now = 5, .step = 100};
    c = refusing_client(&fc, &hc, 250);
    assert_int_equal(http_request(c, "GET", "x", NULL, NULL, NULL, NULL, 0, &r), -1);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.error, "budget"));
    http_response_free(&r);
    http_client_free(c);
}

/* A slot held through another open file description, here in this very process (as another
 * thread would), keeps a request waiting until its budget runs out; released, it is free. */
static void test_slot_excludes_within_process(void **state)
{
    (void)state;
    char dir[] = "/tmp/billsync-slots-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct fake_clock fc = {.now = 0, .step = 1};
    struct http_clock hc = {fake_now, fake_sleep, &fc};
    struct http_config cfg = HTTP_CONFIG_DEFAULTS;
    char err[256];
    cfg.base_url = "http://127.0.0.1:1/";
    cfg.max_attempts = 1;
    cfg.budget_ms = 300;
    cfg.bucket_limit = 2;
    cfg.conn_id = "c/1";
    cfg.slot_dir = dir;
    cfg.clock = &hc;
    struct http_client *c = http_client_new(&cfg, err, sizeof err);
    assert_non_null(c);
    struct http_response r = HTTP_RESPONSE_INIT;
    /* first call creates the slot files (and fails to connect, which is beside the point) */
    assert_int_equal(http_request(c, "GET", "x", NULL, NULL, NULL, "Contracts", 0, &r), -1);
    assert_int_equal(r.attempts, 1);
    int held[4], nheld = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        assert_non_null(strstr(e->d_name, "Contracts")); /* "c/1" sanitised, bucket kept */
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        assert_true(nheld < 4);
        held[nheld] = open(path, O_RDWR);
        assert_true(held[nheld] >= 0);
        assert_int_equal(flock(held[nheld], LOCK_EX | LOCK_NB), 0);
        nheld++;
    }
    closedir(d);
    assert_int_equal(nheld, 2);
    assert_int_equal(http_request(c, "GET", "x", NULL, NULL, NULL, "Contracts", 0, &r), -1);
    assert_int_equal(r.attempts, 0);
    assert_non_null(strstr(r.error, "busy"));
    /* another bucket is not affected */
    assert_int_equal(http_request(c, "GET", "x", NULL, NULL, NULL, "Tickets", 0, &r), -1);
    assert_int_equal(r.attempts, 1);
    close(held[0]); /* one slot free again */
    assert_int_equal(http_request(c, "GET", "x", NULL, NULL, NULL, "Contracts", 0, &r), -1);
    assert_int_equal(r.attempts, 1);
    close(held[1]);
    http_response_free(&r);
    http_client_free(c);
    d = opendir(dir);
    while (d && (e = readdir(d)) != NULL) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.')
            unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static int setup(void **state)
{
    (void)state;
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    curl_global_cleanup();
    return 0;
}

/* Credentials never leave in clear: https everywhere, plain http to this machine only,
 * unless net.allow_insecure_http says otherwise. */
static void test_transport_policy(void **state)
{
    (void)state;
    const char *ok[] = {"https://api.pax8.com/v1", "HTTPS://H/", "http://127.0.0.1:9/x",
                        "http://127.12.0.3/", "http://localhost:8080/", "http://LOCALHOST/",
                        "http://[::1]:7000/a", "http://user:pw@127.0.0.1/"};
    const char *refused[] = {"http://api.pax8.com/v1", "http://127.evil.example/", "http://10.0.0.1/",
                             "http://localhost.evil.example/", "http://127.0.0.1.evil.example/",
                             "http://127.0.0.1@evil.example/", "ftp://127.0.0.1/", "http://", "", "nonsense"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_true(http_url_transport_ok(ok[i]));
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        assert_false(http_url_transport_ok(refused[i]));
    assert_false(http_url_transport_ok(NULL));
    char err[256];
    struct http_config cfg = HTTP_CONFIG_DEFAULTS;
    cfg.base_url = "http://api.example.com/";
    assert_null(http_client_new(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "unencrypted"));
    http_allow_insecure(1);
    assert_true(http_url_transport_ok("http://api.example.com/"));
    assert_false(http_url_transport_ok("ftp://api.example.com/"));
    http_allow_insecure(0);
    assert_false(http_url_transport_ok("http://api.example.com/"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_connectwise),
        cmocka_unit_test(test_link_syntax_variants),
        cmocka_unit_test(test_link_malformed),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_redact_url),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_classification),
        cmocka_unit_test(test_response_next_link),
        cmocka_unit_test(test_client_config_checks),
        cmocka_unit_test(test_retry_loop_fake_clock),
        cmocka_unit_test(test_slot_excludes_within_process),
        cmocka_unit_test(test_transport_policy),
    };
    return cmocka_run_group_tests_name("http_parse", tests, setup, teardown);
}
