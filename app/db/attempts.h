/* attempts.h: one attempt of an adjustment (av_attempts, db/adjust_view.h) or of a charge
 * (charges_attempts, db/charges.h), as the detail pages list them. Both queries select these
 * columns in this order: time ("YYYY-MM-DD HH:MM:SS UTC"), outcome, request summary,
 * response, error ("" when none). */
#ifndef BILLSYNC_DB_ATTEMPTS_H
#define BILLSYNC_DB_ATTEMPTS_H

#include "db/db.h"

struct attempt_row {
    const char *at, *outcome, *summary, *response, *error;
};
DB_LIST(attempt_list, struct attempt_row);

static inline void attempt_fill(const struct dbrows *r, int i, void *p)
{
    struct attempt_row *a = p;
    a->at = dbrows_get(r, i, 0);
    a->outcome = dbrows_get(r, i, 1);
    a->summary = dbrows_get(r, i, 2);
    a->response = dbrows_get(r, i, 3);
    a->error = dbrows_get(r, i, 4);
}

#endif
