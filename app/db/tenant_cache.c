/* tenant_cache.c: a tenant's aggregate results kept while its data is unchanged (see
 * tenant_cache.h). A result is stored as a JSON array of rows of strings (null for NULL). */
#include "db/tenant_cache.h"

#include "common/log.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long long tcache_hits, tcache_misses;

/* The fingerprint and the stored result (fp, v) of key, in one statement: the generation, and
 * for a result that depends on the ledger the sums of its verified counters (the flag). */
#define LOOKUP \
    "SELECT CONCAT_WS(':', COALESCE((SELECT gen FROM tenant_gen WHERE tenant_id = ?), 0)," \
    " IF(? = 0, '-', (SELECT CONCAT_WS(':', COALESCE(SUM(n), 0), COALESCE(SUM(units), 0)," \
    "  COALESCE(SUM(amount), 0)) FROM adjustment_days WHERE tenant_id = ? AND state = 'verified')))," \
    " c.fp, c.v FROM (SELECT 1) one LEFT JOIN tenant_cache c ON c.tenant_id = ? AND c.k = ?"

/* rows → JSON text (malloc'd), NULL when too large or out of memory */
static char *encode(const struct dbrows *r)
{
    if (r->nrows > TCACHE_MAX_ROWS)
        return NULL;
    json_t *all = json_array();
    for (int i = 0; all && i < r->nrows; i++) {
        json_t *row = json_array();
        for (int c = 0; row && c < r->ncols; c++) {
            const char *s = dbrows_get(r, i, c);
            json_array_append_new(row, s ? json_stringn(s, r->len[i * r->ncols + c]) : json_null());
        }
        if (!row || json_array_append_new(all, row) < 0) {
            json_decref(all);
            all = NULL;
        }
    }
    json_t *doc = all ? json_pack("{s:i,s:o}", "ncols", r->ncols, "rows", all) : NULL;
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return text;
}

/* JSON text → rows; -1 when it is not what encode() writes */
static int decode(const char *text, struct dbrows *out)
{
    memset(out, 0, sizeof *out);
    json_error_t err;
    json_t *doc = json_loads(text, 0, &err), *rows = json_object_get(doc, "rows");
    json_int_t ncols = json_integer_value(json_object_get(doc, "ncols"));
    size_t n = json_array_size(rows);
    if (!json_is_array(rows) || ncols <= 0 || ncols > 64 || n > TCACHE_MAX_ROWS) {
        json_decref(doc);
        return -1;
    }
    size_t cells = n * (size_t)ncols;
    out->cell = calloc(cells ? cells : 1, sizeof *out->cell);
    out->len = calloc(cells ? cells : 1, sizeof *out->len);
    out->ncols = (int)ncols;
    int ok = out->cell && out->len;
    for (size_t i = 0; ok && i < n; i++) {
        json_t *row = json_array_get(rows, i);
        ok = json_is_array(row) && json_array_size(row) == (size_t)ncols;
        for (size_t c = 0; ok && c < (size_t)ncols; c++) {
            json_t *v = json_array_get(row, c);
            size_t k = i * (size_t)ncols + c;
            if (json_is_null(v))
                continue;
            ok = json_is_string(v);
            if (ok) {
                out->len[k] = json_string_length(v);
                out->cell[k] = malloc(out->len[k] + 1);
                ok = out->cell[k] != NULL;
            }
            if (ok) {
                memcpy(out->cell[k], json_string_value(v), out->len[k]);
                out->cell[k][out->len[k]] = 0;
            }
        }
        out->nrows = (int)i + 1;
    }
    json_decref(doc);
    if (!ok) {
        dbrows_free(out);
        return -1;
    }
    out->nrows = (int)n;
    return 0;
}

int tcache_query(db_t *db, long long tenant_id, const char *key, int ledger, const char *sql, const struct dbv *p,
                 int np, struct dbrows *out)
{
    struct dbrows c;
    char fp[128] = "";
    int stale = 0;
    if (strlen(key) > TCACHE_KEY_MAX)
        return -1;
    if (db_query(db, LOOKUP,
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(ledger), DB_INT(tenant_id), DB_INT(tenant_id), DB_STR(key)),
                 &c) == 0) {
        const char *now = dbrows_get(&c, 0, 0), *was = dbrows_get(&c, 0, 1), *v = dbrows_get(&c, 0, 2);
        snprintf(fp, sizeof fp, "%s", now ? now : "");
        stale = was != NULL;
        int hit = *fp && was && v && !strcmp(fp, was) && decode(v, out) == 0;
        dbrows_free(&c);
        if (hit) {
            tcache_hits++;
            return 0;
        }
    }
    tcache_misses++;
    if (db_query(db, sql, p, np, out) < 0)
        return -1;
    char *text = *fp ? encode(out) : NULL;
    /* Results of an older generation will never be served again: they go as this one comes (one
     * whose ledger part is older is overwritten by its own next result). */
    if (text && ((stale && db_exec(db,
                                   "DELETE FROM tenant_cache WHERE tenant_id = ?"
                                   " AND SUBSTRING_INDEX(fp, ':', 1) <> SUBSTRING_INDEX(?, ':', 1)",
                                   DB_PARAMS(DB_INT(tenant_id), DB_STR(fp)), NULL, NULL) < 0) ||
                 db_exec(db,
                         "INSERT INTO tenant_cache (tenant_id, k, fp, v) VALUES (?, ?, ?, ?)"
                         " ON DUPLICATE KEY UPDATE fp = VALUES(fp), v = VALUES(v), computed_at = UTC_TIMESTAMP(6)",
                         DB_PARAMS(DB_INT(tenant_id), DB_STR(key), DB_STR(fp), DB_STR(text)), NULL, NULL) < 0))
        log_warn("tenant cache: not stored (%s): %s", key, db_error(db));
    free(text);
    return 0;
}

int tcache_query_auto(db_t *db, long long tenant_id, const char *prefix, const char *sql, const struct dbv *p,
                      int np, struct dbrows *out)
{
    crypto_generichash_state st;
    unsigned char h[16];
    char hex[33], key[TCACHE_KEY_MAX + 1];
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)sql, strlen(sql) + 1);
    for (int i = 0; i < np; i++) {
        /* type, then the value: an int as its decimal text, a string or blob with its length */
        char head[48];
        int k = snprintf(head, sizeof head, "%d:%lld:%zu:", (int)p[i].type, p[i].type == DBV_INT ? p[i].i : 0,
                         p[i].type == DBV_STR || p[i].type == DBV_BLOB ? p[i].len : 0);
        crypto_generichash_update(&st, (const unsigned char *)head, (size_t)k);
        if ((p[i].type == DBV_STR || p[i].type == DBV_BLOB) && p[i].len)
            crypto_generichash_update(&st, (const unsigned char *)p[i].s, p[i].len);
    }
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    int k = snprintf(key, sizeof key, "%s%s", prefix, hex);
    if (k < 0 || k > TCACHE_KEY_MAX)
        return -1;
    return tcache_query(db, tenant_id, key, 0, sql, p, np, out);
}
