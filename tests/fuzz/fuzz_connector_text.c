/* fuzz_connector_text.c: the connectors' decoding of what the PSAs and their users hand them:
 * configured addresses (Autotask root and zone URLs, ConnectWise site), error bodies in each
 * PSA's shape, billing-cycle and period labels, ids, charge keys. Input: one byte choosing
 * the decoder, then the text. */
#include "fuzz.h"
#include "connectors/autotask.h"
#include "connectors/connectwise.h"
#include "connectors/psa_util.h"
#include "net/jsonx.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = 0;
    char buf[600];
    int64_t id;
    const char *hint;
    switch (data[0] % 8) {
    case 0:
        at_root_url(s, buf, sizeof buf);
        at_zone_base(s, buf, sizeof buf);
        break;
    case 1:
        cw_base_url(s, buf, sizeof buf);
        break;
    case 2: {
        json_t *doc = NULL;
        char err[100];
        if (jsonx_parse(s, size - 1, &doc, err, sizeof err) == 0) {
            at_errors_text(doc, buf, sizeof buf);
            at_error_kind(500, buf, &hint);
            cw_error_text(doc, buf, sizeof buf);
            cw_error_kind(400, buf, &hint);
            cw_in_effect(doc, (cdate_t){2027, 2, 28});
            int64_t v;
            at_picklist_value(doc, "status", "Active", &v);
            (void)at_picklist_label(doc, "status", 1);
            json_decref(doc);
        }
        break;
    }
    case 3:
        (void)at_period_months(s);
        (void)cw_cycle_months(s);
        (void)at_label_matches(s, "Monthly|Month");
        break;
    case 4:
        psa_parse_id(s, &id);
        break;
    case 5: {
        char marker[200];
        psa_charge_marker(s, marker, sizeof marker);
        (void)psa_has_marker(s, "(billsync key: a:1)");
        break;
    }
    case 6:
        cw_identifier_base(s, buf, sizeof buf);
        break;
    default: {
        struct strbuf out = STRBUF_INIT;
        url_escape(&out, s);
        strbuf_free(&out);
        break;
    }
    }
    free(s);
    return 0;
}
