/* src_probe.c: drives one distributor connector from the command line for contract tests and
 * prints its canonical records as JSON in tests/sandbox/canonical_fixtures.py's format:
 *   src_probe --system pax8 --settings '{"url":...}' [--slot-dir DIR] OP [ARG]
 * OP: test | companies | subscriptions | resources | charges YYYY-MM
 * Exit 0 with {"records":[...]} or {"summary":...}; exit 1 with {"error":{...}}. */
#include "connectors/source.h"
#include "core/money.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *str_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }

static json_t *date_json(cdate_t d)
{
    char b[11];
    if (!cdate_valid(d))
        return json_null();
    cdate_format(d, b, sizeof b);
    return json_string(b);
}

static json_t *money_json(money_t m)
{
    char b[32];
    money_format(m, b, sizeof b, 4);
    return json_string(b);
}

static json_t *qty_json(qty_t q)
{
    char b[32];
    qty_format(q, b, sizeof b);
    return json_string(b);
}

static int add(void *ctx, json_t *o)
{
    json_array_append_new((json_t *)ctx, o);
    return 0;
}

static int on_company(void *ctx, const struct src_company *c)
{
    return add(ctx, json_pack("{s:s, s:s}", "id", c->id, "name", c->name));
}

static int on_subscription(void *ctx, const struct src_subscription *s)
{
    return add(ctx, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:b}", "id", s->id, "company_id",
                              s->company_id, "name", s->name, "status", src_status_name(s->status),
                              "billing_cycle", src_cycle_name(s->billing_cycle), "term_months",
                              s->term_months, "commitment_end", date_json(s->commitment_end),
                              "auto_renew", s->auto_renew));
}

static int on_resource(void *ctx, const struct src_resource *r)
{
    return add(ctx, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:i, s:o, s:s}", "id", r->id,
                              "subscription_id", r->subscription_id, "company_id", r->company_id, "name",
                              r->name, "sku", str_or_null(r->sku), "quantity", qty_json(r->quantity),
                              "unit_cost", money_json(r->unit_cost), "unit_price", money_json(r->unit_price),
                              "currency", str_or_null(r->currency), "billing_cycle",
                              src_cycle_name(r->billing_cycle), "term_months", r->term_months,
                              "commitment_end", date_json(r->commitment_end), "status",
                              src_status_name(r->status)));
}

static int on_charge(void *ctx, const struct src_charge *c)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "id", c->id, "company_id", c->company_id,
                          "subscription_id", c->subscription_id, "resource_id", c->resource_id,
                          "description", c->description, "sku", str_or_null(c->sku), "type",
                          src_charge_type_name(c->type));
    json_object_set_new(o, "period_start", date_json(c->period_start));
    json_object_set_new(o, "period_end", date_json(c->period_end));
    json_object_set_new(o, "effective", date_json(c->effective));
    json_object_set_new(o, "quantity", qty_json(c->quantity));
    json_object_set_new(o, "unit_cost", money_json(c->unit_cost));
    json_object_set_new(o, "unit_price", money_json(c->unit_price));
    json_object_set_new(o, "extended_cost", money_json(c->extended_cost));
    json_object_set_new(o, "extended_price", money_json(c->extended_price));
    json_object_set_new(o, "currency", str_or_null(c->currency));
    json_object_set_new(o, "term_months", json_integer(c->term_months));
    json_object_set_new(o, "frequency", json_string(src_cycle_name(c->frequency)));
    return add(ctx, o);
}

static void print_error(const struct conn_error *e)
{
    json_t *o = json_pack("{s:{s:s, s:i, s:s, s:s, s:b}}", "error", "kind", conn_error_kind_name(e->kind),
                          "http_status", e->http_status, "message", e->message, "hint", e->hint,
                          "retryable", e->retryable);
    char *s = json_dumps(o, JSON_COMPACT);
    puts(s);
    free(s);
    json_decref(o);
}

int main(int argc, char **argv)
{
    const char *system = NULL, *settings = NULL, *slot_dir = "/tmp/billsync-probe-slots";
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (!strcmp(argv[i], "--system"))
            system = argv[i + 1];
        else if (!strcmp(argv[i], "--settings"))
            settings = argv[i + 1];
        else if (!strcmp(argv[i], "--slot-dir"))
            slot_dir = argv[i + 1];
    }
    const char *op = i < argc ? argv[i] : NULL;
    const struct source_connector *sc = source_connector_for(system);
    json_error_t jerr;
    json_t *set = settings ? json_loads(settings, 0, &jerr) : NULL;
    if (!sc || !json_is_object(set) || !op) {
        fprintf(stderr, "usage: src_probe --system NAME --settings JSON [--slot-dir DIR] "
                        "test|companies|subscriptions|resources|charges YYYY-MM\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct conn c = {.id = 1, .tenant_id = 1, .system = system, .settings = set, .slot_dir = slot_dir};
    struct conn_error err;
    memset(&err, 0, sizeof err);
    json_t *records = json_array();
    int rc;
    if (!strcmp(op, "test")) {
        char summary[300] = "";
        rc = sc->test(&c, summary, sizeof summary, &err);
        if (rc == 0)
            printf("{\"summary\":\"%s\"}\n", summary);
    } else if (!strcmp(op, "companies")) {
        rc = sc->list_companies(&c, on_company, records, &err);
    } else if (!strcmp(op, "subscriptions")) {
        rc = sc->list_subscriptions(&c, on_subscription, records, &err);
    } else if (!strcmp(op, "resources")) {
        rc = sc->list_resources(&c, on_resource, records, &err);
    } else if (!strcmp(op, "charges") && i + 1 < argc) {
        cdate_t month;
        char day[16];
        snprintf(day, sizeof day, "%.7s-01", argv[i + 1]);
        if (cdate_parse(day, &month) < 0) {
            fprintf(stderr, "src_probe: month must look like 2026-10\n");
            return 2;
        }
        rc = sc->list_charges(&c, month, on_charge, records, &err);
    } else {
        fprintf(stderr, "src_probe: unknown operation '%s'\n", op);
        return 2;
    }
    if (rc < 0) {
        print_error(&err);
    } else if (strcmp(op, "test")) {
        json_t *out = json_pack("{s:o}", "records", records);
        records = NULL;
        char *s = json_dumps(out, JSON_COMPACT);
        puts(s);
        free(s);
        json_decref(out);
    }
    json_decref(records);
    json_decref(set);
    curl_global_cleanup();
    return rc < 0 ? 1 : 0;
}
