/* systems.h: the systems billsync connects to, and the settings each connection needs (the
 * connections page draws its forms from this; the connectors read the same keys). */
#ifndef BILLSYNC_CONNECTORS_SYSTEMS_H
#define BILLSYNC_CONNECTORS_SYSTEMS_H

enum system_kind { SYS_PSA, SYS_SOURCE };

struct system_field {
    const char *key;              /* JSON key the connector reads with conn_setting() */
    const char *label;
    const char *hint;             /* shown under the field */
    int secret;                   /* write-only: stored sealed, never shown again */
    int required;
};

#define SYSTEM_MAX_FIELDS 8

struct system_info {
    const char *system;           /* "autotask" */
    enum system_kind kind;
    const char *label;            /* "Datto Autotask" */
    const char *about;            /* one line under the title */
    struct system_field fields[SYSTEM_MAX_FIELDS];
};

const struct system_info *system_find(const char *system);
/* i-th system (NULL past the end), for listing. */
const struct system_info *system_at(int i);

#endif
