/* conn_shared.c: a connection's cached values and each PSA instance's budget in MariaDB (see
 * conn_shared.h and sql/016). Every statement is one row's atomic update, so any number of
 * workers and hosts count against one budget without a lock held across a call. */
#include "db/conn_shared.h"

#include "common/crypto.h"
#include "common/log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int share_percent = 50, check_seconds = 300;

void conn_shared_configure(int budget_share_percent, int threshold_check_seconds)
{
    share_percent = budget_share_percent;
    check_seconds = threshold_check_seconds;
}

struct shared_ctx {
    db_t *db;
    int has_key;
    unsigned char key[CRYPTO_KEY_BYTES];
};

static db_t *db_of(const struct conn *c) { return ((struct shared_ctx *)c->shared_ctx)->db; }

/* ---- cached values ---------------------------------------------------------------------------- */

static int cache_get(const struct conn *c, const char *key, char *buf, size_t n)
{
    struct shared_ctx *x = c->shared_ctx;
    struct dbrows r;
    if (!x->has_key || db_query(x->db,
                                "SELECT sealed FROM connection_cache WHERE connection_id = ? AND k = ?"
                                " AND tenant_id = ? AND expires_at > UTC_TIMESTAMP(6)",
                                DB_PARAMS(DB_INT(c->id), DB_STR(key), DB_INT(c->tenant_id)), &r) < 0)
        return 0;
    int found = 0;
    char *plain = NULL;
    size_t len = 0;
    if (r.nrows == 1 && crypto_open(x->key, dbrows_get(&r, 0, 0), &plain, &len) == 0 && len < n) {
        memcpy(buf, plain, len + 1);
        found = 1;
    }
    crypto_free_secret(plain, len);
    dbrows_free(&r);
    return found;
}

static void cache_put(const struct conn *c, const char *key, const char *value, long ttl_s)
{
    struct shared_ctx *x = c->shared_ctx;
    char *sealed = NULL;
    if (!x->has_key || ttl_s <= 0 || crypto_seal(x->key, value, strlen(value), &sealed) < 0)
        return;
    if (db_exec(x->db,
                "INSERT INTO connection_cache (tenant_id, connection_id, k, sealed, expires_at)"
                " VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND)"
                " ON DUPLICATE KEY UPDATE sealed = VALUES(sealed), expires_at = VALUES(expires_at)",
                DB_PARAMS(DB_INT(c->tenant_id), DB_INT(c->id), DB_STR(key), DB_STR(sealed), DB_INT(ttl_s)), NULL,
                NULL) < 0)
        log_warn("connection %lld: cannot keep %s: %s", c->id, key, db_error(x->db));
    free(sealed);
}

int conn_shared_forget(db_t *db, long long tenant_id, long long connection_id)
{
    return db_exec(db, "DELETE FROM connection_cache WHERE tenant_id = ? AND connection_id = ?",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(connection_id)), NULL, NULL);
}

/* ---- the budget --------------------------------------------------------------------------------- */

/* The instance's row exists (its cap is Autotask's documented 10,000 until Autotask says). */
static void ensure_row(const struct conn *c, const char *instance)
{
    long long cap = !strncmp(instance, "autotask:", 9) ? 10000 : 0;
    db_exec(db_of(c),
            "INSERT IGNORE INTO psa_budget (instance, system, tenant_id, connection_id, cap) VALUES (?, ?, ?, ?, ?)",
            DB_PARAMS(DB_STR(instance), DB_STR(c->system ? c->system : ""), DB_INT(c->tenant_id), DB_INT(c->id),
                      DB_INT(cap)),
            NULL, NULL);
}

/* Every integration's calls this hour as far as known: the PSA's own count when it is from this
 * hour plus billsync's calls since; else billsync's own calls this hour. */
#define ESTIMATE                                                                                     \
    "IF(reported IS NOT NULL AND reported_at > UTC_TIMESTAMP(6) - INTERVAL 1 HOUR,"                \
    " reported + since_report, IF(window_start <= UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, 0, window_calls))"

static long budget_refusal(const struct conn *c, const char *instance, char *why, size_t n)
{
    struct dbrows r;
    /* The database cannot say: the call goes, as it would without billsync's budget. */
    if (db_query(db_of(c),
                 "SELECT COALESCE(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), paused_until) DIV 1000, 0),"
                 " " ESTIMATE ", cap, FLOOR(cap * ? / 100) FROM psa_budget WHERE instance = ?",
                 DB_PARAMS(DB_INT(share_percent), DB_STR(instance)), &r) < 0)
        return 0;
    if (r.nrows != 1) {
        dbrows_free(&r);
        return 0;
    }
    long long paused = dbrows_int(&r, 0, 0, 0), used = dbrows_int(&r, 0, 1, 0), cap = dbrows_int(&r, 0, 2, 0),
              allowed = dbrows_int(&r, 0, 3, 0);
    dbrows_free(&r);
    if (paused > 0)
        return (long)paused + 1; /* a 429 paused every worker: wait it out */
    db_exec(db_of(c), "UPDATE psa_budget SET refused = refused + 1, tenant_id = ?, connection_id = ? WHERE instance = ?",
            DB_PARAMS(DB_INT(c->tenant_id), DB_INT(c->id), DB_STR(instance)), NULL, NULL);
    snprintf(why, n, "billsync's share of this PSA's hourly request limit is used: %lld calls counted this hour"
             " against %lld allowed (%d%% of %lld); billsync waits for the count to drop", used, allowed,
             share_percent, cap);
    return -1;
}

static long call_begin(const struct conn *c, const char *instance, char *why, size_t n)
{
    uint64_t affected = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (db_exec(db_of(c),
                    "UPDATE psa_budget SET"
                    " window_calls = IF(window_start <= UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, 1, window_calls + 1),"
                    " window_start = IF(window_start <= UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, UTC_TIMESTAMP(6),"
                    "  window_start),"
                    " refused = IF(window_calls = 1, 0, refused), since_report = since_report + 1,"
                    " tenant_id = ?, connection_id = ?" /* the pages show it to the connection that called last */
                    " WHERE instance = ? AND (paused_until IS NULL OR paused_until <= UTC_TIMESTAMP(6))"
                    " AND (cap = 0 OR " ESTIMATE " < FLOOR(cap * ? / 100))",
                    DB_PARAMS(DB_INT(c->tenant_id), DB_INT(c->id), DB_STR(instance), DB_INT(share_percent)),
                    &affected, NULL) < 0)
            return 0; /* the database is away: calls go as they would without a budget */
        if (affected == 1)
            return 0;
        if (pass == 0)
            ensure_row(c, instance); /* the first call to this instance */
    }
    return budget_refusal(c, instance, why, n);
}

static void call_throttled(const struct conn *c, const char *instance, long retry_after_s)
{
    db_exec(db_of(c),
            "UPDATE psa_budget SET paused_until = GREATEST(COALESCE(paused_until, UTC_TIMESTAMP(6)),"
            " UTC_TIMESTAMP(6) + INTERVAL ? SECOND) WHERE instance = ?",
            DB_PARAMS(DB_INT(retry_after_s > 0 ? retry_after_s : 30), DB_STR(instance)), NULL, NULL);
}

static int count_due(const struct conn *c, const char *instance)
{
    uint64_t affected = 0;
    ensure_row(c, instance);
    /* One worker claims the question; the others use its answer. */
    if (db_exec(db_of(c),
                "UPDATE psa_budget SET asked_at = UTC_TIMESTAMP(6) WHERE instance = ?"
                " AND (asked_at IS NULL OR asked_at <= UTC_TIMESTAMP(6) - INTERVAL ? SECOND)",
                DB_PARAMS(DB_STR(instance), DB_INT(check_seconds)), &affected, NULL) < 0)
        return 0;
    return affected == 1;
}

static void count_report(const struct conn *c, const char *instance, long cap, long used)
{
    db_exec(db_of(c),
            "UPDATE psa_budget SET cap = ?, reported = ?, reported_at = UTC_TIMESTAMP(6), since_report = 0,"
            " window_calls = IF(window_start <= UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, 1, window_calls + 1),"
            " window_start = IF(window_start <= UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, UTC_TIMESTAMP(6), window_start)"
            " WHERE instance = ?",
            DB_PARAMS(DB_INT(cap > 0 ? cap : 10000), DB_INT(used), DB_STR(instance)), NULL, NULL);
}

static const struct conn_shared shared = {cache_get, cache_put, call_begin, call_throttled, count_due, count_report};

int conn_shared_attach(struct conn *c, db_t *db, const unsigned char *key)
{
    struct shared_ctx *x = calloc(1, sizeof *x);
    if (!x)
        return -1;
    x->db = db;
    if (key) {
        memcpy(x->key, key, sizeof x->key);
        x->has_key = 1;
    }
    c->shared = &shared;
    c->shared_ctx = x;
    return 0;
}

void conn_shared_detach(struct conn *c)
{
    if (c->shared_ctx) {
        sodium_memzero(c->shared_ctx, sizeof(struct shared_ctx)); /* it holds the secret key */
        free(c->shared_ctx);
    }
    c->shared = NULL;
    c->shared_ctx = NULL;
}

/* ---- what the pages show ----------------------------------------------------------------------- */

static void budget_fill(const struct dbrows *r, int i, void *p)
{
    struct psa_budget_row *b = p;
    b->instance = dbrows_get(r, i, 0);
    b->system = dbrows_get(r, i, 1);
    b->connection_id = dbrows_int(r, i, 2, 0);
    b->calls_hour = dbrows_int(r, i, 3, 0);
    b->cap = dbrows_int(r, i, 4, 0);
    b->allowed = dbrows_int(r, i, 5, 0);
    b->estimate = dbrows_int(r, i, 6, 0);
    b->refused = dbrows_int(r, i, 7, 0);
    b->reported_at = dbrows_get(r, i, 8);
    b->paused_until = dbrows_get(r, i, 9);
}

int psa_budget_rows(db_t *db, long long tenant_id, struct psa_budget_list *out)
{
    return DB_LIST_QUERY(db, out, budget_fill,
                         "SELECT instance, system, connection_id,"
                         " IF(window_start <= UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, 0, window_calls), cap,"
                         " FLOOR(cap * ? / 100), " ESTIMATE ","
                         " IF(window_start <= UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, 0, refused),"
                         " COALESCE(DATE_FORMAT(reported_at, '%Y-%m-%d %H:%i UTC'), ''),"
                         " IF(paused_until > UTC_TIMESTAMP(6), DATE_FORMAT(paused_until, '%H:%i:%s UTC'), '')"
                         " FROM psa_budget WHERE ? = 0 OR tenant_id = ? ORDER BY tenant_id, connection_id, instance",
                         DB_PARAMS(DB_INT(share_percent), DB_INT(tenant_id), DB_INT(tenant_id)));
}
