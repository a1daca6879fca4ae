"""The tenant's time zone on /settings/billing: saved and audited, refused when it is not a
zone (nothing changed), admin only, and it decides the day a change is dated."""
import datetime as dt
import re
from zoneinfo import ZoneInfo

from billsync_test import signed_in, sql
from test_mapping import ROWS, row_id, set_relation, setup_tenant
from testclock import utcnow

POLICY = {"approval": "auto", "decrease_mode": "next_period", "drift_mode": "flag", "usage_mode": "average_cost",
          "alert_after_minutes": "240", "sync_interval_minutes": "15"}


def zone_of(stack, t):
    return sql(stack, f"SELECT time_zone FROM tenants WHERE id = {t}").strip()


def today_in(zone):
    return utcnow().astimezone(ZoneInfo(zone)).date()


def test_time_zone_is_saved_audited_and_checked(stack):
    admin = signed_in(stack)
    t = admin.tenant
    assert 'name="time_zone"' in admin.get("/settings/billing").text and zone_of(stack, t) == "UTC"
    r = admin.form("/settings/billing", "/settings/billing", dict(POLICY, time_zone="Australia/Sydney"))
    assert r.status_code == 303
    assert zone_of(stack, t) == "Australia/Sydney"
    assert 'value="Australia/Sydney"' in admin.get("/settings/billing").text
    audit = sql(stack, f"SELECT detail FROM audit_log WHERE tenant_id = {t} AND action = 'tenant.billing_policy'")
    assert "tz=Australia/Sydney" in audit
    for bad in ("Mars/Olympus_Mons", "../../../etc/passwd", "America", "", "Europe/London; DROP TABLE tenants"):
        r = admin.form("/settings/billing", "/settings/billing", dict(POLICY, time_zone=bad, approval="require"))
        assert r.status_code == 400 and "must be a name such as Europe/London" in r.text, bad
        assert zone_of(stack, t) == "Australia/Sydney"
        assert sql(stack, f"SELECT approval FROM tenant_policies WHERE tenant_id = {t}").strip() == "auto"
    # only admins
    billing = signed_in(stack, "billing", tenant=t)
    r = billing.form("/profile", "/settings/billing", dict(POLICY, time_zone="UTC"))
    assert r.status_code == 403 and zone_of(stack, t) == "Australia/Sydney"


def test_the_tenants_day_dates_the_reconciliation(stack):
    """Pacific/Kiritimati (UTC+14) and Pacific/Pago_Pago (UTC-11) never share a date."""
    seen = {}
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        admin = setup_tenant(stack, [ROWS[0].replace(",EXO1,8,", ",EXO1,41,")])
        t = admin.tenant
        admin.form("/settings/billing", "/settings/billing", dict(POLICY, time_zone=zone))
        before = today_in(zone)
        account = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Repair and Wear'"
                      ).strip()
        set_relation(admin, "company", row_id(stack, "src_companies", t, "rw1"), account)
        contract = sql(stack, f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {t} AND company_psa_id = "
                              f"'{account}' AND contract_type = 'recurring' LIMIT 1").strip()
        set_relation(admin, "subscription", row_id(stack, "src_subscriptions", t, "rw-exo"), contract)
        service = sql(stack, f"SELECT psa_id FROM psa_services WHERE tenant_id = {t} AND "
                             "name = 'Exchange Online (Plan 1)'").strip()
        page = set_relation(admin, "resource", row_id(stack, "src_resources", t, "rw-exo"), "svc:" + service)
        after = today_in(zone)
        m = re.search(r"A change of \+[\d.]+ from (\d{4}-\d{2}-\d{2})", page)
        assert m, page[:3000]
        assert m.group(1) in (before.isoformat(), after.isoformat()), (zone, m.group(1), before)
        seen[zone] = m.group(1)
    assert seen["Pacific/Kiritimati"] > seen["Pacific/Pago_Pago"]
