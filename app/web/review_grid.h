/* review_grid.h: one billing line of the monthly review as shown (grid, CSV export): its
 * link to the PSA (the mapping, else suggestions) and its validation against the PSA contract
 * service (doc/seeds.md 000 step 5). Shared by page_review.c and review_actions.c. */
#ifndef BILLSYNC_WEB_REVIEW_GRID_H
#define BILLSYNC_WEB_REVIEW_GRID_H

#include "core/money.h"
#include "db/review.h"
#include "web/mapping_suggest.h"
#include "web/web.h"

enum review_status { RS_MATCHED, RS_QTY, RS_PRICE, RS_MISSING, RS_UNMAPPED };

/* Display text of the grid's columns; the CSV export writes exactly these. */
enum review_cell {
    RC_CUSTOMER, RC_SUBSCRIPTION, RC_CONTRACT, RC_PRODUCT, RC_PLAN, RC_PERIOD, RC_CYCLE, RC_TERM, RC_QTY,
    RC_UNITS, RC_UNIT_COST, RC_COST, RC_EFFECTIVE, RC_STATUS, RC_DECISION, RC_DECIDED_BY, RC_DECIDED_AT,
    RC_NOTE, RC_RESULT, RC_NCELLS
};
/* Each column's name in the template (Lines.N.<name>, Cols.<name>) and its heading. */
struct review_cell_def {
    const char *name, *label;
};
extern const struct review_cell_def review_cells[RC_NCELLS];

struct review_line {
    long long conn, link_id, psa_conn;
    char key[140];                /* "<connection>:<line id>": the line in forms */
    enum review_status status;
    char detail[600];             /* why, in words */
    char cell[RC_NCELLS][300];
    qty_t qty;
    int recurring, linked_service;
    int charge;                   /* an annual or usage line billed as a one-time charge, linked */
    int charge_posted;            /* ... and the PSA has that charge */
    int can_update;               /* a linked line whose PSA units differ: plan a change */
    int link_level, create_level; /* first level to link as suggested / to create (-1 none) */
    struct suggestion sug[3];     /* company, subscription, resource suggestion (id "" none) */
};

/* The month under review. */
struct review_month {
    char ym[8];                   /* YYYY-MM */
    char first[11];               /* YYYY-MM-01 */
    char self[32];                /* /review/YYYY-MM */
};

const char *review_status_name(enum review_status s);   /* as stored: quantity_mismatch */
const char *review_status_label(enum review_status s);  /* as shown: quantity mismatch */
const char *review_result_label(const char *adjustment_state);

/* Classifies row i of review_lines; suggest = 0 skips the suggestion look-ups (actions that
 * only need linked lines). */
void review_classify(struct web *w, long long psa_conn, const struct dbrows *r, int i, int suggest,
                     struct review_line *out);

/* Handles a POST to the month's review (review_actions.c). */
void review_act(struct web *w, long long psa_conn, const struct review_month *m);

#endif
