/* fuzz_jsonx.c: a response body as every connector reads it: jsonx_parse, then the typed
 * getters over paths the connectors use, on the document and on each member of its first
 * array (a page of records). Input: the body. */
#include "fuzz.h"
#include "net/jsonx.h"

#include <stdint.h>

static const char *const paths[] = {
    "id", "items", "items.0.id", "pageDetails.nextPageUrl", "data.0.quantity", "quantity",
    "unitPrice", "unitCost", "startDate", "endDate", "effectiveDate", "billableQuantity",
    "errors.0", "paging.totalRecords", "subTotal", "a.b", "0", "continuationToken"};

static void read_all(const json_t *o)
{
    int64_t i;
    int b;
    money_t m;
    qty_t q;
    cdate_t d;
    for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
        (void)jsonx_get(o, paths[k]);
        (void)jsonx_str(o, paths[k]);
        jsonx_int(o, paths[k], &i);
        jsonx_bool(o, paths[k], &b);
        jsonx_money(o, paths[k], &m);
        jsonx_qty(o, paths[k], &q);
        jsonx_date(o, paths[k], &d);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = NULL;
    char err[200];
    if (jsonx_parse((const char *)data, size, &doc, err, sizeof err) < 0)
        return 0;
    read_all(doc);
    const char *key;
    json_t *v;
    if (json_is_object(doc))
        json_object_foreach(doc, key, v) {
            if (json_is_array(v)) {
                size_t idx;
                json_t *item;
                json_array_foreach(v, idx, item) read_all(item);
                break;
            }
        }
    json_decref(doc);
    return 0;
}
