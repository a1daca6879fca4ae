/* jsonx.h: safe parsing of HTTP response bodies and tolerant typed getters over Jansson. */
#ifndef BILLSYNC_NET_JSONX_H
#define BILLSYNC_NET_JSONX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cdate.h"
#include "core/money.h"

/*
 * Remote data is untrusted: every getter accepts a NULL or non-object `obj`, a missing key,
 * a JSON null and a value of the wrong type, and then reports absence (NULL or -1) without
 * touching *out. Keys are looked up exactly (the APIs answer camelCase).
 *
 * `key` may be a dotted path ("pageDetails.nextPageUrl"); a segment that is all digits
 * indexes an array ("items.0.id"). A key that itself contains a dot is looked up whole
 * first, so {"a.b": 1} still works.
 */

/* Parse a body of len bytes (any JSON value, duplicate keys rejected, no NUL in strings).
 * On -1, *out is NULL and err holds "not JSON: ..." (empty body, truncated, not JSON),
 * with a position but never a piece of the body (it may hold secrets). */
int jsonx_parse(const char *body, size_t len, json_t **out, char *err, size_t errlen);

/* The value at key/path, borrowed (NULL when absent or JSON null). */
json_t *jsonx_get(const json_t *obj, const char *key);
/* A string value, borrowed from obj (NULL when absent, null or not a string). */
const char *jsonx_str(const json_t *obj, const char *key);
/* An integer, or a string holding only an optional sign and digits ("42", "-7"), or a real
 * with no fractional part (42.0). -1 on anything else or out of int64 range. */
int jsonx_int(const json_t *obj, const char *key, int64_t *out);
/* true/false; also the strings "true"/"false" and the integers 0/1. */
int jsonx_bool(const json_t *obj, const char *key, int *out);
/* Money from a JSON number (11.035 -> 110350, 12 -> 120000) or a numeric string ("11.0350"). */
int jsonx_money(const json_t *obj, const char *key, money_t *out);
/* Quantity likewise (3 -> 3000, "1.5" -> 1500). */
int jsonx_qty(const json_t *obj, const char *key, qty_t *out);
/* A date string "YYYY-MM-DD[Thh:mm:ss[.f][zone]]" (the date as written, see cdate_parse). */
int jsonx_date(const json_t *obj, const char *key, cdate_t *out);

#endif
