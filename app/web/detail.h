/* detail.h: what the detail pages of one adjustment and one charge share (page_*_detail.c):
 * a list of labelled fields (Fields.N.key, .label, .value, .cls) and the attempts table
 * (Attempts.N.n, .at, .outcome, .label, .summary, .response, .error), rendered by
 * templates/detail_common.cs. Values go to the template as text; the template escapes them. */
#ifndef BILLSYNC_WEB_DETAIL_H
#define BILLSYNC_WEB_DETAIL_H

#include "db/attempts.h"
#include "web/web.h"

struct detail_fields {
    struct web *w;
    int n;
};

/* After reading one item for its page (found: 1, 0 none of this tenant's, -1 error; listed: the
 * attempts' read, 0 or -1): 1 and the page's title ("Adjustment 42") set, or 0 with the error
 * page answered (503 on a database error, 404 with `missing` when there is no such item) and
 * row freed. noun: "adjustment", title: "Adjustment". */
int detail_begin(struct web *w, const char *noun, const char *title, long long id, int found, int listed,
                 struct dbrows *row, const char *missing);
/* A field; an empty or NULL value shows as "—". */
void detail_text(struct detail_fields *f, const char *key, const char *label, const char *value);
/* A field shown only when it has a value. */
void detail_opt(struct detail_fields *f, const char *key, const char *label, const char *value);
/* A quantity (1/1000 as stored), with a sign ("+3", "-2") when sign is set. */
void detail_qty(struct detail_fields *f, const char *key, const char *label, const char *value, int sign);
/* Money (1/10000 as stored): two decimals when exact, else four. */
void detail_money(struct detail_fields *f, const char *key, const char *label, const char *value);

/* The attempts, oldest first; labels maps an outcome to what people read ({"nothing_to_do",
 * "nothing to do: ..."}). */
void detail_attempts(struct web *w, const struct attempt_list *t, const char *const (*labels)[2], size_t nlabels);

#endif
