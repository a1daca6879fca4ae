/* http.c: the one libcurl HTTP client every connector uses (see http.h). */
#include "net/http.h"
#include "net/http_internal.h"

#include "common/log.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_URL_MAX 600       /* keep the attempt line well inside log.c's 2 KiB */
#define SLOT_POLL_MS 20       /* waiting for a busy slot polls with a jittered sleep up to this */

struct http_client {
    CURL *curl;
    struct curl_slist *headers; /* defaults, plus Expect: (no 100-continue round trip) */
    struct http_config cfg;     /* with the strings below */
    struct http_clock clock;
    char *base_url, *user_agent, *conn_id, *slot_dir, *ca_file;
    char *origin_scheme, *origin_host, *origin_port;
};

/* ---- clock, randomness ------------------------------------------------------------------- */

static int64_t real_now_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void real_sleep_ms(void *ctx, int64_t ms)
{
    (void)ctx;
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static uint64_t rand64(void)
{
    uint64_t r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r)
        return r;
    /* No entropy yet (early boot): jitter only needs to differ between processes. */
    static uint64_t s;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    s ^= (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

static int64_t now_ms(const struct http_client *c) { return c->clock.now_ms(c->clock.ctx); }

static void sleep_ms(const struct http_client *c, int64_t ms)
{
    if (ms > 0)
        c->clock.sleep_ms(c->clock.ctx, ms);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int has_ctl(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/* Append to a curl header list; on failure the list is left as it was (not leaked). */
static int slist_add(struct curl_slist **list, const char *line)
{
    struct curl_slist *l = curl_slist_append(*list, line);
    if (!l)
        return -1;
    *list = l;
    return 0;
}

struct xfer {
    struct http_response *resp;
    size_t max_body;
    int too_large, oom;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    if (n > x->max_body - x->resp->body.len) {
        x->too_large = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (strbuf_append_n(&x->resp->body, ptr, n) < 0) {
        x->oom = 1;
        return 0;
    }
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    http_response_add_header_line(x->resp, ptr, n);
    return n;
}
/* ---- client ------------------------------------------------------------------------------ */

static int url_origin(const char *url, char **scheme, char **host, char **port)
{
    CURLU *u = curl_url();
    int rc = -1;
    *scheme = *host = *port = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) == CURLUE_OK)
        rc = 0;
    curl_url_cleanup(u);
    if (rc < 0) {
        curl_free(*scheme);
        curl_free(*host);
        curl_free(*port);
        *scheme = *host = *port = NULL;
    }
    return rc;
}

static int is_http_url(const char *s) { return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8); }

/* Process-wide policy from the configuration (one value for every connection). */
static int insecure_http_allowed;

void http_allow_insecure(int on) { insecure_http_allowed = on != 0; }

int http_url_transport_ok(const char *url)
{
    char *scheme, *host, *port;
    if (!url || url_origin(url, &scheme, &host, &port) < 0)
        return 0;
    int ok = !strcasecmp(scheme, "https");
    if (!ok && !strcasecmp(scheme, "http")) {
        /* libcurl gives the host lower-cased and an IPv6 address in brackets */
        size_t digits = strspn(host + (strncmp(host, "127.", 4) ? 0 : 4), "0123456789.");
        ok = insecure_http_allowed || !strcasecmp(host, "localhost") || !strcmp(host, "[::1]") ||
             (!strncmp(host, "127.", 4) && host[4 + digits] == '\0');
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    return ok;
}

static int ensure_slot_dir(const char *dir, int owned_default, char *err, size_t errlen)
{
    struct stat st;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        set_err(err, errlen, "http: cannot create slot directory %s: %s", dir, strerror(errno));
        return -1;
    }
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "http: slot directory %s is not a directory", dir);
        return -1;
    }
    /* The default lives in a shared, world-writable place: refuse one planted by someone else. */
    if (owned_default && st.st_uid != geteuid()) {
        set_err(err, errlen, "http: slot directory %s belongs to another user", dir);
        return -1;
    }
    return 0;
}

static char *xstrdup(const char *s, int *fail)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *fail = 1;
    return d;
}

struct http_client *http_client_new(const struct http_config *cfg, char *err, size_t errlen)
{
    set_err(err, errlen, "%s", "");
    if (!cfg || !cfg->base_url || !is_http_url(cfg->base_url) || has_ctl(cfg->base_url) ||
        has_ctl(cfg->user_agent)) {
        set_err(err, errlen, "http: base URL must be an http:// or https:// URL");
        return NULL;
    }
    if (!http_url_transport_ok(cfg->base_url)) {
        set_err(err, errlen, "plain http:// would send the credentials unencrypted: use an https:// "
                             "address (http:// is accepted for this machine only)");
        return NULL;
    }
    if (cfg->max_attempts < 1 || cfg->max_attempts > 100 || cfg->timeout_ms <= 0 ||
        cfg->connect_timeout_ms <= 0 || cfg->budget_ms <= 0 || cfg->backoff_base_ms < 0 ||
        cfg->backoff_cap_ms < 0 || cfg->retry_after_max_ms < 0 || cfg->bucket_limit < 0 ||
        cfg->bucket_limit > HTTP_SLOT_LIMIT_MAX || cfg->max_body_bytes == 0) {
        set_err(err, errlen, "http: invalid limits in client config (start from HTTP_CONFIG_DEFAULTS)");
        return NULL;
    }
    for (const char *const *h = cfg->headers; h && *h; h++)
        if (!strchr(*h, ':') || has_ctl(*h)) {
            set_err(err, errlen, "http: default header %d is not a single \"Name: value\" line",
                    (int)(h - cfg->headers));
            return NULL;
        }
    struct http_client *c = calloc(1, sizeof *c);
    if (!c) {
        set_err(err, errlen, "http: out of memory");
        return NULL;
    }
    int fail = 0;
    c->cfg = *cfg;
    c->base_url = xstrdup(cfg->base_url, &fail);
    c->user_agent = xstrdup(cfg->user_agent ? cfg->user_agent : "billsync", &fail);
    c->conn_id = xstrdup(cfg->conn_id ? cfg->conn_id : "0", &fail);
    c->ca_file = xstrdup(cfg->ca_file, &fail);
    /* Only the copies are used: no pointer into the caller's config outlives this call. */
    c->cfg.base_url = c->cfg.user_agent = c->cfg.conn_id = c->cfg.slot_dir = c->cfg.ca_file = NULL;
    c->cfg.headers = NULL;
    c->cfg.clock = NULL;
    if (cfg->clock && cfg->clock->now_ms && cfg->clock->sleep_ms)
        c->clock = *cfg->clock;
    else
        c->clock = (struct http_clock){real_now_ms, real_sleep_ms, NULL};

    int has_accept = 0;
    for (const char *const *h = cfg->headers; h && *h && !fail; h++) {
        fail |= slist_add(&c->headers, *h) < 0;
        has_accept |= strncasecmp(*h, "Accept:", 7) == 0;
    }
    /* No 100-continue round trip; JSON unless the connector asked for something else. */
    if (!fail)
        fail |= slist_add(&c->headers, "Expect:") < 0;
    if (!fail && !has_accept)
        fail |= slist_add(&c->headers, "Accept: application/json") < 0;
    if (fail || !(c->curl = curl_easy_init())) {
        set_err(err, errlen, "http: out of memory");
        goto bad;
    }
    if (url_origin(c->base_url, &c->origin_scheme, &c->origin_host, &c->origin_port) < 0) {
        set_err(err, errlen, "http: base URL does not parse");
        goto bad;
    }
    if (cfg->bucket_limit > 0) {
        char def[64];
        int owned_default = !cfg->slot_dir;
        if (owned_default) {
            struct stat st;
            snprintf(def, sizeof def, "%s/billsync-slots-%u",
                     stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp",
                     (unsigned)geteuid());
        }
        c->slot_dir = xstrdup(owned_default ? def : cfg->slot_dir, &fail);
        if (fail || ensure_slot_dir(c->slot_dir, owned_default, err, errlen) < 0) {
            if (fail)
                set_err(err, errlen, "http: out of memory");
            goto bad;
        }
    }
    return c;
bad:
    http_client_free(c);
    return NULL;
}

void http_client_free(struct http_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->headers);
    free(c->base_url);
    free(c->user_agent);
    free(c->conn_id);
    free(c->slot_dir);
    free(c->ca_file);
    curl_free(c->origin_scheme);
    curl_free(c->origin_host);
    curl_free(c->origin_port);
    free(c);
}

/* ---- concurrency slots ------------------------------------------------------------------- */

/*
 * A bucket with limit L on this host is L files "<conn>~<bucket>~<hash>.<i>" in slot_dir;
 * holding an exclusive flock on one of them is holding a slot. flock locks belong to the
 * open file description, so they exclude other processes and other threads (each acquire
 * opens the file anew), and the kernel drops them when the holder exits or is killed.
 */
static void append_safe(struct strbuf *sb, const char *s)
{
    for (size_t i = 0; s[i] && i < 48; i++) {
        char ch = s[i];
        strbuf_append_char(sb, isalnum((unsigned char)ch) || ch == '-' || ch == '_' ? ch : '_');
    }
}

static int slot_acquire(struct http_client *c, const char *bucket, int64_t deadline, int *fd_out,
                        char *err, size_t errlen)
{
    int limit = c->cfg.bucket_limit;
    int fds[HTTP_SLOT_LIMIT_MAX];
    struct strbuf path = STRBUF_INIT;
    /* FNV-1a over the raw names, so names that sanitise alike still get distinct files. */
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = c->conn_id; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (const char *s = bucket; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    for (int i = 0; i < limit; i++)
        fds[i] = -1;
    int rc = -1;
    for (int i = 0; i < limit; i++) {
        strbuf_reset(&path);
        strbuf_appendf(&path, "%s/", c->slot_dir);
        append_safe(&path, c->conn_id);
        strbuf_append_char(&path, '~');
        append_safe(&path, bucket);
        if (strbuf_appendf(&path, "~%016llx.%d", (unsigned long long)h, i) < 0) {
            set_err(err, errlen, "out of memory");
            goto done;
        }
        fds[i] = open(strbuf_cstr(&path), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fds[i] < 0) {
            set_err(err, errlen, "cannot open concurrency slot file in %s: %s", c->slot_dir,
                     strerror(errno));
            goto done;
        }
    }
    for (;;) {
        int start = (int)(rand64() % (uint64_t)limit); /* spread waiters over the slots */
        for (int k = 0; k < limit; k++) {
            int i = (start + k) % limit;
            if (flock(fds[i], LOCK_EX | LOCK_NB) == 0) {
                *fd_out = fds[i];
                fds[i] = -1;
                rc = 0;
                goto done;
            }
            if (errno != EWOULDBLOCK && errno != EINTR) {
                set_err(err, errlen, "flock on concurrency slot failed: %s", strerror(errno));
                goto done;
            }
        }
        int64_t left = deadline - now_ms(c);
        if (left <= 0) {
            set_err(err, errlen, "all %d concurrency slots of bucket %s stayed busy for the whole "
                    "time budget", limit, bucket);
            goto done;
        }
        int64_t nap = 1 + (int64_t)(rand64() % SLOT_POLL_MS);
        sleep_ms(c, nap < left ? nap : left);
    }
done:
    for (int i = 0; i < limit; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    strbuf_free(&path);
    return rc;
}

/* ---- one request --------------------------------------------------------------------------- */

static int build_url(const struct http_client *c, const char *path_or_url, const char *query,
                     struct strbuf *url, char *err, size_t errlen)
{
    if (has_ctl(path_or_url) || has_ctl(query) || strchr(path_or_url, ' ') ||
        (query && strchr(query, ' '))) {
        set_err(err, errlen, "request path or query holds spaces or control characters");
        return -1;
    }
    if (is_http_url(path_or_url)) {
        char *s, *h, *p;
        if (url_origin(path_or_url, &s, &h, &p) < 0) {
            set_err(err, errlen, "absolute URL does not parse");
            return -1;
        }
        int same = !strcasecmp(s, c->origin_scheme) && !strcasecmp(h, c->origin_host) &&
                   !strcmp(p, c->origin_port);
        curl_free(s);
        curl_free(h);
        curl_free(p);
        if (!same) {
            /* A paging URL from a response must not carry our auth headers to another host. */
            set_err(err, errlen, "absolute URL is outside the connection's origin %s://%s:%s",
                    c->origin_scheme, c->origin_host, c->origin_port);
            return -1;
        }
        if (strbuf_append(url, path_or_url) < 0)
            goto oom;
    } else {
        size_t bl = strlen(c->base_url);
        int base_slash = bl && c->base_url[bl - 1] == '/';
        if (strbuf_append(url, c->base_url) < 0)
            goto oom;
        if (base_slash && path_or_url[0] == '/')
            path_or_url++;
        else if (!base_slash && path_or_url[0] && path_or_url[0] != '/' && path_or_url[0] != '?')
            if (strbuf_append_char(url, '/') < 0)
                goto oom;
        if (strbuf_append(url, path_or_url) < 0)
            goto oom;
    }
    if (query && *query) {
        char joiner = strchr(strbuf_cstr(url), '?') ? '&' : '?';
        if (strbuf_append_char(url, joiner) < 0 || strbuf_append(url, query) < 0)
            goto oom;
    }
    return 0;
oom:
    set_err(err, errlen, "out of memory");
    return -1;
}

static int curl_code_retryable(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0; /* certificate problems, bad URL, our own size cap, ...: retrying cannot help */
    }
}

struct attempt {
    CURLcode cc;
    int not_sent;           /* the request surely never reached the server */
    int too_large, oom;
    char ebuf[CURL_ERROR_SIZE];
};

static void perform(struct http_client *c, const char *method, const char *url, const char *body,
                    struct curl_slist *headers, int64_t remaining, struct http_response *r,
                    struct attempt *a, int fresh_connection)
{
    CURL *h = c->curl;
    struct xfer x = {.resp = r, .max_body = c->cfg.max_body_bytes};
    a->ebuf[0] = '\0';
    curl_easy_reset(h); /* clears options; keeps the connection and DNS caches */
    long tmo = (long)(remaining < c->cfg.timeout_ms ? remaining : c->cfg.timeout_ms);
    long ctmo = c->cfg.connect_timeout_ms < tmo ? c->cfg.connect_timeout_ms : tmo;
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, a->ebuf);
    curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    /* A write that must not be repeated gets a connection of its own: when a reused
     * connection dies before any answer, libcurl silently re-sends the request on a new one
     * ("Connection died, retrying a fresh connect"), repeating a write the server may
     * already have committed (a "commit then drop"). */
    if (fresh_connection)
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ctmo > 0 ? ctmo : 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, tmo > 0 ? tmo : 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* the size cap applies after decoding */
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->cfg.max_body_bytes);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    if (!strcmp(method, "GET")) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (!strcmp(method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        /* POST, PUT and PATCH always carry a body (Content-Length: 0 when none is given). */
        if (body || !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? strlen(body) : 0));
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        }
    }
    a->cc = curl_easy_perform(h);
    a->too_large = x.too_large || a->cc == CURLE_FILESIZE_EXCEEDED;
    a->oom = x.oom;
    a->not_sent = a->cc == CURLE_COULDNT_RESOLVE_HOST || a->cc == CURLE_COULDNT_RESOLVE_PROXY ||
                  a->cc == CURLE_COULDNT_CONNECT || a->cc == CURLE_SSL_CONNECT_ERROR;
    if (a->cc == CURLE_OPERATION_TIMEDOUT) {
        curl_off_t pre = 0;
        /* Timed out before the transfer began, i.e. while connecting: nothing was sent. */
        if (curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pre) == CURLE_OK && pre == 0)
            a->not_sent = 1;
    }
    if (a->cc == CURLE_OK) {
        long st = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
        r->status = st;
    }
}

static const char *transport_text(const struct attempt *a, const struct http_client *c, char *buf,
                                  size_t n)
{
    if (a->too_large)
        snprintf(buf, n, "response body larger than %zu bytes", c->cfg.max_body_bytes);
    else if (a->oom)
        snprintf(buf, n, "out of memory reading the response");
    else {
        /* Cut curl's message to fit (a copy, not snprintf: gcc warns on the truncation). */
        const char *m = a->ebuf[0] ? a->ebuf : curl_easy_strerror(a->cc);
        size_t l = strnlen(m, n - 1);
        memcpy(buf, m, l);
        buf[l] = '\0';
    }
    return buf;
}

int http_request(struct http_client *c, const char *method, const char *path_or_url,
                 const char *query, const char *body, const char *content_type,
                 const char *bucket, int write_safe_to_retry, struct http_response *out)
{
    struct http_req rq = {.method = method, .path_or_url = path_or_url, .query = query, .body = body,
                          .content_type = content_type, .bucket = bucket,
                          .write_safe_to_retry = write_safe_to_retry};
    return http_send(c, &rq, out);
}

int http_request_ex(struct http_client *c, const char *method, const char *path_or_url,
                    const char *query, const char *body, const char *content_type,
                    const char *bucket, int write_safe_to_retry, const char *const *extra_headers,
                    struct http_response *out)
{
    struct http_req rq = {.method = method, .path_or_url = path_or_url, .query = query, .body = body,
                          .content_type = content_type, .bucket = bucket,
                          .write_safe_to_retry = write_safe_to_retry, .extra_headers = extra_headers};
    return http_send(c, &rq, out);
}

/* Checks the request, builds its URL (and the redacted one for logs and out->url) and its
 * header list: the client's defaults, this request's Content-Type, its extra headers.
 * 0, or -1 with out->error set. */
static int prepare(const struct http_client *c, const struct http_req *rq, struct strbuf *url,
                   struct strbuf *red, struct curl_slist **headers, struct http_response *out)
{
    const char *method = rq->method;
    size_t mlen = method ? strlen(method) : 0;
    if (mlen == 0 || mlen > 16 || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != mlen) {
        set_err(out->error, sizeof out->error, "invalid HTTP method");
        return -1;
    }
    if (!rq->path_or_url || build_url(c, rq->path_or_url, rq->query, url, out->error, sizeof out->error) < 0) {
        if (!rq->path_or_url)
            set_err(out->error, sizeof out->error, "no request path");
        return -1;
    }
    if (http_redact_url(strbuf_cstr(url), red) < 0) {
        set_err(out->error, sizeof out->error, "out of memory");
        return -1;
    }
    snprintf(out->url, sizeof out->url, "%s", strbuf_cstr(red));
    out->effective_url = strdup(strbuf_cstr(url));
    if (rq->content_type && has_ctl(rq->content_type)) {
        set_err(out->error, sizeof out->error, "content type holds control characters");
        return -1;
    }
    for (const char *const *h = rq->extra_headers; h && *h; h++)
        if (!strchr(*h, ':') || has_ctl(*h)) {
            set_err(out->error, sizeof out->error,
                    "extra header %d is not a single \"Name: value\" line", (int)(h - rq->extra_headers));
            return -1;
        }
    struct strbuf ct = STRBUF_INIT;
    int oom = !out->effective_url;
    if (rq->body || rq->content_type)
        oom |= strbuf_appendf(&ct, "Content-Type: %s", rq->content_type ? rq->content_type : "application/json") < 0;
    for (struct curl_slist *l = c->headers; !oom && l; l = l->next)
        oom |= slist_add(headers, l->data) < 0;
    if (!oom && ct.len)
        oom |= slist_add(headers, strbuf_cstr(&ct)) < 0;
    for (const char *const *h = rq->extra_headers; !oom && h && *h; h++)
        oom |= slist_add(headers, *h) < 0;
    strbuf_free(&ct);
    if (oom) {
        set_err(out->error, sizeof out->error, "out of memory");
        return -1;
    }
    return 0;
}

/* What one attempt came to. */
struct verdict {
    int ok, retryable;
    int64_t wait;                 /* before the next attempt; -1: no next attempt */
    char what[128];               /* "HTTP 503" or the transport's words; short, so every
                                   * message built around it fits out->error */
};

/* Judges attempt n of max: done, give up (out->error says why), or wait and retry (how long:
 * Retry-After when the server gave one within the cap, else back-off; never past the
 * deadline). */
static void judge(const struct http_client *c, const struct http_req *rq, int n, int max, int64_t deadline,
                  const struct attempt *a, struct http_response *out, struct verdict *v)
{
    int rejected = 0;
    v->ok = 0;
    v->retryable = 0;
    v->wait = -1;
    if (a->cc != CURLE_OK) {
        out->transport_error = 1;
        transport_text(a, c, v->what, sizeof v->what);
        v->retryable = curl_code_retryable(a->cc) && !a->too_large && !a->oom;
        rejected = a->not_sent;
    } else {
        snprintf(v->what, sizeof v->what, "HTTP %ld", out->status);
        v->retryable = http_status_retryable(out->status);
        rejected = out->status == 429 || out->status == 408;
    }
    v->ok = a->cc == CURLE_OK && out->status >= 200 && out->status <= 299;
    int is_write = http_method_is_write(rq->method);
    int allowed = !is_write || rq->write_safe_to_retry == HTTP_WRITE_RETRY_ALL ||
                  (rq->write_safe_to_retry == HTTP_WRITE_RETRY_REJECTED && rejected);
    const char *what = v->what;
    char why[HTTP_ERROR_MAX] = "";
    if (v->ok) {
        out->error[0] = '\0';
        return;
    }
    if (!v->retryable) {
        if (out->status >= 300 && out->status <= 399)
            snprintf(why, sizeof why, "%s (redirects are not followed)", what);
        else
            snprintf(why, sizeof why, "%s", what);
    } else if (!allowed) {
        snprintf(why, sizeof why, "%s; %s not retried (a write the server may have acted on)", what, rq->method);
    } else if (n == max) {
        snprintf(why, sizeof why, "%s (after %d attempts)", what, n);
    } else {
        const char *ra = a->cc == CURLE_OK ? http_response_header(out, "Retry-After") : NULL;
        int64_t ra_ms;
        if (ra && http_parse_retry_after(ra, time(NULL), &ra_ms) == 0) {
            if (ra_ms > c->cfg.retry_after_max_ms) {
                snprintf(why, sizeof why, "%s: server asked to retry after %lld s (Retry-After), "
                         "more than the %ld s cap", what, (long long)(ra_ms / 1000),
                         c->cfg.retry_after_max_ms / 1000);
            } else {
                /* A little jitter so many workers told the same time do not stampede. */
                int64_t j = c->cfg.backoff_base_ms < 1000 ? c->cfg.backoff_base_ms : 1000;
                v->wait = ra_ms + (j > 0 ? (int64_t)(rand64() % (uint64_t)(j + 1)) : 0);
            }
        } else {
            v->wait = http_backoff_ms(n, c->cfg.backoff_base_ms, c->cfg.backoff_cap_ms, rand64());
        }
        int64_t left = deadline - now_ms(c);
        if (v->wait >= 0 && v->wait >= left) {
            snprintf(why, sizeof why, "%s: waiting %lld ms to retry would exceed the remaining "
                     "time budget (%lld ms)", what, (long long)v->wait, (long long)(left > 0 ? left : 0));
            v->wait = -1;
        }
    }
    if (v->wait < 0)
        snprintf(out->error, sizeof out->error, "%s", why);
}

/* The one line for an attempt: never header values or bodies, URL redacted. */
static void log_attempt(const struct http_req *rq, const char *logurl, const char *bucket, int n, int max,
                        int64_t took, const struct attempt *a, const struct verdict *v,
                        const struct http_response *out)
{
    char tail[HTTP_ERROR_MAX + 32] = "";
    if (v->wait >= 0)
        snprintf(tail, sizeof tail, "; retry in %lld ms", (long long)v->wait);
    else if (!v->ok && !v->retryable)
        snprintf(tail, sizeof tail, "; not retryable");
    else if (!v->ok)
        snprintf(tail, sizeof tail, "; giving up: %s", out->error);
    int te = a->cc != CURLE_OK;
    log_msg(v->ok ? LOG_INFO : LOG_WARN, "http %s %s -> %s%s%s %lldms attempt %d/%d bucket=%s%s", rq->method,
            logurl, te ? "error \"" : "", v->what, te ? "\"" : "", (long long)took, n, max, bucket ? bucket : "-",
            tail);
}

/* Takes the bucket's concurrency slot for an attempt (*slot -1 when there is no bucket) and
 * the time left after it (*remaining). 0, or -1 with out->error set (the slot given back). */
static int attempt_slot(struct http_client *c, const struct http_req *rq, const char *bucket, const char *logurl,
                        int n, int max, int64_t deadline, int *slot, int64_t *remaining, struct http_response *out)
{
    *slot = -1;
    if (bucket && c->cfg.bucket_limit > 0 &&
        slot_acquire(c, bucket, deadline, slot, out->error, sizeof out->error) < 0) {
        log_warn("http %s %s -> no slot: %s attempt %d/%d bucket=%s", rq->method, logurl, out->error, n, max,
                 bucket);
        return -1;
    }
    *remaining = deadline - now_ms(c);
    if (*remaining <= 0) {
        if (*slot >= 0)
            close(*slot);
        *slot = -1;
        set_err(out->error, sizeof out->error, "time budget of %ld ms used up waiting for a "
                "concurrency slot", c->cfg.budget_ms);
        return -1;
    }
    return 0;
}

/* The gate before an attempt: 0 go; -1 refused or paused past the deadline (out->error set). */
static int gate_pass(struct http_client *c, const struct http_req *rq, const char *logurl, int64_t deadline,
                     struct http_response *out)
{
    const struct http_gate *g = c->cfg.gate;
    char why[HTTP_ERROR_MAX] = "";
    for (long w; g && g->enter && (w = g->enter(g->ctx, why, sizeof why)) != 0;) {
        if (w < 0 || now_ms(c) + w >= deadline) {
            set_err(out->error, sizeof out->error, "%s", w < 0 ? why : "the PSA asked every worker to pause "
                    "longer than this call may wait");
            out->gate_refused = 1;
            log_warn("http %s %s -> not sent: %s", rq->method, logurl, out->error);
            return -1;
        }
        sleep_ms(c, w);
    }
    return 0;
}

/* A 429 tells every process sharing the gate to pause. */
static void gate_throttled(struct http_client *c, const struct http_response *out)
{
    const struct http_gate *g = c->cfg.gate;
    if (!g || !g->throttled || out->status != 429)
        return;
    const char *ra = http_response_header(out, "Retry-After");
    int64_t ms = 30000;
    if (ra && http_parse_retry_after(ra, time(NULL), &ms) < 0)
        ms = 30000;
    g->throttled(g->ctx, (long)((ms + 999) / 1000));
}

int http_send(struct http_client *c, const struct http_req *rq, struct http_response *out)
{
    http_response_free(out);
    int64_t start = now_ms(c), deadline = start + c->cfg.budget_ms;
    struct strbuf url = STRBUF_INIT, red = STRBUF_INIT;
    struct curl_slist *headers = NULL;
    int rc = -1;
    const char *bname = rq->bucket && *rq->bucket ? rq->bucket : NULL;
    if (prepare(c, rq, &url, &red, &headers, out) < 0)
        goto done;
    int fresh = http_method_is_write(rq->method) && rq->write_safe_to_retry != HTTP_WRITE_RETRY_ALL;
    char logurl[LOG_URL_MAX + 4];
    snprintf(logurl, sizeof logurl, "%.*s%s", LOG_URL_MAX, strbuf_cstr(&red), red.len > LOG_URL_MAX ? "..." : "");
    int max = c->cfg.max_attempts;
    for (int n = 1; n <= max; n++) {
        if (deadline - now_ms(c) <= 0) {
            set_err(out->error, sizeof out->error, "time budget of %ld ms used up before attempt %d",
                    c->cfg.budget_ms, n);
            break;
        }
        int slot;
        int64_t remaining;
        if (gate_pass(c, rq, logurl, deadline, out) < 0 ||
            attempt_slot(c, rq, bname, logurl, n, max, deadline, &slot, &remaining, out) < 0)
            break;
        http_response_clear_headers(out);
        strbuf_reset(&out->body);
        out->status = 0;
        out->transport_error = 0;
        out->attempts = n;
        struct attempt a;
        int64_t t0 = now_ms(c);
        perform(c, rq->method, strbuf_cstr(&url), rq->body, headers, remaining, out, &a, fresh);
        int64_t took = now_ms(c) - t0;
        if (slot >= 0)
            close(slot); /* releases the flock: the next waiter may go */
        gate_throttled(c, out);
        struct verdict v;
        judge(c, rq, n, max, deadline, &a, out, &v);
        if (v.ok)
            rc = 0;
        log_attempt(rq, logurl, bname, n, max, took, &a, &v, out);
        if (v.wait < 0)
            break;
        sleep_ms(c, v.wait);
    }
done:
    out->total_ms = now_ms(c) - start;
    if (rc < 0 && !out->error[0])
        set_err(out->error, sizeof out->error, "request failed");
    curl_slist_free_all(headers);
    strbuf_free(&url);
    strbuf_free(&red);
    return rc;
}
