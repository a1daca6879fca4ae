/* request.c: one parsed, validated HTTP request (query, urlencoded form, cookies). */
#include "web/request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kv_add(struct kvlist *list, const char *key, size_t klen, const char *val, size_t vlen)
{
    if (list->n == list->cap) {
        int ncap = list->cap ? list->cap * 2 : 16;
        struct kv *ni = realloc(list->items, (size_t)ncap * sizeof *ni);
        if (!ni)
            return -1;
        list->items = ni;
        list->cap = ncap;
    }
    struct kv *e = &list->items[list->n];
    e->key = strndup(key, klen);
    e->val = malloc(vlen + 1);
    if (!e->key || !e->val) {
        free(e->key);
        free(e->val);
        return -1;
    }
    memcpy(e->val, val, vlen);
    e->val[vlen] = 0;
    e->val_len = vlen;
    list->n++;
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..len) into out (at least len bytes); returns the decoded length or -1. */
static long decode(const char *s, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= len)
                return -1;
            int h = hexval((unsigned char)s[i + 1]);
            int l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    return (long)o;
}

int utf8_valid_text(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
                return 0;
            p++;
            continue;
        }
        int n;
        unsigned min;
        if ((c & 0xe0) == 0xc0) {
            n = 1;
            min = 0x80;
            c &= 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            min = 0x800;
            c &= 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            min = 0x10000;
            c &= 0x07;
        } else {
            return 0;
        }
        if (end - p < n + 1)
            return 0;
        for (int k = 1; k <= n; k++) {
            if ((p[k] & 0xc0) != 0x80)
                return 0;
            c = (c << 6) | (p[k] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
        p += n + 1;
    }
    return 1;
}

int kv_parse_urlencoded(struct kvlist *list, const char *s, size_t len, char *why, size_t whylen)
{
    char *buf = malloc(len + 1);
    if (!buf) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    size_t i = 0;
    int rc = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != '&' && s[j] != ';')
            j++;
        if (j > i) {
            const char *eq = memchr(s + i, '=', j - i);
            size_t klen = eq ? (size_t)(eq - (s + i)) : j - i;
            long dk = decode(s + i, klen, buf);
            if (dk < 0) {
                snprintf(why, whylen, "a parameter name has an invalid %%-escape");
                rc = -1;
                break;
            }
            if (dk == 0 || dk > REQ_MAX_KEY || !utf8_valid_text(buf, (size_t)dk) ||
                memchr(buf, '\n', (size_t)dk) || memchr(buf, '\r', (size_t)dk)) {
                snprintf(why, whylen, "a parameter name is empty, too long or not valid text");
                rc = -1;
                break;
            }
            char key[REQ_MAX_KEY + 1];
            memcpy(key, buf, (size_t)dk);
            key[dk] = 0;
            const char *v = eq ? eq + 1 : s + j;
            size_t vlen = eq ? (size_t)(s + j - v) : 0;
            long dv = decode(v, vlen, buf);
            if (dv < 0) {
                snprintf(why, whylen, "the value of '%.40s' has an invalid %%-escape", key);
                rc = -1;
                break;
            }
            if (!utf8_valid_text(buf, (size_t)dv)) {
                snprintf(why, whylen, "the value of '%.40s' is not valid UTF-8 text", key);
                rc = -1;
                break;
            }
            if (list->n >= REQ_MAX_PARAMS) {
                snprintf(why, whylen, "too many parameters (at most %d)", REQ_MAX_PARAMS);
                rc = -1;
                break;
            }
            if (kv_add(list, key, (size_t)dk, buf, (size_t)dv) < 0) {
                snprintf(why, whylen, "out of memory");
                rc = -1;
                break;
            }
        }
        i = j + 1;
    }
    free(buf);
    return rc;
}

void kv_parse_cookies(struct kvlist *list, const char *h)
{
    if (!h)
        return;
    while (*h && list->n < 100) {
        while (*h == ' ' || *h == ';')
            h++;
        const char *semi = strchr(h, ';');
        size_t n = semi ? (size_t)(semi - h) : strlen(h);
        const char *eq = memchr(h, '=', n);
        if (eq && eq > h && (size_t)(eq - h) <= REQ_MAX_KEY)
            kv_add(list, h, (size_t)(eq - h), eq + 1, n - (size_t)(eq - h) - 1);
        h += n;
    }
}

const char *kv_get(const struct kvlist *list, const char *key)
{
    for (int i = 0; i < list->n; i++)
        if (strcmp(list->items[i].key, key) == 0)
            return list->items[i].val;
    return NULL;
}

void kv_free(struct kvlist *list)
{
    for (int i = 0; i < list->n; i++) {
        free(list->items[i].key);
        free(list->items[i].val);
    }
    free(list->items);
    memset(list, 0, sizeof *list);
}

int req_is_post(const struct request *req) { return strcmp(req->method, "POST") == 0; }
const char *req_query(const struct request *req, const char *key) { return kv_get(&req->query, key); }
const char *req_form(const struct request *req, const char *key) { return kv_get(&req->form, key); }

const char *req_param(const struct request *req, const char *key)
{
    return req_is_post(req) ? kv_get(&req->form, key) : kv_get(&req->query, key);
}

long long req_int(const struct request *req, const char *key, long long lo, long long hi,
                  long long dflt, int *bad)
{
    const char *s = req_param(req, key);
    if (!s || !*s)
        return dflt;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        if (bad)
            *bad = 1;
        return dflt;
    }
    return v;
}

int req_path_id(const struct request *req, const char *prefix, long long *id)
{
    size_t n = strlen(prefix);
    const char *p = req->path;
    if (strncmp(p, prefix, n))
        return -1;
    p += n;
    size_t len = strspn(p, "0123456789");
    if (len == 0 || len > 18 || p[len])
        return -1;
    long long v = strtoll(p, NULL, 10);
    if (v <= 0)
        return -1;
    *id = v;
    return 0;
}

void request_free(struct request *req)
{
    kv_free(&req->query);
    kv_free(&req->form);
    kv_free(&req->cookies);
    free(req->body);
    req->body = NULL;
}
