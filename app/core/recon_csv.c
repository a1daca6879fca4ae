/* recon_csv.c: streaming parser for distributor billing files (see recon_csv.h). */
#include "core/recon_csv.h"

#include <csv.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_COLS 128
#define MAX_FIELD 4096

/* Canonical column slots; each format maps its header names onto them. */
enum col {
    C_COMPANY_ID, C_COMPANY_NAME, C_SUB_ID, C_SUB_NAME, C_RESOURCE_ID, C_PRODUCT, C_SKU,
    C_QTY, C_UNIT_COST, C_UNIT_PRICE, C_EXT_COST, C_CURRENCY, C_CHARGE_TYPE, C_CYCLE,
    C_TERM, C_START, C_END, C_EFFECTIVE, C_LINE_ID, C_INVOICE, C_ORDER, C_SKU2, C_QTY2,
    C_COST2, C_FREQUENCY, C__N
};

struct colname {
    enum col col;
    const char *name;
    int required;
};

/* Microsoft new-commerce reconciliation file (doc/source-apis.md 4.3). BillableQuantity
 * and EffectiveUnitPrice are what Microsoft bills; Quantity and UnitPrice are fall-backs. */
static const struct colname mscsp[] = {
    {C_COMPANY_ID, "CustomerId", 1}, {C_COMPANY_NAME, "CustomerName", 1},
    {C_SUB_ID, "SubscriptionId", 1}, {C_SUB_NAME, "SubscriptionDescription", 0},
    {C_PRODUCT, "ProductName", 1}, {C_SKU, "ProductId", 0}, {C_SKU2, "SkuId", 0},
    {C_QTY, "BillableQuantity", 0}, {C_QTY2, "Quantity", 0},
    {C_UNIT_COST, "EffectiveUnitPrice", 0}, {C_COST2, "UnitPrice", 0},
    {C_EXT_COST, "Subtotal", 1}, {C_CURRENCY, "Currency", 1}, {C_CHARGE_TYPE, "ChargeType", 1},
    {C_TERM, "TermAndBillingCycle", 0}, {C_FREQUENCY, "BillingFrequency", 0},
    {C_START, "ChargeStartDate", 1}, {C_END, "ChargeEndDate", 1}, {C_EFFECTIVE, "OrderDate", 0},
    {C_INVOICE, "InvoiceNumber", 0}, {C_ORDER, "OrderId", 0}, {C_LINE_ID, "ReferenceId", 0},
};

const char *const recon_generic_columns[] = {
    "company_id", "company_name", "subscription_id", "subscription_name", "resource_id",
    "product_name", "sku", "quantity", "unit_cost", "unit_price", "extended_cost", "currency",
    "charge_type", "billing_cycle", "term_months", "period_start", "period_end",
    "effective_date", "line_id", NULL,
};

static const struct colname generic[] = {
    {C_COMPANY_ID, "company_id", 1}, {C_COMPANY_NAME, "company_name", 1},
    {C_SUB_ID, "subscription_id", 1}, {C_SUB_NAME, "subscription_name", 0},
    {C_RESOURCE_ID, "resource_id", 0}, {C_PRODUCT, "product_name", 1}, {C_SKU, "sku", 0},
    {C_QTY, "quantity", 1}, {C_UNIT_COST, "unit_cost", 1}, {C_UNIT_PRICE, "unit_price", 0},
    {C_EXT_COST, "extended_cost", 0}, {C_CURRENCY, "currency", 0},
    {C_CHARGE_TYPE, "charge_type", 0}, {C_CYCLE, "billing_cycle", 0}, {C_TERM, "term_months", 0},
    {C_START, "period_start", 1}, {C_END, "period_end", 1}, {C_EFFECTIVE, "effective_date", 0},
    {C_LINE_ID, "line_id", 0},
};

struct recon_parser {
    enum recon_format format;
    recon_line_fn fn;
    void *ctx;
    struct csv_parser csv;
    int header_done;
    int col_of[C__N];             /* file column of each slot, -1 = absent */
    int ncols;                    /* columns in the header */
    char *field[MAX_COLS];        /* the current row's fields */
    int nfields;
    long row;                     /* 1-based, header = 1 */
    long accepted;
    int failed;
    char error[400];
};

int recon_format_parse(const char *name, enum recon_format *out)
{
    if (name && !strcmp(name, "mscsp"))
        *out = RECON_MSCSP;
    else if (name && !strcmp(name, "generic"))
        *out = RECON_GENERIC;
    else
        return -1;
    return 0;
}

void recon_fail(struct recon_parser *p, const char *message)
{
    if (p->failed)
        return;
    p->failed = 1;
    snprintf(p->error, sizeof p->error, "%s", message);
}

static void failf(struct recon_parser *p, const char *fmt, const char *a, const char *b)
{
    char msg[400];
    char va[80], vb[80];
    snprintf(va, sizeof va, "%s", a ? a : "");
    snprintf(vb, sizeof vb, "%s", b ? b : "");
    char head[40];
    snprintf(head, sizeof head, "row %ld: ", p->row);
    size_t n = strlen(head);
    memcpy(msg, head, n + 1);
    snprintf(msg + n, sizeof msg - n, fmt, va, vb);
    recon_fail(p, msg);
}

static const char *get(const struct recon_parser *p, enum col c)
{
    int i = p->col_of[c];
    return (i >= 0 && i < p->nfields && p->field[i]) ? p->field[i] : "";
}

static void trim_copy(char *dst, size_t n, const char *src)
{
    while (*src == ' ' || *src == '\t')
        src++;
    snprintf(dst, n, "%s", src);
    size_t k = strlen(dst);
    while (k && (dst[k - 1] == ' ' || dst[k - 1] == '\t' || dst[k - 1] == '\r'))
        dst[--k] = 0;
}

/* Dates: ISO "2026-11-03" (optionally with a time) or US "11/3/2026" (recon exports). */
static int parse_date(const char *s, cdate_t *out)
{
    if (cdate_parse(s, out) == 0)
        return 0;
    int m, d, y;
    char tail;
    if (sscanf(s, "%d/%d/%d%c", &m, &d, &y, &tail) == 3 || sscanf(s, "%d/%d/%d %c", &m, &d, &y, &tail) == 4) {
        cdate_t c = cdate_make(y, m, d);
        if (cdate_valid(c)) {
            *out = c;
            return 0;
        }
    }
    return -1;
}

static int header(struct recon_parser *p)
{
    const struct colname *map = p->format == RECON_MSCSP ? mscsp : generic;
    size_t nmap = p->format == RECON_MSCSP ? sizeof mscsp / sizeof mscsp[0]
                                            : sizeof generic / sizeof generic[0];
    for (int c = 0; c < C__N; c++)
        p->col_of[c] = -1;
    for (int i = 0; i < p->nfields; i++) {
        char name[128];
        const char *f = p->field[i] ? p->field[i] : "";
        if (i == 0 && !strncmp(f, "\xEF\xBB\xBF", 3))   /* UTF-8 byte order mark */
            f += 3;
        trim_copy(name, sizeof name, f);
        for (size_t k = 0; k < nmap; k++)
            if (!strcasecmp(name, map[k].name) && p->col_of[map[k].col] < 0)
                p->col_of[map[k].col] = i;
    }
    for (size_t k = 0; k < nmap; k++)
        if (map[k].required && p->col_of[map[k].col] < 0) {
            failf(p, "the column %s is missing from the header%s", map[k].name,
                  p->format == RECON_MSCSP ? " (is this a Microsoft recon file?)" : "");
            return -1;
        }
    if (p->format == RECON_MSCSP && p->col_of[C_QTY] < 0 && p->col_of[C_QTY2] < 0) {
        failf(p, "the column %s is missing from the header%s", "BillableQuantity", "");
        return -1;
    }
    p->ncols = p->nfields;
    p->header_done = 1;
    return 0;
}

static enum src_charge_type ms_charge_type(const char *t, int *ok)
{
    *ok = 1;
    if (!strcasecmp(t, "new") || !strcasecmp(t, "cycleCharge") || !strcasecmp(t, "renew") ||
        !strcasecmp(t, "convertTrial") || !strcasecmp(t, "purchase"))
        return SRC_CHARGE_RECURRING;
    if (!strcasecmp(t, "addQuantity"))
        return SRC_CHARGE_PRORATION;
    if (!strcasecmp(t, "removeQuantity") || !strcasecmp(t, "cancelInstance") ||
        !strcasecmp(t, "customerCredit") || !strcasecmp(t, "refund"))
        return SRC_CHARGE_REFUND;
    if (!strcasecmp(t, "usage"))
        return SRC_CHARGE_USAGE;
    *ok = 0;
    return SRC_CHARGE_RECURRING;
}

static int generic_enum(const char *t, const char *const *names, int n, int dflt, int *ok)
{
    *ok = 1;
    if (!*t)
        return dflt;
    for (int i = 0; i < n; i++)
        if (!strcasecmp(t, names[i]))
            return i;
    *ok = 0;
    return dflt;
}

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h ^ '|') * 1099511628211ULL;
}

static int money_field(struct recon_parser *p, enum col c, const char *label, money_t *out, int required)
{
    char v[64];
    trim_copy(v, sizeof v, get(p, c));
    if (!*v && !required) {
        *out = 0;
        return 0;
    }
    if (money_parse(v, out) < 0) {
        failf(p, "%s '%s' is not an amount like 12.50", label, v);
        return -1;
    }
    return 0;
}

/* Copies v into dst (n bytes); a value that does not fit is refused, never cut. */
static int put(struct recon_parser *p, char *dst, size_t n, const char *v, const char *label)
{
    size_t len = strlen(v);
    if (len >= n) {
        char max[16];
        snprintf(max, sizeof max, "%zu", n - 1);
        failf(p, "%s is longer than %s characters", label, max);
        return -1;
    }
    memcpy(dst, v, len + 1);
    return 0;
}

static int row(struct recon_parser *p)
{
    struct recon_line L;
    memset(&L, 0, sizeof L);
    struct src_charge *ch = &L.ch;
    int generic_fmt = p->format == RECON_GENERIC;
    char v[MAX_FIELD];
#define NEED(col, label, dst)                                                              \
    do {                                                                                   \
        trim_copy(v, sizeof v, get(p, col));                                               \
        if (!*v) {                                                                         \
            failf(p, "%s is empty%s", label, "");                                          \
            return -1;                                                                     \
        }                                                                                  \
        if (put(p, dst, sizeof dst, v, label) < 0)                                         \
            return -1;                                                                     \
    } while (0)
    NEED(C_COMPANY_ID, generic_fmt ? "company_id" : "CustomerId", ch->company_id);
    NEED(C_COMPANY_NAME, generic_fmt ? "company_name" : "CustomerName", L.company_name);
    NEED(C_SUB_ID, generic_fmt ? "subscription_id" : "SubscriptionId", ch->subscription_id);
    NEED(C_PRODUCT, generic_fmt ? "product_name" : "ProductName", ch->description);
#undef NEED
    trim_copy(v, sizeof v, get(p, C_SUB_NAME));
    if (put(p, L.subscription_name, sizeof L.subscription_name, *v ? v : ch->description,
            "the subscription name") < 0)
        return -1;
    trim_copy(v, sizeof v, get(p, C_RESOURCE_ID));
    if (put(p, ch->resource_id, sizeof ch->resource_id, *v ? v : ch->subscription_id,
            "resource_id") < 0)
        return -1;
    trim_copy(v, sizeof v, get(p, C_SKU));
    char sku2[64];
    trim_copy(sku2, sizeof sku2, get(p, C_SKU2));
    if (*sku2 && strlen(v) + strlen(sku2) + 1 < sizeof v) {
        size_t k = strlen(v);
        v[k] = ':';
        memcpy(v + k + 1, sku2, strlen(sku2) + 1);
    }
    if (put(p, ch->sku, sizeof ch->sku, v, "the SKU") < 0)
        return -1;

    /* quantity */
    trim_copy(v, 64, get(p, C_QTY));
    if (!*v && !generic_fmt)
        trim_copy(v, 64, get(p, C_QTY2));
    if (qty_parse(v, &ch->quantity) < 0) {
        failf(p, "the quantity '%s' is not a number%s", v, "");
        return -1;
    }
    /* money: what the MSP pays per unit, the list price, the line's amount */
    if (generic_fmt) {
        if (money_field(p, C_UNIT_COST, "unit_cost", &ch->unit_cost, 1) < 0 ||
            money_field(p, C_UNIT_PRICE, "unit_price", &ch->unit_price, 0) < 0 ||
            money_field(p, C_EXT_COST, "extended_cost", &ch->extended_cost, 0) < 0)
            return -1;
    } else {
        enum col cost = *get(p, C_UNIT_COST) ? C_UNIT_COST : C_COST2;
        if (money_field(p, cost, cost == C_UNIT_COST ? "EffectiveUnitPrice" : "UnitPrice",
                        &ch->unit_cost, 1) < 0 ||
            money_field(p, C_COST2, "UnitPrice", &ch->unit_price, 0) < 0 ||
            money_field(p, C_EXT_COST, "Subtotal", &ch->extended_cost, 1) < 0)
            return -1;
    }
    trim_copy(v, 8, get(p, C_CURRENCY));
    if (*v && (strlen(v) != 3 || !isalpha((unsigned char)v[0]))) {
        failf(p, "the currency '%s' is not a 3-letter code%s", v, "");
        return -1;
    }
    for (int i = 0; v[i]; i++)
        v[i] = (char)toupper((unsigned char)v[i]);
    memcpy(ch->currency, *v ? v : "USD", 4);      /* checked above: 3 letters and a NUL */

    /* dates */
    static const struct {
        enum col c;
        const char *generic, *ms;
        int required;
    } dates[] = {{C_START, "period_start", "ChargeStartDate", 1},
                 {C_END, "period_end", "ChargeEndDate", 1},
                 {C_EFFECTIVE, "effective_date", "OrderDate", 0}};
    cdate_t *dst[] = {&ch->period_start, &ch->period_end, &ch->effective};
    for (int i = 0; i < 3; i++) {
        trim_copy(v, 64, get(p, dates[i].c));
        if (!*v && !dates[i].required)
            continue;
        if (parse_date(v, dst[i]) < 0) {
            failf(p, "%s '%s' is not a date like 2026-11-01", generic_fmt ? dates[i].generic : dates[i].ms, v);
            return -1;
        }
    }
    if (cdate_cmp(ch->period_end, ch->period_start) < 0) {
        failf(p, "the period ends before it starts%s%s", "", "");
        return -1;
    }
    if (!cdate_valid(ch->effective))
        ch->effective = ch->period_start;

    /* kind of charge, cycle and term */
    int ok = 1;
    trim_copy(v, 64, get(p, C_CHARGE_TYPE));
    if (generic_fmt) {
        static const char *const types[] = {"recurring", "one_time", "usage", "proration", "refund"};
        ch->type = (enum src_charge_type)generic_enum(v, types, 5, SRC_CHARGE_RECURRING, &ok);
    } else {
        ch->type = ms_charge_type(v, &ok);
    }
    if (!ok) {
        failf(p, "the charge type '%s' is not known%s", v, "");
        return -1;
    }
    static const char *const cycles[] = {"monthly", "annual", "one_time", "usage"};
    if (generic_fmt) {
        trim_copy(v, 64, get(p, C_CYCLE));
        L.billing_cycle = (enum src_cycle)generic_enum(v, cycles, 4, SRC_MONTHLY, &ok);
        if (!ok) {
            failf(p, "billing_cycle '%s' must be monthly, annual, one_time or usage%s", v, "");
            return -1;
        }
        trim_copy(v, 16, get(p, C_TERM));
        char *end;
        long t = *v ? strtol(v, &end, 10) : 0;
        if (*v && (*end || t < 0 || t > 120)) {
            failf(p, "term_months '%s' is not a number of months%s", v, "");
            return -1;
        }
        ch->term_months = (int)t;
    } else {
        trim_copy(v, 64, get(p, C_FREQUENCY));
        L.billing_cycle = !strcasecmp(v, "Annual") || !strcasecmp(v, "Yearly") ? SRC_ANNUAL
                          : !strcasecmp(v, "OneTime") ? SRC_ONE_TIME : SRC_MONTHLY;
        trim_copy(v, sizeof v, get(p, C_TERM));
        ch->term_months = strcasestr(v, "three-year") || strcasestr(v, "3-year") ? 36
                          : strcasestr(v, "one-year") || strcasestr(v, "1-year") ? 12
                          : strcasestr(v, "month") ? 1 : 0;
        if (ch->type == SRC_CHARGE_RECURRING && L.billing_cycle == SRC_ANNUAL)
            ch->type = SRC_CHARGE_ONE_TIME;     /* an annual up-front charge */
    }
    ch->frequency = L.billing_cycle;

    /* a stable id for the line: the file's own, or a hash of what identifies it */
    trim_copy(v, sizeof v, get(p, C_LINE_ID));
    if (generic_fmt && *v) {
        if (put(p, ch->id, sizeof ch->id, v, "line_id") < 0)
            return -1;
    } else {
        uint64_t h = 1469598103934665603ULL;
        h = fnv(h, get(p, C_INVOICE));
        h = fnv(h, get(p, C_ORDER));
        h = fnv(h, get(p, C_LINE_ID));
        h = fnv(h, ch->company_id);
        h = fnv(h, ch->subscription_id);
        h = fnv(h, ch->resource_id);
        h = fnv(h, get(p, C_CHARGE_TYPE));
        h = fnv(h, get(p, C_START));
        h = fnv(h, get(p, C_END));
        h = fnv(h, get(p, C_QTY));
        h = fnv(h, get(p, C_EXT_COST));
        snprintf(ch->id, sizeof ch->id, "%s%016llx", generic_fmt ? "csv-" : "ms-", (unsigned long long)h);
    }
    if (p->fn(p->ctx, &L, p->row) != 0) {
        recon_fail(p, "stopped");
        return -1;
    }
    p->accepted++;
    return 0;
}

static void on_field(void *data, size_t len, void *vp)
{
    struct recon_parser *p = vp;
    if (p->failed)
        return;
    if (p->nfields >= MAX_COLS) {
        failf(p, "more than %s columns%s", "128", "");
        return;
    }
    if (len >= MAX_FIELD) {
        p->row++;
        failf(p, "a field is longer than %s characters%s", "4096", "");
        return;
    }
    char *f = malloc(len + 1);
    if (!f) {
        recon_fail(p, "out of memory");
        return;
    }
    memcpy(f, data ? data : "", len);
    f[len] = 0;
    p->field[p->nfields++] = f;
}

static void clear_fields(struct recon_parser *p)
{
    for (int i = 0; i < p->nfields; i++)
        free(p->field[i]);
    p->nfields = 0;
}

static void on_row(int term, void *vp)
{
    (void)term;
    struct recon_parser *p = vp;
    p->row++;
    if (!p->failed) {
        int blank = p->nfields == 0 || (p->nfields == 1 && !p->field[0][0]);
        if (!p->header_done)
            header(p);
        else if (!blank)
            row(p);
    }
    clear_fields(p);
}

struct recon_parser *recon_new(enum recon_format format, recon_line_fn fn, void *ctx)
{
    struct recon_parser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->format = format;
    p->fn = fn;
    p->ctx = ctx;
    if (csv_init(&p->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

int recon_feed(struct recon_parser *p, const char *buf, size_t len)
{
    if (p->failed)
        return -1;
    if (csv_parse(&p->csv, buf, len, on_field, on_row, p) != len && !p->failed) {
        char msg[200];
        snprintf(msg, sizeof msg, "row %ld: %s", p->row + 1, csv_strerror(csv_error(&p->csv)));
        recon_fail(p, msg);
    }
    return p->failed ? -1 : 0;
}

int recon_finish(struct recon_parser *p)
{
    if (!p->failed && csv_fini(&p->csv, on_field, on_row, p) != 0 && !p->failed) {
        char msg[200];
        snprintf(msg, sizeof msg, "row %ld: %s (an unclosed quote?)", p->row + 1,
                 csv_strerror(csv_error(&p->csv)));
        recon_fail(p, msg);
    }
    if (!p->failed && !p->header_done)
        recon_fail(p, "the file is empty: no header row");
    return p->failed ? -1 : 0;
}

const char *recon_error(const struct recon_parser *p) { return p->error; }
long recon_rows(const struct recon_parser *p) { return p->accepted; }

void recon_free(struct recon_parser *p)
{
    if (!p)
        return;
    clear_fields(p);
    csv_free(&p->csv);
    free(p);
}
