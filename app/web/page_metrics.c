/* page_metrics.c: GET /metrics: Prometheus text for operators (jobs, adjustments, one-time
 * charges and connections by state; each PSA instance's request budget this hour; database up). Installation-wide counts only, and only to
 * loopback (the monitoring agent on the host; put a scrape proxy in front for remote
 * Prometheus). */
#include "web/pages.h"

#include "core/strbuf.h"
#include "db/conn_shared.h"
#include "db/metrics.h"

#include <stdio.h>
#include <string.h>

static void rows(struct strbuf *sb, db_t *db, int (*q)(db_t *, struct dbrows *), const char *name,
                 const char *help, const char *const *labels, int nlabels)
{
    struct dbrows r;
    strbuf_appendf(sb, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
    if (q(db, &r) < 0)
        return;
    for (int i = 0; i < r.nrows; i++) {
        strbuf_appendf(sb, "%s{", name);
        for (int l = 0; l < nlabels; l++)   /* label values are fixed enums and job kinds */
            strbuf_appendf(sb, "%s%s=\"%s\"", l ? "," : "", labels[l], dbrows_get(&r, i, l));
        strbuf_appendf(sb, "} %s\n", dbrows_get(&r, i, nlabels));
    }
    dbrows_free(&r);
}

/* Each PSA instance's hour (db/conn_shared.h), labelled by system and billsync connection. */
static void budgets(struct strbuf *sb, db_t *db)
{
    static const char *const names[][2] = {
        {"billsync_psa_calls_hour", "Calls billsync made to the PSA instance this hour."},
        {"billsync_psa_budget_allowed", "Calls billsync may make to it this hour (its share of the cap; 0: none published)."},
        {"billsync_psa_budget_left", "Calls left under billsync's share, counting every integration's calls."},
        {"billsync_psa_calls_held_back", "Calls billsync held back this hour to stay under its share."},
    };
    struct psa_budget_list b;
    if (psa_budget_rows(db, 0, &b) < 0)
        return;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        strbuf_appendf(sb, "# HELP %s %s\n# TYPE %s gauge\n", names[k][0], names[k][1], names[k][0]);
        for (int i = 0; i < b.n; i++) {
            const struct psa_budget_row *r = &b.v[i];
            long long left = r->allowed > r->estimate ? r->allowed - r->estimate : 0;
            long long v = k == 0 ? r->calls_hour : k == 1 ? r->allowed : k == 2 ? left : r->refused;
            strbuf_appendf(sb, "%s{system=\"%s\",connection=\"%lld\"} %lld\n", names[k][0], r->system,
                           r->connection_id, v);
        }
    }
    DB_LIST_FREE(&b);
}

void page_metrics(struct web *w)
{
    const char *ip = w->req.remote_addr;
    if (strcmp(ip, "127.0.0.1") && strcmp(ip, "::1")) {
        web_error(w, 403, "Metrics are served to the local host only.");
        return;
    }
    struct strbuf sb;
    strbuf_init(&sb);
    int up = db_ping(w->db) == 0;
    strbuf_appendf(&sb, "# HELP billsync_db_up The database answers.\n# TYPE billsync_db_up gauge\nbillsync_db_up %d\n", up);
    if (up) {
        static const char *const job_labels[] = {"kind", "state"}, *const state[] = {"state"},
                                 *const status[] = {"status"};
        rows(&sb, w->db, metrics_jobs, "billsync_jobs", "Jobs by kind and state.", job_labels, 2);
        rows(&sb, w->db, metrics_adjustments, "billsync_adjustments", "Seat changes by state.", state, 1);
        rows(&sb, w->db, metrics_charges, "billsync_charges", "One-time charges by state.", state, 1);
        rows(&sb, w->db, metrics_connections, "billsync_connections", "Connections by refresh status.", status, 1);
        budgets(&sb, w->db);
    }
    resp_text(&w->resp, 200, "text/plain; version=0.0.4; charset=utf-8", strbuf_cstr(&sb));
    strbuf_free(&sb);
}
