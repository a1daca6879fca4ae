/* pages.h: one handler per page; each lives in its own page_*.c file. */
#ifndef BILLSYNC_WEB_PAGES_H
#define BILLSYNC_WEB_PAGES_H

#include "web/web.h"

void page_healthz(struct web *w);
void page_metrics(struct web *w);
void page_dashboard(struct web *w);
void page_login(struct web *w);
void page_login_2fa(struct web *w);
void page_logout(struct web *w);
void page_forgot(struct web *w);
void page_reset(struct web *w);
void page_invite(struct web *w);
void page_users(struct web *w);
void page_profile(struct web *w);
void page_profile_qr(struct web *w);
void page_audit(struct web *w);
/* The audit log's action filter values (NULL-terminated), declared with the route. */
extern const char *const audit_actions[];
void page_connections(struct web *w);
void page_upload(struct web *w);
void page_mapping(struct web *w);
void page_mapping_relations(struct web *w);
void page_report_subscriptions(struct web *w);
void page_report_linked(struct web *w);
void page_report_margin(struct web *w);
void page_report_unlinked(struct web *w);
void page_report_adjustments(struct web *w);
void page_report_failures(struct web *w);
void page_adjustment_detail(struct web *w);
void page_charge_detail(struct web *w);
void page_approvals(struct web *w);
void page_checklist(struct web *w);
void page_review(struct web *w);
void page_settings_billing(struct web *w);
void page_settings_pricing(struct web *w);

struct user;
/* 1 when code is the user's current TOTP code and was not used before (its step is then
 * recorded), 0 when not, -1 on error. Shared by /login/2fa and /profile. */
int page_totp_accept(struct web *w, const struct user *u, const char *code);

#endif
