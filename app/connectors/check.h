/* check.h: "Test connection": one cheap authenticated call through the right connector. */
#ifndef BILLSYNC_CONNECTORS_CHECK_H
#define BILLSYNC_CONNECTORS_CHECK_H

#include "connectors/conn.h"

#include <stddef.h>

/* 0 with a summary ("found 214 accounts"), or -1 with err (remote text + hint). */
int conn_check(const struct conn *c, char *summary, size_t n, struct conn_error *err);

#endif
