/* app.h: handles one FastCGI request from parse to log line. */
#ifndef BILLSYNC_WEB_APP_H
#define BILLSYNC_WEB_APP_H

#include "db/db.h"

#include <fcgiapp.h>

struct config;

void web_handle(FCGX_Request *fr, const struct config *cfg, db_t *db);

#endif
