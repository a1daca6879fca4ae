/* db.h: the one MariaDB access path: prepared statements with bound parameters only,
 * a per-connection statement cache, reconnect on a lost server, whole-transaction retry. */
#ifndef BILLSYNC_DB_DB_H
#define BILLSYNC_DB_DB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct config;
typedef struct db db_t;

enum dbv_type { DBV_NULL, DBV_INT, DBV_STR, DBV_BLOB };

/* One bound parameter value. Build them with the DB_* macros below. */
struct dbv {
    enum dbv_type type;
    long long i;
    const char *s;
    size_t len;
};

#define DB_NULL ((struct dbv){.type = DBV_NULL})
#define DB_INT(x) ((struct dbv){.type = DBV_INT, .i = (long long)(x)})
#define DB_STR(x) db_str(x)
#define DB_BLOB(p, n) ((struct dbv){.type = DBV_BLOB, .s = (const char *)(p), .len = (n)})
#define DB_PARAMS(...) ((const struct dbv[]){__VA_ARGS__}), \
    (int)(sizeof((const struct dbv[]){__VA_ARGS__}) / sizeof(struct dbv))
#define DB_NONE NULL, 0

static inline struct dbv db_str(const char *s)
{
    struct dbv v = {.type = s ? DBV_STR : DBV_NULL, .s = s, .len = s ? strlen(s) : 0};
    return v;
}

/* A fully fetched result: rows × cols of NUL-terminated strings (NULL for SQL NULL). */
struct dbrows {
    int nrows, ncols;
    char **cell;                  /* nrows * ncols */
    size_t *len;                  /* byte length of each cell */
};

static inline const char *dbrows_get(const struct dbrows *r, int row, int col)
{
    return (row < r->nrows && col < r->ncols) ? r->cell[row * r->ncols + col] : NULL;
}
long long dbrows_int(const struct dbrows *r, int row, int col, long long dflt);
void dbrows_free(struct dbrows *r);

/* Typed rows: what a db_* function hands to web, worker and cli code, so that only the file
 * holding the SQL knows its column order. The header declares the record and its list,
 *     struct user_row { long long id; const char *email; ... };
 *     DB_LIST(user_list, struct user_row);
 * the db file fills the list from a query with a fill function reading row i by position,
 *     return DB_LIST_QUERY(db, out, user_fill, "SELECT id, email, ...", DB_PARAMS(...));
 * and callers read out.v[i].email (out.n records) and free with DB_LIST_FREE(&out). Strings
 * point into the list's rows (NULL for SQL NULL, as dbrows_get). */
#define DB_LIST(name, T) struct name { int n; T *v; struct dbrows rows; }
typedef void (*db_fill_fn)(const struct dbrows *r, int row, void *record);
/* n records of elem bytes, record i filled from row i; NULL when none. Out of memory: rows
 * freed, *n = -1. */
void *db_list_fill_(struct dbrows *rows, size_t elem, db_fill_fn fill, int *n);
void db_list_free_(struct dbrows *rows, void *v);
/* 0 ok, -1 out of memory (the list is then empty). */
#define DB_LIST_FILL(l, fill) \
    ((l)->v = db_list_fill_(&(l)->rows, sizeof *(l)->v, (fill), &(l)->n), (l)->n < 0 ? ((l)->n = 0, -1) : 0)
#define DB_LIST_FREE(l) (db_list_free_(&(l)->rows, (l)->v), (l)->v = NULL, (l)->n = 0)
/* db_query into a list: DB_LIST_QUERY(db, out, fill, sql, DB_PARAMS(...)); 0 ok, -1 error (the
 * list is then empty; DB_LIST_FREE is harmless). */
#define DB_LIST_QUERY(db, l, fill, sql, ...)                                                        \
    ((l)->v = NULL, (l)->n = 0,                                                                     \
     db_query((db), (sql), __VA_ARGS__, &(l)->rows) < 0 ? -1 : DB_LIST_FILL((l), (fill)))

/* Called once per row by db_stream: cells as above; return 0 for more, a positive value to
 * stop (the rest is read and discarded), a negative one to abandon the statement (its reader
 * is gone): the connection is closed at once, which cancels the statement on the server. */
typedef int (*db_row_fn)(void *ctx, int ncols, char **cells, size_t *lens);

db_t *db_open(const struct config *cfg, char *err, size_t errlen);
/* A connection for bulk statements (a million-row INSERT ... SELECT may run for minutes):
 * its reads and writes may wait DB_BULK_TIMEOUT_S instead of db.timeout, which is meant to
 * notice a dead server quickly. Connects at once, like db_open. */
#define DB_BULK_TIMEOUT_S 3600
db_t *db_open_bulk(const struct config *cfg, char *err, size_t errlen);
/* A handle that connects on first use (and after any loss): for servers that must keep
 * running while the database is down. NULL only when out of memory. */
db_t *db_lazy(const struct config *cfg);
void db_close(db_t *db);
/* Error text (no secrets) and MariaDB error number of the last failure on this handle. */
const char *db_error(db_t *db);
unsigned db_errno(db_t *db);
/* Forgets the last error (a web child calls it before each request). */
void db_clear_error(db_t *db);
/* MariaDB's ER_STATEMENT_TIMEOUT: a statement ran past max_statement_time. */
#define DB_ER_STATEMENT_TIMEOUT 1969
#define DB_ER_DUP_ENTRY 1062         /* a UNIQUE or PRIMARY KEY already holds the value */
/* 1 when the last failure was a statement stopped by db_statement_limit's limit. */
int db_timed_out(db_t *db);
/* Bounds every following statement of this connection (and of its reconnections) to ms
 * milliseconds of server time (MariaDB max_statement_time; 0 = no limit). The server
 * stops a statement that runs longer with DB_ER_STATEMENT_TIMEOUT. */
int db_statement_limit(db_t *db, int ms);
/* 0 when the server answers (reconnecting first if the connection was lost). */
int db_ping(db_t *db);

/* Statements. Each returns 0 on success and -1 on error (see db_error). */
int db_exec(db_t *db, const char *sql, const struct dbv *p, int np, uint64_t *affected,
            uint64_t *insert_id);
int db_query(db_t *db, const char *sql, const struct dbv *p, int np, struct dbrows *out);
/* Streams rows from an unbuffered result: constant memory whatever the row count. */
int db_stream(db_t *db, const char *sql, const struct dbv *p, int np, db_row_fn fn, void *ctx);
/* A fetched result handed to fn row by row, as db_stream would (a result read through a cache,
 * db/tenant_cache.h); 0, or -1 when fn abandons it. */
int dbrows_each(const struct dbrows *r, db_row_fn fn, void *ctx);
/* First column of the first row as an integer; 1 = found, 0 = no row, -1 = error. */
int db_scalar(db_t *db, const char *sql, const struct dbv *p, int np, long long *out);

/* Transactions. db_txn runs fn inside START TRANSACTION/COMMIT and retries the whole
 * transaction from the beginning on deadlock (1213) or lock wait timeout (1205). fn returns
 * 0 to commit, non-zero to roll back (that value is returned). */
int db_begin(db_t *db);
/* Statements and transactions this process ran again after a deadlock, a certification
 * failure or a refusing node (for /metrics and the scale benchmark's retries per job). */
extern unsigned long db_retries;
int db_commit(db_t *db);
int db_rollback(db_t *db);
typedef int (*db_txn_fn)(db_t *db, void *ctx);
int db_txn(db_t *db, db_txn_fn fn, void *ctx);
/* db_txn at READ COMMITTED: for bulk INSERT ... SELECT, whose reads then lock nothing. */
int db_txn_read_committed(db_t *db, db_txn_fn fn, void *ctx);

/* A LIKE pattern matching any value that contains q as literal text: "%" + q + "%" with
 * %, _ and \ escaped (MariaDB's default LIKE escape is \). out needs 2 * strlen(q) + 3
 * bytes; returns 0, or -1 when it does not fit (out then holds a shorter, still valid
 * pattern). NULL q is the empty text (matches everything). */
int db_like_pattern(const char *q, char *out, size_t n);

/* Plain SQL text with no parameters, for DDL in migrations only (multi-statement allowed). */
int db_exec_script(db_t *db, const char *sql, size_t len);

#endif
