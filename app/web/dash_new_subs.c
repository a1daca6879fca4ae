/* dash_new_subs.c: the dashboard's "New since last sync" card: the subscriptions distributor
 * pulls found new since the start of the last completed sync, still unlinked
 * (db/new_subs.h says which), how many, their monthly value at cost per currency
 * (core/new_subs.h cost_monthly, summed exactly), and the first DASH_NEW_LISTED of them, each
 * with a Map link to its company on the Billing page. The card links to the unlinked report
 * filtered to them (/reports/unlinked?new=1), whose value total is the card's. */
#include "web/dash_new_subs.h"

#include "core/money.h"
#include "db/new_subs.h"
#include "web/pages.h"
#include "web/reports.h"

#include <stdio.h>
#include <string.h>

#define DASH_NEW_LISTED 10
#define DASH_NEW_CURRENCIES 8

struct card {
    struct web *w;
    int n, listed, overflow;
    int ncur;
    char cur[DASH_NEW_CURRENCIES][4];
    money_t sum[DASH_NEW_CURRENCIES];
};

static void money_pair(struct web *w, money_t v, const char *prefix, int i)
{
    char shown[MONEY_FMT_MAX], exact[MONEY_FMT_MAX];
    report_money(v, shown, sizeof shown);
    if (money_format(v, exact, sizeof exact, MONEY_DECIMALS) < 0)
        snprintf(exact, sizeof exact, "?");
    hsetf(w, shown, "%s.%d.text", prefix, i);
    hsetf(w, exact, "%s.%d.value", prefix, i);
}

static int add(void *ctx, const struct new_sub *s)
{
    struct card *c = ctx;
    c->n++;
    if (!s->ok) {
        c->overflow = 1;
    } else if (s->currency[0]) {
        int k = 0;
        while (k < c->ncur && strcmp(c->cur[k], s->currency))
            k++;
        if (k == c->ncur && c->ncur < DASH_NEW_CURRENCIES) {
            snprintf(c->cur[k], sizeof c->cur[k], "%.3s", s->currency);
            c->sum[k] = 0;
            c->ncur++;
        }
        if (k == DASH_NEW_CURRENCIES || money_add(c->sum[k], s->value, &c->sum[k]) < 0)
            c->overflow = 1;
    }
    if (c->listed >= DASH_NEW_LISTED)
        return 0;
    int i = c->listed++;
    const struct new_sub_row *r = s->row;
    struct web *w = c->w;
    hsetf(w, r->company, "NewSubs.Items.%d.company", i);
    hsetf(w, r->subscription, "NewSubs.Items.%d.subscription", i);
    hsetf(w, r->source, "NewSubs.Items.%d.source", i);
    hsetf(w, r->found, "NewSubs.Items.%d.found", i);
    hsetf(w, r->source_id, "NewSubs.Items.%d.source_id", i);
    char id[24];
    snprintf(id, sizeof id, "%lld", r->company_id);
    hsetf(w, id, "NewSubs.Items.%d.company_id", i);
    hsetf(w, s->currency, "NewSubs.Items.%d.currency", i);
    if (s->ok && s->currency[0]) {
        money_pair(w, s->value, "NewSubs.Items", i);
    }
    return 0;
}

int dash_new_subs(struct web *w)
{
    struct new_sub_list l;
    if (new_subs_since_sync(w->db, w->sess->tenant_id, &l) < 0)
        return -1;
    struct card c;
    memset(&c, 0, sizeof c);
    c.w = w;
    new_subs_each(&l, add, &c);
    hset_int(w, "NewSubs.n", c.n);
    hset_int(w, "NewSubs.more", c.n - c.listed);
    if (l.n >= NEW_SUBS_MAX_ROWS)
        hset(w, "NewSubs.at_least", "1");
    if (c.overflow)
        hset(w, "NewSubs.overflow", "1");
    for (int k = 0; k < c.ncur; k++) {
        hsetf(w, c.cur[k], "NewSubs.Totals.%d.currency", k);
        money_pair(w, c.sum[k], "NewSubs.Totals", k);
    }
    DB_LIST_FREE(&l);
    return 0;
}
