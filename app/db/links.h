/* links.h: the mapping of distributor objects to PSA objects (company → account,
 * subscription → contract, resource → service on a contract). One active link per source
 * object; unlinking keeps the row as history. Every change is one transaction. */
#ifndef BILLSYNC_DB_LINKS_H
#define BILLSYNC_DB_LINKS_H

#include "core/money.h"
#include "db/db.h"

enum link_level { LINK_COMPANY, LINK_SUBSCRIPTION, LINK_RESOURCE };

struct link_target {
    long long psa_connection_id;
    char psa_id[33];              /* account, contract */
    char service_id[33];          /* resources: the service on psa_id (a contract) */
};

/* Sets (replacing any active link) or clears the link of one source object. *changed says
 * whether anything changed; before gets the previous target ("" when none).
 * Returns 0, or -1 (db error). */
int link_set(db_t *db, long long tenant_id, long long user_id, enum link_level level,
             long long src_connection_id, const char *src_id, const struct link_target *to,
             int *changed, char before[80]);
int link_clear(db_t *db, long long tenant_id, long long user_id, enum link_level level,
               long long src_connection_id, const char *src_id, int *changed, char before[80]);
/* The active link's target; 1 found, 0 none, -1 error. */
int link_get(db_t *db, long long tenant_id, enum link_level level, long long src_connection_id,
             const char *src_id, struct link_target *out, long long *link_id);
/* The most recent past (inactive) link of the object, for "remembered" suggestions. */
int link_remembered(db_t *db, long long tenant_id, enum link_level level, long long src_connection_id,
                    const char *src_id, struct link_target *out);

/* What a PSA contract service should hold: the sum of the source quantities of every active seat
 * link feeding it (two subscriptions on one service: 5 + 3 = 8), *nlinks how many feed it. */
int links_service_desired(db_t *db, long long tenant_id, long long psa_connection_id, const char *contract_id,
                          const char *service_id, qty_t *desired, int *nlinks);
/* Per-link approval override: inherit (the tenant's policy), auto or require. 1 changed,
 * 0 no active link, -1 error. */
int link_set_approval(db_t *db, long long tenant_id, long long src_connection_id, const char *src_resource_id,
                      const char *approval);

#endif
