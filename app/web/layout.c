/* layout.c: the layout's values (see layout.h). */
#include "web/layout.h"

#include "web/auth.h"
#include "web/routes.h"
#include "web/session.h"

#include <stdlib.h>

void web_layout(struct web *w)
{
    if (!w->sess)
        return;
    hset(w, "User.email", w->sess->email);
    hset(w, "User.role", role_name(w->sess->role));
    hset(w, "Tenant.name", w->sess->tenant_name);
    hset(w, "CSRF", w->sess->csrf);
    routes_nav(w);
    char *flash = session_take_flash(w);
    if (flash)
        hset(w, "Flash", flash);
    free(flash);
}
