/* tzdate.h: today's civil date in a tenant's time zone (IANA name, from the system tzdata). */
#ifndef BILLSYNC_COMMON_TZDATE_H
#define BILLSYNC_COMMON_TZDATE_H

#include "core/cdate.h"

#include <time.h>

/* The civil date of instant t in zone (NULL or unknown → UTC). */
cdate_t tz_date(const char *zone, time_t t);

/* The same, with the local time of day: *sec_of_day seconds since local midnight (0..86399). */
cdate_t tz_date_time(const char *zone, time_t t, int *sec_of_day);
/* 1 when zone names a time zone of the system tzdata ("Europe/London", "UTC"), else 0:
 * letters, digits and "_+-/" only, no "..", and a TZif file under TZ_DIR. */
int tz_valid(const char *zone);

#endif
