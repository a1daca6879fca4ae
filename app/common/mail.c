/* mail.c: RFC 5322 message builder and SMTP submission through libcurl */
#include "common/mail.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SUBJECT_PLAIN_MAX 200   /* longer ASCII subjects are folded as encoded-words */
#define LINE_7BIT_MAX 998       /* RFC 5322 hard line limit, CRLF excluded */
#define QP_LINE_MAX 76          /* RFC 2045, soft break '=' included */
#define EW_CHUNK 39             /* bytes per encoded-word: 52 base64 chars, a 64-char word,
                                   so "Subject: " + word stays within 76 (RFC 2047) */

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

/* Any C0 control (CR and LF above all) or DEL: never allowed in a header. */
static int has_ctl(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 1;
    return 0;
}

static int has_8bit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 1;
    return 0;
}

/* A bare ASCII addr-spec, conservatively: local@domain, no spaces, quotes,
 * brackets or separators, so it is safe both in a header and in MAIL FROM. */
static int addr_valid(const char *a, size_t len)
{
    if (len == 0 || len > MAIL_ADDR_MAX)
        return 0;
    size_t at = len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)a[i];
        if (c <= 0x20 || c >= 0x7f || strchr("<>()[],;:\\\"", c))
            return 0;
        if (c == '@') {
            if (at != len)
                return 0;
            at = i;
        }
    }
    return at > 0 && at < len - 1;
}

/* Split "addr" or "Name <addr>" into addr (NUL-terminated) and name. */
static int parse_from(const char *from, char addr[MAIL_ADDR_MAX + 1], const char **name,
                      size_t *namelen)
{
    size_t len = strlen(from);
    const char *lt = strrchr(from, '<');
    *name = NULL;
    *namelen = 0;
    if (lt && len > 0 && from[len - 1] == '>') {
        const char *a = lt + 1;
        size_t alen = (size_t)(from + len - 1 - a);
        if (!addr_valid(a, alen))
            return -1;
        memcpy(addr, a, alen);
        addr[alen] = '\0';
        const char *n = from, *e = lt;
        while (n < e && *n == ' ')
            n++;
        while (e > n && e[-1] == ' ')
            e--;
        *name = n;
        *namelen = (size_t)(e - n);
        return 0;
    }
    if (!addr_valid(from, len))
        return -1;
    memcpy(addr, from, len + 1);
    return 0;
}

/* RFC 2047 B encoding, split on code point boundaries, folded with CRLF SP. */
static void put_encoded_words(FILE *f, const char *s, size_t len)
{
    size_t off = 0;
    int first = 1;
    do {
        size_t n = len - off < EW_CHUNK ? len - off : EW_CHUNK;
        /* Do not cut a UTF-8 sequence: back off over continuation bytes. */
        while (off + n < len && n > 0 && ((unsigned char)s[off + n] & 0xc0) == 0x80)
            n--;
        char b64[sodium_base64_ENCODED_LEN(EW_CHUNK, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof b64, (const unsigned char *)s + off, n,
                          sodium_base64_VARIANT_ORIGINAL);
        fprintf(f, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", b64);
        first = 0;
        off += n;
    } while (off < len);
}

static void put_date(FILE *f, time_t now)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    gmtime_r(&now, &tm);
    /* Fixed English names: strftime would follow the locale. */
    fprintf(f, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
            months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Length of the line starting at s (up to CR, LF or NUL) and of its break. */
static size_t line_len(const char *s, size_t *brk)
{
    size_t n = strcspn(s, "\r\n");
    if (s[n] == '\r' && s[n + 1] == '\n')
        *brk = 2;
    else if (s[n])
        *brk = 1;
    else
        *brk = 0;
    return n;
}

static void put_qp_line(FILE *f, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        int literal = (c >= 33 && c <= 126 && c != '=') ||
                      ((c == ' ' || c == '\t') && i + 1 < n);
        size_t tok = literal ? 1 : 3;
        if (col + tok > QP_LINE_MAX - 1) { /* keep room for the soft break '=' */
            fputs("=\r\n", f);
            col = 0;
        }
        if (literal) {
            fputc(c, f);
        } else {
            fputc('=', f);
            fputc(hex[c >> 4], f);
            fputc(hex[c & 15], f);
        }
        col += tok;
    }
    fputs("\r\n", f);
}

/* Body with CRLF line endings, 7bit when possible, else quoted-printable. */
static void put_body(FILE *f, const char *body)
{
    int qp = has_8bit(body, strlen(body));
    size_t brk;
    for (const char *p = body; *p && !qp; p += brk) {
        size_t n = line_len(p, &brk);
        if (n > LINE_7BIT_MAX)
            qp = 1;
        p += n;
    }
    fprintf(f, "Content-Transfer-Encoding: %s\r\n\r\n", qp ? "quoted-printable" : "7bit");
    for (const char *p = body; *p; p += brk) {
        size_t n = line_len(p, &brk);
        if (qp) {
            put_qp_line(f, (const unsigned char *)p, n);
        } else {
            fwrite(p, 1, n, f);
            fputs("\r\n", f);
        }
        p += n;
    }
}

int mail_build(const char *from, const char *to, const char *subject, const char *text_body,
               char **msg)
{
    char from_addr[MAIL_ADDR_MAX + 1];
    const char *name;
    size_t namelen;

    if (!msg)
        return -1;
    *msg = NULL;
    if (!from || !to || !subject || !text_body)
        return -1;
    if (has_ctl(from) || has_ctl(to) || has_ctl(subject))
        return -1;
    if (parse_from(from, from_addr, &name, &namelen) != 0 || !addr_valid(to, strlen(to)))
        return -1;
    size_t sublen = strlen(subject), bodylen = strlen(text_body);
    if (bodylen > MAIL_BODY_MAX || !utf8_valid((const unsigned char *)subject, sublen) ||
        !utf8_valid((const unsigned char *)text_body, bodylen) ||
        !utf8_valid((const unsigned char *)name, namelen))
        return -1;

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -1;

    put_date(f, time(NULL));
    unsigned char rnd[16];
    char rhex[2 * sizeof rnd + 1];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(rhex, sizeof rhex, rnd, sizeof rnd);
    fprintf(f, "Message-ID: <%s@%s>\r\n", rhex, strchr(from_addr, '@') + 1);

    fputs("From: ", f);
    if (namelen > 0) {
        if (has_8bit(name, namelen)) {
            put_encoded_words(f, name, namelen);
        } else {
            fputc('"', f);
            for (size_t i = 0; i < namelen; i++) {
                if (name[i] == '"' || name[i] == '\\')
                    fputc('\\', f);
                fputc(name[i], f);
            }
            fputc('"', f);
        }
        fprintf(f, " <%s>\r\n", from_addr);
    } else {
        fprintf(f, "%s\r\n", from_addr);
    }
    fprintf(f, "To: %s\r\n", to);
    fputs("Subject: ", f);
    if (has_8bit(subject, sublen) || sublen > SUBJECT_PLAIN_MAX)
        put_encoded_words(f, subject, sublen);
    else
        fputs(subject, f);
    fputs("\r\nMIME-Version: 1.0\r\n"
          "Content-Type: text/plain; charset=UTF-8\r\n",
          f);
    put_body(f, text_body);

    if (ferror(f)) {
        fclose(f);
        free(buf);
        return -1;
    }
    if (fclose(f) != 0) {
        free(buf);
        return -1;
    }
    *msg = buf;
    return 0;
}

struct upload {
    const char *data;
    size_t len, off;
};

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct upload *u = userdata;
    size_t room = size * nmemb, left = u->len - u->off;
    size_t n = left < room ? left : room;
    memcpy(ptr, u->data + u->off, n);
    u->off += n;
    return n;
}

/* Replace every occurrence of secret in s with "***", in place. */
static void scrub(char *s, const char *secret)
{
    size_t sl = secret ? strlen(secret) : 0;
    if (sl == 0)
        return;
    char *p;
    while ((p = strstr(s, secret)) != NULL) {
        size_t rest = strlen(p + sl);
        size_t rl = sl < 3 ? sl : 3;
        memcpy(p, "***", rl);
        memmove(p + rl, p + sl, rest + 1);
    }
}

static void set_err(char *err, size_t errlen, const char *what, const char *detail,
                    const char *password)
{
    if (!err || !errlen)
        return;
    if (detail && *detail)
        snprintf(err, errlen, "%s: %s", what, detail);
    else
        snprintf(err, errlen, "%s", what);
    scrub(err, password);
}

int mail_send(const struct mail_config *cfg, const char *to, const char *subject,
              const char *body, char *err, size_t errlen)
{
    char from_addr[MAIL_ADDR_MAX + 1], envelope_from[MAIL_ADDR_MAX + 3],
        envelope_to[MAIL_ADDR_MAX + 3];
    const char *name;
    size_t namelen;
    char *msg = NULL;
    int rc = -1;

    if (err && errlen)
        err[0] = '\0';
    if (!cfg || !cfg->url || !cfg->from || !to) {
        set_err(err, errlen, "mail: incomplete configuration", NULL, NULL);
        return -1;
    }
    if (has_ctl(cfg->from) || parse_from(cfg->from, from_addr, &name, &namelen) != 0) {
        set_err(err, errlen, "mail: invalid sender address", NULL, NULL);
        return -1;
    }
    if (mail_build(cfg->from, to, subject, body, &msg) != 0) {
        set_err(err, errlen, "mail: invalid recipient, subject or body", NULL, NULL);
        return -1;
    }
    snprintf(envelope_from, sizeof envelope_from, "<%s>", from_addr);
    snprintf(envelope_to, sizeof envelope_to, "<%s>", to);

    CURL *curl = curl_easy_init();
    struct curl_slist *rcpt = curl_slist_append(NULL, envelope_to);
    if (!curl || !rcpt) {
        set_err(err, errlen, "mail: out of memory", NULL, NULL);
        goto out;
    }
    char ebuf[CURL_ERROR_SIZE];
    ebuf[0] = '\0';
    struct upload up = {msg, strlen(msg), 0};
    long timeout = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000L;
    long curl_ssl = cfg->starttls == 2   ? (long)CURLUSESSL_ALL
                    : cfg->starttls == 1 ? (long)CURLUSESSL_TRY
                                         : (long)CURLUSESSL_NONE;

    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(curl, CURLOPT_URL, cfg->url);
    /* The URL comes from configuration; still, only ever speak SMTP. */
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000L ? timeout : 10000L);
    curl_easy_setopt(curl, CURLOPT_USE_SSL, curl_ssl);
    if (cfg->user && *cfg->user) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
    }
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, envelope_from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(curl, CURLOPT_READDATA, &up);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.len);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);

    CURLcode cc = curl_easy_perform(curl);
    if (cc != CURLE_OK) {
        set_err(err, errlen, curl_easy_strerror(cc), ebuf, cfg->password);
        goto out;
    }
    rc = 0;
out:
    curl_slist_free_all(rcpt);
    if (curl)
        curl_easy_cleanup(curl);
    free(msg);
    return rc;
}
