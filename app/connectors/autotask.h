/* autotask.h: the Datto Autotask REST v1.0 connector, plus the pure parsing helpers it is
 * built from (exposed for unit tests). */
#ifndef BILLSYNC_CONNECTORS_AUTOTASK_H
#define BILLSYNC_CONNECTORS_AUTOTASK_H

#include "connectors/psa.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

extern const struct psa_connector autotask_connector;

#define AT_DEFAULT_ROOT "https://webservices.autotask.net/ATServicesRest/"

/* The zone-discovery root from the "url" setting ("" = the default): scheme and host kept,
 * "/ATServicesRest/" added when no path is given, a trailing "V1.0" dropped, always ending
 * in '/'. -1 when it is not an http(s) URL or does not fit. */
int at_root_url(const char *setting, char *buf, size_t n);
/* The versioned base from a zone's url ("https://webservices15.autotask.net/ATServicesRest/"
 * -> ".../ATServicesRest/V1.0/"). -1 when it is not an http(s) URL or does not fit. */
int at_zone_base(const char *zone_url, char *buf, size_t n);
/* The text of an {"errors": [...]} body (strings, or objects with a message), joined by
 * "; ". -1 when there is none. */
int at_errors_text(const json_t *doc, char *buf, size_t n);
/* The kind of an Autotask error answer and a plain hint, from its status and text. */
enum conn_error_kind at_error_kind(long status, const char *text, const char **hint);
/* In an entityInformation/fields array: the value of the active picklist entry of `field`
 * whose label matches one of `labels` ("Active|In Effect", case-insensitive). -1 when none. */
int at_picklist_value(const json_t *fields, const char *field, const char *labels, int64_t *value);
/* The label of a picklist value, borrowed from fields; NULL when unknown. */
const char *at_picklist_label(const json_t *fields, const char *field, int64_t value);
/* 1 when label equals one of the '|'-separated names ("Active|In Effect"), ignoring case. */
int at_label_matches(const char *label, const char *names);
/* Billing period length in months from a period-type label (Monthly, Quarterly,
 * Semi-Annual, Yearly, ...); 0 when unknown. */
int at_period_months(const char *label);

#endif
