/* http_internal.h: what http.c and http_parse.c share and nobody else uses. */
#ifndef BILLSYNC_NET_HTTP_INTERNAL_H
#define BILLSYNC_NET_HTTP_INTERNAL_H

#include "net/http.h"

/* Forgets the response's headers (a new attempt, or a new response after 100 Continue). */
void http_response_clear_headers(struct http_response *r);

#endif
