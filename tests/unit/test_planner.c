/* test_planner.c: cmocka tests for core/planner (target-state plans, dates, drift, approval, estimates) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/planner.h"

/*
 * The dating rules themselves are pinned down in test_prorate.c; these tests check what the
 * planner makes of them: the action, the net unit change, the date and the estimate to the
 * cent, for the planning cases of doc/proration.md 3 and 2.
 */

static cdate_t D(int y, int m, int d)
{
    return cdate_make(y, m, d);
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

static void date_str_is(cdate_t d, const char *want)
{
    char buf[CDATE_FMT_LEN];
    assert_int_equal(cdate_format(d, buf, sizeof buf), 0);
    assert_string_equal(buf, want);
}

/* A monthly calendar contract for 2025 at 12.00 per unit, default policies, PSA at psa units. */
static struct planner_input base(cdate_t change, int64_t desired, int64_t psa)
{
    struct planner_input in;
    memset(&in, 0, sizeof in);
    in.desired = Q(desired);
    in.psa_units = Q(psa);
    in.change_date = change;
    in.decrease = PLANNER_DECREASE_NEXT_PERIOD;
    in.drift = PLANNER_DRIFT_FLAG;
    in.approval = PLANNER_APPROVAL_AUTO;
    in.contract_start = D(2025, 1, 1);
    in.contract_end = D(2025, 12, 31);
    in.cycle_months = CDATE_CYCLE_MONTHLY;
    in.unit_price = M("12.00");
    return in;
}

/* An annual contract 2025-01-15 .. 2027-01-14 at 240.00 per unit and year. */
static struct planner_input annual(cdate_t change, int64_t desired, int64_t psa)
{
    struct planner_input in = base(change, desired, psa);
    in.cycle_months = CDATE_CYCLE_ANNUAL;
    in.contract_start = D(2025, 1, 15);
    in.contract_end = D(2027, 1, 14);
    in.unit_price = M("240.00");
    return in;
}

/* Plans in and checks the four things the worker stores: action, change, date, estimate. */
static struct planner_output plan_is(const struct planner_input *in, enum planner_action action, int64_t change_units,
                                     const char *effective, const char *estimate)
{
    struct planner_output out;
    memset(&out, 0x5a, sizeof out);
    assert_int_equal(planner_plan(in, &out), 0);
    assert_int_equal(out.action, action);
    assert_true(out.unit_change == Q(change_units));
    date_str_is(out.effective, effective);
    char buf[MONEY_FMT_MAX];
    assert_int_equal(money_format(out.estimate, buf, sizeof buf, 2), 0);
    assert_string_equal(buf, estimate);
    /* the estimate is whole cents, not merely printed as such */
    assert_true(out.estimate % 100 == 0);
    assert_non_null(memchr(out.reason, '\0', sizeof out.reason));
    return out;
}

/* 5.5 case 1: +3 on day 17 of a 30-day month at 12.00 is 14/30 (inclusive), not 13/30. */
static void test_case1_add3_day17_of_30_posts_on_change_date_estimate_14_of_30(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 6, 17), 13, 10);
    struct planner_output out = plan_is(&in, PLANNER_POST, 3, "2025-06-17", "16.80");
    assert_false(out.needs_approval);
    assert_false(out.deferred);
    assert_int_equal(out.date_reason, PRORATE_DATE_OK);
    assert_true(out.has_period);
    date_str_is(out.period.start, "2025-06-01");
    date_str_is(out.period.end, "2025-06-30");
    assert_string_equal(out.reason, "+3 units (10 to 13); effective date 2025-06-17");
    /* the integrator formula would have said 15.60: the planner does not use it */
    money_t other = 0;
    assert_int_equal(prorate_amount_conv(PRORATE_EXCLUDE_EFFECTIVE_DAY, in.unit_price, out.unit_change, out.effective,
                                         out.period, &other),
                     0);
    assert_true(other == M("15.60") && out.estimate != other);
}

/* 5.5 case 2: a decrease mid-period is dated the next period's first day: no partial credit. */
static void test_case2_decrease_mid_period_dated_first_day_of_next_period(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 3, 17), 8, 10);
    struct planner_output out = plan_is(&in, PLANNER_POST, -2, "2025-04-01", "-24.00"); /* all of April */
    assert_true(out.deferred);
    date_str_is(out.period.start, "2025-04-01");
    date_str_is(out.period.end, "2025-04-30");
    assert_string_equal(out.reason,
                        "-2 units (10 to 8); decrease effective 2025-04-01, the first day of the next billing period");
}

static void test_case2_decrease_with_immediate_credits_on_change_date(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 3, 17), 8, 10);
    in.decrease = PLANNER_DECREASE_IMMEDIATE;
    struct planner_output out = plan_is(&in, PLANNER_POST, -2, "2025-03-17", "-11.61"); /* -24 x 15/31 */
    assert_false(out.deferred);
}

static void test_case2_decrease_on_a_period_start_is_not_deferred(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 3, 1), 8, 10);
    struct planner_output out = plan_is(&in, PLANNER_POST, -2, "2025-03-01", "-24.00");
    assert_false(out.deferred);
}

/* An increase is never deferred, whatever the decrease policy. */
static void test_increase_ignores_decrease_policy(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 3, 17), 11, 10);
    plan_is(&in, PLANNER_POST, 1, "2025-03-17", "5.81"); /* 12 x 15/31 */
    in.decrease = PLANNER_DECREASE_IMMEDIATE;
    plan_is(&in, PLANNER_POST, 1, "2025-03-17", "5.81");
}

/* 5.5 case 3 / 4.1: 8 -> 10 -> 9 in one day with the PSA at 8 is one change of +1. */
static void test_case3_same_day_changes_8_10_9_post_one_net_plus1(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 6, 17), 10, 8);
    plan_is(&in, PLANNER_POST, 2, "2025-06-17", "11.20"); /* first sync: not posted yet */
    in.desired = Q(9);                                    /* second sync, PSA still at 8 */
    struct planner_output out = plan_is(&in, PLANNER_POST, 1, "2025-06-17", "5.60");
    assert_string_equal(out.reason, "+1 units (8 to 9); effective date 2025-06-17");
}

/* 5.5 case 3 / 4.1: a change and its reversal before posting nets to zero: nothing is posted. */
static void test_case3_change_and_reversal_before_posting_is_nothing(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 6, 17), 10, 8);
    plan_is(&in, PLANNER_POST, 2, "2025-06-17", "11.20");
    in.desired = Q(8);
    struct planner_output out = plan_is(&in, PLANNER_NOTHING, 0, "2025-06-17", "0.00");
    assert_int_equal(out.date_reason, PRORATE_DATE_NO_CHANGE);
    assert_false(out.needs_approval);
    assert_string_equal(out.reason, "the PSA already has 8 units");
    /* a decrease and its reversal too, under either decrease policy */
    in = base(D(2025, 6, 17), 8, 8);
    plan_is(&in, PLANNER_NOTHING, 0, "2025-06-17", "0.00");
    in.decrease = PLANNER_DECREASE_IMMEDIATE;
    plan_is(&in, PLANNER_NOTHING, 0, "2025-06-17", "0.00");
}

/* 5.5 case 4 / 4.1: Autotask refuses dates outside the contract: fail naming both dates. */
static void test_case4_before_contract_start_fails_naming_both_dates(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 2, 20), 13, 10);
    in.contract_start = D(2025, 3, 1);
    struct planner_output out = plan_is(&in, PLANNER_FAIL, 3, "2025-02-20", "0.00");
    assert_int_equal(out.date_reason, PRORATE_DATE_BEFORE_CONTRACT_START);
    assert_false(out.needs_approval);
    assert_string_equal(out.reason, "effective date 2025-02-20 is before the contract's start 2025-03-01; "
                                    "the change from 10 to 13 units is not posted");
}

static void test_case4_before_contract_start_clamped_when_allowed(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 2, 20), 13, 10);
    in.contract_start = D(2025, 3, 1);
    in.clamp_to_start = 1;
    struct planner_output out = plan_is(&in, PLANNER_POST, 3, "2025-03-01", "36.00"); /* all of March */
    assert_int_equal(out.date_reason, PRORATE_DATE_CLAMPED_TO_CONTRACT_START);
    assert_string_equal(out.reason, "+3 units (10 to 13); effective date 2025-02-20 is before the contract's start "
                                    "2025-03-01; posted on 2025-03-01");
}

static void test_case4_before_billing_start_fails_naming_both_dates(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 3, 1), 12, 10);
    in.contract_start = D(2025, 3, 1);
    in.billing_start = D(2025, 3, 15);
    struct planner_output out = plan_is(&in, PLANNER_FAIL, 2, "2025-03-01", "0.00");
    assert_int_equal(out.date_reason, PRORATE_DATE_BEFORE_BILLING_START);
    assert_string_equal(out.reason, "effective date 2025-03-01 is before the contract's billing start 2025-03-15; "
                                    "the change from 10 to 12 units is not posted");
    /* clamped, it lands on the billing start, the first day of a period anchored there */
    in.clamp_to_start = 1;
    out = plan_is(&in, PLANNER_POST, 2, "2025-03-15", "24.00");
    date_str_is(out.period.end, "2025-04-14");
}

static void test_case4_after_contract_end_fails_naming_both_dates(void **state)
{
    (void)state;
    struct planner_input in = base(D(2026, 1, 5), 11, 10);
    in.clamp_to_start = 1; /* clamping never moves a date backwards */
    struct planner_output out = plan_is(&in, PLANNER_FAIL, 1, "2026-01-05", "0.00");
    assert_int_equal(out.date_reason, PRORATE_DATE_AFTER_CONTRACT_END);
    assert_string_equal(out.reason, "effective date 2026-01-05 is after the contract's end 2025-12-31; "
                                    "the change from 10 to 11 units is not posted");
}

static void test_case4_deferred_decrease_past_contract_end_fails(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 12, 10), 9, 10);
    struct planner_output out = plan_is(&in, PLANNER_FAIL, -1, "2026-01-01", "0.00");
    assert_true(out.deferred);
    assert_string_equal(out.reason, "effective date 2026-01-01 is after the contract's end 2025-12-31; "
                                    "the change from 10 to 9 units is not posted");
    /* with immediate credits the same decrease fits inside the contract */
    in.decrease = PLANNER_DECREASE_IMMEDIATE;
    plan_is(&in, PLANNER_POST, -1, "2025-12-10", "-8.52"); /* -12 x 22/31 */
}

static void test_case4_contract_boundaries_are_inclusive(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 1, 1), 11, 10);
    plan_is(&in, PLANNER_POST, 1, "2025-01-01", "12.00");
    in = base(D(2025, 12, 31), 11, 10);
    plan_is(&in, PLANNER_POST, 1, "2025-12-31", "0.39"); /* one day of 31 */
    in = base(D(2030, 6, 1), 11, 10);
    in.contract_end = D(0, 0, 0); /* open-ended agreement */
    plan_is(&in, PLANNER_POST, 1, "2030-06-01", "12.00");
}

/* 5.5 case 5: the POST committed but its response was lost: the re-read shows the target. */
static void test_case5_retry_after_lost_response_psa_already_has_desired_is_nothing(void **state)
{
    (void)state;
    /* billsync never recorded the post, so it still believes it left 10 there */
    struct planner_input in = base(D(2025, 6, 17), 13, 13);
    in.has_last_posted = 1;
    in.last_posted = Q(10);
    in.approval = PLANNER_APPROVAL_REQUIRE;
    struct planner_output out = plan_is(&in, PLANNER_NOTHING, 0, "2025-06-17", "0.00");
    assert_false(out.needs_approval);
    assert_string_equal(out.reason, "the PSA already has 13 units, though billsync last recorded 10 (a post whose "
                                    "response was lost, or an edit that matches the source)");
    /* the first post ever on a link, response lost */
    in.has_last_posted = 0;
    out = plan_is(&in, PLANNER_NOTHING, 0, "2025-06-17", "0.00");
    assert_string_equal(out.reason, "the PSA already has 13 units");
}

/* A retry after a lost response of a deferred decrease, read on the date it takes effect. */
static void test_case5_pending_deferred_decrease_read_on_its_effective_date_is_nothing(void **state)
{
    (void)state;
    /* billsync posted 10 -> 8 for 2025-04-01; on 2025-03-20 the units that day still show 10 */
    struct planner_input in = base(D(2025, 3, 20), 8, 10);
    in.has_last_posted = 1;
    in.last_posted = Q(8);
    plan_is(&in, PLANNER_DRIFT, -2, "2025-04-01", "-24.00"); /* what a read on the change date leads to */
    /* read on the later of the change date and the last post's date, as planner.h asks */
    in.psa_units = Q(8);
    plan_is(&in, PLANNER_NOTHING, 0, "2025-03-20", "0.00");
}

/* 5.5 case 6: one SKU on a monthly and an annual line is two links, each dated by its contract. */
static void test_case6_same_sku_monthly_and_annual_lines_planned_separately(void **state)
{
    (void)state;
    struct planner_input m = base(D(2025, 6, 10), 4, 5);
    struct planner_input a = annual(D(2025, 6, 10), 4, 5);
    plan_is(&m, PLANNER_POST, -1, "2025-07-01", "-12.00");
    plan_is(&a, PLANNER_POST, -1, "2026-01-15", "-240.00");
    m.desired = Q(6);
    a.desired = Q(6);
    plan_is(&m, PLANNER_POST, 1, "2025-06-10", "8.40");  /* 12 x 21/30 */
    plan_is(&a, PLANNER_POST, 1, "2025-06-10", "144.00"); /* 240 x 219/365 */
}

/* 5.5 case 7: a seat add mid-term on an annual contract is prorated to the term end. */
static void test_case7_annual_seat_add_mid_term_prorated_to_term_end(void **state)
{
    (void)state;
    struct planner_input in = annual(D(2025, 7, 1), 7, 5);
    struct planner_output out = plan_is(&in, PLANNER_POST, 2, "2025-07-01", "260.38"); /* 240 x 2 x 198/365 */
    date_str_is(out.period.start, "2025-01-15");
    date_str_is(out.period.end, "2026-01-14");
    /* the same number as the term-end proration of annual one-time charges */
    money_t term = 0, cents = 0;
    assert_int_equal(prorate_to_term_end(in.unit_price, Q(2), D(2025, 7, 1), in.contract_start, 12, &term, NULL), 0);
    assert_int_equal(prorate_to_cents(term, &cents), 0);
    assert_true(cents == out.estimate);
}

static void test_case7_annual_add_on_renewal_day_is_full_term(void **state)
{
    (void)state;
    struct planner_input in = annual(D(2026, 1, 15), 7, 5);
    struct planner_output out = plan_is(&in, PLANNER_POST, 2, "2026-01-15", "480.00");
    date_str_is(out.period.start, "2026-01-15");
    date_str_is(out.period.end, "2027-01-14");
    /* the day before is the old term's last day */
    in.change_date = D(2026, 1, 14);
    plan_is(&in, PLANNER_POST, 2, "2026-01-14", "1.32"); /* 480 x 1/365 */
}

static void test_annual_decrease_immediate_credits_to_term_end(void **state)
{
    (void)state;
    struct planner_input in = annual(D(2025, 6, 10), 4, 5);
    in.decrease = PLANNER_DECREASE_IMMEDIATE;
    struct planner_output out = plan_is(&in, PLANNER_POST, -1, "2025-06-10", "-144.00"); /* -240 x 219/365 */
    date_str_is(out.period.end, "2026-01-14");
}

/* 5.5 case 9 / 4.1: a hand edit in the PSA between syncs is held for review, not overwritten. */
static void test_case9_psa_edit_between_syncs_is_drift_held_for_review(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 6, 17), 11, 12);
    in.has_last_posted = 1;
    in.last_posted = Q(10);
    struct planner_output out = plan_is(&in, PLANNER_DRIFT, -1, "2025-07-01", "-12.00");
    assert_true(out.needs_approval);
    assert_true(out.deferred);
    assert_string_equal(out.reason, "the PSA shows 12 units but billsync last left 10; the source has 11, so the "
                                    "change would be -1 effective 2025-07-01: held for review");
    /* drift wins over automatic approval, and over an increase too */
    in.desired = Q(15);
    out = plan_is(&in, PLANNER_DRIFT, 3, "2025-06-17", "16.80");
    assert_string_equal(out.reason, "the PSA shows 12 units but billsync last left 10; the source has 15, so the "
                                    "change would be +3 effective 2025-06-17: held for review");
}

/* 5.5 case 9 with the overwrite policy; 4.1: the change is from the PSA's units, not remembered ones. */
static void test_case9_drift_overwrite_posts_from_the_psa_units(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 6, 17), 13, 12);
    in.has_last_posted = 1;
    in.last_posted = Q(10);
    in.drift = PLANNER_DRIFT_OVERWRITE;
    struct planner_output out = plan_is(&in, PLANNER_POST, 1, "2025-06-17", "5.60"); /* +1, not +3 */
    assert_false(out.needs_approval);
    assert_string_equal(out.reason, "+1 units (12 to 13); effective date 2025-06-17; overwrites a PSA edit "
                                    "(billsync last left 10)");
    in.approval = PLANNER_APPROVAL_REQUIRE;
    out = plan_is(&in, PLANNER_POST, 1, "2025-06-17", "5.60");
    assert_true(out.needs_approval);
}

static void test_case9_psa_edit_matching_the_source_is_nothing(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 6, 17), 12, 12);
    in.has_last_posted = 1;
    in.last_posted = Q(10);
    plan_is(&in, PLANNER_NOTHING, 0, "2025-06-17", "0.00");
    in.drift = PLANNER_DRIFT_OVERWRITE;
    plan_is(&in, PLANNER_NOTHING, 0, "2025-06-17", "0.00");
}

/* Undatable and drifted: the date is what blocks the post; the drift is named too. */
static void test_drift_outside_the_contract_fails_and_names_the_edit(void **state)
{
    (void)state;
    struct planner_input in = base(D(2026, 1, 5), 13, 12);
    in.has_last_posted = 1;
    in.last_posted = Q(10);
    struct planner_output out = plan_is(&in, PLANNER_FAIL, 1, "2026-01-05", "0.00");
    assert_false(out.needs_approval);
    assert_string_equal(out.reason, "effective date 2026-01-05 is after the contract's end 2025-12-31; the change "
                                    "from 12 to 13 units is not posted (the PSA was also edited: billsync last "
                                    "left 10)");
}

/* No drift when the PSA shows what billsync left, or when billsync never posted to the link. */
static void test_no_drift_when_psa_matches_last_post_or_never_posted(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 6, 17), 13, 10);
    in.has_last_posted = 1;
    in.last_posted = Q(10);
    plan_is(&in, PLANNER_POST, 3, "2025-06-17", "16.80");
    in.has_last_posted = 0;
    in.last_posted = Q(99); /* ignored without has_last_posted */
    plan_is(&in, PLANNER_POST, 3, "2025-06-17", "16.80");
}

/* doc/design.md 4.6: REQUIRE holds a POST for a person; nothing to post or a failure needs nobody. */
static void test_approval_require_holds_post_for_a_person(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 6, 17), 13, 10);
    struct planner_output out = plan_is(&in, PLANNER_POST, 3, "2025-06-17", "16.80");
    assert_false(out.needs_approval);
    in.approval = PLANNER_APPROVAL_REQUIRE;
    out = plan_is(&in, PLANNER_POST, 3, "2025-06-17", "16.80");
    assert_true(out.needs_approval);
    in.desired = Q(8);
    out = plan_is(&in, PLANNER_POST, -2, "2025-07-01", "-24.00");
    assert_true(out.needs_approval);
    in.desired = Q(10);
    out = plan_is(&in, PLANNER_NOTHING, 0, "2025-06-17", "0.00");
    assert_false(out.needs_approval);
    in = base(D(2026, 1, 5), 11, 10);
    in.approval = PLANNER_APPROVAL_REQUIRE;
    out = plan_is(&in, PLANNER_FAIL, 1, "2026-01-05", "0.00");
    assert_false(out.needs_approval);
}

/* Month-end anchors: a contract starting on the 31st has periods starting on each month's end. */
static void test_month_end_anchor_31st_dates_and_estimates(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 2, 10), 9, 10);
    in.contract_start = D(2025, 1, 31);
    in.unit_price = M("31.00");
    struct planner_output out = plan_is(&in, PLANNER_POST, -1, "2025-02-28", "-31.00");
    date_str_is(out.period.start, "2025-02-28");
    date_str_is(out.period.end, "2025-03-30");
    in.desired = Q(11);
    in.change_date = D(2025, 3, 15);
    out = plan_is(&in, PLANNER_POST, 1, "2025-03-15", "16.00"); /* 31 x 16/31 */
    date_str_is(out.period.start, "2025-02-28");
    /* the next decrease lands on the 31st again, never chained from the 28th */
    in.desired = Q(9);
    plan_is(&in, PLANNER_POST, -1, "2025-03-31", "-31.00");
    in.change_date = D(2025, 4, 5);
    plan_is(&in, PLANNER_POST, -1, "2025-04-30", "-31.00");
}

static void test_explicit_period_anchor_on_month_end(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 4, 10), 9, 10);
    in.period_anchor = D(2024, 10, 31);
    struct planner_output out = plan_is(&in, PLANNER_POST, -1, "2025-04-30", "-12.00");
    date_str_is(out.period.end, "2025-05-30");
    in.desired = Q(11);
    out = plan_is(&in, PLANNER_POST, 1, "2025-04-10", "8.00"); /* 12 x 20/30: Mar 31 .. Apr 29 */
    date_str_is(out.period.start, "2025-03-31");
    date_str_is(out.period.end, "2025-04-29");
}

/* Without an explicit anchor, periods run from the billing start when there is one. */
static void test_billing_start_anchors_periods(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 4, 20), 9, 10);
    in.contract_start = D(2025, 3, 1);
    in.billing_start = D(2025, 3, 15);
    struct planner_output out = plan_is(&in, PLANNER_POST, -1, "2025-05-15", "-12.00");
    date_str_is(out.period.end, "2025-06-14");
}

/* Leap years: February 29 in a monthly calendar contract. */
static void test_leap_year_february_29_monthly(void **state)
{
    (void)state;
    struct planner_input in = base(D(2024, 2, 29), 11, 10);
    in.contract_start = D(2024, 1, 1);
    in.contract_end = D(2024, 12, 31);
    in.unit_price = M("29.00");
    struct planner_output out = plan_is(&in, PLANNER_POST, 1, "2024-02-29", "1.00"); /* one day of 29 */
    date_str_is(out.period.end, "2024-02-29");
    in.change_date = D(2024, 2, 15);
    plan_is(&in, PLANNER_POST, 1, "2024-02-15", "15.00");
    in.desired = Q(9);
    plan_is(&in, PLANNER_POST, -1, "2024-03-01", "-29.00");
    in.change_date = D(2024, 2, 29);
    plan_is(&in, PLANNER_POST, -1, "2024-03-01", "-29.00");
}

/* Leap years: an annual contract anchored on February 29 and a term that contains one. */
static void test_leap_year_annual_anchor_february_29(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 1, 10), 4, 5);
    in.cycle_months = CDATE_CYCLE_ANNUAL;
    in.contract_start = D(2024, 2, 29);
    in.contract_end = D(2028, 2, 28);
    in.unit_price = M("365.00");
    struct planner_output out = plan_is(&in, PLANNER_POST, -1, "2025-02-28", "-365.00");
    date_str_is(out.period.end, "2026-02-27");
    /* 2027-02-28 .. 2028-02-28 holds 2028-02-29's year: 366 days */
    in.desired = Q(6);
    in.change_date = D(2027, 6, 1);
    in.unit_price = M("366.00");
    out = plan_is(&in, PLANNER_POST, 1, "2027-06-01", "273.00");
    date_str_is(out.period.start, "2027-02-28");
    date_str_is(out.period.end, "2028-02-28");
    /* the anchor's own anniversary comes back in 2028 */
    in.contract_end = D(2029, 2, 27);
    in.desired = Q(4);
    plan_is(&in, PLANNER_POST, -1, "2028-02-29", "-366.00");
}

/* 4.1: a price of 0 posts units with a zero estimate (the PSA computes the invoice). */
static void test_zero_price_posts_with_zero_estimate(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 6, 17), 13, 10);
    in.unit_price = 0;
    plan_is(&in, PLANNER_POST, 3, "2025-06-17", "0.00");
    in.unit_price = M("-12.00"); /* Autotask allows a negative adjusted price */
    plan_is(&in, PLANNER_POST, 3, "2025-06-17", "-16.80");
}

static void test_fractional_usage_quantity(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 6, 16), 0, 10);
    in.desired = 12500; /* 12.5 GB: a change of 2.5 */
    struct planner_output out;
    assert_int_equal(planner_plan(&in, &out), 0);
    assert_int_equal(out.action, PLANNER_POST);
    assert_true(out.unit_change == 2500);
    date_str_is(out.effective, "2025-06-16");
    assert_true(out.estimate == M("15.00")); /* 12 x 2.5 x 15/30 */
    assert_string_equal(out.reason, "+2.5 units (10 to 12.5); effective date 2025-06-16");
}

/* 4.1: a first-time link with nothing in the PSA posts the whole quantity once. */
static void test_first_time_link_posts_the_whole_quantity(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 6, 17), 5, 0);
    struct planner_output out = plan_is(&in, PLANNER_POST, 5, "2025-06-17", "28.00"); /* 60 x 14/30 */
    assert_string_equal(out.reason, "+5 units (0 to 5); effective date 2025-06-17");
    /* and a source that is gone takes the units back to zero, deferred like any decrease */
    in = base(D(2025, 6, 17), 0, 5);
    plan_is(&in, PLANNER_POST, -5, "2025-07-01", "-60.00");
}

static void test_negative_source_quantity_fails(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 6, 17), -1, 10);
    struct planner_output out = plan_is(&in, PLANNER_FAIL, -11, "2025-06-17", "0.00");
    assert_string_equal(out.reason, "the source quantity -1 is negative; the PSA's 10 units are left as they are");
}

/* The reason is always a terminated sentence, even for the longest quantities. */
static void test_reason_fits_with_extreme_quantities(void **state)
{
    (void)state;
    struct planner_input in = base(D(2025, 6, 17), 0, 0);
    in.desired = INT64_MAX / 2;
    in.psa_units = -(INT64_MAX / 2);
    in.has_last_posted = 1;
    in.last_posted = INT64_MIN + 1;
    in.unit_price = 0;
    in.contract_end = D(2025, 5, 31);
    struct planner_output out;
    assert_int_equal(planner_plan(&in, &out), 0);
    assert_int_equal(out.action, PLANNER_FAIL);
    assert_true(strlen(out.reason) < sizeof out.reason);
    assert_non_null(strstr(out.reason, "effective date 2025-06-17 is after the contract's end 2025-05-31"));
    /* the longest sentence (a clamped post overwriting an edit) is cut with a visible "..." */
    in.change_date = D(2025, 3, 1);
    in.contract_start = D(2025, 3, 1);
    in.contract_end = D(0, 0, 0);
    in.billing_start = D(2025, 3, 15);
    in.clamp_to_start = 1;
    in.drift = PLANNER_DRIFT_OVERWRITE;
    assert_int_equal(planner_plan(&in, &out), 0);
    assert_int_equal(out.action, PLANNER_POST);
    assert_int_equal(strlen(out.reason), sizeof out.reason - 1);
    assert_string_equal(out.reason + sizeof out.reason - 4, "...");
    assert_non_null(strstr(out.reason, "posted on 2025-03-15; overwrites a PSA edit"));
}

static void test_invalid_input_returns_minus_one_and_leaves_output(void **state)
{
    (void)state;
    struct planner_output out, before;
    memset(&out, 0x5a, sizeof out);
    before = out;
    struct planner_input ok = base(D(2025, 6, 17), 13, 10);
    struct planner_input in;

    assert_int_equal(planner_plan(NULL, &out), -1);
    assert_int_equal(planner_plan(&ok, NULL), -1);
    assert_int_equal(planner_plan(NULL, NULL), -1);

    in = ok;
    in.change_date = D(2025, 2, 30);
    assert_int_equal(planner_plan(&in, &out), -1);
    in = ok;
    in.change_date = D(0, 0, 0); /* the change date is never optional */
    assert_int_equal(planner_plan(&in, &out), -1);
    in = ok;
    in.contract_start = D(0, 0, 0); /* nor the contract start */
    assert_int_equal(planner_plan(&in, &out), -1);
    in = ok;
    in.contract_end = D(2025, 13, 1);
    assert_int_equal(planner_plan(&in, &out), -1);
    in = ok;
    in.contract_end = D(2024, 12, 31); /* ends before it starts */
    assert_int_equal(planner_plan(&in, &out), -1);
    in = ok;
    in.billing_start = D(2025, 0, 0); /* half set is not "none" */
    assert_int_equal(planner_plan(&in, &out), -1);
    in = ok;
    in.period_anchor = D(2023, 2, 29);
    assert_int_equal(planner_plan(&in, &out), -1);
    in = ok;
    in.cycle_months = 0;
    assert_int_equal(planner_plan(&in, &out), -1);
    in.cycle_months = CDATE_MAX_CYCLE_MONTHS + 1;
    assert_int_equal(planner_plan(&in, &out), -1);
    in = ok;
    in.decrease = (enum planner_decrease)7;
    assert_int_equal(planner_plan(&in, &out), -1);
    in = ok;
    in.drift = (enum planner_drift)-1;
    assert_int_equal(planner_plan(&in, &out), -1);
    in = ok;
    in.approval = (enum planner_approval)2;
    assert_int_equal(planner_plan(&in, &out), -1);
    in = ok;
    in.desired = INT64_MAX; /* desired - psa_units overflows */
    in.psa_units = -1;
    assert_int_equal(planner_plan(&in, &out), -1);
    in = ok;
    in.unit_price = INT64_MAX; /* the estimate overflows */
    in.desired = INT64_MAX / 2;
    assert_int_equal(planner_plan(&in, &out), -1);
    in = ok;
    in.change_date = D(9999, 12, 20); /* the next period start would leave the calendar */
    in.contract_end = D(0, 0, 0);
    in.desired = Q(9);
    assert_int_equal(planner_plan(&in, &out), -1);

    assert_memory_equal(&out, &before, sizeof out);
    /* the valid input still plans */
    assert_int_equal(planner_plan(&ok, &out), 0);
    assert_int_equal(out.action, PLANNER_POST);
}

/* Issue 13.6: a third change in one day (Autotask takes one adjustment per service and day):
 * today holds billsync's post already, so the change moves to the next free day. */
static void test_busy_day_moves_an_increase_to_the_next_free_day(void **state)
{
    (void)state;
    cdate_t busy[] = {D(2025, 6, 17), D(2025, 6, 18)};
    struct planner_input in = base(D(2025, 6, 17), 14, 12);
    in.busy = busy;
    in.nbusy = 2;
    struct planner_output out = plan_is(&in, PLANNER_POST, 2, "2025-06-19", "9.60"); /* 12/30 of 24.00 */
    assert_int_equal(out.moved_days, 2);
    date_str_is(out.period.start, "2025-06-01");
    assert_non_null(strstr(out.reason, "moved from 2025-06-17, which already holds a change"));
    /* a free day is not moved */
    in.nbusy = 0;
    out = plan_is(&in, PLANNER_POST, 2, "2025-06-17", "11.20");
    assert_int_equal(out.moved_days, 0);
}

/* Issue 13.6: a second decrease whose period start is taken moves by one day, never a period. */
static void test_busy_period_start_moves_a_decrease_by_a_day_not_a_month(void **state)
{
    (void)state;
    cdate_t busy[] = {D(2025, 4, 1)};
    struct planner_input in = base(D(2025, 3, 17), 7, 8);
    in.busy = busy;
    in.nbusy = 1;
    struct planner_output out = plan_is(&in, PLANNER_POST, -1, "2025-04-02", "-11.60"); /* 29/30 of -12.00 */
    assert_true(out.deferred);
    date_str_is(out.period.start, "2025-04-01");
}

/* A busy last day of a period moves into the next period: the estimate prorates over that one. */
static void test_busy_move_across_a_period_end_prorates_over_the_new_period(void **state)
{
    (void)state;
    cdate_t busy[] = {D(2025, 6, 30)};
    struct planner_input in = base(D(2025, 6, 30), 11, 10);
    in.busy = busy;
    in.nbusy = 1;
    struct planner_output out = plan_is(&in, PLANNER_POST, 1, "2025-07-01", "12.00");
    date_str_is(out.period.start, "2025-07-01");
    date_str_is(out.period.end, "2025-07-31");
}

/* No free day left before the contract end: a failure that names the days. */
static void test_busy_until_contract_end_fails(void **state)
{
    (void)state;
    cdate_t busy[] = {D(2025, 12, 30), D(2025, 12, 31)};
    struct planner_input in = base(D(2025, 12, 30), 11, 10);
    in.busy = busy;
    in.nbusy = 2;
    struct planner_output out = plan_is(&in, PLANNER_FAIL, 1, "2026-01-01", "0.00");
    assert_string_equal(out.reason, "the PSA already holds a change of this service on every day from 2025-12-30 "
                                    "to the contract end 2025-12-31; the change from 10 to 11 units is not posted");
    /* busy dates must be real dates */
    cdate_t bad[] = {D(2025, 2, 30)};
    in.busy = bad;
    in.nbusy = 1;
    assert_int_equal(planner_plan(&in, &out), -1);
    in.busy = NULL;
    assert_int_equal(planner_plan(&in, &out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case1_add3_day17_of_30_posts_on_change_date_estimate_14_of_30),
        cmocka_unit_test(test_busy_day_moves_an_increase_to_the_next_free_day),
        cmocka_unit_test(test_busy_period_start_moves_a_decrease_by_a_day_not_a_month),
        cmocka_unit_test(test_busy_move_across_a_period_end_prorates_over_the_new_period),
        cmocka_unit_test(test_busy_until_contract_end_fails),
        cmocka_unit_test(test_case2_decrease_mid_period_dated_first_day_of_next_period),
        cmocka_unit_test(test_case2_decrease_with_immediate_credits_on_change_date),
        cmocka_unit_test(test_case2_decrease_on_a_period_start_is_not_deferred),
        cmocka_unit_test(test_increase_ignores_decrease_policy),
        cmocka_unit_test(test_case3_same_day_changes_8_10_9_post_one_net_plus1),
        cmocka_unit_test(test_case3_change_and_reversal_before_posting_is_nothing),
        cmocka_unit_test(test_case4_before_contract_start_fails_naming_both_dates),
        cmocka_unit_test(test_case4_before_contract_start_clamped_when_allowed),
        cmocka_unit_test(test_case4_before_billing_start_fails_naming_both_dates),
        cmocka_unit_test(test_case4_after_contract_end_fails_naming_both_dates),
        cmocka_unit_test(test_case4_deferred_decrease_past_contract_end_fails),
        cmocka_unit_test(test_case4_contract_boundaries_are_inclusive),
        cmocka_unit_test(test_case5_retry_after_lost_response_psa_already_has_desired_is_nothing),
        cmocka_unit_test(test_case5_pending_deferred_decrease_read_on_its_effective_date_is_nothing),
        cmocka_unit_test(test_case6_same_sku_monthly_and_annual_lines_planned_separately),
        cmocka_unit_test(test_case7_annual_seat_add_mid_term_prorated_to_term_end),
        cmocka_unit_test(test_case7_annual_add_on_renewal_day_is_full_term),
        cmocka_unit_test(test_annual_decrease_immediate_credits_to_term_end),
        cmocka_unit_test(test_case9_psa_edit_between_syncs_is_drift_held_for_review),
        cmocka_unit_test(test_case9_drift_overwrite_posts_from_the_psa_units),
        cmocka_unit_test(test_case9_psa_edit_matching_the_source_is_nothing),
        cmocka_unit_test(test_drift_outside_the_contract_fails_and_names_the_edit),
        cmocka_unit_test(test_no_drift_when_psa_matches_last_post_or_never_posted),
        cmocka_unit_test(test_approval_require_holds_post_for_a_person),
        cmocka_unit_test(test_month_end_anchor_31st_dates_and_estimates),
        cmocka_unit_test(test_explicit_period_anchor_on_month_end),
        cmocka_unit_test(test_billing_start_anchors_periods),
        cmocka_unit_test(test_leap_year_february_29_monthly),
        cmocka_unit_test(test_leap_year_annual_anchor_february_29),
        cmocka_unit_test(test_zero_price_posts_with_zero_estimate),
        cmocka_unit_test(test_fractional_usage_quantity),
        cmocka_unit_test(test_first_time_link_posts_the_whole_quantity),
        cmocka_unit_test(test_negative_source_quantity_fails),
        cmocka_unit_test(test_reason_fits_with_extreme_quantities),
        cmocka_unit_test(test_invalid_input_returns_minus_one_and_leaves_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
