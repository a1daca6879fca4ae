/* handlers.c: job kinds → the functions that run them. */
#include "worker/handlers.h"

#include "common/log.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* "selftest": proves the queue end to end (tests, and `billsync` operators checking a new
 * host). Payload {"sleep_ms": N, "fail": true|false}. */
static int job_selftest(struct job_env *env, struct job *job, char *err, size_t errlen)
{
    (void)env;
    json_error_t jerr;
    json_t *p = job->payload ? json_loads(job->payload, 0, &jerr) : NULL;
    long long sleep_ms = p ? json_integer_value(json_object_get(p, "sleep_ms")) : 0;
    int fail = p ? json_is_true(json_object_get(p, "fail")) : 0;
    json_decref(p);
    if (sleep_ms > 0 && sleep_ms < 600000) {
        struct timespec ts = {(time_t)(sleep_ms / 1000), (long)(sleep_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0) {
        }
    }
    if (fail) {
        snprintf(err, errlen, "selftest asked to fail");
        return -1;
    }
    return 0;
}

static const struct {
    const char *kind;
    job_fn fn;
} table[] = {
    {"selftest", job_selftest},
};

job_fn handlers_find(const char *kind)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].kind, kind) == 0)
            return table[i].fn;
    return NULL;
}
