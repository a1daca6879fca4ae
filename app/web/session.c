/* session.c: sign-in sessions in MariaDB (hashed ids), CSRF tokens, flash messages. */
#include "web/session.h"

#include "common/config.h"
#include "common/crypto.h"
#include "common/log.h"
#include "db/sessions.h"
#include "web/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_https(const struct web *w) { return strncmp(w->cfg->base_url, "https://", 8) == 0; }

static void set_cookie(struct web *w, const char *name, const char *value, int max_age)
{
    char c[300];
    snprintf(c, sizeof c, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s", name, value,
             is_https(w) ? "; Secure" : "", max_age == 0 ? "; Max-Age=0" : "");
    resp_header(&w->resp, "Set-Cookie", c);
}

int session_load(struct web *w)
{
    const char *tok = kv_get(&w->req.cookies, SESSION_COOKIE);
    if (!tok || strlen(tok) != CRYPTO_TOKEN_LEN)
        return 0;
    char hash[CRYPTO_TOKEN_HASH_LEN + 1];
    if (crypto_token_hash(tok, hash) < 0)
        return 0;
    struct session_row row;
    int found = sessions_find(w->db, hash, &row);
    if (found <= 0)
        return found;
    if (row.age_s > w->cfg->session_absolute || row.idle_s > w->cfg->session_idle || row.disabled) {
        sessions_delete(w->db, hash);
        set_cookie(w, SESSION_COOKIE, "", 0);
        return 0;
    }
    struct session *s = &w->sess_store;
    memset(s, 0, sizeof *s);
    snprintf(s->id_hash, sizeof s->id_hash, "%s", hash);
    s->tenant_id = row.tenant_id;
    s->user_id = row.user_id;
    snprintf(s->email, sizeof s->email, "%s", row.email);
    s->role = role_parse(row.role);
    snprintf(s->csrf, sizeof s->csrf, "%s", row.csrf);
    s->mfa_ok = row.mfa_ok;
    snprintf(s->tenant_name, sizeof s->tenant_name, "%s", row.tenant_name);
    w->sess = s;
    /* Sliding idle expiry; written at most every 15 s to spare the database. */
    if (row.idle_s >= 15)
        sessions_touch(w->db, hash);
    return 0;
}

int session_create(struct web *w, long long tenant_id, long long user_id, int mfa_ok)
{
    char tok[CRYPTO_TOKEN_LEN + 1], hash[CRYPTO_TOKEN_HASH_LEN + 1], csrf[CRYPTO_TOKEN_LEN + 1];
    if (crypto_token_new(tok, sizeof tok) < 0 || crypto_token_hash(tok, hash) < 0 ||
        crypto_token_new(csrf, sizeof csrf) < 0)
        return -1;
    if (w->sess)
        session_destroy(w);
    if (sessions_insert(w->db, hash, tenant_id, user_id, csrf, mfa_ok, w->cfg->session_absolute,
                        w->req.remote_addr) < 0)
        return -1;
    set_cookie(w, SESSION_COOKIE, tok, -1);
    sodium_memzero(tok, sizeof tok);
    return 0;
}

void session_destroy(struct web *w)
{
    if (w->sess)
        sessions_delete(w->db, w->sess->id_hash);
    set_cookie(w, SESSION_COOKIE, "", 0);
    w->sess = NULL;
}

int session_set_mfa_ok(struct web *w)
{
    if (!w->sess)
        return -1;
    w->sess->mfa_ok = 1;
    return sessions_set_mfa_ok(w->db, w->sess->tenant_id, w->sess->id_hash);
}

const char *csrf_token(struct web *w)
{
    if (w->sess)
        return w->sess->csrf;
    const char *c = kv_get(&w->req.cookies, PRESESSION_COOKIE);
    if (c && strlen(c) == CRYPTO_TOKEN_LEN)
        return c;
    if (!w->csrf_pre[0]) {        /* once per response, however many forms ask */
        if (crypto_token_new(w->csrf_pre, sizeof w->csrf_pre) < 0)
            return "";
        set_cookie(w, PRESESSION_COOKIE, w->csrf_pre, -1);
    }
    return w->csrf_pre;
}

int csrf_check(struct web *w)
{
    const char *sent = req_form(&w->req, "csrf");
    if (!sent)
        return -1;
    if (w->sess)
        return crypto_compare(sent, w->sess->csrf);
    const char *c = kv_get(&w->req.cookies, PRESESSION_COOKIE);
    if (!c || strlen(c) != CRYPTO_TOKEN_LEN)
        return -1;
    return crypto_compare(sent, c);
}

char *session_take_flash(struct web *w)
{
    return w->sess ? sessions_take_flash(w->db, w->sess->id_hash) : NULL;
}

void web_flash(struct web *w, const char *message)
{
    if (w->sess)
        sessions_set_flash(w->db, w->sess->tenant_id, w->sess->id_hash, message);
}
