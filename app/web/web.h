/* web.h: the per-request context every page handler receives, and the helpers they share
 * (render a template, error page, redirect, set template values). */
#ifndef BILLSYNC_WEB_WEB_H
#define BILLSYNC_WEB_WEB_H

#include "core/cdate.h"
#include "db/db.h"
#include "web/params.h"
#include "web/request.h"
#include "web/response.h"

#include <ClearSilver.h>

struct config;

enum role { ROLE_NONE = 0, ROLE_VIEWER = 1, ROLE_BILLING = 2, ROLE_ADMIN = 3 };

struct session {
    char id_hash[65];
    long long tenant_id, user_id;
    char email[255];
    char tenant_name[201];
    enum role role;
    char csrf[44];
    int mfa_ok;
};

struct web {
    const struct config *cfg;
    db_t *db;
    struct request req;
    struct response resp;
    HDF *hdf;                     /* values for the template; Config.VarEscapeMode=html */
    struct session *sess;         /* NULL when not signed in */
    struct session sess_store;
    const struct route *route;
    /* Sets the layout's values just before a page is drawn (user, navigation, flash): app.c
     * points it at web_layout (layout.c), which asks routes.c for the navigation. */
    void (*layout)(struct web *w);
    struct params params;         /* the route's declared parameters, checked (web/params.h) */
    char csrf_pre[44];            /* double-submit token issued in this response */
};

/* Renders templates/<name> (with the shared layout values) into the response body. */
void web_render(struct web *w, const char *tmpl);
/* Renders the error page with a status, a title and a message (all escaped). */
void web_error(struct web *w, int status, const char *message);
void web_redirect(struct web *w, const char *location);
/* Flash message shown once on the next page drawn for this session: stored with the session
 * in MariaDB (sessions.flash), taken when the layout is drawn; text, never HTML. */
void web_flash(struct web *w, const char *message);

/* Template values. Names are built by code (ids and fixed words), never from user data. */
void hset(struct web *w, const char *name, const char *value);
void hset_int(struct web *w, const char *name, long long v);
void hsetf(struct web *w, const char *value, const char *name_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Today's civil date in the signed-in tenant's time zone (web/tenant_today.c). */
cdate_t web_today(struct web *w);
/* Today's date in UTC (timestamps in the database are UTC; the PSA cache is read on it). */
cdate_t utc_today(void);

#endif
