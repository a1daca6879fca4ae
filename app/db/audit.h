/* audit.h: the audit log (who did what, when, from where). */
#ifndef BILLSYNC_DB_AUDIT_H
#define BILLSYNC_DB_AUDIT_H

#include "db/db.h"

int audit_add(db_t *db, long long tenant_id, long long user_id, const char *actor_email,
              const char *action, const char *subject, const char *detail, const char *ip);

struct audit_filter {
    const char *user, *action;    /* "" = any */
    const char *from, *to;        /* YYYY-MM-DD, inclusive (UTC days) */
};

int audit_count(db_t *db, long long tenant_id, const struct audit_filter *f, long long *n);
/* at, user, action, subject, detail, ip; newest first. */
int audit_page(db_t *db, long long tenant_id, const struct audit_filter *f, int limit, int offset,
               struct dbrows *out);
int audit_stream(db_t *db, long long tenant_id, const struct audit_filter *f, db_row_fn fn, void *ctx);

#endif
