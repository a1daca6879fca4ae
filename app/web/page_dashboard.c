/* page_dashboard.c: GET /: the home page (doc/seeds.md 001 "The Home Page"): tiles and charts, each
 * a link to the report behind it, and the health of every connection with the last sync.
 * A tenant with no connection yet sees a getting-started checklist instead (connect a
 * source, connect a PSA, map, sync), which stays on top, its steps ticked, until all are done.
 *
 * Figures (db/dashboard.h says which rows each one counts):
 *   Linked / Unlinked resources     rows of /reports/linked, /reports/unlinked
 *   Unbilled seats                  Σ seats of unlinked active seat resources, usage left out
 *                                   (/reports/unlinked?status=active&billing=seats)
 *   Unbilled usage                  Σ quantity of unlinked active usage resources, in GB
 *                                   (/reports/unlinked?status=active&billing=usage)
 *   Billing leakage                 the monthly value at cost of every unlinked active
 *                                   resource, per currency: per resource report_monthly_value
 *                                   (web/reports.h): unit_cost × quantity rounded half-even to
 *                                   1/10000, and for an annual one (unit cost per year) a
 *                                   twelfth of it, half-even to the cent; the rounded values
 *                                   summed exactly (int64, overflow shown as "too large"); the
 *                                   unlinked report's "Monthly value at cost" column, summed.
 *                                   The annual part is also shown apart, a month and a year.
 *   Failures (adjustments, charges) /reports/failures, over a date range reaching the oldest
 *   Awaiting approval               /approvals
 *   PSA drift                       services whose PSA units differ from billsync's last verified
 *                                   post (/reports/linked sorted by the difference)
 *   Low margin                      margin report rows flagged under the tenant's threshold
 *                                   (db/margin.h MARGIN_FLAGGED_HREF, whose row count it is)
 * Charts (server-rendered SVG, templates/chart_bars.cs): licences per customer and seats per
 * product (top 10 by seats over the subscription report's rows, usage left out; a bar links to
 * the report filtered by that company or product and billing=seats, whose total is the bar),
 * adjustments per day over the last 30 days (UTC, the
 * adjustment log's rows; a bar links to the log of that day). */
#include "web/pages.h"

#include "common/log.h"
#include "core/cdate.h"
#include "core/margin.h"
#include "core/money.h"
#include "core/strbuf.h"
#include "db/dashboard.h"
#include "db/ledger.h"
#include "db/margin.h"
#include "web/dash_new_subs.h"
#include "web/reports.h"
#include "web/svg_chart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAYS 30

/* Tiles ---------------------------------------------------------------------------------------- */

/* Tiles.N: w->hdf holds them; *n counts them. */
static void tile(struct web *w, int *n, const char *key, const char *label, const char *value, const char *href,
                 const char *note, const char *level)
{
    int i = (*n)++;
    hsetf(w, key, "Tiles.%d.key", i);
    hsetf(w, label, "Tiles.%d.label", i);
    hsetf(w, value, "Tiles.%d.value", i);
    hsetf(w, href, "Tiles.%d.href", i);
    hsetf(w, note, "Tiles.%d.note", i);
    hsetf(w, level, "Tiles.%d.level", i);
}

static void tile_count(struct web *w, int *nt, const char *key, const char *label, long long n, const char *href,
                       const char *note, int alert)
{
    char v[24];
    snprintf(v, sizeof v, "%lld", n);
    tile(w, nt, key, label, v, href, note, n > 0 && alert ? "bad" : "ok");
}

#define MAX_CUR 8

/* The leakage, per currency: exact sums of per-row rounded values; the annual rows' part of
 * it (a month) and their yearly cost, apart. */
struct leak {
    int n, overflow, more;
    long long annual_rows;
    char cur[MAX_CUR][4];
    money_t sum[MAX_CUR], annual_month[MAX_CUR], annual_year[MAX_CUR];
};

static int leak_row(void *ctx, int ncols, char **cells, size_t *lens)
{
    struct leak *l = ctx;
    (void)lens;
    if (ncols < DU_NCOLS)
        return 1;
    qty_t q = cells[DU_QTY] ? strtoll(cells[DU_QTY], NULL, 10) : 0;
    money_t cost = cells[DU_COST] ? strtoll(cells[DU_COST], NULL, 10) : 0, v, year = 0;
    const char *cur = cells[DU_CURRENCY] ? cells[DU_CURRENCY] : "";
    int months = cells[DU_MONTHS] ? (int)strtol(cells[DU_MONTHS], NULL, 10) : 1;
    long long count = cells[DU_COUNT] ? strtoll(cells[DU_COUNT], NULL, 10) : 0;
    /* the group's rows, each valued (and rounded) alone, count times */
    if (report_monthly_value(cost, q, months, &v) < 0 || (months == 12 && money_mul_qty(cost, q, &year) < 0) ||
        count < 0 || __builtin_mul_overflow(v, count, &v) || __builtin_mul_overflow(year, count, &year)) {
        l->overflow = 1;
        return 0;
    }
    int i = 0;
    while (i < l->n && strcmp(l->cur[i], cur))
        i++;
    if (i == l->n) {
        if (l->n == MAX_CUR) {
            l->more = 1;
            return 0;
        }
        snprintf(l->cur[i], sizeof l->cur[i], "%s", cur);
        l->sum[i] = l->annual_month[i] = l->annual_year[i] = 0;
        l->n++;
    }
    if (money_add(l->sum[i], v, &l->sum[i]) < 0)
        l->overflow = 1;
    if (months == 12) {
        l->annual_rows += count;
        if (money_add(l->annual_month[i], v, &l->annual_month[i]) < 0 ||
            money_add(l->annual_year[i], year, &l->annual_year[i]) < 0)
            l->overflow = 1;
    }
    return 0;
}

static void swap_cur(struct leak *l, int a, int b)
{
    char c[4];
    money_t s = l->sum[a], m = l->annual_month[a], y = l->annual_year[a];
    memcpy(c, l->cur[a], sizeof c);
    memcpy(l->cur[a], l->cur[b], sizeof c);
    memcpy(l->cur[b], c, sizeof c);
    l->sum[a] = l->sum[b];
    l->annual_month[a] = l->annual_month[b];
    l->annual_year[a] = l->annual_year[b];
    l->sum[b] = s;
    l->annual_month[b] = m;
    l->annual_year[b] = y;
}

/* An amount for a tile under prefix: <prefix>text as the reports show money, <prefix>value
 * exact (data-value). */
static void tile_amount(struct web *w, money_t v, const char *prefix)
{
    char shown[MONEY_FMT_MAX], exact[MONEY_FMT_MAX];
    report_money(v, shown, sizeof shown);
    if (money_format(v, exact, sizeof exact, MONEY_DECIMALS) < 0)
        snprintf(exact, sizeof exact, "?");
    hsetf(w, shown, "%stext", prefix);
    hsetf(w, exact, "%svalue", prefix);
}

static int leakage_tile(struct web *w, int *nt, long long rows)
{
    struct leak l;
    memset(&l, 0, sizeof l);
    if (dash_unbilled_rows(w->db, w->sess->tenant_id, leak_row, &l) < 0)
        return -1;
    /* currencies in a stable order */
    for (int i = 1; i < l.n; i++)
        for (int j = i; j > 0 && strcmp(l.cur[j - 1], l.cur[j]) > 0; j--)
            swap_cur(&l, j - 1, j);
    int t = *nt;
    char note[120];
    snprintf(note, sizeof note, "a month, at cost, of %lld unlinked active resource%s", rows, rows == 1 ? "" : "s");
    tile(w, nt, "leakage", "Billing leakage", "", "/reports/unlinked?status=active&sort=value&dir=desc", note,
         l.n && !l.overflow ? "bad" : "ok");
    if (l.overflow || l.more) {
        hsetf(w, l.overflow ? "too large to show" : "too many currencies", "Tiles.%d.value", t);
        hsetf(w, "bad", "Tiles.%d.level", t);
        return 0;
    }
    if (l.n == 0) {
        hsetf(w, "0.00", "Tiles.%d.value", t);
        return 0;
    }
    char prefix[64];
    int k = 0;
    for (int i = 0; i < l.n; i++) {
        snprintf(prefix, sizeof prefix, "Tiles.%d.Amounts.%d.", t, i);
        tile_amount(w, l.sum[i], prefix);
        hsetf(w, l.cur[i], "Tiles.%d.Amounts.%d.currency", t, i);
        if (!l.annual_month[i] && !l.annual_year[i])
            continue;
        /* the annual part apart: what it adds a month, and its cost a year */
        snprintf(prefix, sizeof prefix, "Tiles.%d.Annual.%d.month_", t, k);
        tile_amount(w, l.annual_month[i], prefix);
        snprintf(prefix, sizeof prefix, "Tiles.%d.Annual.%d.year_", t, k);
        tile_amount(w, l.annual_year[i], prefix);
        hsetf(w, l.cur[i], "Tiles.%d.Annual.%d.currency", t, k);
        k++;
    }
    if (l.annual_rows) {
        char label[64];
        snprintf(label, sizeof label, "%lld annual", l.annual_rows);
        hsetf(w, label, "Tiles.%d.annual_label", t);
    }
    return 0;
}

/* Charts --------------------------------------------------------------------------------------- */

/* A bar of "licences per customer" or "seats per product" links to the subscription report
 * filtered by it and to seats (its count total is the bar); a day of the adjustments chart to
 * the adjustment log of that day. */
static void company_href(struct strbuf *url, const char *company, void *ctx)
{
    (void)ctx;
    strbuf_append(url, "/reports/subscriptions");
    url_add_param(url, "company", company);
    url_add_param(url, "billing", "seats");
}

static void product_href(struct strbuf *url, const char *product, void *ctx)
{
    (void)ctx;
    strbuf_append(url, "/reports/subscriptions");
    url_add_param(url, "product", product);
    url_add_param(url, "billing", "seats");
}

static void day_href(struct strbuf *url, const char *day, void *ctx)
{
    (void)ctx;
    strbuf_append(url, "/reports/adjustments");
    url_add_param(url, "from", day);
    url_add_param(url, "to", day);
}

/* Adjustments per day over the last DAYS days (UTC), under Days. */
static int day_bars(struct web *w)
{
    cdate_t to, from;
    char sfrom[CDATE_FMT_LEN], sto[CDATE_FMT_LEN];
    to = utc_today();
    if (cdate_add_days(to, -(DAYS - 1), &from) < 0 || cdate_format(from, sfrom, sizeof sfrom) < 0 ||
        cdate_format(to, sto, sizeof sto) < 0)
        return -1;
    hset(w, "Days.from", sfrom);
    hset(w, "Days.to", sto);
    struct series_list per;
    if (dash_adjustments_per_day(w->db, w->sess->tenant_id, sfrom, sto, &per) < 0)
        return -1;
    long long total = 0;
    for (int i = 0; i < per.n; i++)
        total += per.v[i].value;
    chart_days(w, "Days", from, DAYS, &per, day_href, NULL);
    hset_int(w, "Days.total", total);
    DB_LIST_FREE(&per);
    return 0;
}

static int charts(struct web *w)
{
    struct series_list top;
    if (dash_top_companies(w->db, w->sess->tenant_id, DASH_TOP_BARS, &top) < 0)
        return -1;
    chart_hbars(w, "Customers", &top, company_href, NULL);
    DB_LIST_FREE(&top);
    if (dash_top_products(w->db, w->sess->tenant_id, DASH_TOP_BARS, &top) < 0)
        return -1;
    chart_hbars(w, "Products", &top, product_href, NULL);
    DB_LIST_FREE(&top);
    return day_bars(w);
}

/* Connections and sync ------------------------------------------------------------------------ */

/* One word for a connection's health: the test of its credentials and its last refresh. */
static void health(const char *status, const char *refresh, const char **key, const char **label)
{
    if (!strcmp(status, "failed") || !strcmp(refresh, "failed")) {
        *key = "bad";
        *label = !strcmp(status, "failed") ? "connection failing" : "last refresh failed";
    } else if (!strcmp(refresh, "running")) {
        *key = "warn";
        *label = "refreshing now";
    } else if (!strcmp(refresh, "ok")) {
        *key = "ok";
        *label = "healthy";
    } else if (!strcmp(status, "ok")) {
        *key = "warn";
        *label = "not refreshed yet";
    } else {
        *key = "warn";
        *label = "not tested yet";
    }
}

static int connections(struct web *w)
{
    struct dbrows r;
    if (dash_connections(w->db, w->sess->tenant_id, &r) < 0)
        return -1;
    static const char *const cols[DC_NCOLS] = {
        [DC_ID] = "id", [DC_KIND] = "kind", [DC_SYSTEM] = "system", [DC_NAME] = "name", [DC_STATUS] = "status",
        [DC_STATUS_MESSAGE] = "status_message", [DC_TESTED_AT] = "tested_at", [DC_REFRESH_STATUS] = "refresh_status",
        [DC_REFRESH_MESSAGE] = "refresh_message", [DC_REFRESHED_AT] = "refreshed_at"};
    for (int i = 0; i < r.nrows; i++) {
        for (int c = 0; c < DC_NCOLS; c++)
            hsetf(w, dbrows_get(&r, i, c), "Conns.%d.%s", i, cols[c]);
        const char *key, *label, *st = dbrows_get(&r, i, DC_STATUS), *rs = dbrows_get(&r, i, DC_REFRESH_STATUS);
        health(st ? st : "", rs ? rs : "", &key, &label);
        hsetf(w, key, "Conns.%d.health", i);
        hsetf(w, label, "Conns.%d.health_label", i);
        const char *kind = dbrows_get(&r, i, DC_KIND);
        hsetf(w, !strcmp(kind ? kind : "", "psa") ? "PSA" : "Source", "Conns.%d.kind_label", i);
    }
    dbrows_free(&r);
    struct sync_list sync;
    if (sync_state(w->db, w->sess->tenant_id, &sync) < 0)
        return -1;
    if (sync.n) {
        hset(w, "Sync.started", sync.v[0].started);
        hset(w, "Sync.finished", sync.v[0].finished);
        hset(w, "Sync.result", sync.v[0].result);
    }
    DB_LIST_FREE(&sync);
    return 0;
}

/* The page ------------------------------------------------------------------------------------ */

static void setup_step(struct web *w, int i, const char *key, const char *label, const char *href, int done,
                       const char *hint)
{
    hsetf(w, key, "Setup.Steps.%d.key", i);
    hsetf(w, label, "Setup.Steps.%d.label", i);
    hsetf(w, href, "Setup.Steps.%d.href", i);
    hsetf(w, done ? "1" : "0", "Setup.Steps.%d.done", i);
    hsetf(w, hint, "Setup.Steps.%d.hint", i);
}

void page_dashboard(struct web *w)
{
    struct dash_counts c;
    hset(w, "Page.title", "Dashboard");
    int nt = 0;
    if (dash_counts(w->db, w->sess->tenant_id, utc_today(), &c) < 0) {
        log_error("dashboard: %s", db_error(w->db));
        web_error(w, 503, "The dashboard could not be read. Try again in a minute.");
        return;
    }
    int empty = c.sources + c.psas == 0;
    int steps_done = (c.sources > 0) + (c.psas > 0) + (c.active_links > 0) + c.sync_finished;
    setup_step(w, 0, "source", "Connect a distributor", "/settings/connections", c.sources > 0,
               "interworks.cloud, Ingram Micro, Partner Center, Pax8, MSP360 or a CSV file");
    setup_step(w, 1, "psa", "Connect your PSA", "/settings/connections", c.psas > 0, "Autotask or ConnectWise Manage");
    setup_step(w, 2, "map", "Map customers, subscriptions and resources", "/mapping", c.active_links > 0,
               "link each distributor object to its PSA account, contract and service");
    setup_step(w, 3, "sync", "Run the first sync", "/mapping", c.sync_finished,
               "Sync now on the Billing page, or wait for the scheduler");
    hset_int(w, "Setup.done", steps_done);
    if (steps_done < 4)
        hset(w, "Setup.show", "1");
    if (empty) {
        hset(w, "Dash.empty", "1");
        web_render(w, "dashboard.cs");
        return;
    }

    long long all = c.linked + c.unlinked;
    char note[120], qty[MONEY_FMT_MAX];
    snprintf(note, sizeof note, "%lld%% of %lld resource%s", all ? c.linked * 100 / all : 0, all, all == 1 ? "" : "s");
    tile_count(w, &nt, "linked", "Linked resources", c.linked, "/reports/linked", note, 0);
    snprintf(note, sizeof note, "no PSA service yet: not billed");
    tile_count(w, &nt, "unlinked", "Unlinked resources", c.unlinked, "/reports/unlinked", note, 1);
    if (qty_format(c.unbilled_qty, qty, sizeof qty) < 0)
        snprintf(qty, sizeof qty, "?");
    snprintf(note, sizeof note, "on %lld unlinked active seat resource%s (usage apart)", c.unbilled_seat_rows,
             c.unbilled_seat_rows == 1 ? "" : "s");
    tile(w, &nt, "seats", "Unbilled seats", qty, "/reports/unlinked?status=active&billing=seats", note,
         c.unbilled_qty ? "bad" : "ok");
    if (qty_format(c.unbilled_usage_qty, qty, sizeof qty) < 0)
        snprintf(qty, sizeof qty, "?");
    snprintf(note, sizeof note, "backup storage on %lld unlinked active usage resource%s", c.unbilled_usage_rows,
             c.unbilled_usage_rows == 1 ? "" : "s");
    tile(w, &nt, "usage", "Unbilled usage", qty, "/reports/unlinked?status=active&billing=usage", note,
         c.unbilled_usage_qty ? "bad" : "ok");
    hsetf(w, REPORT_USAGE_UNIT, "Tiles.%d.unit", nt - 1);
    if (leakage_tile(w, &nt, c.unlinked_active) < 0) {
        log_error("dashboard: %s", db_error(w->db));
        web_error(w, 503, "The dashboard could not be read. Try again in a minute.");
        return;
    }
    struct strbuf url;
    strbuf_init(&url);
    report_failures_url(c.failed ? c.oldest_failed : NULL, &url);
    tile_count(w, &nt, "failed", "Failures", c.failed, strbuf_cstr(&url), "changes and charges the PSA refused", 1);
    strbuf_free(&url);
    tile_count(w, &nt, "approvals", "Awaiting approval", c.awaiting, "/approvals", "changes waiting for a person", 1);
    tile_count(w, &nt, "drift", "PSA drift", c.drift, "/reports/linked?sort=diff&dir=desc",
               "links edited in the PSA since billsync posted", 1);
    /* margin: the rows /reports/margin flags (negative, or under the tenant's threshold) */
    long long flagged;
    int threshold;
    if (margin_flagged_count(w->db, w->sess->tenant_id, &flagged) < 0 ||
        margin_threshold_get(w->db, w->sess->tenant_id, &threshold) < 0) {
        log_error("dashboard: %s", db_error(w->db));
        web_error(w, 503, "The dashboard could not be read. Try again in a minute.");
        return;
    }
    char thr[16];
    margin_pct_format(threshold, thr, sizeof thr);
    snprintf(note, sizeof note, "products losing money or under %s %% margin", thr);
    tile_count(w, &nt, "margin", "Low margin", flagged, MARGIN_FLAGGED_HREF, note, 1);

    if (dash_new_subs(w) < 0 || charts(w) < 0 || connections(w) < 0) {
        log_error("dashboard: %s", db_error(w->db));
        web_error(w, 503, "The dashboard could not be read. Try again in a minute.");
        return;
    }
    web_render(w, "dashboard.cs");
}
