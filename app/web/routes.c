/* routes.c: the page table: path → handler, with login, role and POST flags. */
#include "web/routes.h"

#include "web/pages.h"
#include "web/reports.h"

#include <stdio.h>
#include <string.h>

/* Parameters of the pages (web/params.h): name, kind, range or values, default, the sentence
 * of the 400 page. Checked in this order; the first that is not valid answers. */
static const char *const dirs[] = {"asc", "desc", NULL};
static const char *const formats[] = {"csv", "html", NULL};

#define REPORT_TEXT(name) PARAM_TEXT_(name, REPORT_TEXT_MAX, "A text filter is too long (200 characters at most).")
/* What every report reads after its filters: the sort key (the report checks it is one of its
 * columns), the direction, the page and the format. */
#define REPORT_TAIL                                                                            \
    PARAM_TEXT_("sort", 64, "This report cannot be sorted by that column."),                   \
        PARAM_ENUM_("dir", dirs, NULL, "The sort direction must be asc or desc."),             \
        PARAM_INT_("page", 1, REPORT_MAX_PAGE, "1", "The page number is not valid."),           \
        PARAM_ENUM_("format", formats, NULL, "The format must be csv or html."), PARAM_END

/* /reports/subscriptions, /linked, /unlinked (REPORT_F_SUBSCRIPTIONS). */
static const struct param_def p_report_subscriptions[] = {
    PARAM_INT_("source", 1, 9223372036854775807LL, NULL,
               "The source filter names no distributor connection of yours."),
    REPORT_TEXT("company"),
    REPORT_TEXT("product"),
    REPORT_TEXT("q"),
    PARAM_ENUM_("status", report_statuses, NULL,
                "The status filter must be active, suspended, cancelled or pending."),
    PARAM_ENUM_("billing", report_billings, NULL,
                "The billing filter must be seats, monthly, annual, one_time or usage."),
    PARAM_INT_("new", 0, 1, "0", "The new filter must be 0 or 1."),
    REPORT_TAIL,
};
/* /reports/adjustments and /reports/failures (REPORT_F_DATES and the text filters). */
static const struct param_def p_report_log[] = {
    REPORT_TEXT("company"),
    REPORT_TEXT("subscription"),
    REPORT_TEXT("resource"),
    REPORT_TEXT("q"),
    PARAM_DATE_("to", "The end date must be a day written YYYY-MM-DD."),
    PARAM_DATE_("from", "The start date must be a day written YYYY-MM-DD."),
    REPORT_TAIL,
};
/* /reports/margin (web/page_report_margin.c). */
static const char *const flags01[] = {"0", "1", NULL};
static const struct param_def p_report_margin[] = {
    PARAM_INT_("source", 1, 9223372036854775807LL, NULL,
               "The source filter names no distributor connection of yours."),
    PARAM_INT_("psa", 1, 9223372036854775807LL, NULL, "The PSA filter names no PSA connection of yours."),
    REPORT_TEXT("company"),
    REPORT_TEXT("product"),
    PARAM_ENUM_("flagged", flags01, NULL, "The flagged filter must be 0 or 1."),
    REPORT_TAIL,
};
/* /mapping and /mapping/relations: the filters also ride along in their forms. */
static const struct param_def p_mapping[] = {
    PARAM_TEXT_("q", 200, "A filter of this page is not valid."),
    PARAM_INT_("mapped", 0, 1, "0", "A filter of this page is not valid."),
    PARAM_INT_("expired", 0, 1, "0", "A filter of this page is not valid."),
    PARAM_INT_("unlinked", 0, 1, "0", "A filter of this page is not valid."),
    PARAM_INT_("page", 1, 100000, "1", "A filter of this page is not valid."),
    PARAM_END,
};
/* /review/YYYY-MM (the month is the path's; the picker reads nothing). */
static const struct param_def p_review[] = {
    PARAM_ENUM_("format", formats, NULL, "The format must be csv or html."),
    PARAM_INT_("page", 1, 100000, "1", "The page must be a number."),
    PARAM_END,
};
static const struct param_def p_connections[] = {
    PARAM_INT_("edit", 1, 1LL << 62, NULL, "The connection number is not valid."),
    PARAM_END,
};
static const struct param_def p_audit[] = {
    PARAM_TEXT_("user", 255, "The user filter is too long (255 characters at most)."),
    PARAM_ENUM_("action", audit_actions, NULL, "Unknown action filter."),
    PARAM_DATE_("from", "The 'from' date must look like 2026-11-01."),
    PARAM_DATE_("to", "The 'to' date must look like 2026-11-30."),
    PARAM_ENUM_("format", formats, NULL, "The format must be csv or html."),
    PARAM_INT_("page", 1, 100000, "1", "The page number is not valid."),
    PARAM_END,
};

/* Navigation follows doc/seeds.md 001: Dashboard, Reports, Billing, Configuration, Users. A page
 * appears in the navigation only when it exists and the user's role may open it. */
static const struct route routes[] = {
    {"/healthz", page_healthz, R_PUBLIC, ROLE_NONE, NULL, NULL},
    {"/metrics", page_metrics, R_PUBLIC, ROLE_NONE, NULL, NULL},
    {"/login", page_login, R_PUBLIC | R_POST, ROLE_NONE, NULL, NULL},
    {"/login/2fa", page_login_2fa, R_POST | R_NO_MFA, ROLE_VIEWER, NULL, NULL},
    {"/logout", page_logout, R_POST | R_NO_MFA, ROLE_VIEWER, NULL, NULL},
    {"/forgot", page_forgot, R_PUBLIC | R_POST, ROLE_NONE, NULL, NULL},
    {"/reset", page_reset, R_PUBLIC | R_POST, ROLE_NONE, NULL, NULL},
    {"/invite", page_invite, R_PUBLIC | R_POST, ROLE_NONE, NULL, NULL},
    {"/", page_dashboard, 0, ROLE_VIEWER, "Dashboard", NULL},
    {"/reports/subscriptions", page_report_subscriptions, 0, ROLE_VIEWER, "Reports", p_report_subscriptions},
    {"/reports/linked", page_report_linked, 0, ROLE_VIEWER, NULL, p_report_subscriptions},
    {"/reports/unlinked", page_report_unlinked, 0, ROLE_VIEWER, NULL, p_report_subscriptions},
    {"/reports/margin", page_report_margin, 0, ROLE_VIEWER, "Margin", p_report_margin},
    {"/reports/adjustments", page_report_adjustments, 0, ROLE_VIEWER, "Adjustments", p_report_log},
    {"/reports/failures", page_report_failures, R_POST, ROLE_VIEWER, NULL, p_report_log},
    {"/reports/adjustments/", page_adjustment_detail, R_PREFIX, ROLE_VIEWER, NULL, NULL},
    {"/reports/charges/", page_charge_detail, R_PREFIX, ROLE_VIEWER, NULL, NULL},
    {"/mapping", page_mapping, R_POST | R_FORM_PARAMS, ROLE_BILLING, "Billing", p_mapping},
    {"/mapping/relations", page_mapping_relations, R_POST | R_FORM_PARAMS, ROLE_BILLING, NULL, p_mapping},
    {"/approvals", page_approvals, R_POST, ROLE_BILLING, "Approvals", NULL},
    {"/checklist", page_checklist, 0, ROLE_VIEWER, NULL, NULL},
    {"/review", page_review, R_POST | R_PREFIX, ROLE_BILLING, "Review", p_review},
    {"/settings/billing", page_settings_billing, R_POST, ROLE_ADMIN, NULL, NULL},
    {"/settings/pricing", page_settings_pricing, R_POST, ROLE_ADMIN, NULL, NULL},
    {"/settings/connections", page_connections, R_POST, ROLE_ADMIN, "Configuration", p_connections},
    {"/settings/connections/upload", page_upload, R_POST | R_UPLOAD, ROLE_ADMIN, NULL, NULL},
    {"/users", page_users, R_POST, ROLE_ADMIN, "Users", NULL},
    {"/audit", page_audit, 0, ROLE_ADMIN, "Audit log", p_audit},
    {"/profile", page_profile, R_POST | R_NO_MFA, ROLE_VIEWER, NULL, NULL},
    {"/profile/qr.svg", page_profile_qr, R_NO_MFA, ROLE_VIEWER, NULL, NULL},
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
