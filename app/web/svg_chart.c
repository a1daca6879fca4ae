/* svg_chart.c: bar geometry for templates/chart_bars.cs (see svg_chart.h). */
#include "web/svg_chart.h"

#include "core/money.h"

#include <ClearSilver.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HBAR_W 760
#define HBAR_LABEL_W 230          /* names, right-aligned against the bars */
#define HBAR_MAX 420
#define HBAR_ROW_H 28
#define HBAR_H 20
#define HBAR_PAD 10
#define HBAR_LABEL_CHARS 30

#define DAYS_W 760
#define DAYS_LEFT 44              /* room for the scale's numbers */
#define DAYS_RIGHT 12
#define DAYS_TOP 12
#define DAYS_PLOT_H 160
#define DAYS_BOTTOM 26            /* the day labels */
#define DAYS_TICKS 8              /* at most this many day labels */

void svg_text(const char *in, size_t max_chars, char *out, size_t n)
{
    size_t k = 0, chars = 0;
    const unsigned char *s = (const unsigned char *)in;
    while (*s && k + 5 < n) {
        size_t len = *s < 0x80 ? 1 : *s >= 0xF0 ? 4 : *s >= 0xE0 ? 3 : 2;
        if (strnlen((const char *)s, len) < len)
            break;
        if (max_chars && chars + 1 == max_chars && s[len]) {
            memcpy(out + k, "\xE2\x80\xA6", 3);   /* … */
            k += 3;
            break;
        }
        if (len == 1 && (*s < 0x20 || *s == 0x7F))
            out[k++] = ' ';
        else if (k + len < n) {
            memcpy(out + k, s, len);
            k += len;
        } else
            break;
        s += len;
        chars++;
    }
    out[k] = 0;
}

void url_add_param(struct strbuf *sb, const char *key, const char *val)
{
    char *enc = NULL;
    NEOERR *err = neos_url_escape(val, &enc, NULL);
    if (err) {
        nerr_ignore(&err);
        return;
    }
    strbuf_appendf(sb, "%c%s=%s", strchr(strbuf_cstr(sb), '?') ? '&' : '?', key, enc);
    free(enc);
}

/* <prefix>.<field> = the number v. */
static void num(struct web *w, long long v, const char *prefix, const char *field_fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void num(struct web *w, long long v, const char *prefix, const char *field_fmt, ...)
{
    char field[64], name[128], text[24];
    va_list ap;
    va_start(ap, field_fmt);
    vsnprintf(field, sizeof field, field_fmt, ap);
    va_end(ap);
    snprintf(name, sizeof name, "%s.%s", prefix, field);
    snprintf(text, sizeof text, "%lld", v);
    hset(w, name, text);
}

void chart_hbars(struct web *w, const char *prefix, const struct series_list *top, chart_href_fn href, void *ctx)
{
    long long max = 0;
    for (int i = 0; i < top->n; i++)
        if (top->v[i].value > max)
            max = top->v[i].value;
    struct strbuf url;
    strbuf_init(&url);
    for (int i = 0; i < top->n; i++) {
        const char *name = top->v[i].label;
        if (!name)
            name = "";
        long long v = top->v[i].value;
        long long bw = v > 0 && max > 0 ? (long long)((__int128)v * HBAR_MAX / max) : 0;
        if (v > 0 && bw < 1)
            bw = 1;
        char text[4 * HBAR_LABEL_CHARS + 8], full[1100], qty[MONEY_FMT_MAX];
        svg_text(name, HBAR_LABEL_CHARS, text, sizeof text);
        svg_text(name, 0, full, sizeof full);
        if (qty_format(v, qty, sizeof qty) < 0)
            snprintf(qty, sizeof qty, "?");
        int y = HBAR_PAD + i * HBAR_ROW_H;
        hsetf(w, full, "%s.Bars.%d.name", prefix, i);
        hsetf(w, text, "%s.Bars.%d.label", prefix, i);
        hsetf(w, qty, "%s.Bars.%d.value", prefix, i);
        strbuf_reset(&url);
        href(&url, name, ctx);
        hsetf(w, strbuf_cstr(&url), "%s.Bars.%d.href", prefix, i);
        num(w, y, prefix, "Bars.%d.y", i);
        num(w, y + HBAR_H / 2 + 5, prefix, "Bars.%d.ty", i);
        num(w, bw, prefix, "Bars.%d.w", i);
        num(w, HBAR_LABEL_W + bw + 6, prefix, "Bars.%d.vx", i);
    }
    strbuf_free(&url);
    num(w, top->n, prefix, "n");
    num(w, HBAR_W, prefix, "width");
    num(w, 2 * HBAR_PAD + top->n * HBAR_ROW_H, prefix, "height");
    num(w, HBAR_LABEL_W, prefix, "bar_x");
    num(w, HBAR_LABEL_W - 8, prefix, "label_x");
    num(w, HBAR_H, prefix, "bar_h");
}

void chart_days(struct web *w, const char *prefix, cdate_t from, int64_t ndays, const struct series_list *per,
                chart_href_fn href, void *ctx)
{
    long long max = 0;
    for (int i = 0; i < per->n; i++)
        if (per->v[i].value > max)
            max = per->v[i].value;
    int plot_w = DAYS_W - DAYS_LEFT - DAYS_RIGHT;
    int slot = ndays > 0 ? (int)(plot_w / ndays) : plot_w;
    if (slot < 2)
        slot = 2;
    int bar_w = slot > 4 ? slot - 2 : slot - 1;
    int base = DAYS_TOP + DAYS_PLOT_H, n = 0;
    struct strbuf url;
    strbuf_init(&url);
    for (int i = 0; i < per->n; i++) {
        const char *day = per->v[i].label;
        long long v = per->v[i].value;
        cdate_t d;
        int64_t idx;
        if (!day || cdate_parse(day, &d) < 0 || cdate_diff_days(from, d, &idx) < 0 || idx < 0 || idx >= ndays)
            continue;
        long long h = max > 0 ? v * DAYS_PLOT_H / max : 0;
        if (v > 0 && h < 1)
            h = 1;
        hsetf(w, day, "%s.Bars.%d.day", prefix, n);
        num(w, v, prefix, "Bars.%d.value", n);
        num(w, DAYS_LEFT + idx * slot + (slot - bar_w) / 2, prefix, "Bars.%d.x", n);
        num(w, base - h, prefix, "Bars.%d.y", n);
        num(w, h, prefix, "Bars.%d.h", n);
        strbuf_reset(&url);
        href(&url, day, ctx);
        hsetf(w, strbuf_cstr(&url), "%s.Bars.%d.href", prefix, n);
        n++;
    }
    strbuf_free(&url);
    /* day labels: the first day, then evenly spaced */
    int64_t step = (ndays + DAYS_TICKS - 1) / DAYS_TICKS;
    if (step < 1)
        step = 1;
    int t = 0;
    for (int64_t i = 0; i < ndays; i += step) {
        cdate_t d;
        char label[CDATE_FMT_LEN];
        if (cdate_add_days(from, i, &d) < 0 || cdate_format(d, label, sizeof label) < 0)
            break;
        hsetf(w, label + 5, "%s.Ticks.%d.label", prefix, t);   /* MM-DD */
        hsetf(w, label, "%s.Ticks.%d.day", prefix, t);
        num(w, DAYS_LEFT + i * slot + slot / 2, prefix, "Ticks.%d.x", t);
        t++;
    }
    long long width = DAYS_LEFT + ndays * slot + DAYS_RIGHT;
    num(w, n, prefix, "n");
    num(w, max, prefix, "max");
    num(w, width < DAYS_W ? DAYS_W : width, prefix, "width");
    num(w, base + DAYS_BOTTOM, prefix, "height");
    num(w, bar_w, prefix, "bar_w");
    num(w, base, prefix, "base");
    num(w, DAYS_TOP, prefix, "top");
    num(w, DAYS_LEFT, prefix, "left");
    num(w, DAYS_LEFT + ndays * slot, prefix, "axis_end");
    num(w, DAYS_LEFT - 6, prefix, "scale_x");
    num(w, DAYS_TOP + 4, prefix, "max_y");
    num(w, base + 17, prefix, "tick_y");
}
