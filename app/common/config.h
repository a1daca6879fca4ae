/* config.h: billsync.conf (INI) with BILLSYNC_SECTION_KEY environment overrides. */
#ifndef BILLSYNC_COMMON_CONFIG_H
#define BILLSYNC_COMMON_CONFIG_H

#include <stddef.h>

#define CONFIG_STR 256

struct config {
    char path[CONFIG_STR];        /* the file the settings came from */
    /* [db] */
    char db_socket[CONFIG_STR];
    char db_host[CONFIG_STR];
    int db_port;
    char db_name[64];
    char db_user[64];
    char db_password[128];
    int db_timeout;               /* seconds: connect, read and write timeouts */
    /* [web] */
    char web_socket[CONFIG_STR];
    int web_children;
    int web_max_body;             /* bytes */
    char base_url[CONFIG_STR];
    char templates_dir[CONFIG_STR];
    int session_idle;             /* seconds */
    int session_absolute;         /* seconds */
    int web_statement_ms;         /* max_statement_time of each web statement; 0: none */
    int web_export_statement_ms;  /* the same for a streamed CSV export's statement */
    /* [worker] */
    int worker_children;
    int lease_seconds;
    int poll_ms;
    int schedule_seconds;         /* how often a worker queues periodic jobs */
    int loss_hold_percent;        /* a pull losing more of the linked resources is held */
    /* [sync] */
    int drift_check_hours;        /* a linked PSA service whose source did not change is read this often */
    int psa_refresh_hours;        /* the PSA's lists (accounts, contracts, services) are pulled this often */
    /* [psa] */
    int budget_share_percent;     /* billsync's share of a PSA's hourly request cap (Autotask) */
    int threshold_check_seconds;  /* Autotask's ThresholdInformation is asked at most this often */
    /* [security] */
    char key_file[CONFIG_STR];
    int argon2_ops;
    int argon2_mem_kib;
    char common_passwords[CONFIG_STR];
    /* [smtp] */
    char smtp_url[CONFIG_STR];
    char smtp_from[CONFIG_STR];
    char smtp_user[128];
    char smtp_password[128];
    int smtp_timeout_ms;
    /* [net] */
    char slot_dir[CONFIG_STR];    /* per-host concurrency slots shared by all processes */
    int net_timeout_ms;           /* total time one outbound HTTP call may take */
    int net_allow_insecure_http;  /* 1: plain http:// to other hosts too (credentials in clear) */
    /* [log] */
    char log_level[16];
};

/* Loads defaults, then the file (path NULL: $BILLSYNC_CONFIG, else conf/billsync.conf),
 * then environment overrides, then validates. On error writes one line naming the setting
 * into err and returns -1. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/* config_load, and on failure print the one line to stderr and exit(2). */
void config_load_or_exit(struct config *cfg, const char *path, const char *program);

#endif
