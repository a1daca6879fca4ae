/* autotask_api.c: Autotask REST plumbing: zone discovery, session, queries, creates,
 * picklists and error bodies (see autotask_api.h). */
#include "connectors/autotask_api.h"

#include "common/log.h"
#include "connectors/autotask.h"
#include "connectors/psa_util.h"
#include "net/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CACHE_TTL_S 3600        /* picklists and zones are re-read after an hour */
#define ZONE_SLOTS 16
#define PICK_SLOTS 32
#define MAX_PAGES 20000         /* 10 million records: beyond that the cursor is looping */

/* ---- pure helpers ------------------------------------------------------------------------ */

static int is_http(const char *s)
{
    return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

static int ends_with_ci(const char *s, size_t len, const char *tail)
{
    size_t tl = strlen(tail);
    return len >= tl && strncasecmp(s + len - tl, tail, tl) == 0;
}

int at_root_url(const char *setting, char *buf, size_t n)
{
    const char *s = setting && *setting ? setting : AT_DEFAULT_ROOT;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '/'))
        len--;
    if (!is_http(s) || len + 20 >= n)
        return -1;
    if (ends_with_ci(s, len, "/V1.0"))
        len -= 5;
    const char *host = strstr(s, "://") + 3;
    if ((size_t)(host - s) >= len)    /* "http://" and the like: no host (trailing '/' trimmed) */
        return -1;
    int has_path = memchr(host, '/', len - (size_t)(host - s)) != NULL;
    snprintf(buf, n, "%.*s%s", (int)len, s, has_path ? "/" : "/ATServicesRest/");
    return 0;
}

int at_zone_base(const char *zone_url, char *buf, size_t n)
{
    if (!zone_url || !is_http(zone_url))
        return -1;
    size_t len = strlen(zone_url);
    while (len && zone_url[len - 1] == '/')
        len--;
    if (ends_with_ci(zone_url, len, "/V1.0"))
        len -= 5;
    int w = snprintf(buf, n, "%.*s/V1.0/", (int)len, zone_url);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

int at_errors_text(const json_t *doc, char *buf, size_t n)
{
    json_t *errors = jsonx_get(doc, "errors");
    size_t used = 0, i;
    json_t *e;
    buf[0] = '\0';
    if (json_is_string(errors)) {
        snprintf(buf, n, "%s", json_string_value(errors));
        return buf[0] ? 0 : -1;
    }
    json_array_foreach(errors, i, e) {
        const char *t = json_is_string(e) ? json_string_value(e) : jsonx_str(e, "message");
        if (!t || !*t || used + 3 >= n)
            continue;
        snprintf(buf + used, n - used, "%s%s", used ? "; " : "", t);
        used = strlen(buf);
    }
    return buf[0] ? 0 : -1;
}

enum conn_error_kind at_error_kind(long status, const char *text, const char **hint)
{
    const char *t = text ? text : "";
    if (strcasestr(t, "thread threshold") || strstr(t, "Itgenatr005")) {
        *hint = "Autotask's thread limit was reached; billsync will retry.";
        return CONN_THROTTLED;
    }
    if (status == 429 || strcasestr(t, "request threshold")) {
        *hint = "Autotask's hourly API request limit was reached; billsync will retry later.";
        return CONN_THROTTLED;
    }
    if (strcasestr(t, "Zone information could not be determined")) {
        *hint = "Check the API user name: Autotask does not know it.";
        return CONN_AUTH;
    }
    if (strcasestr(t, "IntegrationCode is invalid")) {
        *hint = "Check the integration code (the tracking identifier on the API user's Security tab).";
        return CONN_AUTH;
    }
    switch (status) {
    case 401:
        *hint = "Check the API user and secret.";
        return CONN_AUTH;
    case 403:
        *hint = "The API user's security level does not allow this.";
        return CONN_AUTH;
    case 404:
        *hint = "The record is not in Autotask (any more).";
        return CONN_NOT_FOUND;
    case 502:
    case 503:
    case 504:
        *hint = "Autotask is unavailable; billsync will retry.";
        return CONN_NETWORK;
    default:
        *hint = "Autotask refused the request; its message says why.";
        return CONN_REJECTED;
    }
}

int at_label_matches(const char *label, const char *names)
{
    if (!label)
        return 0;
    size_t ll = strlen(label);
    for (const char *p = names; p && *p;) {
        size_t k = strcspn(p, "|");
        if (k == ll && strncasecmp(p, label, k) == 0)
            return 1;
        p += k + (p[k] == '|');
    }
    return 0;
}

static const json_t *field_info(const json_t *fields, const char *field)
{
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f) {
        const char *name = jsonx_str(f, "name");
        if (name && strcasecmp(name, field) == 0)
            return f;
    }
    return NULL;
}

int at_picklist_value(const json_t *fields, const char *field, const char *labels, int64_t *value)
{
    json_t *values = jsonx_get(field_info(fields, field), "picklistValues");
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) {
        const char *label = jsonx_str(v, "label");
        int active = 1;
        jsonx_bool(v, "isActive", &active);
        if (label && active && at_label_matches(label, labels) && jsonx_int(v, "value", value) == 0)
            return 0;
    }
    return -1;
}

const char *at_picklist_label(const json_t *fields, const char *field, int64_t value)
{
    json_t *values = jsonx_get(field_info(fields, field), "picklistValues");
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) {
        int64_t x;
        if (jsonx_int(v, "value", &x) == 0 && x == value)
            return jsonx_str(v, "label");
    }
    return NULL;
}

int at_period_months(const char *label)
{
    static const struct {
        const char *names;
        int months;
    } periods[] = {{"Monthly|Month", 1}, {"Quarterly|Quarter", 3},
                   {"Semi-Annual|Semiannual|Semi-Annually|Half-Yearly", 6},
                   {"Yearly|Annual|Annually|Year", 12}};
    for (size_t i = 0; label && i < sizeof periods / sizeof periods[0]; i++)
        if (at_label_matches(label, periods[i].names))
            return periods[i].months;
    return 0;
}

/* ---- errors ------------------------------------------------------------------------------ */

void at_fail(const struct http_response *r, int is_write, const char *what, struct conn_error *err)
{
    static const struct psa_error_reader reader = {AT_LABEL, at_errors_text, at_error_kind};
    int parsed = psa_fail(&reader, r, is_write, what, err);
    if (r->status && err->kind == CONN_REJECTED && r->status >= 500 && !parsed)
        err->retryable = 1; /* an error page from a proxy, not Autotask's verdict */
}

/* ---- small conversions ------------------------------------------------------------------- */

json_t *at_date_value(cdate_t d)
{
    char buf[32];
    psa_date_text(d, "", buf, sizeof buf);
    return json_string(buf);
}

int at_parse_id(const char *s, const char *what, int64_t *v, struct conn_error *err)
{
    if (psa_parse_id(s, v) == 0)
        return 0;
    char msg[200];
    snprintf(msg, sizeof msg, "\"%.60s\" is not an Autotask %s id.", s ? s : "", what);
    conn_error_set(err, CONN_REJECTED, 0, msg, "Pick the record again from the Autotask list.");
    return -1;
}

int at_cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void at_id_text(int64_t v, char id[PSA_ID]) { snprintf(id, PSA_ID, "%lld", (long long)v); }

/* ---- per-process caches (billsync processes are single-threaded) -------------------------- */

struct zone_entry {
    char key[AT_KEY_MAX];
    char base[512];
    time_t at;
};

struct pick_entry {
    char key[AT_KEY_MAX];
    char entity[48];
    json_t *fields;
    time_t at;
};

static struct zone_entry zones[ZONE_SLOTS];
static struct pick_entry picks[PICK_SLOTS];

static int fresh(time_t at) { return at && time(NULL) - at < CACHE_TTL_S; }

void at_forget_cached(void)
{
    for (int i = 0; i < PICK_SLOTS; i++)
        json_decref(picks[i].fields);
    memset(zones, 0, sizeof zones);
    memset(picks, 0, sizeof picks);
}

static const char *zone_cached(const char *key)
{
    for (int i = 0; i < ZONE_SLOTS; i++)
        if (fresh(zones[i].at) && strcmp(zones[i].key, key) == 0)
            return zones[i].base;
    return NULL;
}

static void zone_store(const char *key, const char *base)
{
    int victim = 0;
    for (int i = 0; i < ZONE_SLOTS; i++) {
        if (strcmp(zones[i].key, key) == 0) {
            victim = i;
            break;
        }
        if (zones[i].at < zones[victim].at)
            victim = i;
    }
    snprintf(zones[victim].key, sizeof zones[victim].key, "%s", key);
    snprintf(zones[victim].base, sizeof zones[victim].base, "%s", base);
    zones[victim].at = time(NULL);
}

static struct pick_entry *pick_slot(const char *key, const char *entity, int for_store)
{
    int victim = 0;
    for (int i = 0; i < PICK_SLOTS; i++) {
        if (strcmp(picks[i].key, key) == 0 && strcmp(picks[i].entity, entity) == 0)
            return for_store || fresh(picks[i].at) ? &picks[i] : NULL;
        if (picks[i].at < picks[victim].at)
            victim = i;
    }
    return for_store ? &picks[victim] : NULL;
}

/* ---- session ------------------------------------------------------------------------------ */

static int config_error(struct conn_error *err, const char *what)
{
    char msg[200];
    snprintf(msg, sizeof msg, "The Autotask connection has no %s.", what);
    conn_error_set(err, CONN_CONFIG, 0, msg, "Fill it in on the Connections page.");
    return -1;
}

static int zone_lookup(const char *root, const char *user, char *base, size_t n,
                       struct conn_error *err)
{
    struct http_config cfg = HTTP_CONFIG_DEFAULTS;
    char e[HTTP_ERROR_MAX];
    cfg.base_url = root; /* no credentials: zoneInformation is public and not thread-limited */
    struct http_client *h = http_client_new(&cfg, e, sizeof e);
    if (!h) {
        conn_error_set(err, CONN_CONFIG, 0, e, "Check the Autotask API address.");
        return -1;
    }
    struct strbuf q = STRBUF_INIT;
    struct http_response r = HTTP_RESPONSE_INIT;
    json_t *doc = NULL;
    int rc = -1;
    if (strbuf_append(&q, "user=") < 0 || url_escape(&q, user) < 0) {
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
        goto done;
    }
    if (http_request(h, "GET", "V1.0/zoneInformation", strbuf_cstr(&q), NULL, NULL, NULL, 0, &r) < 0) {
        at_fail(&r, 0, "the zone lookup", err);
        goto done;
    }
    if (psa_parse_body(&r, AT_LABEL, "the zone lookup", &doc, err) < 0)
        goto done;
    if (at_zone_base(jsonx_str(doc, "url"), base, n) < 0) {
        psa_bad_response(err, "Autotask's zone information has no usable url");
        goto done;
    }
    rc = 0;
done:
    json_decref(doc);
    http_response_free(&r);
    strbuf_free(&q);
    http_client_free(h);
    return rc;
}

/* Autotask's own count of the database's calls this hour (every integration's), for the shared
 * budget: asked past the gate, which may be refusing exactly because the count is old. */
static void ask_threshold(const struct conn *c, const struct http_config *base_cfg, const char *instance)
{
    char e[HTTP_ERROR_MAX];
    struct http_config cfg = *base_cfg;
    cfg.gate = NULL;
    cfg.max_attempts = 1;
    struct http_client *h = http_client_new(&cfg, e, sizeof e);
    struct http_response r = HTTP_RESPONSE_INIT;
    json_t *doc = NULL;
    int64_t cap = 0, used = 0;
    if (h && http_request(h, "GET", "ThresholdInformation", NULL, NULL, NULL, "ThresholdInformation", 0, &r) == 0 &&
        jsonx_parse(r.body.p, r.body.len, &doc, e, sizeof e) == 0 &&
        jsonx_int(doc, "externalRequestThreshold", &cap) == 0 && jsonx_int(doc, "currentTimeframeRequestCount", &used) == 0)
        c->shared->count_report(c, instance, (long)cap, (long)used);
    else
        log_warn("autotask: ThresholdInformation not read (%s); the budget counts billsync's own calls",
                 r.error[0] ? r.error : "no usable answer");
    json_decref(doc);
    http_response_free(&r);
    http_client_free(h);
}

int at_open(const struct conn *c, struct at_session *s, struct conn_error *err)
{
    memset(s, 0, sizeof *s);
    s->conn = c;
    const char *user = conn_setting(c, "username"), *secret = conn_setting(c, "secret");
    const char *code = conn_setting(c, "integration_code");
    if (!*user)
        return config_error(err, "API user name");
    if (!*secret)
        return config_error(err, "secret");
    if (!*code)
        return config_error(err, "integration code");
    char root[512];
    if (at_root_url(conn_setting(c, "url"), root, sizeof root) < 0) {
        conn_error_set(err, CONN_CONFIG, 0, "The Autotask API address is not an http(s) URL.",
                       "Leave it empty for " AT_DEFAULT_ROOT);
        return -1;
    }
    snprintf(s->key, sizeof s->key, "%lld|%s|%s", c->id, root, user);
    const char *base = zone_cached(s->key);
    if (base) {
        snprintf(s->base, sizeof s->base, "%s", base);
    } else if (c->shared && c->shared->get && c->shared->get(c, "zone", s->base, sizeof s->base) == 1) {
        zone_store(s->key, s->base); /* another worker looked it up */
    } else {
        if (zone_lookup(root, user, s->base, sizeof s->base, err) < 0)
            return -1;
        zone_store(s->key, s->base);
        if (c->shared && c->shared->put)
            c->shared->put(c, "zone", s->base, CACHE_TTL_S * 24);
    }
    snprintf(s->hdr[0], sizeof s->hdr[0], "ApiIntegrationCode: %s", code);
    snprintf(s->hdr[1], sizeof s->hdr[1], "UserName: %s", user);
    snprintf(s->hdr[2], sizeof s->hdr[2], "Secret: %s", secret);
    const char *headers[] = {s->hdr[0], s->hdr[1], s->hdr[2], NULL};
    char e[HTTP_ERROR_MAX];
    struct http_config cfg = HTTP_CONFIG_DEFAULTS;
    cfg.base_url = s->base;
    cfg.headers = headers;
    /* The Autotask database's calls, whichever billsync connection or tenant makes them: one
     * thread limit per entity on this host, one hourly budget for every worker and host. */
    const struct http_gate *gate = psa_gate_init(&s->gate, c, "autotask", s->base, user);
    cfg.conn_id = s->gate.instance;
    cfg.slot_dir = c->slot_dir;
    cfg.bucket_limit = AT_THREADS; /* bucket = entity: never more than 3 in flight per entity */
    if (gate && c->shared->count_due && c->shared->count_due(c, s->gate.instance))
        ask_threshold(c, &cfg, s->gate.instance);
    cfg.gate = gate;
    s->http = http_client_new(&cfg, e, sizeof e);
    if (!s->http) {
        at_close(s);
        conn_error_set(err, CONN_CONFIG, 0, e, "Check the Autotask settings for stray line breaks.");
        return -1;
    }
    return 0;
}

void at_close(struct at_session *s)
{
    http_client_free(s->http);
    s->http = NULL;
    explicit_bzero(&s->hdr, sizeof s->hdr);
}

/* ---- queries ------------------------------------------------------------------------------ */

json_t *at_cond(const char *op, const char *field, json_t *value)
{
    json_t *c = json_object();
    json_object_set_new(c, "op", json_string(op));
    json_object_set_new(c, "field", json_string(field));
    if (value)
        json_object_set_new(c, "value", value);
    return c;
}

/* Hand each item of one page to fn; *next gets pageDetails.nextPageUrl ("" at the end). */
static int page_items(const json_t *doc, const char *entity, at_item_fn fn, void *ctx,
                      struct strbuf *next, struct conn_error *err)
{
    json_t *items = jsonx_get(doc, "items");
    if (!json_is_array(items)) {
        psa_bad_response(err, "Autotask's answer to the %s query has no items list", entity);
        return -1;
    }
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        int64_t id;
        if (jsonx_int(item, "id", &id) < 0 || id < 0) {
            psa_bad_response(err, "An item of Autotask's %s answer has no id (item %zu)", entity, i);
            return -1;
        }
        int rc = fn(ctx, item, err);
        if (rc != 0)
            return rc;
    }
    const char *url = jsonx_str(doc, "pageDetails.nextPageUrl");
    strbuf_reset(next);
    return url && *url && strbuf_append(next, url) < 0 ? -1 : 0;
}

int at_query(struct at_session *s, const char *entity, json_t *filter, at_item_fn fn, void *ctx,
             struct conn_error *err)
{
    json_t *q = json_object();
    json_object_set_new(q, "MaxRecords", json_integer(AT_PAGE));
    json_object_set_new(q, "filter", filter);
    char *body = psa_json_dump(q);
    json_decref(q);
    char path[96], what[96];
    snprintf(path, sizeof path, "%s/query", entity);
    snprintf(what, sizeof what, "the %s query", entity);
    struct strbuf url = STRBUF_INIT, next = STRBUF_INIT;
    struct http_response r = HTTP_RESPONSE_INIT;
    int rc = body && strbuf_append(&url, path) == 0 ? 0 : -1;
    if (rc < 0)
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    for (int page = 0; rc == 0; page++) {
        json_t *doc = NULL;
        /* A query POST changes nothing: safe to retry like a read. Pages follow with POST too. */
        if (http_request(s->http, "POST", strbuf_cstr(&url), NULL, body, NULL, entity,
                         HTTP_WRITE_RETRY_ALL, &r) < 0) {
            at_fail(&r, 0, what, err);
            rc = -1;
        } else if (psa_parse_body(&r, AT_LABEL, what, &doc, err) < 0) {
            rc = -1;
        } else {
            rc = page_items(doc, entity, fn, ctx, &next, err);
        }
        json_decref(doc);
        if (rc != 0 || next.len == 0)
            break;
        if (strcmp(strbuf_cstr(&next), strbuf_cstr(&url)) == 0 || page + 1 >= MAX_PAGES) {
            psa_bad_response(err, "Autotask's %s paging does not advance", entity);
            rc = -1;
            break;
        }
        strbuf_reset(&url);
        strbuf_append(&url, strbuf_cstr(&next));
    }
    http_response_free(&r);
    strbuf_free(&url);
    strbuf_free(&next);
    free(body);
    return rc < 0 ? -1 : 0;
}

int at_count(struct at_session *s, const char *entity, json_t *filter, int64_t *n,
             struct conn_error *err)
{
    json_t *q = json_object();
    json_object_set_new(q, "filter", filter);
    char *body = psa_json_dump(q);
    json_decref(q);
    char path[96], what[96];
    snprintf(path, sizeof path, "%s/query/count", entity);
    snprintf(what, sizeof what, "the %s count", entity);
    struct http_response r = HTTP_RESPONSE_INIT;
    json_t *doc = NULL;
    int rc = -1;
    if (!body)
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
    else if (http_request(s->http, "POST", path, NULL, body, NULL, entity, HTTP_WRITE_RETRY_ALL, &r) < 0)
        at_fail(&r, 0, what, err);
    else if (psa_parse_body(&r, AT_LABEL, what, &doc, err) == 0) {
        if (jsonx_int(doc, "queryCount", n) == 0)
            rc = 0;
        else
            psa_bad_response(err, "Autotask's answer to %s has no queryCount", what);
    }
    json_decref(doc);
    http_response_free(&r);
    free(body);
    return rc;
}

/* ---- creates ------------------------------------------------------------------------------ */

int at_create(struct at_session *s, const char *path, const char *entity, const char *what,
              json_t *body, int allow_no_id, int64_t *item_id, struct conn_error *err)
{
    char *text = psa_json_dump(body);
    json_decref(body);
    struct http_response r = HTTP_RESPONSE_INIT;
    json_t *doc = NULL;
    int rc = -1;
    char label[96];
    snprintf(label, sizeof label, "the new %s", what);
    *item_id = 0;
    if (!text) {
        conn_error_set(err, CONN_CONFIG, 0, "out of memory", "");
        goto done;
    }
    /* Re-sent only when Autotask surely did not act (429, refused connection): a create that
     * timed out may have landed, and the caller re-reads before trying again. */
    if (http_request(s->http, "POST", path, NULL, text, NULL, entity, HTTP_WRITE_RETRY_REJECTED, &r) < 0) {
        at_fail(&r, 1, label, err);
        goto done;
    }
    if (psa_parse_body(&r, AT_LABEL, label, &doc, err) < 0) {
        err->maybe_committed = 1; /* 2xx: it was created, whatever the body says */
        goto done;
    }
    if (jsonx_int(doc, "itemId", item_id) < 0 || *item_id < 0)
        *item_id = 0;
    if (*item_id == 0 && !allow_no_id) {
        psa_bad_response(err, "Autotask created %s but did not return its id (itemId)", label);
        err->maybe_committed = 1;
        goto done;
    }
    rc = 0;
done:
    json_decref(doc);
    http_response_free(&r);
    free(text);
    return rc;
}

/* ---- picklists ---------------------------------------------------------------------------- */

static const json_t *entity_fields(struct at_session *s, const char *entity, struct conn_error *err)
{
    struct pick_entry *p = pick_slot(s->key, entity, 0);
    if (p)
        return p->fields;
    char path[96], what[96];
    snprintf(path, sizeof path, "%s/entityInformation/fields", entity);
    snprintf(what, sizeof what, "the %s field list", entity);
    struct http_response r = HTTP_RESPONSE_INIT;
    json_t *doc = NULL;
    const json_t *out = NULL;
    if (http_request(s->http, "GET", path, NULL, NULL, NULL, entity, 0, &r) < 0) {
        at_fail(&r, 0, what, err);
    } else if (psa_parse_body(&r, AT_LABEL, what, &doc, err) == 0) {
        json_t *fields = jsonx_get(doc, "fields");
        if (!json_is_array(fields)) {
            psa_bad_response(err, "Autotask's answer to %s has no fields list", what);
        } else {
            p = pick_slot(s->key, entity, 1);
            json_decref(p->fields);
            snprintf(p->key, sizeof p->key, "%s", s->key);
            snprintf(p->entity, sizeof p->entity, "%s", entity);
            p->fields = json_incref(fields);
            p->at = time(NULL);
            out = p->fields;
        }
    }
    json_decref(doc);
    http_response_free(&r);
    return out;
}

int at_pick_value(struct at_session *s, const char *entity, const char *field, const char *labels,
                  int64_t *value, struct conn_error *err)
{
    const json_t *fields = entity_fields(s, entity, err);
    if (!fields)
        return -1;
    if (at_picklist_value(fields, field, labels, value) == 0)
        return 0;
    char msg[300];
    snprintf(msg, sizeof msg, "Autotask's %s.%s picklist has no active value labelled \"%s\".",
             entity, field, labels);
    conn_error_set(err, CONN_CONFIG, 0, msg,
                   "Add or reactivate that value in Autotask (Admin > Features & Settings).");
    return -1;
}

int at_pick_label(struct at_session *s, const char *entity, const char *field, int64_t value,
                  const char **label, struct conn_error *err)
{
    const json_t *fields = entity_fields(s, entity, err);
    if (!fields)
        return -1;
    *label = at_picklist_label(fields, field, value);
    return 0;
}
