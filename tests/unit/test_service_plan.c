/* test_service_plan.c: cmocka tests for core/service_plan (one PSA contract service: the sum of
 * its links, the day it is read on, billsync's last post, busy days per the PSA's rule) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/service_plan.h"

static cdate_t D(int y, int m, int d)
{
    return cdate_make(y, m, d);
}

static qty_t Q(int64_t whole)
{
    return whole * QTY_SCALE;
}

static void date_is(cdate_t d, const char *want)
{
    char buf[CDATE_FMT_LEN];
    cdate_format(d, buf, sizeof buf);
    assert_string_equal(buf, want);
}

/* A monthly contract for 2027, decreases from the next period, drift flagged, auto posting. */
static struct planner_input policy(void)
{
    struct planner_input in;
    memset(&in, 0, sizeof in);
    in.decrease = PLANNER_DECREASE_NEXT_PERIOD;
    in.drift = PLANNER_DRIFT_FLAG;
    in.approval = PLANNER_APPROVAL_AUTO;
    in.contract_start = D(2027, 1, 1);
    in.contract_end = D(2027, 12, 31);
    in.cycle_months = 1;
    return in;
}

/* Issue 13.3: two subscriptions on one service want 5 + 3; a gone one counts 0. */
static void test_desired_is_the_sum_of_the_links(void **state)
{
    (void)state;
    qty_t q[] = {Q(5), Q(3), Q(7)};
    int gone[] = {0, 0, 1};
    qty_t sum = -1;
    assert_int_equal(service_desired(q, gone, 3, &sum), 0);
    assert_true(sum == Q(8));
    assert_int_equal(service_desired(q, NULL, 3, &sum), 0);
    assert_true(sum == Q(15));
    qty_t bad[] = {Q(5), -1};
    assert_int_equal(service_desired(bad, NULL, 2, &sum), -1);
    qty_t big[] = {INT64_MAX, 1};
    assert_int_equal(service_desired(big, NULL, 2, &sum), -1);
}

/* 5 + 3 linked to a service the PSA bills 8: in step, no drift, no fight between 5 and 3. */
static void test_two_links_on_a_service_at_their_sum_are_in_step(void **state)
{
    (void)state;
    struct service_post posts[] = {{D(2027, 3, 2), Q(8)}};
    struct service_state s = {D(2027, 3, 10), Q(8), posts, 1, 1, NULL, 0};
    struct planner_input in = policy();
    struct planner_output out;
    assert_int_equal(service_plan(&s, Q(8), &in, &out), 0);
    assert_int_equal(out.action, PLANNER_NOTHING);
    assert_true(in.has_last_posted && in.last_posted == Q(8));
    assert_null(in.busy); /* the busy days are the call's own */
}

/* Read on the later of today and billsync's newest change (one dated later is in the PSA). */
static void test_read_on_is_the_later_of_today_and_the_newest_post(void **state)
{
    (void)state;
    struct service_post later[] = {{D(2027, 4, 1), Q(8)}, {D(2027, 3, 2), Q(10)}};
    struct service_state s = {D(2027, 3, 10), Q(8), later, 2, 1, NULL, 0};
    date_is(service_read_on(&s), "2027-04-01");
    s.nposts = 0;
    date_is(service_read_on(&s), "2027-03-10");
    struct service_post earlier[] = {{D(2027, 3, 2), Q(10)}};
    s.posts = earlier;
    s.nposts = 1;
    date_is(service_read_on(&s), "2027-03-10");
}

/* Issue 13.6, Autotask: today holds billsync's change: the next one is dated tomorrow. */
static void test_autotask_second_change_of_the_day_moves_to_tomorrow(void **state)
{
    (void)state;
    struct service_post posts[] = {{D(2027, 3, 10), Q(12)}};
    struct service_state s = {D(2027, 3, 10), Q(15), posts, 1, 1, NULL, 0};
    struct planner_input in = policy();
    struct planner_output out;
    assert_int_equal(service_plan(&s, Q(12), &in, &out), 0);
    assert_int_equal(out.action, PLANNER_POST);
    assert_true(out.unit_change == Q(3));
    date_is(out.effective, "2027-03-11");
    assert_int_equal(out.moved_days, 1);
}

/* Issue 13.6, ConnectWise: several additions a day: an increase takes effect the day it is seen,
 * also on the day of the link's own post (the strict simulator's one-day under-billing). */
static void test_connectwise_takes_the_change_on_its_day(void **state)
{
    (void)state;
    struct service_post posts[] = {{D(2027, 3, 10), Q(12)}};
    struct service_state s = {D(2027, 3, 10), Q(15), posts, 1, 0, NULL, 0};
    struct planner_input in = policy();
    struct planner_output out;
    assert_int_equal(service_plan(&s, Q(12), &in, &out), 0);
    assert_int_equal(out.action, PLANNER_POST);
    date_is(out.effective, "2027-03-10");
    assert_int_equal(out.moved_days, 0);
}

/* Issue 18, Autotask: a day holding billsync's cost change (a 0-unit adjustment) is busy for a
 * seat change too; ConnectWise takes both on one day. */
static void test_a_cost_change_day_is_busy_on_autotask(void **state)
{
    (void)state;
    struct service_post posts[] = {{D(2027, 3, 1), Q(12)}};
    cdate_t cost[] = {D(2027, 3, 10), D(2027, 3, 9)};
    struct service_state s = {D(2027, 3, 10), Q(15), posts, 1, 1, cost, 2};
    struct planner_input in = policy();
    struct planner_output out;
    assert_int_equal(service_plan(&s, Q(12), &in, &out), 0);
    assert_int_equal(out.action, PLANNER_POST);
    date_is(out.effective, "2027-03-11");
    assert_int_equal(out.moved_days, 1);
    s.one_change_per_day = 0;
    assert_int_equal(service_plan(&s, Q(12), &in, &out), 0);
    date_is(out.effective, "2027-03-10");
    s.nalso_busy = SERVICE_POSTS_MAX + 1;
    assert_int_equal(service_plan(&s, Q(12), &in, &out), -1);
}

/* Older posts do not make days busy: only today and later ones do. */
static void test_only_days_from_today_are_busy(void **state)
{
    (void)state;
    struct service_post posts[] = {{D(2027, 3, 9), Q(12)}};
    struct service_state s = {D(2027, 3, 10), Q(15), posts, 1, 1, NULL, 0};
    struct planner_input in = policy();
    struct planner_output out;
    assert_int_equal(service_plan(&s, Q(12), &in, &out), 0);
    date_is(out.effective, "2027-03-10");
}

/* The PSA differs from billsync's last post: drift, held for a person. */
static void test_a_psa_edit_is_drift(void **state)
{
    (void)state;
    struct service_post posts[] = {{D(2027, 3, 2), Q(12)}};
    struct service_state s = {D(2027, 3, 10), Q(12), posts, 1, 1, NULL, 0};
    struct planner_input in = policy();
    struct planner_output out;
    assert_int_equal(service_plan(&s, Q(15), &in, &out), 0);
    assert_int_equal(out.action, PLANNER_DRIFT);
    assert_true(out.needs_approval);
}

static void test_invalid_state_is_refused(void **state)
{
    (void)state;
    struct service_state s = {D(2027, 3, 10), Q(1), NULL, 1, 1, NULL, 0};
    struct planner_input in = policy();
    struct planner_output out;
    assert_int_equal(service_plan(&s, Q(1), &in, &out), -1);
    s.nposts = SERVICE_POSTS_MAX + 1;
    assert_int_equal(service_plan(&s, Q(1), &in, &out), -1);
    assert_int_equal(service_plan(NULL, Q(1), &in, &out), -1);
}

/* Issue 16: a sync reads a service only when what billsync knows does not settle it. */
static struct service_known known(int64_t units, long long age_s, cdate_t on)
{
    struct service_known k;
    memset(&k, 0, sizeof k);
    k.cached = 1;
    k.cached_units = Q(units);
    k.cached_age_s = age_s;
    k.cached_on = on;
    return k;
}

static void test_unchanged_service_is_not_read_until_its_drift_check(void **state)
{
    (void)state;
    const long long day = 86400;
    cdate_t today = D(2027, 3, 10);
    struct service_known k = known(8, 3600, today);
    assert_int_equal(service_read_needed(&k, Q(8), today, day), 0);        /* in step, read an hour ago */
    assert_int_equal(service_read_needed(&k, Q(9), today, day), 1);        /* the source changed */
    assert_int_equal(service_read_needed(&k, Q(8), today, 0), 1);          /* 0: every sync */
    k.cached_age_s = day;
    assert_int_equal(service_read_needed(&k, Q(8), today, day), 1);        /* the daily check is due */
    k.cached_age_s = 3600;
    k.open_change = 1;                                                     /* a change waits: plan again */
    assert_int_equal(service_read_needed(&k, Q(8), today, day), 1);
    k.open_change = 0;
    k.cached = 0;                                                          /* never read */
    assert_int_equal(service_read_needed(&k, Q(8), today, day), 1);
}

static void test_month_end_reads_what_was_not_read_that_day(void **state)
{
    (void)state;
    const long long week = 7 * 86400;
    cdate_t last = D(2027, 2, 28), yesterday = D(2027, 2, 27);
    struct service_known k = known(8, 3600, yesterday);
    assert_int_equal(service_read_needed(&k, Q(8), last, week), 1);        /* read yesterday: again today */
    k.cached_on = last;
    assert_int_equal(service_read_needed(&k, Q(8), last, week), 0);        /* already read today */
    k.cached_on = D(2028, 2, 28);
    assert_int_equal(service_read_needed(&k, Q(8), D(2028, 2, 28), week), 0); /* a leap year's 28th is not the end */
}

/* A restore after a posted, later-dated decrease must be planned although today's units equal the
 * source again: billsync's own change is what the service will hold. */
static void test_a_later_dated_change_of_billsync_counts_as_what_the_service_holds(void **state)
{
    (void)state;
    const long long day = 86400;
    cdate_t today = D(2027, 3, 10);
    struct service_known k = known(10, 600, today);
    k.has_last_post = 1;
    k.last_post_desired = Q(8);
    k.last_post_effective = D(2027, 4, 1);
    assert_int_equal(service_read_needed(&k, Q(10), today, day), 1);       /* restored to 10: undo the decrease */
    assert_int_equal(service_read_needed(&k, Q(8), today, day), 0);        /* still 8: the decrease stands */
    k.last_post_effective = D(2027, 3, 1);                                 /* dated before today: units rule */
    assert_int_equal(service_read_needed(&k, Q(10), today, day), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_desired_is_the_sum_of_the_links),
        cmocka_unit_test(test_two_links_on_a_service_at_their_sum_are_in_step),
        cmocka_unit_test(test_read_on_is_the_later_of_today_and_the_newest_post),
        cmocka_unit_test(test_autotask_second_change_of_the_day_moves_to_tomorrow),
        cmocka_unit_test(test_connectwise_takes_the_change_on_its_day),
        cmocka_unit_test(test_only_days_from_today_are_busy),
        cmocka_unit_test(test_a_cost_change_day_is_busy_on_autotask),
        cmocka_unit_test(test_a_psa_edit_is_drift),
        cmocka_unit_test(test_invalid_state_is_refused),
        cmocka_unit_test(test_unchanged_service_is_not_read_until_its_drift_check),
        cmocka_unit_test(test_month_end_reads_what_was_not_read_that_day),
        cmocka_unit_test(test_a_later_dated_change_of_billsync_counts_as_what_the_service_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
