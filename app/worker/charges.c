/* charges.c: one-time charges in the PSA and the failure alert digest (see charges.h).
 * Money comes from the distributor's billing lines, never from quantity × list price; a
 * charge is keyed (kind, source, subscription or resource, period) so it is created once:
 * locally by charges_posted's UNIQUE key, and in the PSA by the key written into the charge,
 * which find_charge looks for before creating (a lost answer is found, not repeated). Every
 * attempt is kept in the charge's trail (charge_attempts, shown on /reports/charges/<id>); a
 * failed charge is a failure like a failed adjustment (the failure log, the alert mail). */
#include "worker/charges.h"

#include "common/config.h"
#include "common/log.h"
#include "common/mail.h"
#include "common/tzdate.h"
#include "core/money.h"
#include "db/accounts.h"
#include "db/charges.h"
#include "db/ledger.h"
#include "db/invoice_text.h"
#include "db/outbox.h"
#include "common/secret_key.h"
#include "worker/invoice_text.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Creates the charge unless the PSA has it already: 0 ok (id set; *found says the PSA had
 * it, under its key, from an attempt whose answer was lost), -1 err. */
static int ensure_charge(const struct psa_connector *p, const struct conn *c, const struct psa_charge *ch,
                         char id[PSA_ID], int *found, struct conn_error *ce)
{
    *found = p->find_charge(c, ch->contract_id, ch->key, id, ce);
    if (*found == 1)
        return 0;
    if (*found < 0)
        return -1;
    return p->create_charge(c, ch, id, ce);
}

/* One attempt at a charge, posted and recorded with its trail (charge_attempts): what was
 * asked, what the PSA answered. 0 posted (or found), 1 failed. */
static int post_one(struct job_env *env, long long t, const struct psa_connector *p, const struct conn *c,
                    const char *why, const struct psa_charge *ch, struct charge_rec *rec, const char *refused)
{
    char id[PSA_ID] = "", err[900] = "", summary[1000], response[300] = "", q[32], price[32], day[11];
    int found = 0;
    struct conn_error ce;
    memset(&ce, 0, sizeof ce);
    qty_format(ch->quantity, q, sizeof q);
    if (money_format(ch->unit_price, price, sizeof price, ch->unit_price % 100 == 0 ? 2 : 4) < 0)
        snprintf(price, sizeof price, "?");
    cdate_format(ch->date, day, sizeof day);
    snprintf(summary, sizeof summary, "find or create charge \"%s\" on contract %s%s%s: %s \xC3\x97 %s dated %s (key %s)",
             ch->name, ch->contract_id, ch->service_id && *ch->service_id ? ", service " : "",
             ch->service_id ? ch->service_id : "", q, price, day, ch->key);
    if (refused && *refused)
        snprintf(err, sizeof err, "%s", refused);
    else if (!p)
        snprintf(err, sizeof err, "%s", why);
    else if (ensure_charge(p, c, ch, id, &found, &ce) < 0)
        snprintf(err, sizeof err, "%s%s%s", ce.message, ce.hint[0] ? " \xE2\x80\x94 " : "", ce.hint);
    else if (found == 1)
        snprintf(response, sizeof response, "the PSA already has this charge (id %s): not created again", id);
    else
        snprintf(response, sizeof response, "created charge %s", id);
    rec->charge_id = id;
    charges_record(env->db, t, rec, found == 1 ? "found" : "created", summary, response, err[0] ? err : NULL);
    rec->charge_id = NULL;
    if (err[0]) {
        log_warn("%s charge %s: %s", rec->kind, ch->key, err);
        return 1;
    }
    return 0;
}

/* The distributor's money in another currency than the tenant's (its PSA's): billsync converts
 * nothing, so the charge is refused with the reason (a person bills it by hand, or fixes the
 * tenant's currency); "" when they agree. */
static void currency_check(const char *line, const char *tenant, char *out, size_t n)
{
    out[0] = '\0';
    if (line && tenant && *line && strcmp(line, tenant))
        snprintf(out, n, "the distributor billed this in %s but the PSA bills in %s: billsync does not convert "
                         "currencies, so it is not charged (bill it by hand, or correct the currency in Settings)",
                 line, tenant);
}

static cdate_t not_before(cdate_t d, const char *billing_start)
{
    cdate_t b;
    if (billing_start && *billing_start && cdate_parse(billing_start, &b) == 0 && cdate_cmp(d, b) < 0)
        return b;
    return d;
}

int charges_post_annual(struct job_env *env, long long t, struct psa_pool *pool, int *posted, int *failed)
{
    struct annual_due_list r;
    if (charges_annual_due(env->db, t, &r) < 0)
        return -1;
    for (int i = 0; i < r.n; i++) {
        const struct annual_due *a = &r.v[i];
        /* One charge per subscription, term and seats (db/charges.c says why). */
        char key[191];
        snprintf(key, sizeof key, "annual:%lld:%s:%s:%s:q%lld", a->src_conn, a->sub_src, a->period_start,
                 a->period_end, a->qty);
        if (charges_done(env->db, t, key) == 1)
            continue;                     /* the same charge from another line of this run */
        const struct conn *c;
        const char *why;
        long long psa_conn = a->psa_conn;
        const struct psa_connector *p = psa_pool_get(pool, env, t, psa_conn, &c, &why);
        qty_t qty = a->qty;
        money_t ext_cost = a->ext_cost, ext_price = a->ext_price;
        money_t unit_price = a->unit_price, unit_cost = a->unit_cost;
        /* Per-unit amounts from the line's own totals: a mid-term seat add is already prorated
         * to the term end by the distributor. The sell price is scaled the same way. */
        money_t charge_cost = unit_cost, charge_price = unit_price;
        if (qty > 0 && ext_cost)
            money_div_qty(ext_cost, qty, &charge_cost);
        if (qty > 0 && ext_price)
            money_div_qty(ext_price, qty, &charge_price);
        else if (unit_cost && charge_cost != unit_cost)
            money_mul_div(unit_price, charge_cost, unit_cost, &charge_price);
        if (!charge_price)
            charge_price = charge_cost;
        cdate_t start;
        cdate_parse(a->period_start, &start);
        cdate_t date = not_before(start, a->billing_start);
        char name[300], date_s[11], period[32], seats[32], product[PSA_ID] = "", pname[256] = "";
        snprintf(name, sizeof name, "%s (%s to %s)", a->description, a->period_start, a->period_end);
        snprintf(period, sizeof period, "%s to %s", a->period_start, a->period_end);
        qty_format(qty, seats, sizeof seats);
        cdate_format(date, date_s, sizeof date_s);
        /* A PSA whose one-time lines name a product (a ConnectWise addition) takes the catalog
         * item of the distributor's SKU or product name (doc/invoice-text.md). */
        if (p && p->charge_needs_product &&
            invoice_product_for(env->db, t, psa_conn, a->sku, a->description, product, sizeof product, pname,
                                sizeof pname) < 0)
            product[0] = '\0';
        char itext[INVOICE_TEXT_BYTES];
        struct invoice_line il = {p ? p->system : "", psa_conn, a->contract, product, a->description,
                                  a->subscription_name, period, seats, INVOICE_DEFAULT_ANNUAL};
        invoice_text_for(env->db, t, &il, itext, sizeof itext);
        /* the invoice shows itext; the internal description keeps billsync's name and key */
        struct psa_charge ch = {a->contract, product, itext, name, key, date, qty, charge_price, charge_cost};
        struct charge_rec rec = {.kind = "annual", .key = key, .src_conn = a->src_conn,
                                 .src_subscription = a->sub_src, .psa_conn = psa_conn,
                                 .contract = ch.contract_id, .description = name, .date = date_s, .qty = qty,
                                 .unit_price = charge_price, .unit_cost = charge_cost};
        char refused[300];
        currency_check(a->currency, a->tenant_currency, refused, sizeof refused);
        if (post_one(env, t, p, c, why, &ch, &rec, refused))
            (*failed)++;
        else
            (*posted)++;
    }
    DB_LIST_FREE(&r);
    return 0;
}

int charges_post_usage(struct job_env *env, long long t, cdate_t month, struct psa_pool *pool, int *posted,
                       int *failed)
{
    struct tenant_policy pol;
    policy_get(env->db, t, &pol);
    char first[11], label[8];
    cdate_t m = cdate_make(month.y, month.m, 1), next;
    cdate_format(m, first, sizeof first);
    snprintf(label, sizeof label, "%.7s", first);
    cdate_first_of_next_month(m, &next);
    struct usage_due_list r;
    if (charges_usage_due(env->db, t, first, &r) < 0)
        return -1;
    for (int i = 0; i < r.n; i++) {
        const struct usage_due *u = &r.v[i];
        char key[191];
        snprintf(key, sizeof key, "usage:%lld:%s:%s", u->src_conn, u->res_src, label);
        if (charges_done(env->db, t, key) == 1)
            continue;
        qty_t qty = u->qty;
        money_t total = u->ext_cost, unit = 0;
        /* The tenant's usage mode (doc/seeds.md 004): average cost per GB, total with quantity one, or
         * quantity only (the PSA prices it). */
        qty_t post_qty = qty;
        if (!strcmp(pol.usage_mode, "total_cost")) {
            post_qty = 1000;
            unit = total;
        } else if (!strcmp(pol.usage_mode, "average_cost")) {
            if (qty > 0)
                money_div_qty(total, qty, &unit);
        }
        const struct conn *c;
        const char *why;
        long long psa_conn = u->psa_conn;
        const struct psa_connector *p = psa_pool_get(pool, env, t, psa_conn, &c, &why);
        char name[300], date_s[11], gb[32];
        qty_format(qty, gb, sizeof gb);
        snprintf(name, sizeof name, "%s, %s: %s GB", u->name, label, gb);
        cdate_t date = not_before(next, u->billing_start);   /* never before the billing start */
        cdate_format(date, date_s, sizeof date_s);
        char itext[INVOICE_TEXT_BYTES];
        struct invoice_line il = {p ? p->system : "", psa_conn, u->contract, u->service, u->name, NULL, label, gb,
                                  INVOICE_DEFAULT_USAGE};
        invoice_text_for(env->db, t, &il, itext, sizeof itext);
        struct psa_charge ch = {u->contract, u->service, itext, name, key, date, post_qty, unit, unit};
        struct charge_rec rec = {.kind = "usage", .key = key, .src_conn = u->src_conn,
                                 .src_resource = u->res_src, .psa_conn = psa_conn,
                                 .contract = ch.contract_id, .service = ch.service_id, .description = name,
                                 .date = date_s, .qty = post_qty, .unit_price = unit, .unit_cost = unit};
        char refused[300];
        currency_check(u->currencies, u->tenant_currency, refused, sizeof refused);
        if (post_one(env, t, p, c, why, &ch, &rec, refused))
            (*failed)++;
        else
            (*posted)++;
    }
    DB_LIST_FREE(&r);
    return 0;
}

int alerts_send(struct job_env *env, long long t)
{
    struct tenant_policy pol;
    policy_get(env->db, t, &pol);
    struct alert_adjustment_list due;
    struct alert_charge_list dch;
    struct email_list admins;
    if (alerts_due(env->db, t, pol.alert_after_minutes, &due) < 0)
        return -1;
    if (alerts_due_charges(env->db, t, pol.alert_after_minutes, &dch) < 0) {
        DB_LIST_FREE(&due);
        return -1;
    }
    if (due.n == 0 && dch.n == 0) {
        DB_LIST_FREE(&due);
        DB_LIST_FREE(&dch);
        return 0;
    }
    char body[8000];
    int k = snprintf(body, sizeof body,
                     "billsync could not post these %s to your PSA for more than %d minutes.\n"
                     "It keeps retrying; the failure log shows each error and lets you retry or give up.\n\n",
                     !dch.n ? "seat changes" : !due.n ? "charges" : "seat changes and charges",
                     pol.alert_after_minutes);
    for (int i = 0; i < due.n && k < (int)sizeof body - 400; i++) {
        const struct alert_adjustment *a = &due.v[i];
        char q[32];
        qty_format(a->unit_change, q, sizeof q);
        k += snprintf(body + k, sizeof body - (size_t)k, "- %s / %s: %s%s from %s (failing since %s): %.200s\n",
                      a->company, a->resource, a->unit_change > 0 ? "+" : "", q, a->effective, a->first_failure,
                      a->error);
    }
    for (int i = 0; i < dch.n && k < (int)sizeof body - 400; i++)
        k += snprintf(body + k, sizeof body - (size_t)k, "- charge %.200s (failing since %s): %.200s\n",
                      dch.v[i].description, dch.v[i].first_failure, dch.v[i].error);
    if (k < (int)sizeof body - 100)
        snprintf(body + k, sizeof body - (size_t)k, "\nFailure log: %s/reports/failures\n", env->cfg->base_url);
    int sent = 0;
    if (alerts_admins(env->db, t, &admins) == 0) {
        for (int i = 0; i < admins.n; i++)
            if (outbox_enqueue(env->db, secret_key(env->cfg), t, admins.v[i].email,
                               due.n ? "billsync: seat changes are failing to post"
                                         : "billsync: charges are failing to post",
                               body) == 0)
                sent++;
        DB_LIST_FREE(&admins);
    }
    if (sent) {
        for (int i = 0; i < due.n; i++)
            alerts_mark(env->db, t, due.v[i].id);
        for (int i = 0; i < dch.n; i++)
            alerts_mark_charge(env->db, t, dch.v[i].id);
    }
    DB_LIST_FREE(&due);
    DB_LIST_FREE(&dch);
    return 0;
}

int job_usage(struct job_env *env, struct job *job, char *err, size_t errlen)
{
    cdate_t month;
    json_error_t jerr;
    json_t *p = job->payload ? json_loads(job->payload, 0, &jerr) : NULL;
    const char *m = p ? json_string_value(json_object_get(p, "month")) : NULL;
    char day[16];
    snprintf(day, sizeof day, "%.7s-01", m ? m : "");
    json_decref(p);
    if (!m || cdate_parse(day, &month) < 0) {
        char zone[64];
        tenant_time_zone(env->db, job->tenant_id, zone, sizeof zone);
        cdate_t today = tz_date(zone, time(NULL)), first;
        cdate_first_of_month(today, &first);
        cdate_add_days(first, -1, &month);
    }
    struct psa_pool pool = {0};
    int posted = 0, failed = 0;
    int rc = charges_post_usage(env, job->tenant_id, month, &pool, &posted, &failed);
    psa_pool_close(&pool);
    if (rc < 0)
        snprintf(err, errlen, "usage: %s", db_error(env->db));
    log_info("usage tenant=%lld: %d charges posted, %d failed", job->tenant_id, posted, failed);
    return rc;
}
