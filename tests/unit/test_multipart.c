/* test_multipart.c: the streaming multipart reader, fed in reads of chosen sizes (under ASan:
 * an oversized header block that arrives in one read must be refused, not copied). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web/multipart.h"

struct src {
    const char *p;
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

static int run(const char *body, size_t len, size_t step, struct kvlist *form, char *why,
               long long *file_bytes)
{
    struct src s = {body, len, 0, step};
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    struct mp_result res;
    memset(form, 0, sizeof *form);
    int rc = multipart_read("multipart/form-data; boundary=XyZ", rd, &s, 1 << 20, fileno(tmp), form,
                            &res, why, 200);
    *file_bytes = res.file_bytes;
    fclose(tmp);
    return rc;
}

static void reads_fields_and_the_file_in_any_read_size(void **state)
{
    (void)state;
    const char body[] = "--XyZ\r\nContent-Disposition: form-data; name=\"id\"\r\n\r\n42\r\n"
                        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n"
                        "Content-Type: text/csv\r\n\r\nx,y\n1,2\n\r\n--XyZ--\r\n";
    for (size_t step = 1; step <= sizeof body; step += 7) {
        struct kvlist form;
        char why[200];
        long long bytes;
        assert_int_equal(run(body, sizeof body - 1, step, &form, why, &bytes), 0);
        assert_string_equal(kv_get(&form, "id"), "42");
        assert_int_equal(bytes, 8);
        kv_free(&form);
    }
}

/* The regression: more than 8 KiB of part headers, the blank line after them, all in one
 * read. It used to be copied into an 8 KiB stack buffer (ASan: stack-buffer-overflow). */
static void refuses_oversized_part_headers_wherever_the_blank_line_falls(void **state)
{
    (void)state;
    const size_t pad_sizes[] = {8150, 8200, 9000, 20000, 60000};
    for (size_t i = 0; i < sizeof pad_sizes / sizeof pad_sizes[0]; i++) {
        size_t pad = pad_sizes[i];
        size_t cap = pad + 256;
        char *body = malloc(cap);
        assert_non_null(body);
        int n = snprintf(body, cap, "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
                                    "filename=\"a.csv\"\r\nX-Pad: ");
        memset(body + n, 'a', pad);
        n += (int)pad;
        n += snprintf(body + n, cap - (size_t)n, "\r\n\r\ndata\r\n--XyZ--\r\n");
        const size_t steps[] = {65536, 4096, 1};
        for (size_t k = 0; k < 3; k++) {
            struct kvlist form;
            char why[200] = "";
            long long bytes;
            assert_int_equal(run(body, (size_t)n, steps[k], &form, why, &bytes), -1);
            assert_true(strstr(why, "headers") != NULL || strstr(why, "not well-formed") != NULL);
            kv_free(&form);
        }
        free(body);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_fields_and_the_file_in_any_read_size),
        cmocka_unit_test(refuses_oversized_part_headers_wherever_the_blank_line_falls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
