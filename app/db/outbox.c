/* outbox.c: outgoing mail as sealed jobs (see outbox.h). */
#include "db/outbox.h"

#include "common/crypto.h"
#include "db/jobs.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int outbox_enqueue(db_t *db, const unsigned char *key, long long tenant_id, const char *to,
                   const char *subject, const char *body)
{
    if (!key)
        return -1;
    json_t *m = json_pack("{s:s, s:s, s:s}", "to", to, "subject", subject, "body", body);
    char *plain = m ? json_dumps(m, JSON_COMPACT) : NULL;
    json_decref(m);
    if (!plain)
        return -1;
    char *sealed = NULL;
    int rc = crypto_seal(key, plain, strlen(plain), &sealed);
    crypto_free_secret(plain, strlen(plain));
    if (rc == 0)
        rc = jobs_enqueue(db, tenant_id, "mail", sealed, NULL, 0, NULL);
    free(sealed);
    return rc;
}
