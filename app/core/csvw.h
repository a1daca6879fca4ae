/* csvw.h: RFC 4180 CSV writer into a strbuf, with spreadsheet formula-injection neutralising */
#ifndef BILLSYNC_CORE_CSVW_H
#define BILLSYNC_CORE_CSVW_H

#include <stddef.h>
#include <stdint.h>

#include "core/cdate.h"
#include "core/money.h"
#include "core/strbuf.h"

/*
 * The writer remembers how many fields the current row has, so the separator is right even
 * for empty fields and when the caller flushes and resets the strbuf in the middle of a row
 * (streaming exports). Rows end with CRLF.
 *
 * Quoting: a field is wrapped in double quotes when it contains a comma, a double quote, CR
 * or LF, or when it begins or ends with a space or TAB; inner quotes are doubled. An empty
 * field (or NULL) is written as nothing.
 *
 * Formula injection: a text field whose first character after any leading spaces is one of
 * = + - @ TAB CR gets a leading apostrophe, so a spreadsheet shows it as text instead of
 * evaluating it ("=HYPERLINK(...)" -> "'=HYPERLINK(...)"). Exception: a plain number, i.e. an
 * optional sign, digits, and optionally '.' and more digits ("-3", "-12.50", "+7"), is left
 * alone so negative amounts stay numbers. Anything else starting with a sign ("-1e3", "-3 ",
 * "--1", "-A1") is guarded. The typed helpers (money, qty, integers, dates) write plain
 * numbers and never need the apostrophe.
 *
 * Every call returns 0, or -1 on invalid input or out of memory; on -1 the strbuf is left as
 * it was before the call.
 */
typedef struct csvw {
    struct strbuf *out;
    size_t nfields; /* fields written so far in the current row */
} csvw_t;

void csvw_init(csvw_t *w, struct strbuf *out);
/* UTF-8 byte order mark, for Excel; only before the first field of the file. */
int csvw_bom(csvw_t *w);
int csvw_field(csvw_t *w, const char *s);
/* n bytes of s; embedded NUL bytes are refused. */
int csvw_field_n(csvw_t *w, const char *s, size_t n);
/* money_format(v, decimals): "-12.50". */
int csvw_field_money(csvw_t *w, money_t v, int decimals);
/* qty_format: "3", "1.5". */
int csvw_field_qty(csvw_t *w, qty_t q);
int csvw_field_i64(csvw_t *w, int64_t v);
/* "YYYY-MM-DD". */
int csvw_field_date(csvw_t *w, cdate_t d);
int csvw_end_row(csvw_t *w);
/* n fields then the row end; NULL entries are empty fields. */
int csvw_row(csvw_t *w, const char *const *fields, size_t n);
/* 1 when s[0..n) would get the apostrophe under the rule above. */
int csvw_needs_formula_guard(const char *s, size_t n);

#endif
