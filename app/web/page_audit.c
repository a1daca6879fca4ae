/* page_audit.c: /audit (admin): the audit log with filters (user, action, date range),
 * paging and CSV export (format=csv: every filtered row, streamed). */
#include "web/pages.h"

#include "common/config.h"
#include "common/log.h"
#include "core/cdate.h"
#include "core/csvw.h"
#include "core/strbuf.h"
#include "db/accounts.h"
#include "db/audit.h"

#include <stdio.h>
#include <string.h>

#define PAGE_SIZE 50

const char *const audit_actions[] = {
    "login.success", "login.failure", "login.2fa", "logout", "password.reset_requested",
    "password.reset_done", "password.changed", "invite.accepted", "user.invited",
    "user.role_changed", "user.disabled", "user.enabled", "2fa.on", "2fa.off",
    "tenant.2fa_required", "tenant.2fa_optional", NULL,
};

struct filters {
    const char *user, *action;
    char from[11], to[11];        /* YYYY-MM-DD, inclusive; UTC days */
};

static struct audit_filter as_audit(const struct filters *f)
{
    struct audit_filter a = {f->user, f->action, f->from, f->to};
    return a;
}

/* The filters: the route's parameters (routes.c), checked before the page ran. */
static void read_filters(struct web *w, struct filters *f)
{
    f->user = param_str(&w->params, "user");
    f->action = param_str(&w->params, "action");
    cdate_t d;
    snprintf(f->from, sizeof f->from, "2000-01-01");
    snprintf(f->to, sizeof f->to, "9999-12-30");
    if (param_date(&w->params, "from", &d))
        cdate_format(d, f->from, sizeof f->from);
    if (param_date(&w->params, "to", &d))
        cdate_format(d, f->to, sizeof f->to);
}

struct csv_ctx {
    struct web *w;
    struct strbuf sb;
    csvw_t csv;
};

static int csv_row(void *vctx, int ncols, char **cells, size_t *lens)
{
    struct csv_ctx *c = vctx;
    (void)lens;
    for (int i = 0; i < ncols; i++)
        csvw_field(&c->csv, cells[i] ? cells[i] : "");
    csvw_end_row(&c->csv);
    if (c->sb.len > 32768) {      /* flush in chunks: memory stays flat for any row count */
        int rc = resp_stream_write(&c->w->resp, c->sb.p, c->sb.len);
        strbuf_reset(&c->sb);
        return rc;
    }
    return 0;
}

static void export_csv(struct web *w, const struct filters *f)
{
    struct csv_ctx c = {.w = w};
    strbuf_init(&c.sb);
    csvw_init(&c.csv, &c.sb);
    static const char *const head[] = {"time_utc", "user", "action", "subject", "detail", "ip"};
    csvw_row(&c.csv, head, 6);
    resp_stream_begin(&w->resp, "text/csv; charset=utf-8", "audit-log.csv");
    struct audit_filter af = as_audit(f);
    db_statement_limit(w->db, w->cfg->web_export_statement_ms);
    int rc = audit_stream(w->db, w->sess->tenant_id, &af, csv_row, &c);
    db_statement_limit(w->db, w->cfg->web_statement_ms);
    if (rc < 0) {                 /* a broken transfer, never a complete-looking file */
        log_error("audit export: aborted: %s", db_error(w->db));
        resp_abort(&w->resp);
    } else if (c.sb.len)
        resp_stream_write(&w->resp, c.sb.p, c.sb.len);
    strbuf_free(&c.sb);
}

void page_audit(struct web *w)
{
    struct filters f;
    read_filters(w, &f);
    if (!strcmp(param_str(&w->params, "format"), "csv")) {
        export_csv(w, &f);
        return;
    }
    long long page = param_int(&w->params, "page");
    long long total = 0;
    struct dbrows r;
    struct audit_filter af = as_audit(&f);
    if (audit_count(w->db, w->sess->tenant_id, &af, &total) < 0 ||
        audit_page(w->db, w->sess->tenant_id, &af, PAGE_SIZE, (int)((page - 1) * PAGE_SIZE), &r) < 0) {
        web_error(w, 503, "The audit log could not be read. Try again in a minute.");
        return;
    }
    static const char *const cols[] = {"at", "user", "action", "subject", "detail", "ip"};
    for (int i = 0; i < r.nrows; i++)
        for (int c = 0; c < 6; c++)
            hsetf(w, dbrows_get(&r, i, c), "Rows.%d.%s", i, cols[c]);
    dbrows_free(&r);
    struct email_list users;
    if (users_emails(w->db, w->sess->tenant_id, &users) == 0) {
        for (int i = 0; i < users.n; i++)
            hsetf(w, users.v[i].email, "UserOptions.%d", i);
        DB_LIST_FREE(&users);
    }
    for (size_t i = 0; audit_actions[i]; i++)
        hsetf(w, audit_actions[i], "ActionOptions.%zu", i);
    hset(w, "Filter.user", f.user);
    hset(w, "Filter.action", f.action);
    hset(w, "Filter.from", strcmp(f.from, "2000-01-01") ? f.from : "");
    hset(w, "Filter.to", strcmp(f.to, "9999-12-30") ? f.to : "");
    hset_int(w, "Total", total);
    hset_int(w, "Page", page);
    hset_int(w, "Pages", total ? (total + PAGE_SIZE - 1) / PAGE_SIZE : 1);
    hset(w, "Page.title", "Audit log");
    web_render(w, "audit.cs");
}
