/* urlenc.c: the one percent-encoder of the connectors' URLs (see urlenc.h). */
#include "net/urlenc.h"

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

int url_escape(struct strbuf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        int rc = unreserved(*p) ? strbuf_append_char(out, (char)*p)
                                : strbuf_appendf(out, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
        if (rc < 0)
            return -1;
    }
    return 0;
}
