/* invoice_text.h: the text a PSA invoice line shows for what billsync writes (a ConnectWise
 * addition's invoiceDescription, an Autotask contract charge's name): the product or service
 * name by default, or the tenant's template (doc/invoice-text.md). Pure: no I/O. */
#ifndef BILLSYNC_CORE_INVOICE_TEXT_H
#define BILLSYNC_CORE_INVOICE_TEXT_H

#include <stddef.h>

#define INVOICE_TEXT_MAX 6000          /* characters: ConnectWise invoiceDescription's limit */
#define INVOICE_TEXT_AUTOTASK_MAX 100  /* characters: an Autotask contract charge's name */
#define INVOICE_TEXT_BYTES (INVOICE_TEXT_MAX * 4 + 1)

/* What the placeholders stand for on one line ("" when unknown). */
struct invoice_vars {
    const char *product;       /* {product}: the PSA's product or service name, else the distributor's */
    const char *subscription;  /* {subscription}: the distributor's subscription name */
    const char *company;       /* {company}: the PSA customer */
    const char *period;        /* {period}: a seat change's date, a charge's term or month */
    const char *quantity;      /* {quantity}: seats, or GB of usage */
};

/* The default texts (mode "product"). */
#define INVOICE_DEFAULT_SEATS "{product}"
#define INVOICE_DEFAULT_ANNUAL "{product} ({period})"
#define INVOICE_DEFAULT_USAGE "{product}, {period}: {quantity} GB"

/* Checks a tenant's template: 0 when usable; -1 with the reason in why (an unknown or unclosed
 * placeholder, empty, longer than max_chars, not UTF-8, a control character). */
int invoice_template_check(const char *tpl, size_t max_chars, char *why, size_t n);

/* The template with its placeholders replaced, cut to max_chars characters (whole UTF-8
 * characters); 1 when it was cut, 0 when whole, -1 on a template that does not check. */
int invoice_text_expand(const char *tpl, const struct invoice_vars *v, size_t max_chars, char *out, size_t n);

/* Characters (UTF-8 code points) of s, or (size_t)-1 when s is not valid UTF-8. */
size_t invoice_utf8_chars(const char *s);

#endif
