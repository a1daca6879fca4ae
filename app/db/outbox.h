/* outbox.h: outgoing mail as jobs. The message is sealed with the secret key, because it
 * may carry a single-use link, and the worker clears it once sent. */
#ifndef BILLSYNC_DB_OUTBOX_H
#define BILLSYNC_DB_OUTBOX_H

#include "db/db.h"

int outbox_enqueue(db_t *db, const unsigned char *key, long long tenant_id, const char *to,
                   const char *subject, const char *body);

#endif
