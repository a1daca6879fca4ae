/* page_upload.c: POST /settings/connections/upload (admin): a distributor billing file for a
 * "Distributor CSV file" connection. The body is streamed to a temporary file and checked row
 * by row (a bad row refuses the whole file, naming the row); a good file is stored and a
 * worker imports it (db/csv_import.h), its progress shown on the connections page. */
#include "web/pages.h"

#include "common/config.h"
#include "db/connections.h"
#include "db/csv_import.h"
#include "db/jobs.h"
#include "web/auth.h"
#include "web/multipart.h"
#include "web/session.h"

#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long fcgi_read(void *ctx, char *buf, size_t n)
{
    int got = FCGX_GetStr(buf, (int)(n > 1 << 20 ? 1 << 20 : n), (FCGX_Stream *)ctx);
    return got < 0 ? -1 : got;
}

void page_upload(struct web *w)
{
    if (!w->req.upload_stream) {
        web_error(w, 400, "Send the file with the upload form (multipart/form-data).");
        return;
    }
    char path[] = "/tmp/billsync-upload-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        web_error(w, 500, "The upload could not be stored. Nothing was imported.");
        return;
    }
    unlink(path);                 /* gone when closed, whatever happens; read via /proc */
    char why[200], fdpath[64];
    struct mp_result mp;
    int rc = multipart_read(w->req.content_type, fcgi_read, w->req.upload_stream,
                            w->req.content_length, fd, &w->req.form, &mp, why, sizeof why);
    if (rc < 0) {
        close(fd);
        web_error(w, 400, why);
        return;
    }
    if (csrf_check(w) < 0) {
        close(fd);
        web_error(w, 403, "The form has expired or did not come from this site. Go back, reload "
                          "the page and send it again.");
        return;
    }
    int bad = 0;
    long long id = req_int(&w->req, "id", 1, 1LL << 62, 0, &bad);
    struct connection_row row;
    if (bad || connection_get(w->db, w->sess->tenant_id, id, &row) != 1) {
        close(fd);
        web_error(w, 404, "There is no such connection in your company.");
        return;
    }
    int is_csv = !strcmp(row.system, "csv");
    const char *fmt_setting = json_string_value(json_object_get(row.settings, "format"));
    enum recon_format format = RECON_MSCSP;
    const char *fmt = req_form(&w->req, "format");
    recon_format_parse(fmt && *fmt ? fmt : fmt_setting ? fmt_setting : "mscsp", &format);
    connection_row_free(&row);
    if (!is_csv) {
        close(fd);
        web_error(w, 400, "Files can be uploaded to a \"Distributor CSV file\" connection only.");
        return;
    }
    char msg[600];
    if (!mp.filename[0] || mp.file_bytes == 0) {
        snprintf(msg, sizeof msg, "Choose a file to upload. Nothing was imported.");
    } else {
        /* Checked here, so a bad row is named at once; imported by a worker, so a file of a
         * million rows neither holds this request nor the database in one transaction. */
        snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
        struct csv_import_result res;
        long long import_id = 0;
        char payload[64];
        if (csv_import_check(format, fdpath, &res) < 0) {
            csv_import_record_refused(w->db, w->sess->tenant_id, id, w->sess->user_id, format,
                                      mp.filename, &res);
            snprintf(msg, sizeof msg, "%s", res.message);
            auth_audit(w, 0, 0, NULL, "csv.refused", mp.filename, res.message);
        } else if (csv_import_queue(w->db, w->sess->tenant_id, id, w->sess->user_id, format, fdpath,
                                    mp.filename, res.rows, &import_id) < 0 ||
                   snprintf(payload, sizeof payload, "{\"import_id\":%lld}", import_id) < 0 ||
                   jobs_enqueue(w->db, w->sess->tenant_id, "csv_import", payload, NULL, 0, NULL) < 0) {
            snprintf(msg, sizeof msg, "The file could not be stored. Nothing was imported; try again "
                                      "in a minute.");
        } else {
            snprintf(msg, sizeof msg, "%s: %ld rows checked. Importing now; the progress is shown "
                                      "under Recent file imports.", mp.filename, res.rows);
            auth_audit(w, 0, 0, NULL, "csv.queued", mp.filename, msg);
        }
    }
    close(fd);
    web_flash(w, msg);
    web_redirect(w, "/settings/connections");
}
