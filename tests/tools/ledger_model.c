/* ledger_model.c: the product's service planning (core/service_plan.c, core/planner.c) behind a
 * JSON-lines pipe, for the ledger's model-based test (tests/model/). One request per line on
 * stdin, one answer per line on stdout; quantities are whole units, dates YYYY-MM-DD.
 *
 *   {"op":"read_on","today":D,"posts":[[D,units],...],"one_per_day":1}
 *       -> {"read_on":D}
 *   {"op":"plan","today":D,"links":[[units,gone],...],"posts":[[D,units],...],"one_per_day":1,
 *    "psa_units":N,"decrease":"next_period|immediate","drift":"flag|overwrite",
 *    "approval":"auto|require","contract_start":D,"contract_end":D|null,"cycle_months":1|12}
 *       -> {"action":"nothing|post|drift|fail","change":N,"effective":D,"needs_approval":0|1,
 *           "reason":"..."}
 *   anything invalid -> {"error":"..."}
 * posts are billsync's verified changes of the service, newest first (as the ledger lists them). */
#include "core/service_plan.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int date_of(json_t *v, cdate_t *d)
{
    return json_is_string(v) && cdate_parse(json_string_value(v), d) == 0 ? 0 : -1;
}

static int posts_of(json_t *req, struct service_post *posts, int *n)
{
    json_t *arr = json_object_get(req, "posts"), *p;
    size_t i;
    *n = 0;
    if (arr == NULL)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > SERVICE_POSTS_MAX)
        return -1;
    json_array_foreach(arr, i, p) {
        if (date_of(json_array_get(p, 0), &posts[i].effective) < 0 || !json_is_integer(json_array_get(p, 1)))
            return -1;
        posts[i].desired = (qty_t)json_integer_value(json_array_get(p, 1)) * QTY_SCALE;
        (*n)++;
    }
    return 0;
}

static void answer(json_t *out)
{
    char *s = json_dumps(out, JSON_COMPACT);
    printf("%s\n", s ? s : "{\"error\":\"out of memory\"}");
    fflush(stdout);
    free(s);
    json_decref(out);
}

static json_t *fail(const char *why)
{
    return json_pack("{s:s}", "error", why);
}

static json_t *handle(json_t *req)
{
    struct service_post posts[SERVICE_POSTS_MAX];
    struct service_state st;
    memset(&st, 0, sizeof st);
    st.posts = posts;
    const char *op = json_string_value(json_object_get(req, "op"));
    if (!op || date_of(json_object_get(req, "today"), &st.today) < 0 || posts_of(req, posts, &st.nposts) < 0)
        return fail("op, today and posts are required");
    st.one_change_per_day = json_is_true(json_object_get(req, "one_per_day"));
    char day[CDATE_FMT_LEN];
    if (!strcmp(op, "read_on")) {
        cdate_format(service_read_on(&st), day, sizeof day);
        return json_pack("{s:s}", "read_on", day);
    }
    if (strcmp(op, "plan"))
        return fail("unknown op");
    json_t *links = json_object_get(req, "links"), *l;
    size_t nl = json_array_size(links), i;
    if (nl == 0 || nl > 64)
        return fail("links: 1 to 64");
    qty_t q[64];
    int gone[64];
    json_array_foreach(links, i, l) {
        q[i] = (qty_t)json_integer_value(json_array_get(l, 0)) * QTY_SCALE;
        gone[i] = json_is_true(json_array_get(l, 1));
    }
    if (service_desired(q, gone, (int)nl, &st.desired) < 0)
        return fail("a link quantity is negative");
    const char *dec = json_string_value(json_object_get(req, "decrease"));
    const char *drift = json_string_value(json_object_get(req, "drift"));
    const char *appr = json_string_value(json_object_get(req, "approval"));
    struct planner_input in;
    memset(&in, 0, sizeof in);
    in.decrease = dec && !strcmp(dec, "immediate") ? PLANNER_DECREASE_IMMEDIATE : PLANNER_DECREASE_NEXT_PERIOD;
    in.drift = drift && !strcmp(drift, "overwrite") ? PLANNER_DRIFT_OVERWRITE : PLANNER_DRIFT_FLAG;
    in.approval = appr && !strcmp(appr, "require") ? PLANNER_APPROVAL_REQUIRE : PLANNER_APPROVAL_AUTO;
    in.cycle_months = (int)json_integer_value(json_object_get(req, "cycle_months"));
    in.unit_price = 12 * MONEY_SCALE;
    if (date_of(json_object_get(req, "contract_start"), &in.contract_start) < 0)
        return fail("contract_start is required");
    json_t *end = json_object_get(req, "contract_end");
    if (end && !json_is_null(end) && date_of(end, &in.contract_end) < 0)
        return fail("contract_end: a date or null");
    qty_t psa = (qty_t)json_integer_value(json_object_get(req, "psa_units")) * QTY_SCALE;
    struct planner_output out;
    if (service_plan(&st, psa, &in, &out) < 0)
        return fail("the planner refused the input");
    static const char *const actions[] = {"nothing", "post", "drift", "fail"};
    cdate_format(out.effective, day, sizeof day);
    return json_pack("{s:s, s:I, s:s, s:i, s:s}", "action", actions[out.action], "change",
                     (json_int_t)(out.unit_change / QTY_SCALE), "effective", day, "needs_approval",
                     out.needs_approval, "reason", out.reason);
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0) {
        json_error_t e;
        json_t *req = json_loads(line, 0, &e);
        answer(req ? handle(req) : fail(e.text));
        json_decref(req);
    }
    free(line);
    return 0;
}
