/* test_qr.c: unit tests for common/qr (SVG shape, module count, no script or style) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/qr.h"

static const char *uri = "otpauth://totp/billsync:alice%40example.com?secret="
                         "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=billsync"
                         "&algorithm=SHA1&digits=6&period=30";

/* Sum the widths of the run rects and check each lies inside the symbol. */
static long dark_modules_in_svg(const char *svg, int width)
{
    long total = 0;
    const char *p = strstr(svg, "<g fill=\"#000000\">");
    assert_non_null(p);
    while ((p = strstr(p, "<rect x=\"")) != NULL) {
        int x, y, w, h;
        assert_int_equal(sscanf(p, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>", &x, &y,
                                &w, &h),
                         4);
        assert_int_equal(h, 1);
        assert_true(x >= QR_QUIET_ZONE && y >= QR_QUIET_ZONE && w >= 1);
        assert_true(x + w <= QR_QUIET_ZONE + width && y < QR_QUIET_ZONE + width);
        total += w;
        p++;
    }
    return total;
}

static void test_svg_shape(void **state)
{
    (void)state;
    char *svg = NULL;
    assert_int_equal(qr_svg(uri, &svg), 0);
    assert_non_null(svg);
    assert_memory_equal(svg, "<svg ", 5);
    assert_non_null(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(svg, "</svg>"));

    /* Same input, same symbol: compare with libqrencode directly. */
    QRcode *qr = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(qr);
    int dim = qr->width + 2 * QR_QUIET_ZONE;
    assert_int_equal(qr->width, 17 + 4 * qr->version);
    char vb[64];
    snprintf(vb, sizeof vb, "viewBox=\"0 0 %d %d\"", dim, dim);
    assert_non_null(strstr(svg, vb));
    char bg[96];
    snprintf(bg, sizeof bg, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>",
             dim, dim);
    assert_non_null(strstr(svg, bg));

    long dark = 0;
    for (int i = 0; i < qr->width * qr->width; i++)
        dark += qr->data[i] & 1;
    assert_int_equal(dark_modules_in_svg(svg, qr->width), dark);
    QRcode_free(qr);

    /* Nothing active or styled, nothing fetched. */
    assert_null(strstr(svg, "<script"));
    assert_null(strstr(svg, "style"));
    assert_null(strstr(svg, "href"));
    assert_null(strstr(svg, " on")); /* no event handler attributes (onload=...) */
    assert_null(strstr(svg, "<?xml"));
    free(svg);
}

static void test_svg_rows_match(void **state)
{
    (void)state;
    /* Exact module-by-module check: rebuild the bitmap from the rects. */
    const char *text = "HELLO";
    char *svg = NULL;
    assert_int_equal(qr_svg(text, &svg), 0);
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(qr);
    int w = qr->width;
    unsigned char *bits = calloc((size_t)w * (size_t)w, 1);
    assert_non_null(bits);
    const char *p = strstr(svg, "<g fill=");
    assert_non_null(p);
    while ((p = strstr(p, "<rect x=\"")) != NULL) {
        int x, y, rw, h;
        assert_int_equal(sscanf(p, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"", &x, &y,
                                &rw, &h),
                         4);
        for (int i = 0; i < rw; i++) {
            size_t at = (size_t)(y - QR_QUIET_ZONE) * (size_t)w + (size_t)(x - QR_QUIET_ZONE + i);
            assert_int_equal(bits[at], 0); /* runs never overlap */
            bits[at] = 1;
        }
        p++;
    }
    for (int i = 0; i < w * w; i++)
        assert_int_equal(bits[i], qr->data[i] & 1);
    free(bits);
    QRcode_free(qr);
    free(svg);
}

static void test_svg_bad_input(void **state)
{
    (void)state;
    char *svg = (char *)"sentinel";
    assert_int_equal(qr_svg("", &svg), -1);
    assert_null(svg);
    assert_int_equal(qr_svg(NULL, &svg), -1);
    assert_int_equal(qr_svg("x", NULL), -1);

    char *big = malloc(QR_MAX_TEXT + 2);
    assert_non_null(big);
    memset(big, 'a', QR_MAX_TEXT + 1);
    big[QR_MAX_TEXT + 1] = '\0';
    assert_int_equal(qr_svg(big, &svg), -1);
    /* Exactly the limit still encodes (version 40-M holds 2331 bytes). */
    big[QR_MAX_TEXT] = '\0';
    assert_int_equal(qr_svg(big, &svg), 0);
    assert_non_null(strstr(svg, "viewBox=\""));
    free(svg);
    free(big);
}

static void test_svg_markup_in_text(void **state)
{
    (void)state;
    /* The text is encoded into modules, never copied into the markup. */
    char *svg = NULL;
    assert_int_equal(qr_svg("<script>alert(1)</script>", &svg), 0);
    assert_null(strstr(svg, "script"));
    assert_null(strstr(svg, "alert"));
    free(svg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_svg_shape),
        cmocka_unit_test(test_svg_rows_match),
        cmocka_unit_test(test_svg_bad_input),
        cmocka_unit_test(test_svg_markup_in_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
