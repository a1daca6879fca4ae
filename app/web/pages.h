/* pages.h: one handler per page; each lives in its own page_*.c file. */
#ifndef BILLSYNC_WEB_PAGES_H
#define BILLSYNC_WEB_PAGES_H

#include "web/web.h"

void page_healthz(struct web *w);
void page_dashboard(struct web *w);

#endif
