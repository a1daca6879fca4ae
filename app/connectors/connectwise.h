/* connectwise.h: the ConnectWise PSA (Manage) REST 3.0 connector, plus the pure parsing
 * helpers it is built from (exposed for unit tests). */
#ifndef BILLSYNC_CONNECTORS_CONNECTWISE_H
#define BILLSYNC_CONNECTORS_CONNECTWISE_H

#include "connectors/psa.h"

#include <jansson.h>
#include <stddef.h>

extern const struct psa_connector connectwise_connector;

/* The API base from the "site" setting: https:// added when no scheme is given; a site that
 * already holds ".../apis/3.0" is used up to there, anything else gets
 * "/v4_6_release/apis/3.0/" (the codebase alias every site answers). Ends in '/'.
 * -1 when empty, not http(s) or too long. */
int cw_base_url(const char *site, char *buf, size_t n);
/* The text of an error body: {"message", "errors": [{"message"}...]} as "message: e1; e2",
 * or the 429 form {"error", "message"}. -1 when there is none. */
int cw_error_text(const json_t *doc, char *buf, size_t n);
/* The kind of a ConnectWise error answer and a plain hint, from its status and text. */
enum conn_error_kind cw_error_kind(long status, const char *text, const char **hint);
/* 1 when an addition is in effect on d: effectiveDate (if any) <= d and no cancelledDate
 * before d (the cancelled date is the last day it is billed). */
int cw_in_effect(const json_t *addition, cdate_t d);
/* Months of a billing cycle's billingOptions (Monthly 1, BiMonthly 2, Quarterly 3,
 * SemiAnnual 6, Yearly 12, NotRecurring 0; weekly cycles count as 1). -1 when unknown. */
int cw_cycle_months(const char *billing_options);
/* A company identifier from a name: its letters and digits, at most 25 ("Company" when
 * none are left). */
void cw_identifier_base(const char *name, char *buf, size_t n);

#endif
