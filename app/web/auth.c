/* auth.c: what the sign-in pages share (see auth.h). */
#include "web/auth.h"

#include "common/config.h"
#include "common/log.h"
#include "common/password_list.h"
#include "core/password_policy.h"
#include "db/audit.h"

#include <string.h>

static struct password_list common_list;
static int list_state;            /* per process: 0 not loaded, 1 loaded, -1 failed */

const char *auth_password_problem(struct web *w, const char *pw, const char *email)
{
    if (list_state == 0) {
        char err[256];
        list_state = password_list_load(w->cfg->common_passwords, &common_list, err, sizeof err)
                         == 0 ? 1 : -1;
        if (list_state < 0)
            log_error("common password list: %s", err);
    }
    const char *reason = NULL;
    if (password_check(pw, email, list_state == 1 ? common_list.words : NULL,
                       list_state == 1 ? common_list.count : 0, &reason) == 0)
        return NULL;
    return reason ? reason : "This password cannot be used.";
}

int auth_hash_password(struct web *w, const char *pw, char out[CRYPTO_PWHASH_LEN])
{
    struct crypto_pw_cost cost = {(unsigned long long)w->cfg->argon2_ops,
                                  (size_t)w->cfg->argon2_mem_kib * 1024};
    return crypto_password_hash(pw, &cost, out);
}

void auth_audit(struct web *w, long long tenant_id, long long user_id, const char *email,
                const char *action, const char *subject, const char *detail)
{
    if (w->sess) {
        tenant_id = tenant_id ? tenant_id : w->sess->tenant_id;
        user_id = user_id ? user_id : w->sess->user_id;
        email = email ? email : w->sess->email;
    }
    if (!tenant_id)
        return;
    if (audit_add(w->db, tenant_id, user_id, email, action, subject, detail, w->req.remote_addr) < 0)
        log_error("audit %s: %s", action, db_error(w->db));
}

int auth_is_local_path(const char *p)
{
    return p && p[0] == '/' && p[1] != '/' && p[1] != '\\' && !strpbrk(p, "\r\n\t") &&
           !strstr(p, "/\\");
}

void auth_throttle_message(char *buf, size_t n, int t, const char *what, long long wait_s)
{
    long long min = (wait_s + 59) / 60;
    if (t < 0)
        snprintf(buf, n, "This is not available right now. Try again in a minute.");
    else
        snprintf(buf, n, "Too many %s. For your safety, try again in %lld minute%s.", what, min,
                 min == 1 ? "" : "s");
}

enum role role_parse(const char *s)
{
    if (!s)
        return ROLE_NONE;
    if (strcmp(s, "admin") == 0)
        return ROLE_ADMIN;
    if (strcmp(s, "billing") == 0)
        return ROLE_BILLING;
    if (strcmp(s, "viewer") == 0)
        return ROLE_VIEWER;
    return ROLE_NONE;
}

const char *role_name(enum role r)
{
    static const char *const names[] = {"none", "viewer", "billing", "admin"};
    return (r >= ROLE_NONE && r <= ROLE_ADMIN) ? names[r] : "none";
}
