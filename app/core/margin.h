/* margin.h: the margin report's arithmetic (doc/margin.md), pure and exact: integers only,
 * 128-bit intermediates, every rounding half-even and said where it happens. The SQL of
 * db/margin.c computes the same values for sorting, the flag filter and the totals
 * (MARGIN_SQL_RHE there); tests/unit/test_margin.c holds this file to the cent.
 *
 * A row is one linked product of a customer: seats bought from the distributor at a unit cost
 * for cost_months (1 monthly, 12 annual: the distributor's unit cost is for its billing period)
 * and PSA units sold at a price for price_months (the contract's billing cycle, or 12 for an
 * annual charge). A PSA contract service fed by several resources bills their sum: each row
 * takes share_num / share_den of the service's revenue (its seats of the service's seats). */
#ifndef BILLSYNC_CORE_MARGIN_H
#define BILLSYNC_CORE_MARGIN_H

#include "core/money.h"

#include <stdint.h>

struct margin_in {
    qty_t seats;                  /* 1/1000 */
    money_t unit_cost;            /* 1/10000, for cost_months */
    int cost_months;              /* >= 1 */
    qty_t psa_units;              /* 1/1000: the contract service's units */
    money_t price;                /* 1/10000, for price_months */
    int price_months;             /* >= 1 */
    int64_t share_num, share_den; /* this row's part of the service's revenue; 1/1 alone */
};

struct margin_out {
    money_t revenue;              /* a month, rounded half-even to the cent (1/10000 units) */
    money_t cost;                 /* a month, rounded half-even to the cent */
    money_t margin;               /* revenue - cost (exact) */
    int has_pct;                  /* 0 when revenue <= 0: no margin % */
    int64_t pct_tenths;           /* margin / revenue in tenths of a percent, half-even */
    int flagged;                  /* margin < 0, or margin % below the threshold */
};

/* Default threshold: 10.0 %. */
#define MARGIN_THRESHOLD_DEFAULT 100
#define MARGIN_THRESHOLD_MAX 1000 /* 100.0 % */

/* num / den rounded half-even to an integer (den > 0). -1 when den <= 0 or the result does not
 * fit in int64. */
int margin_div_half_even(__int128 num, __int128 den, int64_t *out);

/* The monthly equivalent, rounded half-even to the cent (result in 1/10000 units): amount for
 * one unit over `months` × qty (1/1000) × share_num / share_den, computed exactly, rounded once. */
int margin_monthly(money_t unit_amount, qty_t qty, int months, int64_t share_num, int64_t share_den,
                   money_t *out);

/* Margin % in tenths from a margin and a revenue (both 1/10000 units), half-even; -1 when
 * revenue <= 0. */
int margin_pct_tenths(money_t margin, money_t revenue, int64_t *out);

/* Flagged: margin < 0, or (a margin % exists and) pct_tenths < threshold_tenths. */
int margin_flag(money_t margin, int has_pct, int64_t pct_tenths, int threshold_tenths);

/* Everything of one row. -1 on invalid input (months < 1, share_den <= 0, share_num < 0) or
 * overflow. */
int margin_compute(const struct margin_in *in, int threshold_tenths, struct margin_out *out);

/* "12.3", "-4.0", "100.0": tenths of a percent as shown (one decimal). */
int margin_pct_format(int64_t tenths, char *buf, size_t n);

/* A threshold typed by a person: a percent with at most one decimal ("10", "12.5", "0", " 7.5 ",
 * "7.5%"), 0 to 100. Tenths in *out; -1 on anything else (more decimals, a sign, words). */
int margin_threshold_parse(const char *s, int *out);

/* The row's billing label: "monthly", or "annual, shown monthly" when the cost or the price is
 * for 12 months, "every N months, shown monthly" for another period. */
const char *margin_period_label(int cost_months, int price_months, char *buf, size_t n);

#endif
