/* fuzz_multipart.c: the streaming multipart/form-data reader. Input: one byte choosing the
 * read size (so a header block or a boundary straddles reads differently), then the body
 * (boundary "XyZ"). The file part goes to /dev/null. */
#include "fuzz.h"
#include "web/multipart.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

struct src {
    const uint8_t *p;
    size_t len, pos, step;
};

static long rd(void *ctx, char *buf, size_t n)
{
    struct src *s = ctx;
    size_t k = s->len - s->pos;
    if (k > n)
        k = n;
    if (k > s->step)
        k = s->step;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    return (long)k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int devnull = -1;
    if (devnull < 0)
        devnull = open("/dev/null", O_WRONLY);
    if (size < 1)
        return 0;
    static const size_t steps[] = {1, 3, 7, 64, 4096, 65536, 1 << 20, 5};
    struct src s = {data + 1, size - 1, 0, steps[data[0] % 8]};
    struct kvlist form;
    memset(&form, 0, sizeof form);
    struct mp_result res;
    char why[200];
    multipart_read("multipart/form-data; boundary=XyZ", rd, &s, 1 << 20, devnull, &form, &res, why,
                   sizeof why);
    kv_free(&form);
    return 0;
}
