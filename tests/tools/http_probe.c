/* http_probe.c: test driver for net/http and net/jsonx: one or N concurrent requests (N processes), one JSON line each. */
#include "common/log.h"
#include "net/http.h"
#include "net/jsonx.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_HEADERS 16

static const char usage[] =
    "usage: http_probe --base URL [--path P] [--method M] [--query Q] [--body B]\n"
    "         [--content-type T] [--header 'Name: v']... [--write-safe 0|1|2]\n"
    "         [--connect-timeout MS] [--timeout MS] [--budget MS] [--attempts N]\n"
    "         [--backoff-base MS] [--backoff-cap MS] [--retry-after-max MS] [--max-body BYTES]\n"
    "         [--bucket NAME --limit N [--slot-dir DIR] [--conn ID]]\n"
    "         [--json] [--json-path DOTTED] [--n PROCESSES]\n"
    "Prints one JSON line per request; exit 0 when every request got a 2xx.\n";

struct opts {
    struct http_config cfg;
    const char *headers[MAX_HEADERS + 1];
    const char *path, *method, *query, *body, *content_type, *bucket, *json_path;
    int write_safe, json, n;
};

static long num(const char *s, const char *name)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 0) {
        fprintf(stderr, "http_probe: %s wants a non-negative integer\n", name);
        exit(2);
    }
    return v;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
    int nh = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            o->json = 1;
            continue;
        }
        if (!strcmp(a, "--help")) {
            fputs(usage, stdout);
            exit(0);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "http_probe: %s needs a value\n%s", a, usage);
            exit(2);
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--base")) o->cfg.base_url = v;
        else if (!strcmp(a, "--path")) o->path = v;
        else if (!strcmp(a, "--method")) o->method = v;
        else if (!strcmp(a, "--query")) o->query = v;
        else if (!strcmp(a, "--body")) o->body = v;
        else if (!strcmp(a, "--content-type")) o->content_type = v;
        else if (!strcmp(a, "--bucket")) o->bucket = v;
        else if (!strcmp(a, "--json-path")) o->json_path = v;
        else if (!strcmp(a, "--slot-dir")) o->cfg.slot_dir = v;
        else if (!strcmp(a, "--conn")) o->cfg.conn_id = v;
        else if (!strcmp(a, "--write-safe")) o->write_safe = (int)num(v, a);
        else if (!strcmp(a, "--n")) o->n = (int)num(v, a);
        else if (!strcmp(a, "--limit")) o->cfg.bucket_limit = (int)num(v, a);
        else if (!strcmp(a, "--attempts")) o->cfg.max_attempts = (int)num(v, a);
        else if (!strcmp(a, "--connect-timeout")) o->cfg.connect_timeout_ms = num(v, a);
        else if (!strcmp(a, "--timeout")) o->cfg.timeout_ms = num(v, a);
        else if (!strcmp(a, "--budget")) o->cfg.budget_ms = num(v, a);
        else if (!strcmp(a, "--backoff-base")) o->cfg.backoff_base_ms = num(v, a);
        else if (!strcmp(a, "--backoff-cap")) o->cfg.backoff_cap_ms = num(v, a);
        else if (!strcmp(a, "--retry-after-max")) o->cfg.retry_after_max_ms = num(v, a);
        else if (!strcmp(a, "--max-body")) o->cfg.max_body_bytes = (size_t)num(v, a);
        else if (!strcmp(a, "--header") && nh < MAX_HEADERS) o->headers[nh++] = v;
        else {
            fprintf(stderr, "http_probe: unknown argument '%s'\n%s", a, usage);
            exit(2);
        }
    }
    o->headers[nh] = NULL;
    o->cfg.headers = o->headers;
    if (!o->cfg.base_url || o->n < 1 || o->n > 256) {
        fputs(usage, stderr);
        exit(2);
    }
}

/* One request; prints its JSON line with a single write. Returns 0 on a 2xx. */
static int run_one(const struct opts *o, int idx)
{
    char err[256];
    struct http_client *c = http_client_new(&o->cfg, err, sizeof err);
    json_t *line = json_object();
    int rc = -1;
    json_object_set_new(line, "i", json_integer(idx));
    json_object_set_new(line, "pid", json_integer((json_int_t)getpid()));
    if (!c) {
        json_object_set_new(line, "status", json_integer(0));
        json_object_set_new(line, "error", json_string(err));
    } else {
        struct http_response r = HTTP_RESPONSE_INIT;
        rc = http_request(c, o->method, o->path, o->query, o->body, o->content_type, o->bucket,
                          o->write_safe, &r);
        struct strbuf next = STRBUF_INIT;
        int has_next = http_response_next_link(&r, &next) == 0;
        json_object_set_new(line, "status", json_integer(r.status));
        json_object_set_new(line, "ok", json_boolean(rc == 0));
        json_object_set_new(line, "attempts", json_integer(r.attempts));
        json_object_set_new(line, "error", json_string(r.error));
        json_object_set_new(line, "transport_error", json_boolean(r.transport_error));
        json_object_set_new(line, "body_len", json_integer((json_int_t)r.body.len));
        json_object_set_new(line, "ms", json_integer(r.total_ms));
        json_object_set_new(line, "url", json_string(r.url));
        json_object_set_new(line, "next", has_next ? json_string(strbuf_cstr(&next)) : json_null());
        const char *ct = http_response_header(&r, "Content-Type");
        json_object_set_new(line, "content_type", ct ? json_string(ct) : json_null());
        if (o->json || o->json_path) {
            json_t *doc = NULL;
            char jerr[256];
            if (jsonx_parse(r.body.p, r.body.len, &doc, jerr, sizeof jerr) < 0) {
                json_object_set_new(line, "json_error", json_string(jerr));
            } else {
                json_object_set_new(line, "json_error", json_null());
                const char *s = o->json_path ? jsonx_str(doc, o->json_path) : NULL;
                json_object_set_new(line, "json_path", s ? json_string(s) : json_null());
                json_decref(doc);
            }
        }
        strbuf_free(&next);
        http_response_free(&r);
        http_client_free(c);
    }
    char *text = json_dumps(line, JSON_COMPACT);
    if (text) {
        size_t len = strlen(text);
        text[len] = '\n'; /* replaces the NUL; one write per line so processes do not interleave */
        ssize_t w = write(STDOUT_FILENO, text, len + 1);
        (void)w;
        free(text);
    }
    json_decref(line);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o = {.cfg = HTTP_CONFIG_DEFAULTS, .method = "GET", .path = "", .n = 1};
    o.cfg.backoff_base_ms = 50;
    o.cfg.backoff_cap_ms = 1000;
    parse_args(argc, argv, &o);
    log_set_program("http_probe");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "http_probe: curl_global_init failed\n");
        return 1;
    }
    int fail = 0;
    if (o.n == 1) {
        fail = run_one(&o, 0) < 0;
    } else {
        for (int i = 0; i < o.n; i++) {
            pid_t pid = fork();
            if (pid < 0) {
                perror("http_probe: fork");
                fail = 1;
                break;
            }
            if (pid == 0)
                _exit(run_one(&o, i) < 0 ? 1 : 0);
        }
        int st;
        while (wait(&st) > 0)
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                fail = 1;
    }
    curl_global_cleanup();
    return fail ? 1 : 0;
}
