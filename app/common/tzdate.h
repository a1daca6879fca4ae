/* tzdate.h: today's civil date in a tenant's time zone (IANA name, from the system tzdata). */
#ifndef BILLSYNC_COMMON_TZDATE_H
#define BILLSYNC_COMMON_TZDATE_H

#include "core/cdate.h"

#include <time.h>

/* The civil date of instant t in zone (NULL or unknown → UTC). */
cdate_t tz_date(const char *zone, time_t t);

#endif
