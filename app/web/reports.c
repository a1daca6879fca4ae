/* reports.c: the plumbing the report pages share (see reports.h). Filters and sort come
 * from the query string and are checked against fixed lists; every link on the page (sort
 * headings, pager, chart bars, export, the row actions' form) is the same report URL with
 * one thing changed, built here and escaped by the template. */
#include "web/reports.h"

#include "common/config.h"
#include "common/log.h"
#include "core/cdate.h"
#include "core/csvw.h"
#include "core/new_subs.h"
#include "core/price_policy.h"
#include "core/strbuf.h"
#include "db/new_subs.h"
#include "web/svg_chart.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const report_statuses[] = {"active", "suspended", "cancelled", "pending", NULL};
/* The billing filter's values (db/reports.h) and, in the same order, their labels. */
const char *const report_billings[] = {"seats", "monthly", "annual", "one_time", "usage", NULL};
static const char *const billing_labels[] = {
    "seats (all but usage)", "monthly", "annual", "one-time", "usage (" REPORT_USAGE_UNIT ")",
};

#define DEFAULT_SORT "company"

#define DEFAULT_DAYS 30

struct report_req {
    struct report_filter f;
    const char *sort;
    int desc;
    long long page;
    int csv;
    char from[CDATE_FMT_LEN], to[CDATE_FMT_LEN];   /* REPORT_F_DATES: the range in effect */
    char new_since[32];           /* REPORT_F_NEW: the window's start (db/new_subs.h) */
};

static unsigned filters_of(const struct report_def *def)
{
    return def->filters ? def->filters : REPORT_F_SUBSCRIPTIONS;
}

void report_money(money_t v, char *buf, size_t n)
{
    if (money_format(v, buf, n, v % 100 == 0 ? 2 : 4) < 0)
        snprintf(buf, n, "?");
}

int report_monthly_value(money_t unit_cost, qty_t qty, int period_months, money_t *out)
{
    /* the one rule (core/new_subs.h cost_monthly), for the two periods a unit cost comes in */
    if (period_months != 1 && period_months != 12)
        return -1;
    return cost_monthly(unit_cost, qty, period_months == 12, out);
}

void report_qty_unit(qty_t q, const char *cycle, char *buf, size_t n)
{
    char t[MONEY_FMT_MAX];
    if (qty_format(q, t, sizeof t) < 0)
        snprintf(buf, n, "?");
    else if (cycle && !strcmp(cycle, "usage"))
        snprintf(buf, n, "%s " REPORT_USAGE_UNIT, t);
    else
        snprintf(buf, n, "%s", t);
}

static void money_text(money_t v, int decimals, char *buf, size_t n)
{
    if (decimals <= 0)
        report_money(v, buf, n);
    else if (money_format(v, buf, n, decimals) < 0)
        snprintf(buf, n, "?");
}

static void qty_text(qty_t q, int sign, char *buf, size_t n)
{
    char t[MONEY_FMT_MAX];
    if (qty_format(q, t, sizeof t) < 0)
        snprintf(buf, n, "?");
    else
        snprintf(buf, n, "%s%s", sign && q > 0 ? "+" : "", t);
}

void report_cell_text(struct report_cells *out, int col, const char *in, const char *if_null)
{
    out->v[col] = in ? in : if_null ? if_null : "";
}

void report_cell_qty(struct report_cells *out, int col, const char *in, int sign)
{
    out->v[col] = "";
    if (in) {
        qty_text(strtoll(in, NULL, 10), sign, out->buf[col], sizeof out->buf[col]);
        out->v[col] = out->buf[col];
    }
}

void report_cell_money(struct report_cells *out, int col, const char *in, int decimals)
{
    out->v[col] = "";
    if (in) {
        money_text(strtoll(in, NULL, 10), decimals, out->buf[col], sizeof out->buf[col]);
        out->v[col] = out->buf[col];
    }
}

void report_cell_money_v(struct report_cells *out, int col, money_t v, int decimals)
{
    money_text(v, decimals, out->buf[col], sizeof out->buf[col]);
    out->v[col] = out->buf[col];
}

void report_cell_link(struct report_cells *out, int col, const char *prefix, const char *id)
{
    out->href[0] = 0;
    if (id && *id && strspn(id, "0123456789") == strlen(id) &&
        snprintf(out->href, sizeof out->href, "%s%s", prefix, id) >= (int)sizeof out->href)
        out->href[0] = 0;
    out->href_col = col;
}

/* The request's filters, sort, page and format: the route's parameters (routes.c), checked
 * before the page ran; what is left to check here needs the report or the tenant (a source
 * of the tenant's, a sort key of the report, from <= to). On a bad value renders the 400 page
 * and returns -1. */
static int read_req(struct web *w, const struct report_def *def, const struct report_source_list *sources,
                    struct report_req *r)
{
    const struct params *p = &w->params;
    unsigned fl = filters_of(def);
    memset(r, 0, sizeof *r);
    if (fl & REPORT_F_SOURCE) {
        r->f.source = param_int(p, "source");
        int known = !r->f.source;
        for (int i = 0; !known && sources && i < sources->n; i++)
            known = sources->v[i].id == r->f.source;
        if (!known) {
            web_error(w, 400, "The source filter names no distributor connection of yours.");
            return -1;
        }
    }
    const struct {
        unsigned flag;
        const char *key;
        const char **dst;
    } texts[] = {
        {REPORT_F_COMPANY, "company", &r->f.company},
        {REPORT_F_SUBSCRIPTION, "subscription", &r->f.subscription},
        {REPORT_F_RESOURCE, "resource", &r->f.resource},
        {REPORT_F_PRODUCT, "product", &r->f.product},
        {REPORT_F_Q, "q", &r->f.q},
        {REPORT_F_STATUS, "status", &r->f.status},
        {REPORT_F_BILLING, "billing", &r->f.billing},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        *texts[i].dst = (fl & texts[i].flag) ? param_str(p, texts[i].key) : "";
    r->f.from = r->f.to = "";
    if (fl & REPORT_F_DATES) {
        cdate_t f, t;
        if (!param_date(p, "to", &t))
            t = utc_today();
        int days = def->default_days > 0 ? def->default_days : DEFAULT_DAYS;
        if (!param_date(p, "from", &f) && cdate_add_days(t, -(days - 1), &f) < 0) {
            web_error(w, 400, "The start date must be a day written YYYY-MM-DD.");
            return -1;
        }
        if (cdate_cmp(f, t) > 0) {
            web_error(w, 400, "The start date is after the end date.");
            return -1;
        }
        cdate_format(f, r->from, sizeof r->from);
        cdate_format(t, r->to, sizeof r->to);
        r->f.from = r->from;
        r->f.to = r->to;
    }
    if ((fl & REPORT_F_NEW) && param_int(p, "new") == 1) {
        if (new_subs_window(w->db, w->sess->tenant_id, r->new_since) < 0) {
            web_error(w, 503, "The report could not be read. Try again in a minute.");
            return -1;
        }
        r->f.new_since = r->new_since;
    }
    r->sort = param_str(p, "sort");
    if (!*r->sort)
        r->sort = def->default_sort ? def->default_sort : DEFAULT_SORT;
    if (!report_sort_known(def->kind, r->sort)) {
        web_error(w, 400, "This report cannot be sorted by that column.");
        return -1;
    }
    const char *dir = param_str(p, "dir");
    r->desc = *dir ? !strcmp(dir, "desc") : def->default_desc;
    r->page = param_int(p, "page");
    r->csv = !strcmp(param_str(p, "format"), "csv");
    return 0;
}

void report_failures_url(const char *oldest, struct strbuf *url)
{
    strbuf_append(url, "/reports/failures");
    cdate_t t;
    char to[CDATE_FMT_LEN];
    if (!oldest || !*oldest || cdate_from_unix_utc((int64_t)time(NULL), 0, &t) < 0 ||
        cdate_format(t, to, sizeof to) < 0)
        return;
    /* The failure log shows the last 30 days unless asked: ask for all of them. */
    url_add_param(url, "from", strcmp(oldest, to) < 0 ? oldest : to);
    url_add_param(url, "to", to);
}

/* URL building ------------------------------------------------------------------------------ */

static void url_add(struct strbuf *sb, const char *key, const char *val)
{
    if (val && *val)
        url_add_param(sb, key, val);
}

/* The report's URL with the request's filters, company replaced when given, the date range
 * replaced by one day when day is given, and the given sort, page (1 is left out) and format. */
static void report_url_day(struct strbuf *sb, const struct report_def *def, const struct report_req *r,
                           const char *company, const char *day, const char *sort, int desc, long long page,
                           int csv)
{
    char num[24];
    strbuf_reset(sb);
    strbuf_append(sb, def->path);
    if (r->f.source) {
        snprintf(num, sizeof num, "%lld", r->f.source);
        url_add(sb, "source", num);
    }
    url_add(sb, "company", company ? company : r->f.company);
    url_add(sb, "subscription", r->f.subscription);
    url_add(sb, "resource", r->f.resource);
    url_add(sb, "product", r->f.product);
    url_add(sb, "status", r->f.status);
    url_add(sb, "billing", r->f.billing);
    url_add(sb, "q", r->f.q);
    if (r->f.new_since && *r->f.new_since)
        url_add(sb, "new", "1");
    url_add(sb, "from", day ? day : r->f.from);
    url_add(sb, "to", day ? day : r->f.to);
    url_add(sb, "sort", sort);
    url_add(sb, "dir", desc ? "desc" : "asc");
    if (page > 1) {
        snprintf(num, sizeof num, "%lld", page);
        url_add(sb, "page", num);
    }
    if (csv)
        url_add(sb, "format", "csv");
}

static void report_url(struct strbuf *sb, const struct report_def *def, const struct report_req *r,
                       const char *company, const char *sort, int desc, long long page, int csv)
{
    report_url_day(sb, def, r, company, NULL, sort, desc, page, csv);
}

/* CSV export ---------------------------------------------------------------------------------- */

struct csv_ctx {
    struct web *w;
    const struct report_def *def;
    struct strbuf sb;
    csvw_t csv;
    struct report_cells cells;
    long long rows;
    int gone;                     /* a write failed: the client (or nginx) is gone */
};

/* Sends what is buffered, the headers first if they have not gone yet. */
static int csv_flush(struct csv_ctx *c)
{
    struct response *resp = &c->w->resp;
    if (!resp->sent && resp_stream_begin(resp, "text/csv; charset=utf-8", c->def->csv_name) < 0)
        c->gone = 1;
    if (!c->gone && c->sb.len && resp_stream_write(resp, c->sb.p, c->sb.len) < 0)
        c->gone = 1;
    strbuf_reset(&c->sb);
    return c->gone ? -1 : 0;
}

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
    c->rows++;
    /* flush in chunks: memory stays flat for any row count; a failed write abandons the
     * statement (db_stream closes the connection, so the server stops it) */
    return c->sb.len > 32768 ? csv_flush(c) : 0;
}

/* The export never lies. The headers wait for the first 32 KB of rows, so a statement
 * that fails before (too large, database down) answers an error page with its status;
 * one that fails after them cuts the transfer off (resp_abort): no final chunk, so the
 * browser shows a failed download, never a complete file. */
static void export_csv(struct web *w, const struct report_def *def, const struct report_req *r)
{
    struct csv_ctx c = {.w = w, .def = def};
    strbuf_init(&c.sb);
    csvw_init(&c.csv, &c.sb);
    for (int i = 0; i < def->ncols; i++)
        csvw_field(&c.csv, def->cols[i].label);
    csvw_end_row(&c.csv);
    db_statement_limit(w->db, w->cfg->web_export_statement_ms);
    int rc = report_stream(w->db, w->sess->tenant_id, def->kind, &r->f, r->sort, r->desc, csv_row, &c);
    if (rc == 0 && !c.gone)
        csv_flush(&c);
    db_statement_limit(w->db, w->cfg->web_statement_ms);
    if (c.gone) {
        log_warn("report export %s: the client went away after %lld rows; statement cancelled",
                 def->path, c.rows);
        resp_abort(&w->resp);
    } else if (rc < 0 && w->resp.sent) {
        log_error("report export %s: aborted after %lld rows (%zu bytes sent): %s", def->path,
                  c.rows, w->resp.bytes, db_error(w->db));
        resp_abort(&w->resp);
    } else if (rc < 0) {
        log_error("report export %s: failed before its first byte: %s", def->path, db_error(w->db));
        web_error(w, 503, "The export could not be read from the database. Nothing was "
                          "downloaded; try again in a minute.");
    }
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
    if (ncols < RAM_MONTHS)
        return 1;
    money_t v;
    qty_t q = strtoll(in[RAM_QTY] ? in[RAM_QTY] : "0", NULL, 10);
    money_t cost = strtoll(in[RAM_UNIT] ? in[RAM_UNIT] : "0", NULL, 10);
    const char *cur = in[RAM_CURRENCY] ? in[RAM_CURRENCY] : "";
    int months = ncols > RAM_MONTHS && in[RAM_MONTHS] ? (int)strtol(in[RAM_MONTHS], NULL, 10) : 1;   /* the cost's period */
    long long count = ncols > RAM_COUNT && in[RAM_COUNT] ? strtoll(in[RAM_COUNT], NULL, 10) : 1;
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
    /* the group's rows, each valued (and rounded) alone, count times */
    if (report_monthly_value(cost, q, months, &v) < 0 || count < 0 || __builtin_mul_overflow(v, count, &v) ||
        money_add(t->sum[k], v, &t->sum[k]) < 0) {
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
        money_text(t.sum[i], def->money_decimals, amount, sizeof amount);
        int m = snprintf(out + k, n - k, "%s%s%s%s", i ? "; " : "", amount, *t.cur[i] ? " " : "", t.cur[i]);
        if (m < 0)
            break;
        k += (size_t)m;
    }
    if (t.n == 0)
        money_text(0, def->money_decimals, out, n);
    return 0;
}

/* The charts (web/svg_chart.h): a bar links to this report narrowed to its company or day. */

struct chart_ctx {
    const struct report_def *def;
    const struct report_req *r;
};

static void company_href(struct strbuf *url, const char *company, void *ctx)
{
    const struct chart_ctx *c = ctx;
    report_url(url, c->def, c->r, company, c->r->sort, c->r->desc, 1, 0);
}

static void day_href(struct strbuf *url, const char *day, void *ctx)
{
    const struct chart_ctx *c = ctx;
    report_url_day(url, c->def, c->r, NULL, day, c->r->sort, c->r->desc, 1, 0);
}

static void chart_companies(struct web *w, const struct report_def *def, const struct report_req *r)
{
    struct series_list top;
    if (report_top_companies(w->db, w->sess->tenant_id, def->kind, &r->f, REPORT_CHART_BARS, &top) < 0) {
        log_error("report chart %s: %s", def->path, db_error(w->db));
        return;
    }
    struct chart_ctx ctx = {def, r};
    chart_hbars(w, "Chart", &top, company_href, &ctx);
    DB_LIST_FREE(&top);
}

/* per: the days already read (report_days), or NULL to read them here. */
static void chart_per_day(struct web *w, const struct report_def *def, const struct report_req *r,
                          const struct series_list *per)
{
    cdate_t from, to;
    int64_t ndays = 0;
    if (cdate_parse(r->from, &from) < 0 || cdate_parse(r->to, &to) < 0 || cdate_span_days(from, to, &ndays) < 0)
        return;
    hset(w, "Chart.days", "1");
    if (ndays > REPORT_CHART_MAX_DAYS) {
        hset_int(w, "Chart.too_long", REPORT_CHART_MAX_DAYS);
        return;
    }
    struct series_list read;
    struct chart_ctx ctx = {def, r};
    if (per) {
        chart_days(w, "Chart", from, ndays, per, day_href, &ctx);
        return;
    }
    if (report_per_day(w->db, w->sess->tenant_id, def->kind, &r->f, &read) < 0) {
        log_error("report chart %s: %s", def->path, db_error(w->db));
        return;
    }
    chart_days(w, "Chart", from, ndays, &read, day_href, &ctx);
    DB_LIST_FREE(&read);
}

/* The count, totals and per-day chart of a report whose amounts add up in SQL, from one
 * statement (db/reports.h report_days): the rows of each day, summed here. */
struct day_totals {
    struct report_sums sums;
    struct series_list per;
    char value[MONEY_FMT_MAX + 32];
};

static int day_totals(struct web *w, const struct report_def *def, const struct report_req *r,
                      struct day_totals *out)
{
    struct report_day_list days;
    money_t amount = 0;
    int overflow = 0;
    memset(out, 0, sizeof *out);
    if (report_days(w->db, w->sess->tenant_id, def->kind, &r->f, &days) < 0)
        return -1;
    out->per.v = calloc((size_t)days.n + 1, sizeof *out->per.v);
    if (!out->per.v) {
        DB_LIST_FREE(&days);
        return -1;
    }
    for (int i = 0; i < days.n; i++) {
        out->sums.rows += days.v[i].rows;
        out->sums.qty += days.v[i].qty;
        overflow |= money_add(amount, days.v[i].amount, &amount) < 0;
        out->per.v[i].label = days.v[i].day;
        out->per.v[i].value = days.v[i].rows;
    }
    out->per.n = days.n;
    /* the labels point into the day list's result, kept with the series */
    out->per.rows = days.rows;
    memset(&days.rows, 0, sizeof days.rows);
    free(days.v);
    if (overflow)
        snprintf(out->value, sizeof out->value, "too large to total");
    else
        money_text(amount, def->money_decimals, out->value, sizeof out->value);
    return 0;
}

/* Row actions ----------------------------------------------------------------------------------- */

static int may_act(const struct web *w, const struct report_def *def)
{
    return def->nactions > 0 && w->sess && w->sess->role >= def->action_role;
}

/* Back to the report the form was on: its query string, when it holds only URL characters. */
static void redirect_back(struct web *w, const struct report_def *def)
{
    const char *qs = w->req.query_string ? w->req.query_string : "";
    int ok = strlen(qs) < 3000;
    for (const char *p = qs; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || strchr("%&=+-._~", *p);
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, def->path);
    if (ok && *qs) {
        strbuf_append(&sb, "?");
        strbuf_append(&sb, qs);
    }
    web_redirect(w, strbuf_cstr(&sb));
    strbuf_free(&sb);
}

static void act(struct web *w, const struct report_def *def)
{
    if (!def->nactions) {
        web_error(w, 405, "This page does not accept form posts.");
        return;
    }
    if (!may_act(w, def)) {
        web_error(w, 403, "Your role may read this report but not act on it. Ask a billing user or an "
                          "administrator of your company.");
        return;
    }
    const char *name = req_form(&w->req, "action");
    const struct report_action *a = NULL;
    for (int i = 0; name && i < def->nactions; i++)
        if (!strcmp(name, def->actions[i].name))
            a = &def->actions[i];
    if (!a) {
        web_error(w, 400, "Choose one of the actions of this report.");
        return;
    }
    char reason[REPORT_REASON_MAX + 1] = "";
    if (a->needs_reason) {
        const char *why = req_form(&w->req, "reason");
        while (why && isspace((unsigned char)*why))
            why++;
        size_t len = why ? strlen(why) : 0;
        while (len && isspace((unsigned char)why[len - 1]))
            len--;
        if (!len || len > REPORT_REASON_MAX) {
            web_error(w, 400, "Say why (at most 500 characters). Nothing was changed.");
            return;
        }
        memcpy(reason, why, len);
        reason[len] = 0;
    }
    long long ids[REPORT_MAX_PICKS];
    int n = 0;
    for (int k = 0; k < w->req.form.n; k++) {
        if (strcmp(w->req.form.items[k].key, "pick"))
            continue;
        char *end;
        long long id = strtoll(w->req.form.items[k].val, &end, 10);
        if (*end || id <= 0 || end == w->req.form.items[k].val)
            continue;
        int dup = 0;
        for (int i = 0; i < n && !dup; i++)
            dup = ids[i] == id;
        if (dup)
            continue;
        if (n == REPORT_MAX_PICKS) {
            web_error(w, 400, "Too many rows at once: choose at most 500. Nothing was changed.");
            return;
        }
        ids[n++] = id;
    }
    int done = 0;
    for (int i = 0; i < n; i++) {
        int rc = a->apply(w, ids[i], a->needs_reason ? reason : NULL);
        if (rc < 0)
            log_error("report action %s %s %lld: %s", def->path, a->name, ids[i], db_error(w->db));
        else
            done += rc > 0;
    }
    if (a->after)
        a->after(w, done, n);
    redirect_back(w, def);
}

/* The page ------------------------------------------------------------------------------------ */

/* The quantity total: seats, usage apart with its unit ("12", "977.75 GB", "12 seats; 977.75 GB"). */
static void qty_total(const struct report_def *def, const struct report_sums *s, char *buf, size_t n)
{
    char seats[MONEY_FMT_MAX + 8], usage[MONEY_FMT_MAX + 8];
    qty_text(s->qty, def->qty_signed, seats, sizeof seats);
    report_qty_unit(s->usage_qty, "usage", usage, sizeof usage);
    if (s->usage_rows == 0)
        snprintf(buf, n, "%s", seats);
    else if (s->usage_rows == s->rows)
        snprintf(buf, n, "%s", usage);
    else
        snprintf(buf, n, "%s seats; %s", seats, usage);
}

static void page(struct web *w, const struct report_def *def, struct report_req *r,
                 const struct report_source_list *sources)
{
    struct report_sums sums;
    struct day_totals days;
    long long total = 0;
    char value_total[600] = "";
    int by_day = report_has_day_totals(def->kind);
    memset(&days, 0, sizeof days);
    if (by_day ? day_totals(w, def, r, &days) < 0
               : report_count(w->db, w->sess->tenant_id, def->kind, &r->f, &sums) < 0 ||
                     (def->value_col >= 0 && value_totals(w, def, r, value_total, sizeof value_total) < 0)) {
        log_error("report %s: %s", def->path, db_error(w->db));
        web_error(w, 503, "The report could not be read. Try again in a minute.");
        return;
    }
    if (by_day) {
        sums = days.sums;
        snprintf(value_total, sizeof value_total, "%s", days.value);
    }
    total = sums.rows;
    long long pages = total ? (total + REPORT_PAGE_SIZE - 1) / REPORT_PAGE_SIZE : 1;
    if (r->page > pages)
        r->page = pages;
    struct dbrows rows;
    if (report_rows(w->db, w->sess->tenant_id, def->kind, &r->f, r->sort, r->desc, REPORT_PAGE_SIZE,
                    (r->page - 1) * REPORT_PAGE_SIZE, &rows) < 0) {
        log_error("report %s: %s", def->path, db_error(w->db));
        web_error(w, 503, "The report could not be read. Try again in a minute.");
        DB_LIST_FREE(&days.per);
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
    int acting = may_act(w, def);
    for (int i = 0; i < rows.nrows; i++) {
        memset(&cells, 0, sizeof cells);
        def->cells(&rows.cell[(size_t)i * (size_t)rows.ncols], &cells);
        if (cells.id)
            hsetf(w, cells.id, "Rows.%d.id", i);
        if (cells.kind)
            hsetf(w, cells.kind, "Rows.%d.kind", i);
        if (cells.href[0] && cells.href_col >= 0 && cells.href_col < def->ncols)
            hsetf(w, cells.href, "Rows.%d.C.%d.href", i, cells.href_col);
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
    char buf[2 * MONEY_FMT_MAX + 32];
    snprintf(buf, sizeof buf, "Total: %lld row%s", total, total == 1 ? "" : "s");
    hset(w, "Totals.C.0", buf);
    for (int c = 1; c < def->ncols; c++) {
        const char *v = "";
        if (c == def->qty_col) {
            qty_total(def, &sums, buf, sizeof buf);
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
    for (int i = 0; i < sources->n; i++) {
        hsetf(w, sources->v[i].id_text, "Sources.%d.id", i);
        hsetf(w, sources->v[i].name, "Sources.%d.name", i);
    }
    for (size_t i = 0; report_statuses[i]; i++)
        hsetf(w, report_statuses[i], "StatusOptions.%zu", i);
    for (size_t i = 0; report_billings[i]; i++) {
        hsetf(w, report_billings[i], "BillingOptions.%zu.value", i);
        hsetf(w, billing_labels[i], "BillingOptions.%zu.label", i);
    }
    static const struct {
        unsigned flag;
        const char *name;
    } shown[] = {
        {REPORT_F_SOURCE, "Filters.source"}, {REPORT_F_COMPANY, "Filters.company"},
        {REPORT_F_SUBSCRIPTION, "Filters.subscription"}, {REPORT_F_RESOURCE, "Filters.resource"},
        {REPORT_F_PRODUCT, "Filters.product"}, {REPORT_F_STATUS, "Filters.status"},
        {REPORT_F_Q, "Filters.q"}, {REPORT_F_DATES, "Filters.dates"}, {REPORT_F_BILLING, "Filters.billing"},
    };
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        if (filters_of(def) & shown[i].flag)
            hset(w, shown[i].name, "1");
    if (r->f.source)
        hset_int(w, "Filter.source", r->f.source);
    hset(w, "Filter.company", r->f.company);
    hset(w, "Filter.subscription", r->f.subscription);
    hset(w, "Filter.resource", r->f.resource);
    hset(w, "Filter.product", r->f.product);
    hset(w, "Filter.status", r->f.status);
    hset(w, "Filter.billing", r->f.billing);
    hset(w, "Filter.q", r->f.q);
    if (r->f.new_since && *r->f.new_since)
        hset(w, "Filter.new", "1");
    hset(w, "Filter.from", r->f.from);
    hset(w, "Filter.to", r->f.to);
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
    if (acting) {
        report_url(&url, def, r, NULL, r->sort, r->desc, r->page, 0);
        hset(w, "Report.self", strbuf_cstr(&url));
        hset(w, "Report.actions", "1");
        hset(w, "Report.row_noun", def->row_noun ? def->row_noun : "row");
        int reason = 0;
        for (int i = 0; i < def->nactions; i++) {
            hsetf(w, def->actions[i].name, "Actions.%d.name", i);
            hsetf(w, def->actions[i].label, "Actions.%d.label", i);
            if (def->actions[i].needs_reason)
                hsetf(w, "1", "Actions.%d.reason", i);
            if (def->actions[i].danger)
                hsetf(w, "1", "Actions.%d.danger", i);
            reason |= def->actions[i].needs_reason;
        }
        if (reason)
            hset(w, "Report.reason", "1");
    }
    if (def->chart == REPORT_CHART_DAYS)
        chart_per_day(w, def, r, by_day ? &days.per : NULL);
    else
        chart_companies(w, def, r);
    hset(w, "Chart.title", def->chart_title ? def->chart_title : "Licences per customer (top 10 by seats; usage left out)");
    strbuf_free(&url);
    hset(w, "Report.path", def->path);
    hset(w, "Report.title", def->title);
    hset(w, "Page.title", def->title);
    web_render(w, def->tmpl);
    DB_LIST_FREE(&days.per);
}

void report_serve(struct web *w, const struct report_def *def)
{
    struct report_source_list sources;
    struct report_req r;
    if (req_is_post(&w->req)) {
        act(w, def);
        return;
    }
    memset(&sources, 0, sizeof sources);
    if ((filters_of(def) & REPORT_F_SOURCE) && report_sources(w->db, w->sess->tenant_id, &sources) < 0) {
        web_error(w, 503, "The report could not be read. Try again in a minute.");
        return;
    }
    if (read_req(w, def, &sources, &r) == 0) {
        if (r.csv)
            export_csv(w, def, &r);
        else
            page(w, def, &r, &sources);
    }
    DB_LIST_FREE(&sources);
}

void report_adjustment_cells(char *const *in, struct report_cells *out)
{
    out->id = in[RAD_ID];
    report_cell_link(out, 0, "/reports/adjustments/", in[RAD_ID]);
    for (int i = 0; i < 7; i++)          /* created ... service */
        report_cell_text(out, i, in[RAD_CREATED + i], "");
    report_cell_qty(out, 7, in[RAD_CHANGE], 1);
    long long change = in[RAD_CHANGE] ? strtoll(in[RAD_CHANGE], NULL, 10) : 0;
    out->cls[7] = change > 0 ? "diff-up" : change < 0 ? "diff-down" : NULL;
    if (in[RAD_KIND] && !strcmp(in[RAD_KIND], "cost")) {
        /* a cost change: what changed instead of 0 units */
        char text[200];
        price_change_text(in[RAD_COST_BEFORE] ? strtoll(in[RAD_COST_BEFORE], NULL, 10) : 0,
                          in[RAD_NEW_COST] ? strtoll(in[RAD_NEW_COST], NULL, 10) : 0,
                          in[RAD_PRICE_BEFORE] ? strtoll(in[RAD_PRICE_BEFORE], NULL, 10) : 0, in[RAD_NEW_PRICE] != NULL,
                          in[RAD_NEW_PRICE] ? strtoll(in[RAD_NEW_PRICE], NULL, 10) : 0, text, sizeof text);
        snprintf(out->text, sizeof out->text, "Cost change: %s", text);
        out->v[7] = out->text;
        out->cls[7] = "cost-change";
    }
    report_cell_text(out, 8, in[RAD_EFFECTIVE], "");
    report_cell_money(out, 9, in[RAD_AMOUNT], 2);
    report_cell_text(out, 10, in[RAD_STATE], "");
    out->cls[10] = in[RAD_STATE] && !strcmp(in[RAD_STATE], "failed") ? "state-failed" : NULL;
    report_cell_text(out, 11, in[RAD_ATTEMPTS], "0");
}
