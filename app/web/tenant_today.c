/* tenant_today.c: the tenant's "today" for pages that plan dated changes (see web.h). */
#include "web/web.h"

#include "common/tzdate.h"
#include "db/accounts.h"

#include <time.h>

cdate_t utc_today(void)
{
    cdate_t d;
    if (cdate_from_unix_utc((int64_t)time(NULL), 0, &d) < 0)
        d = cdate_make(1970, 1, 1);
    return d;
}

cdate_t web_today(struct web *w)
{
    char zone[64];
    tenant_time_zone(w->db, w->sess->tenant_id, zone, sizeof zone);
    return tz_date(zone, time(NULL));
}
