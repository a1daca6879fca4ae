/* tzdate.c: civil dates in a tenant's time zone. Processes are single-threaded (prefork), so
 * switching TZ around one localtime_r call is safe here. */
#include "common/tzdate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TZ_DIR "/usr/share/zoneinfo/"

int tz_valid(const char *zone)
{
    size_t n = zone ? strlen(zone) : 0;
    if (n == 0 || n > 63 || zone[0] == '/' || strstr(zone, ".."))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)zone[i]) && !strchr("_+-/", zone[i]))
            return 0;
    char path[sizeof TZ_DIR + 64], magic[4];
    snprintf(path, sizeof path, TZ_DIR "%s", zone);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    int ok = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "TZif", 4);
    fclose(f);
    return ok;
}

cdate_t tz_date(const char *zone, time_t t)
{
    int ignored;
    return tz_date_time(zone, t, &ignored);
}

cdate_t tz_date_time(const char *zone, time_t t, int *sec_of_day)
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
    *sec_of_day = tm.tm_hour * 3600 + tm.tm_min * 60 + (tm.tm_sec > 59 ? 59 : tm.tm_sec);
    return cdate_make(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}
