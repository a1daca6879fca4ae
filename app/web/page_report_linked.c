/* page_report_linked.c: /reports/linked (doc/seeds.md 001 "Linked Subscriptions"): each linked
 * resource next to the PSA contract service it feeds, with the units the PSA had when last
 * read and the difference still to post (source − PSA). An annual subscription linked to a
 * contract is billed there as one-time charges: its service reads "annual charges", with no
 * PSA units or difference. */
#include "web/pages.h"
#include "web/reports.h"

#include <stdlib.h>

static const struct report_col cols[] = {
    {"source", "Source", 0},
    {"company", "Company", 0},
    {"subscription", "Subscription", 0},
    {"resource", "Resource", 0},
    {"count", "Source count", 1},
    {"account", "PSA account", 0},
    {"contract", "Contract", 0},
    {"service", "Service", 0},
    {"psa_units", "PSA units", 1},
    {"diff", "Difference", 1},
};

static void qty_cell(char *const *in, struct report_cells *out, int i)
{
    out->v[i] = "";
    if (in[i] && qty_format(strtoll(in[i], NULL, 10), out->buf[i], sizeof out->buf[i]) == 0)
        out->v[i] = out->buf[i];
}

/* in: enum report_linked_col (db/reports.h): psa_units NULL when not in the PSA cache, diff
 * NULL when billed by charges; shown in that order up to diff */
static void cells(char *const *in, struct report_cells *out)
{
    for (int i = 0; i < RLK_CYCLE; i++)
        out->v[i] = in[i] ? in[i] : "";
    if (in[RLK_QTY]) {
        report_qty_unit(strtoll(in[RLK_QTY], NULL, 10), in[RLK_CYCLE], out->buf[RLK_QTY], sizeof out->buf[RLK_QTY]);
        out->v[RLK_QTY] = out->buf[RLK_QTY];
    }
    qty_cell(in, out, RLK_PSA_UNITS);
    qty_cell(in, out, RLK_DIFF);
    long long diff = in[RLK_DIFF] ? strtoll(in[RLK_DIFF], NULL, 10) : 0;
    out->cls[RLK_DIFF] = diff > 0 ? "diff-up" : diff < 0 ? "diff-down" : NULL;
}

static const struct report_def def = {
    .kind = REPORT_LINKED,
    .path = "/reports/linked",
    .title = "Linked subscriptions",
    .tmpl = "report_linked.cs",
    .csv_name = "linked-subscriptions.csv",
    .cols = cols,
    .ncols = (int)(sizeof cols / sizeof cols[0]),
    .qty_col = 4,
    .value_col = -1,
    .cells = cells,
};

void page_report_linked(struct web *w) { report_serve(w, &def); }
