/* autotask_api.h: the Autotask REST plumbing under autotask.c: a session (zone discovery,
 * auth headers, per-entity thread cap), queries with paging, creates, picklists, errors. */
#ifndef BILLSYNC_CONNECTORS_AUTOTASK_API_H
#define BILLSYNC_CONNECTORS_AUTOTASK_API_H

#include "connectors/conn.h"
#include "connectors/psa.h"
#include "connectors/psa_util.h"
#include "net/http.h"

#include <jansson.h>
#include <stdint.h>

#define AT_LABEL "Autotask"
#define AT_THREADS 3            /* Autotask's per (integration code, entity) thread limit */
#define AT_PAGE 500             /* MaxRecords: the API's maximum page */
#define AT_KEY_MAX 700

struct at_session {
    const struct conn *conn;
    struct http_client *http;
    char key[AT_KEY_MAX];       /* identifies the tenant for the per-process caches */
    char base[512];             /* zone URL + "V1.0/" */
    char hdr[3][320];           /* the three auth headers (wiped on close) */
    struct psa_gate gate;       /* the database's shared budget (psa_util.h) */
};

/* A date as Autotask takes it in a filter or body. */
json_t *at_date_value(cdate_t d);
/* An id argument; -1 with a plain message naming `what` ("contract") when it is not one. */
int at_parse_id(const char *s, const char *what, int64_t *v, struct conn_error *err);
void at_id_text(int64_t v, char id[PSA_ID]);
/* qsort/bsearch order of int64_t ids. */
int at_cmp_id(const void *a, const void *b);

/* psa.h read_units_bulk (autotask_units.c). */
int at_read_units_bulk(const struct conn *c, const struct psa_service_key *keys, int n, cdate_t date,
                       psa_units_fn fn, void *ctx, struct conn_error *err);

/* psa.h read_money and post_price_change (autotask_price.c). */
int at_read_money(const struct conn *c, const char *contract_id, const char *service_id, cdate_t date,
                  struct psa_money_seen *m, struct conn_error *err);
int at_post_price_change(const struct conn *c, const struct psa_price_change *pc, char ref[PSA_ID],
                         struct conn_error *err);

/* Called for each item of a query; return 0 for more, 1 to stop, -1 with *err to fail. */
typedef int (*at_item_fn)(void *ctx, const json_t *item, struct conn_error *err);

int at_open(const struct conn *c, struct at_session *s, struct conn_error *err);
void at_close(struct at_session *s);

/* One filter condition {"op","field","value"}; value is stolen (NULL for exist/notExist). */
json_t *at_cond(const char *op, const char *field, json_t *value);
/* POST {entity}/query with MaxRecords 500 and `filter` (an array, stolen), following
 * pageDetails.nextPageUrl with the same POST body. Every item must carry an id. */
int at_query(struct at_session *s, const char *entity, json_t *filter, at_item_fn fn, void *ctx,
             struct conn_error *err);
/* POST {entity}/query/count. */
int at_count(struct at_session *s, const char *entity, json_t *filter, int64_t *n,
             struct conn_error *err);
/* POST body (stolen) to path (a root entity or Contracts/{id}/Child); never re-sent when the
 * server may have acted. *item_id gets itemId; allow_no_id accepts a 0/absent itemId (as
 * ServiceAdjustments answer) with *item_id = 0. `what` names the record in messages. */
int at_create(struct at_session *s, const char *path, const char *entity, const char *what,
              json_t *body, int allow_no_id, int64_t *item_id, struct conn_error *err);
/* A picklist value by label(s) ("Operational", "Active|In Effect"), through the entity's
 * entityInformation/fields, cached per process and connection. */
int at_pick_value(struct at_session *s, const char *entity, const char *field, const char *labels,
                  int64_t *value, struct conn_error *err);
/* The label of a picklist value (*label NULL when the value is not in the list). */
int at_pick_label(struct at_session *s, const char *entity, const char *field, int64_t value,
                  const char **label, struct conn_error *err);
/* err from a failed call: the remote's errors[] text, kind and hint; maybe_committed for a
 * write whose outcome is unknown. */
/* Forgets this process's cached zones and picklists (a person fixed something in Autotask). */
void at_forget_cached(void);
void at_fail(const struct http_response *r, int is_write, const char *what, struct conn_error *err);

#endif
