/* registry.c: system name → connector. A new connector is one line here. */
#include "connectors/psa.h"
#include "connectors/source.h"

#include <string.h>

static const struct psa_connector *const psas[] = {
    NULL,
};

static const struct source_connector *const sources[] = {
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

const char *src_status_name(enum src_status s)
{
    static const char *const n[] = {"active", "suspended", "cancelled", "pending"};
    return (unsigned)s < 4 ? n[s] : "unknown";
}

const char *src_cycle_name(enum src_cycle c)
{
    static const char *const n[] = {"monthly", "annual", "one_time", "usage"};
    return (unsigned)c < 4 ? n[c] : "unknown";
}

const char *src_charge_type_name(enum src_charge_type t)
{
    static const char *const n[] = {"recurring", "one_time", "usage", "proration", "refund"};
    return (unsigned)t < 5 ? n[t] : "unknown";
}
