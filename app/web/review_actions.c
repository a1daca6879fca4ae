/* review_actions.c: what a billing user does on /review/YYYY-MM (see review_grid.h): retrieve
 * the month's lines (a worker job), update a line's quantity through the adjustment ledger,
 * link or create its missing PSA records, approve or ignore lines with a note, and Apply the
 * approved quantity updates (once: the ledger's idempotency key and target state). Every
 * action is audited and answers with a flash message and a redirect to the review. */
#include "web/review_grid.h"

#include "core/prorate.h"
#include "db/accounts.h"
#include "db/jobs.h"
#include "db/ledger.h"
#include "web/auth.h"
#include "web/mapping.h"
#include "web/mapping_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_MAX 500
#define MAX_PICKS 500

/* Plans the line's quantity in the ledger (origin review). state NULL: the tenant's approval
 * policy decides. Returns 1 planned (or revived), 0 nothing to do, -1 error; msg says it. */
static int plan_line(struct web *w, const struct review_month *m, long long review_id, const struct dbrows *r, int i,
                     const struct review_line *L, const char *state, long long *adj, char *msg, size_t n)
{
    *adj = 0;
    if (!L->link_id || !L->recurring) {
        snprintf(msg, n, "Only a linked recurring line's quantity can be updated.");
        return 0;
    }
    const char *contract = dbrows_get(r, i, RL_LINK_CONTRACT), *service = dbrows_get(r, i, RL_LINK_SERVICE);
    long long tenant = w->sess->tenant_id;
    struct tenant_policy pol;
    policy_get(w->db, tenant, &pol);
    cdate_t today = web_today(w), eff = today, start, end;
    int live = 0;
    qty_t before = mapping_psa_units(w, L->psa_conn, contract, service, today, &live);
    /* Increases from today; decreases from the next billing period unless immediate credits. */
    if (L->qty < before && strcmp(pol.decrease_mode, "immediate"))
        cdate_first_of_next_month(today, &eff);
    /* One change per service and day (Autotask): after one on this date, the next day. */
    char last[11];
    cdate_t lastd;
    if (review_link_last_effective(w->db, tenant, L->link_id, last) == 0 && last[0] &&
        cdate_parse(last, &lastd) == 0 && cdate_cmp(lastd, eff) >= 0)
        cdate_add_days(lastd, 1, &eff);
    if (cdate_cmp(eff, today) != 0)
        before = mapping_psa_units(w, L->psa_conn, contract, service, eff, &live);
    char qd[MONEY_FMT_MAX], qb[MONEY_FMT_MAX], date[11];
    qty_format(L->qty, qd, sizeof qd);
    qty_format(before, qb, sizeof qb);
    cdate_format(eff, date, sizeof date);
    if (L->qty == before) {
        snprintf(msg, n, "The PSA already has %s on %s: nothing to change.", qb, date);
        return 0;
    }
    money_t price = dbrows_int(r, i, RL_PSA_PRICE, 0), amount = 0;
    if (!price)
        price = dbrows_int(r, i, RL_UNIT_PRICE, 0);
    cdate_first_of_month(eff, &start);
    cdate_last_of_month(eff, &end);
    prorate_amount(price, L->qty - before, eff, start, end, &amount);
    if (!state)
        state = strcmp(pol.approval, "require") ? "queued" : "awaiting_approval";
    struct plan p = {tenant, L->link_id, "review", L->conn, dbrows_get(r, i, RL_RES_SRC), L->psa_conn, contract,
                     service, L->qty, before, eff, price, amount, state, NULL, {0, 0, 0}};
    int rc = ledger_plan(w->db, &p, adj);
    if (rc < 0) {
        snprintf(msg, n, "The change could not be saved; try again.");
        return -1;
    }
    if (*adj) {
        review_line_adjustment(w->db, tenant, review_id, L->conn, dbrows_get(r, i, RL_LINE_ID), *adj);
        review_line_status(w->db, tenant, review_id, L->conn, dbrows_get(r, i, RL_LINE_ID),
                           review_status_name(L->status));
        ledger_supersede(w->db, tenant, L->link_id, *adj);
    }
    char subject[200];
    snprintf(subject, sizeof subject, "%s %s", m->ym, L->key);
    char detail[200];
    snprintf(detail, sizeof detail, "%s -> %s from %s (%s)", qb, qd, date, state);
    auth_audit(w, 0, 0, NULL, "review.quantity_planned", subject, detail);
    snprintf(msg, n, "%s: %s → %s from %s (%s).", L->cell[RC_PRODUCT], qb, qd, date, review_result_label(state));
    return rc;
}

/* The line named by key "<connection>:<line id>", classified; 1 found. */
static int load_line(struct web *w, long long psa_conn, const struct review_month *m, long long review_id, const char *key,
                     int suggest, struct dbrows *r, struct review_line *L)
{
    char *end;
    long long conn = key ? strtoll(key, &end, 10) : 0;
    if (!key || conn <= 0 || *end != ':' || strlen(end + 1) > 120)
        return 0;
    int found = review_line(w->db, w->sess->tenant_id, m->first, review_id, conn, end + 1, r);
    if (found != 1) {
        if (found == 0)
            dbrows_free(r);
        return 0;
    }
    review_classify(w, psa_conn, r, 0, suggest, L);
    return 1;
}

/* Every "pick" of the form, or the single "line". */
static int picks(struct web *w, const char **keys, int max)
{
    int n = 0;
    for (int k = 0; k < w->req.form.n && n < max; k++)
        if (!strcmp(w->req.form.items[k].key, "pick") || !strcmp(w->req.form.items[k].key, "line"))
            keys[n++] = w->req.form.items[k].val;
    return n;
}

static void link_or_create(struct web *w, long long psa_conn, const struct dbrows *r, const struct review_line *L,
                           int create, char *msg, size_t n)
{
    static const int row_col[] = {RL_COMPANY_ROW, RL_SUB_ROW, RL_RES_ROW};
    int level = create ? L->create_level : L->link_level;
    if (!psa_conn || level < 0) {
        snprintf(msg, n, "Nothing to %s for this line.", create ? "create" : "link");
        return;
    }
    size_t used = 0;
    for (int lv = level; lv < 3; lv++) {
        char one[800];
        long long row = dbrows_int(r, 0, row_col[lv], 0);
        int rc;
        if (create)
            rc = mapping_create(w, psa_conn, lv, row, one, sizeof one);
        else if (L->sug[lv].id[0])
            rc = mapping_set_one(w, psa_conn, lv, row, L->sug[lv].id, one, sizeof one);
        else
            break;
        int k = snprintf(msg + used, n - used, "%s%s", used ? " " : "", one);
        if (k > 0)
            used += (size_t)k < n - used ? (size_t)k : n - used - 1;
        if (rc < 0 || !create)
            break;                /* linking: one level at a time (the next suggestion depends on it) */
    }
}

/* Apply: the approved lines' quantity updates go to the ledger (approved, or planned now),
 * and their annual or usage charges are created by a worker job; what is in the PSA already
 * is counted, never sent again. -1 when the review cannot be read. */
static int apply(struct web *w, long long psa_conn, const struct review_month *m, long long review_id, char *msg,
                 size_t n)
{
    long long tenant = w->sess->tenant_id;
    struct dbrows r;
    if (review_lines(w->db, tenant, m->first, review_id, 0, 0, &r) < 0)
        return -1;
    int sent = 0, already = 0, failed = 0, approved = 0, charges = 0;
    for (int i = 0; i < r.nrows; i++) {
        if (strcmp(dbrows_get(&r, i, RL_DECISION), "approve"))
            continue;
        approved++;
        struct review_line L;
        review_classify(w, psa_conn, &r, i, 0, &L);
        long long adj = dbrows_int(&r, i, RL_ADJ_ID, 0);
        const char *st = dbrows_get(&r, i, RL_ADJ_STATE);
        if (L.charge) {
            if (L.charge_posted)
                already++;
            else
                charges++;
        } else if (adj && !strcmp(st, "awaiting_approval")) {
            if (ledger_approve(w->db, tenant, adj, w->sess->user_id) == 1)
                sent++;
        } else if (adj && strcmp(st, "superseded") && strcmp(st, "rejected")) {
            already++;            /* queued, posted, verified or failed (retried by itself) */
        } else if (L.can_update) {
            char one[300];
            int rc = plan_line(w, m, review_id, &r, i, &L, "queued", &adj, one, sizeof one);
            if (rc > 0)
                sent++;
            else if (rc < 0)
                failed++;
            else
                already++;
        }
    }
    dbrows_free(&r);
    if (sent)
        jobs_enqueue(w->db, tenant, "post", NULL, NULL, 0, NULL);
    if (charges) {
        char payload[40], key[80];
        snprintf(payload, sizeof payload, "{\"month\":\"%s\"}", m->ym);
        snprintf(key, sizeof key, "review_charges:%lld:%s", tenant, m->ym);
        if (jobs_enqueue(w->db, tenant, "review_charges", payload, key, 0, NULL) < 0)
            failed++;
    }
    if (approved)
        review_set_status(w->db, tenant, review_id, "applied", w->sess->user_id);
    char detail[160];
    snprintf(detail, sizeof detail, "%d sent, %d charges, %d already applied, %d failed", sent, charges, already,
             failed);
    auth_audit(w, 0, 0, NULL, "review.applied", m->ym, detail);
    if (!approved) {
        snprintf(msg, n, "Approve lines first: Apply sends the approved lines' quantity updates and charges.");
        return 0;
    }
    char extra[80] = "";
    if (charges)
        snprintf(extra, sizeof extra, "; %d annual or usage charge%s being created", charges, charges == 1 ? "" : "s");
    snprintf(msg, n, "Applied: %d quantity update%s sent to the PSA, %d already applied%s%s.", sent,
             sent == 1 ? "" : "s", already, extra, failed ? " (some could not be planned; try again)" : "");
    return 0;
}

void review_act(struct web *w, long long psa_conn, const struct review_month *m)
{
    const char *action = req_form(&w->req, "action");
    long long tenant = w->sess->tenant_id, review_id = 0;
    if (!action) {
        web_error(w, 400, "Choose an action.");
        return;
    }
    if (review_open(w->db, tenant, m->first, w->sess->user_id, &review_id) < 0) {
        web_error(w, 503, "The review could not be saved. Try again in a minute.");
        return;
    }
    char msg[1200] = "";
    if (!strcmp(action, "retrieve")) {
        char payload[40], key[80];
        snprintf(payload, sizeof payload, "{\"month\":\"%s\"}", m->ym);
        snprintf(key, sizeof key, "pull_charges:%lld:%s", tenant, m->ym);
        if (review_pull_mark(w->db, tenant, m->first, "queued", "Waiting for a worker.") < 0 ||
            jobs_enqueue(w->db, tenant, "pull_charges", payload, key, 0, NULL) < 0)
            snprintf(msg, sizeof msg, "The retrieval could not be queued; try again.");
        else
            snprintf(msg, sizeof msg, "Retrieving the billing lines of %s from your distributors.", m->ym);
        auth_audit(w, 0, 0, NULL, "review.retrieve", m->ym, NULL);
    } else if (!strcmp(action, "update") || !strcmp(action, "link") || !strcmp(action, "create")) {
        struct dbrows r;
        struct review_line L;
        int suggest = strcmp(action, "update") != 0;
        if (!load_line(w, psa_conn, m, review_id, req_form(&w->req, "line"), suggest, &r, &L)) {
            web_error(w, 400, "That billing line is not in this month's review.");
            return;
        }
        if (!strcmp(action, "update")) {
            long long adj = 0;
            if (!L.can_update)
                snprintf(msg, sizeof msg, "This line's quantity needs no update.");
            else if (plan_line(w, m, review_id, &r, 0, &L, NULL, &adj, msg, sizeof msg) > 0) {
                char st[24];
                review_adjustment_state(w->db, tenant, adj, st);
                if (!strcmp(st, "queued"))
                    jobs_enqueue(w->db, tenant, "post", NULL, NULL, 0, NULL);
            }
        } else {
            link_or_create(w, psa_conn, &r, &L, !strcmp(action, "create"), msg, sizeof msg);
        }
        dbrows_free(&r);
    } else if (!strcmp(action, "approve") || !strcmp(action, "ignore")) {
        int ignore = !strcmp(action, "ignore");
        const char *note = req_form(&w->req, "note");
        if (!note)
            note = "";
        if (strlen(note) > NOTE_MAX || (ignore && !*note)) {
            web_flash(w, ignore ? "Say why the line is ignored (a note of at most 500 characters). Nothing was changed."
                                : "A note has at most 500 characters. Nothing was changed.");
            web_redirect(w, m->self);
            return;
        }
        const char *keys[MAX_PICKS];
        int nk = picks(w, keys, MAX_PICKS), done = 0;
        for (int k = 0; k < nk; k++) {
            struct dbrows r;
            struct review_line L;
            if (!load_line(w, psa_conn, m, review_id, keys[k], 0, &r, &L))
                continue;
            const char *line_id = dbrows_get(&r, 0, RL_LINE_ID);
            if (review_line_decide(w->db, tenant, review_id, L.conn, line_id, action, note, w->sess->user_id) == 0) {
                review_line_status(w->db, tenant, review_id, L.conn, line_id, review_status_name(L.status));
                long long adj = dbrows_int(&r, 0, RL_ADJ_ID, 0);
                /* ignoring a line withdraws its change still waiting for approval */
                if (ignore && adj && !strcmp(dbrows_get(&r, 0, RL_ADJ_STATE), "awaiting_approval"))
                    ledger_reject(w->db, tenant, adj, w->sess->user_id, note);
                char subject[200];
                snprintf(subject, sizeof subject, "%s %s", m->ym, L.key);
                auth_audit(w, 0, 0, NULL, ignore ? "review.line_ignored" : "review.line_approved", subject,
                           *note ? note : NULL);
                done++;
            }
            dbrows_free(&r);
        }
        if (done && !ignore)
            review_set_status(w->db, tenant, review_id, "approved", w->sess->user_id);
        if (!done)
            snprintf(msg, sizeof msg, "Choose at least one line.");
        else
            snprintf(msg, sizeof msg, ignore ? "Ignored %d line%s." : "Approved %d line%s. Apply sends their quantity "
                                                                      "updates to the PSA.",
                     done, done == 1 ? "" : "s");
    } else if (!strcmp(action, "apply")) {
        if (apply(w, psa_conn, m, review_id, msg, sizeof msg) < 0) {
            web_error(w, 503, "The review could not be read. Try again in a minute.");
            return;
        }
    } else {
        web_error(w, 400, "Unknown action.");
        return;
    }
    web_flash(w, msg);
    web_redirect(w, m->self);
}
