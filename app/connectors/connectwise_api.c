/* connectwise_api.c: ConnectWise REST plumbing: session, paged lists, reads, writes, errors
 * (see connectwise_api.h). */
#include "connectors/connectwise_api.h"

#include "connectors/connectwise.h"
#include "connectors/psa_util.h"
#include "net/jsonx.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CACHE_TTL_S 3600
#define CYCLE_SLOTS 16
#define MAX_PAGES 20000
/* Pin the model version so a PSA upgrade cannot reshape the records under us. */
#define CW_ACCEPT "Accept: application/vnd.connectwise.com+json; version=2025.1"

/* ---- pure helpers ------------------------------------------------------------------------ */

int cw_base_url(const char *site, char *buf, size_t n)
{
    while (site && (*site == ' ' || *site == '\t'))
        site++;
    if (!site || !*site)
        return -1;
    size_t len = strlen(site);
    while (len && (site[len - 1] == ' ' || site[len - 1] == '\t' || site[len - 1] == '/'))
        len--;
    int has_scheme = strstr(site, "://") != NULL;
    if (has_scheme && strncasecmp(site, "http://", 7) != 0 && strncasecmp(site, "https://", 8) != 0)
        return -1;
    const char *apis = strcasestr(site, "/apis/3.0");
    int w;
    if (apis && (size_t)(apis - site) < len)
        w = snprintf(buf, n, "%s%.*s/", has_scheme ? "" : "https://", (int)(apis - site + 9), site);
    else
        w = snprintf(buf, n, "%s%.*s/v4_6_release/apis/3.0/", has_scheme ? "" : "https://", (int)len, site);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

int cw_error_text(const json_t *doc, char *buf, size_t n)
{
    const char *msg = jsonx_str(doc, "message");
    size_t used = 0, i;
    json_t *e;
    int details = 0;
    buf[0] = '\0';
    if (msg && *msg)
        snprintf(buf, n, "%s", msg);
    used = strlen(buf);
    json_array_foreach(jsonx_get(doc, "errors"), i, e) {
        const char *t = jsonx_str(e, "message");
        if (!t || !*t || used + 3 >= n)
            continue;
        /* "addition object is invalid: effectiveDate cannot be ..." */
        snprintf(buf + used, n - used, "%s%s", used == 0 ? "" : details ? "; " : ": ", t);
        used = strlen(buf);
        details = 1;
    }
    if (!buf[0]) {
        const char *alt = jsonx_str(doc, "error");
        snprintf(buf, n, "%s", alt ? alt : "");
    }
    return buf[0] ? 0 : -1;
}

enum conn_error_kind cw_error_kind(long status, const char *text, const char **hint)
{
    const char *t = text ? text : "";
    if (status == 429) {
        *hint = "ConnectWise is limiting requests; billsync will retry.";
        return CONN_THROTTLED;
    }
    if (status == 401 || (status == 404 && strcasestr(t, "NotAuthenticated"))) {
        *hint = "Check the company ID, public key and private key of the API member.";
        return CONN_AUTH;
    }
    if (status == 403) {
        *hint = "The API member's security role does not allow this.";
        return CONN_AUTH;
    }
    if (status == 400 && strcasestr(t, "clientId")) {
        *hint = "Check the client ID (from developer.connectwise.com).";
        return CONN_CONFIG;
    }
    if (status == 400 && strcasestr(t, "SSL is required")) {
        *hint = "Use your site's API address (https://api-...).";
        return CONN_CONFIG;
    }
    if (status == 404) {
        *hint = "The record is not in ConnectWise (any more).";
        return CONN_NOT_FOUND;
    }
    if (status >= 500) {
        *hint = "ConnectWise had a server error; billsync will retry.";
        return CONN_NETWORK;
    }
    *hint = "ConnectWise refused the data; its message says why.";
    return CONN_REJECTED;
}

int cw_in_effect(const json_t *addition, cdate_t d)
{
    cdate_t eff, cancelled;
    if (jsonx_date(addition, "effectiveDate", &eff) == 0 && cdate_cmp(eff, d) > 0)
        return 0;
    if (jsonx_date(addition, "cancelledDate", &cancelled) == 0 && cdate_cmp(cancelled, d) < 0)
        return 0;
    return 1;
}

int cw_cycle_months(const char *o)
{
    static const struct {
        const char *name;
        int months;
    } cycles[] = {{"Monthly", 1}, {"BiMonthly", 2}, {"Quarterly", 3}, {"SemiAnnual", 6},
                  {"Yearly", 12}, {"NotRecurring", 0}, {"Weekly", 1}, {"BiWeekly", 1}};
    for (size_t i = 0; o && i < sizeof cycles / sizeof cycles[0]; i++)
        if (strcasecmp(o, cycles[i].name) == 0)
            return cycles[i].months;
    return -1;
}

void cw_identifier_base(const char *name, char *buf, size_t n)
{
    size_t k = 0;
    for (const char *p = name; p && *p && k + 1 < n && k < 25; p++)
        if (isalnum((unsigned char)*p))
            buf[k++] = *p;
    buf[k] = '\0';
    if (k == 0)
        snprintf(buf, n, "Company");
}

/* ---- errors ------------------------------------------------------------------------------ */

void cw_fail(const struct http_response *r, int is_write, const char *what, struct conn_error *err)
{
    static const struct psa_error_reader reader = {CW_LABEL, cw_error_text, cw_error_kind};
    psa_fail(&reader, r, is_write, what, err);
}

/* ---- small shared helpers ---------------------------------------------------------------- */

int cw_id_arg(const char *s, const char *what, int64_t *v, struct conn_error *err)
{
    if (psa_parse_id(s, v) == 0)
        return 0;
    char msg[200];
    snprintf(msg, sizeof msg, "\"%.60s\" is not a ConnectWise %s id.", s ? s : "", what);
    conn_error_set(err, CONN_REJECTED, 0, msg, "Pick the record again from the ConnectWise list.");
    return -1;
}

int cw_reject(struct conn_error *err, const char *msg, const char *hint)
{
    conn_error_set(err, CONN_REJECTED, 0, msg, hint);
    return -1;
}

json_t *cw_date_json(cdate_t d)
{
    char buf[32];
    psa_date_text(d, "Z", buf, sizeof buf);
    return json_string(buf);
}

json_t *cw_ref(int64_t id)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(id));
    return o;
}

int cw_collect(void *ctx, const json_t *item, struct conn_error *err)
{
    (void)err;
    json_array_append((json_t *)ctx, (json_t *)item);
    return 0;
}

/* ---- session ------------------------------------------------------------------------------ */

static int config_error(struct conn_error *err, const char *what)
{
    char msg[200];
    snprintf(msg, sizeof msg, "The ConnectWise connection has no %s.", what);
    conn_error_set(err, CONN_CONFIG, 0, msg, "Fill it in on the Connections page.");
    return -1;
}

static int auth_header(struct cw_session *s, const char *company, const char *pub, const char *priv)
{
    char user[400], b64[540];
    int w = snprintf(user, sizeof user, "%s+%s:%s", company, pub, priv);
    if (w < 0 || (size_t)w >= sizeof user ||
        sodium_base64_encoded_len((size_t)w, sodium_base64_VARIANT_ORIGINAL) > sizeof b64)
        return -1;
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)user, (size_t)w,
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(s->auth, sizeof s->auth, "Authorization: Basic %s", b64);
    explicit_bzero(user, sizeof user);
    explicit_bzero(b64, sizeof b64);
    return 0;
}

int cw_open(const struct conn *c, struct cw_session *s, struct conn_error *err)
{
    static const char *const keys[][2] = {{"site", "site"}, {"company_id", "company ID"},
                                          {"public_key", "public key"}, {"private_key", "private key"},
                                          {"client_id", "client ID"}};
    memset(s, 0, sizeof *s);
    s->conn = c;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!*conn_setting(c, keys[i][0]))
            return config_error(err, keys[i][1]);
    char base[512], conn_id[24], e[HTTP_ERROR_MAX];
    if (cw_base_url(conn_setting(c, "site"), base, sizeof base) < 0) {
        conn_error_set(err, CONN_CONFIG, 0, "The ConnectWise site is not a usable address.",
                       "Use your site's address, like https://api-na.myconnectwise.net.");
        return -1;
    }
    const char *company = conn_setting(c, "company_id"), *pub = conn_setting(c, "public_key");
    snprintf(s->key, sizeof s->key, "%lld|%s|%s|%s", c->id, base, company, pub);
    if (auth_header(s, company, pub, conn_setting(c, "private_key")) < 0)
        return config_error(err, "company ID and keys of a usable length");
    snprintf(s->client, sizeof s->client, "clientId: %s", conn_setting(c, "client_id"));
    const char *headers[] = {s->auth, s->client, CW_ACCEPT, NULL};
    snprintf(conn_id, sizeof conn_id, "%lld", c->id);
    struct http_config cfg = HTTP_CONFIG_DEFAULTS;
    cfg.base_url = base;
    cfg.headers = headers;
    cfg.conn_id = conn_id;
    cfg.slot_dir = c->slot_dir;
    /* A 429 pauses every worker's calls to this company's site (ConnectWise has no published
     * hourly cap: the budget counts billsync's calls and shares the pause). */
    cfg.gate = psa_gate_init(&s->gate, c, "connectwise", base, company);
    s->http = http_client_new(&cfg, e, sizeof e);
    if (!s->http) {
        cw_close(s);
        conn_error_set(err, CONN_CONFIG, 0, e, "Check the ConnectWise settings for stray line breaks.");
        return -1;
    }
    return 0;
}

void cw_close(struct cw_session *s)
{
    http_client_free(s->http);
    s->http = NULL;
    explicit_bzero(s->auth, sizeof s->auth);
}

/* ---- reads -------------------------------------------------------------------------------- */

static int list_query(struct strbuf *q, const char *conditions)
{
    if (strbuf_appendf(q, "pageSize=%d&page=1&orderBy=id%%20asc", CW_PAGE) < 0)
        return -1;
    if (conditions && *conditions &&
        (strbuf_append(q, "&conditions=") < 0 || url_escape(q, conditions) < 0))
        return -1;
    return 0;
}

static int page_records(const json_t *doc, const char *what, cw_item_fn fn, void *ctx,
                        struct conn_error *err)
{
    if (!json_is_array(doc)) {
        psa_bad_response(err, "ConnectWise's %s list is not a JSON array", what);
        return -1;
    }
    size_t i;
    json_t *item;
    json_array_foreach(doc, i, item) {
        int64_t id;
        if (jsonx_int(item, "id", &id) < 0 || id < 0) {
            psa_bad_response(err, "A record of ConnectWise's %s list has no id (record %zu)", what, i);
            return -1;
        }
        int rc = fn(ctx, item, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int cw_list(struct cw_session *s, const char *path, const char *conditions, const char *what,
            cw_item_fn fn, void *ctx, struct conn_error *err)
{
    struct strbuf url = STRBUF_INIT, q = STRBUF_INIT, next = STRBUF_INIT;
    struct http_response r = HTTP_RESPONSE_INIT;
    int rc = strbuf_append(&url, path) == 0 && list_query(&q, conditions) == 0 ? 0 : -1;
    char label[96];
    snprintf(label, sizeof label, "the %s list", what);
    if (rc < 0)
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    for (int page = 0; rc == 0; page++) {
        json_t *doc = NULL;
        if (http_request(s->http, "GET", strbuf_cstr(&url), page ? NULL : strbuf_cstr(&q), NULL,
                         NULL, NULL, 0, &r) < 0) {
            cw_fail(&r, 0, label, err);
            rc = -1;
        } else if (psa_parse_body(&r, CW_LABEL, label, &doc, err) < 0) {
            rc = -1;
        } else {
            rc = page_records(doc, what, fn, ctx, err);
        }
        json_decref(doc);
        strbuf_reset(&next);
        if (rc != 0 || http_response_next_link(&r, &next) < 0)
            break;
        if (strcmp(strbuf_cstr(&next), r.effective_url ? r.effective_url : "") == 0 ||
            page + 1 >= MAX_PAGES) {
            psa_bad_response(err, "ConnectWise's %s paging does not advance", what);
            rc = -1;
            break;
        }
        strbuf_reset(&url);
        strbuf_append(&url, strbuf_cstr(&next));
    }
    http_response_free(&r);
    strbuf_free(&url);
    strbuf_free(&q);
    strbuf_free(&next);
    return rc < 0 ? -1 : 0;
}

int cw_count(struct cw_session *s, const char *path, const char *conditions, int64_t *n,
             struct conn_error *err)
{
    struct strbuf p = STRBUF_INIT, q = STRBUF_INIT;
    struct http_response r = HTTP_RESPONSE_INIT;
    json_t *doc = NULL;
    int rc = -1;
    strbuf_appendf(&p, "%s/count", path);
    if (conditions && *conditions) {
        strbuf_append(&q, "conditions=");
        url_escape(&q, conditions);
    }
    if (http_request(s->http, "GET", strbuf_cstr(&p), q.len ? strbuf_cstr(&q) : NULL, NULL, NULL,
                     NULL, 0, &r) < 0)
        cw_fail(&r, 0, "the count", err);
    else if (psa_parse_body(&r, CW_LABEL, "the count", &doc, err) == 0) {
        if (jsonx_int(doc, "count", n) == 0)
            rc = 0;
        else
            psa_bad_response(err, "ConnectWise's count answer has no count");
    }
    json_decref(doc);
    http_response_free(&r);
    strbuf_free(&p);
    strbuf_free(&q);
    return rc;
}

/* A 2xx answer that must be one record with an id. */
static int one_record(const struct http_response *r, const char *what, json_t **doc,
                      struct conn_error *err)
{
    int64_t id;
    if (psa_parse_body(r, CW_LABEL, what, doc, err) < 0)
        return -1;
    if (json_is_object(*doc) && jsonx_int(*doc, "id", &id) == 0 && id >= 0)
        return 0;
    psa_bad_response(err, "ConnectWise's answer for %s has no id", what);
    json_decref(*doc);
    *doc = NULL;
    return -1;
}

int cw_get(struct cw_session *s, const char *path, const char *what, json_t **doc,
           struct conn_error *err)
{
    struct http_response r = HTTP_RESPONSE_INIT;
    int rc = -1;
    *doc = NULL;
    if (http_request(s->http, "GET", path, NULL, NULL, NULL, NULL, 0, &r) < 0)
        cw_fail(&r, 0, what, err);
    else
        rc = one_record(&r, what, doc, err);
    http_response_free(&r);
    return rc;
}

int cw_write(struct cw_session *s, const char *method, const char *path, json_t *body,
             const char *what, json_t **doc, struct conn_error *err)
{
    char *text = psa_json_dump(body);
    json_decref(body);
    struct http_response r = HTTP_RESPONSE_INIT;
    int rc = -1;
    *doc = NULL;
    /* A POST is re-sent only when ConnectWise surely did not act (429, refused connection);
     * a PATCH sets absolute values, so repeating it cannot double anything. */
    int safe = strcmp(method, "PATCH") == 0 ? HTTP_WRITE_RETRY_ALL : HTTP_WRITE_RETRY_REJECTED;
    if (!text) {
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    } else if (http_request(s->http, method, path, NULL, text, NULL, NULL, safe, &r) < 0) {
        cw_fail(&r, 1, what, err);
    } else if ((rc = one_record(&r, what, doc, err)) < 0) {
        err->maybe_committed = 1; /* 2xx: it was written, whatever the body says */
    }
    http_response_free(&r);
    free(text);
    return rc;
}

/* ---- billing cycles cache ---------------------------------------------------------------- */

struct cycle_entry {
    char key[CW_KEY_MAX];
    json_t *cycles;
    time_t at;
};

static struct cycle_entry cycle_cache[CYCLE_SLOTS];

void cw_forget_cached(void)
{
    for (int i = 0; i < CYCLE_SLOTS; i++)
        json_decref(cycle_cache[i].cycles);
    memset(cycle_cache, 0, sizeof cycle_cache);
}

const json_t *cw_billing_cycles(struct cw_session *s, struct conn_error *err)
{
    int victim = 0;
    for (int i = 0; i < CYCLE_SLOTS; i++) {
        struct cycle_entry *e = &cycle_cache[i];
        if (strcmp(e->key, s->key) == 0) {
            if (e->at && time(NULL) - e->at < CACHE_TTL_S)
                return e->cycles;
            victim = i;
            break;
        }
        if (e->at < cycle_cache[victim].at)
            victim = i;
    }
    json_t *cycles = json_array();
    if (cw_list(s, "finance/billingCycles", NULL, "billing cycle", cw_collect, cycles, err) < 0) {
        json_decref(cycles);
        return NULL;
    }
    struct cycle_entry *e = &cycle_cache[victim];
    json_decref(e->cycles);
    snprintf(e->key, sizeof e->key, "%s", s->key);
    e->cycles = cycles;
    e->at = time(NULL);
    return cycles;
}
