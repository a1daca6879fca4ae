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
