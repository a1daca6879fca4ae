/* links.c: the mapping of distributor objects to PSA objects (see links.h). */
#include "db/links.h"

#include <stdio.h>
#include <string.h>

/* The three link tables differ only in names; each level's statements are spelled out so
 * every SQL text is a fixed string with bound values. */
struct level_sql {
    const char *get, *remembered, *close, *insert;
};

static const struct level_sql sqls[] = {
    [LINK_COMPANY] = {
        "SELECT id, psa_connection_id, psa_company_id, '' FROM company_links WHERE tenant_id = ?"
        " AND src_connection_id = ? AND src_company_id = ? AND active_key = 1 FOR UPDATE",
        "SELECT id, psa_connection_id, psa_company_id, '' FROM company_links WHERE tenant_id = ?"
        " AND src_connection_id = ? AND src_company_id = ? AND active_key IS NULL ORDER BY id DESC LIMIT 1",
        "UPDATE company_links SET active_key = NULL, unlinked_at = UTC_TIMESTAMP(6), unlinked_by = ?"
        " WHERE tenant_id = ? AND id = ?",
        "INSERT INTO company_links (tenant_id, src_connection_id, src_company_id, psa_connection_id,"
        " psa_company_id, linked_by) VALUES (?, ?, ?, ?, ?, ?)"},
    [LINK_SUBSCRIPTION] = {
        "SELECT id, psa_connection_id, psa_contract_id, '' FROM subscription_links WHERE tenant_id = ?"
        " AND src_connection_id = ? AND src_subscription_id = ? AND active_key = 1 FOR UPDATE",
        "SELECT id, psa_connection_id, psa_contract_id, '' FROM subscription_links WHERE tenant_id = ?"
        " AND src_connection_id = ? AND src_subscription_id = ? AND active_key IS NULL ORDER BY id DESC LIMIT 1",
        "UPDATE subscription_links SET active_key = NULL, unlinked_at = UTC_TIMESTAMP(6), unlinked_by = ?"
        " WHERE tenant_id = ? AND id = ?",
        "INSERT INTO subscription_links (tenant_id, src_connection_id, src_subscription_id,"
        " psa_connection_id, psa_contract_id, linked_by) VALUES (?, ?, ?, ?, ?, ?)"},
    [LINK_RESOURCE] = {
        "SELECT id, psa_connection_id, psa_contract_id, psa_service_id FROM resource_links WHERE tenant_id = ?"
        " AND src_connection_id = ? AND src_resource_id = ? AND active_key = 1 FOR UPDATE",
        "SELECT id, psa_connection_id, psa_contract_id, psa_service_id FROM resource_links WHERE tenant_id = ?"
        " AND src_connection_id = ? AND src_resource_id = ? AND active_key IS NULL ORDER BY id DESC LIMIT 1",
        "UPDATE resource_links SET active_key = NULL, unlinked_at = UTC_TIMESTAMP(6), unlinked_by = ?"
        " WHERE tenant_id = ? AND id = ?",
        "INSERT INTO resource_links (tenant_id, src_connection_id, src_resource_id, psa_connection_id,"
        " psa_contract_id, psa_service_id, linked_by) VALUES (?, ?, ?, ?, ?, ?, ?)"},
};

static int read_link(db_t *db, const char *sql, long long t, long long sc, const char *src_id,
                     struct link_target *out, long long *id)
{
    struct dbrows r;
    if (db_query(db, sql, DB_PARAMS(DB_INT(t), DB_INT(sc), DB_STR(src_id)), &r) < 0)
        return -1;
    int found = r.nrows > 0;
    if (found) {
        if (id)
            *id = dbrows_int(&r, 0, 0, 0);
        if (out) {
            memset(out, 0, sizeof *out);
            out->psa_connection_id = dbrows_int(&r, 0, 1, 0);
            snprintf(out->psa_id, sizeof out->psa_id, "%s", dbrows_get(&r, 0, 2));
            snprintf(out->service_id, sizeof out->service_id, "%s", dbrows_get(&r, 0, 3));
        }
    }
    dbrows_free(&r);
    return found;
}

int link_get(db_t *db, long long tenant_id, enum link_level level, long long src_connection_id,
             const char *src_id, struct link_target *out, long long *link_id)
{
    /* FOR UPDATE is harmless outside a transaction (autocommit): a plain read. */
    return read_link(db, sqls[level].get, tenant_id, src_connection_id, src_id, out, link_id);
}

int link_remembered(db_t *db, long long tenant_id, enum link_level level, long long src_connection_id,
                    const char *src_id, struct link_target *out)
{
    return read_link(db, sqls[level].remembered, tenant_id, src_connection_id, src_id, out, NULL);
}

static void describe(const struct link_target *t, char out[80])
{
    if (t->service_id[0])
        snprintf(out, 80, "%lld:%s/%s", t->psa_connection_id, t->psa_id, t->service_id);
    else
        snprintf(out, 80, "%lld:%s", t->psa_connection_id, t->psa_id);
}

struct change {
    long long t, user, sc;
    enum link_level level;
    const char *src_id;
    const struct link_target *to;   /* NULL: clear */
    int changed;
    char before[80];
};

static int change_txn(db_t *db, void *vctx)
{
    struct change *c = vctx;
    struct link_target cur;
    long long id = 0;
    c->changed = 0;
    c->before[0] = 0;
    /* Row lock on the active link: two people changing one link serialise here; the UNIQUE
     * key on active links is the guard when there was no row to lock. */
    int found = read_link(db, sqls[c->level].get, c->t, c->sc, c->src_id, &cur, &id);
    if (found < 0)
        return -1;
    if (found) {
        describe(&cur, c->before);
        if (c->to && cur.psa_connection_id == c->to->psa_connection_id &&
            !strcmp(cur.psa_id, c->to->psa_id) && !strcmp(cur.service_id, c->to->service_id))
            return 0;             /* already so */
        if (db_exec(db, sqls[c->level].close, DB_PARAMS(c->user ? DB_INT(c->user) : DB_NULL,
                                                         DB_INT(c->t), DB_INT(id)), NULL, NULL) < 0)
            return -1;
        c->changed = 1;
    }
    if (!c->to)
        return 0;
    int rc;
    if (c->level == LINK_RESOURCE)
        rc = db_exec(db, sqls[c->level].insert,
                     DB_PARAMS(DB_INT(c->t), DB_INT(c->sc), DB_STR(c->src_id),
                               DB_INT(c->to->psa_connection_id), DB_STR(c->to->psa_id),
                               DB_STR(c->to->service_id), c->user ? DB_INT(c->user) : DB_NULL),
                     NULL, NULL);
    else
        rc = db_exec(db, sqls[c->level].insert,
                     DB_PARAMS(DB_INT(c->t), DB_INT(c->sc), DB_STR(c->src_id),
                               DB_INT(c->to->psa_connection_id), DB_STR(c->to->psa_id),
                               c->user ? DB_INT(c->user) : DB_NULL),
                     NULL, NULL);
    if (rc < 0)
        return -1;
    c->changed = 1;
    return 0;
}

static int change(db_t *db, struct change *c, int *changed, char before[80])
{
    int rc = db_txn(db, change_txn, c);
    /* A concurrent insert of the same active link (1062): the other change won; re-run
     * once so ours applies on top of it, as if it had come second. */
    if (rc != 0 && db_errno(db) == 1062)
        rc = db_txn(db, change_txn, c);
    if (rc == 0) {
        *changed = c->changed;
        memcpy(before, c->before, 80);
    }
    return rc;
}

int link_set(db_t *db, long long tenant_id, long long user_id, enum link_level level,
             long long src_connection_id, const char *src_id, const struct link_target *to,
             int *changed, char before[80])
{
    struct change c = {tenant_id, user_id, src_connection_id, level, src_id, to, 0, ""};
    return change(db, &c, changed, before);
}

int link_clear(db_t *db, long long tenant_id, long long user_id, enum link_level level,
               long long src_connection_id, const char *src_id, int *changed, char before[80])
{
    struct change c = {tenant_id, user_id, src_connection_id, level, src_id, NULL, 0, ""};
    return change(db, &c, changed, before);
}

int link_set_approval(db_t *db, long long tenant_id, long long src_connection_id, const char *src_resource_id,
                      const char *approval)
{
    uint64_t affected = 0;
    if (db_exec(db,
                "UPDATE resource_links SET approval = ? WHERE tenant_id = ? AND src_connection_id = ?"
                " AND src_resource_id = ? AND active_key = 1",
                DB_PARAMS(DB_STR(approval), DB_INT(tenant_id), DB_INT(src_connection_id), DB_STR(src_resource_id)),
                &affected, NULL) < 0)
        return -1;
    return affected > 0;
}

int links_service_desired(db_t *db, long long tenant_id, long long psa_connection_id, const char *contract_id,
                          const char *service_id, qty_t *desired, int *nlinks)
{
    struct dbrows r;
    *desired = 0;
    *nlinks = 0;
    if (db_query(db,
                 "SELECT COALESCE(SUM(IF(r.id IS NULL OR r.gone = 1, 0, r.quantity)), 0), COUNT(*)"
                 " FROM resource_links l LEFT JOIN src_resources r ON r.tenant_id = l.tenant_id"
                 "  AND r.connection_id = l.src_connection_id AND r.source_id = l.src_resource_id"
                 " WHERE l.tenant_id = ? AND l.psa_connection_id = ? AND l.psa_contract_id = ?"
                 " AND l.psa_service_id = ? AND l.active_key = 1 AND (r.id IS NULL OR r.billing_cycle = 'monthly')",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_connection_id), DB_STR(contract_id), DB_STR(service_id)),
                 &r) < 0)
        return -1;
    if (r.nrows) {
        *desired = dbrows_int(&r, 0, 0, 0);
        *nlinks = (int)dbrows_int(&r, 0, 1, 0);
    }
    dbrows_free(&r);
    return 0;
}
