/* mapping_create.c: "Create in PSA" on the Billing page (doc/seeds.md 000 step 4): when the PSA has no
 * counterpart yet, billsync creates the account, contract or service through the PSA
 * connector, pre-filled from the distributor's data, puts it in the PSA cache and links it. */
#include "web/mapping.h"
#include "web/mapping_link.h"

#include "common/config.h"
#include "common/secret_key.h"
#include "connectors/psa.h"
#include "db/accounts.h"
#include "db/connections.h"
#include "db/cost_ledger.h"
#include "db/links.h"
#include "db/mapping_view.h"
#include "db/snapshot.h"
#include "web/auth.h"
#include "core/price_policy.h"
#include "web/mapping_suggest.h"

#include <stdio.h>
#include <string.h>

struct src_obj {
    long long conn;
    char src_id[81], name[256], parent[81], sku[81], cycle[16], commitment_end[11];
    money_t unit_price, unit_cost;
    char currency[4];
    char contract[33];            /* resources: the subscription's PSA contract ("" none) */
};

static int load(struct web *w, int level, long long row, struct src_obj *o)
{
    struct src_object_list r;
    int found = mv_src_object(w->db, w->sess->tenant_id, level, row, &r);
    if (found != 1) {
        DB_LIST_FREE(&r);
        return -1;
    }
    const struct src_object *s = &r.v[0];
    memset(o, 0, sizeof *o);
    o->conn = s->conn;
    snprintf(o->src_id, sizeof o->src_id, "%s", s->src_id);
    snprintf(o->name, sizeof o->name, "%s", s->name);
    snprintf(o->parent, sizeof o->parent, "%s", s->parent);
    snprintf(o->sku, sizeof o->sku, "%s", s->sku);
    o->unit_price = s->unit_price;
    o->unit_cost = s->unit_cost;
    snprintf(o->cycle, sizeof o->cycle, "%s", s->cycle);
    snprintf(o->commitment_end, sizeof o->commitment_end, "%s", s->commitment_end);
    snprintf(o->currency, sizeof o->currency, "%s", s->currency ? s->currency : "");
    DB_LIST_FREE(&r);
    return 0;
}

/*
 * The sell price of a service billsync creates, by the price policy of the contract's account
 * (doc/ledger.md "Cost and price"): markup on the cost, or the distributor's suggested price;
 * "keep" has no PSA price to keep and takes the suggested price as before. A source billing in
 * another currency than the PSA is refused: billsync does not convert.
 */
static int service_price(struct web *w, long long psa_conn, struct src_obj *o, char *msg, size_t n)
{
    char currency[4];
    tenant_currency(w->db, w->sess->tenant_id, currency);
    if (o->currency[0] && strcmp(o->currency, currency)) {
        snprintf(msg, n, "The distributor bills \"%s\" in %s and the PSA in %s: billsync does not convert "
                 "currencies, so it cannot price the service. Create it in the PSA by hand.", o->name, o->currency,
                 currency);
        return -1;
    }
    struct price_policy pol;
    money_t price;
    if (price_policy_for_contract(w->db, w->sess->tenant_id, psa_conn, o->contract, "", &pol) == 0 &&
        price_policy_price(&pol, o->unit_cost, o->unit_price, &price) == 1)
        o->unit_price = price;
    return 0;
}

int mapping_new_service_price(struct web *w, long long psa_conn, long long row, money_t *price, money_t *cost,
                               char *msg, size_t n)
{
    struct src_obj o;
    if (load(w, LINK_RESOURCE, row, &o) < 0) {
        snprintf(msg, n, "That item is not in your company's data.");
        return -1;
    }
    struct link_target sub;
    if (link_get(w->db, w->sess->tenant_id, LINK_SUBSCRIPTION, o.conn, o.parent, &sub, NULL) == 1)
        snprintf(o.contract, sizeof o.contract, "%s", sub.psa_id);
    if (service_price(w, psa_conn, &o, msg, n) < 0)
        return -1;
    *price = o.unit_price;
    *cost = o.unit_cost;
    return 0;
}

int mapping_create(struct web *w, long long psa_conn, int level, long long row, char *msg, size_t n)
{
    struct src_obj o;
    if (load(w, level, row, &o) < 0) {
        snprintf(msg, n, "That item is not in your company's data.");
        return -1;
    }
    if (level == LINK_RESOURCE) {
        /* Not a service the resource could be linked to as seats: refuse before creating it. */
        struct link_target sub;
        char ctype[16], cname[256];
        int has_sub = link_get(w->db, w->sess->tenant_id, LINK_SUBSCRIPTION, o.conn, o.parent, &sub, NULL) == 1;
        enum seat_rule rule = seat_rule_of(w, psa_conn, o.conn, o.src_id, has_sub ? sub.psa_id : "", NULL, ctype,
                                           cname);
        if (rule != SEAT_OK) {
            seat_refusal(rule, o.name, ctype, cname, msg, n);
            return -1;
        }
        if (has_sub)
            snprintf(o.contract, sizeof o.contract, "%s", sub.psa_id);
        if (service_price(w, psa_conn, &o, msg, n) < 0)
            return -1;
    }
    struct conn c;
    char system[32] = "?", err[300];
    if (connection_open(w->db, secret_key(w->cfg), w->sess->tenant_id, psa_conn, w->cfg->slot_dir, &c, system,
                        err, sizeof err) != 1) {
        snprintf(msg, n, "The PSA connection cannot be used: %s", err);
        return -1;
    }
    const struct psa_connector *p = psa_connector_for(system);
    struct conn_error ce;
    memset(&ce, 0, sizeof ce);
    char id[PSA_ID] = "", target[40] = "";
    int rc = -1;
    struct snap cache = {.db = w->db, .tenant_id = w->sess->tenant_id, .connection_id = psa_conn};
    cdate_t today = web_today(w);
    if (!p) {
        conn_error_set(&ce, CONN_CONFIG, 0, "This PSA has no connector in this version.", "");
    } else if (level == LINK_COMPANY) {
        if ((rc = p->create_account(&c, o.name, id, &ce)) == 0) {
            struct psa_account a = {.active = 1};
            snprintf(a.id, sizeof a.id, "%s", id);
            snprintf(a.name, sizeof a.name, "%s", o.name);
            snap_psa_account(&cache, &a);
            snprintf(target, sizeof target, "%s", id);
        }
    } else if (level == LINK_SUBSCRIPTION) {
        struct link_target company;
        if (link_get(w->db, w->sess->tenant_id, LINK_COMPANY, o.conn, o.parent, &company, NULL) != 1) {
            conn_error_set(&ce, CONN_REJECTED, 0, "Link the company to a PSA account first.", "");
        } else {
            /* Annual subscriptions are billed as one-time charges on a fixed-price contract. */
            int annual = !strcmp(o.cycle, "annual");
            struct psa_new_contract nc = {company.psa_id, o.name, annual ? PSA_FIXED_PRICE : PSA_RECURRING,
                                          today, today, annual ? 12 : 1};
            cdate_t end;
            if (cdate_parse(o.commitment_end, &end) == 0 && cdate_cmp(end, today) > 0)
                nc.end = end;
            else
                cdate_add_days(today, 3 * 365 - 1, &nc.end);
            if ((rc = p->create_contract(&c, &nc, id, &ce)) == 0) {
                struct psa_contract k = {.start = nc.start, .end = nc.end, .billing_start = nc.start, .active = 1,
                                         .prorate = 1, .cycle_months = nc.cycle_months, .type = nc.type};
                snprintf(k.id, sizeof k.id, "%s", id);
                snprintf(k.account_id, sizeof k.account_id, "%.31s", company.psa_id);
                snprintf(k.name, sizeof k.name, "%s", o.name);
                snap_psa_contract(&cache, &k);
                snprintf(target, sizeof target, "%s", id);
            }
        }
    } else {
        struct psa_new_service ns = {o.name, o.sku, o.name, o.unit_price, o.unit_cost};
        if ((rc = p->create_service(&c, &ns, id, &ce)) == 0) {
            struct psa_service s = {.unit_price = o.unit_price, .unit_cost = o.unit_cost, .active = 1};
            snprintf(s.id, sizeof s.id, "%s", id);
            snprintf(s.name, sizeof s.name, "%s", o.name);
            snprintf(s.sku, sizeof s.sku, "%.63s", o.sku);
            snap_psa_service(&cache, &s);
            snprintf(target, sizeof target, "svc:%s", id);
        }
    }
    connection_close(&c);
    if (rc < 0 || ce.kind != CONN_OK) {
        snprintf(msg, n, "The PSA did not create it: %s%s%s", ce.message, ce.hint[0] ? " — " : "", ce.hint);
        return -1;
    }
    static const char *const what[] = {"account", "contract", "service"};
    char action[40];
    snprintf(action, sizeof action, "mapping.%s_created", what[level]);
    auth_audit(w, 0, 0, NULL, action, o.name, id);
    char linked[700];
    mapping_set_one(w, psa_conn, level, row, target, linked, sizeof linked);
    char price[80] = "";
    if (level == LINK_RESOURCE) {
        char pm[MONEY_FMT_MAX], mt[24];
        money_format(o.unit_price, pm, sizeof pm, 2);
        margin_text(o.unit_price, o.unit_cost, mt, sizeof mt);
        snprintf(price, sizeof price, " at %s a unit (margin %s)", pm, mt);
    }
    snprintf(msg, n, "Created the %s \"%s\" in the PSA%s. %s", what[level], o.name, price, linked);
    return 0;
}
