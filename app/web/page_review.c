/* page_review.c: /review and /review/YYYY-MM (billing): the monthly billing review of doc/seeds.md 000.
 * Pick a month; retrieve that month's billing lines from the API distributors (a worker job);
 * the grid shows every line linked through the mapping and validated against the PSA contract
 * services (review_grid.c), with the actions of review_actions.c. The review and its
 * decisions are saved per month, reopened, and exported (format=csv). */
#include "web/pages.h"

#include "common/log.h"
#include "core/csvw.h"
#include "core/strbuf.h"
#include "db/mapping_view.h"
#include "db/review.h"
#include "web/review_grid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_LINES 200

/* "YYYY-MM" with a real month of the years 2000..2999; 0 ok. */
static int month_parse(const char *s, struct review_month *m)
{
    cdate_t first;
    if (cdate_parse_ym(s, &first) < 0 || first.y < 2000 || first.y > 2999)
        return -1;
    snprintf(m->ym, sizeof m->ym, "%04d-%02d", first.y, first.m);
    snprintf(m->first, sizeof m->first, "%s-01", m->ym);
    snprintf(m->self, sizeof m->self, "/review/%s", m->ym);
    return 0;
}

/* ---- the month picker ------------------------------------------------------------------ */

static void picker(struct web *w)
{
    cdate_t today = web_today(w), first;
    cdate_first_of_month(today, &first);
    if (req_is_post(&w->req)) {
        struct review_month m;
        if (month_parse(req_form(&w->req, "month"), &m) < 0) {
            web_error(w, 400, "Choose a month from the list.");
            return;
        }
        web_redirect(w, m.self);
        return;
    }
    for (int k = 0; k <= 12; k++) {
        cdate_t d;
        cdate_add_months(first, -k, &d);
        char v[8];
        snprintf(v, sizeof v, "%04d-%02d", d.y, d.m);
        hsetf(w, v, "Months.%d.value", k);
    }
    hset(w, "Page.title", "Monthly billing review");
    web_render(w, "review.cs");
}

/* ---- the grid and the export ------------------------------------------------------------ */

static void export_csv(struct web *w, long long psa_conn, const struct review_month *m, long long review_id)
{
    struct strbuf sb;
    strbuf_init(&sb);
    csvw_t csv;
    csvw_init(&csv, &sb);
    for (int c = 0; c < RC_NCELLS; c++)
        csvw_field(&csv, review_cells[c].label);
    csvw_field(&csv, "Detail");
    csvw_end_row(&csv);
    char name[40];
    snprintf(name, sizeof name, "billing-review-%s.csv", m->ym);
    resp_stream_begin(&w->resp, "text/csv; charset=utf-8", name);
    long long *ids = NULL;
    size_t nids = 0;
    if (review_line_ids(w->db, w->sess->tenant_id, m->first, &ids, &nids) < 0) {
        log_error("review export: aborted before its lines: %s", db_error(w->db));
        resp_abort(&w->resp);
        strbuf_free(&sb);
        return;
    }
    for (size_t off = 0; off < nids; off += REVIEW_BATCH) {
        struct dbrows r;
        int n = nids - off < REVIEW_BATCH ? (int)(nids - off) : REVIEW_BATCH;
        if (review_lines_of(w->db, w->sess->tenant_id, m->first, review_id, ids + off, n, &r) < 0) {
            log_error("review export: aborted after %zu lines: %s", off, db_error(w->db));
            resp_abort(&w->resp);     /* a broken transfer, never a complete-looking file */
            break;
        }
        for (int i = 0; i < r.nrows; i++) {
            struct review_line L;
            review_classify(w, psa_conn, &r, i, 1, &L);
            for (int c = 0; c < RC_NCELLS; c++)
                csvw_field(&csv, L.cell[c]);
            csvw_field(&csv, L.detail);
            csvw_end_row(&csv);
        }
        dbrows_free(&r);
        if (resp_stream_write(&w->resp, sb.p ? sb.p : "", sb.len) < 0)
            break;                    /* the client left; main.c drops the request */
        strbuf_reset(&sb);
    }
    if (!nids)
        resp_stream_write(&w->resp, sb.p ? sb.p : "", sb.len);
    free(ids);
    strbuf_free(&sb);
}

/* A GET writes nothing: a month nobody has acted on has no review yet (review_id 0: no
 * decisions), and each line's status is computed as it is shown. The review is opened, and a
 * line's status saved, by the actions (review_actions.c). */
static void view(struct web *w, long long psa_conn, const struct review_month *m)
{
    long long tenant = w->sess->tenant_id, review_id = 0;
    if (review_find(w->db, tenant, m->first, &review_id) < 0) {
        web_error(w, 503, "The review could not be read. Try again in a minute.");
        return;
    }
    /* format and page: the route's parameters (routes.c), checked before the page ran */
    if (!strcmp(param_str(&w->params, "format"), "csv")) {
        export_csv(w, psa_conn, m, review_id);
        return;
    }
    long long page = param_int(&w->params, "page");
    struct dbrows info, r;
    if (!review_id) {
        hset(w, "Review.status", "draft");
        hset(w, "Review.pull_state", "none");
    } else if (review_info(w->db, tenant, review_id, &info) != 1) {
        web_error(w, 503, "The review could not be read. Try again in a minute.");
        return;
    } else {
        hset(w, "Review.id", dbrows_get(&info, 0, RI_ID));
        hset(w, "Review.status", dbrows_get(&info, 0, RI_STATUS));
        hset(w, "Review.pull_state", dbrows_get(&info, 0, RI_PULL_STATE));
        hset(w, "Review.pull_message", dbrows_get(&info, 0, RI_PULL_MESSAGE));
        hset(w, "Review.pull_at", dbrows_get(&info, 0, RI_PULL_AT));
        hset(w, "Review.created_by", dbrows_get(&info, 0, RI_CREATED_BY));
        hset(w, "Review.created_at", dbrows_get(&info, 0, RI_CREATED_AT));
        hset(w, "Review.approved_by", dbrows_get(&info, 0, RI_APPROVED_BY));
        hset(w, "Review.approved_at", dbrows_get(&info, 0, RI_APPROVED_AT));
        hset(w, "Review.applied_by", dbrows_get(&info, 0, RI_APPLIED_BY));
        hset(w, "Review.applied_at", dbrows_get(&info, 0, RI_APPLIED_AT));
        dbrows_free(&info);
    }
    struct review_line_count_list counts;
    if (review_line_counts(w->db, tenant, m->first, &counts) == 0) {
        for (int i = 0; i < counts.n; i++) {
            hsetf(w, counts.v[i].connection, "Sources.%d.name", i);
            hsetf(w, counts.v[i].lines, "Sources.%d.lines", i);
        }
        DB_LIST_FREE(&counts);
    }
    long long total = 0;
    review_count(w->db, tenant, m->first, &total);
    if (review_lines(w->db, tenant, m->first, review_id, PAGE_LINES, (page - 1) * PAGE_LINES, &r) < 0) {
        log_error("review: %s", db_error(w->db));
        web_error(w, 503, "The billing lines could not be read. Try again in a minute.");
        return;
    }
    int tally[5] = {0};
    for (int i = 0; i < r.nrows; i++) {
        struct review_line L;
        review_classify(w, psa_conn, &r, i, 1, &L);
        tally[L.status]++;
        hsetf(w, L.key, "Lines.%d.key", i);
        for (int c = 0; c < RC_NCELLS; c++)
            hsetf(w, L.cell[c], "Lines.%d.%s", i, review_cells[c].name);
        hsetf(w, review_status_name(L.status), "Lines.%d.status_class", i);
        hsetf(w, L.detail, "Lines.%d.detail", i);
        const char *st = dbrows_get(&r, i, RL_ADJ_STATE);
        int settled = st && (!strcmp(st, "queued") || !strcmp(st, "posted") || !strcmp(st, "verified"));
        if (L.can_update && !settled && strcmp(dbrows_get(&r, i, RL_DECISION), "ignore"))
            hsetf(w, "1", "Lines.%d.can_update", i);
        if (L.link_level >= 0)
            hsetf(w, "1", "Lines.%d.can_link", i);
        if (L.create_level >= 0)
            hsetf(w, "1", "Lines.%d.can_create", i);
        hsetf(w, dbrows_get(&r, i, RL_CONN_NAME), "Lines.%d.source", i);
    }
    for (int s = 0; s < 5; s++) {
        hsetf(w, review_status_label((enum review_status)s), "Tally.%d.label", s);
        hsetf(w, review_status_name((enum review_status)s), "Tally.%d.class", s);
        char n[16];
        snprintf(n, sizeof n, "%d", tally[s]);
        hsetf(w, n, "Tally.%d.count", s);
    }
    for (int c = 0; c < RC_NCELLS; c++)
        hsetf(w, review_cells[c].label, "Cols.%s", review_cells[c].name);
    hset_int(w, "Count", r.nrows);
    hset_int(w, "Total", total);
    dbrows_free(&r);
    long long pages = (total + PAGE_LINES - 1) / PAGE_LINES;
    hset_int(w, "Page.number", page);
    hset_int(w, "Page.count", pages ? pages : 1);
    char url[64];
    if (page > 1) {
        snprintf(url, sizeof url, "%s?page=%lld", m->self, page - 1);
        hset(w, "Page.prev", url);
    }
    if (page < pages) {
        snprintf(url, sizeof url, "%s?page=%lld", m->self, page + 1);
        hset(w, "Page.next", url);
    }
    snprintf(url, sizeof url, "%s?format=csv", m->self);
    hset(w, "Export", url);
    hset(w, "Self", m->self);
    hset(w, "Month", m->ym);
    hset_int(w, "PsaConnection", psa_conn);
    char title[64];
    snprintf(title, sizeof title, "Billing review %s", m->ym);
    hset(w, "Page.title", title);
    web_render(w, "review_month.cs");
}

void page_review(struct web *w)
{
    const char *path = w->req.path;
    if (!strcmp(path, "/review") || !strcmp(path, "/review/")) {
        picker(w);
        return;
    }
    struct review_month m;
    if (strncmp(path, "/review/", 8) || month_parse(path + 8, &m) < 0) {
        web_error(w, 404, "There is no such page. A review's address is /review/YYYY-MM.");
        return;
    }
    long long psa_conn = 0;
    char psa_system[32] = "";
    if (mv_psa_connection(w->db, w->sess->tenant_id, &psa_conn, psa_system) < 0) {
        web_error(w, 503, "The connections could not be read. Try again in a minute.");
        return;
    }
    if (req_is_post(&w->req))
        review_act(w, psa_conn, &m);
    else
        view(w, psa_conn, &m);
}
