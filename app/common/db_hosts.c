/* db_hosts.c: parses db.host's list of servers (db_hosts.h). */
#include "common/db_hosts.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* One "name[:port]" entry of [s, e), spaces around it ignored. An IPv6 literal goes in
 * brackets ("[::1]:3306"). */
static int parse_one(const char *s, const char *e, int default_port, struct db_host *h)
{
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    if (s == e)
        return -1;
    const char *name = s, *name_end = e, *colon = NULL;
    if (*s == '[') {
        const char *close = memchr(s, ']', (size_t)(e - s));
        if (!close || close == s + 1)
            return -1;
        name = s + 1;
        name_end = close;
        if (close + 1 < e) {
            if (close[1] != ':')
                return -1;
            colon = close + 1;
        }
    } else {
        colon = memchr(s, ':', (size_t)(e - s));
        if (colon)
            name_end = colon;
    }
    size_t n = (size_t)(name_end - name);
    if (n == 0 || n >= sizeof h->name)
        return -1;
    memcpy(h->name, name, n);
    h->name[n] = 0;
    h->port = default_port;
    if (colon) {
        const char *p = colon + 1;
        if (p >= e)
            return -1;
        long v = 0;
        for (; p < e; p++) {
            if (!isdigit((unsigned char)*p))
                return -1;
            v = v * 10 + (*p - '0');
            if (v > 65535)
                return -1;
        }
        h->port = (int)v;
    }
    return h->port >= 1 && h->port <= 65535 ? 0 : -1;
}

int db_hosts_parse(const char *list, int default_port, struct db_host *out, int max)
{
    if (!list)
        return -1;
    int n = 0;
    const char *s = list;
    for (;;) {
        const char *comma = strchr(s, ',');
        const char *e = comma ? comma : s + strlen(s);
        if (n >= max || parse_one(s, e, default_port, &out[n]) < 0)
            return -1;
        n++;
        if (!comma)
            return n;
        s = comma + 1;
    }
}
