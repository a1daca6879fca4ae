/* app.c: handles one FastCGI request: parse and validate, route, check sign-in, role and
 * CSRF, run the page, send, and log one line (method, path, status, duration). */
#include "web/app.h"

#include "common/config.h"
#include "common/log.h"
#include "web/auth.h"
#include "web/layout.h"
#include "web/routes.h"
#include "web/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *param(FCGX_Request *fr, const char *name)
{
    const char *v = FCGX_GetParam(name, fr->envp);
    return v ? v : "";
}

/* Fills w->req from the FastCGI parameters and body; returns 0, or an HTTP status. */
static int parse_request(struct web *w, FCGX_Request *fr)
{
    struct request *req = &w->req;
    snprintf(req->method, sizeof req->method, "%s", param(fr, "REQUEST_METHOD"));
    const char *uri = param(fr, "DOCUMENT_URI");
    if (!*uri)
        uri = "/";
    if (strlen(uri) >= sizeof req->path || !utf8_valid_text(uri, strlen(uri))) {
        snprintf(req->path, sizeof req->path, "/");
        snprintf(req->error, sizeof req->error, "The address is too long or not valid text.");
        return 400;
    }
    snprintf(req->path, sizeof req->path, "%s", uri);
    req->query_string = param(fr, "QUERY_STRING");
    req->content_type = param(fr, "CONTENT_TYPE");
    req->remote_addr = param(fr, "REMOTE_ADDR");
    req->user_agent = param(fr, "HTTP_USER_AGENT");
    req->https = strcmp(param(fr, "HTTPS"), "on") == 0;
    kv_parse_cookies(&req->cookies, FCGX_GetParam("HTTP_COOKIE", fr->envp));

    if (strcmp(req->method, "GET") && strcmp(req->method, "POST") && strcmp(req->method, "HEAD")) {
        snprintf(req->error, sizeof req->error, "Only GET and POST are used here.");
        return 405;
    }
    if (strlen(req->query_string) > 8192) {
        snprintf(req->error, sizeof req->error, "The query string is too long.");
        return 400;
    }
    char why[160];
    if (kv_parse_urlencoded(&req->query, req->query_string, strlen(req->query_string), why,
                            sizeof why) < 0) {
        snprintf(req->error, sizeof req->error, "Malformed query string: %s.", why);
        return 400;
    }
    if (strcmp(req->method, "POST"))
        return 0;

    const char *cl = param(fr, "CONTENT_LENGTH");
    char *end;
    long long len = *cl ? strtoll(cl, &end, 10) : 0;
    if (*cl && (*end || len < 0)) {
        snprintf(req->error, sizeof req->error, "The request's Content-Length is not a number.");
        return 400;
    }
    int is_form = strncmp(req->content_type, "application/x-www-form-urlencoded", 33) == 0;
    long long limit = is_form ? REQ_MAX_FORM : w->cfg->web_max_body;
    if (len > limit) {
        snprintf(req->error, sizeof req->error,
                 "The request is too large (%lld bytes; the limit is %lld bytes).", len, limit);
        return 413;
    }
    req->content_length = len;
    const struct route *r = routes_find(req->path);
    if (r && (r->flags & R_UPLOAD) && strncmp(req->content_type, "multipart/form-data", 19) == 0) {
        req->upload_stream = fr->in;   /* streamed by the page: never held in memory */
        return 0;
    }
    req->body = malloc((size_t)len + 1);
    if (!req->body)
        return 500;
    int got = len ? FCGX_GetStr(req->body, (int)len, fr->in) : 0;
    if (got != len) {
        snprintf(req->error, sizeof req->error, "The request body ended early.");
        return 400;
    }
    req->body[len] = 0;
    req->body_len = (size_t)len;
    if (is_form && kv_parse_urlencoded(&req->form, req->body, req->body_len, why, sizeof why) < 0) {
        snprintf(req->error, sizeof req->error, "Malformed form: %s.", why);
        return 400;
    }
    return 0;
}

static void login_redirect(struct web *w)
{
    char next[1200], *enc = NULL, loc[4000];
    snprintf(next, sizeof next, "%s%s%s", w->req.path, *w->req.query_string ? "?" : "",
             w->req.query_string);
    if (!auth_is_local_path(next) || neos_url_escape(next, &enc, NULL) != STATUS_OK) {
        web_redirect(w, "/login");
        return;
    }
    snprintf(loc, sizeof loc, "/login?next=%s", enc);
    free(enc);
    web_redirect(w, loc);
}

static void dispatch(struct web *w, int parse_status)
{
    if (parse_status) {
        web_error(w, parse_status, w->req.error[0] ? w->req.error : "The request could not be read.");
        return;
    }
    const struct route *r = routes_find(w->req.path);
    w->route = r;
    if (session_load(w) < 0 && !(r && (r->flags & R_PUBLIC))) {
        web_error(w, 503, "The database is not answering. Please try again in a minute.");
        return;
    }
    if (!r) {
        char msg[1200];
        snprintf(msg, sizeof msg, "There is no page at %s.", w->req.path);
        web_error(w, 404, msg);
        return;
    }
    if (!(r->flags & R_PUBLIC)) {
        if (!w->sess) {
            login_redirect(w);
            return;
        }
        if (!w->sess->mfa_ok && !(r->flags & R_NO_MFA)) {
            web_redirect(w, "/login/2fa");
            return;
        }
        if (w->sess->role < r->min_role) {
            web_error(w, 403, "Your role does not allow this page. Ask an administrator of your "
                              "company if you need it.");
            return;
        }
    }
    if (req_is_post(&w->req)) {
        if (!(r->flags & R_POST)) {
            web_error(w, 405, "This page does not accept form posts.");
            return;
        }
        if (!(r->flags & R_UPLOAD) && csrf_check(w) < 0) {
            web_error(w, 403, "The form has expired or did not come from this site. Go back, "
                              "reload the page and send it again.");
            return;
        }
    }
    /* The declared parameters: from the query, or from the form of a POST whose page keeps
     * its filters in its forms. */
    const struct kvlist *in = req_is_post(&w->req) && (r->flags & R_FORM_PARAMS) ? &w->req.form : &w->req.query;
    const char *why = NULL;
    if (params_check(&w->params, r->params, in, &why) < 0) {
        web_error(w, 400, why);
        return;
    }
    r->fn(w);
}

void web_handle(FCGX_Request *fr, const struct config *cfg, db_t *db)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct web w;
    memset(&w, 0, sizeof w);
    w.cfg = cfg;
    w.db = db;
    w.layout = web_layout;
    resp_init(&w.resp, fr->out);
    NEOERR *err = hdf_init(&w.hdf);
    if (!err)
        err = hdf_set_value(w.hdf, "Config.VarEscapeMode", "html");
    if (!err)
        err = hdf_set_value(w.hdf, "hdf.loadpaths.0", cfg->templates_dir);
    if (!err)
        err = hdf_set_value(w.hdf, "ClearSilver.WhiteSpaceStrip", "1");
    if (err) {
        nerr_ignore(&err);
        resp_text(&w.resp, 500, "text/plain; charset=utf-8", "Internal error.\n");
    } else {
        int st = parse_request(&w, fr);
        w.resp.head_only = strcmp(w.req.method, "HEAD") == 0;
        dispatch(&w, st);
    }
    resp_send(&w.resp);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    /* The path only: query strings can carry tokens (reset links) and never reach the log. */
    log_info("%s %s %d %.1fms %zub user=%lld", w.req.method[0] ? w.req.method : "-", w.req.path,
             w.resp.status, ms, w.resp.bytes, w.sess ? w.sess->user_id : 0);
    hdf_destroy(&w.hdf);
    resp_free(&w.resp);
    request_free(&w.req);
}
