/* subs_sql.h: SQL fragments of "the subscription reports' rows", private to app/db: the
 * reports (db/reports.c) and the dashboard's figures (db/dashboard.c) select the same rows
 * through these, so a tile's number is the row count of the report it links to. */
#ifndef BILLSYNC_DB_SUBS_SQL_H
#define BILLSYNC_DB_SUBS_SQL_H

/* Source resources with their subscription (s), company (c) and active link (rl). */
#define SUBS_JOINS \
    " FROM src_resources r" \
    " JOIN connections k ON k.tenant_id = r.tenant_id AND k.id = r.connection_id" \
    " LEFT JOIN src_subscriptions s ON s.tenant_id = r.tenant_id AND s.connection_id = r.connection_id" \
    "  AND s.source_id = r.subscription_source_id" \
    " LEFT JOIN src_companies c ON c.tenant_id = r.tenant_id AND c.connection_id = r.connection_id" \
    "  AND c.source_id = r.company_source_id" \
    " LEFT JOIN resource_links rl ON rl.tenant_id = r.tenant_id AND rl.src_connection_id = r.connection_id" \
    "  AND rl.src_resource_id = r.source_id AND rl.active_key = 1"

/* The tenant's (one parameter) resources still at the source. */
#define SUBS_LIVE " WHERE r.tenant_id = ? AND r.gone = 0 AND COALESCE(s.gone, 0) = 0 AND COALESCE(c.gone, 0) = 0"

#endif
