/* tenant_cache.h: a tenant's expensive aggregate queries (the dashboard's figures, the
 * subscription reports' counts, totals and charts over 100,000 resources) answered from their
 * last result while the data behind them is unchanged (sql/014_tenant_cache.sql).
 *
 * A result is stored with the tenant's fingerprint when it was computed: its generation
 * (bumped by triggers in the same transaction as every change of its source, link and PSA-cache
 * rows) and, for a result that depends on the ledger (drift), the sums of its verified ledger
 * counters (sql/013). It is served only while the
 * fingerprint is the same, so a result is never older than the data a request could read: a
 * change committed while a result is being computed leaves a fingerprint that no longer
 * matches, and the next request computes again. Results are small (a few rows); a query
 * answering more than TCACHE_MAX_ROWS rows is not kept. */
#ifndef BILLSYNC_DB_TENANT_CACHE_H
#define BILLSYNC_DB_TENANT_CACHE_H

#include "db/db.h"

#define TCACHE_MAX_ROWS 2000
#define TCACHE_KEY_MAX 100

/* db_query through the cache. key names the query and every parameter value that changes its
 * answer (the tenant is implied); at most TCACHE_KEY_MAX bytes, else -1. ledger: the result
 * also depends on the verified ledger (drift). Returns as db_query; a failure to read or store
 * the cache is not an error (the query's own result is used). */
int tcache_query(db_t *db, long long tenant_id, const char *key, int ledger, const char *sql, const struct dbv *p,
                 int np, struct dbrows *out);

/* tcache_query keyed by prefix and the hash of the statement's text and every bound value:
 * the same query with the same values is the same result. */
int tcache_query_auto(db_t *db, long long tenant_id, const char *prefix, const char *sql, const struct dbv *p,
                      int np, struct dbrows *out);

/* How many times this process answered from the cache / computed (for tests and /metrics). */
extern long long tcache_hits, tcache_misses;

#endif
