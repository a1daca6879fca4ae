/* registry.c: system name → connector. A new connector is one line here. */
#include "connectors/autotask.h"
#include "connectors/connectwise.h"
#include "connectors/ingram.h"
#include "connectors/interworks.h"
#include "connectors/msp360.h"
#include "connectors/partnercenter.h"
#include "connectors/pax8.h"
#include "connectors/psa.h"
#include "connectors/source.h"

#include <string.h>

static const struct psa_connector *const psas[] = {
    &autotask_connector,
    &connectwise_connector,
};

static const struct source_connector *const sources[] = {
    &pax8_connector,
    &partnercenter_connector,
    &interworks_connector,
    &ingram_connector,
    &msp360_connector,
    NULL,
};

const struct psa_connector *psa_connector_for(const char *system)
{
    for (size_t i = 0; system && i < sizeof psas / sizeof psas[0]; i++)
        if (psas[i] && strcmp(psas[i]->system, system) == 0)
            return psas[i];
    return NULL;
}

const struct source_connector *source_connector_for(const char *system)
{
    for (size_t i = 0; system && i < sizeof sources / sizeof sources[0]; i++)
        if (sources[i] && strcmp(sources[i]->system, system) == 0)
            return sources[i];
    return NULL;
}

void psa_forget_cached(void)
{
    for (size_t i = 0; i < sizeof psas / sizeof psas[0]; i++)
        if (psas[i] && psas[i]->forget_cached)
            psas[i]->forget_cached();
}
