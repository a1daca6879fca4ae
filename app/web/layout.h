/* layout.h: the values every page's layout shows, set just before a page is drawn. */
#ifndef BILLSYNC_WEB_LAYOUT_H
#define BILLSYNC_WEB_LAYOUT_H

#include "web/web.h"

/* Who is signed in (User.email, User.role, Tenant.name), the CSRF token, the navigation for
 * the user's role (routes_nav) and the session's flash message, taken once. Nothing when
 * signed out. render.c calls it through w->layout, so the renderer sits below the page
 * table and the sessions. */
void web_layout(struct web *w);

#endif
