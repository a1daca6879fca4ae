/* render.c: ClearSilver rendering with HTML escaping by default, the shared layout values,
 * error pages and redirects. */
#include "web/web.h"

#include "common/config.h"
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hset(struct web *w, const char *name, const char *value)
{
    NEOERR *err = hdf_set_value(w->hdf, name, value ? value : "");
    nerr_ignore(&err);
}

void hset_int(struct web *w, const char *name, long long v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", v);
    hset(w, name, buf);
}

void hsetf(struct web *w, const char *value, const char *name_fmt, ...)
{
    char name[256];
    va_list ap;
    va_start(ap, name_fmt);
    vsnprintf(name, sizeof name, name_fmt, ap);
    va_end(ap);
    hset(w, name, value);
}

static NEOERR *url_escape(const char *in, char **out) { return neos_url_escape(in, out, NULL); }
static NEOERR *js_escape(const char *in, char **out) { return neos_js_escape(in, out); }
static NEOERR *url_validate(const char *in, char **out) { return neos_url_validate(in, out); }
static NEOERR *to_string(void *ctx, char *chunk) { return string_append((STRING *)ctx, chunk); }

/* Values every page's layout uses: the request's path, and what w->layout adds (who is
 * signed in, the navigation, the CSRF token, the flash: web_layout in layout.c). */
static void layout_values(struct web *w)
{
    if (w->layout)
        w->layout(w);
    hset(w, "Request.path", w->req.path);
}

static int render_into(struct web *w, const char *tmpl, STRING *out)
{
    CSPARSE *cs = NULL;
    NEOERR *err;
    layout_values(w);
    if ((err = cs_init(&cs, w->hdf)))
        goto fail;
    if ((err = cs_register_esc_strfunc(cs, (char *)"url_escape", url_escape)))
        goto fail;
    if ((err = cs_register_esc_strfunc(cs, (char *)"js_escape", js_escape)))
        goto fail;
    if ((err = cs_register_esc_strfunc(cs, (char *)"url_validate", url_validate)))
        goto fail;
    if ((err = cs_parse_file(cs, (char *)tmpl)))
        goto fail;
    if ((err = cs_render(cs, out, to_string)))
        goto fail;
    cs_destroy(&cs);
    return 0;
fail:;
    STRING tb;
    string_init(&tb);
    nerr_error_string(err, &tb);
    log_error("render %s: %s", tmpl, tb.buf ? tb.buf : "error");
    string_clear(&tb);
    nerr_ignore(&err);
    cs_destroy(&cs);
    return -1;
}

void web_render(struct web *w, const char *tmpl)
{
    STRING out;
    string_init(&out);
    if (render_into(w, tmpl, &out) == 0) {
        string_clear(&w->resp.body);
        w->resp.body = out;
        return;
    }
    string_clear(&out);
    resp_text(&w->resp, 500, "text/plain; charset=utf-8",
              "Internal error: the page could not be drawn. It has been logged.\n");
}

void web_error(struct web *w, int status, const char *message)
{
    /* A statement stopped by web.statement_ms is no outage: the request asks for more than
     * a page may take, and only a narrower one can succeed. */
    if (status == 503 && w->db && db_timed_out(w->db)) {
        status = 413;
        message = "This report is too large to build in time: narrow the filter (a shorter "
                  "date range, one company or one source) and try again.";
    }
    w->resp.status = status;
    hset_int(w, "Error.status", status);
    hset(w, "Error.title", resp_reason(status));
    hset(w, "Error.message", message);
    STRING out;
    string_init(&out);
    if (render_into(w, "error.cs", &out) == 0) {
        string_clear(&w->resp.body);
        w->resp.body = out;
        snprintf(w->resp.content_type, sizeof w->resp.content_type, "text/html; charset=utf-8");
        return;
    }
    string_clear(&out);
    resp_text(&w->resp, status, "text/plain; charset=utf-8", resp_reason(status));
}

void web_redirect(struct web *w, const char *location) { resp_redirect(&w->resp, location); }
