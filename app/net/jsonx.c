/* jsonx.c: safe parsing of HTTP response bodies and tolerant typed getters over Jansson. */
#include "net/jsonx.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jsonx_parse(const char *body, size_t len, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    size_t i = 0;
    while (body && i < len && isspace((unsigned char)body[i]))
        i++;
    if (!body || i == len) {
        if (err && errlen)
            snprintf(err, errlen, "not JSON: empty body");
        return -1;
    }
    json_error_t e;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (!j) {
        /* Jansson quotes the offending token ("... near 'abc'"): drop it, it is body text. */
        char text[JSON_ERROR_TEXT_LENGTH];
        snprintf(text, sizeof text, "%s", e.text);
        char *near = strstr(text, " near ");
        if (near)
            *near = '\0';
        if (err && errlen)
            snprintf(err, errlen, "not JSON: %s at line %d column %d (byte %d of %zu)", text,
                     e.line, e.column, e.position, len);
        return -1;
    }
    *out = j;
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* One path step: an object member, or an array element for an all-digit segment. */
static json_t *step(const json_t *v, const char *seg, size_t n)
{
    if (json_is_object(v)) {
        char key[256];
        if (n >= sizeof key)
            return NULL;
        memcpy(key, seg, n);
        key[n] = '\0';
        return json_object_get(v, key);
    }
    if (json_is_array(v) && all_digits(seg, n) && n < 10) {
        size_t idx = 0;
        for (size_t i = 0; i < n; i++)
            idx = idx * 10 + (size_t)(seg[i] - '0');
        return json_array_get(v, idx);
    }
    return NULL;
}

json_t *jsonx_get(const json_t *obj, const char *key)
{
    if (!obj || !key)
        return NULL;
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!v && strchr(key, '.')) {
        const json_t *cur = obj;
        const char *p = key;
        for (;;) {
            size_t n = strcspn(p, ".");
            cur = step(cur, p, n);
            if (!cur || p[n] == '\0')
                break;
            p += n + 1;
        }
        v = (json_t *)cur;
    }
    return json_is_null(v) ? NULL : v;
}

const char *jsonx_str(const json_t *obj, const char *key)
{
    json_t *v = jsonx_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int parse_int_text(const char *s, int64_t *out)
{
    const char *d = s + (*s == '-' || *s == '+');
    if (!all_digits(d, strlen(d)))
        return -1;
    errno = 0;
    char *end;
    long long x = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = (int64_t)x;
    return 0;
}

int jsonx_int(const json_t *obj, const char *key, int64_t *out)
{
    json_t *v = jsonx_get(obj, key);
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        /* 2^63 is exactly representable; anything at or beyond it is out of range. */
        if (!isfinite(d) || d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
            return -1;
        *out = (int64_t)d;
        return 0;
    }
    if (json_is_string(v))
        return parse_int_text(json_string_value(v), out);
    return -1;
}

int jsonx_bool(const json_t *obj, const char *key, int *out)
{
    json_t *v = jsonx_get(obj, key);
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
        *out = (int)json_integer_value(v);
        return 0;
    }
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (s && (!strcmp(s, "true") || !strcmp(s, "false"))) {
        *out = s[0] == 't';
        return 0;
    }
    return -1;
}

int jsonx_money(const json_t *obj, const char *key, money_t *out)
{
    json_t *v = jsonx_get(obj, key);
    if (json_is_integer(v))
        return money_from_int((int64_t)json_integer_value(v), out);
    if (json_is_real(v))
        return money_from_json_number(json_real_value(v), out);
    if (json_is_string(v))
        return money_parse(json_string_value(v), out);
    return -1;
}

int jsonx_qty(const json_t *obj, const char *key, qty_t *out)
{
    json_t *v = jsonx_get(obj, key);
    if (json_is_integer(v))
        return qty_from_int((int64_t)json_integer_value(v), out);
    if (json_is_real(v))
        return qty_from_json_number(json_real_value(v), out);
    if (json_is_string(v))
        return qty_parse(json_string_value(v), out);
    return -1;
}

int jsonx_date(const json_t *obj, const char *key, cdate_t *out)
{
    const char *s = jsonx_str(obj, key);
    return s ? cdate_parse(s, out) : -1;
}
