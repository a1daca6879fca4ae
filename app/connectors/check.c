/* check.c: "Test connection" through the right connector. */
#include "connectors/check.h"

#include "connectors/psa.h"
#include "connectors/source.h"

#include <stdio.h>

int conn_check(const struct conn *c, char *summary, size_t n, struct conn_error *err)
{
    const struct psa_connector *p = psa_connector_for(c->system);
    if (p)
        return p->test(c, summary, n, err);
    const struct source_connector *s = source_connector_for(c->system);
    if (s)
        return s->test(c, summary, n, err);
    conn_error_set(err, CONN_CONFIG, 0, "This kind of connection cannot be tested yet.",
                   "Its connector is not part of this billsync version.");
    return -1;
}
