/* urlenc.h: the one percent-encoder of the connectors' URLs (paths, query values, form bodies). */
#ifndef BILLSYNC_NET_URLENC_H
#define BILLSYNC_NET_URLENC_H

#include "core/strbuf.h"

/* Appends s to out with every byte percent-encoded (upper-case hex) except RFC 3986's
 * unreserved characters (A-Z a-z 0-9 - _ . ~). NULL appends nothing. -1 when out of memory. */
int url_escape(struct strbuf *out, const char *s);

#endif
