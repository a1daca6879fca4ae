/* new_subs.h: the new-unlinked alert's data (sql/020, doc/dashboard.md "New since last sync"):
 * the subscriptions a distributor pull found new, the connection's baseline, the window of
 * "new since last sync", the digest's claim and the tenant's setting.
 *
 * New: first seen (src_subscriptions.first_seen) after the connection's baseline, the end of
 * its first complete pull (or first file import): a connection's catalogue is not news.
 * Unlinked: no active subscription link and no active resource link on any of its resources.
 * Listed (dashboard, mail): new, unlinked, not gone, not cancelled; its monthly value at cost is
 * the sum over its resources (not gone, not cancelled) of core/new_subs.h cost_monthly. */
#ifndef BILLSYNC_DB_NEW_SUBS_H
#define BILLSYNC_DB_NEW_SUBS_H

#include "core/money.h"
#include "db/accounts.h"
#include "db/db.h"

/* After a complete pull of a source connection (or an applied file import, inside its
 * transaction): the first one sets the connection's baseline and records nothing; later ones
 * record each subscription first seen after the baseline, once. Found while the tenant's alert
 * is off: recorded as set aside, never mailed. Found while it is "at once": the alert job is
 * queued. Returns how many were recorded, or -1. */
int new_subs_record(db_t *db, long long tenant_id, long long connection_id);

/* The tenant's unlinked_alert setting: "off", "daily" (the default) or "at_once". */
int new_subs_mode(db_t *db, long long tenant_id, char out[16]);
/* 1 when s is one of the three values. */
int new_subs_mode_valid(const char *s);
/* Stores it (the tenant's tenant_policies row, created with its defaults when missing). */
int new_subs_set_mode(db_t *db, long long tenant_id, const char *mode);

/* A sync's pull begins / the sync completed: "new since last sync" is what was found from the
 * start of the last completed sync on (doc/dashboard.md). */
int new_subs_sync_begin(db_t *db, long long tenant_id);
int new_subs_sync_done(db_t *db, long long tenant_id);

/* One resource row of a listed subscription (a subscription without live resources has one
 * row with has_resource 0). Rows of one subscription are adjacent. */
struct new_sub_row {
    long long connection_id;
    const char *source_id;        /* the subscription's id at the distributor */
    long long company_id;         /* src_companies.id (the Billing page's anchor), 0 if unknown */
    const char *company, *subscription, *source, *found;   /* found: "YYYY-MM-DD HH:MM UTC" */
    int has_resource, annual;
    const char *currency;
    money_t unit_cost;
    qty_t qty;
};
DB_LIST(new_sub_list, struct new_sub_row);

/* Rows read at most (a bound; the dashboard says "at least" when it is reached). */
#define NEW_SUBS_MAX_ROWS 5000

/* The dashboard's: new since last sync, still unlinked, newest first. */
int new_subs_since_sync(db_t *db, long long tenant_id, struct new_sub_list *out);
/* The start of "since last sync" (UTC "YYYY-MM-DD HH:MM:SS.ffffff"; before any sync completed,
 * the year 1000), for the unlinked report's new=1 (db/reports.c binds it). */
int new_subs_window(db_t *db, long long tenant_id, char out[32]);
/* That filter on the subscription reports' rows (aliases of db/subs_sql.h: r the resource), one
 * parameter: the window. The resources of the subscriptions new_subs_since_sync lists, the
 * cancelled ones left out as the card leaves them out, so the report's value total is the
 * card's. */
#define NEW_SUBS_REPORT_COND \
    "(EXISTS (SELECT 1 FROM src_new_subscriptions n JOIN src_subscriptions s2 ON s2.tenant_id = n.tenant_id" \
    "  AND s2.connection_id = n.connection_id AND s2.source_id = n.source_id" \
    "  WHERE n.tenant_id = r.tenant_id AND n.connection_id = r.connection_id" \
    "  AND n.source_id = r.subscription_source_id AND n.found_at >= ? AND s2.status <> 'cancelled')" \
    " AND r.status <> 'cancelled'" \
    " AND NOT EXISTS (SELECT 1 FROM subscription_links sl2 WHERE sl2.tenant_id = r.tenant_id" \
    "  AND sl2.src_connection_id = r.connection_id AND sl2.src_subscription_id = r.subscription_source_id" \
    "  AND sl2.active_key = 1)" \
    " AND NOT EXISTS (SELECT 1 FROM src_resources r3 JOIN resource_links rl3 ON rl3.tenant_id = r3.tenant_id" \
    "  AND rl3.src_connection_id = r3.connection_id AND rl3.src_resource_id = r3.source_id AND rl3.active_key = 1" \
    "  WHERE r3.tenant_id = r.tenant_id AND r3.connection_id = r.connection_id" \
    "  AND r3.subscription_source_id = r.subscription_source_id))"

/* The daily digest's bookkeeping. last_day: "YYYY-MM-DD" of the last digest, "" never. */
int new_subs_last_digest(db_t *db, long long tenant_id, char last_day[11]);
/* When the scheduler looks at the tenant again: at (UTC "YYYY-MM-DD HH:MM:SS"). */
int new_subs_next_check(db_t *db, long long tenant_id, const char *at);
/* How many not yet alerted and listable were found before (UTC "YYYY-MM-DD HH:MM:SS"). */
int new_subs_pending_before(db_t *db, long long tenant_id, const char *before, long long *n);

/* Called inside the claim's transaction with the claimed subscriptions and the tenant's
 * active admins: queues the mails (db/outbox.h) on db. 0, or -1 to roll everything back. */
typedef int (*new_subs_mail_fn)(void *ctx, db_t *db, const struct new_sub_list *subs,
                                const struct email_list *admins);
/* In one transaction: (day, for the daily digest: that tenant-local day's digest must not have
 * gone out, and is marked sent) claims every listable subscription not yet alerted (alerted_at
 * and claim set: a second worker's claim waits for the row locks, then finds none), reads them,
 * and hands them to fn. Returns how many were mailed (0: nothing new, today's digest already
 * out, or no active admin: nothing changed), or -1. */
int new_subs_claim_and_mail(db_t *db, long long tenant_id, const char *claim, const char *day,
                            new_subs_mail_fn fn, void *ctx);

/* The scheduler: queues an "unlinked_alert" job for each tenant with subscriptions not yet
 * alerted, its alert not off, whose next check (new_subs_next_check) is due at now (UTC
 * "YYYY-MM-DD HH:MM:SS", the worker's clock). One pending job per tenant. */
int new_subs_enqueue_due(db_t *db, const char *now);

/* One listed subscription of a new_sub_list, with its monthly value at cost. */
struct new_sub {
    const struct new_sub_row *row;  /* its first row: ids, names, found */
    money_t value;                  /* sum of cost_monthly over its resources (0 without any) */
    const char *currency;           /* "" without resources */
    int ok;                         /* 0: overflow, or resources in several currencies */
};
/* Walks the list's subscriptions in order; fn returns non-zero to stop. Returns how many. */
int new_subs_each(const struct new_sub_list *l, int (*fn)(void *ctx, const struct new_sub *s), void *ctx);

#endif
