/* page_connections.c: /settings/connections (admin): add, edit, delete and test the tenant's
 * PSA and distributor connections. Secret fields are write-only: stored sealed, shown as
 * "stored", kept when left blank on edit. */
#include "web/pages.h"

#include "common/config.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/secret_key.h"
#include "connectors/check.h"
#include "connectors/systems.h"
#include "net/http.h"
#include "db/conn_shared.h"
#include "db/connections.h"
#include "web/auth.h"
#include "web/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUE 500

/* Each PSA instance's request budget this hour (db/conn_shared.h): what billsync used, what it
 * may use, what the PSA counted of every integration, what waits. */
static void budget(struct web *w)
{
    struct psa_budget_list b;
    if (psa_budget_rows(w->db, w->sess->tenant_id, &b) < 0)
        return;
    for (int i = 0; i < b.n; i++) {
        const struct psa_budget_row *r = &b.v[i];
        const struct system_info *si = system_find(r->system);
        char v[64];
        hsetf(w, si ? si->label : r->system, "Budget.%d.system", i);
        snprintf(v, sizeof v, "%lld", r->calls_hour);
        hsetf(w, v, "Budget.%d.calls", i);
        if (r->cap > 0) {
            snprintf(v, sizeof v, "%lld", r->allowed);
            hsetf(w, v, "Budget.%d.allowed", i);
            snprintf(v, sizeof v, "%lld", r->cap);
            hsetf(w, v, "Budget.%d.cap", i);
            snprintf(v, sizeof v, "%lld", r->estimate);
            hsetf(w, v, "Budget.%d.estimate", i);
            snprintf(v, sizeof v, "%lld", r->allowed > r->estimate ? r->allowed - r->estimate : 0);
            hsetf(w, v, "Budget.%d.left", i);
        }
        snprintf(v, sizeof v, "%lld", r->refused);
        hsetf(w, v, "Budget.%d.refused", i);
        hsetf(w, r->reported_at, "Budget.%d.reported", i);
        hsetf(w, r->paused_until, "Budget.%d.paused", i);
    }
    DB_LIST_FREE(&b);
}

static void list(struct web *w)
{
    struct connection_item_list r;
    if (connections_list(w->db, w->sess->tenant_id, &r) < 0) {
        web_error(w, 503, "The connections could not be read. Try again in a minute.");
        return;
    }
    for (int i = 0; i < r.n; i++) {
        const struct connection_item *c = &r.v[i];
        const struct system_info *si = system_find(c->system);
        hsetf(w, c->id, "Conns.%d.id", i);
        hsetf(w, c->kind, "Conns.%d.kind", i);
        hsetf(w, si ? si->label : c->system, "Conns.%d.system", i);
        hsetf(w, c->name, "Conns.%d.name", i);
        hsetf(w, c->status, "Conns.%d.status", i);
        hsetf(w, c->message, "Conns.%d.message", i);
        hsetf(w, c->tested, "Conns.%d.tested", i);
        if (!strcmp(c->system, "csv"))
            hsetf(w, "1", "Conns.%d.csv", i);
    }
    DB_LIST_FREE(&r);
    struct csv_import_item_list imp;
    if (csv_imports_recent(w->db, w->sess->tenant_id, &imp) == 0) {
        int busy = 0;
        for (int i = 0; i < imp.n; i++) {
            const struct csv_import_item *m = &imp.v[i];
            hsetf(w, m->file, "Imports.%d.file", i);
            hsetf(w, m->status, "Imports.%d.status", i);
            hsetf(w, m->rows, "Imports.%d.rows", i);
            hsetf(w, m->message, "Imports.%d.message", i);
            hsetf(w, m->at, "Imports.%d.at", i);
            hsetf(w, m->connection, "Imports.%d.connection", i);
            const char *st = m->status;
            if (!strcmp(st, "queued") || !strcmp(st, "staging") || !strcmp(st, "applying")) {
                long long total = m->rows_total, done = m->rows_done;
                char progress[120];
                if (!strcmp(st, "staging"))
                    snprintf(progress, sizeof progress, "reading rows: %lld of %lld (%lld%%)", done, total,
                             total > 0 ? done * 100 / total : 0);
                else
                    snprintf(progress, sizeof progress, "%s", !strcmp(st, "queued")
                             ? "waiting for a worker" : "saving every row in one step");
                hsetf(w, progress, "Imports.%d.progress", i);
                busy = 1;
            }
        }
        if (busy)
            hset(w, "Page.refresh", "3");     /* the page follows the import until it ends */
        DB_LIST_FREE(&imp);
    }
    budget(w);
    const struct system_info *si;
    for (int i = 0; (si = system_at(i)); i++) {
        hsetf(w, si->system, "Systems.%d.system", i);
        hsetf(w, si->label, "Systems.%d.label", i);
        hsetf(w, si->kind == SYS_PSA ? "psa" : "source", "Systems.%d.kind", i);
    }
}

/* Fills the form for system si; row is the stored connection when editing. */
static void form_values(struct web *w, const struct system_info *si, const struct connection_row *row)
{
    hset(w, "Form.system", si->system);
    hset(w, "Form.label", si->label);
    hset(w, "Form.about", si->about);
    hset_int(w, "Form.id", row ? row->id : 0);
    const char *name = req_form(&w->req, "name");
    hset(w, "Form.name", name ? name : row ? row->name : si->label);
    for (int i = 0; i < SYSTEM_MAX_FIELDS && si->fields[i].key; i++) {
        const struct system_field *f = &si->fields[i];
        char key[64];
        snprintf(key, sizeof key, "f_%s", f->key);
        hsetf(w, f->key, "Fields.%d.key", i);
        hsetf(w, f->label, "Fields.%d.label", i);
        hsetf(w, f->hint, "Fields.%d.hint", i);
        hsetf(w, f->secret ? "1" : "0", "Fields.%d.secret", i);
        hsetf(w, f->required ? "1" : "0", "Fields.%d.required", i);
        if (f->secret) {
            hsetf(w, row && row->secrets_sealed ? "1" : "0", "Fields.%d.stored", i);
            continue;                 /* a secret is never sent back to the browser */
        }
        const char *posted = req_form(&w->req, key);
        const char *stored = row ? json_string_value(json_object_get(row->settings, f->key)) : NULL;
        hsetf(w, posted ? posted : stored ? stored : "", "Fields.%d.value", i);
    }
}

static int field_index(const struct system_info *si, const char *key)
{
    for (int i = 0; i < SYSTEM_MAX_FIELDS && si->fields[i].key; i++)
        if (!strcmp(si->fields[i].key, key))
            return i;
    return -1;
}

/* Validates the posted fields into settings (plain) and secrets (new values only). Returns
 * the number of field errors (set in the template). */
static int read_fields(struct web *w, const struct system_info *si, int editing, int had_secrets,
                       json_t *settings, json_t *secrets)
{
    int errors = 0;
    for (int i = 0; i < SYSTEM_MAX_FIELDS && si->fields[i].key; i++) {
        const struct system_field *f = &si->fields[i];
        char key[64];
        snprintf(key, sizeof key, "f_%s", f->key);
        const char *v = req_form(&w->req, key);
        char buf[MAX_VALUE + 2];
        size_t n = 0;
        /* trim */
        while (v && (*v == ' ' || *v == '\t'))
            v++;
        snprintf(buf, sizeof buf, "%s", v ? v : "");
        n = strlen(buf);
        while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
            buf[--n] = 0;
        const char *err = NULL;
        if (v && strlen(v) > MAX_VALUE)
            err = "Too long (at most 500 characters).";
        else if (strpbrk(buf, "\r\n"))
            err = "One line only.";
        else if (!n && f->required && !(f->secret && editing && had_secrets))
            err = "Required.";
        else if (n && (!strcmp(f->key, "url") || !strcmp(f->key, "site") || !strcmp(f->key, "token_url")) &&
                 !http_url_transport_ok(buf))
            err = "An address starting with https:// (the credentials must not travel unencrypted).";
        if (err) {
            hsetf(w, err, "Fields.%d.error", field_index(si, f->key));
            errors++;
            continue;
        }
        if (f->secret) {
            if (n)
                json_object_set_new(secrets, f->key, json_string(buf));
        } else {
            json_object_set_new(settings, f->key, json_string(buf));
        }
        sodium_memzero(buf, sizeof buf);
    }
    return errors;
}

/* Seals the stored secrets updated with the new ones; NULL result = keep what is stored. */
static int seal_secrets(struct web *w, const struct connection_row *row, json_t *fresh, char **sealed)
{
    *sealed = NULL;
    if (json_object_size(fresh) == 0)
        return 0;
    const unsigned char *key = secret_key(w->cfg);
    if (!key)
        return -1;
    json_t *all = json_object();
    if (row && row->secrets_sealed) {
        char *plain = NULL;
        size_t len = 0;
        if (crypto_open(key, row->secrets_sealed, &plain, &len) == 0) {
            json_error_t jerr;
            json_t *old = json_loads(plain, 0, &jerr);
            crypto_free_secret(plain, len);
            if (json_is_object(old))
                json_object_update(all, old);
            json_decref(old);
        }
    }
    json_object_update(all, fresh);
    char *text = json_dumps(all, JSON_COMPACT);
    json_decref(all);
    int rc = text ? crypto_seal(key, text, strlen(text), sealed) : -1;
    if (text)
        crypto_free_secret(text, strlen(text));
    return rc;
}

static void save(struct web *w)
{
    int bad = 0;
    long long id = req_int(&w->req, "id", 0, 1LL << 62, 0, &bad);
    struct connection_row row;
    int have_row = 0;
    const struct system_info *si;
    if (id) {
        int found = connection_get(w->db, w->sess->tenant_id, id, &row);
        if (found <= 0) {
            web_error(w, found < 0 ? 503 : 404, "There is no such connection in your company.");
            return;
        }
        have_row = 1;
        si = system_find(row.system);
    } else {
        si = system_find(req_form(&w->req, "system"));
    }
    if (bad || !si) {
        if (have_row)
            connection_row_free(&row);
        web_error(w, 400, "Choose a system to connect to.");
        return;
    }
    json_t *settings = json_object(), *secrets = json_object();
    const char *name = req_form(&w->req, "name");
    int errors = read_fields(w, si, id != 0, have_row && row.secrets_sealed, settings, secrets);
    if (!name || !*name || strlen(name) > 200) {
        hset(w, "Errors.name", "Give the connection a name (at most 200 characters).");
        errors++;
    }
    char *sealed = NULL;
    if (!errors && seal_secrets(w, have_row ? &row : NULL, secrets, &sealed) < 0) {
        hset(w, "Errors.form", "The credentials could not be encrypted: the secret key is missing.");
        errors++;
    }
    if (!errors) {
        char *settings_json = json_dumps(settings, JSON_COMPACT | JSON_SORT_KEYS);
        long long nid = id;
        int rc = connection_save(w->db, w->sess->tenant_id, &nid, si->kind == SYS_PSA ? "psa" : "source",
                                 si->system, name, settings_json, sealed);
        free(settings_json);
        if (rc == 0) {
            char subject[260];
            snprintf(subject, sizeof subject, "%s (%s)", name, si->system);
            auth_audit(w, 0, 0, NULL, id ? "connection.updated" : "connection.created", subject,
                       json_object_size(secrets) ? "credentials changed" : NULL);
            web_flash(w, "Saved. Use Test connection to check it.");
            web_redirect(w, "/settings/connections");
        } else {
            hset(w, "Errors.form", "The connection could not be saved. Nothing was changed.");
            errors++;
        }
    }
    free(sealed);
    json_decref(settings);
    json_decref(secrets);
    if (errors) {
        form_values(w, si, have_row ? &row : NULL);
        list(w);
        hset(w, "Page.title", "Connections");
        web_render(w, "connections.cs");
    }
    if (have_row)
        connection_row_free(&row);
}

static void test(struct web *w)
{
    int bad = 0;
    long long id = req_int(&w->req, "id", 1, 1LL << 62, 0, &bad);
    struct conn c;
    char system[32] = "?", err[300];
    int found = bad ? 0 : connection_open(w->db, secret_key(w->cfg), w->sess->tenant_id, id,
                                          w->cfg->slot_dir, &c, system, err, sizeof err);
    if (found == 0) {
        web_error(w, 404, "There is no such connection in your company.");
        return;
    }
    char msg[1000], summary[300] = "";
    struct conn_error ce;
    memset(&ce, 0, sizeof ce);
    int ok = 0;
    if (found < 0) {
        snprintf(msg, sizeof msg, "Failed: %s", err);
    } else {
        ok = conn_check(&c, summary, sizeof summary, &ce) == 0;
        connection_close(&c);
        if (ok)
            snprintf(msg, sizeof msg, "Connected: %s.", summary);
        else
            snprintf(msg, sizeof msg, "Failed: %s%s%s", ce.message, ce.hint[0] ? " — " : "", ce.hint);
    }
    connection_set_status(w->db, w->sess->tenant_id, id, ok, msg);
    auth_audit(w, 0, 0, NULL, "connection.tested", system, ok ? "ok" : "failed");
    web_flash(w, msg);
    web_redirect(w, "/settings/connections");
}

static void delete(struct web *w)
{
    int bad = 0;
    long long id = req_int(&w->req, "id", 1, 1LL << 62, 0, &bad);
    struct connection_row row;
    if (bad || connection_get(w->db, w->sess->tenant_id, id, &row) != 1) {
        web_error(w, 404, "There is no such connection in your company.");
        return;
    }
    if (connection_delete(w->db, w->sess->tenant_id, id) < 0) {
        connection_row_free(&row);
        web_error(w, 409, "This connection is in use and cannot be deleted.");
        return;
    }
    auth_audit(w, 0, 0, NULL, "connection.deleted", row.name, row.system);
    connection_row_free(&row);
    web_flash(w, "Connection deleted.");
    web_redirect(w, "/settings/connections");
}

void page_connections(struct web *w)
{
    if (req_is_post(&w->req)) {
        const char *action = req_form(&w->req, "action");
        action = action ? action : "";
        if (!strcmp(action, "save"))
            save(w);
        else if (!strcmp(action, "test"))
            test(w);
        else if (!strcmp(action, "delete"))
            delete(w);
        else
            web_error(w, 400, "Unknown action.");
        return;
    }
    const char *new_system = req_query(&w->req, "new");
    long long edit = param_int(&w->params, "edit");   /* checked before the page ran (routes.c) */
    if (new_system) {
        const struct system_info *si = system_find(new_system);
        if (!si) {
            web_error(w, 404, "billsync does not connect to that system.");
            return;
        }
        form_values(w, si, NULL);
    } else if (edit) {
        struct connection_row row;
        int found = connection_get(w->db, w->sess->tenant_id, edit, &row);
        if (found <= 0) {
            web_error(w, found < 0 ? 503 : 404, "There is no such connection in your company.");
            return;
        }
        const struct system_info *si = system_find(row.system);
        if (si)
            form_values(w, si, &row);
        connection_row_free(&row);
    }
    list(w);
    if (w->resp.status != 200)
        return;
    hset(w, "Page.title", "Connections");
    web_render(w, "connections.cs");
}
