/* page_profile.c: /profile: change one's own password (current one required), turn TOTP
 * two-factor sign-in on (secret, otpauth URI, QR image) or off; /profile/qr.svg. */
#include "web/pages.h"

#include "common/config.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/qr.h"
#include "common/secret_key.h"
#include "common/totp.h"
#include "db/accounts.h"
#include "db/sessions.h"
#include "db/throttle.h"
#include "web/auth.h"
#include "web/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Loads the signed-in user; a user with 2FA on who has not given the code yet is sent to
 * /login/2fa (the page is reachable before the second factor only for enrolment). */
static int load_me(struct web *w, struct user *u)
{
    if (user_find(w->db, w->sess->tenant_id, w->sess->user_id, u) != 1) {
        web_error(w, 503, "Your profile could not be read. Try again in a minute.");
        return -1;
    }
    if (!w->sess->mfa_ok && u->totp_enabled) {
        web_redirect(w, "/login/2fa");
        return -1;
    }
    return 0;
}

static int pending_secret(struct web *w, const struct user *u, char *out, size_t n)
{
    const unsigned char *key = secret_key(w->cfg);
    char *plain = NULL;
    size_t len = 0;
    if (!key || !u->totp_secret[0] || crypto_open(key, u->totp_secret, &plain, &len) < 0)
        return -1;
    snprintf(out, n, "%s", plain);
    crypto_free_secret(plain, len);
    return 0;
}

static void change_password(struct web *w, const struct user *u)
{
    const char *cur = req_form(&w->req, "current"), *pw = req_form(&w->req, "password");
    const char *again = req_form(&w->req, "confirm");
    /* The current password is a password guess like a sign-in: the same throttle counts it,
     * so a stolen session cannot try passwords here at leisure. */
    long long wait_s = 0;
    int t = throttle_check(w->db, u->email, w->req.remote_addr, &wait_s);
    if (t != 0) {
        char msg[160];
        auth_throttle_message(msg, sizeof msg, t, "wrong passwords", wait_s);
        hset(w, "Errors.current", msg);
        return;
    }
    if (!cur || crypto_password_verify(u->password_hash, cur) != 0) {
        throttle_record_failure(w->db, u->email, w->req.remote_addr);
        auth_audit(w, 0, 0, NULL, "password.change_failed", u->email, "wrong current password");
        hset(w, "Errors.current", "That is not your current password.");
        return;
    }
    throttle_reset_account(w->db, u->email);
    const char *problem = auth_password_problem(w, pw ? pw : "", u->email);
    if (problem) {
        hset(w, "Errors.password", problem);
        return;
    }
    if (!again || strcmp(pw, again)) {
        hset(w, "Errors.confirm", "The two passwords are not the same.");
        return;
    }
    char hash[CRYPTO_PWHASH_LEN];
    /* Other sessions of this user end, and so do reset links sent before; this one goes on. */
    if (auth_hash_password(w, pw, hash) < 0 ||
        user_change_password_txn(w->db, u->tenant_id, u->id, hash, w->sess->id_hash) < 0) {
        web_error(w, 503, "The password could not be saved. Nothing was changed.");
        return;
    }
    auth_audit(w, 0, 0, NULL, "password.changed", u->email, NULL);
    web_flash(w, "Your password was changed. Other sessions were signed out.");
    web_redirect(w, "/profile");
}

static void totp_start(struct web *w, const struct user *u)
{
    char secret[TOTP_SECRET_B32_LEN + 1];
    char *sealed = NULL;
    const unsigned char *key = secret_key(w->cfg);
    if (u->totp_enabled) {
        web_redirect(w, "/profile");
        return;
    }
    if (!key || totp_secret_new(secret) < 0 || crypto_seal(key, secret, strlen(secret), &sealed) < 0 ||
        user_totp_set_pending(w->db, u->tenant_id, u->id, sealed) < 0) {
        free(sealed);
        web_error(w, 503, "Two-factor sign-in could not be prepared. Try again.");
        return;
    }
    free(sealed);
    sodium_memzero(secret, sizeof secret);
    web_redirect(w, "/profile?enrol=1");
}

static void totp_confirm(struct web *w, struct user *u)
{
    if (u->totp_enabled || !u->totp_secret[0]) {
        web_redirect(w, "/profile");
        return;
    }
    int ok = page_totp_accept(w, u, req_form(&w->req, "code"));
    if (ok != 1) {
        hset(w, "Errors.code", "That code is not right. Enter the current code from your app.");
        return;
    }
    user_totp_enable(w->db, u->tenant_id, u->id);
    session_set_mfa_ok(w);
    auth_audit(w, 0, 0, NULL, "2fa.on", u->email, NULL);
    web_flash(w, "Two-factor sign-in is on. You will be asked for a code at each sign-in.");
    web_redirect(w, "/profile");
}

static void totp_off(struct web *w, struct user *u)
{
    if (!u->totp_enabled) {
        web_redirect(w, "/profile");
        return;
    }
    if (tenant_requires_2fa(w->db, w->sess->tenant_id)) {
        hset(w, "Errors.off", "Your company requires two-factor sign-in; it cannot be turned off.");
        return;
    }
    if (page_totp_accept(w, u, req_form(&w->req, "code")) != 1) {
        hset(w, "Errors.off", "That code is not right. Enter the current code from your app.");
        return;
    }
    user_totp_disable(w->db, u->tenant_id, u->id);
    auth_audit(w, 0, 0, NULL, "2fa.off", u->email, NULL);
    web_flash(w, "Two-factor sign-in is off.");
    web_redirect(w, "/profile");
}

void page_profile(struct web *w)
{
    struct user u;
    if (load_me(w, &u) < 0)
        return;
    if (req_is_post(&w->req)) {
        const char *action = req_form(&w->req, "action");
        action = action ? action : "";
        if (!strcmp(action, "password"))
            change_password(w, &u);
        else if (!strcmp(action, "totp_start"))
            totp_start(w, &u);
        else if (!strcmp(action, "totp_confirm"))
            totp_confirm(w, &u);
        else if (!strcmp(action, "totp_off"))
            totp_off(w, &u);
        else
            web_error(w, 400, "Unknown action.");
        if (w->resp.status != 200)
            return;
    }
    hset(w, "Me.email", u.email);
    hset(w, "Me.role", u.role);
    hset_int(w, "Me.totp", u.totp_enabled);
    int required = tenant_requires_2fa(w->db, w->sess->tenant_id);
    hset_int(w, "Require2fa", required);
    if (!u.totp_enabled && u.totp_secret[0]) {
        char secret[TOTP_SECRET_B32_LEN + 1], uri[512];
        if (pending_secret(w, &u, secret, sizeof secret) == 0 &&
            totp_uri("billsync", u.email, secret, uri, sizeof uri) == 0) {
            hset(w, "Enrol.secret", secret);
            hset(w, "Enrol.uri", uri);
        }
        sodium_memzero(secret, sizeof secret);
    }
    hset(w, "Page.title", "Your profile");
    web_render(w, "profile.cs");
}

void page_profile_qr(struct web *w)
{
    struct user u;
    if (load_me(w, &u) < 0)
        return;
    char secret[TOTP_SECRET_B32_LEN + 1], uri[512];
    char *svg = NULL;
    if (u.totp_enabled || pending_secret(w, &u, secret, sizeof secret) < 0) {
        web_error(w, 404, "There is no two-factor enrolment in progress.");
        return;
    }
    int rc = totp_uri("billsync", u.email, secret, uri, sizeof uri);
    sodium_memzero(secret, sizeof secret);
    if (rc < 0 || qr_svg(uri, &svg) < 0) {
        web_error(w, 500, "The QR code could not be drawn; type the secret into your app instead.");
        return;
    }
    resp_text(&w->resp, 200, "image/svg+xml", svg);
    free(svg);
}
