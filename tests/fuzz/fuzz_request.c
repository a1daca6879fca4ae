/* fuzz_request.c: the request parser: query strings and urlencoded forms (the same parser),
 * and the Cookie header. Input: one byte choosing the parser, then the text. */
#include "fuzz.h"
#include "web/request.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct kvlist l;
    memset(&l, 0, sizeof l);
    char why[200];
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    if (data[0] & 1) {
        char *h = malloc(n + 1);      /* a header value is NUL-terminated text */
        if (!h)
            return 0;
        memcpy(h, text, n);
        h[n] = 0;
        kv_parse_cookies(&l, h);
        free(h);
    } else if (kv_parse_urlencoded(&l, text, n, why, sizeof why) == 0) {
        for (int i = 0; i < l.n; i++)
            (void)kv_get(&l, l.items[i].key);
    }
    kv_free(&l);
    return 0;
}
