/* program.c: shared start-up of the billsync programs (see program.h). */
#include "common/program.h"

#include "common/crypto.h"
#include "common/log.h"

#include <curl/curl.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int program_start(int argc, char **argv, const char *name, const char *usage, struct config *cfg,
                  int stop_at_first_word)
{
    const char *conf = NULL;
    int out = 1;
    for (int i = 1; i < argc; i++) {
        if (stop_at_first_word && argv[i][0] != '-') {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            exit(0);
        } else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            conf = argv[++i];
        } else {
            fprintf(stderr, "%s: unknown argument '%s' (try --help)\n", name, argv[i]);
            exit(2);
        }
    }
    argv[out] = NULL;
    config_load_or_exit(cfg, conf, name);
    log_set_program(name);
    enum log_level lvl;
    if (log_parse_level(cfg->log_level, &lvl) == 0)
        log_set_level(lvl);
    if (crypto_init() < 0 || mysql_library_init(0, NULL, NULL) ||
        curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "%s: library initialisation failed\n", name);
        exit(1);
    }
    return out;
}
