/* multipart.c: streaming multipart/form-data reader (see multipart.h). */
#include "web/multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CHUNK 65536
#define MAX_FIELD (64 * 1024)
#define MAX_HEADERS 8192

struct mp {
    mp_read_fn rd;
    void *ctx;
    char *buf;                    /* window: buf[pos..len) unread */
    size_t pos, len, cap;
    long long total, max;
    int eof;
};

/* Makes at least need bytes available (fewer only at the end); -1 on read error/over limit. */
static int fill(struct mp *m, size_t need)
{
    while (m->len - m->pos < need && !m->eof) {
        if (m->pos > 0) {
            memmove(m->buf, m->buf + m->pos, m->len - m->pos);
            m->len -= m->pos;
            m->pos = 0;
        }
        long n = m->rd(m->ctx, m->buf + m->len, m->cap - m->len);
        if (n < 0)
            return -1;
        if (n == 0)
            m->eof = 1;
        m->len += (size_t)n;
        m->total += n;
        if (m->total > m->max)
            return -2;
    }
    return 0;
}

static const char *find(const char *hay, size_t n, const char *needle, size_t k)
{
    if (k == 0 || n < k)
        return NULL;
    for (size_t i = 0; i + k <= n; i++)
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, k))
            return hay + i;
    return NULL;
}

static int boundary_of(const char *ct, char *out, size_t n)
{
    const char *b = ct ? strcasestr(ct, "boundary=") : NULL;
    if (!b)
        return -1;
    b += 9;
    size_t k = 0;
    int quoted = *b == '"';
    if (quoted)
        b++;
    while (*b && k + 1 < n && (quoted ? *b != '"' : (*b != ';' && *b != ' ')))
        out[k++] = *b++;
    out[k] = 0;
    return k > 0 && k <= 70 ? 0 : -1;
}

/* name="..." (or filename="...") from a Content-Disposition header block. */
static void disposition_value(const char *headers, const char *key, char *out, size_t n)
{
    out[0] = 0;
    const char *p = headers;
    size_t klen = strlen(key);
    while ((p = strcasestr(p, key))) {
        if ((p == headers || p[-1] == ' ' || p[-1] == ';') && p[klen] == '=' && p[klen + 1] == '"') {
            p += klen + 2;
            size_t k = 0;
            while (*p && *p != '"' && *p != '\r' && k + 1 < n)
                out[k++] = *p++;
            out[k] = 0;
            return;
        }
        p += klen;
    }
}

int multipart_read(const char *content_type, mp_read_fn rd, void *ctx, long long max_bytes,
                   int file_fd, struct kvlist *form, struct mp_result *res, char *why, size_t whylen)
{
    char boundary[80], delim[90];
    memset(res, 0, sizeof *res);
    if (boundary_of(content_type, boundary, sizeof boundary) < 0) {
        snprintf(why, whylen, "the upload has no multipart boundary");
        return -1;
    }
    int dlen = snprintf(delim, sizeof delim, "\r\n--%s", boundary);
    struct mp m = {rd, ctx, malloc(CHUNK + MAX_HEADERS), 0, 0, CHUNK + MAX_HEADERS, 0, max_bytes, 0};
    if (!m.buf) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    int rc = -1, file_done = 0;
    /* The body starts with the delimiter without its leading CRLF. */
    if (fill(&m, (size_t)dlen) < 0 || m.len < (size_t)dlen - 2 || memcmp(m.buf, delim + 2, (size_t)dlen - 2)) {
        snprintf(why, whylen, "the upload does not start with its boundary");
        goto out;
    }
    m.pos = (size_t)dlen - 2;
    for (;;) {
        /* after a delimiter: "--" ends the body, CRLF starts a part */
        if (fill(&m, 2) < 0 || m.len - m.pos < 2)
            goto malformed;
        if (!memcmp(m.buf + m.pos, "--", 2)) {
            rc = 0;
            break;
        }
        if (memcmp(m.buf + m.pos, "\r\n", 2))
            goto malformed;
        m.pos += 2;
        /* part headers, up to the blank line */
        const char *end;
        int f;
        while (!(end = find(m.buf + m.pos, m.len - m.pos, "\r\n\r\n", 4))) {
            if (m.len - m.pos >= MAX_HEADERS || m.eof)
                goto malformed;
            if ((f = fill(&m, m.len - m.pos + 1)) < 0)
                goto read_error;
        }
        char headers[MAX_HEADERS + 1];
        size_t hlen = (size_t)(end - (m.buf + m.pos));
        /* One read may bring far more than MAX_HEADERS bytes: the blank line can lie beyond
         * the limit even though the loop above found it in the first window. */
        if (hlen > MAX_HEADERS) {
            snprintf(why, whylen, "a part of the upload has more than %d bytes of headers", MAX_HEADERS);
            goto out;
        }
        memcpy(headers, m.buf + m.pos, hlen);
        headers[hlen] = 0;
        m.pos += hlen + 4;
        char name[REQ_MAX_KEY + 1], filename[256];
        disposition_value(headers, "name", name, sizeof name);
        disposition_value(headers, "filename", filename, sizeof filename);
        int to_file = strstr(headers, "filename=") && !file_done && file_fd >= 0;
        struct strbuf_lite {
            char *p;
            size_t n;
        } field = {NULL, 0};
        /* the part's data, up to the next delimiter (which may straddle reads) */
        for (;;) {
            if ((f = fill(&m, (size_t)dlen + CHUNK / 2)) < 0)
                goto read_error;
            const char *hit = find(m.buf + m.pos, m.len - m.pos, delim, (size_t)dlen);
            size_t avail = hit ? (size_t)(hit - (m.buf + m.pos))
                               : (m.len - m.pos > (size_t)dlen ? m.len - m.pos - (size_t)dlen : 0);
            if (!hit && m.eof)
                goto malformed;
            if (to_file) {
                if (avail && write(file_fd, m.buf + m.pos, avail) != (ssize_t)avail) {
                    snprintf(why, whylen, "the upload could not be stored");
                    free(field.p);
                    goto out;
                }
                res->file_bytes += (long long)avail;
            } else if (!strstr(headers, "filename=")) {
                if (field.n + avail > MAX_FIELD) {
                    free(field.p);
                    snprintf(why, whylen, "the form field '%.40s' is too long", name);
                    goto out;
                }
                char *np = realloc(field.p, field.n + avail + 1);
                if (!np) {
                    free(field.p);
                    goto malformed;
                }
                field.p = np;
                memcpy(field.p + field.n, m.buf + m.pos, avail);
                field.n += avail;
            }
            m.pos += avail;
            if (hit)
                break;
        }
        m.pos += (size_t)dlen;
        if (to_file) {
            snprintf(res->filename, sizeof res->filename, "%s", filename);
            file_done = 1;
        } else if (!strstr(headers, "filename=") && *name) {
            if (!utf8_valid_text(field.p ? field.p : "", field.n) ||
                kv_add(form, name, strlen(name), field.p ? field.p : "", field.n) < 0) {
                free(field.p);
                snprintf(why, whylen, "the form field '%.40s' is not valid text", name);
                goto out;
            }
        }
        free(field.p);
    }
    goto out;
read_error:
    snprintf(why, whylen, m.total > m.max ? "the upload is too large" : "the upload ended early");
    rc = -1;
    goto out;
malformed:
    snprintf(why, whylen, "the upload is not well-formed multipart data");
    rc = -1;
out:
    free(m.buf);
    return rc;
}
