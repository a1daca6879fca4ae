/* qr.c: encode text with libqrencode and render it as a plain SVG */
#include "common/qr.h"

#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pixels per module in the default width/height; CSS may resize it. */
#define QR_PIXELS_PER_MODULE 4

int qr_svg(const char *text, char **svg_out)
{
    if (!svg_out)
        return -1;
    *svg_out = NULL;
    if (!text || !*text || strnlen(text, QR_MAX_TEXT + 1) > QR_MAX_TEXT)
        return -1;

    /* Byte mode hint, case-sensitive: otpauth URIs mix cases. */
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr)
        return -1;

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        QRcode_free(qr);
        return -1;
    }
    int w = qr->width, dim = w + 2 * QR_QUIET_ZONE;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 %d %d\" "
            "width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\" role=\"img\" "
            "aria-label=\"QR code\">"
            "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>"
            "<g fill=\"#000000\">",
            dim, dim, dim * QR_PIXELS_PER_MODULE, dim * QR_PIXELS_PER_MODULE, dim, dim);
    /* One rect per horizontal run of dark modules keeps the document small
     * (an otpauth URI is ~1,000 dark modules but ~400 runs). */
    for (int y = 0; y < w; y++) {
        const unsigned char *row = qr->data + (size_t)y * (size_t)w;
        for (int x = 0; x < w;) {
            if (!(row[x] & 1)) {
                x++;
                continue;
            }
            int start = x;
            while (x < w && (row[x] & 1))
                x++;
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"1\"/>",
                    start + QR_QUIET_ZONE, y + QR_QUIET_ZONE, x - start);
        }
    }
    fputs("</g></svg>\n", f);
    QRcode_free(qr);
    if (ferror(f)) {
        fclose(f);
        free(buf);
        return -1;
    }
    if (fclose(f) != 0) {
        free(buf);
        return -1;
    }
    *svg_out = buf;
    return 0;
}
