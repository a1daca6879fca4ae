/* ledger.h: the adjustment ledger: intended unit changes on linked PSA services, planned once
 * per (link, effective date, origin) thanks to the idempotency key. */
#ifndef BILLSYNC_DB_LEDGER_H
#define BILLSYNC_DB_LEDGER_H

#include "core/cdate.h"
#include "core/money.h"
#include "core/psa_records.h"
#include "core/service_plan.h"
#include "db/db.h"

struct plan {
    long long tenant_id, resource_link_id;
    const char *origin;           /* link | sync | review */
    long long src_connection_id;
    const char *src_resource_id;
    long long psa_connection_id;
    const char *psa_contract_id, *psa_service_id;
    qty_t desired, psa_before;
    cdate_t effective;
    money_t unit_price, prorated;
    const char *state;            /* planned | awaiting_approval | queued */
    const struct psa_units_seen *seen; /* the read psa_before came from (NULL: none to reuse) */
    cdate_t read_on;              /* the day it was read for */
};

/* Records the change (desired - psa_before). 1 = planned, 0 = nothing to do (no change, or
 * the same plan exists), -1 = error. *id gets the adjustment's id when planned or existing. */
int ledger_plan(db_t *db, const struct plan *p, long long *id);

/* Sync's view of one active resource link: everything the planner needs. */
struct link_state {
    long long link_id, src_connection_id, psa_connection_id;
    char src_resource_id[81], psa_contract_id[33], psa_service_id[33];
    qty_t desired;                /* source quantity */
    int has_last_posted;
    qty_t last_posted;
    char approval[16];            /* inherit | auto | require */
    char contract_start[11], contract_end[11], billing_start[11];
    int cycle_months;
    money_t unit_price;
    int source_gone;              /* the resource disappeared from the source */
    /* What billsync knows of the service without asking the PSA (doc/sync-calls.md 1): */
    int cached;                   /* the PSA cache holds the service */
    qty_t cached_units;           /* its units as last read (today's, when read today) */
    long long cached_age_s;       /* seconds since that read */
    int has_last_post;            /* billsync's newest verified change to the service */
    qty_t last_post_desired;
    char last_post_effective[11];
    int open_change;              /* a change not yet posted waits in the ledger */
    int terms_known, prorate;     /* the contract is in the cache; it prorates */
    /* Cost and price (sql/018, worker/cost_sync.c): */
    money_t src_cost, src_srp;    /* the distributor's unit cost and suggested price now */
    int has_cost_seen;            /* billsync recorded the cost it last planned from */
    money_t cost_seen;
    char currency[4];             /* the distributor's currency ("" unknown) */
    money_t psa_unit_cost;        /* the PSA cache's cost of the contract service */
    char company_psa_id[33];      /* the contract's PSA account (for its price policy) */
};

/* Active seat links of a tenant with their source and contract, the links of one PSA contract
 * service next to each other (lowest id first). */
int ledger_links(db_t *db, long long tenant_id, struct link_state **out, int *n);

/* What billsync left on one PSA contract service: its verified changes, newest effective date
 * first (at most max). The first is what billsync last left; those dated today or later are
 * the days that already hold a change. */
int ledger_service_posts(db_t *db, long long tenant_id, long long psa_connection_id, const char *contract_id,
                         const char *service_id, struct service_post *posts, int max, int *n);
/* Marks the not-yet-posted changes of a contract service superseded but except_id: the newest
 * plan replaces them (one open change per service: a restore cancels a waiting decrease). */
int ledger_supersede_service(db_t *db, long long tenant_id, long long psa_connection_id, const char *contract_id,
                             const char *service_id, long long except_id);
/* Marks not-yet-posted adjustments of a link as superseded (a newer plan replaces them). */
int ledger_supersede(db_t *db, long long tenant_id, long long link_id, long long except_id);
/* Why a plan waits for a person (a PSA edit held for review), shown with it. */
int ledger_note(db_t *db, long long tenant_id, long long id, const char *why);
/* Records a plan that cannot be posted (failure with its reason). */
int ledger_plan_failed(db_t *db, const struct plan *p, const char *reason, long long *id);

/* Posting. ledger_due lists ids of queued adjustments and failed ones whose retry is due, whose
 * effective date has come (today, the tenant's civil date): a change waits in the ledger until
 * its date, so a later plan can still replace it (the PSA's changes cannot be withdrawn). */
int ledger_due(db_t *db, long long tenant_id, cdate_t today, long long **ids, int *n);
/* Takes the adjustment's lease for lease_s seconds; 1 taken, 0 someone else holds it or it is
 * no longer postable, -1 error. */
int ledger_claim(db_t *db, long long tenant_id, long long id, const char *owner, int lease_s);
struct adjustment {
    long long id, link_id, psa_connection_id;
    char psa_contract_id[33], psa_service_id[33], effective[11];
    qty_t desired, unit_change;
    money_t unit_price;
    int attempts;
    /* The read it was planned from, when it is for its effective date and at most
     * LEDGER_READ_FRESH_S old: a first attempt posts from it without reading again. */
    int read_fresh;
    struct psa_units_seen seen;
    /* The contract's terms from the PSA cache (terms_known 0: not cached). */
    int terms_known;
    struct psa_contract_terms terms;
    /* A cost change (kind 'cost', sql/018): the new unit cost, and the new price when the price
     * policy maintains it. */
    int is_cost, has_new_price;
    money_t new_cost, new_price;
    /* The service's price and cost as the PSA cache holds them (0: unknown). */
    money_t line_price, line_cost;
};
#define LEDGER_READ_FRESH_S 600
int ledger_get(db_t *db, long long tenant_id, long long id, struct adjustment *a);
/* Outcome of one attempt (fenced by the lease owner): verified (posted or found already
 * right), or failed with a retry after backoff_s. */
int ledger_verified(db_t *db, long long tenant_id, long long id, const char *owner, const char *psa_ref,
                    const char *outcome, const char *summary, const char *response);
int ledger_failed(db_t *db, long long tenant_id, long long id, const char *owner, int backoff_s,
                  const char *summary, const char *error);
/* Gives the claim back untried (nothing reached the PSA: billsync's budget held it back): the
 * attempt does not count and the change stays as it was. */
int ledger_release(db_t *db, long long tenant_id, long long id, const char *owner);
/* A failure that retrying cannot fix (the PSA refused the change: wrong contract type, a closed
 * period, validation): failed with no retry scheduled, "needs you" with the PSA's words, until a
 * person presses Retry or a later plan replaces it. */
int ledger_needs_person(db_t *db, long long tenant_id, long long id, const char *owner, const char *summary,
                        const char *error);
/* Seconds until the tenant's earliest due retry (-1 when none). */
int ledger_next_retry_in(db_t *db, long long tenant_id, long long *seconds);

/* Decisions by a person. Each returns the number of adjustments changed. */
int ledger_approve(db_t *db, long long tenant_id, long long id, long long user_id);
int ledger_reject(db_t *db, long long tenant_id, long long id, long long user_id, const char *why);
int ledger_retry_now(db_t *db, long long tenant_id, long long id, long long user_id);
int ledger_give_up(db_t *db, long long tenant_id, long long id, long long user_id, const char *why);

/* The tenant's policy (defaults when none is stored). */
struct tenant_policy {
    char approval[16], decrease_mode[16], drift_mode[16], usage_mode[16];
    int alert_after_minutes, sync_interval_minutes;
};
int policy_get(db_t *db, long long tenant_id, struct tenant_policy *p);
int policy_set(db_t *db, long long tenant_id, const struct tenant_policy *p);

/* Scheduler (any worker, every 30 s; unique job keys make repeats no-ops): a "sync" job for
 * each tenant with links whose interval has passed, a "post" job for each tenant with changes
 * queued or due for retry. */
int sync_enqueue_due(db_t *db);
int post_enqueue_due(db_t *db);
/* "Sync now". */
int sync_enqueue(db_t *db, long long tenant_id);
int sync_mark(db_t *db, long long tenant_id, int started, const char *result);
/* The tenant's last sync: started, finished ("YYYY-MM-DD HH:MM:SS UTC", "" when never) and
 * result; no record (out.n = 0) before the first. */
struct sync_row {
    const char *started, *finished, *result;
};
DB_LIST(sync_list, struct sync_row);
int sync_state(db_t *db, long long tenant_id, struct sync_list *out);

#endif
