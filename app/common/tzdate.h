/* tzdate.h: today's civil date in a tenant's time zone (IANA name, from the system tzdata). */
#ifndef BILLSYNC_COMMON_TZDATE_H
#define BILLSYNC_COMMON_TZDATE_H

#include "core/cdate.h"

#include <time.h>

/* The civil date of instant t in zone (NULL or unknown → UTC). */
cdate_t tz_date(const char *zone, time_t t);

/* 1 when zone names a time zone of the system tzdata ("Europe/London", "UTC"), else 0:
 * letters, digits and "_+-/" only, no "..", and a TZif file under TZ_DIR. */
int tz_valid(const char *zone);

#endif
