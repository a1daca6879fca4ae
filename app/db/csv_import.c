/* csv_import.c: imports a distributor billing file into a connection's snapshot. */
#include "db/csv_import.h"

#include "core/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 100                 /* rows per multi-row INSERT */
#define NCOL 23

/* One statement text per batch size 1 and BATCH; built once. */
static const char insert_head[] =
    "INSERT INTO src_charges (tenant_id, connection_id, line_id, period_month, company_source_id,"
    " company_name, subscription_source_id, subscription_name, resource_source_id, description, sku,"
    " charge_type, period_start, period_end, effective_date, quantity, unit_cost, unit_price,"
    " extended_cost, extended_price, currency, term_months, frequency) VALUES ";
static const char insert_tail[] =
    " ON DUPLICATE KEY UPDATE period_month = VALUES(period_month),"
    " company_source_id = VALUES(company_source_id), company_name = VALUES(company_name),"
    " subscription_source_id = VALUES(subscription_source_id),"
    " subscription_name = VALUES(subscription_name), resource_source_id = VALUES(resource_source_id),"
    " description = VALUES(description), sku = VALUES(sku), charge_type = VALUES(charge_type),"
    " period_start = VALUES(period_start), period_end = VALUES(period_end),"
    " effective_date = VALUES(effective_date), quantity = VALUES(quantity),"
    " unit_cost = VALUES(unit_cost), unit_price = VALUES(unit_price),"
    " extended_cost = VALUES(extended_cost), extended_price = VALUES(extended_price),"
    " currency = VALUES(currency), term_months = VALUES(term_months), frequency = VALUES(frequency),"
    " imported_at = UTC_TIMESTAMP(6)";

static char *build_insert(int rows)
{
    struct strbuf sb;
    strbuf_init(&sb);
    int rc = strbuf_append(&sb, insert_head);
    for (int r = 0; r < rows && rc == 0; r++) {
        rc |= strbuf_append(&sb, r ? ",(" : "(");
        for (int c = 0; c < NCOL; c++)
            rc |= strbuf_append(&sb, c ? ",?" : "?");
        rc |= strbuf_append(&sb, ")");
    }
    rc |= strbuf_append(&sb, insert_tail);
    if (rc) {
        strbuf_free(&sb);
        return NULL;
    }
    return sb.p;                  /* the caller frees it */
}

/* The text of each row's parameters lives here until its batch is written. */
struct pending {
    struct recon_line line;
    char dates[4][11];
};

struct writer {
    db_t *db;
    long long tenant_id, connection_id;
    char *sql_batch, *sql_one;
    struct pending rows[BATCH];
    int n;
    int failed;
};

static const char *date_text(cdate_t d, char out[11])
{
    if (!cdate_valid(d))
        return NULL;
    cdate_format(d, out, 11);
    return out;
}

static int flush(struct writer *w)
{
    if (w->n == 0 || w->failed)
        return w->failed ? -1 : 0;
    struct dbv *v = malloc(sizeof *v * (size_t)w->n * NCOL);
    if (!v)
        return -1;
    for (int r = 0; r < w->n; r++) {
        struct pending *pr = &w->rows[r];
        const struct src_charge *ch = &pr->line.ch;
        cdate_t month = cdate_make(ch->period_start.y, ch->period_start.m, 1);
        struct dbv *x = v + (size_t)r * NCOL;
        x[0] = DB_INT(w->tenant_id);
        x[1] = DB_INT(w->connection_id);
        x[2] = DB_STR(ch->id);
        x[3] = DB_STR(date_text(month, pr->dates[0]));
        x[4] = DB_STR(ch->company_id);
        x[5] = DB_STR(pr->line.company_name);
        x[6] = DB_STR(ch->subscription_id);
        x[7] = DB_STR(pr->line.subscription_name);
        x[8] = DB_STR(ch->resource_id);
        x[9] = DB_STR(ch->description);
        x[10] = DB_STR(ch->sku);
        x[11] = DB_STR(src_charge_type_name(ch->type));
        x[12] = DB_STR(date_text(ch->period_start, pr->dates[1]));
        x[13] = DB_STR(date_text(ch->period_end, pr->dates[2]));
        x[14] = DB_STR(date_text(ch->effective, pr->dates[3]));
        x[15] = DB_INT(ch->quantity);
        x[16] = DB_INT(ch->unit_cost);
        x[17] = DB_INT(ch->unit_price);
        x[18] = DB_INT(ch->extended_cost);
        x[19] = DB_INT(ch->extended_price);
        x[20] = DB_STR(ch->currency);
        x[21] = DB_INT(ch->term_months);
        x[22] = DB_STR(src_cycle_name(ch->frequency));
    }
    int rc = db_exec(w->db, w->n == BATCH ? w->sql_batch : w->sql_one, v, w->n * NCOL, NULL, NULL);
    free(v);
    if (rc < 0)
        w->failed = 1;
    w->n = 0;
    return rc;
}

static int on_write(void *ctx, const struct recon_line *line, long row)
{
    (void)row;
    struct writer *w = ctx;
    w->rows[w->n++].line = *line;
    if (w->n == BATCH)
        return flush(w);
    return 0;
}

/* Pass 2 writes rows one statement per BATCH; the last partial batch row by row. */
static int flush_tail(struct writer *w)
{
    int keep = w->n;
    struct pending *tmp = malloc(sizeof *tmp * (size_t)(keep ? keep : 1));
    if (!tmp)
        return -1;
    memcpy(tmp, w->rows, sizeof *tmp * (size_t)keep);
    for (int i = 0; i < keep && !w->failed; i++) {
        w->rows[0] = tmp[i];
        w->n = 1;
        flush(w);
    }
    free(tmp);
    return w->failed ? -1 : 0;
}

static int on_check(void *ctx, const struct recon_line *line, long row)
{
    (void)ctx;
    (void)line;
    (void)row;
    return 0;
}

/* Streams path through a parser; 0 ok, -1 with the parser's or the file's error. */
static int run_file(const char *path, enum recon_format format, recon_line_fn fn, void *ctx,
                    long *rows, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "the file cannot be read: %s", strerror(errno));
        return -1;
    }
    struct recon_parser *p = recon_new(format, fn, ctx);
    int rc = p ? 0 : -1;
    char buf[65536];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0)
        rc = recon_feed(p, buf, n);
    if (rc == 0)
        rc = recon_finish(p);
    if (rc < 0)
        snprintf(err, errlen, "%s", p ? recon_error(p) : "out of memory");
    if (p)
        *rows = recon_rows(p);
    recon_free(p);
    fclose(f);
    return rc;
}

/* Companies, subscriptions and resources follow from the connection's billing lines: names
 * from the newest line; a resource's quantity from its newest recurring (or up-front) line,
 * plus seats added and less seats removed by later lines of the same resource. */
static int derive(db_t *db, long long t, long long c)
{
    if (db_exec(db,
                "INSERT INTO src_companies (tenant_id, connection_id, source_id, name, gone, last_seen)"
                " SELECT tenant_id, connection_id, company_source_id, company_name, 0, UTC_TIMESTAMP(6) FROM"
                " (SELECT *, ROW_NUMBER() OVER (PARTITION BY company_source_id ORDER BY period_start DESC, id DESC) rn"
                "  FROM src_charges WHERE tenant_id = ? AND connection_id = ?) x WHERE rn = 1"
                " ON DUPLICATE KEY UPDATE name = VALUES(name), gone = 0, last_seen = VALUES(last_seen)",
                DB_PARAMS(DB_INT(t), DB_INT(c)), NULL, NULL) < 0)
        return -1;
    if (db_exec(db,
                "INSERT INTO src_subscriptions (tenant_id, connection_id, source_id, company_source_id,"
                " name, billing_cycle, term_months, gone, last_seen)"
                " SELECT tenant_id, connection_id, subscription_source_id, company_source_id,"
                " subscription_name, frequency, term_months, 0, UTC_TIMESTAMP(6) FROM"
                " (SELECT *, ROW_NUMBER() OVER (PARTITION BY subscription_source_id ORDER BY period_start DESC, id DESC) rn"
                "  FROM src_charges WHERE tenant_id = ? AND connection_id = ?) x WHERE rn = 1"
                " ON DUPLICATE KEY UPDATE company_source_id = VALUES(company_source_id), name = VALUES(name),"
                " billing_cycle = VALUES(billing_cycle), term_months = VALUES(term_months), gone = 0,"
                " last_seen = VALUES(last_seen)",
                DB_PARAMS(DB_INT(t), DB_INT(c)), NULL, NULL) < 0)
        return -1;
    return db_exec(db,
                   "INSERT INTO src_resources (tenant_id, connection_id, source_id, subscription_source_id,"
                   " company_source_id, name, sku, quantity, unit_cost, unit_price, currency, billing_cycle,"
                   " term_months, commitment_end, gone, last_seen)"
                   " SELECT b.tenant_id, b.connection_id, b.resource_source_id, b.subscription_source_id,"
                   " b.company_source_id, b.description, b.sku, b.quantity + COALESCE(d.delta, 0),"
                   " b.unit_cost, b.unit_price, b.currency, b.frequency, b.term_months,"
                   " IF(b.frequency = 'annual', b.period_end, NULL), 0, UTC_TIMESTAMP(6) FROM"
                   " (SELECT *, ROW_NUMBER() OVER (PARTITION BY resource_source_id ORDER BY period_start DESC, id DESC) rn"
                   "  FROM src_charges WHERE tenant_id = ? AND connection_id = ?"
                   "  AND charge_type IN ('recurring', 'one_time', 'usage')) b"
                   " LEFT JOIN"
                   " (SELECT resource_source_id, SUM(IF(charge_type = 'proration', ABS(quantity), -ABS(quantity))) delta"
                   "  FROM (SELECT resource_source_id, charge_type, quantity, effective_date,"
                   "   MAX(IF(charge_type IN ('recurring', 'one_time', 'usage'), period_start, NULL))"
                   "   OVER (PARTITION BY resource_source_id) base_start"
                   "   FROM src_charges WHERE tenant_id = ? AND connection_id = ?) s"
                   "  WHERE charge_type IN ('proration', 'refund') AND effective_date > base_start"
                   "  GROUP BY resource_source_id) d ON d.resource_source_id = b.resource_source_id"
                   " WHERE b.rn = 1"
                   " ON DUPLICATE KEY UPDATE subscription_source_id = VALUES(subscription_source_id),"
                   " company_source_id = VALUES(company_source_id), name = VALUES(name), sku = VALUES(sku),"
                   " quantity = VALUES(quantity), unit_cost = VALUES(unit_cost), unit_price = VALUES(unit_price),"
                   " currency = VALUES(currency), billing_cycle = VALUES(billing_cycle),"
                   " term_months = VALUES(term_months), commitment_end = VALUES(commitment_end), gone = 0,"
                   " last_seen = VALUES(last_seen)",
                   DB_PARAMS(DB_INT(t), DB_INT(c), DB_INT(t), DB_INT(c)), NULL, NULL);
}

static void record(db_t *db, long long t, long long c, long long user, const char *name,
                   enum recon_format format, const struct csv_import_result *res)
{
    db_exec(db,
            "INSERT INTO csv_imports (tenant_id, connection_id, user_id, file_name, format, status,"
            " rows_total, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            DB_PARAMS(DB_INT(t), DB_INT(c), user ? DB_INT(user) : DB_NULL, DB_STR(name),
                      DB_STR(format == RECON_MSCSP ? "mscsp" : "generic"),
                      DB_STR(res->refused ? "refused" : "imported"), DB_INT(res->rows),
                      DB_STR(res->message)),
            NULL, NULL);
}

int csv_import_file(db_t *db, long long tenant_id, long long connection_id, long long user_id,
                    enum recon_format format, const char *path, const char *display_name,
                    struct csv_import_result *res)
{
    memset(res, 0, sizeof *res);
    char err[400];
    long rows = 0;
    if (run_file(path, format, on_check, NULL, &rows, err, sizeof err) < 0) {
        res->refused = 1;
        snprintf(res->message, sizeof res->message, "Nothing was imported: %s.", err);
        record(db, tenant_id, connection_id, user_id, display_name, format, res);
        return -1;
    }
    if (rows == 0) {
        res->refused = 1;
        snprintf(res->message, sizeof res->message, "Nothing was imported: the file has no rows.");
        record(db, tenant_id, connection_id, user_id, display_name, format, res);
        return -1;
    }
    struct writer *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    w->db = db;
    w->tenant_id = tenant_id;
    w->connection_id = connection_id;
    w->sql_batch = build_insert(BATCH);
    w->sql_one = build_insert(1);
    int rc = (!w->sql_batch || !w->sql_one || db_begin(db) < 0) ? -1 : 0;
    if (rc == 0)
        rc = run_file(path, format, on_write, w, &res->rows, err, sizeof err);
    if (rc == 0)
        rc = flush_tail(w);
    if (rc == 0)
        rc = derive(db, tenant_id, connection_id);
    if (rc == 0)
        rc = db_commit(db);
    if (rc < 0) {
        snprintf(res->message, sizeof res->message, "Nothing was imported: %s.",
                 w->failed || !*err ? db_error(db) : err);
        db_rollback(db);
        res->refused = 1;
    } else {
        snprintf(res->message, sizeof res->message, "Imported %ld rows from %s.", res->rows, display_name);
    }
    record(db, tenant_id, connection_id, user_id, display_name, format, res);
    free(w->sql_batch);
    free(w->sql_one);
    free(w);
    return rc;
}
