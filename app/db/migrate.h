/* migrate.h: applies sql/NNN_name.sql files in order, each once, under a database lock. */
#ifndef BILLSYNC_DB_MIGRATE_H
#define BILLSYNC_DB_MIGRATE_H

#include "db/db.h"

/* Applies every migration in dir not yet recorded in schema_migrations. Returns the number
 * applied (0 = already up to date) or -1 with one line (file name and server error) in err. */
int migrate_run(db_t *db, const char *dir, char *err, size_t errlen);

#endif
