/* review_jobs.h: the monthly billing review's worker side: "pull_charges" reads a month's
 * billing lines from each of the tenant's API source connections into src_charges. */
#ifndef BILLSYNC_WORKER_REVIEW_JOBS_H
#define BILLSYNC_WORKER_REVIEW_JOBS_H

#include "worker/handlers.h"

/* Payload {"month":"YYYY-MM"}; progress and counts go to billing_reviews.pull_*. */
int job_pull_charges(struct job_env *env, struct job *job, char *err, size_t errlen);

#endif
