/* params.h: a route's declared parameters (kcgi's validators). Each entry of the page table
 * (routes.c) names the query parameters its page reads, each with a kind (whole number in a
 * range, one of a list, a strict date or month, text of at most N bytes), an optional default
 * and the sentence of the 400 page when a value is not valid. app.c checks them before the
 * page runs; the page reads the checked values with param_str / param_int / param_date.
 *
 * An empty value counts as absent ("page=" is the default page). A parameter that is not
 * declared is not read by anyone. */
#ifndef BILLSYNC_WEB_PARAMS_H
#define BILLSYNC_WEB_PARAMS_H

#include "core/cdate.h"
#include "web/request.h"

#define PARAMS_MAX 16             /* declared parameters of one route */

enum param_kind {
    PARAM_INT,                    /* decimal integer in [lo, hi] */
    PARAM_ENUM,                   /* one of values (NULL-terminated), exactly */
    PARAM_DATE,                   /* exactly YYYY-MM-DD, a real day (cdate_parse_ymd) */
    PARAM_MONTH,                  /* exactly YYYY-MM, a real month (cdate_parse_ym) */
    PARAM_TEXT,                   /* at most hi bytes (the request parser checked it is text) */
};

struct param_def {
    const char *name;
    enum param_kind kind;
    long long lo, hi;
    const char *const *values;
    const char *dflt;             /* the value when absent (NULL: absent stays absent) */
    const char *sentence;         /* the 400 page's sentence */
};

/* Declarations, for the tables in routes.c (a table ends with PARAM_END). */
#define PARAM_INT_(name, lo, hi, dflt, sentence) {name, PARAM_INT, lo, hi, NULL, dflt, sentence}
#define PARAM_ENUM_(name, values, dflt, sentence) {name, PARAM_ENUM, 0, 0, values, dflt, sentence}
#define PARAM_DATE_(name, sentence) {name, PARAM_DATE, 0, 0, NULL, NULL, sentence}
#define PARAM_MONTH_(name, sentence) {name, PARAM_MONTH, 0, 0, NULL, NULL, sentence}
#define PARAM_TEXT_(name, max, sentence) {name, PARAM_TEXT, 0, max, NULL, NULL, sentence}
#define PARAM_END {NULL, PARAM_TEXT, 0, 0, NULL, NULL, NULL}

struct param_val {
    const char *s;                /* the text (the request's or the default), NULL: absent */
    long long i;                  /* PARAM_INT */
    cdate_t d;                    /* PARAM_DATE, PARAM_MONTH (the 1st) */
    int given;                    /* the request named it with a non-empty value */
};

struct params {
    const struct param_def *defs;
    int n;
    struct param_val v[PARAMS_MAX];
};

/* Checks in against defs (NULL: none), in the order declared, into *p. 0, or -1 with *sentence
 * set to the first invalid parameter's sentence. */
int params_check(struct params *p, const struct param_def *defs, const struct kvlist *in,
                 const char **sentence);
/* 0 when the value (a request's or a default) is valid for def, with *v filled. */
int param_parse(const struct param_def *def, const char *s, struct param_val *v);

/* The checked value of a declared parameter: its text ("" when absent), its number (0 when
 * absent), its date (1 and *d set, or 0 when absent), whether the request gave it. */
const char *param_str(const struct params *p, const char *name);
long long param_int(const struct params *p, const char *name);
int param_date(const struct params *p, const char *name, cdate_t *d);
int param_given(const struct params *p, const char *name);

#endif
