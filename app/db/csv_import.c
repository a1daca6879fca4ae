/* csv_import.c: imports a distributor billing file into a connection's snapshot (see the
 * header for the five steps and why each is shaped so). */
#include "db/csv_import.h"

#include "core/strbuf.h"
#include "db/new_subs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAGE_BATCH 500           /* rows per multi-row INSERT into csv_import_rows */
#define PROGRESS_EVERY 10         /* batches between progress updates */
#define CHUNK_BYTES (1 << 20)     /* bytes per csv_upload_chunks row */
#define CLEAN_BATCH 5000          /* rows per DELETE when cleaning up */
#define APPLY_CHUNK 50000         /* staged rows per INSERT ... SELECT when applying */
#define DERIVE_STEP_S 900         /* the lease a derive statement may need at a million rows */
#define NCOL 24

/* The text of a staging INSERT of `rows` rows. */
static char *build_insert(int rows)
{
    struct strbuf sb;
    strbuf_init(&sb);
    int rc = strbuf_append(&sb,
        "INSERT INTO csv_import_rows (tenant_id, import_id, row_no, line_id, period_month,"
        " company_source_id, company_name, subscription_source_id, subscription_name,"
        " resource_source_id, description, sku, charge_type, period_start, period_end,"
        " effective_date, quantity, unit_cost, unit_price, extended_cost, extended_price, currency,"
        " term_months, frequency) VALUES ");
    for (int r = 0; r < rows && rc == 0; r++) {
        rc |= strbuf_append(&sb, r ? ",(" : "(");
        for (int c = 0; c < NCOL; c++)
            rc |= strbuf_append(&sb, c ? ",?" : "?");
        rc |= strbuf_append(&sb, ")");
    }
    if (rc) {
        strbuf_free(&sb);
        return NULL;
    }
    return sb.p;                  /* the caller frees it */
}

/* The text of each row's parameters lives here until its batch is written. */
struct pending {
    struct recon_line line;
    long row;
    char dates[4][11];
};

struct stager {
    db_t *db;
    long long tenant_id, import_id;
    char *sql_batch, *sql_one;
    struct pending rows[STAGE_BATCH];
    struct dbv params[STAGE_BATCH * NCOL];
    int n, batches;
    long staged;
    int failed;                   /* a database error (db_error says which) */
    csv_progress_fn progress;
    void *progress_ctx;
};

static const char *date_text(cdate_t d, char out[11])
{
    if (!cdate_valid(d))
        return NULL;
    cdate_format(d, out, 11);
    return out;
}

static void bind_row(const struct stager *s, struct pending *pr, struct dbv *x)
{
    const struct src_charge *ch = &pr->line.ch;
    cdate_t month = cdate_make(ch->period_start.y, ch->period_start.m, 1);
    x[0] = DB_INT(s->tenant_id);
    x[1] = DB_INT(s->import_id);
    x[2] = DB_INT(pr->row);
    x[3] = DB_STR(ch->id);
    x[4] = DB_STR(date_text(month, pr->dates[0]));
    x[5] = DB_STR(ch->company_id);
    x[6] = DB_STR(pr->line.company_name);
    x[7] = DB_STR(ch->subscription_id);
    x[8] = DB_STR(pr->line.subscription_name);
    x[9] = DB_STR(ch->resource_id);
    x[10] = DB_STR(ch->description);
    x[11] = DB_STR(ch->sku);
    x[12] = DB_STR(src_charge_type_name(ch->type));
    x[13] = DB_STR(date_text(ch->period_start, pr->dates[1]));
    x[14] = DB_STR(date_text(ch->period_end, pr->dates[2]));
    x[15] = DB_STR(date_text(ch->effective, pr->dates[3]));
    x[16] = DB_INT(ch->quantity);
    x[17] = DB_INT(ch->unit_cost);
    x[18] = DB_INT(ch->unit_price);
    x[19] = DB_INT(ch->extended_cost);
    x[20] = DB_INT(ch->extended_price);
    x[21] = DB_STR(ch->currency);
    x[22] = DB_INT(ch->term_months);
    x[23] = DB_STR(src_cycle_name(ch->frequency));
}

static void report_progress(struct stager *s)
{
    db_exec(s->db, "UPDATE csv_imports SET rows_done = ?, updated_at = UTC_TIMESTAMP(6)"
                   " WHERE tenant_id = ? AND id = ?",
            DB_PARAMS(DB_INT(s->staged), DB_INT(s->tenant_id), DB_INT(s->import_id)), NULL, NULL);
    if (s->progress)
        s->progress(s->progress_ctx, s->staged, 0);
}

/* Writes rows[first .. first+count) with the statement for `count` rows (autocommit). */
static int write_rows(struct stager *s, int first, int count, const char *sql)
{
    struct dbv *v = s->params;
    for (int r = 0; r < count; r++)
        bind_row(s, &s->rows[first + r], v + (size_t)r * NCOL);
    if (db_exec(s->db, sql, v, count * NCOL, NULL, NULL) < 0) {
        s->failed = 1;
        return -1;
    }
    s->staged += count;
    return 0;
}

/* Full batches in one statement; the last partial batch row by row (one statement text per
 * size keeps the statement cache small). */
static int flush(struct stager *s, int final)
{
    if (s->failed)
        return -1;
    if (s->n == STAGE_BATCH) {
        if (write_rows(s, 0, STAGE_BATCH, s->sql_batch) < 0)
            return -1;
        if (++s->batches % PROGRESS_EVERY == 0)
            report_progress(s);
        s->n = 0;
    }
    if (final) {
        for (int i = 0; i < s->n; i++)
            if (write_rows(s, i, 1, s->sql_one) < 0)
                return -1;
        s->n = 0;
        report_progress(s);
    }
    return 0;
}

static int on_stage(void *ctx, const struct recon_line *line, long row)
{
    struct stager *s = ctx;
    s->rows[s->n].line = *line;
    s->rows[s->n].row = row;
    s->n++;
    return s->n == STAGE_BATCH ? flush(s, 0) : 0;
}

static int on_check(void *ctx, const struct recon_line *line, long row)
{
    (void)ctx;
    (void)line;
    (void)row;
    return 0;
}

/* Where the bytes come from: a file (check, CLI) or the stored chunks (worker). */
struct byte_source {
    const char *path;             /* a file, or NULL: chunks of import_id */
    db_t *db;
    long long tenant_id, import_id;
};

static int feed_file(const char *path, struct recon_parser *p, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "the file cannot be read: %s", strerror(errno));
        return -1;
    }
    static char buf[65536];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0)
        rc = recon_feed(p, buf, n);
    if (ferror(f) && rc == 0) {
        snprintf(err, errlen, "the file cannot be read: %s", strerror(errno));
        rc = -2;
    }
    fclose(f);
    return rc;
}

static int feed_chunks(const struct byte_source *src, struct recon_parser *p, char *err,
                       size_t errlen)
{
    for (int seq = 0;; seq++) {
        struct dbrows r;
        if (db_query(src->db,
                     "SELECT data FROM csv_upload_chunks WHERE tenant_id = ? AND import_id = ? AND seq = ?",
                     DB_PARAMS(DB_INT(src->tenant_id), DB_INT(src->import_id), DB_INT(seq)), &r) < 0) {
            snprintf(err, errlen, "%s", db_error(src->db));
            return -2;
        }
        if (r.nrows == 0) {
            dbrows_free(&r);
            return 0;
        }
        int rc = recon_feed(p, r.cell[0] ? r.cell[0] : "", r.cell[0] ? r.len[0] : 0);
        dbrows_free(&r);
        if (rc < 0)
            return rc;
    }
}

/* Streams the source through a parser. 0 ok; -1 the parser refused (err is its message);
 * -2 the bytes could not be read. */
static int run_parser(const struct byte_source *src, enum recon_format format, recon_line_fn fn,
                      void *ctx, long *rows, char *err, size_t errlen)
{
    struct recon_parser *p = recon_new(format, fn, ctx);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -2;
    }
    err[0] = '\0';
    int rc = src->path ? feed_file(src->path, p, err, errlen) : feed_chunks(src, p, err, errlen);
    if (rc == 0)
        rc = recon_finish(p);
    if (rc == -1 && !err[0])
        snprintf(err, errlen, "%s", recon_error(p));
    *rows = recon_rows(p);
    recon_free(p);
    return rc;
}

int csv_import_check(enum recon_format format, const char *path, struct csv_import_result *res)
{
    memset(res, 0, sizeof *res);
    char err[400];
    struct byte_source src = {.path = path};
    if (run_parser(&src, format, on_check, NULL, &res->rows, err, sizeof err) < 0) {
        res->refused = 1;
        snprintf(res->message, sizeof res->message, "Nothing was imported: %s.", err);
        return -1;
    }
    if (res->rows == 0) {
        res->refused = 1;
        snprintf(res->message, sizeof res->message, "Nothing was imported: the file has no rows.");
        return -1;
    }
    return 0;
}

static const char *format_name(enum recon_format format)
{
    return format == RECON_MSCSP ? "mscsp" : "generic";
}

static int insert_import(db_t *db, long long t, long long c, long long user, enum recon_format format,
                         const char *name, const char *status, long rows, const char *message,
                         long long *id)
{
    uint64_t new_id = 0;
    int rc = db_exec(db,
                     "INSERT INTO csv_imports (tenant_id, connection_id, user_id, file_name, format, status,"
                     " rows_total, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_INT(t), DB_INT(c), user ? DB_INT(user) : DB_NULL, DB_STR(name),
                               DB_STR(format_name(format)), DB_STR(status), DB_INT(rows),
                               DB_STR(message)),
                     NULL, &new_id);
    if (id)
        *id = (long long)new_id;
    return rc;
}

void csv_import_record_refused(db_t *db, long long tenant_id, long long connection_id,
                               long long user_id, enum recon_format format,
                               const char *display_name, const struct csv_import_result *res)
{
    insert_import(db, tenant_id, connection_id, user_id, format, display_name, "refused", res->rows,
                  res->message, NULL);
}

static void set_status(db_t *db, long long t, long long id, const char *status, const char *message)
{
    db_exec(db, "UPDATE csv_imports SET status = ?, message = ?, updated_at = UTC_TIMESTAMP(6)"
                " WHERE tenant_id = ? AND id = ?",
            DB_PARAMS(DB_STR(status), DB_STR(message), DB_INT(t), DB_INT(id)), NULL, NULL);
}

/* Deletes the import's staged rows (and, with chunks, its stored bytes), a batch per short
 * transaction. */
static int clean(db_t *db, long long t, long long id, int chunks)
{
    static const char *const sql[] = {
        "DELETE FROM csv_import_rows WHERE tenant_id = ? AND import_id = ? LIMIT 5000",
        "DELETE FROM csv_upload_chunks WHERE tenant_id = ? AND import_id = ? LIMIT 5000",
    };
    for (int i = 0; i < (chunks ? 2 : 1); i++) {
        uint64_t gone;
        do {
            if (db_exec(db, sql[i], DB_PARAMS(DB_INT(t), DB_INT(id)), &gone, NULL) < 0)
                return -1;
        } while (gone >= CLEAN_BATCH);
    }
    return 0;
}

int csv_import_queue(db_t *db, long long tenant_id, long long connection_id, long long user_id,
                     enum recon_format format, const char *path, const char *display_name,
                     long rows, long long *import_id)
{
    if (insert_import(db, tenant_id, connection_id, user_id, format, display_name, "queued", rows,
                      "", import_id) < 0)
        return -1;
    FILE *f = fopen(path, "rb");
    char *buf = malloc(CHUNK_BYTES);
    int rc = f && buf ? 0 : -1;
    size_t n;
    for (int seq = 0; rc == 0 && (n = fread(buf, 1, CHUNK_BYTES, f)) > 0; seq++)
        rc = db_exec(db, "INSERT INTO csv_upload_chunks (tenant_id, import_id, seq, data) VALUES (?, ?, ?, ?)",
                     DB_PARAMS(DB_INT(tenant_id), DB_INT(*import_id), DB_INT(seq), DB_BLOB(buf, n)),
                     NULL, NULL);
    if (rc == 0 && ferror(f))
        rc = -1;
    free(buf);
    if (f)
        fclose(f);
    if (rc < 0) {
        set_status(db, tenant_id, *import_id, "failed",
                   "Nothing was imported: the file could not be stored. Upload it again.");
        clean(db, tenant_id, *import_id, 1);
    }
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

struct apply_ctx {
    long long tenant_id, connection_id, import_id;
    long rows;
    const char *message;
    csv_progress_fn progress;
    void *progress_ctx;
};

static void apply_progress(const struct apply_ctx *a, long done, int next_step_s)
{
    if (a->progress)
        a->progress(a->progress_ctx, done, next_step_s);
}

/* Step 4, inside one READ COMMITTED transaction: staged rows in file order (a line id that
 * comes twice keeps its last row, as before), then the derived records, then the status. */
static int apply_txn(db_t *db, void *vctx)
{
    const struct apply_ctx *a = vctx;
    long long last = 0;
    if (db_scalar(db, "SELECT COALESCE(MAX(row_no), 0) FROM csv_import_rows WHERE tenant_id = ? AND import_id = ?",
                  DB_PARAMS(DB_INT(a->tenant_id), DB_INT(a->import_id)), &last) < 0)
        return -1;
    for (long long lo = 0; lo <= last; lo += APPLY_CHUNK) {
        if (db_exec(db,
                    "INSERT INTO src_charges (tenant_id, connection_id, line_id, period_month, company_source_id,"
                    " company_name, subscription_source_id, subscription_name, resource_source_id, description,"
                    " sku, charge_type, period_start, period_end, effective_date, quantity, unit_cost, unit_price,"
                    " extended_cost, extended_price, currency, term_months, frequency)"
                    " SELECT ?, ?, line_id, period_month, company_source_id, company_name, subscription_source_id,"
                    " subscription_name, resource_source_id, description, sku, charge_type, period_start,"
                    " period_end, effective_date, quantity, unit_cost, unit_price, extended_cost, extended_price,"
                    " currency, term_months, frequency FROM csv_import_rows"
                    " WHERE tenant_id = ? AND import_id = ? AND row_no >= ? AND row_no < ? ORDER BY row_no"
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
                    " imported_at = UTC_TIMESTAMP(6)",
                    DB_PARAMS(DB_INT(a->tenant_id), DB_INT(a->connection_id), DB_INT(a->tenant_id),
                              DB_INT(a->import_id), DB_INT(lo), DB_INT(lo + APPLY_CHUNK)),
                    NULL, NULL) < 0)
            return -1;
        apply_progress(a, (long)(lo + APPLY_CHUNK < last ? lo + APPLY_CHUNK : last), 0);
    }
    apply_progress(a, a->rows, DERIVE_STEP_S);
    if (derive(db, a->tenant_id, a->connection_id) < 0 ||
        new_subs_record(db, a->tenant_id, a->connection_id) < 0)   /* an import is a pull */
        return -1;
    return db_exec(db,
                   "UPDATE csv_imports SET status = 'imported', rows_done = rows_total, message = ?,"
                   " updated_at = UTC_TIMESTAMP(6) WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_STR(a->message), DB_INT(a->tenant_id), DB_INT(a->import_id)), NULL, NULL);
}

/* Steps 3-5 for an import whose csv_imports row exists; bytes from src. */
static int stage_and_apply(db_t *db, long long t, long long c, long long id, enum recon_format format,
                           const char *name, long expect_rows, const struct byte_source *src,
                           csv_progress_fn fn, void *ctx, struct csv_import_result *res)
{
    char err[400];
    int rc = -1;
    res->refused = 1;
    struct stager *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(res->message, sizeof res->message, "Nothing was imported: out of memory.");
        return -1;
    }
    s->db = db;                   /* (no compound literal: the struct holds a whole batch) */
    s->tenant_id = t;
    s->import_id = id;
    s->progress = fn;
    s->progress_ctx = ctx;
    s->sql_batch = build_insert(STAGE_BATCH);
    s->sql_one = build_insert(1);
    set_status(db, t, id, "staging", "");
    if (!s->sql_batch || !s->sql_one || clean(db, t, id, 0) < 0) {
        res->refused = 0;
        snprintf(res->message, sizeof res->message, "Nothing was imported: %s.", db_error(db));
        goto out;
    }
    int prc = run_parser(src, format, on_stage, s, &res->rows, err, sizeof err);
    if (prc == 0)
        prc = flush(s, 1);
    if (prc < 0 || s->failed) {
        /* A database failure can be retried; a file the parser refuses cannot. */
        res->refused = !s->failed && prc == -1;
        snprintf(res->message, sizeof res->message, "Nothing was imported: %s.",
                 s->failed ? db_error(db) : err);
        goto out;
    }
    if (expect_rows >= 0 && s->staged != expect_rows) {
        snprintf(res->message, sizeof res->message,
                 "Nothing was imported: %ld rows were read back where the check counted %ld.",
                 s->staged, expect_rows);
        goto out;
    }
    set_status(db, t, id, "applying", "");
    snprintf(res->message, sizeof res->message, "Imported %ld rows from %s.", res->rows, name);
    struct apply_ctx a = {.tenant_id = t, .connection_id = c, .import_id = id, .rows = res->rows,
                          .message = res->message, .progress = fn, .progress_ctx = ctx};
    if (db_txn_read_committed(db, apply_txn, &a) < 0) {
        res->refused = 0;
        snprintf(res->message, sizeof res->message, "Nothing was imported: %s.", db_error(db));
        goto out;
    }
    res->refused = 0;
    rc = 0;
out:
    /* A refused file is final; a database failure waits for the job's retry (or the
     * caller's csv_import_give_up). */
    if (rc < 0)
        set_status(db, t, id, res->refused ? "refused" : "queued", res->message);
    free(s->sql_batch);
    free(s->sql_one);
    free(s);
    return rc;
}

struct import_row {
    long long connection_id;
    enum recon_format format;
    char name[256], status[16];
    long rows_total;
};

static int load(db_t *db, long long t, long long id, struct import_row *out)
{
    struct dbrows r;
    if (db_query(db,
                 "SELECT connection_id, format, file_name, status, rows_total FROM csv_imports"
                 " WHERE tenant_id = ? AND id = ?",
                 DB_PARAMS(DB_INT(t), DB_INT(id)), &r) < 0)
        return -1;
    int found = r.nrows == 1;
    if (found) {
        out->connection_id = dbrows_int(&r, 0, 0, 0);
        recon_format_parse(dbrows_get(&r, 0, 1), &out->format);
        snprintf(out->name, sizeof out->name, "%s", dbrows_get(&r, 0, 2));
        snprintf(out->status, sizeof out->status, "%s", dbrows_get(&r, 0, 3));
        out->rows_total = (long)dbrows_int(&r, 0, 4, 0);
    }
    dbrows_free(&r);
    return found;
}

int csv_import_run(db_t *db, long long tenant_id, long long import_id, csv_progress_fn fn,
                   void *ctx, struct csv_import_result *res)
{
    memset(res, 0, sizeof *res);
    struct import_row im;
    int found = load(db, tenant_id, import_id, &im);
    if (found <= 0) {
        res->refused = found == 0;
        snprintf(res->message, sizeof res->message, found == 0 ? "no such import" : "%s", db_error(db));
        return -1;
    }
    if (!strcmp(im.status, "imported"))            /* applied before a crash: only clean */
        return clean(db, tenant_id, import_id, 1);
    if (!strcmp(im.status, "refused") || !strcmp(im.status, "failed")) {
        res->refused = 1;
        snprintf(res->message, sizeof res->message, "the import was %s already", im.status);
        clean(db, tenant_id, import_id, 1);
        return -1;
    }
    struct byte_source src = {.db = db, .tenant_id = tenant_id, .import_id = import_id};
    int rc = stage_and_apply(db, tenant_id, im.connection_id, import_id, im.format, im.name,
                             im.rows_total, &src, fn, ctx, res);
    if (rc == 0 || res->refused)
        clean(db, tenant_id, import_id, 1);
    return rc;
}

void csv_import_give_up(db_t *db, long long tenant_id, long long import_id, const char *message)
{
    set_status(db, tenant_id, import_id, "failed", message);
    clean(db, tenant_id, import_id, 1);
}

int csv_import_file(db_t *db, long long tenant_id, long long connection_id, long long user_id,
                    enum recon_format format, const char *path, const char *display_name,
                    struct csv_import_result *res)
{
    if (csv_import_check(format, path, res) < 0) {
        csv_import_record_refused(db, tenant_id, connection_id, user_id, format, display_name, res);
        return -1;
    }
    long rows = res->rows;
    long long id = 0;
    if (insert_import(db, tenant_id, connection_id, user_id, format, display_name, "queued", rows, "",
                      &id) < 0) {
        res->refused = 1;
        snprintf(res->message, sizeof res->message, "Nothing was imported: %s.", db_error(db));
        return -1;
    }
    struct byte_source src = {.path = path};
    int rc = stage_and_apply(db, tenant_id, connection_id, id, format, display_name, rows, &src,
                             NULL, NULL, res);
    if (rc < 0 && !res->refused)
        set_status(db, tenant_id, id, "failed", res->message);
    clean(db, tenant_id, id, 1);
    return rc;
}
