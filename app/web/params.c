/* params.c: a route's declared parameters, checked before its page runs (see params.h). */
#include "web/params.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int param_parse(const struct param_def *def, const char *s, struct param_val *v)
{
    struct param_val out = {.s = s};
    switch (def->kind) {
    case PARAM_INT: {
        char *end;
        errno = 0;
        out.i = strtoll(s, &end, 10);
        if (errno || end == s || *end || out.i < def->lo || out.i > def->hi)
            return -1;
        break;
    }
    case PARAM_ENUM: {
        size_t k = 0;
        while (def->values && def->values[k] && strcmp(def->values[k], s))
            k++;
        if (!def->values || !def->values[k])
            return -1;
        break;
    }
    case PARAM_DATE:
        if (cdate_parse_ymd(s, &out.d) < 0)
            return -1;
        break;
    case PARAM_MONTH:
        if (cdate_parse_ym(s, &out.d) < 0)
            return -1;
        break;
    case PARAM_TEXT:
        if (strlen(s) > (size_t)def->hi)
            return -1;
        break;
    }
    *v = out;
    return 0;
}

int params_check(struct params *p, const struct param_def *defs, const struct kvlist *in,
                 const char **sentence)
{
    memset(p, 0, sizeof *p);
    p->defs = defs;
    for (int i = 0; defs && defs[i].name; i++) {
        const struct param_def *d = &defs[i];
        if (i == PARAMS_MAX) {
            *sentence = "This page declares too many parameters.";
            return -1;
        }
        p->n = i + 1;
        const char *s = kv_get(in, d->name);
        int given = s && *s;
        if (!given)
            s = d->dflt;
        if (!s)
            continue;
        if (param_parse(d, s, &p->v[i]) < 0) {
            *sentence = d->sentence;
            return -1;
        }
        p->v[i].given = given;
    }
    return 0;
}

static const struct param_val *find(const struct params *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->defs[i].name, name))
            return &p->v[i];
    return NULL;
}

const char *param_str(const struct params *p, const char *name)
{
    const struct param_val *v = find(p, name);
    return v && v->s ? v->s : "";
}

long long param_int(const struct params *p, const char *name)
{
    const struct param_val *v = find(p, name);
    return v && v->s ? v->i : 0;
}

int param_date(const struct params *p, const char *name, cdate_t *d)
{
    const struct param_val *v = find(p, name);
    if (!v || !v->s)
        return 0;
    *d = v->d;
    return 1;
}

int param_given(const struct params *p, const char *name)
{
    const struct param_val *v = find(p, name);
    return v && v->given;
}
