/* new_subs.h: the arithmetic and the clock of the new-unlinked alert (doc/dashboard.md "New
 * since last sync"), pure: a subscription's monthly value at cost, and when the daily digest
 * is due. */
#ifndef BILLSYNC_CORE_NEW_SUBS_H
#define BILLSYNC_CORE_NEW_SUBS_H

#include <stddef.h>

#include "core/cdate.h"
#include "core/money.h"

/* The tenant-local hour the daily digest goes out (07:00). */
#define NEW_SUBS_DIGEST_HOUR 7

/* One resource's monthly value at cost (doc/dashboard.md "What it is worth a month"): unit cost
 * × quantity, rounded half-even to 1/10000; annual (the unit cost is for a year): a twelfth of
 * that, computed exactly, rounded half-even to 1/10000, then half-even to the cent. 0, or -1 on
 * overflow (*out untouched). */
int cost_monthly(money_t unit_cost, qty_t qty, int annual, money_t *out);

/* A resource of a subscription, as cost_monthly_sum reads it. */
struct cost_line {
    money_t unit_cost;
    qty_t qty;
    int annual;                   /* 1: its billing cycle is annual */
};

/* The sum of each line's cost_monthly (each rounded alone, then added exactly); n may be 0.
 * 0, or -1 on overflow (*out untouched). */
int cost_monthly_sum(const struct cost_line *v, size_t n, money_t *out);

/* The daily digest's clock, in the tenant's time zone. today and local_sec (seconds since local
 * midnight, 0..86399) say when it is now; last_day is the local day whose digest went out (an
 * invalid date, e.g. {0,0,0}: never). Returns 1 when today's digest is due (the hour has passed
 * and today's has not gone out), else 0. *since_slot: seconds from today's digest hour to now
 * (negative before it): what was found before that instant belongs to today's digest.
 * *next_in: seconds from now until the scheduler should look again (the next digest hour
 * still to come, today's or tomorrow's; at least 60). */
int digest_due(cdate_t today, int local_sec, cdate_t last_day, int hour, long *since_slot, long *next_in);

#endif
