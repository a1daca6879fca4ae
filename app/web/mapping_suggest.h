/* mapping_suggest.h: the best PSA counterpart of a distributor object (remembered link, SKU,
 * name), from the options the PSA cache offers at that level. */
#ifndef BILLSYNC_WEB_MAPPING_SUGGEST_H
#define BILLSYNC_WEB_MAPPING_SUGGEST_H

#include "core/match.h"
#include "db/db.h"
#include "web/web.h"

struct suggestion {
    char id[40];                  /* account / contract id, or "svc:<service id>" */
    char name[256];
    int score;
    enum match_reason reason;
    const char *reason_text;      /* what to show: match_reason_text(), or a rule of ours */
};

/* An account's only open contract of the subscription's kind (recurring for monthly, fixed
 * price for annual: seed 002) is the natural home of its subscriptions. */
#define SUGGEST_ONLY_CONTRACT_SCORE 90

/* Best of option rows (id_col, name_col, sku_col or -1); remembered_id marks the option the
 * object was linked to before. 1 found (out filled), 0 none. */
int suggest_from(const struct dbrows *opts, int id_col, int name_col, int sku_col, const char *name,
                 const char *sku, const char *remembered_id, enum match_kind kind, struct suggestion *out);
/* Contracts (rows of mv_contracts): by name, else the account's only contract of the kind the
 * subscription's billing cycle needs. */
int suggest_contract_from(const struct dbrows *opts, const char *name, const char *cycle,
                          const char *remembered_id, struct suggestion *out);

/* Level helpers: they load the options themselves. */
int suggest_account(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                    const char *name, struct suggestion *out);
int suggest_contract(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                     const char *name, const char *cycle, const char *account, struct suggestion *out);
int suggest_service(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                    const char *name, const char *sku, const char *contract, struct suggestion *out);

#endif
