/* page_healthz.c: GET /healthz: JSON health with the database's status (for load balancers).
 * Anyone may ask, so the answer is status words only: why the database is down (its error
 * text names the socket path and the server) goes to the web log for the operator. */
#include "web/pages.h"

#include "common/log.h"

#include <jansson.h>
#include <stdlib.h>

void page_healthz(struct web *w)
{
    json_t *o = json_object();
    int up = db_ping(w->db) == 0;
    json_object_set_new(o, "status", json_string(up ? "ok" : "error"));
    json_object_set_new(o, "db", json_string(up ? "up" : "down"));
    if (!up)
        log_warn("healthz: the database is down: %s", db_error(w->db));
    char *s = json_dumps(o, JSON_COMPACT);
    resp_text(&w->resp, up ? 200 : 503, "application/json", s ? s : "{}");
    free(s);
    json_decref(o);
}
