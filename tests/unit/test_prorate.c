/* test_prorate.c: cmocka tests for core/prorate (the estimate convention, term-end proration, effective dates) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/prorate.h"

static cdate_t D(int y, int m, int d)
{
    return cdate_make(y, m, d);
}

static cdate_period_t P(cdate_t a, cdate_t b)
{
    cdate_period_t p = {a, b};
    return p;
}

static money_t M(const char *s)
{
    money_t v = 0;
    if (money_parse(s, &v) != 0)
        fail_msg("bad money literal %s", s);
    return v;
}

static qty_t Q(int64_t whole)
{
    return whole * QTY_SCALE;
}

/* v formatted with `decimals` must equal want. */
static void money_is(money_t v, int decimals, const char *want)
{
    char buf[MONEY_FMT_MAX];
    assert_int_equal(money_format(v, buf, sizeof buf, decimals), 0);
    assert_string_equal(buf, want);
}

static void date_str_is(cdate_t d, const char *want)
{
    char buf[CDATE_FMT_LEN];
    assert_int_equal(cdate_format(d, buf, sizeof buf), 0);
    assert_string_equal(buf, want);
}

/* 5.5 case 1: +3 seats on day 17 of a 30-day month at 12.00, both conventions pinned down. */
static void test_case1_add3_day17_of_30_inclusive_is_14_of_30(void **state)
{
    (void)state;
    int64_t num = 0, den = 0;
    cdate_period_t june = P(D(2025, 6, 1), D(2025, 6, 30));
    assert_int_equal(prorate_fraction(PRORATE_INCLUSIVE, D(2025, 6, 17), june, &num, &den), 0);
    assert_true(num == 14 && den == 30);
    money_t v = 0;
    assert_int_equal(prorate_amount(M("12.00"), Q(3), D(2025, 6, 17), june.start, june.end, &v), 0);
    money_is(v, 4, "16.8000"); /* 12 x 3 x 14/30 */
}

static void test_case1_add3_day17_of_30_integrator_formula_is_13_of_30(void **state)
{
    (void)state;
    int64_t num = 0, den = 0;
    cdate_period_t june = P(D(2025, 6, 1), D(2025, 6, 30));
    assert_int_equal(prorate_fraction(PRORATE_EXCLUDE_EFFECTIVE_DAY, D(2025, 6, 17), june, &num, &den), 0);
    assert_true(num == 13 && den == 30);
    money_t v = 0;
    assert_int_equal(prorate_amount_conv(PRORATE_EXCLUDE_EFFECTIVE_DAY, M("12.00"), Q(3), D(2025, 6, 17), june, &v),
                     0);
    money_is(v, 4, "15.6000"); /* 12 x 3 x 13/30: Ingram's ConnectWise formula */
    /* the integrator formula charges nothing for a change on the last day; ours charges one day */
    assert_int_equal(prorate_amount_conv(PRORATE_EXCLUDE_EFFECTIVE_DAY, M("12.00"), Q(3), D(2025, 6, 30), june, &v),
                     0);
    assert_true(v == 0);
    assert_int_equal(prorate_amount(M("12.00"), Q(3), D(2025, 6, 30), june.start, june.end, &v), 0);
    money_is(v, 4, "1.2000");
    assert_int_equal(prorate_amount_conv((prorate_convention_t)9, M("12.00"), Q(3), D(2025, 6, 30), june, &v), -1);
}

/* 5.1 Microsoft: $4 monthly, one licence added the day after purchase, 29 of 30 days remain. */
static void test_microsoft_rebill_example_4_dollars_29_of_30_days(void **state)
{
    (void)state;
    cdate_t start = D(2025, 9, 1), end = D(2025, 9, 30), eff = D(2025, 9, 2);
    money_t old_rebill = 0, new_qty = 0, cents = 0;
    assert_int_equal(prorate_amount(M("4.00"), Q(-1), eff, start, end, &old_rebill), 0);
    money_is(old_rebill, 4, "-3.8667");
    assert_int_equal(prorate_to_cents(old_rebill, &cents), 0);
    money_is(cents, 2, "-3.87");
    assert_int_equal(prorate_amount(M("4.00"), Q(2), eff, start, end, &new_qty), 0);
    money_is(new_qty, 4, "7.7333");
    assert_int_equal(prorate_to_cents(new_qty, &cents), 0);
    money_is(cents, 2, "7.73");
    /* Microsoft shows +7.74: it rounds the per-licence amount first (3.87 x 2). Our estimate
     * rounds once at the end; the difference is why the distributor's lines are the money. */
    money_t per_unit = 0, ms = 0;
    assert_int_equal(prorate_amount(M("4.00"), Q(1), eff, start, end, &per_unit), 0);
    assert_int_equal(money_round(per_unit, 2, MONEY_ROUND_HALF_UP, &per_unit), 0);
    assert_int_equal(money_mul_qty(per_unit, Q(2), &ms), 0);
    money_is(ms, 2, "7.74");
}

/* 5.1 rhipe/Crayon: billable ratio counts the end date; 10 seats 3-15 Apr, 15 seats 16-30 Apr at $12. */
static void test_rhipe_segments_10_seats_3_to_15_apr_and_15_seats_16_to_30_apr(void **state)
{
    (void)state;
    cdate_period_t april = P(D(2025, 4, 1), D(2025, 4, 30));
    money_t a = 0, b = 0;
    assert_int_equal(prorate_segment(M("12"), Q(10), P(D(2025, 4, 3), D(2025, 4, 15)), april, &a), 0);
    money_is(a, 2, "52.00");
    assert_int_equal(prorate_segment(M("12"), Q(15), P(D(2025, 4, 16), D(2025, 4, 30)), april, &b), 0);
    money_is(b, 2, "90.00");
    money_t whole = 0;
    assert_int_equal(prorate_segment(M("12"), Q(15), april, april, &whole), 0);
    money_is(whole, 2, "180.00");
    assert_int_equal(prorate_segment(M("12"), Q(15), P(D(2025, 3, 31), D(2025, 4, 30)), april, &a), -1);
    assert_int_equal(prorate_segment(M("12"), Q(15), P(D(2025, 4, 10), D(2025, 5, 1)), april, &a), -1);
    assert_int_equal(prorate_segment(M("12"), Q(15), P(D(2025, 4, 10), D(2025, 4, 9)), april, &a), -1);
}

static void test_prorate_amount_bounds_and_refusals(void **state)
{
    (void)state;
    cdate_t s = D(2025, 3, 1), e = D(2025, 3, 31);
    money_t v = 99;
    assert_int_equal(prorate_amount(M("31.00"), Q(1), s, s, e, &v), 0);
    money_is(v, 4, "31.0000"); /* effective on the first day: the whole period */
    assert_int_equal(prorate_amount(M("31.00"), Q(1), e, s, e, &v), 0);
    money_is(v, 4, "1.0000"); /* last day: one day */
    v = 99;
    assert_int_equal(prorate_amount(M("31.00"), Q(1), D(2025, 2, 28), s, e, &v), -1);
    assert_int_equal(prorate_amount(M("31.00"), Q(1), D(2025, 4, 1), s, e, &v), -1);
    assert_int_equal(prorate_amount(M("31.00"), Q(1), D(2025, 3, 10), e, s, &v), -1);
    assert_int_equal(prorate_amount(M("31.00"), Q(1), D(2025, 2, 30), s, e, &v), -1);
    assert_int_equal(prorate_amount(M("31.00"), Q(1), D(2025, 3, 10), D(2025, 2, 30), e, &v), -1);
    assert_int_equal(prorate_amount(INT64_MAX, INT64_MAX, D(2025, 3, 10), s, e, &v), -1);
    assert_true(v == 99);
    assert_int_equal(prorate_amount(M("31.00"), Q(1), D(2025, 3, 10), s, e, NULL), -1);
    int64_t num, den;
    assert_int_equal(prorate_fraction(PRORATE_INCLUSIVE, D(2025, 3, 10), P(s, e), NULL, &den), -1);
    assert_int_equal(prorate_fraction(PRORATE_INCLUSIVE, D(2025, 3, 10), P(s, e), &num, NULL), -1);
}

static void test_prorate_rounding_half_even_then_cents(void **state)
{
    (void)state;
    money_t v = 0, c = 0;
    /* 10.00 x 10/31 = 3.2258064.. -> 3.2258 -> 3.23 */
    assert_int_equal(prorate_amount(M("10.00"), Q(1), D(2025, 1, 22), D(2025, 1, 1), D(2025, 1, 31), &v), 0);
    money_is(v, 4, "3.2258");
    assert_int_equal(prorate_to_cents(v, &c), 0);
    money_is(c, 2, "3.23");
    /* exact ties at the fourth decimal go to even */
    assert_int_equal(prorate_amount(M("0.0001"), Q(1), D(2025, 1, 2), D(2025, 1, 1), D(2025, 1, 2), &v), 0);
    assert_true(v == 0);
    assert_int_equal(prorate_amount(M("0.0003"), Q(1), D(2025, 1, 2), D(2025, 1, 1), D(2025, 1, 2), &v), 0);
    assert_true(v == 2);
    assert_int_equal(prorate_amount(M("0.0003"), Q(-1), D(2025, 1, 2), D(2025, 1, 1), D(2025, 1, 2), &v), 0);
    assert_true(v == -2);
    /* ties at the cent go to even too */
    assert_int_equal(prorate_to_cents(M("0.125"), &c), 0);
    money_is(c, 2, "0.12");
    assert_int_equal(prorate_to_cents(M("0.135"), &c), 0);
    money_is(c, 2, "0.14");
    /* fractional quantity: 2.5 GB-seats */
    assert_int_equal(prorate_amount(M("12.00"), 2500, D(2025, 6, 16), D(2025, 6, 1), D(2025, 6, 30), &v), 0);
    money_is(v, 4, "15.0000");
}

static void test_leap_year_february_proration(void **state)
{
    (void)state;
    money_t v = 0;
    assert_int_equal(prorate_amount(M("29.00"), Q(1), D(2024, 2, 15), D(2024, 2, 1), D(2024, 2, 29), &v), 0);
    money_is(v, 4, "15.0000"); /* 15 of 29 days */
    assert_int_equal(prorate_amount(M("28.00"), Q(1), D(2025, 2, 15), D(2025, 2, 1), D(2025, 2, 28), &v), 0);
    money_is(v, 4, "14.0000"); /* 14 of 28 days */
    assert_int_equal(prorate_amount(M("29.00"), Q(1), D(2024, 2, 29), D(2024, 2, 1), D(2024, 2, 29), &v), 0);
    money_is(v, 4, "1.0000");
}

/* 5.5 case 7: seat add mid-term on an annual commitment -> prorated one-time charge to term end. */
static void test_case7_annual_seat_add_mid_term_prorated_to_term_end(void **state)
{
    (void)state;
    money_t v = 0, c = 0;
    cdate_period_t term;
    assert_int_equal(prorate_to_term_end(M("240.00"), Q(2), D(2025, 7, 1), D(2025, 1, 15), 12, &v, &term), 0);
    date_str_is(term.start, "2025-01-15");
    date_str_is(term.end, "2026-01-14");
    money_is(v, 4, "260.3836"); /* 240 x 2 x 198/365 */
    assert_int_equal(prorate_to_cents(v, &c), 0);
    money_is(c, 2, "260.38");
}

/* 5.5 case 7: renewal -> one-time charge for the whole new term, keyed by the new term. */
static void test_case7_annual_renewal_is_full_term_charge_for_new_term(void **state)
{
    (void)state;
    money_t v = 0;
    cdate_period_t term;
    assert_int_equal(prorate_to_term_end(M("240.00"), Q(2), D(2026, 1, 15), D(2025, 1, 15), 12, &v, &term), 0);
    date_str_is(term.start, "2026-01-15");
    date_str_is(term.end, "2027-01-14");
    money_is(v, 2, "480.00");
    /* the day before renewal is the old term's last day: one day of it */
    assert_int_equal(prorate_to_term_end(M("365.00"), Q(1), D(2026, 1, 14), D(2025, 1, 15), 12, &v, NULL), 0);
    money_is(v, 2, "1.00");
}

static void test_term_end_across_leap_day_uses_366_days(void **state)
{
    (void)state;
    money_t v = 0;
    cdate_period_t term;
    assert_int_equal(prorate_to_term_end(M("366.00"), Q(1), D(2028, 5, 1), D(2027, 6, 1), 12, &v, &term), 0);
    date_str_is(term.start, "2027-06-01");
    date_str_is(term.end, "2028-05-31");
    money_is(v, 4, "31.0000");
    /* a three-year (P3Y) term of 1095 days */
    assert_int_equal(prorate_to_term_end(M("1095.00"), Q(1), D(2027, 1, 1), D(2025, 1, 1), 36, &v, &term), 0);
    date_str_is(term.end, "2027-12-31");
    money_is(v, 4, "365.0000");
    assert_int_equal(prorate_to_term_end(M("1"), Q(1), D(2027, 1, 1), D(2025, 1, 1), 0, &v, &term), -1);
    assert_int_equal(prorate_to_term_end(M("1"), Q(1), D(2027, 1, 1), D(2025, 1, 1), 12, NULL, &term), -1);
}

/* 5.5 case 8: usage month -> one charge dated first-to-last of the month, cents only at the end. */
static void test_case8_usage_month_single_charge_rounded_at_the_end(void **state)
{
    (void)state;
    cdate_t first, last;
    assert_int_equal(cdate_first_of_month(D(2024, 2, 15), &first), 0);
    assert_int_equal(cdate_last_of_month(D(2024, 2, 15), &last), 0);
    date_str_is(first, "2024-02-01");
    date_str_is(last, "2024-02-29");

    /* three backup users at 10.150 GB each, 0.0200 per GB */
    money_t price = M("0.0200"), total = 0, per_line_cents_sum = 0;
    qty_t gb = 0;
    assert_int_equal(qty_parse("10.150", &gb), 0);
    for (int i = 0; i < 3; i++) {
        money_t line = 0, line_cents = 0;
        assert_int_equal(money_mul_qty(price, gb, &line), 0);
        money_is(line, 4, "0.2030");
        assert_int_equal(money_add(total, line, &total), 0);
        assert_int_equal(money_round(line, 2, MONEY_ROUND_HALF_EVEN, &line_cents), 0);
        assert_int_equal(money_add(per_line_cents_sum, line_cents, &per_line_cents_sum), 0);
    }
    money_t cents = 0;
    assert_int_equal(money_round(total, 2, MONEY_ROUND_HALF_EVEN, &cents), 0);
    money_is(cents, 2, "0.61");               /* round once at the end */
    money_is(per_line_cents_sum, 2, "0.60"); /* what rounding every line would lose */

    /* "average cost per GB" mode: total cost / total GB */
    qty_t total_gb = 0;
    money_t avg = 0;
    assert_int_equal(qty_parse("30.450", &total_gb), 0);
    assert_int_equal(money_div_qty(total, total_gb, &avg), 0);
    money_is(avg, 4, "0.0200");
}

static prorate_date_input_t monthly_contract(cdate_t change, int64_t delta)
{
    prorate_date_input_t in;
    memset(&in, 0, sizeof in);
    in.change_date = change;
    in.unit_change = Q(delta);
    in.cycle_months = CDATE_CYCLE_MONTHLY;
    in.contract_start = D(2025, 1, 1);
    in.has_contract_end = 1;
    in.contract_end = D(2025, 12, 31);
    return in;
}

static void message_is(const prorate_date_result_t *r, const char *want)
{
    char buf[200];
    assert_int_equal(prorate_date_message(r, buf, sizeof buf), 0);
    assert_string_equal(buf, want);
}

static void test_increase_is_effective_on_the_change_date(void **state)
{
    (void)state;
    prorate_date_input_t in = monthly_contract(D(2025, 6, 17), 3);
    prorate_date_result_t r;
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_OK);
    assert_true(r.postable);
    assert_false(r.deferred);
    date_str_is(r.effective, "2025-06-17");
    assert_true(r.has_period);
    date_str_is(r.period.start, "2025-06-01");
    date_str_is(r.period.end, "2025-06-30");
    message_is(&r, "effective date 2025-06-17");
    money_t v = 0;
    assert_int_equal(prorate_amount(M("12.00"), in.unit_change, r.effective, r.period.start, r.period.end, &v), 0);
    money_is(v, 2, "16.80");
}

/* 5.5 case 2: a decrease mid-period is dated the first day of the next period: no prorated credit. */
static void test_case2_decrease_mid_period_dated_first_day_of_next_period(void **state)
{
    (void)state;
    prorate_date_input_t in = monthly_contract(D(2025, 3, 17), -2);
    prorate_date_result_t r;
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_OK);
    assert_true(r.postable);
    assert_true(r.deferred);
    date_str_is(r.proposed, "2025-04-01");
    date_str_is(r.effective, "2025-04-01");
    date_str_is(r.period.start, "2025-04-01");
    date_str_is(r.period.end, "2025-04-30");
    message_is(&r, "decrease effective 2025-04-01, the first day of the next billing period");
    /* dated on a period start, the fraction is the whole period: no partial-period credit */
    int64_t num = 0, den = 0;
    assert_int_equal(prorate_fraction(PRORATE_INCLUSIVE, r.effective, r.period, &num, &den), 0);
    assert_true(num == den);
}

static void test_decrease_on_a_period_start_is_not_deferred(void **state)
{
    (void)state;
    prorate_date_input_t in = monthly_contract(D(2025, 3, 1), -2);
    prorate_date_result_t r;
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_OK);
    assert_false(r.deferred);
    date_str_is(r.effective, "2025-03-01");
}

static void test_decrease_with_immediate_credits_is_effective_on_change_date(void **state)
{
    (void)state;
    prorate_date_input_t in = monthly_contract(D(2025, 3, 17), -2);
    in.immediate_credits = 1;
    prorate_date_result_t r;
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_OK);
    assert_false(r.deferred);
    date_str_is(r.effective, "2025-03-17");
    money_t v = 0;
    assert_int_equal(prorate_amount(M("12.00"), in.unit_change, r.effective, r.period.start, r.period.end, &v), 0);
    money_is(v, 4, "-11.6129"); /* -24 x 15/31 */
}

static void test_decrease_on_contract_anchored_on_the_31st(void **state)
{
    (void)state;
    prorate_date_input_t in = monthly_contract(D(2025, 2, 10), -1);
    in.contract_start = D(2025, 1, 31);
    prorate_date_result_t r;
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    date_str_is(r.effective, "2025-02-28");
    date_str_is(r.period.start, "2025-02-28");
    date_str_is(r.period.end, "2025-03-30");
}

/* 5.5 case 6: the same SKU on monthly and annual terms are separate lines with separate periods. */
static void test_case6_same_sku_monthly_and_annual_terms_date_separately(void **state)
{
    (void)state;
    prorate_date_input_t monthly = monthly_contract(D(2025, 6, 10), -1);
    prorate_date_input_t annual = monthly_contract(D(2025, 6, 10), -1);
    annual.cycle_months = CDATE_CYCLE_ANNUAL;
    annual.contract_start = D(2025, 1, 15);
    annual.contract_end = D(2027, 1, 14);
    prorate_date_result_t rm, ra;
    assert_int_equal(prorate_effective_date(&monthly, &rm), 0);
    assert_int_equal(prorate_effective_date(&annual, &ra), 0);
    date_str_is(rm.effective, "2025-07-01");
    date_str_is(ra.effective, "2026-01-15");
    date_str_is(ra.period.end, "2027-01-14");
}

/* 5.5 case 3 / 4.1: two changes on one day merge into one net change; a zero net posts nothing. */
static void test_case3_same_day_changes_merge_into_one_net_change(void **state)
{
    (void)state;
    qty_t net = 0;
    assert_int_equal(qty_add(Q(3), Q(-1), &net), 0);
    prorate_date_input_t in = monthly_contract(D(2025, 6, 17), 0);
    in.unit_change = net;
    prorate_date_result_t r;
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_OK);
    assert_true(r.postable);
    date_str_is(r.effective, "2025-06-17");
}

static void test_case3_zero_net_change_posts_nothing(void **state)
{
    (void)state;
    qty_t net = 0;
    assert_int_equal(qty_add(Q(2), Q(-2), &net), 0);
    prorate_date_input_t in = monthly_contract(D(2025, 6, 17), 0);
    in.unit_change = net;
    prorate_date_result_t r;
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_NO_CHANGE);
    assert_false(r.postable);
    assert_string_equal(prorate_date_reason_code(r.reason), "no_change");
    message_is(&r, "no unit change to post");
}

/* 5.5 case 4 / 4.1: Autotask rejects dates outside the contract; refuse naming both dates... */
static void test_case4_before_contract_start_is_refused_with_both_dates(void **state)
{
    (void)state;
    prorate_date_input_t in = monthly_contract(D(2025, 2, 20), 3);
    in.contract_start = D(2025, 3, 1);
    prorate_date_result_t r;
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_BEFORE_CONTRACT_START);
    assert_false(r.postable);
    date_str_is(r.proposed, "2025-02-20");
    date_str_is(r.limit, "2025-03-01");
    assert_string_equal(prorate_date_reason_code(r.reason), "before_contract_start");
    message_is(&r, "effective date 2025-02-20 is before the contract's start 2025-03-01");
}

/* ...or, when the tenant allows it, clamp forward to the start. */
static void test_case4_before_contract_start_clamped_when_allowed(void **state)
{
    (void)state;
    prorate_date_input_t in = monthly_contract(D(2025, 2, 20), 3);
    in.contract_start = D(2025, 3, 1);
    in.clamp_to_start = 1;
    prorate_date_result_t r;
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_CLAMPED_TO_CONTRACT_START);
    assert_true(r.postable);
    date_str_is(r.effective, "2025-03-01");
    date_str_is(r.period.start, "2025-03-01");
    message_is(&r, "effective date 2025-02-20 is before the contract's start 2025-03-01; posted on 2025-03-01");
}

static void test_case4_before_billing_start_names_both_dates(void **state)
{
    (void)state;
    prorate_date_input_t in = monthly_contract(D(2025, 3, 1), 2);
    in.contract_start = D(2025, 3, 1);
    in.has_billing_start = 1;
    in.billing_start = D(2025, 3, 15);
    prorate_date_result_t r;
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_BEFORE_BILLING_START);
    assert_false(r.postable);
    assert_string_equal(prorate_date_reason_code(r.reason), "before_billing_start");
    message_is(&r, "effective date 2025-03-01 is before the contract's billing start 2025-03-15");
    in.clamp_to_start = 1; /* ConnectWise's own workaround: use the billing start date */
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_CLAMPED_TO_BILLING_START);
    date_str_is(r.effective, "2025-03-15");
    /* periods default to the billing start as anchor */
    date_str_is(r.period.start, "2025-03-15");
    date_str_is(r.period.end, "2025-04-14");
}

static void test_case4_after_contract_end_is_refused(void **state)
{
    (void)state;
    prorate_date_input_t in = monthly_contract(D(2026, 1, 5), 1);
    prorate_date_result_t r;
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_AFTER_CONTRACT_END);
    assert_false(r.postable);
    date_str_is(r.limit, "2025-12-31");
    assert_string_equal(prorate_date_reason_code(r.reason), "after_contract_end");
    message_is(&r, "effective date 2026-01-05 is after the contract's end 2025-12-31");
    in.clamp_to_start = 1; /* clamping never moves a date backwards */
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_AFTER_CONTRACT_END);
}

static void test_case4_deferred_decrease_past_contract_end_is_refused(void **state)
{
    (void)state;
    prorate_date_input_t in = monthly_contract(D(2025, 12, 10), -1);
    prorate_date_result_t r;
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_AFTER_CONTRACT_END);
    assert_true(r.deferred);
    date_str_is(r.effective, "2026-01-01");
    message_is(&r, "effective date 2026-01-01 is after the contract's end 2025-12-31");
}

static void test_case4_contract_boundaries_are_inclusive(void **state)
{
    (void)state;
    prorate_date_result_t r;
    prorate_date_input_t in = monthly_contract(D(2025, 1, 1), 1);
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_OK);
    in = monthly_contract(D(2025, 12, 31), 1);
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_OK);
    date_str_is(r.effective, "2025-12-31");
    in = monthly_contract(D(2030, 6, 1), 1);
    in.has_contract_end = 0; /* open-ended agreement */
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_OK);
}

static void test_billing_start_after_contract_end_is_refused(void **state)
{
    (void)state;
    prorate_date_input_t in = monthly_contract(D(2025, 6, 1), 1);
    in.has_billing_start = 1;
    in.billing_start = D(2026, 2, 1);
    in.clamp_to_start = 1;
    prorate_date_result_t r;
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(r.reason, PRORATE_DATE_AFTER_CONTRACT_END);
    assert_false(r.postable);
}

static void test_explicit_period_anchor(void **state)
{
    (void)state;
    prorate_date_input_t in = monthly_contract(D(2025, 6, 20), -1);
    in.has_period_anchor = 1;
    in.period_anchor = D(2024, 11, 15);
    prorate_date_result_t r;
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    date_str_is(r.effective, "2025-07-15");
}

static void test_effective_date_invalid_input(void **state)
{
    (void)state;
    prorate_date_result_t r;
    memset(&r, 0x5a, sizeof r);
    prorate_date_input_t in = monthly_contract(D(2025, 6, 17), 1);
    assert_int_equal(prorate_effective_date(NULL, &r), -1);
    assert_int_equal(prorate_effective_date(&in, NULL), -1);
    in.cycle_months = 0;
    assert_int_equal(prorate_effective_date(&in, &r), -1);
    in = monthly_contract(D(2025, 2, 30), 1);
    assert_int_equal(prorate_effective_date(&in, &r), -1);
    in = monthly_contract(D(2025, 6, 17), 1);
    in.contract_end = D(2024, 12, 31); /* ends before it starts */
    assert_int_equal(prorate_effective_date(&in, &r), -1);
    in = monthly_contract(D(2025, 6, 17), 1);
    in.has_billing_start = 1; /* flagged but not set */
    assert_int_equal(prorate_effective_date(&in, &r), -1);
    in = monthly_contract(D(2025, 6, 17), 1);
    in.has_period_anchor = 1;
    assert_int_equal(prorate_effective_date(&in, &r), -1);
    char buf[8];
    assert_int_equal(prorate_date_message(NULL, buf, sizeof buf), -1);
    assert_string_equal(buf, "");
    in = monthly_contract(D(2025, 6, 17), 1);
    assert_int_equal(prorate_effective_date(&in, &r), 0);
    assert_int_equal(prorate_date_message(&r, buf, sizeof buf), -1); /* too small */
    assert_int_equal(prorate_date_message(&r, NULL, 0), -1);
    assert_string_equal(prorate_date_reason_code((prorate_date_reason_t)99), "unknown");
    assert_string_equal(prorate_date_reason_code(PRORATE_DATE_OK), "ok");
    assert_string_equal(prorate_date_reason_code(PRORATE_DATE_CLAMPED_TO_CONTRACT_START),
                        "clamped_to_contract_start");
    assert_string_equal(prorate_date_reason_code(PRORATE_DATE_CLAMPED_TO_BILLING_START),
                        "clamped_to_billing_start");
}

/* 4.1: the cycle is the latest end date and the earliest start among lines with that end. */
static void test_cycle_from_invoice_line_windows(void **state)
{
    (void)state;
    const cdate_period_t lines[] = {
        P(D(2025, 3, 10), D(2025, 3, 31)), /* pro-rata add */
        P(D(2025, 2, 1), D(2025, 2, 28)),  /* last cycle */
        P(D(2025, 3, 1), D(2025, 3, 31)),  /* cycle charge */
        P(D(2025, 3, 20), D(2025, 3, 31)), /* another pro-rata */
    };
    cdate_period_t cycle;
    assert_int_equal(prorate_cycle_from_windows(lines, 4, &cycle), 0);
    date_str_is(cycle.start, "2025-03-01");
    date_str_is(cycle.end, "2025-03-31");
    assert_int_equal(prorate_cycle_from_windows(lines, 0, &cycle), -1);
    assert_int_equal(prorate_cycle_from_windows(NULL, 1, &cycle), -1);
    const cdate_period_t bad[] = {P(D(2025, 3, 10), D(2025, 3, 1))};
    assert_int_equal(prorate_cycle_from_windows(bad, 1, &cycle), -1);
}

/* 4.1: a pro-rata line whose quantity equals the cycle quantity is still classified by its window. */
static void test_prorata_line_with_cycle_quantity_classified_by_window(void **state)
{
    (void)state;
    cdate_period_t cycle = P(D(2025, 3, 1), D(2025, 3, 31));
    prorate_window_t w;
    assert_int_equal(prorate_classify_window(P(D(2025, 3, 10), D(2025, 3, 31)), cycle, &w), 0);
    assert_int_equal(w, PRORATE_WINDOW_PARTIAL);
    assert_int_equal(prorate_classify_window(cycle, cycle, &w), 0);
    assert_int_equal(w, PRORATE_WINDOW_FULL);
    assert_int_equal(prorate_classify_window(P(D(2025, 2, 1), D(2025, 2, 28)), cycle, &w), 0);
    assert_int_equal(w, PRORATE_WINDOW_OUTSIDE);
    assert_int_equal(prorate_classify_window(P(D(2025, 2, 15), D(2025, 3, 14)), cycle, &w), 0);
    assert_int_equal(w, PRORATE_WINDOW_OUTSIDE);
    assert_int_equal(prorate_classify_window(P(D(2025, 3, 31), D(2025, 3, 1)), cycle, &w), -1);
    assert_int_equal(prorate_classify_window(cycle, cycle, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case1_add3_day17_of_30_inclusive_is_14_of_30),
        cmocka_unit_test(test_case1_add3_day17_of_30_integrator_formula_is_13_of_30),
        cmocka_unit_test(test_microsoft_rebill_example_4_dollars_29_of_30_days),
        cmocka_unit_test(test_rhipe_segments_10_seats_3_to_15_apr_and_15_seats_16_to_30_apr),
        cmocka_unit_test(test_prorate_amount_bounds_and_refusals),
        cmocka_unit_test(test_prorate_rounding_half_even_then_cents),
        cmocka_unit_test(test_leap_year_february_proration),
        cmocka_unit_test(test_case7_annual_seat_add_mid_term_prorated_to_term_end),
        cmocka_unit_test(test_case7_annual_renewal_is_full_term_charge_for_new_term),
        cmocka_unit_test(test_term_end_across_leap_day_uses_366_days),
        cmocka_unit_test(test_case8_usage_month_single_charge_rounded_at_the_end),
        cmocka_unit_test(test_increase_is_effective_on_the_change_date),
        cmocka_unit_test(test_case2_decrease_mid_period_dated_first_day_of_next_period),
        cmocka_unit_test(test_decrease_on_a_period_start_is_not_deferred),
        cmocka_unit_test(test_decrease_with_immediate_credits_is_effective_on_change_date),
        cmocka_unit_test(test_decrease_on_contract_anchored_on_the_31st),
        cmocka_unit_test(test_case6_same_sku_monthly_and_annual_terms_date_separately),
        cmocka_unit_test(test_case3_same_day_changes_merge_into_one_net_change),
        cmocka_unit_test(test_case3_zero_net_change_posts_nothing),
        cmocka_unit_test(test_case4_before_contract_start_is_refused_with_both_dates),
        cmocka_unit_test(test_case4_before_contract_start_clamped_when_allowed),
        cmocka_unit_test(test_case4_before_billing_start_names_both_dates),
        cmocka_unit_test(test_case4_after_contract_end_is_refused),
        cmocka_unit_test(test_case4_deferred_decrease_past_contract_end_is_refused),
        cmocka_unit_test(test_case4_contract_boundaries_are_inclusive),
        cmocka_unit_test(test_billing_start_after_contract_end_is_refused),
        cmocka_unit_test(test_explicit_period_anchor),
        cmocka_unit_test(test_effective_date_invalid_input),
        cmocka_unit_test(test_cycle_from_invoice_line_windows),
        cmocka_unit_test(test_prorata_line_with_cycle_quantity_classified_by_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
