/* connectwise_create.c: new companies, agreements and catalog items in ConnectWise (the
 * create operations of the connector in connectwise.c). */
#include "connectors/connectwise.h"

#include "connectors/connectwise_api.h"
#include "connectors/psa_util.h"
#include "net/jsonx.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ConnectWise wants an address field on a new company; billsync only knows the name. */
#define CW_ADDRESS_PLACEHOLDER "Address not provided"

struct first_ctx {
    int found;
    int64_t id;
};

static int first_item(void *p, const json_t *item, struct conn_error *err)
{
    (void)err;
    struct first_ctx *f = p;
    f->found = jsonx_int(item, "id", &f->id) == 0;
    return 1;
}

static int ident_item(void *p, const json_t *item, struct conn_error *err)
{
    (void)err;
    char low[64];
    const char *id = jsonx_str(item, "identifier");
    size_t k = 0;
    for (; id && id[k] && k + 1 < sizeof low; k++)
        low[k] = (char)tolower((unsigned char)id[k]);
    low[k] = '\0';
    if (id)
        json_object_set_new((json_t *)p, low, json_true());
    return 0;
}

/* A company identifier (unique, at most 30 characters) not in use yet: Name, Name2, ... */
static int free_identifier(struct cw_session *s, const char *name, char *out, size_t n,
                           struct conn_error *err)
{
    char base[32], cond[64], low[40];
    cw_identifier_base(name, base, sizeof base);
    snprintf(cond, sizeof cond, "identifier like \"%s*\"", base);
    json_t *taken = json_object();
    int rc = cw_list(s, "company/companies", cond, "company", ident_item, taken, err);
    for (int k = 1; rc == 0 && k < 1000; k++) {
        snprintf(out, n, k == 1 ? "%s" : "%s%d", base, k);
        size_t i = 0;
        for (; out[i] && i + 1 < sizeof low; i++)
            low[i] = (char)tolower((unsigned char)out[i]);
        low[i] = '\0';
        if (!json_object_get(taken, low))
            break;
    }
    json_decref(taken);
    return rc;
}

int cw_create_account(const struct conn *c, const char *name, char id[PSA_ID], struct conn_error *err)
{
    id[0] = '\0';
    if (!name || !*name)
        return cw_reject(err, "The new company needs a name.", "");
    struct cw_session s;
    if (cw_open(c, &s, err) < 0)
        return -1;
    char ident[40];
    json_t *doc = NULL;
    int rc = free_identifier(&s, name, ident, sizeof ident, err);
    if (rc == 0) {
        json_t *b = json_object();
        json_object_set_new(b, "identifier", json_string(ident));
        json_object_set_new(b, "name", json_string(name));
        json_object_set_new(b, "addressLine1", json_string(CW_ADDRESS_PLACEHOLDER));
        rc = cw_write(&s, "POST", "company/companies", b, "the new company", &doc, err);
    }
    if (rc == 0)
        psa_json_id(doc, "id", id);
    json_decref(doc);
    cw_close(&s);
    return rc;
}

/* The agreement type for new agreements: the first whose name holds a preferred word, else
 * the first listed (ConnectWise types are tenant-defined). */
static int pick_type(struct cw_session *s, int one_time, int64_t *type, struct conn_error *err)
{
    static const char *const recurring[] = {"Managed", "Cloud", "Recurring", "Subscription", "Monthly"};
    static const char *const once[] = {"One-Time", "One Time", "Annual", "Subscription"};
    const char *const *pref = one_time ? once : recurring;
    size_t npref = one_time ? sizeof once / sizeof once[0] : sizeof recurring / sizeof recurring[0];
    json_t *types = json_array(), *t;
    int rc = cw_list(s, "finance/agreements/types", NULL, "agreement type", cw_collect, types, err);
    size_t i;
    for (size_t p = 0; rc == 0 && p <= npref; p++) {
        json_array_foreach(types, i, t) {
            const char *name = jsonx_str(t, "name");
            if ((p == npref || (name && strcasestr(name, pref[p]))) && jsonx_int(t, "id", type) == 0) {
                json_decref(types);
                return 0;
            }
        }
    }
    json_decref(types);
    if (rc == 0)
        conn_error_set(err, CONN_CONFIG, 0, "ConnectWise has no agreement types.",
                       "Create an agreement type in ConnectWise (Setup Tables > Agreement Type).");
    return -1;
}

static int pick_cycle(struct cw_session *s, int months, int64_t *cycle, struct conn_error *err)
{
    const json_t *cycles = cw_billing_cycles(s, err);
    size_t i;
    json_t *cy;
    if (!cycles)
        return -1;
    json_array_foreach(cycles, i, cy)
        if (cw_cycle_months(jsonx_str(cy, "billingOptions")) == months && jsonx_int(cy, "id", cycle) == 0)
            return 0;
    char msg[160];
    snprintf(msg, sizeof msg, "ConnectWise has no billing cycle of %d month(s)%s.", months,
             months ? "" : " (not recurring)");
    conn_error_set(err, CONN_CONFIG, 0, msg, "Add the billing cycle in ConnectWise (Setup Tables).");
    return -1;
}

static json_t *agreement_body(const struct psa_new_contract *nc, int64_t company, int64_t contact,
                              int64_t type, int64_t cycle)
{
    int once = nc->type == PSA_ONE_TIME;
    json_t *b = json_object();
    json_object_set_new(b, "name", json_string(nc->name ? nc->name : ""));
    json_object_set_new(b, "type", cw_ref(type));
    json_object_set_new(b, "company", cw_ref(company));
    json_object_set_new(b, "contact", cw_ref(contact));
    json_object_set_new(b, "startDate", cw_date_json(nc->start));
    if (cdate_valid(nc->end))
        json_object_set_new(b, "endDate", cw_date_json(nc->end));
    else
        json_object_set_new(b, "noEndingDateFlag", json_true());
    json_object_set_new(b, "billingCycle", cw_ref(cycle));
    json_object_set_new(b, "billStartDate", cw_date_json(nc->start));
    /* Recurring agreements prorate mid-period additions, as billsync's changes expect. */
    json_object_set_new(b, "prorateFlag", json_boolean(!once));
    json_object_set_new(b, "invoiceProratedAdditionsFlag", json_boolean(!once));
    if (once) {
        json_object_set_new(b, "oneTimeFlag", json_true());
        json_object_set_new(b, "billOneTimeFlag", json_true());
    }
    return b;
}

static int first_contact(struct cw_session *s, int64_t company, int64_t *contact, struct conn_error *err)
{
    char cond[64];
    struct first_ctx f = {0};
    snprintf(cond, sizeof cond, "company/id = %lld", (long long)company);
    if (cw_list(s, "company/contacts", cond, "contact", first_item, &f, err) < 0)
        return -1;
    *contact = f.id;
    if (f.found)
        return 0;
    /* An agreement needs a contact (doc/psa-apis.md B8); a company billsync just created has
     * none: it gets a "Billing Contact" the MSP can rename. */
    json_t *b = json_object(), *doc = NULL;
    json_object_set_new(b, "firstName", json_string("Billing"));
    json_object_set_new(b, "lastName", json_string("Contact"));
    json_object_set_new(b, "company", cw_ref(company));
    int rc = cw_write(s, "POST", "company/contacts", b, "the company's billing contact", &doc, err);
    if (rc == 0 && jsonx_int(doc, "id", contact) < 0)
        rc = cw_reject(err, "ConnectWise created the company's contact but answered no id.", "");
    json_decref(doc);
    return rc;
}

int cw_create_contract(const struct conn *c, const struct psa_new_contract *nc, char id[PSA_ID],
                              struct conn_error *err)
{
    int64_t company, contact, type, cycle;
    id[0] = '\0';
    if (cw_id_arg(nc->account_id, "company", &company, err) < 0)
        return -1;
    if (nc->type == PSA_OTHER)
        return cw_reject(err, "billsync creates recurring and one-time agreements only.", "");
    if (!cdate_valid(nc->start) || (cdate_valid(nc->end) && cdate_cmp(nc->end, nc->start) < 0))
        return cw_reject(err, "The agreement needs a start date, and an end date (if any) after it.", "");
    int once = nc->type == PSA_ONE_TIME || nc->cycle_months == 0;
    struct cw_session s;
    if (cw_open(c, &s, err) < 0)
        return -1;
    json_t *doc = NULL;
    int rc = first_contact(&s, company, &contact, err);
    if (rc == 0)
        rc = pick_type(&s, once, &type, err);
    if (rc == 0)
        rc = pick_cycle(&s, once ? 0 : nc->cycle_months, &cycle, err);
    if (rc == 0)
        rc = cw_write(&s, "POST", "finance/agreements", agreement_body(nc, company, contact, type, cycle),
                      "the new agreement", &doc, err);
    if (rc == 0)
        psa_json_id(doc, "id", id);
    json_decref(doc);
    cw_close(&s);
    return rc;
}

/* Subcategory and type for a new catalog item, copied from an existing non-bundle item
 * (both are tenant-defined and required). */
struct template_ctx {
    int64_t subcategory, type;
    int found;
};

static int template_item(void *p, const json_t *item, struct conn_error *err)
{
    (void)err;
    struct template_ctx *t = p;
    const char *cls = jsonx_str(item, "productClass");
    if ((cls && strcasecmp(cls, "Bundle") == 0) || jsonx_int(item, "subcategory.id", &t->subcategory) < 0 ||
        jsonx_int(item, "type.id", &t->type) < 0)
        return 0;
    t->found = 1;
    return 1;
}

static json_t *catalog_body(const struct psa_new_service *ns, const char *ident, const struct template_ctx *t)
{
    json_t *b = json_object(), *sub = cw_ref(t->subcategory), *type = cw_ref(t->type);
    json_object_set_new(b, "identifier", json_string(ident));
    json_object_set_new(b, "description", json_string(ns->name));
    json_object_set_new(b, "customerDescription",
                        json_string(ns->description && *ns->description ? ns->description : ns->name));
    json_object_set_new(b, "subcategory", sub);
    json_object_set_new(b, "type", type);
    json_object_set_new(b, "price", psa_json_money(ns->unit_price));
    json_object_set_new(b, "cost", psa_json_money(ns->unit_cost));
    json_object_set_new(b, "recurringFlag", json_true());
    json_object_set_new(b, "recurringRevenue", psa_json_money(ns->unit_price));
    json_object_set_new(b, "recurringCost", psa_json_money(ns->unit_cost));
    return b;
}

int cw_create_service(const struct conn *c, const struct psa_new_service *ns, char id[PSA_ID],
                             struct conn_error *err)
{
    id[0] = '\0';
    if (!ns->name || !*ns->name)
        return cw_reject(err, "The new catalog item needs a name.", "");
    char ident[64];
    if (ns->sku && *ns->sku)
        snprintf(ident, sizeof ident, "%s", ns->sku);
    else
        cw_identifier_base(ns->name, ident, sizeof ident);
    struct cw_session s;
    if (cw_open(c, &s, err) < 0)
        return -1;
    struct template_ctx t = {0};
    json_t *doc = NULL;
    int rc = cw_list(&s, "procurement/catalog", NULL, "catalog item", template_item, &t, err);
    if (rc == 0 && !t.found) {
        conn_error_set(err, CONN_CONFIG, 0, "ConnectWise's catalog has no item to copy a subcategory "
                       "and type from.", "Create one catalog item in ConnectWise first.");
        rc = -1;
    }
    if (rc == 0)
        rc = cw_write(&s, "POST", "procurement/catalog", catalog_body(ns, ident, &t), "the new catalog item",
                      &doc, err);
    if (rc == 0)
        psa_json_id(doc, "id", id);
    json_decref(doc);
    cw_close(&s);
    return rc;
}
