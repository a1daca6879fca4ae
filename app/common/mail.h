/* mail.h: build RFC 5322 text messages and send them over SMTP with libcurl */
#ifndef BILLSYNC_COMMON_MAIL_H
#define BILLSYNC_COMMON_MAIL_H

#include <stddef.h>

#define MAIL_ADDR_MAX 254          /* RFC 5321 path limit */
#define MAIL_BODY_MAX (4u << 20)   /* bytes; our mails are a few KB */

struct mail_config {
    const char *url;      /* smtp://127.0.0.1:2525, smtp://host:587 or smtps://host:465 */
    const char *user;     /* NULL or "" for no authentication */
    const char *password;
    const char *from;     /* "noreply@example.com" or "Billsync <noreply@example.com>" */
    long timeout_ms;      /* whole transaction; <= 0 means 30 s */
    int starttls;         /* 0 none, 1 try, 2 required (ignored for smtps://) */
};

/* *msg = a complete message (malloc'd, CRLF line endings): Date, Message-ID,
 * From, To, Subject (RFC 2047 encoded-words when not plain ASCII or long),
 * MIME-Version, Content-Type text/plain; charset=UTF-8 and
 * Content-Transfer-Encoding 7bit (ASCII, short lines) or quoted-printable.
 * from is an address or "Name <address>", to a bare address. -1 for CR, LF or
 * other control characters in from, to or subject (header injection), for a
 * malformed address, or for a subject or body that is not valid UTF-8.
 * Dot-stuffing is left to libcurl, which does it while sending. */
int mail_build(const char *from, const char *to, const char *subject, const char *text_body,
               char **msg);

/* Build and send one message. On -1, err gets curl's error text (never the
 * password). The process should have called curl_global_init at start-up. */
int mail_send(const struct mail_config *cfg, const char *to, const char *subject,
              const char *body, char *err, size_t errlen);

#endif
