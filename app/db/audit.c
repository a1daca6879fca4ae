/* audit.c: the audit log (who did what, when, from where). */
#include "db/audit.h"

int audit_add(db_t *db, long long tenant_id, long long user_id, const char *actor_email,
              const char *action, const char *subject, const char *detail, const char *ip)
{
    return db_exec(db,
                   "INSERT INTO audit_log (tenant_id, user_id, actor_email, action, subject, detail, ip)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)",
                   DB_PARAMS(DB_INT(tenant_id), user_id ? DB_INT(user_id) : DB_NULL,
                             DB_STR(actor_email ? actor_email : ""), DB_STR(action),
                             DB_STR(subject ? subject : ""), DB_STR(detail), DB_STR(ip ? ip : "")),
                   NULL, NULL);
}

/* One filtered query for the page, its count and the export; every filter is a bound value
 * and an empty one matches everything. */
#define AUDIT_WHERE \
    " FROM audit_log WHERE tenant_id = ? AND (? = '' OR actor_email = ?) AND (? = '' OR action = ?)" \
    " AND at >= ? AND at < ? + INTERVAL 1 DAY"
#define AUDIT_COLS "SELECT DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s'), actor_email, action, subject, COALESCE(detail, ''), ip"
#define AUDIT_PARAMS(t, f) DB_INT(t), DB_STR((f)->user), DB_STR((f)->user), DB_STR((f)->action), \
    DB_STR((f)->action), DB_STR((f)->from), DB_STR((f)->to)

int audit_count(db_t *db, long long tenant_id, const struct audit_filter *f, long long *n)
{
    return db_scalar(db, "SELECT COUNT(*)" AUDIT_WHERE, DB_PARAMS(AUDIT_PARAMS(tenant_id, f)), n) < 0 ? -1 : 0;
}

int audit_page(db_t *db, long long tenant_id, const struct audit_filter *f, int limit, int offset,
               struct dbrows *out)
{
    return db_query(db, AUDIT_COLS AUDIT_WHERE " ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
                    DB_PARAMS(AUDIT_PARAMS(tenant_id, f), DB_INT(limit), DB_INT(offset)), out);
}

int audit_stream(db_t *db, long long tenant_id, const struct audit_filter *f, db_row_fn fn, void *ctx)
{
    return db_stream(db, AUDIT_COLS AUDIT_WHERE " ORDER BY at DESC, id DESC",
                     DB_PARAMS(AUDIT_PARAMS(tenant_id, f)), fn, ctx);
}
