/* http_parse.c: the HTTP client's pure parts (see http.h): back-off arithmetic, Retry-After,
 * Link headers, URL redaction for logs, and the response's header list. No transfer here;
 * every function is fuzzed (tests/fuzz/fuzz_http_parse.c) and unit-tested. */
#include "net/http.h"
#include "net/http_internal.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEADER_VALUE_MAX 8192 /* longer (joined) header values are cut; Link pages stay far below */

/* ---- pure helpers ------------------------------------------------------------------------ */

int http_status_retryable(long status) { return status == 408 || status == 429 || (status >= 500 && status <= 599); }

int http_method_is_write(const char *method)
{
    return !(method && (!strcmp(method, "GET") || !strcmp(method, "HEAD") || !strcmp(method, "OPTIONS")));
}

int64_t http_backoff_ms(int retry, int64_t base_ms, int64_t cap_ms, uint64_t rnd)
{
    if (base_ms <= 0 || cap_ms <= 0)
        return 0;
    int64_t ceiling = base_ms;
    for (int i = 1; i < retry && ceiling < cap_ms; i++) {
        if (ceiling > INT64_MAX / 2) {
            ceiling = cap_ms;
            break;
        }
        ceiling *= 2;
    }
    if (ceiling > cap_ms)
        ceiling = cap_ms;
    return (int64_t)(rnd % ((uint64_t)ceiling + 1));
}

int http_parse_retry_after(const char *value, time_t now, int64_t *out_ms)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t n = strlen(value);
    while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
        n--;
    if (n == 0)
        return -1;
    const int64_t max_s = INT64_MAX / 1000;
    if (isdigit((unsigned char)value[0])) {
        int64_t s = 0;
        size_t i = 0;
        for (; i < n && isdigit((unsigned char)value[i]); i++)
            s = s > (max_s - 9) / 10 ? max_s : s * 10 + (value[i] - '0');
        if (i == n) {
            *out_ms = s * 1000;
            return 0;
        }
        /* Digits followed by more: only an asctime-less date could start so; fall through. */
    }
    /* HTTP-date (IMF-fixdate, RFC 850 or asctime): must name a day or month, hence a letter. */
    int alpha = 0;
    for (size_t i = 0; i < n; i++)
        alpha |= isalpha((unsigned char)value[i]) != 0;
    if (!alpha || n > 64)
        return -1;
    char buf[65];
    memcpy(buf, value, n);
    buf[n] = '\0';
    time_t t = curl_getdate(buf, NULL);
    if (t == (time_t)-1)
        return -1;
    int64_t d = (int64_t)t - (int64_t)now;
    *out_ms = d <= 0 ? 0 : (d > max_s ? max_s : d) * 1000;
    return 0;
}

static int is_tchar(char ch)
{
    return isalnum((unsigned char)ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static void skip_ows(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

/* Does the space-separated relation list rels[0..n) contain want? */
static int rel_matches(const char *rels, size_t n, const char *want)
{
    size_t wl = strlen(want), i = 0;
    while (i < n) {
        while (i < n && isspace((unsigned char)rels[i]))
            i++;
        size_t j = i;
        while (j < n && !isspace((unsigned char)rels[j]))
            j++;
        if (j > i && j - i == wl && strncasecmp(rels + i, want, wl) == 0)
            return 1;
        i = j;
    }
    return 0;
}

int http_link_find(const char *link_header, const char *rel, struct strbuf *out)
{
    if (!link_header || !rel || !*rel)
        return -1;
    const char *p = link_header;
    struct strbuf val = STRBUF_INIT;
    int rc = -1;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p != '<')
            break; /* end of header, or malformed */
        const char *t = p + 1, *te = strchr(t, '>');
        if (!te)
            break;
        p = te + 1;
        int match = 0, seen_rel = 0, bad = 0;
        for (;;) {
            skip_ows(&p);
            if (*p != ';')
                break;
            p++;
            skip_ows(&p);
            const char *name = p;
            while (is_tchar(*p))
                p++;
            size_t nlen = (size_t)(p - name);
            if (nlen == 0) {
                bad = 1;
                break;
            }
            skip_ows(&p);
            strbuf_reset(&val);
            if (*p == '=') {
                p++;
                skip_ows(&p);
                if (*p == '"') {
                    p++;
                    while (*p && *p != '"') {
                        if (*p == '\\' && p[1])
                            p++;
                        if (strbuf_append_char(&val, *p++) < 0)
                            goto done;
                    }
                    if (*p != '"') {
                        bad = 1;
                        break;
                    }
                    p++;
                } else {
                    const char *v = p;
                    while (is_tchar(*p))
                        p++;
                    if (strbuf_append_n(&val, v, (size_t)(p - v)) < 0)
                        goto done;
                }
            }
            /* RFC 8288 3.3: only the first rel parameter counts. */
            if (nlen == 3 && strncasecmp(name, "rel", 3) == 0 && !seen_rel) {
                seen_rel = 1;
                match = rel_matches(strbuf_cstr(&val), val.len, rel);
            }
        }
        if (bad)
            break;
        skip_ows(&p);
        if (*p != ',' && *p != '\0')
            break;
        if (match) {
            const char *ts = t, *tend = te;
            while (ts < tend && isspace((unsigned char)*ts))
                ts++;
            while (tend > ts && isspace((unsigned char)tend[-1]))
                tend--;
            if (tend > ts && strbuf_append_n(out, ts, (size_t)(tend - ts)) == 0)
                rc = 0;
            break;
        }
    }
done:
    strbuf_free(&val);
    return rc;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (char)tolower((unsigned char)ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Query parameter names whose values must never reach a log. */
static int name_is_secret(const char *name, size_t n)
{
    static const char *const words[] = {"token", "secret", "pass", "pwd", "key", "code", "sig",
                                        "auth", "credential", "session", "otp"};
    char low[96];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof low - 1; i++) {
        char ch = name[i];
        if (ch == '%' && i + 2 < n && hexval(name[i + 1]) >= 0 && hexval(name[i + 2]) >= 0) {
            ch = (char)(hexval(name[i + 1]) * 16 + hexval(name[i + 2]));
            i += 2;
        } else if (ch == '+') {
            ch = ' ';
        }
        low[k++] = (char)tolower((unsigned char)ch);
    }
    low[k] = '\0';
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
        if (strstr(low, words[w]))
            return 1;
    return 0;
}

int http_redact_url(const char *url, struct strbuf *out)
{
    if (!url)
        return -1;
    const char *p = url;
    const char *sep = strstr(url, "://");
    if (sep && strcspn(url, "/?#") > (size_t)(sep - url)) {
        if (strbuf_append_n(out, url, (size_t)(sep - url) + 3) < 0)
            return -1;
        const char *auth = sep + 3;
        size_t alen = strcspn(auth, "/?#");
        const char *at = NULL;
        for (size_t i = 0; i < alen; i++)
            if (auth[i] == '@')
                at = auth + i;
        p = at ? at + 1 : auth; /* drop user:password@ */
    }
    size_t plen = strcspn(p, "?#");
    if (strbuf_append_n(out, p, plen) < 0)
        return -1;
    p += plen;
    if (*p != '?')
        return 0; /* fragment (never sent anyway) or end */
    p++;
    size_t qlen = strcspn(p, "#");
    if (strbuf_append_char(out, '?') < 0)
        return -1;
    const char *q = p, *qend = p + qlen;
    while (q < qend) {
        const char *amp = memchr(q, '&', (size_t)(qend - q));
        const char *pe = amp ? amp : qend;
        const char *eq = memchr(q, '=', (size_t)(pe - q));
        if (eq && name_is_secret(q, (size_t)(eq - q))) {
            if (strbuf_append_n(out, q, (size_t)(eq - q) + 1) < 0 || strbuf_append(out, "***") < 0)
                return -1;
        } else if (strbuf_append_n(out, q, (size_t)(pe - q)) < 0) {
            return -1;
        }
        if (amp && strbuf_append_char(out, '&') < 0)
            return -1;
        q = amp ? amp + 1 : qend;
    }
    return 0;
}

/* ---- response ---------------------------------------------------------------------------- */

void http_response_clear_headers(struct http_response *r)
{
    for (int i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
        r->headers[i].name = r->headers[i].value = NULL;
    }
    r->nheaders = 0;
}

void http_response_init(struct http_response *r)
{
    memset(r, 0, sizeof *r);
    strbuf_init(&r->body);
}

void http_response_free(struct http_response *r)
{
    http_response_clear_headers(r);
    strbuf_free(&r->body);
    free(r->effective_url);
    http_response_init(r);
}

const char *http_response_header(const struct http_response *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

int http_response_next_link(const struct http_response *r, struct strbuf *out)
{
    struct strbuf target = STRBUF_INIT;
    int rc = -1;
    if (http_link_find(http_response_header(r, "Link"), "next", &target) < 0)
        goto done;
    const char *t = strbuf_cstr(&target);
    if (!strncasecmp(t, "http://", 7) || !strncasecmp(t, "https://", 8) || !r->effective_url) {
        rc = strbuf_append(out, t);
        goto done;
    }
    /* A relative reference: resolve it against the URL of the request that returned it. */
    CURLU *u = curl_url();
    char *abs = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, r->effective_url, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, t, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &abs, 0) == CURLUE_OK)
        rc = strbuf_append(out, abs);
    curl_free(abs);
    curl_url_cleanup(u);
done:
    strbuf_free(&target);
    return rc;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void http_response_add_header_line(struct http_response *r, const char *ptr, size_t n)
{
    if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
        http_response_clear_headers(r); /* a new response (after 100 Continue, or a proxy's) starts */
        return;
    }
    const char *colon = memchr(ptr, ':', n);
    if (!colon || colon == ptr)
        return;
    size_t nlen = (size_t)(colon - ptr);
    for (size_t i = 0; i < nlen; i++)
        if (!is_tchar(ptr[i]))
            return; /* obs-fold continuation or junk: ignore */
    const char *v = colon + 1, *ve = ptr + n;
    while (v < ve && (*v == ' ' || *v == '\t'))
        v++;
    while (ve > v && (ve[-1] == '\r' || ve[-1] == '\n' || ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    size_t vlen = (size_t)(ve - v);
    for (int i = 0; i < r->nheaders; i++) {
        if (strlen(r->headers[i].name) == nlen && strncasecmp(r->headers[i].name, ptr, nlen) == 0) {
            /* Repeated header (e.g. two Link lines): join as one list, RFC 9110 5.3. */
            size_t old = strlen(r->headers[i].value);
            if (old + 2 + vlen > HEADER_VALUE_MAX)
                return;
            char *j = realloc(r->headers[i].value, old + 2 + vlen + 1);
            if (!j)
                return;
            memcpy(j + old, ", ", 2);
            memcpy(j + old + 2, v, vlen);
            j[old + 2 + vlen] = '\0';
            r->headers[i].value = j;
            return;
        }
    }
    if (r->nheaders >= HTTP_MAX_HEADERS || vlen > HEADER_VALUE_MAX)
        return;
    char *hn = dup_n(ptr, nlen), *hv = dup_n(v, vlen);
    if (!hn || !hv) {
        free(hn);
        free(hv);
        return;
    }
    r->headers[r->nheaders].name = hn;
    r->headers[r->nheaders].value = hv;
    r->nheaders++;
}
