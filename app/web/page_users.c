/* page_users.c: /users (admin): list, invite by e-mail, change role, disable/enable, and the
 * tenant's "require two-factor" setting. The last enabled admin can be neither demoted nor
 * disabled. */
#include "web/pages.h"

#include "common/config.h"
#include "common/log.h"
#include "common/secret_key.h"
#include "db/accounts.h"
#include "db/outbox.h"
#include "db/tokens.h"
#include "web/auth.h"
#include "db/sessions.h"
#include "web/session.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define INVITE_TTL_S (7 * 24 * 3600)

static void list_users(struct web *w)
{
    struct user_item_list r;
    if (users_list(w->db, w->sess->tenant_id, &r) < 0) {
        web_error(w, 503, "The user list could not be read. Try again in a minute.");
        return;
    }
    for (int i = 0; i < r.n; i++) {
        const struct user_item *u = &r.v[i];
        hsetf(w, u->id_text, "Users.%d.id", i);
        hsetf(w, u->email, "Users.%d.email", i);
        hsetf(w, u->name, "Users.%d.name", i);
        hsetf(w, u->role, "Users.%d.role", i);
        hsetf(w, u->disabled, "Users.%d.disabled", i);
        hsetf(w, u->totp, "Users.%d.totp", i);
        hsetf(w, u->invited, "Users.%d.invited", i);
        hsetf(w, u->created, "Users.%d.created", i);
        if (u->id == w->sess->user_id)
            hsetf(w, "1", "Users.%d.me", i);
    }
    DB_LIST_FREE(&r);
    hset_int(w, "Require2fa", tenant_requires_2fa(w->db, w->sess->tenant_id));
    hset(w, "Page.title", "Users");
    web_render(w, "users.cs");
}

static int valid_email(const char *e)
{
    const char *at = e ? strchr(e, '@') : NULL;
    if (!at || at == e || !strchr(at, '.') || strlen(e) > 254 || strchr(at + 1, '@'))
        return 0;
    for (const char *p = e; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"' || *p == ',')
            return 0;
    return 1;
}

static void invited(struct web *w, const char *email, const char *role)
{
    auth_audit(w, 0, 0, NULL, "user.invited", email, role);
    char msg[300];
    snprintf(msg, sizeof msg, "Invitation sent to %s.", email);
    web_flash(w, msg);
    web_redirect(w, "/users");
}

static void invite_elsewhere_notice(struct web *w, const struct user *u, const char *role)
{
    char body[1200];
    snprintf(body, sizeof body,
             "%s tried to invite %s to billsync for %s, as %s.\n\n"
             "This address already signs in to billsync for another company, and one address\n"
             "belongs to one company. Nothing was changed. If you should have access, ask them to\n"
             "invite another address of yours.\n",
             w->sess->email, u->email, w->sess->tenant_name, role);
    if (outbox_enqueue(w->db, secret_key(w->cfg), u->tenant_id, u->email,
                       "An invitation to billsync you cannot accept", body) < 0)
        log_error("invite: cannot queue the notice: %s", db_error(w->db));
}

static void invite(struct web *w)
{
    char email[255] = "";
    const char *in = req_form(&w->req, "email");
    size_t k = 0;
    for (; in && *in && k + 1 < sizeof email; in++)
        if (!isspace((unsigned char)*in))
            email[k++] = (char)tolower((unsigned char)*in);
    email[k] = 0;
    const char *role = req_form(&w->req, "role");
    hset(w, "Form.email", in);
    hset(w, "Form.role", role);
    if (!valid_email(email)) {
        hset(w, "Errors.email", "Enter a valid e-mail address, like name@example.com.");
        return;
    }
    if (role_parse(role) == ROLE_NONE) {
        hset(w, "Errors.role", "Choose a role.");
        return;
    }
    long long uid;
    struct user existing;
    int taken = user_find_by_email(w->db, email, &existing);
    if (taken == 1 && existing.tenant_id == w->sess->tenant_id) {
        hset(w, "Errors.email", "That address already has an account here.");
        return;
    }
    if (taken == 1) {
        /* An account of another company: the answer and the audit are those of an invitation,
         * so no admin learns who uses billsync elsewhere; the address's owner is told. */
        invite_elsewhere_notice(w, &existing, role);
        invited(w, email, role);
        return;
    }
    if (taken < 0 || user_create(w->db, w->sess->tenant_id, email, "", role, NULL, &uid) < 0) {
        hset(w, "Errors.email", "The user could not be created. Nothing was changed; try again.");
        return;
    }
    char raw[44], body[1500];
    if (token_create(w->db, w->sess->tenant_id, uid, "invite", INVITE_TTL_S, raw) == 0) {
        snprintf(body, sizeof body,
                 "%s invited you to billsync for %s, as %s.\n\n"
                 "Choose your password here (the link works once, for 7 days):\n%s/invite?token=%s\n",
                 w->sess->email, w->sess->tenant_name, role, w->cfg->base_url, raw);
        sodium_memzero(raw, sizeof raw);
        if (outbox_enqueue(w->db, secret_key(w->cfg), w->sess->tenant_id, email,
                           "You are invited to billsync", body) < 0)
            log_error("invite: cannot queue the mail: %s", db_error(w->db));
        sodium_memzero(body, sizeof body);
    }
    invited(w, email, role);
}

/* Loads the target user of this tenant; another tenant's id is simply not found (404). */
static int target(struct web *w, struct user *u)
{
    int bad = 0;
    long long id = req_int(&w->req, "user_id", 1, 1LL << 62, 0, &bad);
    if (bad || !id || user_find(w->db, w->sess->tenant_id, id, u) != 1) {
        web_error(w, 404, "There is no such user in your company.");
        return -1;
    }
    return 0;
}

static int is_last_admin(struct web *w, const struct user *u)
{
    long long admins = 0;
    if (strcmp(u->role, "admin") || u->disabled)
        return 0;
    return user_count_admins(w->db, w->sess->tenant_id, &admins) < 0 || admins <= 1;
}

static void change_role(struct web *w)
{
    struct user u;
    if (target(w, &u) < 0)
        return;
    const char *role = req_form(&w->req, "role");
    if (role_parse(role) == ROLE_NONE) {
        web_error(w, 400, "Choose admin, billing or viewer.");
        return;
    }
    if (strcmp(role, "admin") && is_last_admin(w, &u)) {
        web_flash(w, "The last administrator cannot be demoted. Make someone else an admin first.");
        web_redirect(w, "/users");
        return;
    }
    if (user_set_role(w->db, u.tenant_id, u.id, role) < 0) {
        web_error(w, 503, "The role could not be changed. Nothing was changed.");
        return;
    }
    char detail[80];
    snprintf(detail, sizeof detail, "%s -> %s", u.role, role);
    auth_audit(w, 0, 0, NULL, "user.role_changed", u.email, detail);
    web_flash(w, "Role changed.");
    web_redirect(w, "/users");
}

static void set_disabled(struct web *w, int disabled)
{
    struct user u;
    if (target(w, &u) < 0)
        return;
    if (disabled && is_last_admin(w, &u)) {
        web_flash(w, "The last administrator cannot be disabled. Make someone else an admin first.");
        web_redirect(w, "/users");
        return;
    }
    if (user_set_disabled(w->db, u.tenant_id, u.id, disabled) < 0 ||
        (disabled && sessions_end_user(w->db, u.tenant_id, u.id) < 0)) {
        web_error(w, 503, "The user could not be changed. Try again.");
        return;
    }
    auth_audit(w, 0, 0, NULL, disabled ? "user.disabled" : "user.enabled", u.email, NULL);
    web_flash(w, disabled ? "User disabled; their sessions have ended." : "User enabled.");
    web_redirect(w, "/users");
}

static void set_require_2fa(struct web *w)
{
    int on = req_form(&w->req, "require_2fa") != NULL;
    if (tenant_set_requires_2fa(w->db, w->sess->tenant_id, on) < 0) {
        web_error(w, 503, "The setting could not be saved.");
        return;
    }
    auth_audit(w, 0, 0, NULL, on ? "tenant.2fa_required" : "tenant.2fa_optional", w->sess->tenant_name, NULL);
    web_flash(w, on ? "Two-factor sign-in is now required for everyone." : "Two-factor sign-in is now optional.");
    web_redirect(w, "/users");
}

void page_users(struct web *w)
{
    if (req_is_post(&w->req)) {
        const char *action = req_form(&w->req, "action");
        action = action ? action : "";
        if (!strcmp(action, "invite")) {
            invite(w);
            if (w->resp.status == 303)
                return;
        } else if (!strcmp(action, "role")) {
            change_role(w);
            return;
        } else if (!strcmp(action, "disable") || !strcmp(action, "enable")) {
            set_disabled(w, !strcmp(action, "disable"));
            return;
        } else if (!strcmp(action, "require_2fa")) {
            set_require_2fa(w);
            return;
        } else {
            web_error(w, 400, "Unknown action.");
            return;
        }
    }
    list_users(w);
}
