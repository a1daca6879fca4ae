/* test_recon_csv.c: the distributor billing file parser: exact amounts, dates, row-numbered
 * errors, any chunking of the input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/recon_csv.h"

#define MAXL 8

struct seen {
    int n;
    struct recon_line lines[MAXL];
    long rows[MAXL];
};

static int collect(void *ctx, const struct recon_line *l, long row)
{
    struct seen *s = ctx;
    if (s->n < MAXL) {
        s->lines[s->n] = *l;
        s->rows[s->n] = row;
    }
    s->n++;
    return 0;
}

static const char MS[] =
    "\xEF\xBB\xBFPartnerId,CustomerId,CustomerName,CustomerDomainName,CustomerCountry,InvoiceNumber,"
    "MpnId,ResellerMpnId,OrderId,OrderDate,ProductId,SkuId,AvailabilityId,SkuName,ProductName,"
    "ChargeType,UnitPrice,Quantity,Subtotal,TaxTotal,TotalForCustomer,Currency,PriceAdjustmentDescription,"
    "PublisherName,PublisherId,SubscriptionDescription,SubscriptionId,ChargeStartDate,ChargeEndDate,"
    "TermAndBillingCycle,EffectiveUnitPrice,UnitType,AlternateId,BillableQuantity,BillingFrequency,"
    "PricingCurrency,PCToBCExchangeRate,PCToBCExchangeRateDate,MeterDescription,ReservationOrderId,"
    "CreditReasonCode,SubscriptionStartDate,SubscriptionEndDate,ReferenceId,ProductQualifiers,PromotionId\r\n"
    "p1,cust-1,\"Repair & Wear, Inc.\",rw.onmicrosoft.com,US,G000773581,5357564,0,ord1,"
    "2026-10-15T18:48:30Z,CFQ7TTC0LH18,0001,av1,Microsoft 365 Business Basic,"
    "Microsoft 365 Business Basic,cycleCharge,6.00,8,43.2000,4.3,47.5,USD,\"[\"\"x\"\"]\",Microsoft,,"
    "Office seats,sub-1,2026-10-01T00:00:00Z,2026-10-31T00:00:00Z,"
    "One-Year commitment for monthly/yearly billing,5.40,,a1,8,Monthly,USD,1,2026-10-01,,,,"
    "2026-01-01,2026-12-31,ref-1,[],\r\n"
    "p1,cust-2,Contoso Ltd,c.onmicrosoft.com,US,G000773581,5357564,0,ord2,10/20/2026,CFQ7TTC0LDPB,0001,av2,"
    "Microsoft 365 E3,Microsoft 365 E3,new,36.00,3,1166.4000,0,1166.4,usd,,Microsoft,,,sub-2,"
    "10/20/2026,10/19/2027,One-Year commitment for yearly billing,32.40,,a2,\"36\",Annual,USD,1,,,,,"
    "10/20/2026,10/19/2027,ref-2,[],\r\n";

static void parse_all(enum recon_format f, const char *text, size_t chunk, struct seen *s,
                      int *rc, char *err)
{
    memset(s, 0, sizeof *s);
    struct recon_parser *p = recon_new(f, collect, s);
    assert_non_null(p);
    size_t len = strlen(text);
    *rc = 0;
    for (size_t i = 0; i < len && *rc == 0; i += chunk)
        *rc = recon_feed(p, text + i, len - i < chunk ? len - i : chunk);
    if (*rc == 0)
        *rc = recon_finish(p);
    snprintf(err, 400, "%s", recon_error(p));
    recon_free(p);
}

static void microsoft_recon_file_exactly(void **state)
{
    (void)state;
    struct seen s;
    int rc;
    char err[400];
    parse_all(RECON_MSCSP, MS, 1 << 20, &s, &rc, err);
    assert_int_equal(rc, 0);
    assert_int_equal(s.n, 2);
    const struct recon_line *a = &s.lines[0], *b = &s.lines[1];
    assert_string_equal(a->company_name, "Repair & Wear, Inc.");
    assert_string_equal(a->ch.company_id, "cust-1");
    assert_string_equal(a->ch.subscription_id, "sub-1");
    assert_string_equal(a->ch.resource_id, "sub-1");
    assert_string_equal(a->subscription_name, "Office seats");
    assert_string_equal(a->ch.sku, "CFQ7TTC0LH18:0001");
    assert_int_equal(a->ch.quantity, 8000);                /* BillableQuantity */
    assert_int_equal(a->ch.unit_cost, 54000);              /* EffectiveUnitPrice 5.40 */
    assert_int_equal(a->ch.unit_price, 60000);             /* UnitPrice 6.00 */
    assert_int_equal(a->ch.extended_cost, 432000);         /* Subtotal, never recomputed */
    assert_int_equal(a->ch.type, SRC_CHARGE_RECURRING);
    assert_int_equal(a->ch.term_months, 12);
    assert_int_equal(a->billing_cycle, SRC_MONTHLY);
    assert_int_equal(a->ch.period_start.d, 1);
    assert_int_equal(a->ch.period_end.d, 31);
    assert_int_equal(a->ch.effective.m, 10);
    assert_int_equal(a->ch.effective.d, 15);
    assert_string_equal(a->ch.currency, "USD");
    assert_int_equal(s.rows[0], 2);
    /* the annual line: US dates, quoted number, an up-front one-time charge */
    assert_int_equal(b->ch.quantity, 36000);
    assert_int_equal(b->ch.type, SRC_CHARGE_ONE_TIME);
    assert_int_equal(b->billing_cycle, SRC_ANNUAL);
    assert_int_equal(b->ch.period_end.y, 2027);
    assert_int_equal(b->ch.extended_cost, 11664000);
    assert_string_equal(b->ch.currency, "USD");
    assert_string_not_equal(a->ch.id, b->ch.id);
    assert_int_equal(strncmp(a->ch.id, "ms-", 3), 0);
}

static void any_chunking_gives_the_same_lines(void **state)
{
    (void)state;
    struct seen whole, bytes;
    int rc1, rc2;
    char err[400];
    parse_all(RECON_MSCSP, MS, 1 << 20, &whole, &rc1, err);
    parse_all(RECON_MSCSP, MS, 1, &bytes, &rc2, err);
    assert_int_equal(rc1, 0);
    assert_int_equal(rc2, 0);
    assert_int_equal(whole.n, bytes.n);
    for (int i = 0; i < whole.n; i++)
        assert_memory_equal(&whole.lines[i], &bytes.lines[i], sizeof whole.lines[i]);
}

static const char GENERIC_HEAD[] =
    "company_id,company_name,subscription_id,subscription_name,product_name,sku,quantity,"
    "unit_cost,unit_price,extended_cost,currency,charge_type,billing_cycle,term_months,"
    "period_start,period_end,effective_date,line_id\n";

static void generic_file(void **state)
{
    (void)state;
    char text[2000];
    snprintf(text, sizeof text, "%s%s%s", GENERIC_HEAD,
             "c1,Northwind Traders,s1,Backup,Backup storage (GB),BK-GB,1234.5,0.0350,0.05,43.2075,EUR,"
             "usage,usage,0,2026-10-01,2026-10-31,2026-10-31,L-1\n",
             "\n"   /* blank lines are skipped */
             "c1,Northwind Traders,s2,,Exchange Online (Plan 1),EXO1,5,4.00,,,,,,,2026-10-01,2026-10-31,,\n");
    struct seen s;
    int rc;
    char err[400];
    parse_all(RECON_GENERIC, text, 7, &s, &rc, err);
    assert_int_equal(rc, 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.lines[0].ch.quantity, 1234500);
    assert_int_equal(s.lines[0].ch.unit_cost, 350);
    assert_int_equal(s.lines[0].ch.extended_cost, 432075);
    assert_int_equal(s.lines[0].ch.type, SRC_CHARGE_USAGE);
    assert_string_equal(s.lines[0].ch.id, "L-1");
    assert_string_equal(s.lines[0].ch.currency, "EUR");
    assert_int_equal(s.rows[1], 3);       /* rows are records: blank lines are not counted */
    assert_string_equal(s.lines[1].subscription_name, "Exchange Online (Plan 1)");
    assert_string_equal(s.lines[1].ch.currency, "USD");
    assert_int_equal(s.lines[1].billing_cycle, SRC_MONTHLY);
}

static void bad_rows_name_the_row_and_the_problem(void **state)
{
    (void)state;
    static const struct {
        const char *row, *want;
    } cases[] = {
        {"c1,N,s1,,P,,x,1,,,,,,,2026-10-01,2026-10-31,,\n", "row 2: the quantity 'x' is not a number"},
        {"c1,N,s1,,P,,1,\"1,5\",,,,,,,2026-10-01,2026-10-31,,\n", "row 2: unit_cost '1,5' is not an amount"},
        {"c1,N,s1,,P,,1,1,,,,,,,2026-02-30,2026-10-31,,\n", "row 2: period_start '2026-02-30' is not a date"},
        {"c1,N,s1,,P,,1,1,,,,,,,2026-10-31,2026-10-01,,\n", "row 2: the period ends before it starts"},
        {",N,s1,,P,,1,1,,,,,,,2026-10-01,2026-10-31,,\n", "row 2: company_id is empty"},
        {"c1,N,s1,,P,,1,1,,,,gift,,,2026-10-01,2026-10-31,,\n", "row 2: the charge type 'gift' is not known"},
        {"c1,N,s1,,P,,1,1,,,EURO,,,,2026-10-01,2026-10-31,,\n", "row 2: the currency 'EURO' is not a 3-letter code"},
        {"c1,N,s1,,P,,1,1,,,,,weekly,,2026-10-01,2026-10-31,,\n", "row 2: billing_cycle 'weekly'"},
        {"c1,N,s1,,P,,1,1,,,,,,,2026-10-01,2026-10-31,,\n\"c2,unclosed\n", "row 3:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1000];
        snprintf(text, sizeof text, "%s%s", GENERIC_HEAD, cases[i].row);
        struct seen s;
        int rc;
        char err[400];
        parse_all(RECON_GENERIC, text, 1 << 20, &s, &rc, err);
        assert_int_equal(rc, -1);
        if (!strstr(err, cases[i].want))
            fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].want);
    }
}

static void missing_columns_and_empty_files(void **state)
{
    (void)state;
    struct seen s;
    int rc;
    char err[400];
    parse_all(RECON_MSCSP, "CustomerId,CustomerName\r\nx,y\r\n", 1 << 20, &s, &rc, err);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "row 1: the column SubscriptionId is missing"));
    parse_all(RECON_GENERIC, "", 1 << 20, &s, &rc, err);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "empty"));
    assert_int_equal(s.n, 0);
}

static void too_long_ids_are_refused_not_cut(void **state)
{
    (void)state;
    char text[2000], id[200];
    memset(id, 'a', 120);
    id[120] = 0;
    snprintf(text, sizeof text, "%sc1,N,%s,,P,,1,1,,,,,,,2026-10-01,2026-10-31,,\n", GENERIC_HEAD, id);
    struct seen s;
    int rc;
    char err[400];
    parse_all(RECON_GENERIC, text, 1 << 20, &s, &rc, err);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "row 2: subscription_id is longer than 79 characters"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(microsoft_recon_file_exactly),
        cmocka_unit_test(any_chunking_gives_the_same_lines),
        cmocka_unit_test(generic_file),
        cmocka_unit_test(bad_rows_name_the_row_and_the_problem),
        cmocka_unit_test(missing_columns_and_empty_files),
        cmocka_unit_test(too_long_ids_are_refused_not_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
