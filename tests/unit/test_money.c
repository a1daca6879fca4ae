/* test_money.c: cmocka tests for core/money (parsing, rounding, formatting, 128-bit arithmetic) */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/money.h"

/* Parse must succeed with exactly `units` (1/10000). */
static void parse_ok(const char *s, money_t units)
{
    money_t v = 12345; /* sentinel */
    if (money_parse(s, &v) != 0)
        fail_msg("money_parse(\"%s\") failed", s);
    if (v != units)
        fail_msg("money_parse(\"%s\") = %lld, want %lld", s, (long long)v, (long long)units);
}

/* Parse must fail and leave the output untouched. */
static void parse_bad(const char *s)
{
    money_t v = 777;
    if (money_parse(s, &v) != -1)
        fail_msg("money_parse(\"%s\") accepted: %lld", s ? s : "(null)", (long long)v);
    assert_true(v == 777);
}

static void fmt_is(money_t v, int decimals, const char *want)
{
    char buf[MONEY_FMT_MAX];
    assert_int_equal(money_format(v, buf, sizeof buf, decimals), 0);
    assert_string_equal(buf, want);
}

static void test_parse_plain_decimals(void **state)
{
    (void)state;
    parse_ok("11.0350", 110350);
    parse_ok("11.035", 110350);
    parse_ok("-3", -30000);
    parse_ok("0.5", 5000);
    parse_ok("+7", 70000);
    parse_ok(".5", 5000);
    parse_ok("5.", 50000);
    parse_ok("0", 0);
    parse_ok("-0", 0);
    parse_ok("-0.0000", 0);
    parse_ok("000012.3400", 123400);
    parse_ok("1234.50", 12345000);
    parse_ok("0.0001", 1);
    parse_ok("-0.0001", -1);
}

static void test_parse_exponent(void **state)
{
    (void)state;
    parse_ok("1e2", 1000000);
    parse_ok("1E+2", 1000000);
    parse_ok("1.5E-1", 1500);
    parse_ok("2.5e-4", 2);   /* 0.00025 -> tie, 2 is even */
    parse_ok("1.5e-4", 2);   /* 0.00015 -> tie, rounds up to even 2 */
    parse_ok("5e-05", 0);    /* 0.00005 -> tie, 0 is even */
    parse_ok("0e999999", 0);
    parse_ok("1e-999999999999", 0);
    parse_ok("123e-2", 12300);
    parse_ok("1e14", INT64_C(1000000000000000000));
}

static void test_parse_rounds_half_even_beyond_four_decimals(void **state)
{
    (void)state;
    parse_ok("0.00005", 0);
    parse_ok("0.00015", 2);
    parse_ok("0.00025", 2);
    parse_ok("0.000251", 3);
    parse_ok("0.0000500000000000000001", 1);
    parse_ok("-0.00015", -2);
    parse_ok("-0.00025", -2);
    parse_ok("1.23456789", 12346);
    parse_ok("2.67495", 26750);
    parse_ok("2.67485", 26748);
    parse_ok("0.0000499999", 0);
    parse_ok("1.00000000000000000000000000000000000000000001", 10000);
}

static void test_parse_strict_refuses_precision_loss(void **state)
{
    (void)state;
    money_t v = 0;
    assert_int_equal(money_parse_strict("1.00001", &v), -1);
    assert_int_equal(money_parse_strict("0.00005", &v), -1);
    assert_int_equal(money_parse_strict("1e-5", &v), -1);
    assert_int_equal(money_parse_strict("1.50000", &v), 0);
    assert_true(v == 15000);
    assert_int_equal(money_parse_strict("-12.5", &v), 0);
    assert_true(v == -125000);
    assert_int_equal(money_parse_strict("garbage", &v), -1);
}

static void test_parse_rejects_garbage(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",    "1.2.3", "--1", "+-1",  "-+1", "1-",   " 1",  "1 ",  "1,5", "1,000.00", "0x10",
        "inf", "nan",   "e5",  "1e",   "1e+", "1e-",  ".",   "-",   "+",   "1..2",     "$5",
        "1e2.5", "1 000", "\t1", "1\n", "one", "１", "1e--2", "++1", "-.", ".e1",
    };
    parse_bad(NULL);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        parse_bad(bad[i]);
    assert_int_equal(money_parse("1", NULL), -1);
}

static void test_parse_overflow(void **state)
{
    (void)state;
    parse_bad("99999999999999999999");
    parse_bad("99999999999999999999.99");
    parse_bad("1e15");
    parse_bad("1e999999999999");
    parse_ok("922337203685477.5807", INT64_MAX);
    parse_bad("922337203685477.5808");
    parse_ok("-922337203685477.5807", -INT64_MAX);
    parse_bad("-922337203685477.5808"); /* INT64_MIN is kept out so negation is always safe */
    parse_bad("922337203685477.58075"); /* rounds up past the maximum */
    parse_ok("922337203685477.58065", INT64_MAX - 1); /* tie, 06 is even */
}

static void test_parse_long_inputs(void **state)
{
    (void)state;
    static char buf[200010];
    /* 200000 leading zeros then 1 */
    memset(buf, '0', 200000);
    strcpy(buf + 200000, "1");
    parse_ok(buf, 10000);
    /* 0.000...0001 with 200000 zeros: far below half a unit */
    buf[0] = '0';
    buf[1] = '.';
    memset(buf + 2, '0', 200000);
    strcpy(buf + 200002, "1");
    parse_ok(buf, 0);
    /* 5 followed by many zeros after the fourth decimal: an exact tie */
    strcpy(buf, "0.00015");
    memset(buf + 7, '0', 100000);
    buf[100007] = '\0';
    parse_ok(buf, 2);
    /* many significant digits overflow */
    memset(buf, '9', 1000);
    buf[1000] = '\0';
    parse_bad(buf);
}

static void test_from_json_number_uses_shortest_decimal(void **state)
{
    (void)state;
    money_t v = 0;
    assert_int_equal(money_from_json_number(11.035, &v), 0);
    assert_true(v == 110350);
    assert_int_equal(money_from_json_number(0.1 + 0.2, &v), 0); /* 0.30000000000000004 */
    assert_true(v == 3000);
    assert_int_equal(money_from_json_number(2.675, &v), 0); /* binary 2.67499999... */
    assert_true(v == 26750);
    assert_int_equal(money_from_json_number(0.00005, &v), 0); /* shortest "5e-05": a tie, even 0 */
    assert_true(v == 0);
    assert_int_equal(money_from_json_number(0.00015, &v), 0);
    assert_true(v == 2);
    assert_int_equal(money_from_json_number(-12.5, &v), 0);
    assert_true(v == -125000);
    assert_int_equal(money_from_json_number(-0.0, &v), 0);
    assert_true(v == 0);
    assert_int_equal(money_from_json_number(123456789.1234, &v), 0);
    assert_true(v == INT64_C(1234567891234));
    assert_int_equal(money_from_json_number(1e20, &v), -1);
    assert_int_equal(money_from_json_number(NAN, &v), -1);
    assert_int_equal(money_from_json_number(INFINITY, &v), -1);
    assert_int_equal(money_from_json_number(-INFINITY, &v), -1);
    assert_int_equal(money_from_json_number(1.0, NULL), -1);
}

static void test_from_int(void **state)
{
    (void)state;
    money_t v = 0;
    assert_int_equal(money_from_int(12, &v), 0);
    assert_true(v == 120000);
    assert_int_equal(money_from_int(-3, &v), 0);
    assert_true(v == -30000);
    assert_int_equal(money_from_int(INT64_MAX / 10000 + 1, &v), -1);
    assert_int_equal(money_from_int(INT64_MIN, &v), -1);
}

static void test_format(void **state)
{
    (void)state;
    fmt_is(12345000, 2, "1234.50");
    fmt_is(110350, 4, "11.0350");
    fmt_is(110350, 2, "11.04");   /* 11.035: half away from zero */
    fmt_is(-110350, 2, "-11.04");
    fmt_is(110250, 2, "11.03");
    fmt_is(110249, 2, "11.02");
    fmt_is(-40, 2, "0.00");       /* no negative zero */
    fmt_is(-50, 2, "-0.01");
    fmt_is(0, 2, "0.00");
    fmt_is(25000, 0, "3");
    fmt_is(-25000, 0, "-3");
    fmt_is(99995, 2, "10.00");    /* carry into the integer part */
    fmt_is(1, 3, "0.000");
    fmt_is(5, 3, "0.001");
    fmt_is(INT64_MAX, 4, "922337203685477.5807");
    fmt_is(INT64_MAX, 2, "922337203685477.58");
    fmt_is(INT64_MIN, 4, "-922337203685477.5808");
    fmt_is(INT64_MIN, 0, "-922337203685478");
}

static void test_format_rejects_bad_arguments(void **state)
{
    (void)state;
    char buf[8] = "xxxxxxx";
    assert_int_equal(money_format(100, NULL, 10, 2), -1);
    assert_int_equal(money_format(100, buf, 0, 2), -1);
    assert_int_equal(money_format(100, buf, sizeof buf, -1), -1);
    assert_int_equal(money_format(100, buf, sizeof buf, 5), -1);
    assert_int_equal(money_format(12345000, buf, 7, 2), -1); /* "1234.50" needs 8 */
    assert_string_equal(buf, "");
    assert_int_equal(money_format(12345000, buf, 8, 2), 0);
    assert_string_equal(buf, "1234.50");
}

static void round_is(money_t v, int decimals, money_rounding_t mode, money_t want)
{
    money_t out = 0;
    assert_int_equal(money_round(v, decimals, mode, &out), 0);
    if (out != want)
        fail_msg("money_round(%lld, %d, %d) = %lld, want %lld", (long long)v, decimals, (int)mode,
                 (long long)out, (long long)want);
}

static void test_round_modes(void **state)
{
    (void)state;
    round_is(12350, 2, MONEY_ROUND_HALF_EVEN, 12400);
    round_is(12250, 2, MONEY_ROUND_HALF_EVEN, 12200);
    round_is(-12350, 2, MONEY_ROUND_HALF_EVEN, -12400);
    round_is(-12250, 2, MONEY_ROUND_HALF_EVEN, -12200);
    round_is(12251, 2, MONEY_ROUND_HALF_EVEN, 12300);
    round_is(12250, 2, MONEY_ROUND_HALF_UP, 12300);
    round_is(-12250, 2, MONEY_ROUND_HALF_UP, -12300);
    round_is(12249, 2, MONEY_ROUND_HALF_UP, 12200);
    round_is(38799, 2, MONEY_ROUND_DOWN, 38700);
    round_is(-38799, 2, MONEY_ROUND_DOWN, -38700);
    round_is(25000, 0, MONEY_ROUND_HALF_EVEN, 20000);
    round_is(35000, 0, MONEY_ROUND_HALF_EVEN, 40000);
    round_is(12345, 4, MONEY_ROUND_HALF_EVEN, 12345);
    round_is(12345, 3, MONEY_ROUND_HALF_EVEN, 12340);
    round_is(12355, 3, MONEY_ROUND_HALF_EVEN, 12360);
    money_t out = 99;
    assert_int_equal(money_round(INT64_MAX, 0, MONEY_ROUND_HALF_UP, &out), -1); /* .5807 rounds up past max */
    assert_int_equal(money_round(INT64_MAX, 2, MONEY_ROUND_HALF_UP, &out), 0);
    assert_true(out == INT64_MAX - 7);
    assert_int_equal(money_round(100, 5, MONEY_ROUND_HALF_UP, &out), -1);
    assert_int_equal(money_round(100, -1, MONEY_ROUND_HALF_UP, &out), -1);
    assert_int_equal(money_round(100, 2, (money_rounding_t)42, &out), -1);
    assert_int_equal(money_round(100, 2, MONEY_ROUND_HALF_UP, NULL), -1);
}

static void test_add_sub_neg_overflow(void **state)
{
    (void)state;
    money_t v = 0;
    assert_int_equal(money_add(10000, 25000, &v), 0);
    assert_true(v == 35000);
    assert_int_equal(money_sub(10000, 25000, &v), 0);
    assert_true(v == -15000);
    assert_int_equal(money_add(INT64_MAX, 1, &v), -1);
    assert_int_equal(money_sub(-INT64_MAX, 1, &v), -1); /* would be INT64_MIN */
    assert_int_equal(money_sub(INT64_MIN, 1, &v), -1);
    assert_int_equal(money_neg(INT64_MIN, &v), -1);
    assert_int_equal(money_neg(-5, &v), 0);
    assert_true(v == 5);
    assert_int_equal(money_add(1, 1, NULL), -1);
}

static void mul_div_is(money_t a, int64_t num, int64_t den, money_t want)
{
    money_t out = 0;
    assert_int_equal(money_mul_div(a, num, den, &out), 0);
    if (out != want)
        fail_msg("money_mul_div(%lld, %lld, %lld) = %lld, want %lld", (long long)a, (long long)num,
                 (long long)den, (long long)out, (long long)want);
}

static void test_mul_div_half_even(void **state)
{
    (void)state;
    mul_div_is(100000, 1, 3, 33333);  /* 10.00 / 3 */
    mul_div_is(20000, 1, 3, 6667);    /* 0.66666.. */
    mul_div_is(5, 1, 2, 2);           /* 2.5 -> 2 */
    mul_div_is(15, 1, 2, 8);          /* 7.5 -> 8 */
    mul_div_is(-5, 1, 2, -2);
    mul_div_is(-15, 1, 2, -8);
    mul_div_is(15, -1, 2, -8);
    mul_div_is(15, 1, -2, -8);
    mul_div_is(-15, -1, -2, -8);
    mul_div_is(7, 0, 5, 0);
    mul_div_is(INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX); /* exact 128-bit intermediate */
    mul_div_is(INT64_MAX, 3, 6, INT64_MAX / 2 + 1);         /* ...03.5 rounds to even ...04 */
    mul_div_is(-INT64_MAX, INT64_MAX, INT64_MAX, -INT64_MAX);
    money_t out = 0;
    assert_int_equal(money_mul_div(1, 1, 0, &out), -1);
    assert_int_equal(money_mul_div(INT64_MAX, 2, 1, &out), -1);
    assert_int_equal(money_mul_div(INT64_MIN, 1, 1, &out), -1);
    assert_int_equal(money_mul_div(INT64_MIN, -1, 1, &out), -1);
    assert_int_equal(money_mul_div(INT64_MIN, INT64_MIN, -1, &out), -1);
    assert_int_equal(money_mul_div(1, 1, 1, NULL), -1);
}

static void test_mul_qty(void **state)
{
    (void)state;
    money_t out = 0;
    assert_int_equal(money_mul_qty(120000, 3000, &out), 0); /* 12.00 x 3 */
    assert_true(out == 360000);
    assert_int_equal(money_mul_qty(234, 1234567, &out), 0); /* 0.0234/GB x 1234.567 GB = 28.888867.. */
    assert_true(out == 288889);
    assert_int_equal(money_mul_qty(1, 500, &out), 0); /* 0.00005 -> tie -> 0 */
    assert_true(out == 0);
    assert_int_equal(money_mul_qty(3, 500, &out), 0); /* 0.00015 -> tie -> 0.0002 */
    assert_true(out == 2);
    assert_int_equal(money_mul_qty(-120000, 3000, &out), 0);
    assert_true(out == -360000);
    assert_int_equal(money_mul_qty(INT64_MAX, 2000, &out), -1);
    assert_int_equal(money_mul_qty_div(INT64_MAX, INT64_MAX, INT64_MAX, 1, &out), -1);
    assert_int_equal(money_mul_qty_div(INT64_MAX, INT64_MAX, INT64_MIN, 1, &out), -1);
    assert_int_equal(money_mul_qty_div(100, 1000, 1, 0, &out), -1);
    assert_int_equal(money_mul_qty_div(120000, 3000, 14, 30, &out), 0);
    assert_true(out == 168000);
}

static void test_div_qty_average_cost_per_gb(void **state)
{
    (void)state;
    money_t out = 0;
    assert_int_equal(money_div_qty(1000000, 3000, &out), 0); /* 100.00 / 3 */
    assert_true(out == 333333);
    assert_int_equal(money_div_qty(2882, 123456, &out), 0); /* 0.2882 / 123.456 GB = 0.0023344.. */
    assert_true(out == 23);
    assert_int_equal(money_div_qty(100, 0, &out), -1);
    assert_int_equal(money_div_qty(INT64_MAX, 1, &out), -1);
}

static void qty_parse_is(const char *s, qty_t want)
{
    qty_t v = 0;
    if (qty_parse(s, &v) != 0 || v != want)
        fail_msg("qty_parse(\"%s\") = %lld, want %lld", s, (long long)v, (long long)want);
}

static void qty_fmt_is(qty_t q, const char *want)
{
    char buf[MONEY_FMT_MAX];
    assert_int_equal(qty_format(q, buf, sizeof buf), 0);
    assert_string_equal(buf, want);
}

static void test_qty_parse_and_format(void **state)
{
    (void)state;
    qty_parse_is("1.5", 1500);
    qty_parse_is("3", 3000);
    qty_parse_is("-2", -2000);
    qty_parse_is("0.0005", 0);
    qty_parse_is("0.0015", 2);
    qty_parse_is("123.4567", 123457);
    qty_parse_is("1e3", 1000000);
    qty_t v = 5;
    assert_int_equal(qty_parse("1.2.3", &v), -1);
    assert_int_equal(qty_parse("--1", &v), -1);
    assert_int_equal(qty_parse("", &v), -1);
    assert_int_equal(qty_parse(NULL, &v), -1);
    assert_int_equal(qty_parse("99999999999999999999", &v), -1);
    assert_int_equal(qty_parse("9223372036854775.807", &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(qty_parse_strict("1.0005", &v), -1);
    assert_int_equal(qty_parse_strict("1.500", &v), 0);
    assert_true(v == 1500);
    qty_fmt_is(3000, "3");
    qty_fmt_is(1500, "1.5");
    qty_fmt_is(-125, "-0.125");
    qty_fmt_is(1, "0.001");
    qty_fmt_is(10, "0.01");
    qty_fmt_is(0, "0");
    qty_fmt_is(-3000, "-3");
    qty_fmt_is(INT64_MIN, "-9223372036854775.808");
    char small[3];
    assert_int_equal(qty_format(1500, small, sizeof small), -1);
    assert_int_equal(qty_format(1500, NULL, 10), -1);
}

static void test_qty_conversions(void **state)
{
    (void)state;
    qty_t q = 0;
    int64_t n = 0;
    assert_int_equal(qty_from_int(7, &q), 0);
    assert_true(q == 7000);
    assert_int_equal(qty_from_int(INT64_MAX / 100, &q), -1);
    /* MSP360 AverageSpace in bytes -> GiB (1024^3), half-even to 1/1000 */
    assert_int_equal(qty_from_fraction(INT64_C(1610612736), INT64_C(1073741824), &q), 0);
    assert_true(q == 1500);
    assert_int_equal(qty_from_fraction(1, INT64_C(1073741824), &q), 0);
    assert_true(q == 0);
    assert_int_equal(qty_from_fraction(INT64_C(536870912), INT64_C(1073741824000), &q), 0); /* 0.0005 tie */
    assert_true(q == 0);
    assert_int_equal(qty_from_fraction(1, 0, &q), -1);
    assert_int_equal(qty_from_json_number(1.5, &q), 0);
    assert_true(q == 1500);
    assert_int_equal(qty_from_json_number(NAN, &q), -1);
    assert_true(qty_is_whole(3000));
    assert_false(qty_is_whole(3001));
    assert_true(qty_is_whole(-3000));
    assert_int_equal(qty_to_int(-3000, &n), 0);
    assert_true(n == -3);
    assert_int_equal(qty_to_int(1500, &n), -1);
    assert_int_equal(qty_add(3000, -1000, &q), 0);
    assert_true(q == 2000);
    assert_int_equal(qty_sub(2000, 2000, &q), 0);
    assert_true(q == 0);
    assert_int_equal(qty_add(INT64_MAX, 1, &q), -1);
}

/*
 * doc/proration.md 3 case 10 / 1.1: Microsoft's recon subtotal for licence SKUs is
 * ROUNDDOWN(EffectiveUnitPrice x rate, 2) x BillableQuantity, so the distributor's total can
 * differ by cents from price x quantity. The building blocks reproduce both numbers.
 */
static void test_case10_microsoft_rounddown_per_unit_differs_from_price_times_qty(void **state)
{
    (void)state;
    money_t price = 0, unit = 0, ms_total = 0, exact = 0, exact_cents = 0;
    assert_int_equal(money_from_json_number(11.035, &price), 0);
    assert_int_equal(money_round(price, 2, MONEY_ROUND_DOWN, &unit), 0);
    assert_true(unit == 110300);
    assert_int_equal(money_mul_qty(unit, 7000, &ms_total), 0);
    fmt_is(ms_total, 2, "77.21");
    assert_int_equal(money_mul_qty(price, 7000, &exact), 0);
    fmt_is(exact, 4, "77.2450");
    assert_int_equal(money_round(exact, 2, MONEY_ROUND_HALF_EVEN, &exact_cents), 0);
    fmt_is(exact_cents, 2, "77.24");
    money_t diff = 0;
    assert_int_equal(money_sub(exact_cents, ms_total, &diff), 0);
    fmt_is(diff, 2, "0.03");

    /* with an exchange rate: ROUNDDOWN(10.4567 x 0.9134, 2) = 9.55, x 12 = 114.60 */
    money_t local = 0;
    assert_int_equal(money_parse("10.4567", &price), 0);
    assert_int_equal(money_mul_div(price, 9134, 10000, &local), 0);
    assert_int_equal(money_round(local, 2, MONEY_ROUND_DOWN, &unit), 0);
    assert_int_equal(money_mul_qty(unit, 12000, &ms_total), 0);
    fmt_is(ms_total, 2, "114.60");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_plain_decimals),
        cmocka_unit_test(test_parse_exponent),
        cmocka_unit_test(test_parse_rounds_half_even_beyond_four_decimals),
        cmocka_unit_test(test_parse_strict_refuses_precision_loss),
        cmocka_unit_test(test_parse_rejects_garbage),
        cmocka_unit_test(test_parse_overflow),
        cmocka_unit_test(test_parse_long_inputs),
        cmocka_unit_test(test_from_json_number_uses_shortest_decimal),
        cmocka_unit_test(test_from_int),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_rejects_bad_arguments),
        cmocka_unit_test(test_round_modes),
        cmocka_unit_test(test_add_sub_neg_overflow),
        cmocka_unit_test(test_mul_div_half_even),
        cmocka_unit_test(test_mul_qty),
        cmocka_unit_test(test_div_qty_average_cost_per_gb),
        cmocka_unit_test(test_qty_parse_and_format),
        cmocka_unit_test(test_qty_conversions),
        cmocka_unit_test(test_case10_microsoft_rounddown_per_unit_differs_from_price_times_qty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
