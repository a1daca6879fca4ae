/* secret_key.h: the installation's secret key (security.key_file), loaded once per process.
 * It seals stored credentials and queued mail that carries links with tokens. */
#ifndef BILLSYNC_COMMON_SECRET_KEY_H
#define BILLSYNC_COMMON_SECRET_KEY_H

struct config;

/* The 32-byte key, or NULL (logged once) when the file is missing or wrong. */
const unsigned char *secret_key(const struct config *cfg);

#endif
