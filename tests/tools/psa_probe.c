/* psa_probe.c: test driver for the PSA connectors: one psa.h operation (or N concurrent ones) against a connection, printed as JSON. */
#include "common/log.h"
#include "connectors/psa.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "usage: psa_probe --system autotask|connectwise --settings JSON --slot-dir DIR [--conn-id N] OP [ARGS]\n"
    "  test | accounts | contracts | services\n"
    "  contract-services CONTRACT|- DATE\n"
    "  read-units CONTRACT SERVICE DATE\n"
    "  read-money CONTRACT SERVICE DATE\n"
    "  post-price CONTRACT SERVICE DATE COST [PRICE]\n"
    "  units-bulk DATE CONTRACT:SERVICE...   (services' units, as a sync reads them)\n"
    "  create-account NAME\n"
    "  create-contract ACCOUNT NAME recurring|fixed_price|one_time START END|- CYCLE_MONTHS\n"
    "  create-service NAME SKU PRICE COST [DESCRIPTION]\n"
    "  post-units CONTRACT SERVICE DELTA DATE PRICE COST [CONTRACT_SERVICE [DESCRIPTION]]\n"
    "  post-units-seen CONTRACT SERVICE DELTA DATE UNITS_BEFORE [LINE_ID LINE_UNITS [BILL_START|- PRORATE MONTHS]]\n"
    "  find-charge CONTRACT KEY\n"
    "  create-charge CONTRACT SERVICE NAME KEY DATE QTY PRICE COST [DESCRIPTION]\n"
    "  concurrent N OP [ARGS]   (N processes, one JSON line each, then a summary line)\n"
    "Prints one JSON line: the result, or {\"error\": {...}}; exit 0 on success, 1 on error.\n";

struct probe {
    const struct psa_connector *psa;
    struct conn conn;
    json_t *records;
};

static void die_usage(const char *why)
{
    fprintf(stderr, "psa_probe: %s\n%s", why, usage);
    exit(2);
}

/* ---- argument parsing ---------------------------------------------------------------------- */

static cdate_t arg_date(const char *s)
{
    cdate_t d = {0, 0, 0};
    if (strcmp(s, "-") != 0 && cdate_parse(s, &d) < 0)
        die_usage("bad date");
    return d;
}

static money_t arg_money(const char *s)
{
    money_t v;
    if (money_parse(s, &v) < 0)
        die_usage("bad amount");
    return v;
}

static qty_t arg_qty(const char *s)
{
    qty_t v;
    if (qty_parse(s, &v) < 0)
        die_usage("bad quantity");
    return v;
}

static void need(int argc, int n)
{
    if (argc < n)
        die_usage("missing arguments for the operation");
}

/* ---- output ---------------------------------------------------------------------------------- */

static json_t *money_json(money_t v)
{
    char buf[MONEY_FMT_MAX];
    money_format(v, buf, sizeof buf, 4);
    return json_string(buf);
}

static json_t *qty_json(qty_t q)
{
    if (q % QTY_SCALE == 0)
        return json_integer(q / QTY_SCALE);
    return json_real((double)q / QTY_SCALE);
}

static json_t *date_json(cdate_t d)
{
    char buf[CDATE_FMT_LEN];
    return cdate_valid(d) && cdate_format(d, buf, sizeof buf) == 0 ? json_string(buf) : json_null();
}

static void print_line(json_t *line)
{
    char *text = json_dumps(line, JSON_COMPACT);
    if (text) {
        size_t len = strlen(text);
        text[len] = '\n'; /* one write per line so concurrent processes do not interleave */
        ssize_t w = write(STDOUT_FILENO, text, len + 1);
        (void)w;
        free(text);
    }
    json_decref(line);
}

static json_t *error_json(const struct conn_error *e)
{
    return json_pack("{s:{s:s,s:i,s:s,s:s,s:b,s:b}}", "error", "kind", conn_error_kind_name(e->kind),
                     "http_status", e->http_status, "message", e->message, "hint", e->hint,
                     "maybe_committed", e->maybe_committed, "retryable", e->retryable);
}

static int on_account(void *ctx, const struct psa_account *a)
{
    json_array_append_new(((struct probe *)ctx)->records,
                          json_pack("{s:s,s:s,s:b}", "id", a->id, "name", a->name, "active", a->active));
    return 0;
}

static const char *type_name(enum psa_contract_type t)
{
    static const char *const n[] = {"recurring", "fixed_price", "one_time", "other"};
    return (unsigned)t < 4 ? n[t] : "other";
}

static int on_contract(void *ctx, const struct psa_contract *c)
{
    json_array_append_new(((struct probe *)ctx)->records,
                          json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:b,s:b,s:i}", "id", c->id, "account_id",
                                    c->account_id, "name", c->name, "type", type_name(c->type), "start",
                                    date_json(c->start), "end", date_json(c->end), "billing_start",
                                    date_json(c->billing_start), "active", c->active, "prorate", c->prorate,
                                    "cycle_months", c->cycle_months));
    return 0;
}

static int on_service(void *ctx, const struct psa_service *s)
{
    json_array_append_new(((struct probe *)ctx)->records,
                          json_pack("{s:s,s:s,s:s,s:o,s:o,s:b}", "id", s->id, "name", s->name, "sku", s->sku,
                                    "unit_price", money_json(s->unit_price), "unit_cost",
                                    money_json(s->unit_cost), "active", s->active));
    return 0;
}

static int on_contract_service(void *ctx, const struct psa_contract_service *cs)
{
    json_array_append_new(((struct probe *)ctx)->records,
                          json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "id", cs->id, "contract_id",
                                    cs->contract_id, "service_id", cs->service_id, "name", cs->name, "units",
                                    qty_json(cs->units), "unit_price", money_json(cs->unit_price),
                                    "unit_cost", money_json(cs->unit_cost)));
    return 0;
}

static int on_units(void *ctx, const char *contract_id, const char *service_id, const struct psa_units_seen *u)
{
    json_array_append_new(((struct probe *)ctx)->records,
                          json_pack("{s:s,s:s,s:o,s:s,s:o}", "contract_id", contract_id, "service_id", service_id,
                                    "units", qty_json(u->units), "line_id", u->line_id, "line_units",
                                    qty_json(u->line_units)));
    return 0;
}

/* ---- operations ------------------------------------------------------------------------------ */

static json_t *with_records(struct probe *p)
{
    return json_pack("{s:O,s:I}", "records", p->records, "count", (json_int_t)json_array_size(p->records));
}

static json_t *id_result(const char *key, const char *id) { return json_pack("{s:s}", key, id); }

static int op_create(struct probe *p, const char *op, int argc, char **argv, json_t **out,
                     struct conn_error *err)
{
    char id[PSA_ID] = "";
    int rc;
    if (!strcmp(op, "create-account")) {
        need(argc, 1);
        rc = p->psa->create_account(&p->conn, argv[0], id, err);
    } else if (!strcmp(op, "create-contract")) {
        need(argc, 6);
        struct psa_new_contract nc = {.account_id = argv[0], .name = argv[1], .start = arg_date(argv[3]),
                                      .end = arg_date(argv[4]), .cycle_months = atoi(argv[5])};
        nc.type = !strcmp(argv[2], "recurring") ? PSA_RECURRING : !strcmp(argv[2], "fixed_price") ? PSA_FIXED_PRICE
                  : !strcmp(argv[2], "one_time") ? PSA_ONE_TIME : PSA_OTHER;
        rc = p->psa->create_contract(&p->conn, &nc, id, err);
    } else {
        need(argc, 4);
        struct psa_new_service ns = {.name = argv[0], .sku = argv[1], .unit_price = arg_money(argv[2]),
                                     .unit_cost = arg_money(argv[3]), .description = argc > 4 ? argv[4] : NULL};
        rc = p->psa->create_service(&p->conn, &ns, id, err);
    }
    *out = rc == 0 ? id_result("id", id) : NULL;
    return rc;
}

static int op_write(struct probe *p, const char *op, int argc, char **argv, json_t **out,
                    struct conn_error *err)
{
    char id[PSA_ID] = "";
    int rc;
    if (!strcmp(op, "post-units")) {
        need(argc, 6);
        struct psa_unit_change u = {.contract_id = argv[0], .service_id = argv[1], .delta = arg_qty(argv[2]),
                                    .effective = arg_date(argv[3]), .unit_price = arg_money(argv[4]),
                                    .unit_cost = arg_money(argv[5]),
                                    .contract_service_id = argc > 6 ? argv[6] : "",
                                    .description = argc > 7 ? argv[7] : NULL};
        rc = p->psa->post_unit_change(&p->conn, &u, id, err);
        *out = rc == 0 ? id_result("ref", id) : NULL;
    } else if (!strcmp(op, "post-units-seen")) {
        /* As the worker posts after its own read: the units (and ConnectWise's open addition)
         * the change was planned from, so the connector writes and verifies only. */
        need(argc, 5);
        struct psa_units_seen seen = {.units = arg_qty(argv[4])};
        if (argc > 6) {
            snprintf(seen.line_id, sizeof seen.line_id, "%s", argv[5]);
            seen.line_units = arg_qty(argv[6]);
        }
        struct psa_contract_terms terms = {{0, 0, 0}, 0, 0};
        if (argc > 9) {
            terms.billing_start = strcmp(argv[7], "-") ? arg_date(argv[7]) : terms.billing_start;
            terms.prorate = atoi(argv[8]);
            terms.cycle_months = atoi(argv[9]);
        }
        struct psa_unit_change u = {.contract_id = argv[0], .service_id = argv[1], .delta = arg_qty(argv[2]),
                                    .effective = arg_date(argv[3]), .contract_service_id = "", .seen = &seen,
                                    .terms = argc > 9 ? &terms : NULL};
        rc = p->psa->post_unit_change(&p->conn, &u, id, err);
        *out = rc == 0 ? id_result("ref", id) : NULL;
    } else if (!strcmp(op, "post-price")) {
        need(argc, 4);
        struct psa_price_change pc = {.contract_id = argv[0], .service_id = argv[1], .effective = arg_date(argv[2]),
                                      .unit_cost = arg_money(argv[3]), .has_price = argc > 4,
                                      .unit_price = argc > 4 ? arg_money(argv[4]) : 0};
        rc = p->psa->post_price_change(&p->conn, &pc, id, err);
        *out = rc == 0 ? id_result("ref", id) : NULL;
    } else if (!strcmp(op, "find-charge")) {
        need(argc, 2);
        rc = p->psa->find_charge(&p->conn, argv[0], argv[1], id, err);
        *out = rc >= 0 ? json_pack("{s:b,s:s}", "found", rc == 1, "id", id) : NULL;
        rc = rc < 0 ? -1 : 0;
    } else {
        need(argc, 8);
        struct psa_charge ch = {.contract_id = argv[0], .service_id = argv[1], .name = argv[2], .key = argv[3],
                                .date = arg_date(argv[4]), .quantity = arg_qty(argv[5]),
                                .unit_price = arg_money(argv[6]), .unit_cost = arg_money(argv[7]),
                                .description = argc > 8 ? argv[8] : NULL};
        rc = p->psa->create_charge(&p->conn, &ch, id, err);
        *out = rc == 0 ? id_result("id", id) : NULL;
    }
    return rc;
}

static int op_read(struct probe *p, const char *op, int argc, char **argv, json_t **out,
                   struct conn_error *err)
{
    int rc;
    if (!strcmp(op, "test")) {
        char summary[200] = "";
        rc = p->psa->test(&p->conn, summary, sizeof summary, err);
        *out = rc == 0 ? json_pack("{s:s}", "summary", summary) : NULL;
        return rc;
    }
    if (!strcmp(op, "read-units")) {
        need(argc, 3);
        struct psa_units_seen seen;
        rc = p->psa->read_units(&p->conn, argv[0], argv[1], arg_date(argv[2]), &seen, err);
        *out = rc == 0 ? json_pack("{s:o}", "units", qty_json(seen.units)) : NULL;
        return rc;
    }
    if (!strcmp(op, "read-money")) {
        need(argc, 3);
        struct psa_money_seen m;
        rc = p->psa->read_money(&p->conn, argv[0], argv[1], arg_date(argv[2]), &m, err);
        *out = rc == 0 ? json_pack("{s:b,s:o,s:o,s:b}", "found", m.found, "cost", money_json(m.unit_cost), "price",
                                   money_json(m.unit_price), "uniform", m.uniform)
                       : NULL;
        return rc;
    }
    if (!strcmp(op, "units-bulk")) {
        need(argc, 1);
        /* CONTRACT:SERVICE pairs, sorted by contract as the worker passes them */
        struct psa_service_key keys[2000];
        int n = 0;
        for (int i = 1; i < argc && n < 2000; i++) {
            char *colon = strchr(argv[i], ':');
            if (colon)
                *colon = '\0';
            keys[n].contract_id = argv[i];
            keys[n++].service_id = colon ? colon + 1 : "0";
        }
        rc = p->psa->read_units_bulk(&p->conn, keys, n, arg_date(argv[0]), on_units, p, err);
        *out = rc == 0 ? with_records(p) : NULL;
        return rc;
    }
    if (!strcmp(op, "accounts"))
        rc = p->psa->list_accounts(&p->conn, on_account, p, err);
    else if (!strcmp(op, "contracts"))
        rc = p->psa->list_contracts(&p->conn, on_contract, p, err);
    else if (!strcmp(op, "services"))
        rc = p->psa->list_services(&p->conn, on_service, p, err);
    else {
        need(argc, 2);
        const char *contract = strcmp(argv[0], "-") ? argv[0] : "";
        rc = p->psa->list_contract_services(&p->conn, contract, arg_date(argv[1]), on_contract_service, p, err);
    }
    *out = rc == 0 ? with_records(p) : NULL;
    return rc;
}

static int run_op(struct probe *p, int argc, char **argv)
{
    static const char *const reads[] = {"test", "accounts", "contracts", "services", "contract-services",
                                        "read-units", "units-bulk", "read-money"};
    static const char *const creates[] = {"create-account", "create-contract", "create-service"};
    const char *op = argv[0];
    struct conn_error err;
    json_t *out = NULL;
    int rc = -2;
    memset(&err, 0, sizeof err);
    p->records = json_array();
    for (size_t i = 0; i < sizeof reads / sizeof reads[0] && rc == -2; i++)
        if (!strcmp(op, reads[i]))
            rc = op_read(p, op, argc - 1, argv + 1, &out, &err);
    for (size_t i = 0; i < sizeof creates / sizeof creates[0] && rc == -2; i++)
        if (!strcmp(op, creates[i]))
            rc = op_create(p, op, argc - 1, argv + 1, &out, &err);
    if (rc == -2 && (!strcmp(op, "post-units") || !strcmp(op, "post-units-seen") || !strcmp(op, "post-price") ||
                     !strcmp(op, "find-charge") ||
                     !strcmp(op, "create-charge")))
        rc = op_write(p, op, argc - 1, argv + 1, &out, &err);
    if (rc == -2)
        die_usage("unknown operation");
    json_decref(p->records);
    print_line(rc == 0 && out ? out : error_json(&err));
    return rc == 0 ? 0 : 1;
}

static int run_concurrent(struct probe *p, int argc, char **argv)
{
    need(argc, 3);
    int n = atoi(argv[1]), failed = 0;
    if (n < 1 || n > 64)
        die_usage("concurrent wants 1..64 processes");
    fflush(NULL);
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("psa_probe: fork");
            failed++;
            break;
        }
        if (pid == 0)
            _exit(run_op(p, argc - 2, argv + 2));
    }
    int st;
    while (wait(&st) > 0)
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed++;
    print_line(json_pack("{s:i,s:i}", "concurrent", n, "failed", failed));
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct probe p = {.conn = {.id = 1}};
    const char *system = NULL, *settings = NULL;
    int i = 1;
    for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
        if (!strcmp(argv[i], "--system"))
            system = argv[i + 1];
        else if (!strcmp(argv[i], "--settings"))
            settings = argv[i + 1];
        else if (!strcmp(argv[i], "--slot-dir"))
            p.conn.slot_dir = argv[i + 1];
        else if (!strcmp(argv[i], "--conn-id"))
            p.conn.id = atoll(argv[i + 1]);
        else
            die_usage("unknown option");
    }
    if (!system || !settings || i >= argc)
        die_usage("--system, --settings and an operation are required");
    p.psa = psa_connector_for(system);
    if (!p.psa)
        die_usage("no connector for that system");
    json_error_t je;
    p.conn.system = system;
    p.conn.settings = json_loads(settings, 0, &je);
    if (!json_is_object(p.conn.settings))
        die_usage("--settings must be a JSON object");
    log_set_program("psa_probe");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = !strcmp(argv[i], "concurrent") ? run_concurrent(&p, argc - i, argv + i) : run_op(&p, argc - i, argv + i);
    json_decref(p.conn.settings);
    curl_global_cleanup();
    return rc;
}
