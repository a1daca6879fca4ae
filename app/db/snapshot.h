/* snapshot.h: writes what a refresh read from a distributor (src_*) or the PSA (psa_*) into
 * the snapshot tables: upsert by remote id, then mark gone what a complete pull missed. */
#ifndef BILLSYNC_DB_SNAPSHOT_H
#define BILLSYNC_DB_SNAPSHOT_H

#include "core/psa_records.h"
#include "core/source_records.h"
#include "db/db.h"

struct snap {
    db_t *db;
    long long tenant_id, connection_id;
    char started[32];             /* pull start (UTC, DB clock): rows not seen since are gone */
    long count;
    int db_failed;                /* a row was not stored: the listing stopped early */
};

int snap_begin(struct snap *s, db_t *db, long long tenant_id, long long connection_id);
int snap_psa_account(void *s, const struct psa_account *a);
int snap_psa_contract(void *s, const struct psa_contract *c);
int snap_psa_service(void *s, const struct psa_service *sv);
int snap_psa_contract_service(void *s, const struct psa_contract_service *cs);
int snap_src_company(void *s, const struct src_company *c);
int snap_src_subscription(void *s, const struct src_subscription *sub);
int snap_src_resource(void *s, const struct src_resource *r);
/* One billing line of a month (src_charges upsert by line id). company_name may be "". */
int snap_src_charge(void *s, const struct src_charge *ch);
/* The units of one contract service read from the PSA for today (a sync or a post's read-back):
 * the cached figure reports show, kept as fresh as billsync's last look. */
int psa_cache_units(db_t *db, long long tenant_id, long long connection_id, const char *contract_id,
                    const char *service_id, qty_t units);
/* Marks rows of the connection not seen since snap_begin as gone (never deletes). */
int snap_finish_psa(struct snap *s);
int snap_finish_src(struct snap *s);

/* What marking gone would take from billing: linked resources of the connection that the pull
 * did not see, of how many, their seats, and the companies that would lose every one. */
struct snap_loss {
    long linked, missing, companies_emptied;
    long long seats_missing;      /* 1/1000 units */
};
int snap_src_loss(struct snap *s, struct snap_loss *out);
/* The time a previous pull was held for a loss (0: none); set or clear it. */
int snap_loss_held(struct snap *s, int *held);
int snap_set_loss_held(struct snap *s, int held);

int refresh_set_status(db_t *db, long long tenant_id, long long connection_id,
                       const char *status, const char *message);
/* Queues a refresh of every connection of the tenant (one pending job per connection). */
int refresh_enqueue_tenant(db_t *db, long long tenant_id);
/* Queues refreshes of distributor connections not refreshed within the tenants' sync intervals
 * (a sync pulls them itself) and of PSA connections older than psa_refresh_hours (0: the sync
 * interval): the PSA's lists feed the mapping page; the sync reads the units it needs. */
int refresh_enqueue_due(db_t *db, int psa_refresh_hours);

#endif
