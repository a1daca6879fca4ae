/* detail.c: the fields and attempts of the detail pages (see detail.h). */
#include "web/detail.h"

#include "common/log.h"
#include "core/money.h"
#include "web/reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void field(struct detail_fields *f, const char *key, const char *label, const char *value, const char *cls)
{
    hsetf(f->w, key, "Fields.%d.key", f->n);
    hsetf(f->w, label, "Fields.%d.label", f->n);
    hsetf(f->w, value && *value ? value : "\xE2\x80\x94", "Fields.%d.value", f->n);
    if (cls)
        hsetf(f->w, cls, "Fields.%d.cls", f->n);
    f->n++;
}

void detail_text(struct detail_fields *f, const char *key, const char *label, const char *value)
{
    field(f, key, label, value, NULL);
}

void detail_opt(struct detail_fields *f, const char *key, const char *label, const char *value)
{
    if (value && *value)
        field(f, key, label, value, NULL);
}

void detail_qty(struct detail_fields *f, const char *key, const char *label, const char *value, int sign)
{
    char buf[MONEY_FMT_MAX + 1] = "";
    const char *cls = NULL;
    if (value && *value) {
        qty_t q = strtoll(value, NULL, 10);
        char t[MONEY_FMT_MAX];
        if (qty_format(q, t, sizeof t) < 0)
            snprintf(buf, sizeof buf, "?");
        else
            snprintf(buf, sizeof buf, "%s%s", sign && q > 0 ? "+" : "", t);
        if (sign)
            cls = q > 0 ? "diff-up" : q < 0 ? "diff-down" : NULL;
    }
    field(f, key, label, buf, cls);
}

void detail_money(struct detail_fields *f, const char *key, const char *label, const char *value)
{
    char buf[MONEY_FMT_MAX] = "";
    if (value && *value)
        report_money(strtoll(value, NULL, 10), buf, sizeof buf);
    field(f, key, label, buf, NULL);
}

void detail_attempts(struct web *w, const struct attempt_list *t, const char *const (*labels)[2], size_t nlabels)
{
    for (int i = 0; i < t->n; i++) {
        const struct attempt_row *a = &t->v[i];
        const char *outcome = a->outcome;
        const char *label = outcome;
        for (size_t k = 0; k < nlabels; k++)
            if (!strcmp(outcome, labels[k][0]))
                label = labels[k][1];
        char n[16];
        snprintf(n, sizeof n, "%d", i + 1);
        hsetf(w, n, "Attempts.%d.n", i);
        hsetf(w, a->at, "Attempts.%d.at", i);
        hsetf(w, outcome, "Attempts.%d.outcome", i);
        hsetf(w, label, "Attempts.%d.label", i);
        hsetf(w, a->summary, "Attempts.%d.summary", i);
        hsetf(w, a->response, "Attempts.%d.response", i);
        hsetf(w, a->error, "Attempts.%d.error", i);
    }
    hset_int(w, "AttemptCount", t->n);
}

int detail_begin(struct web *w, const char *noun, const char *title, long long id, int found, int listed,
                 struct dbrows *row, const char *missing)
{
    char msg[160];
    if (found < 0 || (found == 1 && listed < 0)) {
        log_error("%s %lld: %s", noun, id, db_error(w->db));
        if (found == 1)
            dbrows_free(row);
        snprintf(msg, sizeof msg, "The %s could not be read. Try again in a minute.", noun);
        web_error(w, 503, msg);
        return 0;
    }
    if (found == 0) {
        dbrows_free(row);
        web_error(w, 404, missing);
        return 0;
    }
    snprintf(msg, sizeof msg, "%s %lld", title, id);
    hset(w, "Page.title", msg);
    hset(w, "Detail.title", msg);
    return 1;
}
