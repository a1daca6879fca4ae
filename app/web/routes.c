/* routes.c: the page table: path → handler, with login, role and POST flags. */
#include "web/routes.h"

#include "web/pages.h"

#include <stdio.h>
#include <string.h>

/* Navigation follows doc/seeds.md 001: Dashboard, Reports, Billing, Configuration, Users. A page
 * appears in the navigation only when it exists and the user's role may open it. */
static const struct route routes[] = {
    {"/healthz", page_healthz, R_PUBLIC, ROLE_NONE, NULL},
    {"/metrics", page_metrics, R_PUBLIC, ROLE_NONE, NULL},
    {"/login", page_login, R_PUBLIC | R_POST, ROLE_NONE, NULL},
    {"/login/2fa", page_login_2fa, R_POST | R_NO_MFA, ROLE_VIEWER, NULL},
    {"/logout", page_logout, R_POST | R_NO_MFA, ROLE_VIEWER, NULL},
    {"/forgot", page_forgot, R_PUBLIC | R_POST, ROLE_NONE, NULL},
    {"/reset", page_reset, R_PUBLIC | R_POST, ROLE_NONE, NULL},
    {"/invite", page_invite, R_PUBLIC | R_POST, ROLE_NONE, NULL},
    {"/", page_dashboard, 0, ROLE_VIEWER, "Dashboard"},
    {"/reports/subscriptions", page_report_subscriptions, 0, ROLE_VIEWER, "Reports"},
    {"/reports/linked", page_report_linked, 0, ROLE_VIEWER, NULL},
    {"/reports/unlinked", page_report_unlinked, 0, ROLE_VIEWER, NULL},
    {"/reports/adjustments", page_report_adjustments, 0, ROLE_VIEWER, "Adjustments"},
    {"/reports/failures", page_report_failures, R_POST, ROLE_VIEWER, NULL},
    {"/reports/adjustments/", page_adjustment_detail, R_PREFIX, ROLE_VIEWER, NULL},
    {"/reports/charges/", page_charge_detail, R_PREFIX, ROLE_VIEWER, NULL},
    {"/mapping", page_mapping, R_POST, ROLE_BILLING, "Billing"},
    {"/mapping/relations", page_mapping_relations, R_POST, ROLE_BILLING, NULL},
    {"/approvals", page_approvals, R_POST, ROLE_BILLING, "Approvals"},
    {"/checklist", page_checklist, 0, ROLE_VIEWER, NULL},
    {"/review", page_review, R_POST | R_PREFIX, ROLE_BILLING, "Review"},
    {"/settings/billing", page_settings_billing, R_POST, ROLE_ADMIN, NULL},
    {"/settings/connections", page_connections, R_POST, ROLE_ADMIN, "Configuration"},
    {"/settings/connections/upload", page_upload, R_POST | R_UPLOAD, ROLE_ADMIN, NULL},
    {"/users", page_users, R_POST, ROLE_ADMIN, "Users"},
    {"/audit", page_audit, 0, ROLE_ADMIN, "Audit log"},
    {"/profile", page_profile, R_POST | R_NO_MFA, ROLE_VIEWER, NULL},
    {"/profile/qr.svg", page_profile_qr, R_NO_MFA, ROLE_VIEWER, NULL},
};
#define NROUTES (sizeof routes / sizeof routes[0])

const struct route *routes_find(const char *path)
{
    for (size_t i = 0; i < NROUTES; i++) {
        const struct route *r = &routes[i];
        if (r->flags & R_PREFIX ? strncmp(path, r->path, strlen(r->path)) == 0
                                : strcmp(path, r->path) == 0)
            return r;
    }
    return NULL;
}

void routes_nav(struct web *w)
{
    int n = 0;
    for (size_t i = 0; i < NROUTES; i++) {
        const struct route *r = &routes[i];
        if (!r->nav || !w->sess || w->sess->role < r->min_role)
            continue;
        hsetf(w, r->path, "Nav.%d.href", n);
        hsetf(w, r->nav, "Nav.%d.label", n);
        if (w->route == r)
            hsetf(w, "1", "Nav.%d.active", n);
        n++;
    }
}
