/* page_login.c: /login (e-mail + password), /login/2fa (TOTP second factor), /logout. */
#include "web/pages.h"

#include "common/config.h"
#include "common/crypto.h"
#include "common/secret_key.h"
#include "common/totp.h"
#include "db/accounts.h"
#include "db/throttle.h"
#include "web/auth.h"
#include "web/session.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
    const char *code, *text;
} notices[] = {
    {"bye", "You are signed out."},
    {"reset", "Your password was changed. Sign in with the new one."},
    {"welcome", "Your password is set. Sign in to start."},
    {"expired", "Your session ended. Sign in again."},
};

/* Lower-cases and trims an e-mail address into out. */
static void normalise_email(const char *in, char *out, size_t n)
{
    while (in && isspace((unsigned char)*in))
        in++;
    size_t k = 0;
    for (; in && *in && k + 1 < n; in++)
        out[k++] = (char)tolower((unsigned char)*in);
    while (k > 0 && isspace((unsigned char)out[k - 1]))
        k--;
    out[k] = 0;
}

static const char *next_target(struct web *w)
{
    const char *next = req_param(&w->req, "next");
    return auth_is_local_path(next) ? next : "/";
}

static void show_form(struct web *w, const char *email, const char *error, int status)
{
    const char *m = req_query(&w->req, "m");
    for (size_t i = 0; m && i < sizeof notices / sizeof notices[0]; i++)
        if (!strcmp(m, notices[i].code))
            hset(w, "Notice", notices[i].text);
    hset(w, "Form.email", email);
    hset(w, "Form.next", next_target(w));
    hset(w, "Error", error);
    hset(w, "CSRF", csrf_token(w));
    web_render(w, "login.cs");
    if (status)
        w->resp.status = status;
}

static void redirect_with_next(struct web *w, const char *path, const char *next)
{
    char *enc = NULL, loc[2200];
    if (strcmp(next, "/") && neos_url_escape(next, &enc, NULL) == STATUS_OK) {
        snprintf(loc, sizeof loc, "%s?next=%s", path, enc);
        free(enc);
        web_redirect(w, loc);
    } else {
        web_redirect(w, path);
    }
}

static void login_post(struct web *w)
{
    char email[255];
    normalise_email(req_form(&w->req, "email"), email, sizeof email);
    const char *pw = req_form(&w->req, "password");
    if (!*email || !pw || !*pw) {
        show_form(w, email, "Enter your e-mail address and your password.", 0);
        return;
    }
    long long wait_s = 0;
    int t = throttle_check(w->db, email, w->req.remote_addr, &wait_s);
    if (t != 0) {
        char msg[160];
        auth_throttle_message(msg, sizeof msg, t, "failed sign-ins", wait_s);
        show_form(w, email, msg, t < 0 ? 503 : 429);
        return;
    }
    struct user u;
    int found = user_find_by_email(w->db, email, &u);
    int ok = 0;
    if (found == 1 && u.password_hash[0]) {
        ok = crypto_password_verify(u.password_hash, pw) == 0 && !u.disabled;
    } else {
        /* Spend the same time on an unknown address: timing must not tell who has an account. */
        struct crypto_pw_cost cost = {(unsigned long long)w->cfg->argon2_ops,
                                      (size_t)w->cfg->argon2_mem_kib * 1024};
        crypto_password_dummy_verify(pw, &cost);
    }
    if (!ok) {
        throttle_record_failure(w->db, email, w->req.remote_addr);
        if (found == 1)
            auth_audit(w, u.tenant_id, u.id, u.email, "login.failure", u.email,
                       u.disabled ? "account disabled" : "wrong password");
        show_form(w, email, "The e-mail address or the password is not right.", 0);
        return;
    }
    throttle_reset_account(w->db, email);
    struct crypto_pw_cost cost = {(unsigned long long)w->cfg->argon2_ops,
                                  (size_t)w->cfg->argon2_mem_kib * 1024};
    if (crypto_password_needs_rehash(u.password_hash, &cost) == 1) {
        char hash[CRYPTO_PWHASH_LEN];
        if (crypto_password_hash(pw, &cost, hash) == 0)
            user_set_password(w->db, u.tenant_id, u.id, hash);
    }
    int second_factor = u.totp_enabled || tenant_requires_2fa(w->db, u.tenant_id);
    if (session_create(w, u.tenant_id, u.id, !second_factor) < 0) {
        web_error(w, 503, "Sign-in is not available right now. Try again in a minute.");
        return;
    }
    auth_audit(w, u.tenant_id, u.id, u.email, "login.success", u.email, NULL);
    if (u.totp_enabled)
        redirect_with_next(w, "/login/2fa", next_target(w));
    else if (second_factor)
        web_redirect(w, "/profile?enrol=1");     /* the tenant requires 2FA: enrol first */
    else
        web_redirect(w, next_target(w));
}

void page_login(struct web *w)
{
    if (req_is_post(&w->req)) {
        login_post(w);
        return;
    }
    if (w->sess && w->sess->mfa_ok) {
        web_redirect(w, next_target(w));
        return;
    }
    show_form(w, "", NULL, 0);
}

/* Checks a TOTP code for the signed-in user and records its time step, so the same code
 * cannot be used twice. 1 ok, 0 wrong or replayed, -1 error. */
int page_totp_accept(struct web *w, const struct user *u, const char *code)
{
    const unsigned char *key = secret_key(w->cfg);
    char *secret = NULL;
    size_t len = 0;
    if (!key || !u->totp_secret[0] || crypto_open(key, u->totp_secret, &secret, &len) < 0)
        return -1;
    int64_t step = 0;
    int ok = totp_verify(secret, code ? code : "", (int64_t)time(NULL), 1, u->totp_last_step,
                         &step) == 0;
    crypto_free_secret(secret, len);
    if (!ok)
        return 0;
    return user_accept_totp_step(w->db, u->tenant_id, u->id, step);
}

void page_login_2fa(struct web *w)
{
    if (w->sess->mfa_ok) {
        web_redirect(w, next_target(w));
        return;
    }
    struct user u;
    if (user_find(w->db, w->sess->tenant_id, w->sess->user_id, &u) != 1) {
        web_error(w, 503, "Sign-in is not available right now. Try again in a minute.");
        return;
    }
    if (!u.totp_enabled) {
        web_redirect(w, "/profile?enrol=1");
        return;
    }
    hset(w, "Form.next", next_target(w));
    hset(w, "CSRF", csrf_token(w));
    if (req_is_post(&w->req)) {
        long long wait_s = 0;
        int t = throttle_check(w->db, u.email, w->req.remote_addr, &wait_s);
        int ok = t == 0 ? page_totp_accept(w, &u, req_form(&w->req, "code")) : 0;
        if (ok == 1) {
            throttle_reset_account(w->db, u.email);
            session_set_mfa_ok(w);
            auth_audit(w, 0, 0, NULL, "login.2fa", u.email, NULL);
            web_redirect(w, next_target(w));
            return;
        }
        char msg[160];
        if (t == 1) {
            auth_throttle_message(msg, sizeof msg, 1, "failed sign-ins", wait_s);
        } else {
            throttle_record_failure(w->db, u.email, w->req.remote_addr);
            auth_audit(w, 0, 0, NULL, "login.failure", u.email, "wrong or replayed 2FA code");
            snprintf(msg, sizeof msg, "That code is not right, or it was used already. Enter the "
                                      "current code from your app.");
        }
        hset(w, "Error", msg);
    }
    web_render(w, "login_2fa.cs");
}

void page_logout(struct web *w)
{
    if (!req_is_post(&w->req)) {
        web_error(w, 405, "Use the Sign out button.");
        return;
    }
    auth_audit(w, 0, 0, NULL, "logout", w->sess->email, NULL);
    session_destroy(w);
    web_redirect(w, "/login?m=bye");
}
