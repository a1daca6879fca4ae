/* response.c: status, headers and body of one response; security headers on every one. */
#include "web/response.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* No inline script or style anywhere: everything comes from /static. */
static const char security_headers[] =
    "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: same-origin\r\n"
    "Cache-Control: no-store\r\n";

void resp_init(struct response *r, FCGX_Stream *out)
{
    memset(r, 0, sizeof *r);
    r->status = 200;
    snprintf(r->content_type, sizeof r->content_type, "text/html; charset=utf-8");
    string_init(&r->headers);
    string_init(&r->body);
    r->out = out;
}

void resp_free(struct response *r)
{
    string_clear(&r->headers);
    string_clear(&r->body);
}

static int clean(const char *s) { return s && !strpbrk(s, "\r\n"); }

int resp_header(struct response *r, const char *name, const char *value)
{
    if (!clean(name) || !clean(value))
        return -1;
    NEOERR *err = string_appendf(&r->headers, "%s: %s\r\n", name, value);
    if (err) {
        nerr_ignore(&err);
        return -1;
    }
    return 0;
}

void resp_redirect(struct response *r, const char *location)
{
    r->status = 303;
    if (resp_header(r, "Location", location) < 0)
        resp_header(r, "Location", "/");
    string_clear(&r->body);
}

void resp_text(struct response *r, int status, const char *content_type, const char *text)
{
    r->status = status;
    snprintf(r->content_type, sizeof r->content_type, "%s", content_type);
    string_clear(&r->body);
    NEOERR *err = string_append(&r->body, text);
    nerr_ignore(&err);
}

const char *resp_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

static int write_head(struct response *r)
{
    if (r->sent)
        return 0;
    r->sent = 1;
    FCGX_FPrintF(r->out, "Status: %d %s\r\nContent-Type: %s\r\n%s", r->status,
                 resp_reason(r->status), r->content_type, security_headers);
    if (r->headers.len)
        FCGX_PutStr(r->headers.buf, r->headers.len, r->out);
    return 0;
}

int resp_send(struct response *r)
{
    if (r->sent)
        return 0;
    char len[24];
    snprintf(len, sizeof len, "%d", r->body.len);
    resp_header(r, "Content-Length", len);
    write_head(r);
    FCGX_PutS("\r\n", r->out);
    if (!r->head_only && r->body.len) {
        FCGX_PutStr(r->body.buf, r->body.len, r->out);
        r->bytes = (size_t)r->body.len;
    }
    return FCGX_GetError(r->out) ? -1 : 0;
}

int resp_stream_begin(struct response *r, const char *content_type, const char *filename)
{
    snprintf(r->content_type, sizeof r->content_type, "%s", content_type);
    if (filename) {
        char cd[300];
        snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", filename);
        resp_header(r, "Content-Disposition", cd);
    }
    write_head(r);
    FCGX_PutS("\r\n", r->out);
    return FCGX_GetError(r->out) ? -1 : 0;
}

int resp_stream_write(struct response *r, const char *data, size_t len)
{
    if (r->head_only)
        return 0;
    r->bytes += len;
    return FCGX_PutStr(data, (int)len, r->out) < 0 ? -1 : 0;
}

void resp_abort(struct response *r)
{
    if (!r->sent)
        return;
    FCGX_FFlush(r->out);
    /* The stream counts as failed: main.c then closes the connection without the end of
     * the stream and FCGI_END_REQUEST. nginx (1.22, tested) turns that into a broken
     * transfer, no final chunk, only with fastcgi_keep_conn on and its buffering on (an
     * X-Accel-Buffering: no response would end with the final chunk): conf/nginx-site.conf. */
    r->out->FCGI_errno = ECONNABORTED;
    r->aborted = 1;
}
