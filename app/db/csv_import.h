/* csv_import.h: imports a distributor billing file (Microsoft recon or generic CSV) into the
 * source snapshot of a connection. The file is read twice, streaming: first every row is
 * checked and nothing is written; then all rows are written in one transaction. A bad row
 * refuses the whole file, naming the row. Memory stays flat whatever the file's size. */
#ifndef BILLSYNC_DB_CSV_IMPORT_H
#define BILLSYNC_DB_CSV_IMPORT_H

#include "core/recon_csv.h"
#include "db/db.h"

struct csv_import_result {
    long rows;
    int refused;                  /* 1: the file was refused (message says why) */
    char message[500];
};

/* 0 imported; -1 refused or failed (res->message). The outcome is recorded in csv_imports. */
int csv_import_file(db_t *db, long long tenant_id, long long connection_id, long long user_id,
                    enum recon_format format, const char *path, const char *display_name,
                    struct csv_import_result *res);

#endif
