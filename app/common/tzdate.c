/* tzdate.c: civil dates in a tenant's time zone. Processes are single-threaded (prefork), so
 * switching TZ around one localtime_r call is safe here. */
#include "common/tzdate.h"

#include <stdlib.h>
#include <string.h>

cdate_t tz_date(const char *zone, time_t t)
{
    char saved[128] = "";
    const char *old = getenv("TZ");
    int had = old != NULL;
    if (had)
        strncpy(saved, old, sizeof saved - 1);
    setenv("TZ", zone && *zone ? zone : "UTC", 1);
    tzset();
    struct tm tm;
    localtime_r(&t, &tm);
    if (had)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    return cdate_make(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}
