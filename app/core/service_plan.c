/* service_plan.c: planning one PSA contract service (see service_plan.h). */
#include "core/service_plan.h"

int service_desired(const qty_t *quantities, const int *gone, int n, qty_t *sum)
{
    qty_t total = 0;
    for (int i = 0; i < n; i++) {
        if (gone && gone[i])
            continue;
        if (quantities[i] < 0 || qty_add(total, quantities[i], &total) != 0)
            return -1;
    }
    *sum = total;
    return 0;
}

cdate_t service_read_on(const struct service_state *s)
{
    if (s->nposts > 0 && cdate_cmp(s->posts[0].effective, s->today) > 0)
        return s->posts[0].effective;
    return s->today;
}

int service_read_needed(const struct service_known *k, qty_t desired, cdate_t today, long long drift_check_s)
{
    if (k->open_change || !k->cached || drift_check_s <= 0 || k->cached_age_s >= drift_check_s)
        return 1;
    cdate_t last;
    if (cdate_last_of_month(today, &last) == 0 && cdate_cmp(today, last) == 0 && cdate_cmp(k->cached_on, today) < 0)
        return 1;
    if (k->has_last_post && cdate_cmp(k->last_post_effective, today) > 0)
        return k->last_post_desired != desired;
    return k->cached_units != desired;
}

int service_plan(const struct service_state *s, qty_t psa_units, struct planner_input *in,
                 struct planner_output *out)
{
    if (s == NULL || in == NULL || s->nposts < 0 || s->nposts > SERVICE_POSTS_MAX ||
        (s->nposts > 0 && s->posts == NULL) || s->nalso_busy < 0 || s->nalso_busy > SERVICE_POSTS_MAX ||
        (s->nalso_busy > 0 && s->also_busy == NULL))
        return -1;
    cdate_t busy[2 * SERVICE_POSTS_MAX];
    int nbusy = 0;
    for (int i = 0; s->one_change_per_day && i < s->nposts; i++)
        if (cdate_cmp(s->posts[i].effective, s->today) >= 0)
            busy[nbusy++] = s->posts[i].effective;
    for (int i = 0; s->one_change_per_day && i < s->nalso_busy; i++)
        if (cdate_cmp(s->also_busy[i], s->today) >= 0)
            busy[nbusy++] = s->also_busy[i];
    in->desired = s->desired;
    in->psa_units = psa_units;
    in->has_last_posted = s->nposts > 0;
    in->last_posted = s->nposts > 0 ? s->posts[0].desired : 0;
    in->change_date = s->today;
    in->busy = nbusy ? busy : NULL;
    in->nbusy = nbusy;
    int rc = planner_plan(in, out);
    in->busy = NULL; /* busy lives on this stack frame */
    in->nbusy = 0;
    return rc;
}
