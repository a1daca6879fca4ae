/* page_password.c: /forgot (ask for a reset link), /reset?token= and /invite?token= (set a
 * password with a single-use token from a mail). */
#include "web/pages.h"

#include "common/config.h"
#include "common/log.h"
#include "common/secret_key.h"
#include "db/accounts.h"
#include "db/outbox.h"
#include "db/throttle.h"
#include "db/tokens.h"
#include "web/auth.h"
#include "db/sessions.h"
#include "web/session.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define RESEND_GAP_S 60           /* at most one reset mail a minute per account */

static void forgot_send(struct web *w, const char *email)
{
    struct user u;
    int found = user_find_by_email(w->db, email, &u);
    long long age = -1;
    if (found == 1 && !u.disabled && token_last_age(w->db, u.tenant_id, u.id, "reset", &age) == 0 &&
        (age < 0 || age >= RESEND_GAP_S)) {
        char raw[44], body[1500];
        if (token_create(w->db, u.tenant_id, u.id, "reset", TOKEN_TTL_S, raw) < 0) {
            log_error("forgot: cannot create token: %s", db_error(w->db));
            return;
        }
        snprintf(body, sizeof body,
                 "Someone (hopefully you) asked to reset the billsync password of %s.\n\n"
                 "Set a new password here within 60 minutes:\n%s/reset?token=%s\n\n"
                 "The link works once. If you did not ask for it, ignore this mail: your\n"
                 "password stays as it is.\n",
                 u.email, w->cfg->base_url, raw);
        sodium_memzero(raw, sizeof raw);
        if (outbox_enqueue(w->db, secret_key(w->cfg), u.tenant_id, u.email,
                           "Reset your billsync password", body) < 0)
            log_error("forgot: cannot queue the mail: %s", db_error(w->db));
        sodium_memzero(body, sizeof body);
        auth_audit(w, u.tenant_id, u.id, u.email, "password.reset_requested", u.email, NULL);
    } else {
        /* Unknown address: about the same work, so timing says nothing either. */
        char raw[44];
        crypto_token_new(raw, sizeof raw);
        token_last_age(w->db, 0, 0, "reset", &age);
    }
}

void page_forgot(struct web *w)
{
    hset(w, "CSRF", csrf_token(w));
    if (req_is_post(&w->req)) {
        char email[255];
        const char *in = req_form(&w->req, "email");
        size_t k = 0;
        for (; in && *in && k + 1 < sizeof email; in++)
            if (!isspace((unsigned char)*in))
                email[k++] = (char)tolower((unsigned char)*in);
        email[k] = 0;
        if (!k || !strchr(email, '@')) {
            hset(w, "Errors.email", "Enter the e-mail address you sign in with.");
            hset(w, "Form.email", in);
        } else {
            /* Counted per address asked for and per client, known or not: the answer is the
             * same either way, and nobody can flood an inbox from here. */
            long long wait_s = 0;
            int t = throttle_forgot(w->db, email, w->req.remote_addr, &wait_s);
            if (t != 0) {
                char msg[200];
                auth_throttle_message(msg, sizeof msg, t, "reset requests", wait_s);
                hset(w, "Errors.email", msg);
                hset(w, "Form.email", in);
                w->resp.status = t < 0 ? 503 : 429;
            } else {
                forgot_send(w, email);
                hset(w, "Sent", "1");   /* the same answer whether or not the address is known */
            }
        }
    }
    web_render(w, "forgot.cs");
}

struct token_page {
    const char *purpose;          /* "reset" or "invite" */
    const char *path;
    const char *done;             /* where to go afterwards */
    const char *audit;
};

static void invalid_link(struct web *w, const struct token_page *tp)
{
    w->resp.status = 400;
    hset(w, "Page.title", "This link cannot be used");
    hset(w, "Invalid", "1");
    hset(w, "Purpose", tp->purpose);
    web_render(w, "set_password.cs");
}

struct set_pw {
    const char *token, *purpose;
    const char *hash;
    long long tenant_id, user_id;
};

static int set_pw_txn(db_t *db, void *vctx)
{
    struct set_pw *c = vctx;
    long long t, u;
    int live = token_burn(db, c->token, c->purpose, &t, &u);
    if (live != 1)
        return live < 0 ? -1 : 1;
    c->tenant_id = t;
    c->user_id = u;
    if (user_change_password(db, t, u, c->hash, NULL) < 0)
        return -1;
    return 0;
}

static void token_page(struct web *w, const struct token_page *tp)
{
    const char *token = req_param(&w->req, "token");
    long long tenant_id, user_id;
    int live = token_peek(w->db, token, tp->purpose, &tenant_id, &user_id);
    if (live < 0) {
        web_error(w, 503, "The database is not answering. Try the link again in a minute.");
        return;
    }
    struct user u;
    if (live == 0 || user_find(w->db, tenant_id, user_id, &u) != 1 || u.disabled) {
        invalid_link(w, tp);
        return;
    }
    hset(w, "Page.title", strcmp(tp->purpose, "invite") ? "Choose a new password" : "Welcome to billsync");
    hset(w, "Purpose", tp->purpose);
    hset(w, "Action", tp->path);
    hset(w, "Token", token);
    hset(w, "Email", u.email);
    hset(w, "CSRF", csrf_token(w));
    if (req_is_post(&w->req)) {
        const char *pw = req_form(&w->req, "password"), *again = req_form(&w->req, "confirm");
        const char *problem = auth_password_problem(w, pw ? pw : "", u.email);
        if (!problem && (!again || strcmp(pw, again)))
            hset(w, "Errors.confirm", "The two passwords are not the same.");
        else if (problem)
            hset(w, "Errors.password", problem);
        else {
            char hash[CRYPTO_PWHASH_LEN];
            if (auth_hash_password(w, pw, hash) < 0) {
                web_error(w, 500, "The password could not be stored. Nothing was changed.");
                return;
            }
            struct set_pw c = {token, tp->purpose, hash, 0, 0};
            int rc = db_txn(w->db, set_pw_txn, &c);
            if (rc == 1) {
                invalid_link(w, tp);           /* used by a parallel request a moment ago */
                return;
            }
            if (rc != 0) {
                web_error(w, 503, "The password could not be stored. Nothing was changed; try again.");
                return;
            }
            auth_audit(w, c.tenant_id, c.user_id, u.email, tp->audit, u.email, NULL);
            if (w->sess && w->sess->user_id == c.user_id)
                session_destroy(w);
            web_redirect(w, tp->done);
            return;
        }
    }
    web_render(w, "set_password.cs");
}

void page_reset(struct web *w)
{
    static const struct token_page tp = {"reset", "/reset", "/login?m=reset", "password.reset_done"};
    token_page(w, &tp);
}

void page_invite(struct web *w)
{
    static const struct token_page tp = {"invite", "/invite", "/login?m=welcome", "invite.accepted"};
    token_page(w, &tp);
}
