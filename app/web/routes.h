/* routes.h: the page table: path → handler, with login, role and POST flags. */
#ifndef BILLSYNC_WEB_ROUTES_H
#define BILLSYNC_WEB_ROUTES_H

#include "web/params.h"
#include "web/web.h"

enum route_flags {
    R_PUBLIC = 1 << 0,            /* no sign-in needed */
    R_POST = 1 << 1,              /* accepts POST (which must carry the CSRF token) */
    R_PREFIX = 1 << 2,            /* path is a prefix: /review/ matches /review/2026-11 */
    R_NO_MFA = 1 << 3,            /* reachable before the second factor is given */
    R_UPLOAD = 1 << 4,            /* multipart body streamed by the page; it checks CSRF itself */
    R_FORM_PARAMS = 1 << 5,       /* on a POST, params are read from the form (filters ride along) */
};

typedef void (*page_fn)(struct web *w);

struct route {
    const char *path;
    page_fn fn;
    unsigned flags;
    enum role min_role;
    const char *nav;              /* label in the navigation, or NULL */
    /* The query parameters the page reads (web/params.h), checked before it runs: a value
     * that is not valid is a 400 page with the parameter's sentence. NULL: none. */
    const struct param_def *params;
};

const struct route *routes_find(const char *path);
/* Fills Nav.N.{href,label,active} for the signed-in user's role. */
void routes_nav(struct web *w);

#endif
