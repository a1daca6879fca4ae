/* price_policy.h: cost and price changes of a linked PSA service (issue 18): which cost the
 * service should carry, which sell price a price policy asks for, the margin either way, and the
 * day such a change can be posted on. Pure: no I/O, no clock. */
#ifndef BILLSYNC_CORE_PRICE_POLICY_H
#define BILLSYNC_CORE_PRICE_POLICY_H

#include "core/cdate.h"
#include "core/money.h"

/*
 * A price policy (doc/ledger.md "Cost and price"):
 *   keep    billsync never changes a sell price (the default);
 *   markup  price = cost x (1 + markup), rounded half-even to the cent;
 *   srp     the distributor's suggested retail price, where the source has one.
 * `maintain` (markup, srp): when the cost changes, the price follows. A price is always an
 * approvable change: it waits for a person whatever the tenant's approval policy.
 * A policy set for a product (PSA service) wins over one for a company (PSA account), which wins
 * over the tenant's.
 */
enum price_mode { PRICE_KEEP = 0, PRICE_MARKUP, PRICE_SRP };

struct price_policy {
    enum price_mode mode;
    int markup_bp;                 /* markup in basis points (1/100 %): 2500 = 25 %; 0..100000 */
    int maintain;                  /* 1: the price follows cost changes */
};

/* The most specific of the three (NULL = none set at that level; all NULL = keep). */
struct price_policy price_policy_resolve(const struct price_policy *tenant, const struct price_policy *company,
                                         const struct price_policy *product);

/* Parses "keep" / "markup" / "srp"; -1 otherwise. */
int price_mode_parse(const char *s, enum price_mode *out);
const char *price_mode_name(enum price_mode m);

/*
 * The sell price the policy asks for, given the new unit cost and the source's suggested price
 * (srp 0 = the source has none). 1 and *price set; 0 when the policy sets no price (keep; srp
 * without a suggested price); -1 on invalid input or overflow.
 */
int price_policy_price(const struct price_policy *p, money_t cost, money_t srp, money_t *price);

/* One link feeding a service, for its cost. */
struct cost_link {
    money_t unit_cost;             /* the distributor's cost now */
    int has_seen;                  /* billsync recorded a cost for the link (its baseline) */
    money_t cost_seen;             /* the cost billsync last planned from */
    qty_t quantity;                /* seats */
    int gone;                      /* the resource left the source: not counted */
};

/*
 * Does the service's cost change, and to what? 1 when some link's cost differs from the one
 * billsync last planned from (a link without a baseline records one and changes nothing);
 * *cost is the service's cost: the links' seat-weighted mean (every seat costs what its
 * subscription costs: 5 seats at 5.40 and 3 at 6.00 carry 5.625), half-even to 1/10000; with no
 * seats, the plain mean. 0 when nothing changed; -1 on invalid input or overflow.
 */
int cost_service_target(const struct cost_link *links, int n, money_t *cost);

/* Margin in basis points of the price: (price - cost) / price, half-even; -1 when price <= 0. */
int margin_bp(money_t price, money_t cost, int *bp);

/* "10.0 %": a margin to one decimal (basis points half away from zero), "n/a" without a price. */
void margin_text(money_t price, money_t cost, char *buf, size_t n);

/* What a person approving a cost change reads: "cost 5.40 -> 5.94; price 6.00 -> 6.53; margin
 * 10.0 % -> 9.0 %" (has_price 0: "price 6.00 kept"). */
void price_change_text(money_t cost_before, money_t new_cost, money_t price_before, int has_price,
                       money_t new_price, char *buf, size_t n);

/*
 * The day a cost change can be posted on: the first day from `from` on not in busy[] (days
 * that hold a change of the service already, on a PSA that takes one per day). -1 when none is
 * free before `last` (inclusive; {0,0,0} = no limit).
 */
int cost_free_day(cdate_t from, const cdate_t *busy, int nbusy, cdate_t last, cdate_t *out);

#endif
