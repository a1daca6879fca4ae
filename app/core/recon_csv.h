/* recon_csv.h: streaming parser for distributor billing files: the Microsoft CSP (new
 * commerce) reconciliation CSV and billsync's generic distributor CSV. Pure: the caller feeds
 * bytes in chunks of any size; memory use does not grow with the file. Every row is checked;
 * the first bad one stops the parse with "row N: what is wrong". */
#ifndef BILLSYNC_CORE_RECON_CSV_H
#define BILLSYNC_CORE_RECON_CSV_H

#include "core/source_records.h"

#include <stddef.h>

enum recon_format { RECON_MSCSP, RECON_GENERIC };

/* One billing line with the names that come with it. */
struct recon_line {
    struct src_charge ch;
    char company_name[SRC_NAME];
    char subscription_name[SRC_NAME];
    enum src_cycle billing_cycle; /* of the subscription */
};

/* Called per data row; return non-zero to stop (recon_feed then fails with the message the
 * callback set through recon_fail, or "stopped"). row is the 1-based record number as a
 * spreadsheet shows it: the header is row 1; blank lines are skipped and not counted. */
typedef int (*recon_line_fn)(void *ctx, const struct recon_line *line, long row);

struct recon_parser;

int recon_format_parse(const char *name, enum recon_format *out);
struct recon_parser *recon_new(enum recon_format format, recon_line_fn fn, void *ctx);
int recon_feed(struct recon_parser *p, const char *buf, size_t len);
/* End of input: flushes the last row; checks that there was a header. */
int recon_finish(struct recon_parser *p);
const char *recon_error(const struct recon_parser *p);
long recon_rows(const struct recon_parser *p);   /* data rows accepted */
void recon_fail(struct recon_parser *p, const char *message);
void recon_free(struct recon_parser *p);

/* The generic format's columns, for the page and the README. */
extern const char *const recon_generic_columns[];

#endif
