/* multipart.h: streaming multipart/form-data reader for uploads. Text fields go into a
 * kvlist (each at most 64 KiB); the file part is written to a file descriptor as it arrives,
 * so memory stays flat whatever the upload's size. */
#ifndef BILLSYNC_WEB_MULTIPART_H
#define BILLSYNC_WEB_MULTIPART_H

#include "web/request.h"

#include <stddef.h>

/* Pulls up to n bytes of the body; returns the count (0 at the end) or -1. */
typedef long (*mp_read_fn)(void *ctx, char *buf, size_t n);

struct mp_result {
    char filename[256];           /* the file part's name as the browser sent it ("" if none) */
    long long file_bytes;
};

/* Reads the whole body. content_type carries the boundary. The first part with a filename
 * goes to file_fd; fields into form. 0 ok, -1 with why (malformed, too large). */
int multipart_read(const char *content_type, mp_read_fn rd, void *ctx, long long max_bytes,
                   int file_fd, struct kvlist *form, struct mp_result *res, char *why, size_t whylen);

#endif
