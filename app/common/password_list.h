/* password_list.h: load the shipped common-password list into a sorted array */
#ifndef BILLSYNC_COMMON_PASSWORD_LIST_H
#define BILLSYNC_COMMON_PASSWORD_LIST_H

#include <stddef.h>

#define PASSWORD_LIST_MAX_FILE (32u << 20) /* bytes */

struct password_list {
    const char **words; /* lowercase, sorted by strcmp, no duplicates */
    size_t count;
    char *blob;         /* storage the words point into */
};

/* Load path: one password per line; blank lines and lines starting with
 * "#!comment:" are skipped, CR before LF is dropped, ASCII letters are
 * lowercased, and the result is sorted and deduplicated (the file need not
 * be). Load once at start-up (before fork) and pass list->words and
 * list->count to password_check. On -1, err says why and *list is empty. */
int password_list_load(const char *path, struct password_list *list, char *err,
                       size_t errlen);

void password_list_free(struct password_list *list);

#endif
