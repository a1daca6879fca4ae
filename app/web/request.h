/* request.h: one parsed, validated HTTP request (query, urlencoded form, cookies). */
#ifndef BILLSYNC_WEB_REQUEST_H
#define BILLSYNC_WEB_REQUEST_H

#include <stddef.h>

#define REQ_MAX_PARAMS 2000
#define REQ_MAX_KEY 128
#define REQ_MAX_FORM (1024 * 1024)    /* urlencoded bodies; uploads have their own limit */

struct kv {
    char *key, *val;
    size_t val_len;
};

struct kvlist {
    struct kv *items;
    int n, cap;
};

enum req_error { REQ_OK = 0, REQ_BAD = 400, REQ_TOO_LARGE = 413, REQ_METHOD = 405 };

struct request {
    char method[8];
    char path[1024];
    const char *query_string;     /* raw, for redirects back */
    const char *content_type;
    const char *remote_addr;
    const char *user_agent;
    int https;
    struct kvlist query, form, cookies;
    char *body;                   /* raw body; NUL-terminated (not read for uploads) */
    void *upload_stream;          /* FCGX_Stream of an upload's body, read by the page */
    long long content_length;
    size_t body_len;
    char error[200];              /* why parsing failed, for the 400 page */
};

/* Decodes application/x-www-form-urlencoded text into list. Returns 0, or -1 with a reason
 * (invalid percent escape, NUL byte, invalid UTF-8, too many or too long keys). */
int kv_parse_urlencoded(struct kvlist *list, const char *s, size_t len, char *why, size_t whylen);
/* Parses a Cookie header ("a=b; c=d"); malformed pairs are skipped. */
void kv_parse_cookies(struct kvlist *list, const char *header);
const char *kv_get(const struct kvlist *list, const char *key);
void kv_free(struct kvlist *list);
int kv_add(struct kvlist *list, const char *key, size_t klen, const char *val, size_t vlen);

/* Accessors: the form for POST, else the query. */
const char *req_param(const struct request *req, const char *key);
const char *req_query(const struct request *req, const char *key);
const char *req_form(const struct request *req, const char *key);
/* Integer parameter in [lo, hi]; returns dflt when absent, and -1 via *bad when invalid. */
long long req_int(const struct request *req, const char *key, long long lo, long long hi,
                  long long dflt, int *bad);
int req_is_post(const struct request *req);
/* The id after prefix in the request's path ("/reports/adjustments/" "42"): 1..18 digits and
 * nothing else, > 0. 0 and *id set, or -1 (not such a path). */
int req_path_id(const struct request *req, const char *prefix, long long *id);

/* Valid UTF-8 without NUL or C0 control characters other than TAB, CR, LF. */
int utf8_valid_text(const char *s, size_t len);

void request_free(struct request *req);

#endif
