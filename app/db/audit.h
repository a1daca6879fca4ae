/* audit.h: the audit log (who did what, when, from where). */
#ifndef BILLSYNC_DB_AUDIT_H
#define BILLSYNC_DB_AUDIT_H

#include "db/db.h"

int audit_add(db_t *db, long long tenant_id, long long user_id, const char *actor_email,
              const char *action, const char *subject, const char *detail, const char *ip);

#endif
