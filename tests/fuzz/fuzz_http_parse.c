/* fuzz_http_parse.c: what the HTTP client reads from a server: header lines (as libcurl hands
 * them over), Link paging, Retry-After, and URL redaction for the logs. Input: header lines
 * separated by "\n". */
#include "fuzz.h"
#include "net/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_response r;
    http_response_init(&r);
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        http_response_add_header_line(&r, p, n);
        p += n;
    }
    struct strbuf out = STRBUF_INIT;
    const char *ra = http_response_header(&r, "Retry-After");
    int64_t ms;
    if (ra)
        http_parse_retry_after(ra, 1767225600, &ms);
    const char *link = http_response_header(&r, "Link");
    if (link)
        http_link_find(link, "next", &out);
    strbuf_free(&out);
    const char *loc = http_response_header(&r, "Location");
    if (loc) {
        struct strbuf red = STRBUF_INIT;
        http_redact_url(loc, &red);
        strbuf_free(&red);
        (void)http_url_transport_ok(loc);
    }
    http_response_free(&r);
    return 0;
}
