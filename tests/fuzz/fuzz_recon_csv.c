/* fuzz_recon_csv.c: the distributor billing file parser (Microsoft recon and generic CSV),
 * fed in chunks. Input: one byte choosing the format and the chunk size, then the file. */
#include "fuzz.h"
#include "core/recon_csv.h"

#include <stdint.h>

static int on_line(void *ctx, const struct recon_line *line, long row)
{
    (void)row;
    long *n = ctx;
    *n += line->ch.quantity != 0;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    long n = 0;
    struct recon_parser *p = recon_new(data[0] & 1 ? RECON_GENERIC : RECON_MSCSP, on_line, &n);
    if (!p)
        return 0;
    size_t step = 1 + (size_t)(data[0] >> 1) * 17, pos = 1;
    int rc = 0;
    while (pos < size && rc == 0) {
        size_t k = size - pos < step ? size - pos : step;
        rc = recon_feed(p, (const char *)data + pos, k);
        pos += k;
    }
    if (rc == 0)
        recon_finish(p);
    (void)recon_error(p);
    (void)recon_rows(p);
    recon_free(p);
    return 0;
}
