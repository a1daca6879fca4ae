/* program.h: what every billsync program does first: --help/--config, load the config (one
 * clear line and exit 2 on error), set up logging, initialise libraries before any fork. */
#ifndef BILLSYNC_COMMON_PROGRAM_H
#define BILLSYNC_COMMON_PROGRAM_H

#include "common/config.h"

/* Consumes --config FILE and --help from argv (compacting it; returns the new argc). Prints
 * usage and exits 0 on --help when stop_at_first_word is 0. */
int program_start(int argc, char **argv, const char *name, const char *usage, struct config *cfg,
                  int stop_at_first_word);

#endif
