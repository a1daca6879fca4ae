/* test_invoice_text.c: cmocka tests for core/invoice_text (template check and expansion). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/invoice_text.h"

static const struct invoice_vars V = {"Microsoft 365 Business Basic", "M365 BB (Monthly)", "Contoso Ltd",
                                      "2026-12-07", "15"};

static void expands_to(const char *tpl, size_t max, const char *want, int cut)
{
    char out[INVOICE_TEXT_BYTES];
    assert_int_equal(invoice_text_expand(tpl, &V, max, out, sizeof out), cut);
    assert_string_equal(out, want);
}

static void refused(const char *tpl, size_t max, const char *words)
{
    char why[300] = "";
    assert_int_equal(invoice_template_check(tpl, max, why, sizeof why), -1);
    if (!strstr(why, words))
        fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", tpl ? tpl : "(null)", why, words);
}

static void test_defaults_and_placeholders(void **state)
{
    (void)state;
    expands_to(INVOICE_DEFAULT_SEATS, INVOICE_TEXT_MAX, "Microsoft 365 Business Basic", 0);
    expands_to("{product} for {company}, {period} ({quantity})", INVOICE_TEXT_MAX,
               "Microsoft 365 Business Basic for Contoso Ltd, 2026-12-07 (15)", 0);
    expands_to("{subscription}", INVOICE_TEXT_MAX, "M365 BB (Monthly)", 0);
    expands_to("plain text", INVOICE_TEXT_MAX, "plain text", 0);
    struct invoice_vars empty = {"", NULL, "", "", ""};
    char out[64];
    assert_int_equal(invoice_text_expand("{product} {subscription}", &empty, 100, out, sizeof out), 0);
    assert_string_equal(out, "");             /* trailing blanks of empty values go */
}

static void test_cut_to_the_limit_on_whole_characters(void **state)
{
    (void)state;
    expands_to("{product}", 9, "Microsoft", 1);
    struct invoice_vars v = {"\xC3\xA9\xC3\xA9\xC3\xA9", "", "", "", ""};   /* three é */
    char out[16];
    assert_int_equal(invoice_text_expand("a{product}", &v, 3, out, sizeof out), 1);
    assert_string_equal(out, "a\xC3\xA9\xC3\xA9");
    assert_int_equal(invoice_utf8_chars("a\xC3\xA9"), 2);
    assert_true(invoice_utf8_chars("\xC3") == (size_t)-1);
}

static void test_bad_templates(void **state)
{
    (void)state;
    refused("{product} {sku}", INVOICE_TEXT_MAX, "unknown placeholder {sku}");
    refused("{product", INVOICE_TEXT_MAX, "without its \"}\"");
    refused("product}", INVOICE_TEXT_MAX, "without its \"{\"");
    refused("", INVOICE_TEXT_MAX, "empty");
    refused("   ", INVOICE_TEXT_MAX, "empty");
    refused("a\nb", INVOICE_TEXT_MAX, "one line");
    refused("\xC3(", INVOICE_TEXT_MAX, "UTF-8");
    refused("{product} and more", 10, "at most 10");
    char why[100];
    assert_int_equal(invoice_template_check("{product} ({period})", 100, why, sizeof why), 0);
    char out[8];
    assert_int_equal(invoice_text_expand("{nope}", &V, 100, out, sizeof out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_placeholders),
        cmocka_unit_test(test_cut_to_the_limit_on_whole_characters),
        cmocka_unit_test(test_bad_templates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
