/* main.c: billsync, the admin command: migrate, tenant and user admin, demo seed, jobs. */
#include "common/config.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/program.h"
#include "common/secret_key.h"
#include "common/tzdate.h"
#include "connectors/check.h"
#include "db/accounts.h"
#include "db/conn_shared.h"
#include "db/connections.h"
#include "db/csv_import.h"
#include "db/snapshot.h"
#include "connectors/systems.h"

#include <jansson.h>
#include "db/jobs.h"
#include "db/migrate.h"
#include "net/http.h"
#include "worker/handlers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: billsync [--config FILE] COMMAND [ARGS]\n"
    "\n"
    "Commands (each takes --help):\n"
    "  migrate [--dir DIR]                apply new sql/NNN_*.sql migrations, each once\n"
    "  tenant add NAME [--tz ZONE]        add an MSP (tenant)\n"
    "  user add --tenant T --email E [--role admin|billing|viewer] [--name N]\n"
    "                                     add a user; the password is read from stdin\n"
    "  user passwd --email E              set a user's password (read from stdin)\n"
    "  seed-demo [--password P]           create the demo MSP and its admin (idempotent)\n"
    "  keygen                             create security.key_file if it does not exist\n"
    "  job add KIND [PAYLOAD-JSON]        enqueue a job for the workers\n"
    "  check-connection ID                test a PSA or distributor connection\n"
    "  import-csv --connection ID [--format mscsp|generic] FILE\n"
    "                                     import a distributor billing file\n"
    "\n"
    "Settings come from conf/billsync.conf (or --config, or $BILLSYNC_CONFIG) and\n"
    "BILLSYNC_SECTION_KEY environment variables.\n";

static const struct config *cfg;

static db_t *open_db(void)
{
    char err[512];
    db_t *db = db_open(cfg, err, sizeof err);
    if (!db) {
        fprintf(stderr, "billsync: cannot connect to the database: %s\n", err);
        exit(1);
    }
    return db;
}

/* Looks for --name VALUE in argv; NULL when absent. */
static const char *opt(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc - 1; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static int wants_help(int argc, char **argv, const char *text)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(text, stdout);
            return 1;
        }
    return 0;
}

/* Reads one line from stdin (the password), without the newline. */
static int read_password(char *buf, size_t n)
{
    if (!fgets(buf, (int)n, stdin))
        return -1;
    buf[strcspn(buf, "\r\n")] = 0;
    return 0;
}

static int hash_password(const char *pw, char out[CRYPTO_PWHASH_LEN])
{
    struct crypto_pw_cost cost = {(unsigned long long)cfg->argon2_ops,
                                  (size_t)cfg->argon2_mem_kib * 1024};
    return crypto_password_hash(pw, &cost, out);
}

static int cmd_migrate(int argc, char **argv)
{
    if (wants_help(argc, argv, "usage: billsync migrate [--dir DIR]\n"
                               "Applies each sql/NNN_name.sql not yet recorded in schema_migrations,\n"
                               "in order, under a database lock. Stops at the first failure.\n"))
        return 0;
    const char *dir = opt(argc, argv, "--dir");
    db_t *db = open_db();
    char err[1024];
    int n = migrate_run(db, dir ? dir : "sql", err, sizeof err);
    db_close(db);
    if (n < 0) {
        fprintf(stderr, "billsync: migrate: %s\n", err);
        return 1;
    }
    printf(n ? "applied %d migration(s)\n" : "database is up to date\n", n);
    return 0;
}

static int cmd_tenant(int argc, char **argv)
{
    static const char help[] = "usage: billsync tenant add NAME [--tz ZONE]\n"
                               "Adds an MSP. ZONE is an IANA time zone such as Europe/London.\n";
    if (wants_help(argc, argv, help))
        return 0;
    if (argc < 2 || strcmp(argv[0], "add") != 0) {
        fputs(help, stderr);
        return 2;
    }
    const char *tz = opt(argc, argv, "--tz");
    if (tz && !tz_valid(tz)) {
        fprintf(stderr, "billsync: tenant add: '%s' is not a time zone (try Europe/London)\n", tz);
        return 2;
    }
    db_t *db = open_db();
    long long id;
    int rc = tenant_ensure(db, argv[1], tz, &id);
    if (rc < 0)
        fprintf(stderr, "billsync: tenant add: %s\n", db_error(db));
    else
        printf("%s tenant %lld (%s)\n", rc ? "created" : "existing", id, argv[1]);
    db_close(db);
    return rc < 0;
}

static int cmd_user(int argc, char **argv)
{
    static const char help[] =
        "usage: billsync user add --tenant T --email E [--role admin|billing|viewer] [--name N]\n"
        "       billsync user passwd --email E\n"
        "The password is read from the first line of standard input.\n";
    if (wants_help(argc, argv, help))
        return 0;
    const char *email = opt(argc, argv, "--email");
    if (argc < 1 || !email || (strcmp(argv[0], "add") && strcmp(argv[0], "passwd"))) {
        fputs(help, stderr);
        return 2;
    }
    char pw[1100], hash[CRYPTO_PWHASH_LEN];
    if (read_password(pw, sizeof pw) < 0 || strlen(pw) < 12) {
        fprintf(stderr, "billsync: user: give a password of at least 12 characters on stdin\n");
        return 2;
    }
    if (hash_password(pw, hash) < 0) {
        fprintf(stderr, "billsync: user: password hashing failed\n");
        return 1;
    }
    sodium_memzero(pw, sizeof pw);
    db_t *db = open_db();
    int rc = 1;
    if (!strcmp(argv[0], "add")) {
        const char *t = opt(argc, argv, "--tenant"), *role = opt(argc, argv, "--role");
        long long tid, uid;
        if (!role)
            role = "admin";
        if (strcmp(role, "admin") && strcmp(role, "billing") && strcmp(role, "viewer")) {
            fprintf(stderr, "billsync: user add: --role must be admin, billing or viewer\n");
        } else if (!t || tenant_find(db, t, &tid) != 1) {
            fprintf(stderr, "billsync: user add: no tenant '%s' (see: billsync tenant add)\n",
                    t ? t : "");
        } else if (user_create(db, tid, email, opt(argc, argv, "--name"), role, hash, &uid) < 0) {
            fprintf(stderr, "billsync: user add: %s\n",
                    db_errno(db) == 1062 ? "that e-mail address already has an account"
                                         : db_error(db));
        } else {
            printf("created user %lld <%s> (%s) in tenant %lld\n", uid, email, role, tid);
            rc = 0;
        }
    } else {
        struct user u;
        if (user_find_by_email(db, email, &u) != 1)
            fprintf(stderr, "billsync: user passwd: no user <%s>\n", email);
        else if (user_change_password_txn(db, u.tenant_id, u.id, hash, NULL) < 0)
            fprintf(stderr, "billsync: user passwd: %s\n", db_error(db));
        else {
            printf("password changed for <%s>\n", email);
            rc = 0;
        }
    }
    db_close(db);
    return rc;
}

/* Creates or updates (by name) one demo connection; the settings are split into plain and
 * sealed secret fields by the systems catalogue, as the connections page does. */
static int demo_connection(db_t *db, long long tid, const char *system, const char *name, json_t *all)
{
    const struct system_info *si = system_find(system);
    const unsigned char *key = secret_key(cfg);
    if (!si || !key)
        return -1;
    json_t *plain = json_object(), *secret = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(all, k, v)
    {
        int is_secret = 0;
        for (int i = 0; i < SYSTEM_MAX_FIELDS && si->fields[i].key; i++)
            if (!strcmp(si->fields[i].key, k))
                is_secret = si->fields[i].secret;
        json_object_set(is_secret ? secret : plain, k, v);
    }
    char *ptext = json_dumps(plain, JSON_COMPACT | JSON_SORT_KEYS), *stext = json_dumps(secret, JSON_COMPACT);
    char *sealed = NULL;
    int rc = (ptext && stext && crypto_seal(key, stext, strlen(stext), &sealed) == 0) ? 0 : -1;
    long long id = 0;
    if (rc == 0 && connection_id_by_name(db, tid, name, &id) < 0)
        rc = -1;
    if (rc == 0)
        rc = connection_save(db, tid, &id, si->kind == SYS_PSA ? "psa" : "source", system, name, ptext, sealed);
    free(ptext);
    free(stext);
    free(sealed);
    json_decref(plain);
    json_decref(secret);
    return rc;
}

/* The demo MSP's connections, pointing at the local API sandboxes (credentials from
 * tests/sandbox/README.md). Ports change at each start, so the URLs are updated each time. */
static int seed_demo_connections(db_t *db, long long tid, const char *ready_file)
{
    json_error_t jerr;
    json_t *ports = json_load_file(ready_file, 0, &jerr);
    if (!ports) {
        fprintf(stderr, "billsync: seed-demo: cannot read %s: %s\n", ready_file, jerr.text);
        return -1;
    }
    char base[8][80];
    static const char *const names[] = {"autotask", "pax8", "partnercenter", "msp360", "interworks", "ingram"};
    for (int i = 0; i < 6; i++)
        snprintf(base[i], sizeof base[i], "http://127.0.0.1:%lld",
                 (long long)json_integer_value(json_object_get(ports, names[i])));
    json_decref(ports);
    char u[6][160];
    snprintf(u[0], sizeof u[0], "%s/ATServicesRest/", base[0]);
    snprintf(u[1], sizeof u[1], "%s/v1", base[1]);
    snprintf(u[2], sizeof u[2], "%s/v1/token", base[1]);
    snprintf(u[3], sizeof u[3], "%s/8b2e4a54-0c5f-4d6e-9a8f-3d1c2b7e6f50/oauth2/token", base[2]);
    snprintf(u[4], sizeof u[4], "%s/marketplace/us", base[5]);
    struct {
        const char *system, *name;
        json_t *settings;
    } demo[] = {
        {"autotask", "Autotask (demo sandbox)",
         json_pack("{s:s, s:s, s:s, s:s}", "url", u[0], "username", "api@demo-msp.example", "secret", "demo-secret",
                   "integration_code", "BILLSYNCDEMO")},
        {"pax8", "Pax8 (demo sandbox)",
         json_pack("{s:s, s:s, s:s, s:s}", "url", u[1], "token_url", u[2], "client_id", "pax8-demo-client-id",
                   "client_secret", "pax8-demo-client-secret")},
        {"partnercenter", "Microsoft CSP (demo sandbox)",
         json_pack("{s:s, s:s, s:s, s:s, s:s}", "url", base[2], "token_url", u[3], "tenant_id",
                   "8b2e4a54-0c5f-4d6e-9a8f-3d1c2b7e6f50", "client_id", "2a7c3e9d-5b1f-4c8a-a6e2-0d9f8b7c6a51",
                   "client_secret", "pc-demo-client-secret")},
        {"msp360", "MSP360 backup (demo sandbox)",
         json_pack("{s:s, s:s, s:s}", "url", base[3], "username", "demomspapi", "password", "msp360-demo-password")},
        {"interworks", "interworks.cloud (demo sandbox)",
         json_pack("{s:s, s:s, s:s, s:s, s:s}", "url", base[4], "client_key", "iw-demo-client-key", "client_secret",
                   "iw-demo-client-secret", "username", "api.user@demo-msp.example", "password", "iw-demo-password")},
        {"ingram", "Ingram Micro (demo sandbox)",
         json_pack("{s:s, s:s, s:s, s:s, s:s}", "url", u[4], "username", "demo-msp-api", "password", "im-demo-password",
                   "subscription_key", "166a6ba878d74805ae3fc7e54fd33b16", "marketplace", "us")},
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof demo / sizeof demo[0]; i++) {
        if (!demo[i].settings || demo_connection(db, tid, demo[i].system, demo[i].name, demo[i].settings) < 0) {
            fprintf(stderr, "billsync: seed-demo: connection %s: %s\n", demo[i].name, db_error(db));
            rc = -1;
        }
        json_decref(demo[i].settings);
    }
    if (rc == 0)
        refresh_enqueue_tenant(db, tid);
    return rc;
}

static int cmd_seed_demo(int argc, char **argv)
{
    static const char help[] =
        "usage: billsync seed-demo [--password P] [--sandbox READY-FILE]\n"
        "Creates the demo MSP \"Demo MSP\" and its admin admin@demo-msp.example (idempotent).\n"
        "With --sandbox (the API sandbox's ready file), also its PSA and distributor connections\n"
        "to the local sandboxes, refreshed in the background.\n";
    if (wants_help(argc, argv, help))
        return 0;
    const char *pw = opt(argc, argv, "--password");
    if (!pw)
        pw = "billsync-demo-2026";
    db_t *db = open_db();
    long long tid;
    int rc = 1;
    if (tenant_ensure(db, "Demo MSP", "America/New_York", &tid) < 0) {
        fprintf(stderr, "billsync: seed-demo: %s\n", db_error(db));
        goto out;
    }
    struct user u;
    int found = user_find_by_email(db, "admin@demo-msp.example", &u);
    if (found == 0) {
        char hash[CRYPTO_PWHASH_LEN];
        if (hash_password(pw, hash) < 0 ||
            user_create(db, tid, "admin@demo-msp.example", "Demo Admin", "admin", hash, NULL) < 0) {
            fprintf(stderr, "billsync: seed-demo: %s\n", db_error(db));
            goto out;
        }
    } else if (found < 0) {
        fprintf(stderr, "billsync: seed-demo: %s\n", db_error(db));
        goto out;
    }
    const char *sandbox = opt(argc, argv, "--sandbox");
    if (sandbox && seed_demo_connections(db, tid, sandbox) < 0)
        goto out;
    printf("demo tenant %lld ready; admin login admin@demo-msp.example%s%s\n", tid,
           found ? " (existing password kept)" : "", sandbox ? "; connections to the sandboxes set up" : "");
    rc = 0;
out:
    db_close(db);
    return rc;
}

static int cmd_keygen(int argc, char **argv)
{
    if (wants_help(argc, argv, "usage: billsync keygen\n"
                               "Creates the secret key file (security.key_file) with mode 0600\n"
                               "unless it exists. It encrypts stored credentials: back it up.\n"))
        return 0;
    struct stat st;
    if (stat(cfg->key_file, &st) == 0) {
        printf("key file %s exists; left unchanged\n", cfg->key_file);
        return 0;
    }
    if (crypto_key_generate_file(cfg->key_file) < 0) {
        fprintf(stderr, "billsync: keygen: cannot create %s: %s\n", cfg->key_file, strerror(errno));
        return 1;
    }
    printf("created key file %s\n", cfg->key_file);
    return 0;
}

static int cmd_job(int argc, char **argv)
{
    static const char help[] =
        "usage: billsync job add KIND [--tenant NAME-OR-ID] [PAYLOAD-JSON]\n"
        "Enqueues a job, e.g. selftest '{\"sleep_ms\":100}', or sync --tenant \"Demo MSP\".\n"
        "sync, post, usage, refresh, pull_charges, review_charges and csv_import run for one\n"
        "tenant and need --tenant.\n";
    if (wants_help(argc, argv, help))
        return 0;
    if (argc < 2 || strcmp(argv[0], "add")) {
        fputs(help, stderr);
        return 2;
    }
    const char *kind = argv[1], *tenant_arg = NULL, *payload = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--tenant") && i + 1 < argc)
            tenant_arg = argv[++i];
        else if (!payload && argv[i][0] != '-')
            payload = argv[i];
        else {
            fputs(help, stderr);
            return 2;
        }
    }
    int k = handlers_kind(kind);
    if (k == 0) {
        fprintf(stderr, "billsync: job add: no job kind '%s'; the kinds are:", kind);
        for (size_t i = 0; handlers_kind_at(i); i++)
            fprintf(stderr, " %s", handlers_kind_at(i));
        fputc('\n', stderr);
        return 2;
    }
    if (k == 2 && !tenant_arg) {
        fprintf(stderr, "billsync: job add: a %s job runs for one tenant: name it with --tenant\n", kind);
        return 2;
    }
    db_t *db = open_db();
    long long tenant = 0;
    if (tenant_arg && tenant_find(db, tenant_arg, &tenant) != 1) {
        fprintf(stderr, "billsync: job add: no tenant '%s'\n", tenant_arg);
        db_close(db);
        return 1;
    }
    long long id;
    int rc = jobs_enqueue(db, tenant, kind, payload, NULL, 0, &id);
    if (rc < 0)
        fprintf(stderr, "billsync: job add: %s\n", db_error(db));
    else
        printf("job %lld queued\n", id);
    db_close(db);
    return rc < 0;
}

static int cmd_check_connection(int argc, char **argv)
{
    static const char help[] =
        "usage: billsync check-connection ID\n"
        "Makes one authenticated call through connection ID (see /settings/connections) and\n"
        "prints what it found or the remote system's own error, with a hint. Exit 0 when it\n"
        "works. The result is recorded on the connection, as the page's button does.\n";
    if (wants_help(argc, argv, help))
        return 0;
    char *end;
    long long id = argc == 1 ? strtoll(argv[0], &end, 10) : 0;
    if (argc != 1 || *end || id <= 0) {
        fputs(help, stderr);
        return 2;
    }
    db_t *db = open_db();
    long long tenant = 0;
    if (connection_tenant(db, id, NULL, &tenant) != 1) {
        fprintf(stderr, "billsync: check-connection: no connection %lld\n", id);
        db_close(db);
        return 1;
    }
    struct conn c;
    char system[32] = "?", err[300], summary[300] = "", msg[1000];
    struct conn_error ce;
    memset(&ce, 0, sizeof ce);
    int ok = 0;
    if (connection_open(db, secret_key(cfg), tenant, id, cfg->slot_dir, &c, system, err, sizeof err) != 1) {
        snprintf(msg, sizeof msg, "Failed: %s", err);
    } else {
        ok = conn_check(&c, summary, sizeof summary, &ce) == 0;
        connection_close(&c);
        if (ok)
            snprintf(msg, sizeof msg, "Connected: %s.", summary);
        else
            snprintf(msg, sizeof msg, "Failed: %s%s%s", ce.message, ce.hint[0] ? " — " : "", ce.hint);
    }
    connection_set_status(db, tenant, id, ok, msg);
    printf("connection %lld (%s): %s\n", id, system, msg);
    db_close(db);
    return ok ? 0 : 1;
}

static int cmd_import_csv(int argc, char **argv)
{
    static const char help[] =
        "usage: billsync import-csv --connection ID [--format mscsp|generic] FILE\n"
        "Imports a Microsoft CSP reconciliation file (mscsp, the default) or a generic\n"
        "distributor CSV into the snapshot of connection ID. Every row is checked first; a\n"
        "bad row refuses the whole file, naming the row, and nothing is imported.\n";
    if (wants_help(argc, argv, help))
        return 0;
    const char *conn = opt(argc, argv, "--connection"), *fmt = opt(argc, argv, "--format");
    const char *file = argc > 0 ? argv[argc - 1] : NULL;
    enum recon_format format;
    char *end;
    long long id = conn ? strtoll(conn, &end, 10) : 0;
    if (!conn || *end || id <= 0 || !file || file[0] == '-' ||
        recon_format_parse(fmt ? fmt : "mscsp", &format) < 0) {
        fputs(help, stderr);
        return 2;
    }
    char e[512];
    db_t *db = db_open_bulk(cfg, e, sizeof e);     /* a million-row import outlasts db.timeout */
    if (!db) {
        fprintf(stderr, "billsync: cannot connect to the database: %s\n", e);
        return 1;
    }
    long long tenant = 0;
    if (connection_tenant(db, id, "source", &tenant) != 1) {
        fprintf(stderr, "billsync: import-csv: no distributor connection %lld\n", id);
        db_close(db);
        return 1;
    }
    struct csv_import_result res;
    const char *base = strrchr(file, '/');
    int rc = csv_import_file(db, tenant, id, 0, format, file, base ? base + 1 : file, &res);
    printf("%s\n", res.message);
    db_close(db);
    return rc < 0;
}

int main(int argc, char **argv)
{
    static struct config config;
    argc = program_start(argc, argv, "billsync", usage, &config, 1);
    conn_shared_configure(config.budget_share_percent, config.threshold_check_seconds);
    http_allow_insecure(config.net_allow_insecure_http);
    cfg = &config;
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    int sub_argc = argc - 2;
    char **sub_argv = argv + 2;
    if (!strcmp(cmd, "migrate"))
        return cmd_migrate(sub_argc, sub_argv);
    if (!strcmp(cmd, "tenant"))
        return cmd_tenant(sub_argc, sub_argv);
    if (!strcmp(cmd, "user"))
        return cmd_user(sub_argc, sub_argv);
    if (!strcmp(cmd, "seed-demo"))
        return cmd_seed_demo(sub_argc, sub_argv);
    if (!strcmp(cmd, "keygen"))
        return cmd_keygen(sub_argc, sub_argv);
    if (!strcmp(cmd, "job"))
        return cmd_job(sub_argc, sub_argv);
    if (!strcmp(cmd, "import-csv"))
        return cmd_import_csv(sub_argc, sub_argv);
    if (!strcmp(cmd, "check-connection"))
        return cmd_check_connection(sub_argc, sub_argv);
    fprintf(stderr, "billsync: unknown command '%s' (try --help)\n", cmd);
    return 2;
}
