/* page_report_margin.c: /reports/margin (issue 18, doc/margin.md): per customer and linked
 * product, the seats and their distributor cost, the PSA price and units, and a month's revenue,
 * cost, margin and margin %; annual prices and costs at their monthly equivalent, labelled.
 * Rows losing money or under the tenant's threshold (/settings/billing) are flagged. Filters
 * (company, product, source, PSA, flagged only), sorting by any column, pages of 50, a totals
 * row per currency, a chart of margin by customer and a streamed CSV export of exactly the
 * filtered rows. The money of a cell is core/margin.h's; the SQL computes the same for the
 * sort, the flag filter and the totals (db/margin.h). */
#include "web/pages.h"

#include "common/config.h"
#include "common/log.h"
#include "core/csvw.h"
#include "core/margin.h"
#include "db/jobs.h"
#include "db/margin.h"
#include "web/reports.h"
#include "web/svg_chart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH "/reports/margin"

enum { C_SOURCE, C_COMPANY, C_ACCOUNT, C_PRODUCT, C_SERVICE, C_BILLING, C_SEATS, C_UNIT_COST, C_PRICE, C_UNITS,
       C_REVENUE, C_COST, C_MARGIN, C_PCT, C_CURRENCY, C_FLAG, NCOLS };

static const struct report_col cols[NCOLS] = {
    {"source", "Source", 0},
    {"company", "Company", 0},
    {"account", "PSA account", 0},
    {"product", "Product", 0},
    {"service", "Contract / service", 0},
    {"billing", "Billing", 0},
    {"seats", "Seats", 1},
    {"unit_cost", "Unit cost", 1},
    {"price", "PSA price", 1},
    {"units", "PSA units", 1},
    {"revenue", "Monthly revenue", 1},
    {"cost", "Monthly cost", 1},
    {"margin", "Margin", 1},
    {"margin_pct", "Margin %", 1},
    {"currency", "Currency", 0},
    {"flag", "Flag", 0},
};

struct req {
    struct margin_filter f;
    const char *sort;
    int desc;
    long long page;
    int csv;
};

struct row {
    const char *v[NCOLS];
    char buf[NCOLS][64];
    int flagged;
    const char *id;
};

static long long num(char *const *in, int c) { return in[c] ? strtoll(in[c], NULL, 10) : 0; }

static void money_cell(struct row *o, int c, money_t v)
{
    report_money(v, o->buf[c], sizeof o->buf[c]);
    o->v[c] = o->buf[c];
}

static void qty_cell(struct row *o, int c, qty_t q)
{
    if (qty_format(q, o->buf[c], sizeof o->buf[c]) < 0)
        snprintf(o->buf[c], sizeof o->buf[c], "?");
    o->v[c] = o->buf[c];
}

/* One database row (enum margin_col) as shown; the money by core/margin.h. */
static void cells(char *const *in, int threshold, struct row *o)
{
    memset(o, 0, sizeof *o);
    o->id = in[MG_RID];
    o->v[C_SOURCE] = in[MG_SOURCE] ? in[MG_SOURCE] : "";
    o->v[C_COMPANY] = in[MG_COMPANY] ? in[MG_COMPANY] : "";
    o->v[C_ACCOUNT] = in[MG_ACCOUNT] ? in[MG_ACCOUNT] : "";
    o->v[C_PRODUCT] = in[MG_PRODUCT] ? in[MG_PRODUCT] : "";
    o->v[C_SERVICE] = in[MG_SERVICE] ? in[MG_SERVICE] : "";
    o->v[C_CURRENCY] = in[MG_CURRENCY] ? in[MG_CURRENCY] : "";
    int cm = (int)num(in, MG_COST_MONTHS), pm = (int)num(in, MG_PRICE_MONTHS);
    o->v[C_BILLING] = margin_period_label(cm, pm, o->buf[C_BILLING], sizeof o->buf[C_BILLING]);
    qty_t seats = num(in, MG_SEATS), units = num(in, MG_UNITS), w = num(in, MG_SHARE_W);
    qty_cell(o, C_SEATS, seats);
    qty_cell(o, C_UNITS, units);
    money_cell(o, C_UNIT_COST, num(in, MG_UNIT_COST));
    if (num(in, MG_HAS_PRICE))
        money_cell(o, C_PRICE, num(in, MG_PRICE));
    else
        o->v[C_PRICE] = "none";
    struct margin_in mi = {seats, num(in, MG_UNIT_COST), cm, units, num(in, MG_PRICE), pm,
                           w == 0 ? 1 : seats, w == 0 ? 1 : w};
    struct margin_out mo;
    if (margin_compute(&mi, threshold, &mo) < 0) {
        for (int c = C_REVENUE; c <= C_PCT; c++)
            o->v[c] = "?";
        return;
    }
    money_cell(o, C_REVENUE, mo.revenue);
    money_cell(o, C_COST, mo.cost);
    money_cell(o, C_MARGIN, mo.margin);
    if (mo.has_pct && margin_pct_format(mo.pct_tenths, o->buf[C_PCT], sizeof o->buf[C_PCT]) == 0)
        o->v[C_PCT] = o->buf[C_PCT];
    else
        o->v[C_PCT] = "";
    o->flagged = mo.flagged;
    if (mo.margin < 0)
        o->v[C_FLAG] = "negative margin";
    else if (mo.flagged) {
        char t[16];
        margin_pct_format(threshold, t, sizeof t);
        snprintf(o->buf[C_FLAG], sizeof o->buf[C_FLAG], "below %s %%", t);
        o->v[C_FLAG] = o->buf[C_FLAG];
    } else
        o->v[C_FLAG] = "";
}

/* URLs ------------------------------------------------------------------------------------------ */

static void url(struct strbuf *sb, const struct req *r, const char *company, const char *sort, int desc,
                long long page, int csv, int flagged)
{
    char n[24];
    strbuf_reset(sb);
    strbuf_append(sb, PATH);
    if (r->f.source) {
        snprintf(n, sizeof n, "%lld", r->f.source);
        url_add_param(sb, "source", n);
    }
    if (r->f.psa) {
        snprintf(n, sizeof n, "%lld", r->f.psa);
        url_add_param(sb, "psa", n);
    }
    const char *co = company ? company : r->f.company;
    if (co && *co)
        url_add_param(sb, "company", co);
    if (r->f.product && *r->f.product)
        url_add_param(sb, "product", r->f.product);
    if (flagged)
        url_add_param(sb, "flagged", "1");
    url_add_param(sb, "sort", sort);
    url_add_param(sb, "dir", desc ? "desc" : "asc");
    if (page > 1) {
        snprintf(n, sizeof n, "%lld", page);
        url_add_param(sb, "page", n);
    }
    if (csv)
        url_add_param(sb, "format", "csv");
}

static void bar_href(struct strbuf *sb, const char *company, void *ctx)
{
    const struct req *r = ctx;
    url(sb, r, company, r->sort, r->desc, 1, 0, r->f.flagged);
}

/* CSV ------------------------------------------------------------------------------------------- */

struct csv_ctx {
    struct web *w;
    struct strbuf sb;
    csvw_t csv;
    int threshold, gone;
    long long rows;
};

static int csv_flush(struct csv_ctx *c)
{
    struct response *resp = &c->w->resp;
    if (!resp->sent && resp_stream_begin(resp, "text/csv; charset=utf-8", "margin.csv") < 0)
        c->gone = 1;
    if (!c->gone && c->sb.len && resp_stream_write(resp, c->sb.p, c->sb.len) < 0)
        c->gone = 1;
    strbuf_reset(&c->sb);
    return c->gone ? -1 : 0;
}

static int csv_row(void *vctx, int ncols, char **in, size_t *lens)
{
    struct csv_ctx *c = vctx;
    struct row o;
    (void)lens;
    if (ncols < MG_NCOLS)
        return 1;
    cells(in, c->threshold, &o);
    for (int i = 0; i < NCOLS; i++)
        csvw_field(&c->csv, o.v[i] ? o.v[i] : "");
    csvw_end_row(&c->csv);
    c->rows++;
    return c->sb.len > 32768 ? csv_flush(c) : 0;
}

/* The computed rows were stale, so a read was live, and it ran out of web.statement_ms (a
 * large tenant right after a change, doc/margin.md 7): the figures job (queued by the change or
 * by this view) may have computed the rows meanwhile: 1, read them instead. Else -1, answered
 * 503 with Retry-After: the figures are being computed, reload shortly (not 413 "narrow the
 * filter": in a few seconds every view is an indexed read). 0 when this is not that case. */
static int live_ran_out(struct web *w, struct req *r)
{
    if (r->f.set_no || !db_timed_out(w->db))
        return 0;
    db_clear_error(w->db);
    if (margin_set_fresh(w->db, w->sess->tenant_id, r->f.threshold, &r->f.set_no) > 0)
        return 1;
    r->f.set_no = 0;
    resp_header(&w->resp, "Retry-After", "10");
    web_error(w, 503, "The margin figures are being computed again after a change to your data. Reload this page "
                      "in a few seconds.");
    return -1;
}

/* As the other exports (web/reports.c): headers after the first 32 KB, an error page before
 * them, a cut-off transfer after them. */
static void export_csv(struct web *w, struct req *r)
{
    struct csv_ctx c = {.w = w, .threshold = r->f.threshold};
    strbuf_init(&c.sb);
    csvw_init(&c.csv, &c.sb);
    for (int i = 0; i < NCOLS; i++)
        csvw_field(&c.csv, cols[i].label);
    csvw_end_row(&c.csv);
    db_statement_limit(w->db, w->cfg->web_export_statement_ms);
    int rc = margin_stream(w->db, w->sess->tenant_id, &r->f, r->sort, r->desc, csv_row, &c), late = 0;
    if (rc < 0 && !w->resp.sent && !c.rows && (late = live_ran_out(w, r)) > 0)
        rc = margin_stream(w->db, w->sess->tenant_id, &r->f, r->sort, r->desc, csv_row, &c);
    if (rc == 0 && !c.gone)
        csv_flush(&c);
    db_statement_limit(w->db, w->cfg->web_statement_ms);
    if (c.gone) {
        log_warn("margin export: the client went away after %lld rows; statement cancelled", c.rows);
        resp_abort(&w->resp);
    } else if (rc < 0 && w->resp.sent) {
        log_error("margin export: aborted after %lld rows: %s", c.rows, db_error(w->db));
        resp_abort(&w->resp);
    } else if (rc < 0 && late < 0) {
        log_warn("margin export: the live statement ran out of time while the rows are computed");
    } else if (rc < 0) {
        log_error("margin export: failed before its first byte: %s", db_error(w->db));
        web_error(w, 503, "The export could not be read from the database. Nothing was downloaded; try again in "
                          "a minute.");
    }
    strbuf_free(&c.sb);
}

/* The page -------------------------------------------------------------------------------------- */

/* Totals per currency, joined "a; b": rows and seats overall, money per currency. */
static void totals(struct web *w, const struct margin_total_list *t, long long *rows_out, long long *flagged_out)
{
    struct strbuf s[5];
    long long rows = 0, seats = 0, flagged = 0;
    for (int k = 0; k < 5; k++)
        strbuf_init(&s[k]);
    for (int i = 0; i < t->n; i++) {
        const struct margin_total *x = &t->v[i];
        rows += x->rows;
        seats += x->seats;
        flagged += x->flagged;
        money_t rev = x->rev_c * 100, cost = x->cost_c * 100, m = rev - cost;
        char a[MONEY_FMT_MAX + 8];
        const char *sep = i ? "; " : "";
        const money_t vals[3] = {rev, cost, m};
        for (int k = 0; k < 3; k++) {
            char v[MONEY_FMT_MAX];
            report_money(vals[k], v, sizeof v);
            snprintf(a, sizeof a, "%s%s %s", sep, v, x->currency ? x->currency : "");
            strbuf_append(&s[k], a);
        }
        int64_t pct;
        char p[16] = "";
        if (margin_pct_tenths(m, rev, &pct) == 0)
            margin_pct_format(pct, p, sizeof p);
        snprintf(a, sizeof a, "%s%s", sep, *p ? p : "-");
        strbuf_append(&s[3], a);
        snprintf(a, sizeof a, "%s%s", sep, x->currency ? x->currency : "");
        strbuf_append(&s[4], a);
    }
    char buf[64];
    snprintf(buf, sizeof buf, "Total: %lld row%s", rows, rows == 1 ? "" : "s");
    for (int c = 0; c < NCOLS; c++)
        hsetf(w, "", "Totals.C.%d", c);
    hset(w, "Totals.C.0", buf);
    if (qty_format(seats, buf, sizeof buf) < 0)
        snprintf(buf, sizeof buf, "?");
    hsetf(w, buf, "Totals.C.%d", C_SEATS);
    hsetf(w, "seats", "Totals.C.%d.key", C_SEATS);
    static const int money_cols[4] = {C_REVENUE, C_COST, C_MARGIN, C_PCT};
    static const char *const keys[4] = {"revenue", "cost", "margin", "margin_pct"};
    for (int k = 0; k < 4; k++) {
        hsetf(w, t->n ? strbuf_cstr(&s[k]) : "0.00", "Totals.C.%d", money_cols[k]);
        hsetf(w, keys[k], "Totals.C.%d.key", money_cols[k]);
    }
    hsetf(w, strbuf_cstr(&s[4]), "Totals.C.%d", C_CURRENCY);
    snprintf(buf, sizeof buf, "%lld flagged", flagged);
    hsetf(w, buf, "Totals.C.%d", C_FLAG);
    hsetf(w, "flag", "Totals.C.%d.key", C_FLAG);
    for (int c = 0; c < NCOLS; c++)
        if (cols[c].num)
            hsetf(w, "num", "Totals.C.%d.cls", c);
    for (int k = 0; k < 5; k++)
        strbuf_free(&s[k]);
    *rows_out = rows;
    *flagged_out = flagged;
}

/* A read failed (k: live_ran_out's answer when it was asked): answers 503 unless done already. */
static void read_failed(struct web *w, int k)
{
    if (k < 0)
        return;
    log_error("margin report: %s", db_error(w->db));
    web_error(w, 503, "The report could not be read. Try again in a minute.");
}

static void page(struct web *w, struct req *r, const struct margin_conn_list *conns)
{
    struct margin_total_list t;
    int late = 0;
    if (margin_totals(w->db, w->sess->tenant_id, &r->f, &t) < 0 &&
        ((late = live_ran_out(w, r)) <= 0 || margin_totals(w->db, w->sess->tenant_id, &r->f, &t) < 0)) {
        read_failed(w, late);
        return;
    }
    long long total, flagged;
    totals(w, &t, &total, &flagged);
    DB_LIST_FREE(&t);
    int filtered = r->f.source || r->f.psa || (r->f.company && *r->f.company) || (r->f.product && *r->f.product) ||
                   r->f.flagged;
    long long pages = total ? (total + MARGIN_PAGE_ROWS - 1) / MARGIN_PAGE_ROWS : 1;
    if (r->page > pages)
        r->page = pages;
    struct dbrows rows;
    if (margin_rows(w->db, w->sess->tenant_id, &r->f, r->sort, r->desc, MARGIN_PAGE_ROWS,
                    (r->page - 1) * MARGIN_PAGE_ROWS, &rows) < 0 &&
        ((late = live_ran_out(w, r)) <= 0 ||
         margin_rows(w->db, w->sess->tenant_id, &r->f, r->sort, r->desc, MARGIN_PAGE_ROWS,
                     (r->page - 1) * MARGIN_PAGE_ROWS, &rows) < 0)) {
        read_failed(w, late);
        return;
    }
    struct strbuf u;
    strbuf_init(&u);
    for (int i = 0; i < NCOLS; i++) {
        int sorted = !strcmp(cols[i].key, r->sort);
        hsetf(w, cols[i].key, "Cols.%d.key", i);
        hsetf(w, cols[i].label, "Cols.%d.label", i);
        if (cols[i].num)
            hsetf(w, "1", "Cols.%d.num", i);
        hsetf(w, sorted ? (r->desc ? "descending" : "ascending") : "none", "Cols.%d.aria", i);
        if (sorted)
            hsetf(w, r->desc ? "desc" : "asc", "Cols.%d.sorted", i);
        url(&u, r, NULL, cols[i].key, sorted && !r->desc, 1, 0, r->f.flagged);
        hsetf(w, strbuf_cstr(&u), "Cols.%d.href", i);
    }
    struct row o;
    for (int i = 0; i < rows.nrows && rows.ncols >= MG_NCOLS; i++) {
        cells(&rows.cell[(size_t)i * (size_t)rows.ncols], r->f.threshold, &o);
        hsetf(w, o.id ? o.id : "", "Rows.%d.id", i);
        if (o.flagged)
            hsetf(w, "1", "Rows.%d.flagged", i);
        for (int c = 0; c < NCOLS; c++) {
            hsetf(w, o.v[c] ? o.v[c] : "", "Rows.%d.C.%d", i, c);
            if (cols[c].num)
                hsetf(w, "num", "Rows.%d.C.%d.cls", i, c);
        }
    }
    dbrows_free(&rows);
    for (int i = 0, ns = 0, np = 0; i < conns->n; i++) {
        int psa = conns->v[i].kind && !strcmp(conns->v[i].kind, "psa");
        int k = psa ? np++ : ns++;
        hsetf(w, conns->v[i].id_text, psa ? "Psas.%d.id" : "Sources.%d.id", k);
        hsetf(w, conns->v[i].name, psa ? "Psas.%d.name" : "Sources.%d.name", k);
    }
    if (r->f.source)
        hset_int(w, "Filter.source", r->f.source);
    if (r->f.psa)
        hset_int(w, "Filter.psa", r->f.psa);
    hset(w, "Filter.company", r->f.company);
    hset(w, "Filter.product", r->f.product);
    if (r->f.flagged)
        hset(w, "Filter.flagged", "1");
    hset(w, "Filter.sort", r->sort);
    if (!r->f.set_no)
        hset(w, "Live", "1");
    hset(w, "Filter.dir", r->desc ? "desc" : "asc");
    char thr[16];
    margin_pct_format(r->f.threshold, thr, sizeof thr);
    hset(w, "Threshold", thr);
    hset_int(w, "Total", total);
    hset_int(w, "Flagged", flagged);
    hset_int(w, "Totals.rows", total);
    if (!total && !filtered)
        hset(w, "Empty", "1");
    hset_int(w, "Page", r->page);
    hset_int(w, "Pages", pages);
    if (r->page > 1) {
        url(&u, r, NULL, r->sort, r->desc, r->page - 1, 0, r->f.flagged);
        hset(w, "Pager.prev", strbuf_cstr(&u));
        url(&u, r, NULL, r->sort, r->desc, 1, 0, r->f.flagged);
        hset(w, "Pager.first", strbuf_cstr(&u));
    }
    if (r->page < pages) {
        url(&u, r, NULL, r->sort, r->desc, r->page + 1, 0, r->f.flagged);
        hset(w, "Pager.next", strbuf_cstr(&u));
        url(&u, r, NULL, r->sort, r->desc, pages, 0, r->f.flagged);
        hset(w, "Pager.last", strbuf_cstr(&u));
    }
    url(&u, r, NULL, r->sort, r->desc, 1, 1, r->f.flagged);
    hset(w, "Export.href", strbuf_cstr(&u));
    url(&u, r, NULL, "margin", 0, 1, 0, 1);
    hset(w, "FlaggedHref", strbuf_cstr(&u));
    strbuf_free(&u);
    struct series_list top;
    if (total && margin_top_companies(w->db, w->sess->tenant_id, &r->f, MARGIN_CHART_BARS, &top) == 0) {
        for (int i = 0; i < top.n; i++)
            top.v[i].value *= 10;   /* cents to the chart's 1/1000 */
        chart_hbars(w, "Chart", &top, bar_href, r);
        DB_LIST_FREE(&top);
    }
    hset(w, "Chart.title", "Monthly margin by customer (top 10)");
    hset(w, "Report.path", PATH);
    hset(w, "Page.title", "Margin");
    web_render(w, "report_margin.cs");
}

void page_report_margin(struct web *w)
{
    const struct params *p = &w->params;
    struct req r;
    struct margin_conn_list conns;
    memset(&r, 0, sizeof r);
    if (margin_connections(w->db, w->sess->tenant_id, &conns) < 0 ||
        margin_threshold_get(w->db, w->sess->tenant_id, &r.f.threshold) < 0) {
        web_error(w, 503, "The report could not be read. Try again in a minute.");
        return;
    }
    /* The computed rows when they are current (doc/margin.md 7); else the figures are computed
     * live, as current as the data, and the figures job is queued to compute the rows again. */
    if (margin_set_fresh(w->db, w->sess->tenant_id, r.f.threshold, &r.f.set_no) == 0) {
        char key[64];
        snprintf(key, sizeof key, "figures:%lld", w->sess->tenant_id);
        if (jobs_enqueue(w->db, w->sess->tenant_id, "figures", NULL, key, 0, NULL) < 0)
            log_warn("figures of tenant %lld not queued: %s", w->sess->tenant_id, db_error(w->db));
    }
    r.f.source = param_int(p, "source");
    r.f.psa = param_int(p, "psa");
    int known_source = !r.f.source, known_psa = !r.f.psa;
    for (int i = 0; i < conns.n; i++) {
        int psa = conns.v[i].kind && !strcmp(conns.v[i].kind, "psa");
        known_source |= !psa && conns.v[i].id == r.f.source;
        known_psa |= psa && conns.v[i].id == r.f.psa;
    }
    if (!known_source || !known_psa) {
        web_error(w, 400, known_source ? "The PSA filter names no PSA connection of yours."
                                       : "The source filter names no distributor connection of yours.");
        DB_LIST_FREE(&conns);
        return;
    }
    r.f.company = param_str(p, "company");
    r.f.product = param_str(p, "product");
    r.f.flagged = !strcmp(param_str(p, "flagged"), "1");
    r.sort = param_str(p, "sort");
    if (!*r.sort)
        r.sort = "company";   /* as margin_warm() reads it */
    if (!margin_sort_known(r.sort)) {
        web_error(w, 400, "This report cannot be sorted by that column.");
        DB_LIST_FREE(&conns);
        return;
    }
    r.desc = !strcmp(param_str(p, "dir"), "desc");
    r.page = param_int(p, "page");
    if (r.page < 1)
        r.page = 1;
    r.csv = !strcmp(param_str(p, "format"), "csv");
    if (r.csv)
        export_csv(w, &r);
    else
        page(w, &r, &conns);
    DB_LIST_FREE(&conns);
}
