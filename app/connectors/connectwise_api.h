/* connectwise_api.h: the ConnectWise REST plumbing under connectwise.c: a session (Basic
 * auth + clientId), paged lists following Link rel="next", reads, writes, errors. */
#ifndef BILLSYNC_CONNECTORS_CONNECTWISE_API_H
#define BILLSYNC_CONNECTORS_CONNECTWISE_API_H

#include "connectors/conn.h"
#include "connectors/psa.h"
#include "connectors/psa_util.h"
#include "net/http.h"

#include <jansson.h>
#include <stdint.h>

#define CW_LABEL "ConnectWise"
#define CW_PAGE 1000            /* pageSize: the API's maximum */
#define CW_KEY_MAX 700

struct cw_session {
    const struct conn *conn;
    struct http_client *http;
    char key[CW_KEY_MAX];       /* identifies the tenant for the per-process caches */
    char auth[600];             /* the Authorization header (wiped on close) */
    char client[300];           /* the clientId header */
    struct psa_gate gate;       /* the company's shared budget and pause (psa_util.h) */
};

/* Called for each record of a list; return 0 for more, 1 to stop, -1 with *err to fail. */
typedef int (*cw_item_fn)(void *ctx, const json_t *item, struct conn_error *err);

int cw_open(const struct conn *c, struct cw_session *s, struct conn_error *err);
void cw_close(struct cw_session *s);

/* GET path?pageSize=1000&page=1&orderBy=id asc[&conditions=...], following the Link
 * rel="next" pages. Every record must be an object with an id. `what` names the records
 * in messages ("addition"). */
int cw_list(struct cw_session *s, const char *path, const char *conditions, const char *what,
            cw_item_fn fn, void *ctx, struct conn_error *err);
/* GET path/count[?conditions=...] -> {"count": n}. */
int cw_count(struct cw_session *s, const char *path, const char *conditions, int64_t *n,
             struct conn_error *err);
/* GET one record (an object with an id); *doc is the caller's to json_decref. */
int cw_get(struct cw_session *s, const char *path, const char *what, json_t **doc,
           struct conn_error *err);
/* POST (never re-sent when the server may have acted) or PATCH (a JSON Patch of absolute
 * values: safe to repeat) with body (stolen); *doc gets the record, which must have an id. */
int cw_write(struct cw_session *s, const char *method, const char *path, json_t *body,
             const char *what, json_t **doc, struct conn_error *err);
/* finance/billingCycles, cached per process and connection (borrowed array). */
/* Forgets this process's cached billing cycles (a person fixed something in ConnectWise). */
void cw_forget_cached(void);
const json_t *cw_billing_cycles(struct cw_session *s, struct conn_error *err);
/* err from a failed call: the remote's message, kind and hint; maybe_committed for a write
 * whose outcome is unknown. */
void cw_fail(const struct http_response *r, int is_write, const char *what, struct conn_error *err);

/* Small helpers of connectwise.c and connectwise_create.c. */
/* A ConnectWise id given by billsync ("314"); err REJECTED naming `what` when it is not one. */
int cw_id_arg(const char *s, const char *what, int64_t *v, struct conn_error *err);
/* err = REJECTED with msg and hint; returns -1. */
int cw_reject(struct conn_error *err, const char *msg, const char *hint);
/* A date as ConnectWise writes it ("2025-03-15T00:00:00Z"). */
json_t *cw_date_json(cdate_t d);
/* A reference object {"id": id}. */
json_t *cw_ref(int64_t id);
/* cw_item_fn that appends every record to the json array ctx. */
int cw_collect(void *ctx, const json_t *item, struct conn_error *err);

/* The create operations of the connector (connectwise_create.c). */
int cw_create_account(const struct conn *c, const char *name, char id[PSA_ID], struct conn_error *err);
int cw_create_contract(const struct conn *c, const struct psa_new_contract *nc, char id[PSA_ID],
                       struct conn_error *err);
int cw_create_service(const struct conn *c, const struct psa_new_service *ns, char id[PSA_ID],
                      struct conn_error *err);

#endif
