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
/* 0: no such kind; 1: a kind that needs no tenant; 2: a kind that runs for one tenant. */
int handlers_kind(const char *kind);
/* The i-th kind's name (NULL past the last): for listing them. */
const char *handlers_kind_at(size_t i);

#endif
