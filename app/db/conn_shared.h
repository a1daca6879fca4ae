/* conn_shared.h: core/conn_record.h struct conn_shared kept in MariaDB: a connection's cached
 * values (sealed), and each PSA instance's request budget and pause (sql/016), shared by every
 * worker process and host. */
#ifndef BILLSYNC_DB_CONN_SHARED_H
#define BILLSYNC_DB_CONN_SHARED_H

#include "core/conn_record.h"
#include "db/db.h"

/* Process-wide settings (psa.budget_share_percent, psa.threshold_check_seconds), set once at
 * start by the programs' main. */
void conn_shared_configure(int budget_share_percent, int threshold_check_seconds);

/* Gives an opened connection the shared hooks; key seals cached values (NULL: nothing cached). */
int conn_shared_attach(struct conn *c, db_t *db, const unsigned char *key);
void conn_shared_detach(struct conn *c);

/* Drops what a connection cached (its settings changed). */
int conn_shared_forget(db_t *db, long long tenant_id, long long connection_id);

/* The budget of the instances a connection reached, for the connections page and /metrics. */
struct psa_budget_row {
    const char *instance, *system;
    long long connection_id;
    long long calls_hour;         /* billsync's calls in the current hour */
    long long cap;                /* the PSA's hourly cap (0: none published) */
    long long allowed;            /* billsync's share of it */
    long long estimate;           /* every integration's calls this hour as far as known */
    long long refused;            /* calls billsync held back this hour */
    const char *reported_at;      /* when the PSA last gave its count ("" never) */
    const char *paused_until;     /* "" when not paused */
};
DB_LIST(psa_budget_list, struct psa_budget_row);
/* tenant_id 0: every tenant's (for /metrics). */
int psa_budget_rows(db_t *db, long long tenant_id, struct psa_budget_list *out);

#endif
