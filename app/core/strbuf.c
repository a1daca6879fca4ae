/* strbuf.c: a small growable, always NUL-terminated byte buffer */
#include "core/strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRBUF_MIN_CAP 64

void strbuf_init(struct strbuf *sb)
{
    if (sb != NULL) {
        sb->p = NULL;
        sb->len = 0;
        sb->cap = 0;
    }
}

int strbuf_reserve(struct strbuf *sb, size_t extra)
{
    size_t need;
    if (sb == NULL || __builtin_add_overflow(sb->len, extra, &need) || __builtin_add_overflow(need, 1, &need))
        return -1;
    if (need <= sb->cap)
        return 0;
    /* No object may exceed PTRDIFF_MAX bytes (pointer differences must stay defined). */
    if (need > (size_t)PTRDIFF_MAX)
        return -1;
    size_t cap = sb->cap < STRBUF_MIN_CAP ? STRBUF_MIN_CAP : sb->cap;
    while (cap < need) {
        /* Doubling keeps appends amortised O(1); near the limit take the exact size. */
        if (cap > (size_t)PTRDIFF_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *np = realloc(sb->p, cap);
    if (np == NULL)
        return -1;
    if (sb->p == NULL)
        np[0] = '\0';
    sb->p = np;
    sb->cap = cap;
    return 0;
}

int strbuf_append_n(struct strbuf *sb, const char *s, size_t n)
{
    if (sb == NULL || (s == NULL && n > 0))
        return -1;
    if (strbuf_reserve(sb, n) != 0)
        return -1;
    if (n > 0)
        memcpy(sb->p + sb->len, s, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
    return 0;
}

int strbuf_append(struct strbuf *sb, const char *s)
{
    if (s == NULL)
        return -1;
    return strbuf_append_n(sb, s, strlen(s));
}

int strbuf_append_char(struct strbuf *sb, char c)
{
    return strbuf_append_n(sb, &c, 1);
}

int strbuf_vappendf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    if (sb == NULL || fmt == NULL)
        return -1;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || strbuf_reserve(sb, (size_t)n) != 0)
        return -1;
    vsnprintf(sb->p + sb->len, sb->cap - sb->len, fmt, ap);
    sb->len += (size_t)n;
    return 0;
}

int strbuf_appendf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = strbuf_vappendf(sb, fmt, ap);
    va_end(ap);
    return rc;
}

void strbuf_reset(struct strbuf *sb)
{
    if (sb == NULL)
        return;
    sb->len = 0;
    if (sb->p != NULL)
        sb->p[0] = '\0';
}

void strbuf_free(struct strbuf *sb)
{
    if (sb == NULL)
        return;
    free(sb->p);
    strbuf_init(sb);
}

const char *strbuf_cstr(const struct strbuf *sb)
{
    return (sb == NULL || sb->p == NULL) ? "" : sb->p;
}
