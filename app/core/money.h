/* money.h: exact fixed-point money (1/10000 unit) and quantities (1/1000 unit), no floats in the arithmetic */
#ifndef BILLSYNC_CORE_MONEY_H
#define BILLSYNC_CORE_MONEY_H

#include <stddef.h>
#include <stdint.h>

/*
 * money_t: an amount in 1/10000 of the currency unit (four decimals, as Autotask stores them).
 * qty_t:   a quantity in 1/1000 of a unit (seats are whole; usage such as GB is fractional).
 *
 * Parsed values lie in [-INT64_MAX, INT64_MAX] so negation never overflows. Every function
 * returns 0 on success and -1 on invalid input or overflow; on -1 *out is left untouched.
 *
 * Rounding, everywhere unless a function says otherwise: half-even ("banker's") to the last
 * kept digit. money_format rounds half away from zero (what a person expects on screen);
 * money_round lets the caller pick (Microsoft's recon uses ROUNDDOWN).
 */
typedef int64_t money_t;
typedef int64_t qty_t;

#define MONEY_SCALE 10000
#define MONEY_DECIMALS 4
#define QTY_SCALE 1000
#define QTY_DECIMALS 3

/* Big enough for any money_format / qty_format output, including sign and NUL. */
#define MONEY_FMT_MAX 32

typedef enum {
    MONEY_ROUND_HALF_EVEN = 0, /* banker's rounding: 0.125 -> 0.12, 0.135 -> 0.14 */
    MONEY_ROUND_HALF_UP,       /* half away from zero: 0.125 -> 0.13, -0.125 -> -0.13 */
    MONEY_ROUND_DOWN           /* toward zero (Excel ROUNDDOWN): 3.879 -> 3.87, -3.879 -> -3.87 */
} money_rounding_t;

/*
 * Parse a plain decimal: [+-]digits[.digits][(e|E)[+-]digits], at least one digit in the
 * mantissa (".5" and "5." are accepted). No spaces, no thousands separators, no hex, no
 * inf/nan. Digits beyond the fourth decimal are rounded half-even ("0.00005" -> 0,
 * "0.00015" -> 0.0002); values whose magnitude exceeds INT64_MAX/10000 are rejected.
 */
int money_parse(const char *s, money_t *out);
/* Same syntax, but refuses any input that would need rounding ("1.00001"); "1.50000" is fine. */
int money_parse_strict(const char *s, money_t *out);
/* A JSON number that arrived as a double: 11.035 becomes exactly 110350 (shortest repr). */
int money_from_json_number(double d, money_t *out);
/* Whole currency units (a JSON integer): 12 -> 120000. */
int money_from_int(int64_t whole, money_t *out);
/* "1234.50": decimals 0..4, half away from zero, '-' only when the printed value is non-zero. */
int money_format(money_t v, char *buf, size_t n, int decimals);
/* Round to `decimals` (0..4) decimal places in the given mode; result stays in 1/10000 units. */
int money_round(money_t v, int decimals, money_rounding_t mode, money_t *out);
int money_add(money_t a, money_t b, money_t *out);
int money_sub(money_t a, money_t b, money_t *out);
int money_neg(money_t a, money_t *out);
/* a * num / den with an exact 128-bit intermediate, rounded half-even. den != 0. */
int money_mul_div(money_t a, int64_t num, int64_t den, money_t *out);
/* unit price * quantity, rounded half-even to 1/10000. */
int money_mul_qty(money_t unit_price, qty_t qty, money_t *out);
/* unit price * quantity * num / den in one exact step, rounded once (used by proration). */
int money_mul_qty_div(money_t unit_price, qty_t qty, int64_t num, int64_t den, money_t *out);
/* total / quantity (e.g. average cost per GB), rounded half-even; qty != 0. */
int money_div_qty(money_t total, qty_t qty, money_t *out);

/* Quantities: same syntax as money_parse, three decimals, half-even beyond. */
int qty_parse(const char *s, qty_t *out);
int qty_parse_strict(const char *s, qty_t *out);
int qty_from_json_number(double d, qty_t *out);
int qty_from_int(int64_t whole, qty_t *out);
/* num / den units, rounded half-even to 1/1000 (e.g. bytes / 1024^3 -> GiB). den != 0. */
int qty_from_fraction(int64_t num, int64_t den, qty_t *out);
/* Shortest form: 3000 -> "3", 1500 -> "1.5", -125 -> "-0.125". */
int qty_format(qty_t q, char *buf, size_t n);
int qty_add(qty_t a, qty_t b, qty_t *out);
int qty_sub(qty_t a, qty_t b, qty_t *out);
/* 1 when q is a whole number of units (what a seat-based PSA field can hold). */
int qty_is_whole(qty_t q);
/* Whole units of q; -1 when q has a fractional part. */
int qty_to_int(qty_t q, int64_t *out);

#endif
