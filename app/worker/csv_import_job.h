/* csv_import_job.h: the "csv_import" job: a checked, stored upload imported into the snapshot. */
#ifndef BILLSYNC_WORKER_CSV_IMPORT_JOB_H
#define BILLSYNC_WORKER_CSV_IMPORT_JOB_H

#include "worker/handlers.h"

int job_csv_import(struct job_env *env, struct job *job, char *err, size_t errlen);

#endif
