/* review_jobs.h: the monthly billing review's worker side: "pull_charges" reads a month's
 * billing lines from each of the tenant's API source connections into src_charges;
 * "review_charges" creates the one-time charges of the annual and usage lines when a review
 * is applied. */
#ifndef BILLSYNC_WORKER_REVIEW_JOBS_H
#define BILLSYNC_WORKER_REVIEW_JOBS_H

#include "worker/handlers.h"

/* Payload {"month":"YYYY-MM"}; progress and counts go to billing_reviews.pull_*. */
int job_pull_charges(struct job_env *env, struct job *job, char *err, size_t errlen);

/* Payload {"month":"YYYY-MM"}: the tenant's due annual charges and that month's usage charges
 * (worker/charges.c, keyed: what the PSA has already is not created again). */
int job_review_charges(struct job_env *env, struct job *job, char *err, size_t errlen);

#endif
