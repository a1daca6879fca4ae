/* handlers.h: job kinds → the functions that run them. */
#ifndef BILLSYNC_WORKER_HANDLERS_H
#define BILLSYNC_WORKER_HANDLERS_H

#include "db/jobs.h"

#include <stddef.h>

struct config;

struct job_env {
    const struct config *cfg;
    db_t *db;
    int lease_seconds;
};

/* Runs the job; 0 = done, -1 = failed (err says why; the job is retried with back-off). */
typedef int (*job_fn)(struct job_env *env, struct job *job, char *err, size_t errlen);

job_fn handlers_find(const char *kind);

#endif
