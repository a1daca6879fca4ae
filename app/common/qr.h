/* qr.h: QR code as an SVG document, for the 2FA enrolment page */
#ifndef BILLSYNC_COMMON_QR_H
#define BILLSYNC_COMMON_QR_H

#define QR_QUIET_ZONE 4      /* modules of white border, as ISO/IEC 18004 asks */
#define QR_MAX_TEXT 1024     /* bytes; an otpauth URI is ~150 */

/* *svg_out = a self-contained <svg> document (malloc'd): one viewBox unit per
 * module, the quiet zone included, dark modules as <rect>s with fill
 * attributes; no script, no style attributes, no external references.
 * Error correction level M. -1 for empty or over-long text. */
int qr_svg(const char *text, char **svg_out);

#endif
