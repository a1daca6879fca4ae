/* http.h: the one libcurl HTTP client every connector uses (timeouts, retries, Retry-After, concurrency cap). */
#ifndef BILLSYNC_NET_HTTP_H
#define BILLSYNC_NET_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/strbuf.h"

/*
 * Usage, one client per connection (and per thread: a client is not thread-safe):
 *
 *     struct http_config cfg = HTTP_CONFIG_DEFAULTS;
 *     cfg.base_url = "https://webservices2.autotask.net/ATServicesRest/V1.0/";
 *     cfg.headers = auth_headers;           // {"ApiIntegrationCode: ...", ..., NULL}
 *     cfg.conn_id = "17"; cfg.bucket_limit = 3; cfg.slot_dir = "/dev/shm/billsync";
 *     struct http_client *c = http_client_new(&cfg, err, sizeof err);
 *     struct http_response r = HTTP_RESPONSE_INIT;
 *     if (http_request(c, "GET", "Contracts/query", "search=...", NULL, NULL, "Contracts",
 *                      0, &r) < 0) ... r.status, r.error, r.body ...
 *     http_response_free(&r); http_client_free(c);
 *
 * Retries: transport failures (refused, reset, timeout, empty reply), 408, 429 and 5xx are
 * retried with capped exponential backoff and full jitter, honouring Retry-After. Reads
 * (GET, HEAD, OPTIONS) always; writes only as the caller's write_safe_to_retry allows,
 * because a write that timed out may have been committed: the caller re-reads target state
 * instead. Any other 4xx is final at once. Redirects are never followed.
 */

/* write_safe_to_retry values (a plain boolean 1 means HTTP_WRITE_RETRY_ALL). */
#define HTTP_WRITE_RETRY_NEVER 0
#define HTTP_WRITE_RETRY_ALL 1      /* idempotent write (PUT of full state, POST query, keyed POST) */
#define HTTP_WRITE_RETRY_REJECTED 2 /* only when the server surely did not act: 429, connect failure */

#define HTTP_MAX_BODY_DEFAULT (32u << 20)
#define HTTP_MAX_HEADERS 48
#define HTTP_ERROR_MAX 256
#define HTTP_SLOT_LIMIT_MAX 64

/* Test hook: replace the monotonic clock and the sleep (ctx is passed through). */
struct http_clock {
    int64_t (*now_ms)(void *ctx);
    void (*sleep_ms)(void *ctx, int64_t ms);
    void *ctx;
};

/* A gate every attempt passes before it is sent: a budget shared with other processes and
 * hosts (connectors/psa_util.c psa_gate). enter: 0 go; > 0 wait that many ms and ask again;
 * < 0 refused (why filled): the call fails unsent, with http_response.gate_refused set. After an
 * attempt answered 429, throttled gets its Retry-After in seconds (30 when it gave none). */
struct http_gate {
    long (*enter)(void *ctx, char *why, size_t n);
    void (*throttled)(void *ctx, long retry_after_s);
    void *ctx;
};

struct http_config {
    const char *base_url;        /* prefix for relative paths, e.g. "https://host/apis/3.0/" */
    const char *const *headers;  /* NULL-terminated "Name: value" lines for every request (plus
                                    "Expect:" and, unless given, "Accept: application/json") */
    const char *user_agent;      /* NULL: "billsync" */
    const char *conn_id;         /* connection id: first half of the concurrency slot key */
    const char *slot_dir;        /* directory for slot files; NULL: /dev/shm/billsync-<uid> */
    const char *ca_file;         /* extra CA bundle (tests, private CAs); NULL: system store */
    long connect_timeout_ms;     /* per attempt */
    long timeout_ms;             /* per attempt, whole transfer */
    long budget_ms;              /* whole call: attempts, waits for slots and backoff */
    int max_attempts;            /* >= 1 */
    long backoff_base_ms;        /* first retry waits up to this (full jitter) */
    long backoff_cap_ms;         /* no single backoff wait is longer */
    long retry_after_max_ms;     /* a longer Retry-After gives up with a clear error */
    int bucket_limit;            /* requests in flight per (conn_id, bucket) on this host; 0: no cap */
    size_t max_body_bytes;       /* response bodies beyond this fail (not retried) */
    const struct http_clock *clock; /* NULL: real monotonic clock and nanosleep */
    const struct http_gate *gate; /* NULL: none; the pointer is kept, it must outlive the client */
};

#define HTTP_CONFIG_DEFAULTS                                                                    \
    {.connect_timeout_ms = 10000, .timeout_ms = 60000, .budget_ms = 300000, .max_attempts = 5,  \
     .backoff_base_ms = 500, .backoff_cap_ms = 30000, .retry_after_max_ms = 120000,             \
     .bucket_limit = 0, .max_body_bytes = HTTP_MAX_BODY_DEFAULT}

struct http_header {
    char *name;
    char *value;
};

struct http_response {
    long status;                  /* final HTTP status; 0 when no response arrived */
    struct strbuf body;           /* final response body */
    struct http_header headers[HTTP_MAX_HEADERS]; /* final response's headers; repeats joined by ", " */
    int nheaders;
    int attempts;                 /* attempts made (requests sent or tried) */
    int64_t total_ms;             /* wall time of the whole call, waits included */
    int transport_error;          /* 1 when the last attempt got no HTTP response */
    int gate_refused;             /* 1 when the gate refused the call: nothing was sent */
    char url[2048];               /* the last request URL, redacted (safe to log) */
    char error[HTTP_ERROR_MAX];   /* why the call failed ("" on success); never secrets */
    char *effective_url;          /* internal: unredacted URL, to resolve relative Link targets */
};

#define HTTP_RESPONSE_INIT {.status = 0}

struct http_client;

/* Every request carries credentials, so a URL must be https://, or plain http:// to this
 * machine (127.0.0.0/8, localhost, [::1]: local test services), unless the process allowed
 * insecure http (net.allow_insecure_http, set once at start by the programs' main). */
void http_allow_insecure(int on);
int http_url_transport_ok(const char *url);

/* NULL on a bad config or out of memory, with the reason in err. The config's strings are copied. */
struct http_client *http_client_new(const struct http_config *cfg, char *err, size_t errlen);
void http_client_free(struct http_client *c);

/*
 * One logical request, retried as described above. path_or_url is either a path appended to
 * base_url or an absolute http(s) URL, which must have base_url's origin (auth headers are
 * never sent elsewhere). query: already-encoded "a=1&b=2" or NULL. body: NUL-terminated
 * request body or NULL; content_type: e.g. "application/json" (NULL: that, when a body is
 * given). bucket: concurrency bucket (e.g. the Autotask entity name), NULL or "" for none.
 * extra_headers: a NULL-terminated list of "Name: value" lines sent with this request only,
 * after the client's defaults (e.g. a bearer token that changes, a paging header such as
 * MS-ContinuationToken); NULL: none. A line without ':' or with control characters fails the
 * call. Values are never logged.
 */
struct http_req {
    const char *method;           /* GET, HEAD, POST, PUT, PATCH, DELETE, ... */
    const char *path_or_url;
    const char *query;
    const char *body;
    const char *content_type;
    const char *bucket;
    int write_safe_to_retry;      /* HTTP_WRITE_RETRY_* */
    const char *const *extra_headers;
};

/* Sends rq. out must be initialised (HTTP_RESPONSE_INIT or a previous call); its old contents
 * are freed. Returns 0 when the final response is 2xx, else -1 with out->error set
 * (out->status and out->body still hold the final response, if any, for the PSA's own
 * message). */
int http_send(struct http_client *c, const struct http_req *rq, struct http_response *out);

/* http_send with the fields as arguments (no extra headers): the connectors' usual call. */
int http_request(struct http_client *c, const char *method, const char *path_or_url,
                 const char *query, const char *body, const char *content_type,
                 const char *bucket, int write_safe_to_retry, struct http_response *out);

/* The same with extra_headers. Kept for callers not yet moved to http_send; new code fills a
 * struct http_req. */
int http_request_ex(struct http_client *c, const char *method, const char *path_or_url,
                    const char *query, const char *body, const char *content_type,
                    const char *bucket, int write_safe_to_retry, const char *const *extra_headers,
                    struct http_response *out);

void http_response_init(struct http_response *r);
void http_response_free(struct http_response *r);
/* Case-insensitive header lookup in the final response; NULL when absent. */
const char *http_response_header(const struct http_response *r, const char *name);
/* The response's Link rel="next" target as an absolute URL in out (appended); -1 when none. */
int http_response_next_link(const struct http_response *r, struct strbuf *out);

/* Pure helpers (exposed for the connectors and unit tests). */

/* One raw header line as libcurl delivers it ("Name: value\r\n", or a status line, which
 * starts a new response): kept in r's headers, repeats joined. Junk is ignored. */
void http_response_add_header_line(struct http_response *r, const char *line, size_t n);

/* RFC 8288 Link header: append the target of the first link whose rel includes `rel`
 * (case-insensitive) to out. -1 when there is none or the header is malformed before it. */
int http_link_find(const char *link_header, const char *rel, struct strbuf *out);
/* Retry-After as delta-seconds or HTTP-date, relative to now (epoch seconds); a date in the
 * past gives 0. -1 when unparseable. Huge values saturate instead of overflowing. */
int http_parse_retry_after(const char *value, time_t now, int64_t *out_ms);
/* url without userinfo and fragment, and with the values of query parameters whose names
 * look secret (token, secret, password, key, code, signature, ...) replaced by "***". */
int http_redact_url(const char *url, struct strbuf *out);
/* Full-jitter backoff before retry number `retry` (1 = after the first attempt):
 * rnd mod (min(cap, base * 2^(retry-1)) + 1). Never negative, never above cap. */
int64_t http_backoff_ms(int retry, int64_t base_ms, int64_t cap_ms, uint64_t rnd);
/* 1 for 408, 429 and 5xx. */
int http_status_retryable(long status);
/* 1 for anything but GET, HEAD and OPTIONS. */
int http_method_is_write(const char *method);

#endif
