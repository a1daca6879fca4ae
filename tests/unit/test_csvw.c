/* test_csvw.c: cmocka tests for core/csvw (RFC 4180 quoting, formula-injection guard) and core/strbuf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/csvw.h"

/* One field written alone in a row must produce exactly `want` (without the CRLF). */
static void field_is(const char *in, const char *want)
{
    struct strbuf sb = STRBUF_INIT;
    csvw_t w;
    csvw_init(&w, &sb);
    assert_int_equal(csvw_field(&w, in), 0);
    if (strcmp(strbuf_cstr(&sb), want) != 0)
        fail_msg("csvw_field(\"%s\") wrote [%s], want [%s]", in ? in : "(null)", strbuf_cstr(&sb), want);
    strbuf_free(&sb);
}

static void test_simple_rows_end_with_crlf(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    csvw_t w;
    csvw_init(&w, &sb);
    const char *r1[] = {"company", "units", "effective"};
    const char *r2[] = {"Contoso", "3", "2025-03-01"};
    assert_int_equal(csvw_row(&w, r1, 3), 0);
    assert_int_equal(csvw_row(&w, r2, 3), 0);
    assert_string_equal(strbuf_cstr(&sb), "company,units,effective\r\nContoso,3,2025-03-01\r\n");
    assert_true(sb.len == strlen(sb.p));
    strbuf_free(&sb);
}

static void test_empty_and_null_fields_keep_their_separators(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    csvw_t w;
    csvw_init(&w, &sb);
    const char *r[] = {"", "a", NULL, ""};
    assert_int_equal(csvw_row(&w, r, 4), 0);
    assert_int_equal(csvw_field(&w, NULL), 0);
    assert_int_equal(csvw_field(&w, NULL), 0);
    assert_int_equal(csvw_end_row(&w), 0);
    assert_int_equal(csvw_end_row(&w), 0); /* a row with no fields is an empty line */
    assert_string_equal(strbuf_cstr(&sb), ",a,,\r\n,\r\n\r\n");
    strbuf_free(&sb);
}

static void test_quoting_rfc4180(void **state)
{
    (void)state;
    field_is("plain", "plain");
    field_is("a,b", "\"a,b\"");
    field_is("say \"hi\"", "\"say \"\"hi\"\"\"");
    field_is("\"", "\"\"\"\"");
    field_is("line1\nline2", "\"line1\nline2\"");
    field_is("line1\r\nline2", "\"line1\r\nline2\"");
    field_is(" lead", "\" lead\"");
    field_is("trail ", "\"trail \"");
    field_is("trail\t", "\"trail\t\"");
    field_is("in side", "in side");
    field_is("Café Ünïcode", "Café Ünïcode");
    field_is("", "");
    field_is(NULL, "");
}

static void test_formula_injection_is_neutralised(void **state)
{
    (void)state;
    field_is("=1+1", "'=1+1");
    field_is("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0");
    field_is("@SUM(A1:A9)", "'@SUM(A1:A9)");
    field_is("-2+3", "'-2+3");
    field_is("\tx", "'\tx");
    field_is("\r=x", "\"'\r=x\"");
    field_is("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    field_is("-", "'-");
    field_is("--1", "'--1");
    field_is("-1e3", "'-1e3");
    field_is("-A1", "'-A1");
    field_is("-3.", "'-3.");
    field_is("-.5", "'-.5");
    field_is(" =x", "' =x");     /* leading spaces do not hide a formula */
    field_is("  @x", "'  @x");
    field_is("-3 ", "\"'-3 \"");
    field_is("a=b", "a=b");       /* only the first character matters */
    field_is("x-1", "x-1");
}

static void test_plain_negative_numbers_are_not_guarded(void **state)
{
    (void)state;
    field_is("-3", "-3");
    field_is("-12.50", "-12.50");
    field_is("+7", "+7");
    field_is("-0.0001", "-0.0001");
    field_is("12", "12");
    field_is(" -3", "\" -3\"");
    assert_false(csvw_needs_formula_guard("-3", 2));
    assert_false(csvw_needs_formula_guard("-12.50", 6));
    assert_true(csvw_needs_formula_guard("-12.50", 4)); /* "-12." */
    assert_true(csvw_needs_formula_guard("=", 1));
    assert_false(csvw_needs_formula_guard("", 0));
    assert_false(csvw_needs_formula_guard(NULL, 0));
}

static void test_typed_fields(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    csvw_t w;
    csvw_init(&w, &sb);
    assert_int_equal(csvw_field_money(&w, -125000, 2), 0);
    assert_int_equal(csvw_field_money(&w, 110350, 4), 0);
    assert_int_equal(csvw_field_qty(&w, 1500), 0);
    assert_int_equal(csvw_field_qty(&w, -3000), 0);
    assert_int_equal(csvw_field_i64(&w, INT64_MIN), 0);
    assert_int_equal(csvw_field_date(&w, cdate_make(2024, 2, 29)), 0);
    assert_int_equal(csvw_end_row(&w), 0);
    assert_string_equal(strbuf_cstr(&sb), "-12.50,11.0350,1.5,-3,-9223372036854775808,2024-02-29\r\n");
    size_t before = sb.len;
    assert_int_equal(csvw_field_money(&w, 1, 7), -1);
    assert_int_equal(csvw_field_date(&w, cdate_make(2025, 2, 30)), -1);
    assert_true(sb.len == before);
    assert_int_equal(w.nfields, 0);
    strbuf_free(&sb);
}

static void test_streaming_flush_mid_row_keeps_separators(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    csvw_t w;
    csvw_init(&w, &sb);
    assert_int_equal(csvw_field(&w, "a"), 0);
    strbuf_reset(&sb); /* the page flushed "a" to the client */
    assert_int_equal(csvw_field(&w, "b"), 0);
    assert_int_equal(csvw_end_row(&w), 0);
    assert_string_equal(strbuf_cstr(&sb), ",b\r\n");
    strbuf_free(&sb);
}

static void test_rejects_nul_and_bad_arguments_without_changing_buffer(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    csvw_t w;
    csvw_init(&w, &sb);
    assert_int_equal(csvw_field(&w, "x"), 0);
    assert_int_equal(csvw_field_n(&w, "a\0b", 3), -1);
    assert_int_equal(csvw_field_n(&w, NULL, 3), -1);
    assert_int_equal(csvw_field_n(&w, NULL, 0), 0); /* empty */
    assert_int_equal(csvw_field_n(&w, "abc,def", 3), 0);
    assert_string_equal(strbuf_cstr(&sb), "x,,abc");
    assert_int_equal(csvw_field(NULL, "x"), -1);
    assert_int_equal(csvw_end_row(NULL), -1);
    assert_int_equal(csvw_row(&w, NULL, 1), -1);
    assert_int_equal(csvw_row(NULL, NULL, 0), -1);
    csvw_t unbound;
    csvw_init(&unbound, NULL);
    assert_int_equal(csvw_field(&unbound, "x"), -1);
    assert_int_equal(csvw_field_money(&unbound, 1, 2), -1);
    assert_int_equal(csvw_end_row(&unbound), -1);
    assert_int_equal(csvw_bom(&unbound), -1);
    csvw_init(NULL, &sb); /* harmless */
    strbuf_free(&sb);
}

static void test_bom_only_at_start(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    csvw_t w;
    csvw_init(&w, &sb);
    assert_int_equal(csvw_bom(&w), 0);
    assert_int_equal(csvw_field(&w, "a"), 0);
    assert_int_equal(csvw_bom(&w), -1);
    assert_int_equal(csvw_end_row(&w), 0);
    assert_string_equal(strbuf_cstr(&sb), "\xEF\xBB\xBF" "a\r\n");
    strbuf_free(&sb);
}

static void test_large_export_grows_buffer(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    csvw_t w;
    csvw_init(&w, &sb);
    for (int i = 0; i < 20000; i++) {
        assert_int_equal(csvw_field_i64(&w, i), 0);
        assert_int_equal(csvw_field(&w, "name, with comma"), 0);
        assert_int_equal(csvw_field_money(&w, (money_t)i * 125, 2), 0);
        assert_int_equal(csvw_end_row(&w), 0);
    }
    assert_true(sb.len == strlen(sb.p));
    const char *head = "0,\"name, with comma\",0.00\r\n1,";
    assert_true(strncmp(sb.p, head, strlen(head)) == 0);
    const char *tail = "19999,\"name, with comma\",249.99\r\n"; /* 249.9875 rounds half away */
    assert_string_equal(sb.p + sb.len - strlen(tail), tail);
    strbuf_free(&sb);
}

static void test_strbuf_basics(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb);
    assert_string_equal(strbuf_cstr(&sb), "");
    assert_null(sb.p);
    assert_int_equal(strbuf_append(&sb, "abc"), 0);
    assert_int_equal(strbuf_append_char(&sb, '-'), 0);
    assert_int_equal(strbuf_append_n(&sb, "xyz", 2), 0);
    assert_int_equal(strbuf_appendf(&sb, "[%d:%s]", 42, "q"), 0);
    assert_string_equal(sb.p, "abc-xy[42:q]");
    assert_true(sb.len == 12);
    size_t cap = sb.cap;
    strbuf_reset(&sb);
    assert_true(sb.len == 0 && sb.cap == cap);
    assert_string_equal(strbuf_cstr(&sb), "");
    assert_int_equal(strbuf_append(&sb, NULL), -1);
    assert_int_equal(strbuf_append_n(&sb, NULL, 1), -1);
    assert_int_equal(strbuf_append_n(&sb, NULL, 0), 0);
    assert_int_equal(strbuf_append(NULL, "x"), -1);
    assert_int_equal(strbuf_appendf(NULL, "x"), -1);
    assert_int_equal(strbuf_reserve(&sb, SIZE_MAX), -1);
    assert_int_equal(strbuf_reserve(&sb, SIZE_MAX - 1), -1);
    assert_int_equal(strbuf_reserve(&sb, (size_t)PTRDIFF_MAX), -1);
    assert_true(sb.len == 0 && sb.cap == cap);
    /* a formatted append far larger than the current capacity */
    char big[5000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(strbuf_appendf(&sb, "<%s>", big), 0);
    assert_true(sb.len == 5001);
    assert_true(sb.p[0] == '<' && sb.p[5000] == '>' && sb.p[5001] == '\0');
    strbuf_free(&sb);
    assert_null(sb.p);
    assert_true(sb.len == 0 && sb.cap == 0);
    strbuf_free(&sb); /* twice is fine */
    strbuf_free(NULL);
    strbuf_reset(NULL);
    strbuf_init(NULL);
    assert_string_equal(strbuf_cstr(NULL), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_rows_end_with_crlf),
        cmocka_unit_test(test_empty_and_null_fields_keep_their_separators),
        cmocka_unit_test(test_quoting_rfc4180),
        cmocka_unit_test(test_formula_injection_is_neutralised),
        cmocka_unit_test(test_plain_negative_numbers_are_not_guarded),
        cmocka_unit_test(test_typed_fields),
        cmocka_unit_test(test_streaming_flush_mid_row_keeps_separators),
        cmocka_unit_test(test_rejects_nul_and_bad_arguments_without_changing_buffer),
        cmocka_unit_test(test_bom_only_at_start),
        cmocka_unit_test(test_large_export_grows_buffer),
        cmocka_unit_test(test_strbuf_basics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
