/* password_list.c: read conf/common-passwords.txt into a sorted, deduplicated array */
#include "common/password_list.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define COMMENT_PREFIX "#!comment:"

static int cmp_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void password_list_free(struct password_list *list)
{
    if (!list)
        return;
    free(list->words);
    free(list->blob);
    list->words = NULL;
    list->blob = NULL;
    list->count = 0;
}

int password_list_load(const char *path, struct password_list *list, char *err,
                       size_t errlen)
{
    if (!list)
        return -1;
    list->words = NULL;
    list->blob = NULL;
    list->count = 0;
    if (!path) {
        if (err && errlen)
            snprintf(err, errlen, "password list: no path");
        return -1;
    }
    FILE *f = fopen(path, "rbe");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "password list %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
        (unsigned long long)st.st_size > PASSWORD_LIST_MAX_FILE) {
        if (err && errlen)
            snprintf(err, errlen, "password list %s: not a regular file or too large", path);
        fclose(f);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    char *blob = malloc(size + 1);
    if (!blob || fread(blob, 1, size, f) != size) {
        if (err && errlen)
            snprintf(err, errlen, "password list %s: read failed", path);
        free(blob);
        fclose(f);
        return -1;
    }
    fclose(f);
    blob[size] = '\0';

    /* Upper bound on the number of lines. */
    size_t cap = 1;
    for (size_t i = 0; i < size; i++)
        cap += blob[i] == '\n';
    const char **words = malloc(cap * sizeof *words);
    if (!words) {
        if (err && errlen)
            snprintf(err, errlen, "password list %s: out of memory", path);
        free(blob);
        return -1;
    }

    size_t n = 0;
    char *line = blob;
    while (line < blob + size) {
        char *nl = memchr(line, '\n', (size_t)(blob + size - line));
        char *end = nl ? nl : blob + size;
        char *next = nl ? nl + 1 : blob + size;
        if (end > line && end[-1] == '\r')
            end--;
        *end = '\0';
        /* A NUL inside the line would truncate it silently: skip such lines. */
        if (end > line && strlen(line) == (size_t)(end - line) &&
            strncmp(line, COMMENT_PREFIX, strlen(COMMENT_PREFIX)) != 0) {
            for (char *p = line; p < end; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p - 'A' + 'a');
            words[n++] = line;
        }
        line = next;
    }
    qsort(words, n, sizeof *words, cmp_ptr);
    size_t out = 0;
    for (size_t i = 0; i < n; i++)
        if (out == 0 || strcmp(words[out - 1], words[i]) != 0)
            words[out++] = words[i];

    list->words = words;
    list->count = out;
    list->blob = blob;
    return 0;
}
