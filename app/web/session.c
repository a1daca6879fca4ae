/* session.c: sign-in sessions in MariaDB (hashed ids), CSRF tokens, flash messages. */
#include "web/session.h"

#include "common/config.h"
#include "common/crypto.h"
#include "common/log.h"

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
    struct dbrows r;
    if (db_query(w->db,
                 "SELECT s.tenant_id, s.user_id, u.email, u.role, s.csrf_token, s.mfa_ok, t.name,"
                 " TIMESTAMPDIFF(SECOND, s.created_at, UTC_TIMESTAMP(6)),"
                 " TIMESTAMPDIFF(SECOND, s.last_seen_at, UTC_TIMESTAMP(6)), u.disabled"
                 " FROM sessions s JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id"
                 " JOIN tenants t ON t.id = s.tenant_id WHERE s.id_hash = ?",
                 DB_PARAMS(DB_STR(hash)), &r) < 0)
        return -1;
    if (r.nrows == 0) {
        dbrows_free(&r);
        return 0;
    }
    long long age = dbrows_int(&r, 0, 7, 0), idle = dbrows_int(&r, 0, 8, 0);
    int disabled = (int)dbrows_int(&r, 0, 9, 1);
    if (age > w->cfg->session_absolute || idle > w->cfg->session_idle || disabled) {
        dbrows_free(&r);
        db_exec(w->db, "DELETE FROM sessions WHERE id_hash = ?", DB_PARAMS(DB_STR(hash)), NULL,
                NULL);
        set_cookie(w, SESSION_COOKIE, "", 0);
        return 0;
    }
    struct session *s = &w->sess_store;
    memset(s, 0, sizeof *s);
    snprintf(s->id_hash, sizeof s->id_hash, "%s", hash);
    s->tenant_id = dbrows_int(&r, 0, 0, 0);
    s->user_id = dbrows_int(&r, 0, 1, 0);
    snprintf(s->email, sizeof s->email, "%s", dbrows_get(&r, 0, 2));
    s->role = role_parse(dbrows_get(&r, 0, 3));
    snprintf(s->csrf, sizeof s->csrf, "%s", dbrows_get(&r, 0, 4));
    s->mfa_ok = (int)dbrows_int(&r, 0, 5, 0);
    snprintf(s->tenant_name, sizeof s->tenant_name, "%s", dbrows_get(&r, 0, 6));
    dbrows_free(&r);
    w->sess = s;
    /* Sliding idle expiry; written at most every 15 s to spare the database. */
    if (idle >= 15)
        db_exec(w->db, "UPDATE sessions SET last_seen_at = UTC_TIMESTAMP(6) WHERE id_hash = ?",
                DB_PARAMS(DB_STR(hash)), NULL, NULL);
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
    if (db_exec(w->db,
                "INSERT INTO sessions (id_hash, tenant_id, user_id, csrf_token, mfa_ok, expires_at, ip)"
                " VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND, ?)",
                DB_PARAMS(DB_STR(hash), DB_INT(tenant_id), DB_INT(user_id), DB_STR(csrf),
                          DB_INT(mfa_ok), DB_INT(w->cfg->session_absolute),
                          DB_STR(w->req.remote_addr)),
                NULL, NULL) < 0)
        return -1;
    set_cookie(w, SESSION_COOKIE, tok, -1);
    sodium_memzero(tok, sizeof tok);
    return 0;
}

void session_destroy(struct web *w)
{
    if (w->sess)
        db_exec(w->db, "DELETE FROM sessions WHERE id_hash = ? AND tenant_id = ?",
                DB_PARAMS(DB_STR(w->sess->id_hash), DB_INT(w->sess->tenant_id)), NULL, NULL);
    set_cookie(w, SESSION_COOKIE, "", 0);
    w->sess = NULL;
}

int session_set_mfa_ok(struct web *w)
{
    if (!w->sess)
        return -1;
    w->sess->mfa_ok = 1;
    return db_exec(w->db, "UPDATE sessions SET mfa_ok = 1 WHERE id_hash = ? AND tenant_id = ?",
                   DB_PARAMS(DB_STR(w->sess->id_hash), DB_INT(w->sess->tenant_id)), NULL, NULL);
}

int session_end_all_for_user(db_t *db, long long tenant_id, long long user_id)
{
    return db_exec(db, "DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?",
                   DB_PARAMS(DB_INT(tenant_id), DB_INT(user_id)), NULL, NULL);
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
    if (!w->sess)
        return NULL;
    struct dbrows r;
    if (db_query(w->db, "SELECT flash FROM sessions WHERE id_hash = ? AND flash IS NOT NULL",
                 DB_PARAMS(DB_STR(w->sess->id_hash)), &r) < 0)
        return NULL;
    char *msg = r.nrows ? strdup(dbrows_get(&r, 0, 0)) : NULL;
    dbrows_free(&r);
    if (msg)
        db_exec(w->db, "UPDATE sessions SET flash = NULL WHERE id_hash = ?",
                DB_PARAMS(DB_STR(w->sess->id_hash)), NULL, NULL);
    return msg;
}

void web_flash(struct web *w, const char *message)
{
    if (w->sess)
        db_exec(w->db, "UPDATE sessions SET flash = ? WHERE id_hash = ? AND tenant_id = ?",
                DB_PARAMS(DB_STR(message), DB_STR(w->sess->id_hash), DB_INT(w->sess->tenant_id)),
                NULL, NULL);
}
