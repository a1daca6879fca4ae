/* csvw.c: RFC 4180 CSV writer into a strbuf, with spreadsheet formula-injection neutralising */
#include "core/csvw.h"

#include <stdio.h>
#include <string.h>

void csvw_init(csvw_t *w, struct strbuf *out)
{
    if (w == NULL)
        return;
    w->out = out;
    w->nfields = 0;
}

int csvw_bom(csvw_t *w)
{
    if (w == NULL || w->out == NULL || w->nfields != 0)
        return -1;
    return strbuf_append_n(w->out, "\xEF\xBB\xBF", 3);
}

/* Optional sign, digits, optionally '.' and digits: the only sign-led text left unguarded. */
static int is_plain_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == start)
        return 0;
    if (i < n && s[i] == '.') {
        size_t frac = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == frac)
            return 0;
    }
    return i == n;
}

int csvw_needs_formula_guard(const char *s, size_t n)
{
    size_t i = 0;
    if (s == NULL)
        return 0;
    /* Leading spaces do not make a formula safe: some importers trim them. */
    while (i < n && s[i] == ' ')
        i++;
    if (i == n || strchr("=+-@\t\r", s[i]) == NULL || s[i] == '\0')
        return 0;
    return !is_plain_number(s + i, n - i);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int write_field(csvw_t *w, const char *s, size_t n, int guard)
{
    struct strbuf *sb = w->out;
    size_t saved = sb->len;
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (n > 0 && ((!guard && is_blank(s[0])) || is_blank(s[n - 1])))
        quote = 1;
    int rc = 0;
    if (w->nfields > 0)
        rc |= strbuf_append_char(sb, ',');
    if (quote)
        rc |= strbuf_append_char(sb, '"');
    if (guard)
        rc |= strbuf_append_char(sb, '\'');
    if (quote) {
        /* Copy runs between quotes, doubling each quote. */
        size_t from = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (s[i] == '"') {
                rc |= strbuf_append_n(sb, s + from, i + 1 - from);
                rc |= strbuf_append_char(sb, '"');
                from = i + 1;
            }
        }
        if (rc == 0)
            rc |= strbuf_append_n(sb, s + from, n - from);
        rc |= strbuf_append_char(sb, '"');
    } else {
        rc |= strbuf_append_n(sb, s, n);
    }
    if (rc != 0) {
        sb->len = saved;
        if (sb->p != NULL)
            sb->p[saved] = '\0';
        return -1;
    }
    w->nfields++;
    return 0;
}

int csvw_field_n(csvw_t *w, const char *s, size_t n)
{
    if (w == NULL || w->out == NULL || (s == NULL && n > 0))
        return -1;
    if (n > 0 && memchr(s, '\0', n) != NULL)
        return -1;
    return write_field(w, s, n, csvw_needs_formula_guard(s, n));
}

int csvw_field(csvw_t *w, const char *s)
{
    return csvw_field_n(w, s, s == NULL ? 0 : strlen(s));
}

/* Typed values are numbers or dates by construction: no guard, no quoting. */
static int write_plain(csvw_t *w, const char *s)
{
    if (w == NULL || w->out == NULL)
        return -1;
    return write_field(w, s, strlen(s), 0);
}

int csvw_field_money(csvw_t *w, money_t v, int decimals)
{
    char buf[MONEY_FMT_MAX];
    if (money_format(v, buf, sizeof buf, decimals) != 0)
        return -1;
    return write_plain(w, buf);
}

int csvw_field_qty(csvw_t *w, qty_t q)
{
    char buf[MONEY_FMT_MAX];
    if (qty_format(q, buf, sizeof buf) != 0)
        return -1;
    return write_plain(w, buf);
}

int csvw_field_i64(csvw_t *w, int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return write_plain(w, buf);
}

int csvw_field_date(csvw_t *w, cdate_t d)
{
    char buf[CDATE_FMT_LEN];
    if (cdate_format(d, buf, sizeof buf) != 0)
        return -1;
    return write_plain(w, buf);
}

int csvw_end_row(csvw_t *w)
{
    if (w == NULL || w->out == NULL || strbuf_append_n(w->out, "\r\n", 2) != 0)
        return -1;
    w->nfields = 0;
    return 0;
}

int csvw_row(csvw_t *w, const char *const *fields, size_t n)
{
    if (w == NULL || w->out == NULL || (fields == NULL && n > 0))
        return -1;
    size_t saved_len = w->out->len, saved_nf = w->nfields;
    for (size_t i = 0; i < n; i++) {
        if (csvw_field(w, fields[i]) != 0)
            goto fail;
    }
    if (csvw_end_row(w) != 0)
        goto fail;
    return 0;
fail:
    w->out->len = saved_len;
    if (w->out->p != NULL)
        w->out->p[saved_len] = '\0';
    w->nfields = saved_nf;
    return -1;
}
