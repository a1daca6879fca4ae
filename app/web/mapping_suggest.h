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
};

/* Best of option rows (id_col, name_col, sku_col or -1); remembered_id marks the option the
 * object was linked to before. 1 found (out filled), 0 none. */
int suggest_from(const struct dbrows *opts, int id_col, int name_col, int sku_col, const char *name,
                 const char *sku, const char *remembered_id, enum match_kind kind, struct suggestion *out);

/* Level helpers: they load the options themselves. */
int suggest_account(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                    const char *name, struct suggestion *out);
int suggest_contract(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                     const char *name, const char *account, struct suggestion *out);
int suggest_service(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                    const char *name, const char *sku, const char *contract, struct suggestion *out);

#endif
