/* reports.c: the plumbing the subscription reports share (see reports.h). Filters and sort
 * come from the query string and are checked against fixed lists; every link on the page
 * (sort headings, pager, chart bars, export) is the same report URL with one thing changed,
 * built here and escaped by the template. */
#include "web/reports.h"

#include "common/log.h"
#include "core/csvw.h"
#include "core/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const statuses[] = {"active", "suspended", "cancelled", "pending"};
#define NSTATUSES (sizeof statuses / sizeof statuses[0])

#define DEFAULT_SORT "company"

struct report_req {
    struct report_filter f;
    const char *sort;
    int desc;
    long long page;
    int csv;
};

void report_money(money_t v, char *buf, size_t n)
{
    if (money_format(v, buf, n, v % 100 == 0 ? 2 : 4) < 0)
        snprintf(buf, n, "?");
}

static const char *param(struct web *w, const char *key)
{
    const char *v = req_query(&w->req, key);
    return v ? v : "";
}

/* Reads and checks the query string; on a bad value renders the 400 page and returns -1. */
static int read_req(struct web *w, const struct report_def *def, const struct dbrows *sources,
                    struct report_req *r)
{
    int bad = 0;
    memset(r, 0, sizeof *r);
    r->f.source = req_int(&w->req, "source", 1, 9223372036854775807LL, 0, &bad);
    if (!bad && r->f.source) {
        int known = 0;
        for (int i = 0; i < sources->nrows; i++)
            known |= dbrows_int(sources, i, 0, -1) == r->f.source;
        bad = !known;
    }
    if (bad) {
        web_error(w, 400, "The source filter names no distributor connection of yours.");
        return -1;
    }
    r->f.company = param(w, "company");
    r->f.product = param(w, "product");
    r->f.q = param(w, "q");
    if (strlen(r->f.company) > REPORT_TEXT_MAX || strlen(r->f.product) > REPORT_TEXT_MAX ||
        strlen(r->f.q) > REPORT_TEXT_MAX) {
        web_error(w, 400, "A text filter is too long (200 characters at most).");
        return -1;
    }
    r->f.status = param(w, "status");
    if (*r->f.status) {
        int known = 0;
        for (size_t i = 0; i < NSTATUSES; i++)
            known |= !strcmp(r->f.status, statuses[i]);
        if (!known) {
            web_error(w, 400, "The status filter must be active, suspended, cancelled or pending.");
            return -1;
        }
    }
    r->sort = param(w, "sort");
    if (!*r->sort)
        r->sort = DEFAULT_SORT;
    if (!report_sort_known(def->kind, r->sort)) {
        web_error(w, 400, "This report cannot be sorted by that column.");
        return -1;
    }
    const char *dir = param(w, "dir");
    if (*dir && strcmp(dir, "asc") && strcmp(dir, "desc")) {
        web_error(w, 400, "The sort direction must be asc or desc.");
        return -1;
    }
    r->desc = !strcmp(dir, "desc");
    r->page = req_int(&w->req, "page", 1, REPORT_MAX_PAGE, 1, &bad);
    if (bad) {
        web_error(w, 400, "The page number is not valid.");
        return -1;
    }
    const char *format = param(w, "format");
    if (*format && strcmp(format, "csv") && strcmp(format, "html")) {
        web_error(w, 400, "The format must be csv or html.");
        return -1;
    }
    r->csv = !strcmp(format, "csv");
    return 0;
}

/* URL building ------------------------------------------------------------------------------ */

static void url_add(struct strbuf *sb, int *first, const char *key, const char *val)
{
    if (!val || !*val)
        return;
    char *enc = NULL;
    NEOERR *err = neos_url_escape(val, &enc, NULL);
    if (err) {
        nerr_ignore(&err);
        return;
    }
    strbuf_appendf(sb, "%c%s=%s", *first ? '?' : '&', key, enc);
    *first = 0;
    free(enc);
}

/* The report's URL with the request's filters, company replaced when given, and the given
 * sort, page (1 is left out) and format. */
static void report_url(struct strbuf *sb, const struct report_def *def, const struct report_req *r,
                       const char *company, const char *sort, int desc, long long page, int csv)
{
    int first = 1;
    char num[24];
    strbuf_reset(sb);
    strbuf_append(sb, def->path);
    if (r->f.source) {
        snprintf(num, sizeof num, "%lld", r->f.source);
        url_add(sb, &first, "source", num);
    }
    url_add(sb, &first, "company", company ? company : r->f.company);
    url_add(sb, &first, "product", r->f.product);
    url_add(sb, &first, "status", r->f.status);
    url_add(sb, &first, "q", r->f.q);
    url_add(sb, &first, "sort", sort);
    url_add(sb, &first, "dir", desc ? "desc" : "asc");
    if (page > 1) {
        snprintf(num, sizeof num, "%lld", page);
        url_add(sb, &first, "page", num);
    }
    if (csv)
        url_add(sb, &first, "format", "csv");
}

/* CSV export ---------------------------------------------------------------------------------- */

struct csv_ctx {
    struct web *w;
    const struct report_def *def;
    struct strbuf sb;
    csvw_t csv;
    struct report_cells cells;
    int failed;
};

static int csv_row(void *vctx, int ncols, char **in, size_t *lens)
{
    struct csv_ctx *c = vctx;
    (void)ncols;
    (void)lens;
    memset(&c->cells, 0, sizeof c->cells);
    c->def->cells(in, &c->cells);
    for (int i = 0; i < c->def->ncols; i++)
        csvw_field(&c->csv, c->cells.v[i] ? c->cells.v[i] : "");
    csvw_end_row(&c->csv);
    if (c->sb.len > 32768) {      /* flush in chunks: memory stays flat for any row count */
        int rc = resp_stream_write(&c->w->resp, c->sb.p, c->sb.len);
        strbuf_reset(&c->sb);
        c->failed |= rc != 0;
        return rc;
    }
    return 0;
}

static void export_csv(struct web *w, const struct report_def *def, const struct report_req *r)
{
    struct csv_ctx c = {.w = w, .def = def};
    strbuf_init(&c.sb);
    csvw_init(&c.csv, &c.sb);
    for (int i = 0; i < def->ncols; i++)
        csvw_field(&c.csv, def->cols[i].label);
    csvw_end_row(&c.csv);
    resp_stream_begin(&w->resp, "text/csv; charset=utf-8", def->csv_name);
    if (report_stream(w->db, w->sess->tenant_id, def->kind, &r->f, r->sort, r->desc, csv_row, &c) < 0)
        log_error("report export %s: %s", def->path, db_error(w->db));
    if (c.sb.len && !c.failed)
        resp_stream_write(&w->resp, c.sb.p, c.sb.len);
    strbuf_free(&c.sb);
}

/* Totals of the monthly value, per currency ------------------------------------------------ */

#define MAX_CURRENCIES 16

struct value_totals {
    char cur[MAX_CURRENCIES][4];
    money_t sum[MAX_CURRENCIES];
    int n, overflow;
};

static int add_value(void *vctx, int ncols, char **in, size_t *lens)
{
    struct value_totals *t = vctx;
    (void)lens;
    if (ncols < 3)
        return 1;
    money_t v;
    qty_t q = strtoll(in[0] ? in[0] : "0", NULL, 10);
    money_t cost = strtoll(in[1] ? in[1] : "0", NULL, 10);
    const char *cur = in[2] ? in[2] : "";
    int k = 0;
    while (k < t->n && strcmp(t->cur[k], cur))
        k++;
    if (k == t->n) {
        if (t->n == MAX_CURRENCIES) {
            t->overflow = 1;
            return 1;
        }
        snprintf(t->cur[t->n], sizeof t->cur[0], "%s", cur);
        t->sum[t->n++] = 0;
    }
    if (money_mul_qty(cost, q, &v) < 0 || money_add(t->sum[k], v, &t->sum[k]) < 0) {
        t->overflow = 1;
        return 1;
    }
    return 0;
}

static int value_totals(struct web *w, const struct report_def *def, const struct report_req *r,
                        char *out, size_t n)
{
    struct value_totals t;
    memset(&t, 0, sizeof t);
    if (report_amounts(w->db, w->sess->tenant_id, def->kind, &r->f, add_value, &t) < 0)
        return -1;
    out[0] = 0;
    if (t.overflow) {
        snprintf(out, n, "too large to total");
        return 0;
    }
    /* currencies in a stable order: alphabetical */
    for (int i = 0; i < t.n; i++)
        for (int j = i + 1; j < t.n; j++)
            if (strcmp(t.cur[j], t.cur[i]) < 0) {
                char tc[4];
                money_t ts = t.sum[i];
                memcpy(tc, t.cur[i], 4);
                memcpy(t.cur[i], t.cur[j], 4);
                memcpy(t.cur[j], tc, 4);
                t.sum[i] = t.sum[j];
                t.sum[j] = ts;
            }
    size_t k = 0;
    for (int i = 0; i < t.n && k < n; i++) {
        char amount[MONEY_FMT_MAX];
        report_money(t.sum[i], amount, sizeof amount);
        int m = snprintf(out + k, n - k, "%s%s %s", i ? "; " : "", amount, t.cur[i]);
        if (m < 0)
            break;
        k += (size_t)m;
    }
    if (t.n == 0)
        snprintf(out, n, "0.00");
    return 0;
}

/* The chart: licences per customer ---------------------------------------------------------- */

#define CHART_W 760
#define CHART_LABEL_W 230         /* company names, right-aligned against the bars */
#define CHART_BAR_MAX 420
#define CHART_ROW_H 28
#define CHART_BAR_H 20
#define CHART_PAD 10
#define CHART_LABEL_CHARS 30

/* Text for SVG: C0 controls (not allowed in XML) become spaces; at most max_chars code
 * points, the last replaced by an ellipsis when cut. Escaping is the template's. */
static void svg_text(const char *in, size_t max_chars, char *out, size_t n)
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

static void chart(struct web *w, const struct report_def *def, const struct report_req *r, struct strbuf *url)
{
    struct dbrows top;
    if (report_top_companies(w->db, w->sess->tenant_id, def->kind, &r->f, REPORT_CHART_BARS, &top) < 0) {
        log_error("report chart %s: %s", def->path, db_error(w->db));
        return;
    }
    long long max = 0;
    for (int i = 0; i < top.nrows; i++)
        if (dbrows_int(&top, i, 1, 0) > max)
            max = dbrows_int(&top, i, 1, 0);
    for (int i = 0; i < top.nrows; i++) {
        const char *name = dbrows_get(&top, i, 0);
        long long v = dbrows_int(&top, i, 1, 0);
        long long bw = v > 0 && max > 0 ? (long long)((__int128)v * CHART_BAR_MAX / max) : 0;
        if (v > 0 && bw < 1)
            bw = 1;
        char text[4 * CHART_LABEL_CHARS + 8], full[1100], qty[MONEY_FMT_MAX];
        svg_text(name ? name : "", CHART_LABEL_CHARS, text, sizeof text);
        svg_text(name ? name : "", 0, full, sizeof full);
        if (qty_format(v, qty, sizeof qty) < 0)
            snprintf(qty, sizeof qty, "?");
        int y = CHART_PAD + i * CHART_ROW_H;
        hsetf(w, full, "Chart.Bars.%d.name", i);
        hsetf(w, text, "Chart.Bars.%d.label", i);
        hsetf(w, qty, "Chart.Bars.%d.value", i);
        report_url(url, def, r, name ? name : "", r->sort, r->desc, 1, 0);
        hsetf(w, strbuf_cstr(url), "Chart.Bars.%d.href", i);
        char num[24];
        snprintf(num, sizeof num, "%d", y);
        hsetf(w, num, "Chart.Bars.%d.y", i);
        snprintf(num, sizeof num, "%d", y + CHART_BAR_H / 2 + 5);
        hsetf(w, num, "Chart.Bars.%d.ty", i);
        snprintf(num, sizeof num, "%lld", bw);
        hsetf(w, num, "Chart.Bars.%d.w", i);
        snprintf(num, sizeof num, "%lld", CHART_LABEL_W + bw + 6);
        hsetf(w, num, "Chart.Bars.%d.vx", i);
    }
    hset_int(w, "Chart.n", top.nrows);
    hset_int(w, "Chart.width", CHART_W);
    hset_int(w, "Chart.height", 2 * CHART_PAD + top.nrows * CHART_ROW_H);
    hset_int(w, "Chart.bar_x", CHART_LABEL_W);
    hset_int(w, "Chart.label_x", CHART_LABEL_W - 8);
    hset_int(w, "Chart.bar_h", CHART_BAR_H);
    dbrows_free(&top);
}

/* The page ------------------------------------------------------------------------------------ */

static void page(struct web *w, const struct report_def *def, struct report_req *r, const struct dbrows *sources)
{
    long long total = 0, qty_sum = 0;
    char value_total[600] = "";
    if (report_count(w->db, w->sess->tenant_id, def->kind, &r->f, &total, &qty_sum) < 0 ||
        (def->value_col >= 0 && value_totals(w, def, r, value_total, sizeof value_total) < 0)) {
        log_error("report %s: %s", def->path, db_error(w->db));
        web_error(w, 503, "The report could not be read. Try again in a minute.");
        return;
    }
    long long pages = total ? (total + REPORT_PAGE_SIZE - 1) / REPORT_PAGE_SIZE : 1;
    if (r->page > pages)
        r->page = pages;
    struct dbrows rows;
    if (report_rows(w->db, w->sess->tenant_id, def->kind, &r->f, r->sort, r->desc, REPORT_PAGE_SIZE,
                    (r->page - 1) * REPORT_PAGE_SIZE, &rows) < 0) {
        log_error("report %s: %s", def->path, db_error(w->db));
        web_error(w, 503, "The report could not be read. Try again in a minute.");
        return;
    }
    struct strbuf url;
    strbuf_init(&url);
    for (int i = 0; i < def->ncols; i++) {
        const struct report_col *c = &def->cols[i];
        int sorted = !strcmp(c->key, r->sort);
        hsetf(w, c->key, "Cols.%d.key", i);
        hsetf(w, c->label, "Cols.%d.label", i);
        if (c->num)
            hsetf(w, "1", "Cols.%d.num", i);
        hsetf(w, sorted ? (r->desc ? "descending" : "ascending") : "none", "Cols.%d.aria", i);
        if (sorted)
            hsetf(w, r->desc ? "desc" : "asc", "Cols.%d.sorted", i);
        report_url(&url, def, r, NULL, c->key, sorted && !r->desc, 1, 0);
        hsetf(w, strbuf_cstr(&url), "Cols.%d.href", i);
    }
    struct report_cells cells;
    for (int i = 0; i < rows.nrows; i++) {
        memset(&cells, 0, sizeof cells);
        def->cells(&rows.cell[(size_t)i * (size_t)rows.ncols], &cells);
        for (int c = 0; c < def->ncols; c++) {
            hsetf(w, cells.v[c] ? cells.v[c] : "", "Rows.%d.C.%d", i, c);
            const char *cls = def->cols[c].num ? "num" : NULL;
            if (cells.cls[c] || cls) {
                char both[64];
                snprintf(both, sizeof both, "%s%s%s", cls ? cls : "", cls && cells.cls[c] ? " " : "",
                         cells.cls[c] ? cells.cls[c] : "");
                hsetf(w, both, "Rows.%d.C.%d.cls", i, c);
            }
        }
    }
    dbrows_free(&rows);
    /* totals row: the row count under the first column, sums under theirs */
    char buf[64];
    snprintf(buf, sizeof buf, "Total: %lld row%s", total, total == 1 ? "" : "s");
    hset(w, "Totals.C.0", buf);
    for (int c = 1; c < def->ncols; c++) {
        const char *v = "";
        if (c == def->qty_col) {
            if (qty_format(qty_sum, buf, sizeof buf) < 0)
                snprintf(buf, sizeof buf, "?");
            v = buf;
        } else if (c == def->value_col)
            v = value_total;
        hsetf(w, v, "Totals.C.%d", c);
        if (def->cols[c].num)
            hsetf(w, "num", "Totals.C.%d.cls", c);
        if (c == def->qty_col)
            hsetf(w, "quantity", "Totals.C.%d.key", c);
        else if (c == def->value_col)
            hsetf(w, "value", "Totals.C.%d.key", c);
    }
    hset_int(w, "Totals.rows", total);
    /* filters, pager, export, chart */
    for (int i = 0; i < sources->nrows; i++) {
        hsetf(w, dbrows_get(sources, i, 0), "Sources.%d.id", i);
        hsetf(w, dbrows_get(sources, i, 1), "Sources.%d.name", i);
    }
    for (size_t i = 0; i < NSTATUSES; i++)
        hsetf(w, statuses[i], "StatusOptions.%zu", i);
    if (r->f.source)
        hset_int(w, "Filter.source", r->f.source);
    hset(w, "Filter.company", r->f.company);
    hset(w, "Filter.product", r->f.product);
    hset(w, "Filter.status", r->f.status);
    hset(w, "Filter.q", r->f.q);
    hset(w, "Filter.sort", r->sort);
    hset(w, "Filter.dir", r->desc ? "desc" : "asc");
    hset_int(w, "Total", total);
    hset_int(w, "Page", r->page);
    hset_int(w, "Pages", pages);
    if (r->page > 1) {
        report_url(&url, def, r, NULL, r->sort, r->desc, r->page - 1, 0);
        hset(w, "Pager.prev", strbuf_cstr(&url));
        report_url(&url, def, r, NULL, r->sort, r->desc, 1, 0);
        hset(w, "Pager.first", strbuf_cstr(&url));
    }
    if (r->page < pages) {
        report_url(&url, def, r, NULL, r->sort, r->desc, r->page + 1, 0);
        hset(w, "Pager.next", strbuf_cstr(&url));
        report_url(&url, def, r, NULL, r->sort, r->desc, pages, 0);
        hset(w, "Pager.last", strbuf_cstr(&url));
    }
    report_url(&url, def, r, NULL, r->sort, r->desc, 1, 1);
    hset(w, "Export.href", strbuf_cstr(&url));
    chart(w, def, r, &url);
    strbuf_free(&url);
    hset(w, "Report.path", def->path);
    hset(w, "Report.title", def->title);
    hset(w, "Page.title", def->title);
    web_render(w, def->tmpl);
}

void report_serve(struct web *w, const struct report_def *def)
{
    struct dbrows sources;
    struct report_req r;
    if (report_sources(w->db, w->sess->tenant_id, &sources) < 0) {
        web_error(w, 503, "The report could not be read. Try again in a minute.");
        return;
    }
    if (read_req(w, def, &sources, &r) == 0) {
        if (r.csv)
            export_csv(w, def, &r);
        else
            page(w, def, &r, &sources);
    }
    dbrows_free(&sources);
}
