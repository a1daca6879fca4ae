/* subs_sql.h: SQL fragments of "the subscription reports' rows", private to app/db: the
 * reports (db/reports.c) and the dashboard's figures (db/dashboard.c) select the same rows
 * through these, so a tile's number is the row count of the report it links to, and both
 * classify a resource the same way:
 *
 *   usage    its billing cycle is 'usage' (backup storage: the quantity is GB, doc/design.md 4.9,
 *            the unit the usage charges and the billing settings use); every other resource
 *            (monthly, annual, one-time) counts seats. Seat figures never include usage.
 *   annual   its billing cycle is 'annual': the unit cost is for a year, so its monthly value
 *            is a twelfth (web/reports.h report_monthly_value).
 *   linked   it has an active resource link, or it is annual and its subscription has an
 *            active subscription link: an annual subscription is billed as one-time charges
 *            on that contract (doc/design.md 4.8), not through a service. */
#ifndef BILLSYNC_DB_SUBS_SQL_H
#define BILLSYNC_DB_SUBS_SQL_H

/* Source resources with their subscription (s), company (c), active resource link (rl) and
 * their subscription's active link (sl). */
#define SUBS_JOINS \
    " FROM src_resources r" \
    " JOIN connections k ON k.tenant_id = r.tenant_id AND k.id = r.connection_id" \
    " LEFT JOIN src_subscriptions s ON s.tenant_id = r.tenant_id AND s.connection_id = r.connection_id" \
    "  AND s.source_id = r.subscription_source_id" \
    " LEFT JOIN src_companies c ON c.tenant_id = r.tenant_id AND c.connection_id = r.connection_id" \
    "  AND c.source_id = r.company_source_id" \
    " LEFT JOIN resource_links rl ON rl.tenant_id = r.tenant_id AND rl.src_connection_id = r.connection_id" \
    "  AND rl.src_resource_id = r.source_id AND rl.active_key = 1" \
    " LEFT JOIN subscription_links sl ON sl.tenant_id = r.tenant_id AND sl.src_connection_id = r.connection_id" \
    "  AND sl.src_subscription_id = r.subscription_source_id AND sl.active_key = 1"

/* The tenant's (one parameter) resources still at the source. */
#define SUBS_LIVE " WHERE r.tenant_id = ? AND r.gone = 0 AND COALESCE(s.gone, 0) = 0 AND COALESCE(c.gone, 0) = 0"

#define SUBS_USAGE "(r.billing_cycle = 'usage')"
#define SUBS_ANNUAL "(r.billing_cycle = 'annual')"
/* Billed through the charge route: annual, no resource link, its subscription linked. */
#define SUBS_BY_CHARGE "(rl.id IS NULL AND r.billing_cycle = 'annual' AND sl.id IS NOT NULL)"
#define SUBS_LINKED "(rl.id IS NOT NULL OR " SUBS_BY_CHARGE ")"
/* Seats (1/1000) and usage quantity (1/1000 GB) of a row: each is 0 for the other kind. */
#define SUBS_SEATS "IF(" SUBS_USAGE ", 0, r.quantity)"
#define SUBS_USAGE_QTY "IF(" SUBS_USAGE ", r.quantity, 0)"
/* Months the unit cost is for (its billing period): 12 for annual, else 1. */
#define SUBS_PERIOD_MONTHS "IF(" SUBS_ANNUAL ", 12, 1)"
/* The billing filter (3 parameters, the same value each): '' all, 'seats' every seat
 * resource (not usage), or one billing cycle (monthly, annual, one_time, usage). */
#define SUBS_BILLING_FILTER \
    "(? = '' OR (? = 'seats' AND NOT " SUBS_USAGE ") OR CAST(r.billing_cycle AS CHAR) = ?)"

#endif
