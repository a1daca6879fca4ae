/* strbuf.h: a small growable, always NUL-terminated byte buffer */
#ifndef BILLSYNC_CORE_STRBUF_H
#define BILLSYNC_CORE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * p is NULL until the first append; afterwards p[len] is always '\0'. Zero-initialise
 * (STRBUF_INIT or strbuf_init) before use, strbuf_free when done. Appends return 0, or -1
 * when memory runs out or the size would overflow; the buffer is then left as it was.
 * The source of an append must not point into the buffer itself (it may move).
 */
struct strbuf {
    char *p;
    size_t len, cap;
};

#define STRBUF_INIT {NULL, 0, 0}

void strbuf_init(struct strbuf *sb);
/* Make room for at least `extra` more bytes (plus the terminating NUL). */
int strbuf_reserve(struct strbuf *sb, size_t extra);
int strbuf_append(struct strbuf *sb, const char *s);
int strbuf_append_n(struct strbuf *sb, const char *s, size_t n);
int strbuf_append_char(struct strbuf *sb, char c);
int strbuf_appendf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strbuf_vappendf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Empty the buffer but keep its memory (for reuse between streamed rows). */
void strbuf_reset(struct strbuf *sb);
/* Release the memory; the buffer is empty and reusable afterwards. */
void strbuf_free(struct strbuf *sb);
/* The contents as a C string: "" (never NULL) for an empty buffer. */
const char *strbuf_cstr(const struct strbuf *sb);

#endif
