/* secret_key.c: the installation's secret key, loaded once per process. */
#include "common/secret_key.h"

#include "common/config.h"
#include "common/crypto.h"
#include "common/log.h"

static unsigned char key[CRYPTO_KEY_BYTES];
static int state;                 /* 0 not loaded, 1 loaded, -1 failed */

const unsigned char *secret_key(const struct config *cfg)
{
    if (state == 0) {
        char err[256];
        state = crypto_key_load(cfg->key_file, key, err, sizeof err) == 0 ? 1 : -1;
        if (state < 0)
            log_error("secret key: %s (run: billsync keygen)", err);
    }
    return state == 1 ? key : NULL;
}
