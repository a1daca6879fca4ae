/* response.h: status, headers and body of one response; security headers on every one. */
#ifndef BILLSYNC_WEB_RESPONSE_H
#define BILLSYNC_WEB_RESPONSE_H

#include <ClearSilver.h>
#include <fcgiapp.h>
#include <stddef.h>

struct response {
    int status;
    char content_type[100];
    STRING headers;               /* extra "Name: value\r\n" lines */
    STRING body;
    FCGX_Stream *out;
    int head_only;                /* HEAD: headers, no body */
    int sent;                     /* headers written (streaming or sent) */
    size_t bytes;                 /* body bytes written, for the log */
    int aborted;                  /* resp_abort: the stream was cut off */
};

void resp_init(struct response *r, FCGX_Stream *out);
void resp_free(struct response *r);
/* Adds a header; a name or value with CR, LF or NUL is refused (returns -1). */
int resp_header(struct response *r, const char *name, const char *value);
void resp_redirect(struct response *r, const char *location);
void resp_text(struct response *r, int status, const char *content_type, const char *text);
/* Writes headers (with the security set) and the buffered body. */
int resp_send(struct response *r);
/* Streaming: headers now, then any number of writes (exports of any size). */
int resp_stream_begin(struct response *r, const char *content_type, const char *filename);
int resp_stream_write(struct response *r, const char *data, size_t len);
/* Ends a stream that cannot be completed (its data failed after the headers went out):
 * the client must see a broken transfer, never a complete one. No-op before headers. */
void resp_abort(struct response *r);
const char *resp_reason(int status);

#endif
