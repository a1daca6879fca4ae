/* test_price_policy.c: cmocka tests for core/price_policy (a service's cost from its links, the
 * price each policy asks for, margins, the day a cost change is posted on), to the 1/10000. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/price_policy.h"

static money_t M(const char *s)
{
    money_t v = 0;
    assert_int_equal(money_parse(s, &v), 0);
    return v;
}

static void test_resolve_product_over_company_over_tenant(void **state)
{
    (void)state;
    struct price_policy t = {PRICE_MARKUP, 2000, 1}, c = {PRICE_SRP, 0, 1}, p = {PRICE_KEEP, 0, 0};
    assert_int_equal(price_policy_resolve(&t, &c, &p).mode, PRICE_KEEP);
    assert_int_equal(price_policy_resolve(&t, &c, NULL).mode, PRICE_SRP);
    struct price_policy r = price_policy_resolve(&t, NULL, NULL);
    assert_int_equal(r.mode, PRICE_MARKUP);
    assert_int_equal(r.markup_bp, 2000);
    assert_int_equal(price_policy_resolve(NULL, NULL, NULL).mode, PRICE_KEEP);
    enum price_mode m;
    assert_int_equal(price_mode_parse("srp", &m), 0);
    assert_int_equal(m, PRICE_SRP);
    assert_int_equal(price_mode_parse("SRP", &m), -1);
    assert_int_equal(price_mode_parse(NULL, &m), -1);
    assert_string_equal(price_mode_name(PRICE_MARKUP), "markup");
}

static void test_policy_prices_to_the_cent(void **state)
{
    (void)state;
    money_t price = 0;
    struct price_policy keep = {PRICE_KEEP, 0, 1}, m20 = {PRICE_MARKUP, 2000, 1}, srp = {PRICE_SRP, 0, 1};
    assert_int_equal(price_policy_price(&keep, M("5.40"), M("6.00"), &price), 0);
    /* 5.40 x 1.20 = 6.48 */
    assert_int_equal(price_policy_price(&m20, M("5.40"), 0, &price), 1);
    assert_true(price == M("6.48"));
    /* 5.9425 x 1.125 = 6.68531.. -> 6.69; 0.0500 x 1.10 = 0.055 -> 0.06 (half-even: 5 after 5) */
    struct price_policy m125 = {PRICE_MARKUP, 1250, 0}, m10 = {PRICE_MARKUP, 1000, 0};
    assert_int_equal(price_policy_price(&m125, M("5.9425"), 0, &price), 1);
    assert_true(price == M("6.69"));
    assert_int_equal(price_policy_price(&m10, M("0.05"), 0, &price), 1);
    assert_true(price == M("0.06"));
    /* 0.0250 x 1.00 = 0.025 -> 0.02 (half-even) */
    struct price_policy m0 = {PRICE_MARKUP, 0, 0};
    assert_int_equal(price_policy_price(&m0, M("0.025"), 0, &price), 1);
    assert_true(price == M("0.02"));
    assert_int_equal(price_policy_price(&srp, M("5.40"), M("7.1234"), &price), 1);
    assert_true(price == M("7.12"));
    assert_int_equal(price_policy_price(&srp, M("5.40"), 0, &price), 0);
    struct price_policy bad = {PRICE_MARKUP, -1, 0};
    assert_int_equal(price_policy_price(&bad, M("5.40"), 0, &price), -1);
    struct price_policy huge = {PRICE_MARKUP, 100000, 0};
    assert_int_equal(price_policy_price(&huge, INT64_MAX / 2, 0, &price), -1);
}

static void test_service_cost_is_the_seat_weighted_mean(void **state)
{
    (void)state;
    money_t cost = -1;
    /* one link: its new cost */
    struct cost_link one[] = {{M("5.94"), 1, M("5.40"), 8000, 0}};
    assert_int_equal(cost_service_target(one, 1, &cost), 1);
    assert_true(cost == M("5.94"));
    /* unchanged: nothing */
    struct cost_link same[] = {{M("5.40"), 1, M("5.40"), 8000, 0}};
    assert_int_equal(cost_service_target(same, 1, &cost), 0);
    /* no baseline yet: a baseline, no change */
    struct cost_link fresh[] = {{M("5.40"), 0, 0, 8000, 0}};
    assert_int_equal(cost_service_target(fresh, 1, &cost), 0);
    /* 5 seats at 5.40 and 3 at 6.00: (27.00 + 18.00) / 8 = 5.625 */
    struct cost_link two[] = {{M("5.40"), 1, M("5.00"), 5000, 0}, {M("6.00"), 1, M("6.00"), 3000, 0}};
    assert_int_equal(cost_service_target(two, 2, &cost), 1);
    assert_true(cost == M("5.625"));
    /* 1 seat at 1.0001 and 2 at 1.0000: 3.0001 / 3 = 1.000033.. -> 1.0000 */
    struct cost_link odd[] = {{M("1.0001"), 1, M("1"), 1000, 0}, {M("1"), 1, M("1"), 2000, 0}};
    assert_int_equal(cost_service_target(odd, 2, &cost), 1);
    assert_true(cost == M("1"));
    /* half-even on the last digit: (0.0001 + 0.0002) / 2 = 0.00015 -> 0.0002 */
    struct cost_link half[] = {{M("0.0001"), 1, 0, 1000, 0}, {M("0.0002"), 1, M("0.0002"), 1000, 0}};
    assert_int_equal(cost_service_target(half, 2, &cost), 1);
    assert_true(cost == M("0.0002"));
    /* a gone link does not count; no seats anywhere: the plain mean */
    struct cost_link gone[] = {{M("9"), 1, M("1"), 4000, 1}, {M("2"), 1, M("1"), 0, 0}, {M("4"), 1, M("4"), 0, 0}};
    assert_int_equal(cost_service_target(gone, 3, &cost), 1);
    assert_true(cost == M("3"));
    struct cost_link neg[] = {{-1, 1, 0, 1000, 0}};
    assert_int_equal(cost_service_target(neg, 1, &cost), -1);
    assert_int_equal(cost_service_target(NULL, 1, &cost), -1);
}

static void test_margin_in_basis_points(void **state)
{
    (void)state;
    int bp = 0;
    /* (6.00 - 5.40) / 6.00 = 10 % */
    assert_int_equal(margin_bp(M("6.00"), M("5.40"), &bp), 0);
    assert_int_equal(bp, 1000);
    /* (6.00 - 5.94) / 6.00 = 1 % */
    assert_int_equal(margin_bp(M("6.00"), M("5.94"), &bp), 0);
    assert_int_equal(bp, 100);
    /* below cost: negative; (3 - 2) / 3 = 33.333.. % -> 3333 */
    assert_int_equal(margin_bp(M("5.00"), M("5.40"), &bp), 0);
    assert_int_equal(bp, -800);
    assert_int_equal(margin_bp(M("3"), M("2"), &bp), 0);
    assert_int_equal(bp, 3333);
    assert_int_equal(margin_bp(0, M("2"), &bp), -1);
}

static void test_cost_change_day_skips_busy_days(void **state)
{
    (void)state;
    cdate_t out, none = {0, 0, 0};
    cdate_t busy[] = {cdate_make(2027, 12, 31), cdate_make(2028, 1, 1)};
    assert_int_equal(cost_free_day(cdate_make(2027, 12, 30), busy, 2, none, &out), 0);
    assert_int_equal(cdate_cmp(out, cdate_make(2027, 12, 30)), 0);
    assert_int_equal(cost_free_day(cdate_make(2027, 12, 31), busy, 2, none, &out), 0);
    assert_int_equal(cdate_cmp(out, cdate_make(2028, 1, 2)), 0);
    assert_int_equal(cost_free_day(cdate_make(2027, 12, 31), busy, 2, cdate_make(2028, 1, 1), &out), -1);
}

static void test_what_a_person_approving_reads(void **state)
{
    (void)state;
    char buf[200];
    price_change_text(M("6.00"), M("5.94"), M("7.20"), 0, 0, buf, sizeof buf);
    assert_string_equal(buf, "cost 6.00 -> 5.94; price 7.20 kept; margin 16.7 % -> 17.5 %");
    price_change_text(M("12.50"), M("13.10"), M("15.00"), 1, M("15.72"), buf, sizeof buf);
    assert_string_equal(buf, "cost 12.50 -> 13.10; price 15.00 -> 15.72; margin 16.7 % -> 16.7 %");
    price_change_text(M("5.00"), M("5.0025"), 0, 0, 0, buf, sizeof buf);
    assert_string_equal(buf, "cost 5.00 -> 5.0025; price 0.00 kept; margin n/a -> n/a");
    margin_text(M("5.00"), M("5.40"), buf, sizeof buf);
    assert_string_equal(buf, "-8.0 %");
    margin_text(M("3"), M("2.9985"), buf, sizeof buf);    /* 0.05 % -> 0.1 (half away from zero) */
    assert_string_equal(buf, "0.1 %");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_product_over_company_over_tenant),
        cmocka_unit_test(test_policy_prices_to_the_cent),
        cmocka_unit_test(test_service_cost_is_the_seat_weighted_mean),
        cmocka_unit_test(test_margin_in_basis_points),
        cmocka_unit_test(test_cost_change_day_skips_busy_days),
        cmocka_unit_test(test_what_a_person_approving_reads),
    };
    return cmocka_run_group_tests_name("price_policy", tests, NULL, NULL);
}
