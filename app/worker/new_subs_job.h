/* new_subs_job.h: the "unlinked_alert" job: the new-unlinked digest mail (doc/dashboard.md
 * "New since last sync"; db/new_subs.h). */
#ifndef BILLSYNC_WORKER_NEW_SUBS_JOB_H
#define BILLSYNC_WORKER_NEW_SUBS_JOB_H

#include "worker/handlers.h"

/* By the tenant's setting: "at_once" mails every new unlinked subscription not yet mailed;
 * "daily" does so once a tenant-local day, from 07:00 (core/new_subs.h), when one of them was
 * found before that day's 07:00; "off" mails nothing. Then sets when the scheduler looks again. */
int job_unlinked_alert(struct job_env *env, struct job *job, char *err, size_t errlen);
/* The scheduler's part (worker/main.c): queues the job for the tenants whose look is due. */
int unlinked_alert_enqueue_due(db_t *db);

#endif
