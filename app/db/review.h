/* review.h: the monthly billing review (doc/seeds.md 000): a month's distributor billing lines with
 * their links, the PSA contract service they land on, and the decisions taken on them. One
 * review per tenant and month; lines are keyed by (source connection, line id). */
#ifndef BILLSYNC_DB_REVIEW_H
#define BILLSYNC_DB_REVIEW_H

#include "db/db.h"

/* The review of month ("YYYY-MM-01"): 1 found, 0 none (*id = 0), -1 error. */
int review_find(db_t *db, long long tenant_id, const char *month, long long *id);
/* Finds or creates it (created_by = user_id). 0 ok, -1 error. */
int review_open(db_t *db, long long tenant_id, const char *month, long long user_id, long long *id);

/* Columns of review_info. */
enum review_info_col {
    RI_ID, RI_STATUS, RI_PULL_STATE, RI_PULL_MESSAGE, RI_PULL_AT, RI_CREATED_BY, RI_CREATED_AT,
    RI_APPROVED_BY, RI_APPROVED_AT, RI_APPLIED_BY, RI_APPLIED_AT, RI_NCOLS
};
/* One row (e-mails of the people, "" when nobody); 1 found, 0 none, -1 error. */
int review_info(db_t *db, long long tenant_id, long long review_id, struct dbrows *out);
/* draft | approved | applied, with who and when. */
int review_set_status(db_t *db, long long tenant_id, long long review_id, const char *status, long long user_id);

/* "Retrieve billing lines" progress: none | queued | running | done | failed, and a message. */
int review_pull_mark(db_t *db, long long tenant_id, const char *month, const char *state, const char *message);
/* Billing lines of the month per source connection (lines: a count, as text). */
struct review_line_count {
    const char *connection, *lines;
};
DB_LIST(review_line_count_list, struct review_line_count);
int review_line_counts(db_t *db, long long tenant_id, const char *month, struct review_line_count_list *out);

/* Columns of review_lines. */
enum review_line_col {
    RL_CONN, RL_LINE_ID, RL_COMPANY, RL_COMPANY_SRC, RL_SUB_SRC, RL_SUB_NAME, RL_RES_SRC, RL_PRODUCT, RL_SKU,
    RL_CHARGE_TYPE, RL_PERIOD_START, RL_PERIOD_END, RL_EFFECTIVE, RL_QTY, RL_UNIT_COST, RL_UNIT_PRICE,
    RL_EXT_COST, RL_CURRENCY, RL_TERM, RL_CYCLE,
    RL_COMPANY_ROW, RL_SUB_ROW, RL_RES_ROW,         /* src_* row ids (0 when not in the snapshot) */
    RL_ACCOUNT, RL_ACCOUNT_NAME,                    /* company link ("" none) */
    RL_SUB_CONTRACT, RL_SUB_CONTRACT_NAME,          /* subscription link */
    RL_LINK_ID, RL_LINK_PSA_CONN, RL_LINK_CONTRACT, RL_LINK_SERVICE, RL_LINK_CONTRACT_NAME,
    RL_CS_FOUND, RL_CS_UNITS, RL_PSA_PRICE, RL_SERVICE_NAME,   /* the contract service (cache) */
    RL_DECISION, RL_NOTE, RL_DECIDED_BY, RL_DECIDED_AT, RL_ADJ_ID, RL_ADJ_STATE, RL_ADJ_DESIRED,
    RL_ADJ_EFFECTIVE, RL_ADJ_ERROR, RL_CONN_NAME,
    RL_CHARGE_STATE,                                /* annual/usage line's charge: posted, failed, "" */
    RL_NCOLS
};
/* Lines of month ("YYYY-MM-01") in a stable order, limit/offset (limit <= 0: all). */
int review_lines(db_t *db, long long tenant_id, const char *month, long long review_id, int limit, long long offset,
                 struct dbrows *out);
/* The export's way through a month of any size: the line ids in the lines' order, from one
 * sort (*ids malloc'd, *n of them), then review_lines_of for a batch of them (at most
 * REVIEW_BATCH), in the same order and columns as review_lines. Paging with OFFSET sorted the
 * whole month again for every batch (100,000 lines: 240 s). */
#define REVIEW_BATCH 500
int review_line_ids(db_t *db, long long tenant_id, const char *month, long long **ids, size_t *n);
int review_lines_of(db_t *db, long long tenant_id, const char *month, long long review_id, const long long *ids,
                    int n, struct dbrows *out);
/* One line by its key (same columns); 1 found, 0 none, -1 error. */
int review_line(db_t *db, long long tenant_id, const char *month, long long review_id, long long conn,
                const char *line_id, struct dbrows *out);
int review_count(db_t *db, long long tenant_id, const char *month, long long *n);

/* Saves the status a line had when a person acted on it (a decision, a planned change),
 * creating its row. Showing the review saves nothing: statuses are computed as shown. */
int review_line_status(db_t *db, long long tenant_id, long long review_id, long long conn, const char *line_id,
                       const char *status);
/* A person's decision: none | approve | ignore, with a note. */
int review_line_decide(db_t *db, long long tenant_id, long long review_id, long long conn, const char *line_id,
                       const char *decision, const char *note, long long user_id);
/* The ledger change planned for the line. */
int review_line_adjustment(db_t *db, long long tenant_id, long long review_id, long long conn, const char *line_id,
                           long long adjustment_id);

/* Effective date ("YYYY-MM-DD", "" none) of the newest change of a link that is or will be in
 * the PSA (queued, posted, verified), so two changes never share a day (Autotask). */
int review_link_last_effective(db_t *db, long long tenant_id, long long link_id, char out[11]);
/* The state of an adjustment of the tenant ("" none). */
int review_adjustment_state(db_t *db, long long tenant_id, long long adjustment_id, char out[24]);

#endif
