/* migrate.c: applies sql/NNN_name.sql files in order, each once, under a database lock. */
#include "db/migrate.h"

#include "common/log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MIGRATIONS 1000

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

static int apply_all(db_t *db, const char *dir, char **names, int count, char *err, size_t errlen)
{
    int applied = 0;
    for (int i = 0; i < count; i++) {
        long version;
        if (parse_version(names[i], &version) < 0)
            continue;
        long long seen;
        int found = db_scalar(db, "SELECT version FROM schema_migrations WHERE version = ?",
                              DB_PARAMS(DB_INT(version)), &seen);
        if (found < 0) {
            snprintf(err, errlen, "cannot read schema_migrations: %s", db_error(db));
            return -1;
        }
        if (found)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        char *sql = read_file(path, &len);
        if (!sql) {
            snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
            return -1;
        }
        int rc = db_exec_script(db, sql, len);
        free(sql);
        if (rc < 0) {
            snprintf(err, errlen, "%s failed: %s (error %u)", path, db_error(db), db_errno(db));
            return -1;
        }
        if (db_exec(db, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                    DB_PARAMS(DB_INT(version), DB_STR(names[i])), NULL, NULL) < 0) {
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
    static const char create[] =
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INT NOT NULL PRIMARY KEY,"
        " name VARCHAR(200) NOT NULL,"
        " applied_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6)"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";
    if (db_exec_script(db, create, sizeof create - 1) < 0) {
        snprintf(err, errlen, "cannot create schema_migrations: %s", db_error(db));
        return -1;
    }
    /* GET_LOCK serialises migrators on one server; on a Galera cluster DDL runs in total
     * order anyway and the PRIMARY KEY on version refuses a second record. */
    long long got = 0;
    if (db_scalar(db, "SELECT GET_LOCK('billsync.migrate', 120)", DB_NONE, &got) != 1 || got != 1) {
        snprintf(err, errlen, "another migrate holds the lock (waited 120 s): %s", db_error(db));
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot open migrations directory %s: %s", dir, strerror(errno));
        db_scalar(db, "SELECT RELEASE_LOCK('billsync.migrate')", DB_NONE, &got);
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
    db_scalar(db, "SELECT RELEASE_LOCK('billsync.migrate')", DB_NONE, &got);
    return rc;
}
