/* ledger.c: the adjustment ledger (see ledger.h). */
#include "db/ledger.h"

#include "db/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ledger_plan(db_t *db, const struct plan *p, long long *id)
{
    qty_t change = p->desired - p->psa_before;
    if (change == 0)
        return 0;
    char key[191], date[11];
    cdate_format(p->effective, date, sizeof date);
    /* The same target from the same PSA state on the same day is the same change. */
    snprintf(key, sizeof key, "%s:%lld:%s:%lld:%lld", p->origin, p->resource_link_id, date, (long long)p->desired,
             (long long)p->psa_before);
    uint64_t affected = 0, nid = 0;
    /* The read behind psa_before, for a first attempt to post from (NULL day: none). */
    char read_on[11] = "";
    if (p->seen && cdate_valid(p->read_on))
        cdate_format(p->read_on, read_on, sizeof read_on);
    const char *line = p->seen ? p->seen->line_id : "";
    long long line_units = p->seen ? p->seen->line_units : 0;
    if (db_exec(db,
                "INSERT IGNORE INTO adjustments (tenant_id, resource_link_id, origin, src_connection_id,"
                " src_resource_id, psa_connection_id, psa_contract_id, psa_service_id, desired_units,"
                " psa_units_before, unit_change, effective_date, unit_price, prorated_amount, state,"
                " idempotency_key, psa_read_on, psa_read_at, psa_line_id, psa_line_units)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''),"
                " IF(? = '', NULL, UTC_TIMESTAMP(6)), ?, ?)",
                DB_PARAMS(DB_INT(p->tenant_id), DB_INT(p->resource_link_id), DB_STR(p->origin),
                          DB_INT(p->src_connection_id), DB_STR(p->src_resource_id),
                          DB_INT(p->psa_connection_id), DB_STR(p->psa_contract_id),
                          DB_STR(p->psa_service_id), DB_INT(p->desired), DB_INT(p->psa_before),
                          DB_INT(change), DB_STR(date), DB_INT(p->unit_price), DB_INT(p->prorated),
                          DB_STR(p->state), DB_STR(key), DB_STR(read_on), DB_STR(read_on), DB_STR(line),
                          DB_INT(line_units)),
                &affected, &nid) < 0)
        return -1;
    if (affected) {
        if (id)
            *id = (long long)nid;
        return 1;
    }
    long long existing = 0;
    db_scalar(db, "SELECT id FROM adjustments WHERE tenant_id = ? AND idempotency_key = ?",
              DB_PARAMS(DB_INT(p->tenant_id), DB_STR(key)), &existing);
    if (id)
        *id = existing;
    /* A plan superseded earlier comes back when the target returns to it. */
    uint64_t revived = 0;
    if (db_exec(db,
                "UPDATE adjustments SET state = ?, updated_at = UTC_TIMESTAMP(6), psa_read_on = NULLIF(?, ''),"
                " psa_read_at = IF(? = '', NULL, UTC_TIMESTAMP(6)), psa_line_id = ?, psa_line_units = ?"
                " WHERE tenant_id = ? AND id = ? AND state = 'superseded'",
                DB_PARAMS(DB_STR(p->state), DB_STR(read_on), DB_STR(read_on), DB_STR(line), DB_INT(line_units),
                          DB_INT(p->tenant_id), DB_INT(existing)), &revived, NULL) < 0)
        return -1;
    return revived ? 1 : 0;
}

int ledger_links(db_t *db, long long tenant_id, struct link_state **out, int *n)
{
    struct dbrows r;
    *out = NULL;
    *n = 0;
    /* Seat links only: annual subscriptions become one-time charges and usage is billed
     * monthly (worker/charges.c), never unit changes. A resource gone from the source (no row)
     * is still planned, to zero. The PSA's own price is the estimate's; the distributor's
     * price never stands in for it (it would be the MSP's cost, not its sell price). Ordered by
     * contract service: the links of one service are planned together. */
    if (db_query(db,
                 "SELECT l.id, l.src_connection_id, l.psa_connection_id, l.src_resource_id, l.psa_contract_id,"
                 " l.psa_service_id, COALESCE(r.quantity, 0), l.last_posted_units IS NOT NULL,"
                 " COALESCE(l.last_posted_units, 0), l.approval, COALESCE(c.start_date, ''),"
                 " COALESCE(c.end_date, ''), COALESCE(c.billing_start, ''), COALESCE(c.cycle_months, 1),"
                 " COALESCE(cs.unit_price, 0), r.id IS NULL OR r.gone = 1,"
                 " cs.id IS NOT NULL, COALESCE(cs.units, 0),"
                 " COALESCE(TIMESTAMPDIFF(SECOND, cs.read_at, UTC_TIMESTAMP(6)), 0),"
                 " c.id IS NOT NULL, COALESCE(c.prorate, 1),"
                 /* billsync's newest verified change and any change still open, from the index
                  * on the service (sql/013 ix_adjustments_service): one dive each */
                 " (SELECT CONCAT(DATE_FORMAT(a.effective_date, '%Y-%m-%d'), ' ', a.desired_units)"
                 "   FROM adjustments a WHERE a.tenant_id = l.tenant_id AND a.psa_connection_id = l.psa_connection_id"
                 "   AND a.psa_contract_id = l.psa_contract_id AND a.psa_service_id = l.psa_service_id"
                 "   AND a.state = 'verified' AND a.kind = 'units' ORDER BY a.effective_date DESC, a.id DESC LIMIT 1),"
                 " EXISTS (SELECT 1 FROM adjustments a WHERE a.tenant_id = l.tenant_id"
                 "   AND a.psa_connection_id = l.psa_connection_id AND a.psa_contract_id = l.psa_contract_id"
                 "   AND a.psa_service_id = l.psa_service_id AND a.kind = 'units'"
                 "   AND a.state IN ('planned', 'awaiting_approval', 'queued', 'failed')),"
                 /* cost and price (sql/018, worker/cost_sync.c) */
                 " COALESCE(r.unit_cost, 0), l.cost_seen IS NOT NULL, COALESCE(l.cost_seen, 0),"
                 " COALESCE(r.unit_price, 0), COALESCE(r.currency, ''), COALESCE(cs.unit_cost, 0),"
                 " COALESCE(c.company_psa_id, '')"
                 " FROM resource_links l"
                 " LEFT JOIN src_resources r ON r.tenant_id = l.tenant_id AND r.connection_id = l.src_connection_id"
                 "  AND r.source_id = l.src_resource_id"
                 " LEFT JOIN psa_contracts c ON c.tenant_id = l.tenant_id AND c.connection_id = l.psa_connection_id"
                 "  AND c.psa_id = l.psa_contract_id"
                 " LEFT JOIN psa_contract_services cs ON cs.tenant_id = l.tenant_id"
                 "  AND cs.connection_id = l.psa_connection_id AND cs.contract_psa_id = l.psa_contract_id"
                 "  AND cs.service_psa_id = l.psa_service_id AND cs.gone = 0"
                 " WHERE l.tenant_id = ? AND l.active_key = 1 AND (r.id IS NULL OR r.billing_cycle = 'monthly')"
                 " ORDER BY l.psa_connection_id, l.psa_contract_id, l.psa_service_id, l.id",
                 DB_PARAMS(DB_INT(tenant_id)), &r) < 0)
        return -1;
    struct link_state *ls = calloc((size_t)(r.nrows ? r.nrows : 1), sizeof *ls);
    if (!ls) {
        dbrows_free(&r);
        return -1;
    }
    for (int i = 0; i < r.nrows; i++) {
        struct link_state *x = &ls[i];
        x->link_id = dbrows_int(&r, i, 0, 0);
        x->src_connection_id = dbrows_int(&r, i, 1, 0);
        x->psa_connection_id = dbrows_int(&r, i, 2, 0);
        snprintf(x->src_resource_id, sizeof x->src_resource_id, "%s", dbrows_get(&r, i, 3));
        snprintf(x->psa_contract_id, sizeof x->psa_contract_id, "%s", dbrows_get(&r, i, 4));
        snprintf(x->psa_service_id, sizeof x->psa_service_id, "%s", dbrows_get(&r, i, 5));
        x->desired = dbrows_int(&r, i, 6, 0);
        x->has_last_posted = (int)dbrows_int(&r, i, 7, 0);
        x->last_posted = dbrows_int(&r, i, 8, 0);
        snprintf(x->approval, sizeof x->approval, "%s", dbrows_get(&r, i, 9));
        snprintf(x->contract_start, sizeof x->contract_start, "%s", dbrows_get(&r, i, 10));
        snprintf(x->contract_end, sizeof x->contract_end, "%s", dbrows_get(&r, i, 11));
        snprintf(x->billing_start, sizeof x->billing_start, "%s", dbrows_get(&r, i, 12));
        x->cycle_months = (int)dbrows_int(&r, i, 13, 1);
        x->unit_price = dbrows_int(&r, i, 14, 0);
        x->source_gone = (int)dbrows_int(&r, i, 15, 0);
        x->cached = (int)dbrows_int(&r, i, 16, 0);
        x->cached_units = dbrows_int(&r, i, 17, 0);
        x->cached_age_s = dbrows_int(&r, i, 18, 0);
        x->terms_known = (int)dbrows_int(&r, i, 19, 0);
        x->prorate = (int)dbrows_int(&r, i, 20, 1);
        long long d = 0;
        const char *last = dbrows_get(&r, i, 21);
        if (last && sscanf(last, "%10s %lld", x->last_post_effective, &d) == 2) {
            x->has_last_post = 1;
            x->last_post_desired = d;
        }
        x->open_change = (int)dbrows_int(&r, i, 22, 0);
        x->src_cost = dbrows_int(&r, i, 23, 0);
        x->has_cost_seen = (int)dbrows_int(&r, i, 24, 0);
        x->cost_seen = dbrows_int(&r, i, 25, 0);
        x->src_srp = dbrows_int(&r, i, 26, 0);
        snprintf(x->currency, sizeof x->currency, "%s", dbrows_get(&r, i, 27));
        x->psa_unit_cost = dbrows_int(&r, i, 28, 0);
        snprintf(x->company_psa_id, sizeof x->company_psa_id, "%s", dbrows_get(&r, i, 29));
    }
    *n = r.nrows;
    *out = ls;
    dbrows_free(&r);
    return 0;
}

int ledger_service_posts(db_t *db, long long tenant_id, long long psa_connection_id, const char *contract_id,
                         const char *service_id, struct service_post *posts, int max, int *n)
{
    struct dbrows r;
    *n = 0;
    if (db_query(db,
                 "SELECT DATE_FORMAT(effective_date, '%Y-%m-%d'), desired_units FROM adjustments"
                 " WHERE tenant_id = ? AND psa_connection_id = ? AND psa_contract_id = ? AND psa_service_id = ?"
                 " AND state = 'verified' AND kind = 'units' ORDER BY effective_date DESC, id DESC LIMIT ?",
                 DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_connection_id), DB_STR(contract_id), DB_STR(service_id),
                           DB_INT(max)),
                 &r) < 0)
        return -1;
    for (int i = 0; i < r.nrows && *n < max; i++) {
        if (cdate_parse(dbrows_get(&r, i, 0), &posts[*n].effective) < 0)
            continue;
        posts[*n].desired = dbrows_int(&r, i, 1, 0);
        (*n)++;
    }
    dbrows_free(&r);
    return 0;
}

int ledger_supersede_service(db_t *db, long long tenant_id, long long psa_connection_id, const char *contract_id,
                             const char *service_id, long long except_id)
{
    return db_exec(db,
                   "UPDATE adjustments SET state = 'superseded', updated_at = UTC_TIMESTAMP(6)"
                   " WHERE tenant_id = ? AND psa_connection_id = ? AND psa_contract_id = ? AND psa_service_id = ?"
                   " AND id <> ? AND kind = 'units' AND state IN ('planned', 'awaiting_approval', 'queued', 'failed')"
                   " AND (lease_until IS NULL OR lease_until < UTC_TIMESTAMP(6))",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(psa_connection_id), DB_STR(contract_id), DB_STR(service_id),
                             DB_INT(except_id)),
                   NULL, NULL);
}

int ledger_supersede(db_t *db, long long tenant_id, long long link_id, long long except_id)
{
    return db_exec(db,
                   "UPDATE adjustments SET state = 'superseded', updated_at = UTC_TIMESTAMP(6)"
                   " WHERE tenant_id = ? AND resource_link_id = ? AND id <> ?"
                   " AND state IN ('planned', 'awaiting_approval', 'queued', 'failed')"
                   " AND (lease_until IS NULL OR lease_until < UTC_TIMESTAMP(6))",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(link_id), DB_INT(except_id)), NULL, NULL);
}

int ledger_note(db_t *db, long long tenant_id, long long id, const char *why)
{
    return db_exec(db, "UPDATE adjustments SET last_error = ? WHERE tenant_id = ? AND id = ?",
                   DB_PARAMS(DB_STR(why), DB_INT(tenant_id), DB_INT(id)), NULL, NULL) < 0 ? -1 : 0;
}

int ledger_plan_failed(db_t *db, const struct plan *p, const char *reason, long long *id)
{
    struct plan q = *p;
    q.state = "failed";
    int rc = ledger_plan(db, &q, id);
    if (rc >= 0 && *id)
        db_exec(db, "UPDATE adjustments SET last_error = ? WHERE tenant_id = ? AND id = ?",
                DB_PARAMS(DB_STR(reason), DB_INT(p->tenant_id), DB_INT(*id)), NULL, NULL);
    return rc;
}

int ledger_due(db_t *db, long long tenant_id, cdate_t today, long long **ids, int *n)
{
    struct dbrows r;
    char day[11];
    cdate_format(today, day, sizeof day);
    *ids = NULL;
    *n = 0;
    if (db_query(db,
                 "SELECT id FROM adjustments WHERE tenant_id = ? AND (state = 'queued'"
                 " OR (state = 'failed' AND next_attempt_at IS NOT NULL AND next_attempt_at <= UTC_TIMESTAMP(6)))"
                 " AND effective_date <= ? ORDER BY id LIMIT 1000",
                 DB_PARAMS(DB_INT(tenant_id), DB_STR(day)), &r) < 0)
        return -1;
    long long *v = calloc((size_t)(r.nrows ? r.nrows : 1), sizeof *v);
    if (!v) {
        dbrows_free(&r);
        return -1;
    }
    for (int i = 0; i < r.nrows; i++)
        v[i] = dbrows_int(&r, i, 0, 0);
    *ids = v;
    *n = r.nrows;
    dbrows_free(&r);
    return 0;
}

int ledger_claim(db_t *db, long long tenant_id, long long id, const char *owner, int lease_s)
{
    uint64_t affected = 0;
    if (db_exec(db,
                "UPDATE adjustments SET lease_owner = ?, lease_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND,"
                " attempts = attempts + 1, updated_at = UTC_TIMESTAMP(6)"
                " WHERE tenant_id = ? AND id = ? AND state IN ('queued', 'failed')"
                " AND (lease_until IS NULL OR lease_until < UTC_TIMESTAMP(6))",
                DB_PARAMS(DB_STR(owner), DB_INT(lease_s), DB_INT(tenant_id), DB_INT(id)), &affected, NULL) < 0)
        return -1;
    return affected == 1;
}

int ledger_get(db_t *db, long long tenant_id, long long id, struct adjustment *a)
{
    struct dbrows r;
    if (db_query(db,
                 "SELECT a.id, a.resource_link_id, a.psa_connection_id, a.psa_contract_id, a.psa_service_id,"
                 " DATE_FORMAT(a.effective_date, '%Y-%m-%d'), a.desired_units, a.unit_change, a.unit_price,"
                 " a.attempts, a.psa_read_on <=> a.effective_date"
                 "  AND a.psa_read_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND,"
                 " a.psa_units_before, a.psa_line_id, a.psa_line_units, c.id IS NOT NULL,"
                 " COALESCE(DATE_FORMAT(c.billing_start, '%Y-%m-%d'), ''), COALESCE(c.prorate, 1),"
                 " COALESCE(c.cycle_months, 1), a.kind = 'cost', COALESCE(a.new_unit_cost, 0),"
                 " a.new_unit_price IS NOT NULL, COALESCE(a.new_unit_price, 0),"
                 /* the service's line as the PSA cache holds it: what a new line bills at */
                 " (SELECT CONCAT(cs.unit_price, ' ', cs.unit_cost) FROM psa_contract_services cs"
                 "   WHERE cs.tenant_id = a.tenant_id AND cs.connection_id = a.psa_connection_id"
                 "   AND cs.contract_psa_id = a.psa_contract_id AND cs.service_psa_id = a.psa_service_id"
                 "   AND cs.gone = 0 ORDER BY cs.read_at DESC, cs.id DESC LIMIT 1)"
                 " FROM adjustments a LEFT JOIN psa_contracts c ON c.tenant_id = a.tenant_id"
                 "  AND c.connection_id = a.psa_connection_id AND c.psa_id = a.psa_contract_id"
                 " WHERE a.tenant_id = ? AND a.id = ?",
                 DB_PARAMS(DB_INT(LEDGER_READ_FRESH_S), DB_INT(tenant_id), DB_INT(id)), &r) < 0)
        return -1;
    int found = r.nrows > 0;
    if (found) {
        memset(a, 0, sizeof *a);
        a->id = dbrows_int(&r, 0, 0, 0);
        a->link_id = dbrows_int(&r, 0, 1, 0);
        a->psa_connection_id = dbrows_int(&r, 0, 2, 0);
        snprintf(a->psa_contract_id, sizeof a->psa_contract_id, "%s", dbrows_get(&r, 0, 3));
        snprintf(a->psa_service_id, sizeof a->psa_service_id, "%s", dbrows_get(&r, 0, 4));
        snprintf(a->effective, sizeof a->effective, "%s", dbrows_get(&r, 0, 5));
        a->desired = dbrows_int(&r, 0, 6, 0);
        a->unit_change = dbrows_int(&r, 0, 7, 0);
        a->unit_price = dbrows_int(&r, 0, 8, 0);
        a->attempts = (int)dbrows_int(&r, 0, 9, 0);
        a->read_fresh = (int)dbrows_int(&r, 0, 10, 0);
        a->seen.units = dbrows_int(&r, 0, 11, 0);
        snprintf(a->seen.line_id, sizeof a->seen.line_id, "%s", dbrows_get(&r, 0, 12));
        a->seen.line_units = dbrows_int(&r, 0, 13, 0);
        a->terms_known = (int)dbrows_int(&r, 0, 14, 0);
        if (cdate_parse(dbrows_get(&r, 0, 15), &a->terms.billing_start) < 0)
            memset(&a->terms.billing_start, 0, sizeof a->terms.billing_start);
        a->terms.prorate = (int)dbrows_int(&r, 0, 16, 1);
        a->terms.cycle_months = (int)dbrows_int(&r, 0, 17, 1);
        a->is_cost = (int)dbrows_int(&r, 0, 18, 0);
        a->new_cost = dbrows_int(&r, 0, 19, 0);
        a->has_new_price = (int)dbrows_int(&r, 0, 20, 0);
        a->new_price = dbrows_int(&r, 0, 21, 0);
        const char *line = dbrows_get(&r, 0, 22);
        long long lp = 0, lc = 0;
        if (line && sscanf(line, "%lld %lld", &lp, &lc) == 2) {
            a->line_price = lp;
            a->line_cost = lc;
        }
    }
    dbrows_free(&r);
    return found;
}

static int attempt(db_t *db, long long tenant_id, long long id, const char *outcome, const char *summary,
                   const char *response, const char *error)
{
    return db_exec(db,
                   "INSERT INTO adjustment_attempts (tenant_id, adjustment_id, outcome, request_summary, response, error)"
                   " VALUES (?, ?, ?, ?, ?, ?)",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(id), DB_STR(outcome), DB_STR(summary ? summary : ""),
                             DB_STR(response ? response : ""), DB_STR(error)),
                   NULL, NULL);
}

int ledger_verified(db_t *db, long long tenant_id, long long id, const char *owner, const char *psa_ref,
                    const char *outcome, const char *summary, const char *response)
{
    uint64_t affected = 0;
    if (db_exec(db,
                "UPDATE adjustments SET state = 'verified', psa_ref = COALESCE(?, psa_ref), last_error = NULL,"
                " next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL, posted_at = UTC_TIMESTAMP(6),"
                " updated_at = UTC_TIMESTAMP(6) WHERE tenant_id = ? AND id = ? AND lease_owner = ?",
                DB_PARAMS(DB_STR(psa_ref && *psa_ref ? psa_ref : NULL), DB_INT(tenant_id), DB_INT(id), DB_STR(owner)),
                &affected, NULL) < 0)
        return -1;
    if (affected != 1)
        return -1;
    attempt(db, tenant_id, id, outcome, summary, response, NULL);
    /* What billsync left in the PSA: the reference for drift detection. */
    return db_exec(db,
                   "UPDATE resource_links l JOIN adjustments a ON a.tenant_id = l.tenant_id AND a.resource_link_id = l.id"
                   " SET l.last_posted_units = a.desired_units WHERE a.tenant_id = ? AND a.id = ? AND a.kind = 'units'",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(id)), NULL, NULL);
}

int ledger_failed(db_t *db, long long tenant_id, long long id, const char *owner, int backoff_s,
                  const char *summary, const char *error)
{
    attempt(db, tenant_id, id, "failed", summary, NULL, error);
    return db_exec(db,
                   "UPDATE adjustments SET state = 'failed', last_error = ?, lease_owner = NULL, lease_until = NULL,"
                   " psa_read_at = NULL,"  /* a later attempt reads the PSA again */
                   " next_attempt_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, updated_at = UTC_TIMESTAMP(6)"
                   " WHERE tenant_id = ? AND id = ? AND lease_owner = ?",
                   DB_PARAMS(DB_STR(error), DB_INT(backoff_s), DB_INT(tenant_id), DB_INT(id), DB_STR(owner)),
                   NULL, NULL);
}

int ledger_release(db_t *db, long long tenant_id, long long id, const char *owner)
{
    return db_exec(db,
                   "UPDATE adjustments SET lease_owner = NULL, lease_until = NULL, attempts = GREATEST(attempts - 1, 0),"
                   " updated_at = UTC_TIMESTAMP(6) WHERE tenant_id = ? AND id = ? AND lease_owner = ?",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(id), DB_STR(owner)), NULL, NULL);
}

int ledger_needs_person(db_t *db, long long tenant_id, long long id, const char *owner, const char *summary,
                        const char *error)
{
    attempt(db, tenant_id, id, "failed", summary, NULL, error);
    return db_exec(db,
                   "UPDATE adjustments SET state = 'failed', last_error = ?, lease_owner = NULL, lease_until = NULL,"
                   " psa_read_at = NULL,"  /* a later attempt reads the PSA again */
                   " next_attempt_at = NULL, updated_at = UTC_TIMESTAMP(6)"
                   " WHERE tenant_id = ? AND id = ? AND lease_owner = ?",
                   DB_PARAMS(DB_STR(error), DB_INT(tenant_id), DB_INT(id), DB_STR(owner)), NULL, NULL);
}

int ledger_next_retry_in(db_t *db, long long tenant_id, long long *seconds)
{
    int found = db_scalar(db,
                          "SELECT GREATEST(0, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), MIN(next_attempt_at)))"
                          " FROM adjustments WHERE tenant_id = ? AND state = 'failed' AND next_attempt_at IS NOT NULL"
                          " HAVING MIN(next_attempt_at) IS NOT NULL",
                          DB_PARAMS(DB_INT(tenant_id)), seconds);
    if (found == 0)
        *seconds = -1;
    return found < 0 ? -1 : 0;
}

static int decide(db_t *db, const char *sql, long long tenant_id, long long id, long long user_id, const char *note)
{
    uint64_t affected = 0;
    if (db_exec(db, sql, DB_PARAMS(DB_INT(user_id), DB_STR(note), DB_INT(tenant_id), DB_INT(id)), &affected, NULL) < 0)
        return -1;
    return (int)affected;
}

int ledger_approve(db_t *db, long long tenant_id, long long id, long long user_id)
{
    return decide(db,
                  "UPDATE adjustments SET state = 'queued', decided_by = ?, decided_at = UTC_TIMESTAMP(6),"
                  " decision_note = ?, updated_at = UTC_TIMESTAMP(6)"
                  " WHERE tenant_id = ? AND id = ? AND state = 'awaiting_approval'",
                  tenant_id, id, user_id, "approved");
}

int ledger_reject(db_t *db, long long tenant_id, long long id, long long user_id, const char *why)
{
    return decide(db,
                  "UPDATE adjustments SET state = 'rejected', decided_by = ?, decided_at = UTC_TIMESTAMP(6),"
                  " decision_note = ?, updated_at = UTC_TIMESTAMP(6)"
                  " WHERE tenant_id = ? AND id = ? AND state = 'awaiting_approval'",
                  tenant_id, id, user_id, why);
}

int ledger_retry_now(db_t *db, long long tenant_id, long long id, long long user_id)
{
    return decide(db,
                  "UPDATE adjustments SET next_attempt_at = UTC_TIMESTAMP(6), decided_by = ?, decision_note = ?,"
                  " updated_at = UTC_TIMESTAMP(6) WHERE tenant_id = ? AND id = ? AND state = 'failed'",
                  tenant_id, id, user_id, "retry now");
}

int ledger_give_up(db_t *db, long long tenant_id, long long id, long long user_id, const char *why)
{
    return decide(db,
                  "UPDATE adjustments SET state = 'rejected', next_attempt_at = NULL, decided_by = ?,"
                  " decided_at = UTC_TIMESTAMP(6), decision_note = ?, updated_at = UTC_TIMESTAMP(6)"
                  " WHERE tenant_id = ? AND id = ? AND state = 'failed'",
                  tenant_id, id, user_id, why);
}

int policy_get(db_t *db, long long tenant_id, struct tenant_policy *p)
{
    struct dbrows r;
    snprintf(p->approval, sizeof p->approval, "auto");
    snprintf(p->decrease_mode, sizeof p->decrease_mode, "next_period");
    snprintf(p->drift_mode, sizeof p->drift_mode, "flag");
    snprintf(p->usage_mode, sizeof p->usage_mode, "average_cost");
    p->alert_after_minutes = 240;
    p->sync_interval_minutes = 15;
    if (db_query(db,
                 "SELECT approval, decrease_mode, drift_mode, usage_mode, alert_after_minutes, sync_interval_minutes"
                 " FROM tenant_policies WHERE tenant_id = ?",
                 DB_PARAMS(DB_INT(tenant_id)), &r) < 0)
        return -1;
    if (r.nrows) {
        snprintf(p->approval, sizeof p->approval, "%s", dbrows_get(&r, 0, 0));
        snprintf(p->decrease_mode, sizeof p->decrease_mode, "%s", dbrows_get(&r, 0, 1));
        snprintf(p->drift_mode, sizeof p->drift_mode, "%s", dbrows_get(&r, 0, 2));
        snprintf(p->usage_mode, sizeof p->usage_mode, "%s", dbrows_get(&r, 0, 3));
        p->alert_after_minutes = (int)dbrows_int(&r, 0, 4, 240);
        p->sync_interval_minutes = (int)dbrows_int(&r, 0, 5, 15);
    }
    dbrows_free(&r);
    return 0;
}

int policy_set(db_t *db, long long tenant_id, const struct tenant_policy *p)
{
    return db_exec(db,
                   "INSERT INTO tenant_policies (tenant_id, approval, decrease_mode, drift_mode, usage_mode,"
                   " alert_after_minutes, sync_interval_minutes) VALUES (?, ?, ?, ?, ?, ?, ?)"
                   " ON DUPLICATE KEY UPDATE approval = VALUES(approval), decrease_mode = VALUES(decrease_mode),"
                   " drift_mode = VALUES(drift_mode), usage_mode = VALUES(usage_mode),"
                   " alert_after_minutes = VALUES(alert_after_minutes),"
                   " sync_interval_minutes = VALUES(sync_interval_minutes), updated_at = UTC_TIMESTAMP(6)",
                   DB_PARAMS(DB_INT(tenant_id), DB_STR(p->approval), DB_STR(p->decrease_mode), DB_STR(p->drift_mode),
                             DB_STR(p->usage_mode), DB_INT(p->alert_after_minutes), DB_INT(p->sync_interval_minutes)),
                   NULL, NULL);
}

/*
 * Each tenant syncs at its own point of its interval (a phase hashed from its id), so a thousand tenants
 * are spread over the interval instead of firing together, and stay spread after an outage
 * bunched them: a tenant whose last sync started at least half an interval ago gets a job due at
 * its next phase point. The claim order (due time, then id) is first come, first served.
 */
int sync_enqueue_due(db_t *db)
{
    return jobs_enqueue_selected(db,
                                 "SELECT x.id, 'sync', NULL, CONCAT('sync:', x.id),"
                                 /* the phase a hash of the id (ids may step by more than 1: a
                                  * linear multiple would bunch them); unsigned arithmetic that never
                                  * goes below zero */
                                 " MOD(MOD(CRC32(x.id), x.iv) + x.iv - MOD(UNIX_TIMESTAMP(), x.iv), x.iv) FROM"
                                 " (SELECT t.id, COALESCE(p.sync_interval_minutes, 15) * 60 AS iv, s.started_at"
                                 "  FROM tenants t LEFT JOIN tenant_sync s ON s.tenant_id = t.id"
                                 "  LEFT JOIN tenant_policies p ON p.tenant_id = t.id"
                                 "  WHERE EXISTS (SELECT 1 FROM resource_links l WHERE l.tenant_id = t.id"
                                 "   AND l.active_key = 1)) x"
                                 " WHERE (x.started_at IS NULL OR x.started_at < UTC_TIMESTAMP(6) - INTERVAL x.iv / 2 SECOND)"
                                 " AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.unique_key = CONCAT('sync:', x.id))");
}

/* Led by state (sql/013 ix_adjustments_due_state): only the queued and the due failed rows
 * are read, whatever the ledger's size. */
int post_enqueue_due(db_t *db)
{
    return jobs_enqueue_selected(db,
                                 "SELECT d.tenant_id, 'post', NULL, CONCAT('post:', d.tenant_id), 0 FROM"
                                 " (SELECT DISTINCT tenant_id FROM adjustments"
                                 "  WHERE (state = 'queued' OR (state = 'failed' AND next_attempt_at <= UTC_TIMESTAMP(6)))"
                                 "  AND effective_date <= UTC_DATE() + INTERVAL 1 DAY) d"
                                 " WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.unique_key = CONCAT('post:', d.tenant_id))");
}

int sync_enqueue(db_t *db, long long tenant_id)
{
    if (db_exec(db,
                "INSERT INTO tenant_sync (tenant_id, result) VALUES (?, 'queued')"
                " ON DUPLICATE KEY UPDATE result = 'queued'",
                DB_PARAMS(DB_INT(tenant_id)), NULL, NULL) < 0)
        return -1;
    /* "Sync now": a periodic sync already queued for later is brought forward (the scheduler
     * spreads tenants over a minute; a person who asked should not wait for that). */
    return db_exec(db,
                   "INSERT INTO jobs (tenant_id, kind, unique_key) VALUES (?, 'sync', CONCAT('sync:', ?))"
                   " ON DUPLICATE KEY UPDATE due_at = IF(lease_owner IS NULL, LEAST(due_at, UTC_TIMESTAMP(6)),"
                   " due_at)",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(tenant_id)), NULL, NULL);
}

int sync_mark(db_t *db, long long tenant_id, int started, const char *result)
{
    if (started)
        return db_exec(db,
                       "INSERT INTO tenant_sync (tenant_id, started_at, result) VALUES (?, UTC_TIMESTAMP(6), ?)"
                       " ON DUPLICATE KEY UPDATE started_at = VALUES(started_at), result = VALUES(result)",
                       DB_PARAMS(DB_INT(tenant_id), DB_STR(result)), NULL, NULL);
    return db_exec(db, "UPDATE tenant_sync SET finished_at = UTC_TIMESTAMP(6), result = ? WHERE tenant_id = ?",
                   DB_PARAMS(DB_STR(result), DB_INT(tenant_id)), NULL, NULL);
}

static void sync_fill(const struct dbrows *r, int i, void *p)
{
    struct sync_row *s = p;
    s->started = dbrows_get(r, i, 0);
    s->finished = dbrows_get(r, i, 1);
    s->result = dbrows_get(r, i, 2);
}

int sync_state(db_t *db, long long tenant_id, struct sync_list *out)
{
    return DB_LIST_QUERY(db, out, sync_fill,
                         "SELECT COALESCE(DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:%s UTC'), ''),"
                         " COALESCE(DATE_FORMAT(finished_at, '%Y-%m-%d %H:%i:%s UTC'), ''), result"
                         " FROM tenant_sync WHERE tenant_id = ?",
                         DB_PARAMS(DB_INT(tenant_id)));
}
