/* db.c: the one MariaDB access path: prepared statements with bound parameters only,
 * a per-connection statement cache, reconnect on a lost server (to the next node of a
 * Galera cluster), whole-transaction retry on deadlock and certification failure. */
#include "db/db.h"
#include "common/db_hosts.h"

#include "common/config.h"
#include "common/log.h"

#include <errno.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CACHE_SLOTS 256
#define CELL_INIT 256

struct cached_stmt {
    char *sql;
    MYSQL_STMT *stmt;
};

struct db {
    MYSQL *my;
    const struct config *cfg;
    int connected;
    struct cached_stmt cache[CACHE_SLOTS];
    char err[512];
    unsigned errnum;
    unsigned io_timeout_s;        /* 0: db.timeout; else this (a bulk connection) */
    int limit_ms;                 /* session max_statement_time; 0: the server's (none) */
    int in_txn;                   /* between db_begin and db_commit/db_rollback */
    int host_at;                  /* db.host's entry tried first at the next connect */
};

#define RETRIES 8

unsigned long db_retries;

/* Client-side codes meaning "the connection is gone" (2006/2013) or that the server no
 * longer knows our prepared statements (1243, seen after a reconnect): re-prepare. */
static int is_lost(unsigned e) { return e == 2006 || e == 2013 || e == 1243 || e == 2055; }

/* Deadlock (1213: InnoDB's, and Galera's certification failure or brute-force abort) and
 * lock wait timeout (1205): the server rolled the statement's transaction back; running
 * the whole transaction again is safe. */
static int is_conflict(unsigned e) { return e == 1213 || e == 1205; }

/* 1047 "WSREP has not yet prepared node for application use": a Galera node that is
 * joining, or cut off from the cluster's majority, refuses every statement before running
 * it. Another node may take it. */
static int is_node_refused(unsigned e) { return e == 1047; }

/* 10, 20, 40 ... 640 ms, plus up to as much again at random: two writers that keep meeting
 * on one row (a tenant's generation counter, on two Galera nodes) drift apart. */
static void backoff(int attempt)
{
    long ms = 10L << (attempt < 6 ? attempt : 6);
    ms += rand() % (ms + 1);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void set_err(db_t *db, unsigned num, const char *msg)
{
    db->errnum = num;
    snprintf(db->err, sizeof db->err, "%s", msg ? msg : "unknown database error");
}

static void cache_clear(db_t *db)
{
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (db->cache[i].stmt)
            mysql_stmt_close(db->cache[i].stmt);
        free(db->cache[i].sql);
        db->cache[i].sql = NULL;
        db->cache[i].stmt = NULL;
    }
}

/* A new client handle with billsync's options; init is the session's set-up statement. */
static int new_handle(db_t *db, const char *init)
{
    const struct config *cfg = db->cfg;
    if (db->my)
        mysql_close(db->my);
    db->my = mysql_init(NULL);
    if (!db->my) {
        set_err(db, 0, "out of memory");
        return -1;
    }
    unsigned int t = (unsigned int)cfg->db_timeout, io = db->io_timeout_s ? db->io_timeout_s : t;
    my_bool off = 0;
    mysql_optionsv(db->my, MYSQL_OPT_CONNECT_TIMEOUT, &t);
    mysql_optionsv(db->my, MYSQL_OPT_READ_TIMEOUT, &io);
    mysql_optionsv(db->my, MYSQL_OPT_WRITE_TIMEOUT, &io);
    mysql_optionsv(db->my, MYSQL_OPT_RECONNECT, &off);
    mysql_optionsv(db->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_optionsv(db->my, MYSQL_INIT_COMMAND, init);
    return 0;
}

static int connect_now(db_t *db)
{
    const struct config *cfg = db->cfg;
    db->connected = 0;
    const char *sock = cfg->db_socket[0] ? cfg->db_socket : NULL;
    struct db_host hosts[DB_HOSTS_MAX];
    int nhosts = 1;
    if (cfg->db_host[0]) {
        /* the socket stays: libmariadb uses it for "localhost" only, as before */
        nhosts = db_hosts_parse(cfg->db_host, cfg->db_port, hosts, DB_HOSTS_MAX);
        if (nhosts < 1) {         /* config_load refused it already; a library caller may not */
            set_err(db, 0, "db.host is not a list of host[:port]");
            return -1;
        }
    } else {
        snprintf(hosts[0].name, sizeof hosts[0].name, "%s", sock ? "localhost" : "127.0.0.1");
        hosts[0].port = cfg->db_port;
    }
    /* The limit is a number from the config, not request data: it may be part of the text.
     * A cluster: a page written through one node and read through another (a session, a
     * job's state) must see the write (causal reads). */
    char init[300], limit[64] = "";
    if (db->limit_ms)
        snprintf(limit, sizeof limit, ", max_statement_time=%d.%03d", db->limit_ms / 1000,
                 db->limit_ms % 1000);
    snprintf(init, sizeof init,
             "SET time_zone='+00:00', sql_mode='STRICT_ALL_TABLES,NO_ZERO_DATE,"
             "NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'%s%s", limit,
             nhosts > 1 ? ", wsrep_sync_wait=1" : "");
    /* Every node in the listed order, from the one that answered last: a node that died
     * (or refused with 1047) is passed over until the others have failed too. A failed
     * connect leaves its handle unusable: each try takes a new one. */
    int first = db->host_at % nhosts;
    for (int k = 0; k < nhosts; k++) {
        int i = (first + k) % nhosts;
        if (new_handle(db, init) < 0)
            return -1;
        if (mysql_real_connect(db->my, hosts[i].name, cfg->db_user, cfg->db_password,
                               cfg->db_name, (unsigned)hosts[i].port, sock, 0)) {
            if (nhosts > 1 && i != db->host_at)
                log_warn("db: connected to %s:%d", hosts[i].name, hosts[i].port);
            db->host_at = i;
            db->connected = 1;
            return 0;
        }
        set_err(db, mysql_errno(db->my), mysql_error(db->my));
        if (nhosts > 1)
            log_warn("db: %s:%d: %s", hosts[i].name, hosts[i].port, db->err);
    }
    return -1;
}

/* The node refused (1047) or went away: the next connect starts at the next one. */
static void leave_node(db_t *db)
{
    db->host_at++;                /* taken modulo the list at the next connect */
}

static int reconnect(db_t *db)
{
    cache_clear(db);
    log_warn("db: reconnecting after error %u", db->errnum);
    return connect_now(db);
}

static db_t *open_now(const struct config *cfg, unsigned io_timeout_s, char *err, size_t errlen)
{
    db_t *db = calloc(1, sizeof *db);
    if (!db) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    db->cfg = cfg;
    db->io_timeout_s = io_timeout_s;
    if (connect_now(db) < 0) {
        snprintf(err, errlen, "%s", db->err);
        db_close(db);
        return NULL;
    }
    return db;
}

db_t *db_open(const struct config *cfg, char *err, size_t errlen) { return open_now(cfg, 0, err, errlen); }

db_t *db_open_bulk(const struct config *cfg, char *err, size_t errlen)
{
    return open_now(cfg, DB_BULK_TIMEOUT_S, err, errlen);
}

db_t *db_lazy(const struct config *cfg)
{
    db_t *db = calloc(1, sizeof *db);
    if (db)
        db->cfg = cfg;
    return db;
}

void db_close(db_t *db)
{
    if (!db)
        return;
    cache_clear(db);
    if (db->my)
        mysql_close(db->my);
    free(db);
}

const char *db_error(db_t *db) { return db->err; }
unsigned db_errno(db_t *db) { return db->errnum; }
void db_clear_error(db_t *db) { set_err(db, 0, ""); }
int db_timed_out(db_t *db) { return db->errnum == DB_ER_STATEMENT_TIMEOUT; }

/* Closes the connection at once, the statement in flight with it: the server stops that
 * statement when it next writes to the closed socket, instead of this child reading (and
 * throwing away) every row still to come. The next call reconnects. */
static void drop_connection(db_t *db)
{
    if (db->my)                   /* first: closing a statement first would drain its rows */
        mysql_close(db->my);
    cache_clear(db);              /* the statements were detached by the close */
    db->my = NULL;
    db->connected = 0;
}

int db_statement_limit(db_t *db, int ms)
{
    if (ms < 0)
        ms = 0;
    if (ms == db->limit_ms)
        return 0;
    db->limit_ms = ms;
    if (!db->connected)
        return 0;                 /* connect_now sets it */
    return db_exec(db, "SET SESSION max_statement_time = ? / 1000", DB_PARAMS(DB_INT(ms)), NULL, NULL);
}

int db_ping(db_t *db)
{
    if (db->connected && mysql_ping(db->my) == 0)
        return 0;
    set_err(db, db->my ? mysql_errno(db->my) : 2006, db->my ? mysql_error(db->my) : "no connection");
    return reconnect(db);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Returns the cached prepared statement for sql, preparing it on first use. */
static MYSQL_STMT *prepare(db_t *db, const char *sql)
{
    if (!db->connected && connect_now(db) < 0)
        return NULL;
    uint64_t h = fnv1a(sql);
    int slot = -1;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        int k = (int)((h + (uint64_t)i) % CACHE_SLOTS);
        if (!db->cache[k].sql) {
            slot = k;
            break;
        }
        if (strcmp(db->cache[k].sql, sql) == 0)
            return db->cache[k].stmt;
    }
    if (slot < 0) {               /* full: start over rather than grow without bound */
        cache_clear(db);
        slot = (int)(h % CACHE_SLOTS);
    }
    MYSQL_STMT *st = mysql_stmt_init(db->my);
    if (!st) {
        set_err(db, mysql_errno(db->my), mysql_error(db->my));
        return NULL;
    }
    if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql))) {
        set_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
        mysql_stmt_close(st);
        return NULL;
    }
    db->cache[slot].sql = strdup(sql);
    if (!db->cache[slot].sql) {
        mysql_stmt_close(st);
        set_err(db, 0, "out of memory");
        return NULL;
    }
    db->cache[slot].stmt = st;
    return st;
}

/* Binds p and executes. One function on purpose: MYSQL_BIND.length points at lens[], and
 * libmariadb reads it during execute, so both must happen while lens[] is alive. */
static int bind_and_execute(db_t *db, MYSQL_STMT *st, const struct dbv *p, int np)
{
    if ((int)mysql_stmt_param_count(st) != np) {
        char m[96];
        snprintf(m, sizeof m, "statement wants %lu parameters, got %d",
                 mysql_stmt_param_count(st), np);
        set_err(db, 0, m);
        return -1;
    }
    MYSQL_BIND b[np ? np : 1];
    unsigned long lens[np ? np : 1];
    memset(b, 0, sizeof b);
    for (int i = 0; i < np; i++) {
        switch (p[i].type) {
        case DBV_NULL:
            b[i].buffer_type = MYSQL_TYPE_NULL;
            break;
        case DBV_INT:
            b[i].buffer_type = MYSQL_TYPE_LONGLONG;
            b[i].buffer = (void *)&p[i].i;
            break;
        case DBV_STR:
        case DBV_BLOB:
            b[i].buffer_type = p[i].type == DBV_STR ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
            b[i].buffer = (void *)p[i].s;
            lens[i] = (unsigned long)p[i].len;
            b[i].buffer_length = lens[i];
            b[i].length = &lens[i];
            break;
        }
    }
    if ((np && mysql_stmt_bind_param(st, b)) || mysql_stmt_execute(st)) {
        set_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
        return -1;
    }
    return 0;
}

static int is_read(const char *sql)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '(')
        sql++;
    return strncasecmp(sql, "SELECT", 6) == 0;
}

/* Prepares, binds and executes, and runs the statement again when that is safe: a Galera
 * node refused it before running it (1047: on the next node); outside a transaction, a
 * deadlock or certification failure rolled it back (1213/1205); the connection was lost
 * and the statement is a read or never reached the server. Inside a transaction nothing is
 * run again here: db_txn runs the whole transaction. */
static MYSQL_STMT *run(db_t *db, const char *sql, const struct dbv *p, int np)
{
    if (db->in_txn && !db->connected) {
        /* the transaction died with its connection: nothing may run outside it */
        set_err(db, 2013, "the transaction's connection was lost");
        return NULL;
    }
    for (int attempt = 0; attempt < RETRIES; attempt++) {
        MYSQL_STMT *st = prepare(db, sql);
        if (st && bind_and_execute(db, st, p, np) == 0)
            return st;
        if (db->errnum == 0)      /* out of memory, or a parameter count mismatch */
            return NULL;
        if (st)
            mysql_stmt_reset(st);
        unsigned e = db->errnum;
        if (is_node_refused(e))
            leave_node(db);       /* the next connect starts at the next node */
        if (is_node_refused(e) || is_lost(e)) {
            log_warn("db: reconnecting after error %u", e);
            drop_connection(db);  /* the next call reconnects; a lost write's fate is the caller's */
        }
        if (db->in_txn)
            return NULL;
        int again = is_node_refused(e) || is_conflict(e) ||
                    (is_lost(e) && attempt == 0 && (!st || is_read(sql) || e == 1243));
        if (!again)
            return NULL;
        if (!is_lost(e)) {
            db_retries++;
            backoff(attempt);
        }
    }
    return NULL;
}

int db_exec(db_t *db, const char *sql, const struct dbv *p, int np, uint64_t *affected,
            uint64_t *insert_id)
{
    MYSQL_STMT *st = run(db, sql, p, np);
    if (!st)
        return -1;
    if (affected)
        *affected = mysql_stmt_affected_rows(st);
    if (insert_id)
        *insert_id = mysql_stmt_insert_id(st);
    mysql_stmt_free_result(st);
    return 0;
}

struct fetcher {
    int ncols;
    MYSQL_BIND *bind;
    char **buf;
    unsigned long *len, *cap;
    my_bool *is_null;
};

static void fetcher_free(struct fetcher *f)
{
    for (int i = 0; i < f->ncols; i++)
        free(f->buf ? f->buf[i] : NULL);
    free(f->bind);
    free(f->buf);
    free(f->len);
    free(f->cap);
    free(f->is_null);
}

static int fetcher_init(db_t *db, MYSQL_STMT *st, struct fetcher *f)
{
    memset(f, 0, sizeof *f);
    f->ncols = (int)mysql_stmt_field_count(st);
    int n = f->ncols ? f->ncols : 1;
    f->bind = calloc((size_t)n, sizeof *f->bind);
    f->buf = calloc((size_t)n, sizeof *f->buf);
    f->len = calloc((size_t)n, sizeof *f->len);
    f->cap = calloc((size_t)n, sizeof *f->cap);
    f->is_null = calloc((size_t)n, sizeof *f->is_null);
    if (!f->bind || !f->buf || !f->len || !f->cap || !f->is_null)
        goto oom;
    for (int i = 0; i < f->ncols; i++) {
        f->cap[i] = CELL_INIT;
        f->buf[i] = malloc(CELL_INIT);
        if (!f->buf[i])
            goto oom;
        f->bind[i].buffer_type = MYSQL_TYPE_STRING;
        f->bind[i].buffer = f->buf[i];
        f->bind[i].buffer_length = CELL_INIT - 1;
        f->bind[i].length = &f->len[i];
        f->bind[i].is_null = &f->is_null[i];
    }
    if (f->ncols && mysql_stmt_bind_result(st, f->bind)) {
        set_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
        fetcher_free(f);
        return -1;
    }
    return 0;
oom:
    set_err(db, 0, "out of memory");
    fetcher_free(f);
    return -1;
}

/* Fetches the next row into f's buffers (growing them for long values).
 * 1 = row, 0 = end, -1 = error. */
static int fetch_row(db_t *db, MYSQL_STMT *st, struct fetcher *f)
{
    int rc = mysql_stmt_fetch(st);
    if (rc == MYSQL_NO_DATA)
        return 0;
    if (rc == 1) {
        /* an error packet mid-stream (KILL, max_statement_time) is the connection's */
        if (mysql_stmt_errno(st))
            set_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
        else
            set_err(db, mysql_errno(db->my), mysql_error(db->my));
        return -1;
    }
    for (int i = 0; i < f->ncols; i++) {
        if (f->is_null[i])
            continue;
        if (f->len[i] >= f->cap[i]) {
            unsigned long want = f->len[i] + 1;
            char *nb = realloc(f->buf[i], want);
            if (!nb) {
                set_err(db, 0, "out of memory");
                return -1;
            }
            f->buf[i] = nb;
            f->cap[i] = want;
            f->bind[i].buffer = nb;
            f->bind[i].buffer_length = want - 1;
            if (mysql_stmt_fetch_column(st, &f->bind[i], (unsigned)i, 0)) {
                set_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
                return -1;
            }
            /* the wider buffer must be bound for the following rows too */
            mysql_stmt_bind_result(st, f->bind);
        }
        f->buf[i][f->len[i]] = 0;
    }
    return 1;
}

int db_query(db_t *db, const char *sql, const struct dbv *p, int np, struct dbrows *out)
{
    memset(out, 0, sizeof *out);
    MYSQL_STMT *st = run(db, sql, p, np);
    if (!st)
        return -1;
    struct fetcher f;
    if (fetcher_init(db, st, &f) < 0) {
        mysql_stmt_free_result(st);
        return -1;
    }
    if (mysql_stmt_store_result(st)) {
        set_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
        fetcher_free(&f);
        return -1;
    }
    out->ncols = f.ncols;
    size_t cap = 0;
    int rc;
    while ((rc = fetch_row(db, st, &f)) == 1) {
        size_t need = (size_t)(out->nrows + 1) * (size_t)f.ncols;
        if (need > cap) {
            size_t ncap = cap ? cap * 2 : (size_t)f.ncols * 16;
            while (ncap < need)
                ncap *= 2;
            char **nc = realloc(out->cell, ncap * sizeof *nc);
            size_t *nl = nc ? realloc(out->len, ncap * sizeof *nl) : NULL;
            if (nc)
                out->cell = nc;
            if (!nl) {
                rc = -1;
                set_err(db, 0, "out of memory");
                break;
            }
            out->len = nl;
            cap = ncap;
        }
        for (int c = 0; c < f.ncols; c++) {
            size_t k = (size_t)out->nrows * (size_t)f.ncols + (size_t)c;
            out->cell[k] = f.is_null[c] ? NULL : strndup(f.buf[c], f.len[c]);
            out->len[k] = f.is_null[c] ? 0 : f.len[c];
        }
        out->nrows++;
    }
    fetcher_free(&f);
    mysql_stmt_free_result(st);
    if (rc < 0) {
        dbrows_free(out);
        return -1;
    }
    return 0;
}

int db_stream(db_t *db, const char *sql, const struct dbv *p, int np, db_row_fn fn, void *ctx)
{
    MYSQL_STMT *st = run(db, sql, p, np);
    if (!st)
        return -1;
    struct fetcher f;
    if (fetcher_init(db, st, &f) < 0) {
        mysql_stmt_free_result(st);
        return -1;
    }
    int rc;
    char *cells[f.ncols ? f.ncols : 1];
    size_t lens[f.ncols ? f.ncols : 1];
    while ((rc = fetch_row(db, st, &f)) == 1) {
        for (int c = 0; c < f.ncols; c++) {
            cells[c] = f.is_null[c] ? NULL : f.buf[c];
            lens[c] = f.is_null[c] ? 0 : f.len[c];
        }
        int stop = fn(ctx, f.ncols, cells, lens);
        if (stop < 0) {           /* abandoned (the reader is gone): cancel, do not drain */
            fetcher_free(&f);
            set_err(db, 0, "the statement was abandoned by its reader");
            drop_connection(db);
            return -1;
        }
        if (stop) {
            rc = 0;
            break;
        }
    }
    fetcher_free(&f);
    mysql_stmt_free_result(st);   /* discards any unread rows of an early stop */
    mysql_stmt_reset(st);
    return rc < 0 ? -1 : 0;
}

int db_like_pattern(const char *q, char *out, size_t n)
{
    size_t k = 0;
    if (n < 3) {
        if (n)
            out[0] = 0;
        return -1;
    }
    out[k++] = '%';
    int rc = 0;
    while (q && *q) {
        unsigned char c = (unsigned char)*q;
        /* one whole character at a time, so a cut never splits an escape or UTF-8 sequence */
        size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        int esc = c == '%' || c == '_' || c == '\\';
        size_t have = strnlen(q, len);
        if (k + (size_t)esc + have + 2 > n) {
            rc = -1;
            break;
        }
        if (esc)
            out[k++] = '\\';
        memcpy(out + k, q, have);
        k += have;
        q += have;
    }
    out[k++] = '%';
    out[k] = 0;
    return rc;
}

int db_scalar(db_t *db, const char *sql, const struct dbv *p, int np, long long *out)
{
    struct dbrows r;
    if (db_query(db, sql, p, np, &r) < 0)
        return -1;
    int found = r.nrows > 0 && r.ncols > 0;
    if (found)
        *out = dbrows_int(&r, 0, 0, 0);
    dbrows_free(&r);
    return found;
}

long long dbrows_int(const struct dbrows *r, int row, int col, long long dflt)
{
    const char *s = dbrows_get(r, row, col);
    if (!s)
        return dflt;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return (errno || end == s) ? dflt : v;
}

int dbrows_each(const struct dbrows *r, db_row_fn fn, void *ctx)
{
    int rc = 0;
    for (int i = 0; i < r->nrows && rc == 0; i++)
        rc = fn(ctx, r->ncols, &r->cell[(size_t)i * (size_t)r->ncols], &r->len[(size_t)i * (size_t)r->ncols]);
    return rc < 0 ? -1 : 0;
}

void dbrows_free(struct dbrows *r)
{
    if (r->cell)
        for (int i = 0; i < r->nrows * r->ncols; i++)
            free(r->cell[i]);
    free(r->cell);
    free(r->len);
    memset(r, 0, sizeof *r);
}

void *db_list_fill_(struct dbrows *rows, size_t elem, db_fill_fn fill, int *n)
{
    *n = 0;
    if (rows->nrows <= 0)
        return NULL;
    char *v = calloc((size_t)rows->nrows, elem);
    if (!v) {
        dbrows_free(rows);
        *n = -1;
        return NULL;
    }
    for (int i = 0; i < rows->nrows; i++)
        fill(rows, i, v + (size_t)i * elem);
    *n = rows->nrows;
    return v;
}

void db_list_free_(struct dbrows *rows, void *v)
{
    free(v);
    dbrows_free(rows);
}

static int simple(db_t *db, const char *sql)
{
    if (!db->connected && connect_now(db) < 0)
        return -1;
    if (mysql_real_query(db->my, sql, (unsigned long)strlen(sql))) {
        set_err(db, mysql_errno(db->my), mysql_error(db->my));
        if (is_node_refused(db->errnum))
            leave_node(db);
        if (is_lost(db->errnum) || is_node_refused(db->errnum))
            drop_connection(db);
        return -1;
    }
    return 0;
}

int db_begin(db_t *db)
{
    int rc = simple(db, "START TRANSACTION");
    db->in_txn = rc == 0;
    return rc;
}

int db_commit(db_t *db)
{
    int rc = -1;
    if (db->in_txn && !db->connected)   /* never COMMIT on a new connection: nothing to commit */
        set_err(db, 2013, "the transaction's connection was lost");
    else
        rc = simple(db, "COMMIT");
    db->in_txn = 0;
    return rc;
}

/* A transaction whose connection is gone was rolled back by the server: nothing to send. */
int db_rollback(db_t *db)
{
    int rc = db->connected ? simple(db, "ROLLBACK") : 0;
    db->in_txn = 0;
    return rc;
}

/* READ COMMITTED for one transaction: its plain reads take no row locks, so a statement
 * that reads a million rows (INSERT ... SELECT) holds locks only on the rows it writes. */
static int begin_read_committed(db_t *db)
{
    return simple(db, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED") < 0 ? -1 : db_begin(db);
}

static int txn(db_t *db, int read_committed, db_txn_fn fn, void *ctx)
{
    for (int attempt = 0;; attempt++) {
        int began = (read_committed ? begin_read_committed(db) : db_begin(db)) == 0;
        int rc = -1;
        if (began) {
            rc = fn(db, ctx);
            if (rc == 0 && db_commit(db) == 0)
                return 0;
            unsigned e = db->errnum;
            char keep[sizeof db->err];
            memcpy(keep, db->err, sizeof keep);
            db_rollback(db);
            db->errnum = e;
            memcpy(db->err, keep, sizeof keep);
        }
        /* Deadlock, lock-wait timeout and a Galera certification failure ask for the whole
         * transaction again, from START TRANSACTION (a COMMIT that "succeeds" after an
         * error in the transaction did nothing); so does a node that refused it (1047: the
         * server ran none of it; the next attempt goes to another node). A lost connection
         * is retried only when nothing was sent yet: a lost COMMIT may have landed, and
         * only the caller's idempotency key can tell. */
        int retry = is_conflict(db->errnum) || is_node_refused(db->errnum) ||
                    (!began && is_lost(db->errnum));
        if (!retry || attempt >= RETRIES - 1)
            return rc ? rc : -1;
        db_retries++;
        backoff(attempt);
    }
}

int db_txn(db_t *db, db_txn_fn fn, void *ctx) { return txn(db, 0, fn, ctx); }
int db_txn_read_committed(db_t *db, db_txn_fn fn, void *ctx) { return txn(db, 1, fn, ctx); }

int db_exec_script(db_t *db, const char *sql, size_t len)
{
    if (!db->connected && connect_now(db) < 0)
        return -1;
    mysql_set_server_option(db->my, MYSQL_OPTION_MULTI_STATEMENTS_ON);
    int rc = 0;
    if (mysql_real_query(db->my, sql, (unsigned long)len)) {
        rc = -1;
    } else {
        for (;;) {
            MYSQL_RES *res = mysql_store_result(db->my);
            if (res)
                mysql_free_result(res);
            int more = mysql_next_result(db->my);
            if (more > 0) {
                rc = -1;
                break;
            }
            if (more < 0)
                break;
        }
    }
    if (rc)
        set_err(db, mysql_errno(db->my), mysql_error(db->my));
    mysql_set_server_option(db->my, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
    return rc;
}
