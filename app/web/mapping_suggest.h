/* mapping_suggest.h: the best PSA counterpart of a distributor object (remembered link, SKU,
 * name), from the options the PSA cache offers at that level, and the rule of what may be a
 * seat link at all. */
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
 * price or one-time for annual: doc/seeds.md 002) is the natural home of its subscriptions; so is the
 * one contract of that kind the account's other subscriptions are linked to already (one
 * "Managed Cloud" contract holding many services: issue 13 item 14). */
#define SUGGEST_ONLY_CONTRACT_SCORE 90
#define SUGGEST_SHARED_CONTRACT_SCORE 90

/* Seat links (a resource's seats posted as unit changes to a contract service) are for
 * monthly resources on recurring contracts. An annual subscription is billed as one-time
 * charges on its subscription's contract (one per term and seats), never as seats; a
 * non-recurring contract (Autotask fixed price or T&M, a ConnectWise one-time agreement) takes
 * no seat changes. Usage and one-time resources are billed as charges and may link anywhere. */
enum seat_rule {
    SEAT_OK = 0,
    SEAT_ANNUAL,                  /* the resource's subscription is annual: charges only */
    SEAT_NOT_RECURRING            /* a monthly resource into a contract that is not recurring */
};
/* cycle: the resource's billing cycle ("annual" when its subscription is); contract_type: the
 * psa_contracts type, "" when unknown (not refused). */
enum seat_rule seat_rule_for(const char *cycle, const char *contract_type);
/* in cut to at most max bytes on a character boundary, into out (n bytes). */
void mapping_utf8_cut(const char *in, size_t max, char *out, size_t n);
/* The sentence that refuses such a link (name: the resource; contract: its name), short
 * enough for a flash message. */
void seat_refusal(enum seat_rule why, const char *name, const char *contract_type, const char *contract,
                  char *msg, size_t n);
/* A short note for the Billing page instead of a service drop-down. */
const char *seat_note(enum seat_rule why);
/* The rule for a resource (by source id) into contract, read from the cache; the contract's
 * type and name go to the optional outputs. SEAT_OK also when the resource is not found. */
enum seat_rule seat_rule_of(struct web *w, long long psa_conn, long long src_conn, const char *resource_src_id,
                            const char *contract, char cycle[16], char contract_type[16], char contract_name[256]);

/* Best of option rows (id_col, name_col, sku_col or -1); remembered_id marks the option the
 * object was linked to before. 1 found (out filled), 0 none. */
int suggest_from(const struct dbrows *opts, int id_col, int name_col, int sku_col, const char *name,
                 const char *sku, const char *remembered_id, enum match_kind kind, struct suggestion *out);
/* Contracts (rows of mv_contracts): only those that fit the subscription's billing cycle (a
 * monthly subscription's seats need a recurring contract); the remembered one, else by name,
 * else the one contract of the kind the account's other subscriptions are linked to, else the
 * account's only contract of the kind. free_only: the rows hold no linked contract (the
 * "one contract per subscription" case), said so in the reason. */
int suggest_contract_from(const struct dbrows *opts, const char *name, const char *cycle,
                          const char *remembered_id, int free_only, struct suggestion *out);

/* Level helpers: they load the options themselves. */
int suggest_account(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                    const char *name, struct suggestion *out);
/* Contracts already holding subscriptions are candidates (suggest_contract_free: not). */
int suggest_contract(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                     const char *name, const char *cycle, const char *account, struct suggestion *out);
int suggest_contract_free(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                          const char *name, const char *cycle, const char *account, int free_only,
                          struct suggestion *out);
/* None when the resource may not be a seat link into contract (seat_rule_of). */
int suggest_service(struct web *w, long long psa_conn, long long src_conn, const char *src_id,
                    const char *name, const char *sku, const char *contract, struct suggestion *out);

#endif
