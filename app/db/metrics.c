/* metrics.c: installation-wide counts for /metrics (see metrics.h). */
#include "db/metrics.h"

int metrics_jobs(db_t *db, struct dbrows *out)
{
    return db_query(db, "SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state ORDER BY kind, state", DB_NONE,
                    out);
}

int metrics_adjustments(db_t *db, struct dbrows *out)
{
    return db_query(db, "SELECT state, COUNT(*) FROM adjustments GROUP BY state ORDER BY state", DB_NONE, out);
}

int metrics_charges(db_t *db, struct dbrows *out)
{
    return db_query(db, "SELECT state, COUNT(*) FROM charges_posted GROUP BY state ORDER BY state", DB_NONE, out);
}

int metrics_connections(db_t *db, struct dbrows *out)
{
    return db_query(db, "SELECT refresh_status, COUNT(*) FROM connections GROUP BY refresh_status ORDER BY 1",
                    DB_NONE, out);
}
