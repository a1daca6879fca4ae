/* fuzz_money_date.c: money, quantity and civil-date parsing, and the arithmetic on what they
 * parse (overflow must be reported, never wrap). Input: text. */
#include "fuzz.h"
#include "core/cdate.h"
#include "core/money.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    money_t m, m2, out;
    qty_t q, q2;
    cdate_t d, d2;
    char buf[64];
    if (money_parse(s, &m) == 0) {
        money_format(m, buf, sizeof buf, 4);
        if (money_parse_strict(buf, &m2) == 0 && m2 != m)
            abort();                  /* what is printed reads back the same */
        money_round(m, 2, MONEY_ROUND_HALF_EVEN, &out);
        money_add(m, m, &out);
        money_mul_div(m, 31, 30, &out);
    }
    money_parse_strict(s, &m);
    if (qty_parse(s, &q) == 0) {
        qty_format(q, buf, sizeof buf);
        if (qty_parse_strict(buf, &q2) == 0 && q2 != q)
            abort();
        money_mul_qty(123456, q, &out);
        money_div_qty(99990000, q, &out);
    }
    qty_parse_strict(s, &q);
    if (cdate_parse(s, &d) == 0) {
        cdate_format(d, buf, sizeof buf);
        if (cdate_parse(buf, &d2) != 0 || cdate_cmp(d, d2) != 0)
            abort();
        cdate_add_months(d, 13, &d2);
        cdate_period_t per;
        cdate_period_containing(d, 12, d2, &per);
        int64_t days;
        cdate_diff_days(d, d2, &days);
    }
    free(s);
    return 0;
}
