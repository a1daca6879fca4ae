/* page_dashboard.c: GET /: the home page. */
#include "web/pages.h"

void page_dashboard(struct web *w)
{
    hset(w, "Page.title", "Dashboard");
    web_render(w, "dashboard.cs");
}
