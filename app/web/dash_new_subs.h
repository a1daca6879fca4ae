/* dash_new_subs.h: the dashboard's "New since last sync" card (doc/dashboard.md). */
#ifndef BILLSYNC_WEB_DASH_NEW_SUBS_H
#define BILLSYNC_WEB_DASH_NEW_SUBS_H

#include "web/web.h"

/* NewSubs.* for templates/dashboard_new_subs.cs; -1 on a database error. */
int dash_new_subs(struct web *w);

#endif
