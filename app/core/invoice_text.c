/* invoice_text.c: invoice text templates (see invoice_text.h). */
#include "core/invoice_text.h"

#include <stdio.h>
#include <string.h>

static const char *const NAMES[] = {"product", "subscription", "company", "period", "quantity"};
#define NNAMES (sizeof NAMES / sizeof NAMES[0])

/* Length of the UTF-8 sequence starting at s (1-4), or 0 when it is not valid. */
static size_t seq_len(const unsigned char *s)
{
    size_t n;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0 && s[0] >= 0xC2)
        n = 2;
    else if ((s[0] & 0xF0) == 0xE0)
        n = 3;
    else if ((s[0] & 0xF8) == 0xF0 && s[0] <= 0xF4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

size_t invoice_utf8_chars(const char *s)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; chars++) {
        size_t k = seq_len(p);
        if (!k)
            return (size_t)-1;
        p += k;
    }
    return chars;
}

/* The placeholder named by [name, name + len), or -1. */
static int placeholder(const char *name, size_t len)
{
    for (size_t i = 0; i < NNAMES; i++)
        if (strlen(NAMES[i]) == len && !strncmp(NAMES[i], name, len))
            return (int)i;
    return -1;
}

int invoice_template_check(const char *tpl, size_t max_chars, char *why, size_t n)
{
    size_t chars = tpl ? invoice_utf8_chars(tpl) : 0;
    if (!tpl || !*tpl || strspn(tpl, " \t") == strlen(tpl)) {
        snprintf(why, n, "The invoice text template is empty. Write the text, e.g. {product} for {company}.");
        return -1;
    }
    if (chars == (size_t)-1) {
        snprintf(why, n, "The invoice text template is not valid UTF-8 text.");
        return -1;
    }
    if (chars > max_chars) {
        snprintf(why, n, "The invoice text template has %zu characters; the PSA takes at most %zu.", chars, max_chars);
        return -1;
    }
    for (const char *p = tpl; *p; p++) {
        if ((unsigned char)*p < 0x20 && *p != '\t') {
            snprintf(why, n, "The invoice text template must be one line (no line breaks or control characters).");
            return -1;
        }
        if (*p == '}') {
            snprintf(why, n, "The invoice text template has a \"}\" without its \"{\". Placeholders are {product}, "
                             "{subscription}, {company}, {period} and {quantity}.");
            return -1;
        }
        if (*p != '{')
            continue;
        const char *end = strchr(p + 1, '}');
        if (!end) {
            snprintf(why, n, "The invoice text template has a \"{\" without its \"}\". Placeholders are {product}, "
                             "{subscription}, {company}, {period} and {quantity}.");
            return -1;
        }
        if (placeholder(p + 1, (size_t)(end - p - 1)) < 0) {
            snprintf(why, n, "The invoice text template has an unknown placeholder {%.*s}. Placeholders are "
                             "{product}, {subscription}, {company}, {period} and {quantity}.",
                     (int)(end - p - 1 > 40 ? 40 : end - p - 1), p + 1);
            return -1;
        }
        p = end;
    }
    return 0;
}

/* Appends s to out (used bytes *len, chars *chars) up to max_chars characters; 1 when cut. */
static int append(char *out, size_t n, size_t *len, size_t *chars, size_t max_chars, const char *s, size_t slen)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + slen;
    while (p < end) {
        size_t k = seq_len(p);
        if (!k || p + k > end) {
            p++; /* an invalid byte in a value: dropped */
            continue;
        }
        if (*chars >= max_chars || *len + k >= n)
            return 1;
        if (*p < 0x20) { /* line breaks in a name: a space */
            out[(*len)++] = ' ';
        } else {
            memcpy(out + *len, p, k);
            *len += k;
        }
        (*chars)++;
        p += k;
    }
    return 0;
}

int invoice_text_expand(const char *tpl, const struct invoice_vars *v, size_t max_chars, char *out, size_t n)
{
    char why[200];
    if (n == 0)
        return -1;
    out[0] = '\0';
    if (invoice_template_check(tpl, INVOICE_TEXT_MAX, why, sizeof why) < 0)
        return -1;
    const char *vals[NNAMES] = {v->product, v->subscription, v->company, v->period, v->quantity};
    size_t len = 0, chars = 0;
    int cut = 0;
    for (const char *p = tpl; *p && !cut;) {
        if (*p == '{') {
            const char *end = strchr(p + 1, '}');
            int k = placeholder(p + 1, (size_t)(end - p - 1));
            const char *val = vals[k] ? vals[k] : "";
            cut = append(out, n, &len, &chars, max_chars, val, strlen(val));
            p = end + 1;
        } else {
            size_t run = strcspn(p, "{");
            cut = append(out, n, &len, &chars, max_chars, p, run);
            p += run;
        }
    }
    out[len] = '\0';
    /* no trailing blanks from an empty value at the end */
    while (len > 0 && out[len - 1] == ' ')
        out[--len] = '\0';
    return cut;
}
