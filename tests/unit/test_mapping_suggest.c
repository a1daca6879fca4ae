/* test_mapping_suggest.c: cmocka tests for the seat-link rule and the contract suggestion of
 * web/mapping_suggest (issue 13 items 5 and 14), over hand-made mv_contracts rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "web/mapping_suggest.h"

/* mv_contracts rows: psa_id, name, end_date, subscriptions linked, contract_type */
#define MAXROWS 6
struct fake {
    char *cell[MAXROWS * 5];
    size_t len[MAXROWS * 5];
    struct dbrows r;
};

static void add(struct fake *f, const char *id, const char *name, const char *linked, const char *type)
{
    const char *v[5] = {id, name, "", linked, type};
    int row = f->r.nrows++;
    for (int c = 0; c < 5; c++) {
        f->cell[row * 5 + c] = (char *)v[c];
        f->len[row * 5 + c] = strlen(v[c]);
    }
}

static void init(struct fake *f)
{
    memset(f, 0, sizeof *f);
    f->r.ncols = 5;
    f->r.cell = f->cell;
    f->r.len = f->len;
}

static void test_seat_rule(void **state)
{
    (void)state;
    assert_int_equal(seat_rule_for("monthly", "recurring"), SEAT_OK);
    assert_int_equal(seat_rule_for("monthly", ""), SEAT_OK);                  /* unknown: not refused */
    assert_int_equal(seat_rule_for("monthly", "fixed_price"), SEAT_NOT_RECURRING);
    assert_int_equal(seat_rule_for("monthly", "one_time"), SEAT_NOT_RECURRING);
    assert_int_equal(seat_rule_for("monthly", "other"), SEAT_NOT_RECURRING);
    assert_int_equal(seat_rule_for("annual", "recurring"), SEAT_ANNUAL);      /* annual: never seats */
    assert_int_equal(seat_rule_for("annual", "fixed_price"), SEAT_ANNUAL);
    assert_int_equal(seat_rule_for("annual", ""), SEAT_ANNUAL);
    assert_int_equal(seat_rule_for("usage", "fixed_price"), SEAT_OK);         /* charges, anywhere */
    assert_int_equal(seat_rule_for(NULL, NULL), SEAT_OK);
}

static void test_refusal_sentences(void **state)
{
    (void)state;
    char msg[600];
    seat_refusal(SEAT_ANNUAL, "Microsoft 365 E3", "fixed_price", "Annual Subscriptions", msg, sizeof msg);
    assert_non_null(strstr(msg, "Microsoft 365 E3 was not linked: it belongs to an annual subscription, which is "
                                "billed as one-time charges"));
    seat_refusal(SEAT_NOT_RECURRING, "Microsoft 365 Business Basic", "fixed_price", "Annual Subscriptions", msg,
                 sizeof msg);
    assert_non_null(strstr(msg, "\"Annual Subscriptions\" is a fixed-price contract, and seat changes can only be "
                                "posted to a recurring contract."));
    /* long names are cut on a character boundary: the sentence fits a flash message */
    char name[400];
    memset(name, 'x', sizeof name - 3);
    memcpy(name + 118, "\xc3\xa9", 2);                  /* é across the 120-byte cut */
    name[sizeof name - 1] = 0;
    seat_refusal(SEAT_NOT_RECURRING, name, "other", name, msg, sizeof msg);
    assert_true(strlen(msg) < 480);
    assert_non_null(strstr(msg, "is a non-recurring contract"));
    char cut[8];
    mapping_utf8_cut("ab\xc3\xa9", 3, cut, sizeof cut);
    assert_string_equal(cut, "ab");
}

static void test_monthly_subscriptions_share_the_customers_one_recurring_contract(void **state)
{
    (void)state;
    struct fake f;
    struct suggestion s;
    init(&f);
    add(&f, "10", "Managed Cloud", "3", "recurring");
    add(&f, "11", "Annual Licences", "0", "fixed_price");
    /* linked already: still the home of the account's other monthly subscriptions */
    assert_int_equal(suggest_contract_from(&f.r, "Microsoft 365 Business Basic", "monthly", "", 0, &s), 1);
    assert_string_equal(s.id, "10");
    assert_int_equal(s.score, SUGGEST_SHARED_CONTRACT_SCORE);
    assert_string_equal(s.reason_text, "the contract of the account's other subscriptions");
    /* an annual subscription: the fixed-price contract */
    assert_int_equal(suggest_contract_from(&f.r, "Microsoft 365 E3", "annual", "", 0, &s), 1);
    assert_string_equal(s.id, "11");
    assert_string_equal(s.reason_text, "the account's only fixed-price contract");
}

static void test_a_monthly_subscription_never_gets_a_non_recurring_contract(void **state)
{
    (void)state;
    struct fake f;
    struct suggestion s;
    init(&f);
    add(&f, "20", "Exchange Online (Plan 1)", "0", "other");       /* same name, T&M */
    add(&f, "21", "Microsoft 365 Business Basic", "0", "fixed_price");
    add(&f, "22", "Managed Cloud", "0", "recurring");
    assert_int_equal(suggest_contract_from(&f.r, "Exchange Online (Plan 1)", "monthly", "", 0, &s), 1);
    assert_string_equal(s.id, "22");
    assert_string_equal(s.reason_text, "the account's only recurring contract");
    /* not even when it was the remembered link */
    assert_int_equal(suggest_contract_from(&f.r, "Microsoft 365 Business Basic", "monthly", "21", 0, &s), 1);
    assert_string_equal(s.id, "22");
    /* no recurring contract at all: nothing */
    init(&f);
    add(&f, "21", "Microsoft 365 Business Basic", "0", "fixed_price");
    assert_int_equal(suggest_contract_from(&f.r, "Microsoft 365 Business Basic", "monthly", "", 0, &s), 0);
    /* an annual subscription may still go by name, a ConnectWise one-time agreement is its kind */
    init(&f);
    add(&f, "30", "Annual Subscriptions", "0", "one_time");
    add(&f, "31", "Managed Cloud Services", "2", "recurring");
    assert_int_equal(suggest_contract_from(&f.r, "Microsoft 365 E3", "annual", "", 0, &s), 1);
    assert_string_equal(s.id, "30");
    assert_string_equal(s.reason_text, "the account's only one-time contract");
}

static void test_ambiguity_is_left_to_a_person(void **state)
{
    (void)state;
    struct fake f;
    struct suggestion s;
    init(&f);
    add(&f, "40", "Agreement North", "0", "recurring");
    add(&f, "41", "Agreement South", "0", "recurring");
    assert_int_equal(suggest_contract_from(&f.r, "Microsoft 365 Business Basic", "monthly", "", 0, &s), 0);
    /* one of them holds a subscription: it is the suggestion */
    f.cell[3] = "1";
    assert_int_equal(suggest_contract_from(&f.r, "Microsoft 365 Business Basic", "monthly", "", 0, &s), 1);
    assert_string_equal(s.id, "40");
    /* both hold subscriptions: a person chooses */
    f.cell[8] = "2";
    assert_int_equal(suggest_contract_from(&f.r, "Microsoft 365 Business Basic", "monthly", "", 0, &s), 0);
    /* one contract per subscription: the rows hold only free contracts, said so */
    init(&f);
    add(&f, "41", "Agreement South", "0", "recurring");
    assert_int_equal(suggest_contract_from(&f.r, "Microsoft 365 Business Basic", "monthly", "", 1, &s), 1);
    assert_string_equal(s.id, "41");
    assert_string_equal(s.reason_text, "the account's only recurring contract not linked yet");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seat_rule),
        cmocka_unit_test(test_refusal_sentences),
        cmocka_unit_test(test_monthly_subscriptions_share_the_customers_one_recurring_contract),
        cmocka_unit_test(test_a_monthly_subscription_never_gets_a_non_recurring_contract),
        cmocka_unit_test(test_ambiguity_is_left_to_a_person),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
