/* migrate.c: applies sql/NNN_name.sql files in order, each once, guarded by
 * schema_migrations' key (safe on a Galera cluster, where GET_LOCK is node-local). */
#include "db/migrate.h"

#include "common/log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_MIGRATIONS 1000
#define MIGRATE_WAIT_S 600        /* DDL on a large table can take minutes */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A migration file is NNN_name.sql: three or more digits, an underscore, a name. */
static int parse_version(const char *name, long *version)
{
    char *end;
    long v = strtol(name, &end, 10);
    size_t n = strlen(name);
    if (end - name < 3 || *end != '_' || n < 5 || strcmp(name + n - 4, ".sql") != 0 || v <= 0)
        return -1;
    *version = v;
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n + 4096 > cap) {
            cap = cap ? cap * 2 : 16384;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
    } while (r > 0);
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Claims version for this process: 1 = claimed (apply it), 0 = applied already, -1 =
 * error. The guard is schema_migrations' PRIMARY KEY, which holds across a Galera cluster
 * (GET_LOCK is local to one node): a second migrator's INSERT fails with 1062, or on
 * another node with a certification failure (1213) that db.c retries into a 1062. That one
 * then waits for the claim to be done. */
static int claim(db_t *db, long version, const char *name, const char *me, char *err,
                 size_t errlen)
{
    for (int waited = 0;; waited++) {
        long long done;
        int found = db_scalar(db, "SELECT done FROM schema_migrations WHERE version = ?",
                              DB_PARAMS(DB_INT(version)), &done);
        if (found < 0) {
            snprintf(err, errlen, "cannot read schema_migrations: %s", db_error(db));
            return -1;
        }
        if (found && done)
            return 0;
        if (!found) {
            if (db_exec(db, "INSERT INTO schema_migrations (version, name, done, claimed_by)"
                            " VALUES (?, ?, 0, ?)",
                        DB_PARAMS(DB_INT(version), DB_STR(name), DB_STR(me)), NULL, NULL) == 0)
                return 1;
            if (db_errno(db) != DB_ER_DUP_ENTRY) {
                snprintf(err, errlen, "%s: cannot claim: %s", name, db_error(db));
                return -1;
            }
        }
        if (waited >= MIGRATE_WAIT_S * 2) {
            snprintf(err, errlen, "%s was started by another migrate (see schema_migrations."
                     "claimed_by) and has not finished after %d s. If none is running, "
                     "check the tables it changes, delete its row (done = 0) and run "
                     "migrate again.", name, MIGRATE_WAIT_S);
            return -1;
        }
        struct timespec ts = {0, 500000000L};
        nanosleep(&ts, NULL);
    }
}

static int apply_all(db_t *db, const char *dir, char **names, int count, char *err, size_t errlen)
{
    char me[300], host[256] = "?";
    gethostname(host, sizeof host - 1);
    snprintf(me, sizeof me, "%s pid %ld", host, (long)getpid());
    int applied = 0;
    for (int i = 0; i < count; i++) {
        long version;
        if (parse_version(names[i], &version) < 0)
            continue;
        int c = claim(db, version, names[i], me, err, errlen);
        if (c < 0)
            return -1;
        if (c == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        char *sql = read_file(path, &len);
        int rc = sql ? db_exec_script(db, sql, len) : -1;
        free(sql);
        if (rc < 0) {
            if (sql)
                snprintf(err, errlen, "%s failed: %s (error %u)", path, db_error(db), db_errno(db));
            else
                snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
            /* not applied: the next migrate tries it again */
            db_exec(db, "DELETE FROM schema_migrations WHERE version = ? AND done = 0",
                    DB_PARAMS(DB_INT(version)), NULL, NULL);
            return -1;
        }
        if (db_exec(db, "UPDATE schema_migrations SET done = 1, applied_at = UTC_TIMESTAMP(6)"
                        " WHERE version = ?", DB_PARAMS(DB_INT(version)), NULL, NULL) < 0) {
            snprintf(err, errlen, "%s: cannot record: %s", path, db_error(db));
            return -1;
        }
        log_info("migrate: applied %s", names[i]);
        applied++;
    }
    return applied;
}

int migrate_run(db_t *db, const char *dir, char *err, size_t errlen)
{
    /* DDL runs in total order on a Galera cluster (TOI); IF NOT EXISTS makes a second
     * migrator's copy a no-op. done = 0 marks a migration being applied (claim()). */
    static const char create[] =
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INT NOT NULL PRIMARY KEY,"
        " name VARCHAR(200) NOT NULL,"
        " applied_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),"
        " done TINYINT(1) NOT NULL DEFAULT 1,"
        " claimed_by VARCHAR(300) NOT NULL DEFAULT ''"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";
    static const char upgrade[] =
        "ALTER TABLE schema_migrations"
        " ADD COLUMN IF NOT EXISTS done TINYINT(1) NOT NULL DEFAULT 1,"
        " ADD COLUMN IF NOT EXISTS claimed_by VARCHAR(300) NOT NULL DEFAULT ''";
    if (db_exec_script(db, create, sizeof create - 1) < 0) {
        snprintf(err, errlen, "cannot create schema_migrations: %s", db_error(db));
        return -1;
    }
    long long have = 0;
    if (db_scalar(db, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
                      " AND TABLE_NAME = 'schema_migrations' AND COLUMN_NAME = 'claimed_by'",
                  DB_NONE, &have) != 1 ||
        (!have && db_exec_script(db, upgrade, sizeof upgrade - 1) < 0)) {
        snprintf(err, errlen, "cannot upgrade schema_migrations: %s", db_error(db));
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot open migrations directory %s: %s", dir, strerror(errno));
        return -1;
    }
    char *names[MAX_MIGRATIONS];
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < MAX_MIGRATIONS) {
        long v;
        if (parse_version(e->d_name, &v) == 0)
            names[count++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)count, sizeof names[0], by_name);
    int rc = apply_all(db, dir, names, count, err, errlen);
    for (int i = 0; i < count; i++)
        free(names[i]);
    return rc;
}
