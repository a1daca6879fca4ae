/* csv_import.h: imports a distributor billing file (Microsoft recon or generic CSV) into the
 * source snapshot of a connection, at any size, all or nothing.
 *
 *   1. check: every row is parsed and checked, nothing is written; a bad row refuses the
 *      whole file, naming the row (the web request does this, so the answer is immediate);
 *   2. queue: the file's bytes go into csv_upload_chunks (1 MiB a row, each insert its own
 *      short transaction) and a csv_imports row 'queued'; a worker job runs the rest;
 *   3. stage: the rows are parsed again and written to csv_import_rows in batches of
 *      STAGE_BATCH rows, each its own transaction (progress in csv_imports.rows_done);
 *   4. apply: one READ COMMITTED transaction copies the staged rows into src_charges (a
 *      statement per APPLY_CHUNK rows), derives companies, subscriptions and resources and
 *      marks the import 'imported'; its reads lock nothing, so lock memory grows only with
 *      the rows a re-import replaces. Give it a db_open_bulk connection: at a million rows
 *      a statement can outlast db.timeout;
 *   5. clean: staged rows and chunks are deleted in batches.
 * Memory stays flat whatever the file's size: one chunk and one batch at a time. */
#ifndef BILLSYNC_DB_CSV_IMPORT_H
#define BILLSYNC_DB_CSV_IMPORT_H

#include "core/recon_csv.h"
#include "db/db.h"

struct csv_import_result {
    long rows;
    int refused;                  /* 1: the file was refused or failed (message says why) */
    char message[500];
};

/* Called every few thousand staged or applied rows, and before each long step with that
 * step's worst duration in seconds (0 otherwise): the worker renews its job lease there. */
typedef void (*csv_progress_fn)(void *ctx, long rows_done, int next_step_s);

/* 1. Checks the file at path: 0 with res->rows, -1 refused with res->message. */
int csv_import_check(enum recon_format format, const char *path, struct csv_import_result *res);

/* Records a refused file in csv_imports (the page's list of recent imports). */
void csv_import_record_refused(db_t *db, long long tenant_id, long long connection_id,
                               long long user_id, enum recon_format format,
                               const char *display_name, const struct csv_import_result *res);

/* 2. Stores a checked file for the worker; 0 with *import_id, -1 (db_error) leaves nothing. */
int csv_import_queue(db_t *db, long long tenant_id, long long connection_id, long long user_id,
                     enum recon_format format, const char *path, const char *display_name,
                     long rows, long long *import_id);

/* 3-5 for a queued import, from its stored bytes (the worker's job). Safe to run again after
 * a crash: staging starts over, an applied import is only cleaned. 0 imported (or already
 * done), -1 failed: res->refused says whether retrying can help (0: the database failed). */
int csv_import_run(db_t *db, long long tenant_id, long long import_id, csv_progress_fn fn,
                   void *ctx, struct csv_import_result *res);

/* Marks a queued import failed for good (its job ran out of attempts) and cleans it. */
void csv_import_give_up(db_t *db, long long tenant_id, long long import_id, const char *message);

/* 1-5 in one call with the file at path (the CLI). 0 imported; -1 refused or failed. */
int csv_import_file(db_t *db, long long tenant_id, long long connection_id, long long user_id,
                    enum recon_format format, const char *path, const char *display_name,
                    struct csv_import_result *res);

#endif
