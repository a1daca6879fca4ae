/* config.c: billsync.conf (INI) with BILLSYNC_SECTION_KEY environment overrides. */
#include "common/config.h"
#include "common/db_hosts.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_STR, K_INT };

struct setting {
    const char *section, *key;
    enum kind kind;
    size_t offset, size;          /* size: buffer size for strings */
    long min, max;                /* ints: range; strings: min 1 = required */
    const char *def;
};

#define S(sec, k, field, req, d) { sec, k, K_STR, offsetof(struct config, field), \
        sizeof(((struct config *)0)->field), req, 0, d }
#define I(sec, k, field, lo, hi, d) { sec, k, K_INT, offsetof(struct config, field), \
        sizeof(int), lo, hi, d }

static const struct setting settings[] = {
    S("db", "socket", db_socket, 0, ""),
    S("db", "host", db_host, 0, ""),
    I("db", "port", db_port, 1, 65535, "3306"),
    S("db", "name", db_name, 1, "billsync"),
    S("db", "user", db_user, 1, "billsync"),
    S("db", "password", db_password, 0, ""),
    I("db", "timeout", db_timeout, 1, 600, "10"),
    S("web", "socket", web_socket, 1, "var/run/web.sock"),
    I("web", "children", web_children, 1, 256, "4"),
    I("web", "max_body", web_max_body, 1024, 1024 * 1024 * 1024, "1073741824"),
    S("web", "base_url", base_url, 1, "http://127.0.0.1:8080"),
    S("web", "templates", templates_dir, 1, "templates"),
    I("web", "session_idle", session_idle, 60, 7 * 86400, "1800"),
    I("web", "session_absolute", session_absolute, 300, 30 * 86400, "43200"),
    I("web", "statement_ms", web_statement_ms, 0, 3600000, "4000"),
    I("web", "export_statement_ms", web_export_statement_ms, 0, 86400000, "600000"),
    I("worker", "children", worker_children, 1, 256, "2"),
    I("worker", "lease_seconds", lease_seconds, 1, 86400, "120"),
    I("worker", "poll_ms", poll_ms, 10, 60000, "1000"),
    I("worker", "schedule_seconds", schedule_seconds, 1, 3600, "30"),
    S("security", "key_file", key_file, 1, "var/secret.key"),
    I("security", "argon2_ops", argon2_ops, 1, 20, "2"),
    I("security", "argon2_mem_kib", argon2_mem_kib, 8, 4 * 1024 * 1024, "65536"),
    S("security", "common_passwords", common_passwords, 1, "conf/common-passwords.txt"),
    S("smtp", "url", smtp_url, 0, ""),
    S("smtp", "from", smtp_from, 1, "billsync@localhost"),
    S("smtp", "user", smtp_user, 0, ""),
    S("smtp", "password", smtp_password, 0, ""),
    I("smtp", "timeout_ms", smtp_timeout_ms, 100, 600000, "10000"),
    S("net", "slot_dir", slot_dir, 1, "var/run/slots"),
    I("worker", "loss_hold_percent", loss_hold_percent, 0, 100, "50"),
    I("sync", "drift_check_hours", drift_check_hours, 0, 24 * 31, "24"),
    I("sync", "psa_refresh_hours", psa_refresh_hours, 0, 24 * 31, "24"),
    I("psa", "budget_share_percent", budget_share_percent, 1, 100, "50"),
    I("psa", "threshold_check_seconds", threshold_check_seconds, 0, 86400, "300"),
    I("net", "timeout_ms", net_timeout_ms, 100, 600000, "30000"),
    I("net", "allow_insecure_http", net_allow_insecure_http, 0, 1, "0"),
    S("log", "level", log_level, 1, "info"),
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

struct load_ctx {
    struct config *cfg;
    char *err;
    size_t errlen;
    int failed;
};

static const struct setting *find(const char *section, const char *key)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].section, section) == 0 && strcmp(settings[i].key, key) == 0)
            return &settings[i];
    return NULL;
}

/* Stores one value; returns 0, or -1 with err naming the setting. */
static int set_value(struct config *cfg, const struct setting *s, const char *value,
                     const char *origin, char *err, size_t errlen)
{
    char *field = (char *)cfg + s->offset;
    if (s->kind == K_STR) {
        if (strlen(value) >= s->size) {
            snprintf(err, errlen, "%s.%s is too long (at most %zu characters) in %s",
                     s->section, s->key, s->size - 1, origin);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    }
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < s->min || v > s->max) {
        snprintf(err, errlen, "%s.%s must be a whole number from %ld to %ld (got '%.40s') in %s",
                 s->section, s->key, s->min, s->max, value, origin);
        return -1;
    }
    *(int *)(void *)field = (int)v;
    return 0;
}

static int on_ini(void *user, const char *section, const char *key, const char *value)
{
    struct load_ctx *ctx = user;
    if (ctx->failed)
        return 0;
    const struct setting *s = find(section, key);
    if (!s) {
        snprintf(ctx->err, ctx->errlen, "unknown setting %s.%s in %s", section, key, ctx->cfg->path);
        ctx->failed = 1;
        return 0;
    }
    if (set_value(ctx->cfg, s, value, ctx->cfg->path, ctx->err, ctx->errlen) < 0) {
        ctx->failed = 1;
        return 0;
    }
    return 1;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < NSETTINGS; i++)
        if (set_value(cfg, &settings[i], settings[i].def, "defaults", err, errlen) < 0)
            return -1;

    if (!path)
        path = getenv("BILLSYNC_CONFIG");
    if (!path || !*path)
        path = "conf/billsync.conf";
    snprintf(cfg->path, sizeof cfg->path, "%s", path);

    struct load_ctx ctx = {cfg, err, errlen, 0};
    int rc = ini_parse(path, on_ini, &ctx);
    if (ctx.failed)
        return -1;
    if (rc == -1) {
        snprintf(err, errlen, "config file %s cannot be read: %s", path, strerror(errno));
        return -1;
    }
    if (rc != 0) {
        snprintf(err, errlen, "config file %s: syntax error on line %d", path, rc);
        return -1;
    }

    for (size_t i = 0; i < NSETTINGS; i++) {
        char name[64] = "BILLSYNC_";
        size_t n = strlen(name);
        for (const char *p = settings[i].section; *p && n < sizeof name - 1; p++)
            name[n++] = (char)toupper((unsigned char)*p);
        name[n++] = '_';
        for (const char *p = settings[i].key; *p && n < sizeof name - 1; p++)
            name[n++] = (char)toupper((unsigned char)*p);
        name[n] = 0;
        const char *v = getenv(name);
        if (v && set_value(cfg, &settings[i], v, name, err, errlen) < 0)
            return -1;
    }

    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        if (s->kind == K_STR && s->min == 1 && !*((char *)cfg + s->offset)) {
            snprintf(err, errlen, "%s.%s is required (in %s or BILLSYNC_%s_%s)", s->section,
                     s->key, path, s->section, s->key);
            return -1;
        }
    }
    if (!cfg->db_socket[0] && !cfg->db_host[0]) {
        snprintf(err, errlen, "db.socket or db.host is required (in %s)", path);
        return -1;
    }
    struct db_host hosts[DB_HOSTS_MAX];
    if (cfg->db_host[0] && db_hosts_parse(cfg->db_host, cfg->db_port, hosts, DB_HOSTS_MAX) < 1) {
        snprintf(err, errlen, "db.host must be host[:port], or up to %d of them separated by "
                 "commas for a Galera cluster (got '%.80s')", DB_HOSTS_MAX, cfg->db_host);
        return -1;
    }
    if (strncmp(cfg->base_url, "http://", 7) != 0 && strncmp(cfg->base_url, "https://", 8) != 0) {
        snprintf(err, errlen, "web.base_url must start with http:// or https:// (got '%.60s')",
                 cfg->base_url);
        return -1;
    }
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    int ok = 0;
    for (int i = 0; i < 4; i++)
        ok |= strcmp(cfg->log_level, levels[i]) == 0;
    if (!ok) {
        snprintf(err, errlen, "log.level must be debug, info, warn or error (got '%.20s')",
                 cfg->log_level);
        return -1;
    }
    return 0;
}

void config_load_or_exit(struct config *cfg, const char *path, const char *program)
{
    char err[512];
    if (config_load(cfg, path, err, sizeof err) < 0) {
        fprintf(stderr, "%s: config error: %s\n", program, err);
        exit(2);
    }
}
