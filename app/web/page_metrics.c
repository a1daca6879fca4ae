/* page_metrics.c: GET /metrics: Prometheus text for operators (jobs, adjustments, one-time
 * charges and connections by state; database up). Installation-wide counts only, and only to
 * loopback (the monitoring agent on the host; put a scrape proxy in front for remote
 * Prometheus). */
#include "web/pages.h"

#include "core/strbuf.h"
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
    }
    resp_text(&w->resp, 200, "text/plain; version=0.0.4; charset=utf-8", strbuf_cstr(&sb));
    strbuf_free(&sb);
}
