/* new_subs.c: the new-unlinked alert's SQL (see new_subs.h; sql/020). */
#include "db/new_subs.h"

#include "core/new_subs.h"
#include "db/charges.h"
#include "db/jobs.h"

#include <stdio.h>
#include <string.h>

/* n (src_new_subscriptions) whose subscription s is listable: at the source, not cancelled, and
 * neither it nor any of its resources actively linked. */
#define LISTABLE \
    " s.gone = 0 AND s.status <> 'cancelled'" \
    " AND NOT EXISTS (SELECT 1 FROM subscription_links sl WHERE sl.tenant_id = n.tenant_id" \
    "  AND sl.src_connection_id = n.connection_id AND sl.src_subscription_id = n.source_id AND sl.active_key = 1)" \
    " AND NOT EXISTS (SELECT 1 FROM src_resources r2 JOIN resource_links rl ON rl.tenant_id = r2.tenant_id" \
    "  AND rl.src_connection_id = r2.connection_id AND rl.src_resource_id = r2.source_id AND rl.active_key = 1" \
    "  WHERE r2.tenant_id = n.tenant_id AND r2.connection_id = n.connection_id" \
    "  AND r2.subscription_source_id = n.source_id)"

#define SUB_JOIN \
    " JOIN src_subscriptions s ON s.tenant_id = n.tenant_id AND s.connection_id = n.connection_id" \
    "  AND s.source_id = n.source_id"

/* The listing: one row per live resource (or one with NULLs), adjacent per subscription. */
#define LIST_SELECT \
    "SELECT n.connection_id, n.source_id, COALESCE(c.id, 0), COALESCE(c.name, s.company_source_id), s.name," \
    " k.name, DATE_FORMAT(n.found_at, '%Y-%m-%d %H:%i UTC'), r.id IS NOT NULL, COALESCE(r.billing_cycle = 'annual', 0)," \
    " COALESCE(r.currency, ''), COALESCE(r.unit_cost, 0), COALESCE(r.quantity, 0)" \
    " FROM src_new_subscriptions n" SUB_JOIN \
    " JOIN connections k ON k.tenant_id = n.tenant_id AND k.id = n.connection_id" \
    " LEFT JOIN src_companies c ON c.tenant_id = s.tenant_id AND c.connection_id = s.connection_id" \
    "  AND c.source_id = s.company_source_id" \
    " LEFT JOIN src_resources r ON r.tenant_id = s.tenant_id AND r.connection_id = s.connection_id" \
    "  AND r.subscription_source_id = s.source_id AND r.gone = 0 AND r.status <> 'cancelled'"
#define LIST_ORDER " ORDER BY n.found_at DESC, n.connection_id, n.source_id, r.source_id LIMIT ?"

static void row_fill(const struct dbrows *r, int i, void *p)
{
    struct new_sub_row *x = p;
    x->connection_id = dbrows_int(r, i, 0, 0);
    x->source_id = dbrows_get(r, i, 1);
    x->company_id = dbrows_int(r, i, 2, 0);
    x->company = dbrows_get(r, i, 3);
    x->subscription = dbrows_get(r, i, 4);
    x->source = dbrows_get(r, i, 5);
    x->found = dbrows_get(r, i, 6);
    x->has_resource = (int)dbrows_int(r, i, 7, 0);
    x->annual = (int)dbrows_int(r, i, 8, 0);
    x->currency = dbrows_get(r, i, 9);
    x->unit_cost = dbrows_int(r, i, 10, 0);
    x->qty = dbrows_int(r, i, 11, 0);
}

int new_subs_mode_valid(const char *s)
{
    return s && (!strcmp(s, "off") || !strcmp(s, "daily") || !strcmp(s, "at_once"));
}

int new_subs_mode(db_t *db, long long tenant_id, char out[16])
{
    struct dbrows r;
    snprintf(out, 16, "daily");
    if (db_query(db, "SELECT unlinked_alert FROM tenant_policies WHERE tenant_id = ?",
                 DB_PARAMS(DB_INT(tenant_id)), &r) < 0)
        return -1;
    if (r.nrows > 0 && new_subs_mode_valid(dbrows_get(&r, 0, 0)))
        snprintf(out, 16, "%s", dbrows_get(&r, 0, 0));
    dbrows_free(&r);
    return 0;
}

int new_subs_set_mode(db_t *db, long long tenant_id, const char *mode)
{
    if (!new_subs_mode_valid(mode))
        return -1;
    return db_exec(db,
                   "INSERT INTO tenant_policies (tenant_id, unlinked_alert) VALUES (?, ?)"
                   " ON DUPLICATE KEY UPDATE unlinked_alert = VALUES(unlinked_alert)",
                   DB_PARAMS(DB_INT(tenant_id), DB_STR(mode)), NULL, NULL);
}

int new_subs_record(db_t *db, long long tenant_id, long long connection_id)
{
    long long has = 0;
    if (db_scalar(db, "SELECT COUNT(*) FROM src_pull_baselines WHERE tenant_id = ? AND connection_id = ?",
                  DB_PARAMS(DB_INT(tenant_id), DB_INT(connection_id)), &has) < 0)
        return -1;
    if (!has)                     /* the first complete pull: its catalogue is the baseline */
        return db_exec(db,
                       "INSERT IGNORE INTO src_pull_baselines (tenant_id, connection_id, baseline_at)"
                       " VALUES (?, ?, UTC_TIMESTAMP(6))",
                       DB_PARAMS(DB_INT(tenant_id), DB_INT(connection_id)), NULL, NULL) < 0 ? -1 : 0;
    char mode[16];
    if (new_subs_mode(db, tenant_id, mode) < 0)
        return -1;
    uint64_t added = 0;
    if (db_exec(db,
                "INSERT IGNORE INTO src_new_subscriptions (tenant_id, connection_id, source_id, found_at,"
                " alerted_at, alert_via)"
                " SELECT s.tenant_id, s.connection_id, s.source_id, UTC_TIMESTAMP(6),"
                " IF(? = 'off', UTC_TIMESTAMP(6), NULL), IF(? = 'off', 'off', NULL)"
                " FROM src_subscriptions s JOIN src_pull_baselines b ON b.tenant_id = s.tenant_id"
                "  AND b.connection_id = s.connection_id"
                " WHERE s.tenant_id = ? AND s.connection_id = ? AND s.first_seen > b.baseline_at AND s.gone = 0"
                " AND NOT EXISTS (SELECT 1 FROM src_new_subscriptions x WHERE x.tenant_id = s.tenant_id"
                "  AND x.connection_id = s.connection_id AND x.source_id = s.source_id)",
                DB_PARAMS(DB_STR(mode), DB_STR(mode), DB_INT(tenant_id), DB_INT(connection_id)), &added,
                NULL) < 0)
        return -1;
    if (added > 0 && !strcmp(mode, "at_once")) {
        char key[48];
        snprintf(key, sizeof key, "unlinked_alert:%lld", tenant_id);
        if (jobs_enqueue(db, tenant_id, "unlinked_alert", NULL, key, 0, NULL) < 0)
            return -1;
    }
    return (int)added;
}

int new_subs_sync_begin(db_t *db, long long tenant_id)
{
    return db_exec(db,
                   "INSERT INTO unlinked_alert_state (tenant_id, sync_from) VALUES (?, UTC_TIMESTAMP(6))"
                   " ON DUPLICATE KEY UPDATE sync_from = VALUES(sync_from)",
                   DB_PARAMS(DB_INT(tenant_id)), NULL, NULL);
}

int new_subs_sync_done(db_t *db, long long tenant_id)
{
    return db_exec(db,
                   "UPDATE unlinked_alert_state SET window_from = sync_from WHERE tenant_id = ? AND sync_from IS NOT NULL",
                   DB_PARAMS(DB_INT(tenant_id)), NULL, NULL);
}

int new_subs_since_sync(db_t *db, long long tenant_id, struct new_sub_list *out)
{
    return DB_LIST_QUERY(db, out, row_fill,
                         LIST_SELECT
                         " WHERE n.tenant_id = ? AND n.found_at >= COALESCE((SELECT a.window_from FROM"
                         "  unlinked_alert_state a WHERE a.tenant_id = ?), '1000-01-01') AND" LISTABLE
                         LIST_ORDER,
                         DB_PARAMS(DB_INT(tenant_id), DB_INT(tenant_id), DB_INT(NEW_SUBS_MAX_ROWS)));
}

int new_subs_window(db_t *db, long long tenant_id, char out[32])
{
    struct dbrows r;
    snprintf(out, 32, "1000-01-01 00:00:00");
    if (db_query(db,
                 "SELECT DATE_FORMAT(window_from, '%Y-%m-%d %H:%i:%s.%f') FROM unlinked_alert_state"
                 " WHERE tenant_id = ? AND window_from IS NOT NULL",
                 DB_PARAMS(DB_INT(tenant_id)), &r) < 0)
        return -1;
    if (r.nrows > 0 && dbrows_get(&r, 0, 0))
        snprintf(out, 32, "%s", dbrows_get(&r, 0, 0));
    dbrows_free(&r);
    return 0;
}

int new_subs_last_digest(db_t *db, long long tenant_id, char last_day[11])
{
    struct dbrows r;
    last_day[0] = 0;
    if (db_query(db, "SELECT DATE_FORMAT(digest_day, '%Y-%m-%d') FROM unlinked_alert_state WHERE tenant_id = ?",
                 DB_PARAMS(DB_INT(tenant_id)), &r) < 0)
        return -1;
    if (r.nrows > 0 && dbrows_get(&r, 0, 0))
        snprintf(last_day, 11, "%s", dbrows_get(&r, 0, 0));
    dbrows_free(&r);
    return 0;
}

int new_subs_next_check(db_t *db, long long tenant_id, const char *at)
{
    return db_exec(db,
                   "INSERT INTO unlinked_alert_state (tenant_id, next_check_at) VALUES (?, ?)"
                   " ON DUPLICATE KEY UPDATE next_check_at = VALUES(next_check_at)",
                   DB_PARAMS(DB_INT(tenant_id), DB_STR(at)), NULL, NULL);
}

int new_subs_pending_before(db_t *db, long long tenant_id, const char *before, long long *n)
{
    *n = 0;
    return db_scalar(db,
                     "SELECT COUNT(*) FROM src_new_subscriptions n" SUB_JOIN
                     " WHERE n.tenant_id = ? AND n.alerted_at IS NULL AND n.found_at < ? AND" LISTABLE,
                     DB_PARAMS(DB_INT(tenant_id), DB_STR(before)), n) < 0 ? -1 : 0;
}

struct claim_ctx {
    long long tenant_id;
    const char *claim, *day;
    new_subs_mail_fn fn;
    void *ctx;
    int mailed;
};

/* Non-zero rolls back: 1 nothing to do, -1 an error. Run again whole on a deadlock. */
static int claim_txn(db_t *db, void *vctx)
{
    struct claim_ctx *c = vctx;
    uint64_t n = 0;
    c->mailed = 0;
    if (c->day) {
        if (db_exec(db, "INSERT IGNORE INTO unlinked_alert_state (tenant_id) VALUES (?)",
                    DB_PARAMS(DB_INT(c->tenant_id)), NULL, NULL) < 0 ||
            db_exec(db,
                    "UPDATE unlinked_alert_state SET digest_day = ? WHERE tenant_id = ?"
                    " AND (digest_day IS NULL OR digest_day < ?)",
                    DB_PARAMS(DB_STR(c->day), DB_INT(c->tenant_id), DB_STR(c->day)), &n, NULL) < 0)
            return -1;
        if (n == 0)
            return 1;             /* that day's digest went out (another worker's, or earlier) */
    }
    if (db_exec(db,
                "UPDATE src_new_subscriptions n" SUB_JOIN
                " SET n.alerted_at = UTC_TIMESTAMP(6), n.alert_via = 'mail', n.alert_claim = ?"
                " WHERE n.tenant_id = ? AND n.alerted_at IS NULL AND" LISTABLE,
                DB_PARAMS(DB_STR(c->claim), DB_INT(c->tenant_id)), &n, NULL) < 0)
        return -1;
    if (n == 0)
        return 1;
    struct new_sub_list subs;
    struct email_list admins;
    if (DB_LIST_QUERY(db, &subs, row_fill, LIST_SELECT " WHERE n.tenant_id = ? AND n.alert_claim = ?" LIST_ORDER,
                      DB_PARAMS(DB_INT(c->tenant_id), DB_STR(c->claim), DB_INT(NEW_SUBS_MAX_ROWS))) < 0)
        return -1;
    if (alerts_admins(db, c->tenant_id, &admins) < 0) {
        DB_LIST_FREE(&subs);
        return -1;
    }
    int rc = admins.n == 0 ? 1 : c->fn(c->ctx, db, &subs, &admins) < 0 ? -1 : 0;
    if (rc == 0)
        c->mailed = (int)n;
    DB_LIST_FREE(&subs);
    DB_LIST_FREE(&admins);
    return rc;
}

int new_subs_claim_and_mail(db_t *db, long long tenant_id, const char *claim, const char *day,
                            new_subs_mail_fn fn, void *ctx)
{
    struct claim_ctx c = {tenant_id, claim, day, fn, ctx, 0};
    int rc = db_txn(db, claim_txn, &c);
    if (rc < 0)
        return -1;
    return rc == 0 ? c.mailed : 0;
}

int new_subs_enqueue_due(db_t *db, const char *now)
{
    return jobs_enqueue_selected_params(db,
                                        "SELECT d.tenant_id, 'unlinked_alert', NULL, CONCAT('unlinked_alert:', d.tenant_id), 0"
                                        " FROM (SELECT DISTINCT tenant_id FROM src_new_subscriptions"
                                        "  WHERE alerted_at IS NULL) d"
                                        " LEFT JOIN tenant_policies p ON p.tenant_id = d.tenant_id"
                                        " LEFT JOIN unlinked_alert_state a ON a.tenant_id = d.tenant_id"
                                        " WHERE COALESCE(p.unlinked_alert, 'daily') <> 'off'"
                                        " AND (a.next_check_at IS NULL OR a.next_check_at <= ?)"
                                        " AND NOT EXISTS (SELECT 1 FROM jobs j"
                                        "  WHERE j.unique_key = CONCAT('unlinked_alert:', d.tenant_id))",
                                        DB_PARAMS(DB_STR(now)));
}

int new_subs_each(const struct new_sub_list *l, int (*fn)(void *ctx, const struct new_sub *s), void *ctx)
{
    int count = 0;
    for (int i = 0; i < l->n;) {
        const struct new_sub_row *first = &l->v[i];
        struct new_sub s = {first, 0, first->has_resource ? first->currency : "", 1};
        int j = i;
        for (; j < l->n && l->v[j].connection_id == first->connection_id &&
               !strcmp(l->v[j].source_id, first->source_id); j++) {
            const struct new_sub_row *x = &l->v[j];
            money_t v;
            if (!x->has_resource)
                continue;
            if (strcmp(x->currency, s.currency) != 0 || cost_monthly(x->unit_cost, x->qty, x->annual, &v) < 0 ||
                money_add(s.value, v, &s.value) < 0)
                s.ok = 0;
        }
        i = j;
        count++;
        if (fn && fn(ctx, &s))
            break;
    }
    return count;
}
