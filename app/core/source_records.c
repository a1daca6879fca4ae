/* source_records.c: names of the canonical record enums, as stored and shown. */
#include "core/source_records.h"

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
