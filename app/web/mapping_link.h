/* mapping_link.h: one Set or Unset Relation, validated, and what linking reads from the PSA;
 * used by the Billing page's actions (mapping_actions.c), bulk accept (mapping_bulk.c), create
 * (mapping_create.c) and the review's actions. */
#ifndef BILLSYNC_WEB_MAPPING_LINK_H
#define BILLSYNC_WEB_MAPPING_LINK_H

#include "core/cdate.h"
#include "core/money.h"
#include "web/web.h"

/* Levels: 0 company, 1 subscription, 2 resource. */
extern const char *const mapping_level_names[3];

/* One Set / Unset Relation (validated); msg says what happened. 0 ok, -1 refused. */
int mapping_set_one(struct web *w, long long psa_conn, int level, long long row, const char *target,
                    char *msg, size_t n);
int mapping_unset_one(struct web *w, int level, long long row, char *msg, size_t n);
/* The PSA's units of service on contract on day: read live (*live = 1), else from the last
 * refresh. */
qty_t mapping_psa_units(struct web *w, long long psa_conn, const char *contract, const char *service, cdate_t day,
                        int *live);

#endif
