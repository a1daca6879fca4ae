"""Annual subscriptions become one one-time charge per period (doc/seeds.md 002), usage is billed per
month in the tenant's mode (doc/seeds.md 004), and failing changes are mailed to admins once."""
import datetime
import time

import requests

from billsync_test import csrf_from, mails_to, quiesce, reset_sandbox, sql, upload_csv, wait_for, worker_on
from psa_e2e import PSA
from test_mapping import GENERIC, row_id, set_relation, setup_tenant
from test_sync import Linked, next_change_date
from simcore import add_months
from testclock import today

E3 = ("ct1,Contoso Ltd,ct-e3,Microsoft 365 E3 (annual),Microsoft 365 E3,CFQ7TTC0LFLX,{qty},32.40,36.00,{ext},USD,"
      "{type},annual,12,{start},{end},{start},{line}\n")
BACKUP = ("ct1,Contoso Ltd,bk-1,Backup storage,Backup storage (per GB),BK-GB,{gb},0.0350,0.05,{ext},USD,usage,usage,0,"
          "{start},{end},{end},bk-{month}\n")


def charges(stack, contract, psa=None):
    """billsync's charges on the contract, as the PSA holds them ({name, text, quantity, unit_cost,
    date, description}): Autotask contract charges, ConnectWise one-time agreement additions."""
    return (psa or PSA.of("autotask")).charges(stack, contract)


def upload(admin, stack, rows):
    conn = sql(stack, f"SELECT id FROM connections WHERE tenant_id = {admin.tenant} AND system = 'csv'").strip()
    upload_csv(admin, conn, "lines.csv", GENERIC + "".join(rows))


def sync(admin, stack):
    admin.form("/mapping", "/mapping", {"action": "sync"})
    wait_for(lambda: "links checked" in sql(stack, f"SELECT result FROM tenant_sync WHERE tenant_id = {admin.tenant}"),
             60, "the sync")
    sql(stack, f"UPDATE tenant_sync SET result = '' WHERE tenant_id = {admin.tenant}")


def reset(stack):
    reset_sandbox(stack)


def test_annual_charge_once_per_period_and_mid_term_add_prorated(stack, psa):
    reset(stack)
    start = today().replace(day=1)
    end = start.replace(year=start.year + 1) - datetime.timedelta(days=1)
    admin = setup_tenant(stack, [E3.format(qty=3, ext="1166.40", type="one_time", start=start, end=end, line="e3-1")],
                         psa)
    t = admin.tenant
    contoso = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Contoso Ltd'").strip()
    set_relation(admin, "company", row_id(stack, "src_companies", t, "ct1"), contoso)
    kind = psa.annual_contract_type              # Autotask fixed price, ConnectWise a one-time agreement
    fixed = sql(stack, f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {t} AND company_psa_id = '{contoso}' "
                       f"AND contract_type = '{kind}' LIMIT 1").strip()
    assert fixed, f"the demo PSA has a {kind} contract for Contoso"
    page = admin.get("/mapping?mapped=1").text
    label = "fixed-price" if kind == "fixed_price" else "one-time"
    assert f"the account&#39;s only {label} contract" in page    # annual → fixed price / one-time suggestion
    set_relation(admin, "subscription", row_id(stack, "src_subscriptions", t, "ct-e3"), fixed)
    for _ in range(3):                                   # repeated runs: still one charge
        sync(admin, stack)
    got = charges(stack, fixed, psa)
    assert len(got) == 1, sql(stack, f"SELECT state, last_error FROM charges_posted WHERE tenant_id = {t}")
    assert got[0]["quantity"] == 3 and abs(got[0]["unit_cost"] - 388.80) < 0.005
    # a seat added mid-term: the distributor's prorated line becomes one more charge, to the term end
    mid = start + datetime.timedelta(days=10)
    upload(admin, stack, [E3.format(qty=3, ext="1166.40", type="one_time", start=start, end=end, line="e3-1"),
                          E3.format(qty=2, ext="755.58", type="proration", start=mid, end=end, line="e3-2")])
    sync(admin, stack)
    sync(admin, stack)
    got = charges(stack, fixed, psa)
    assert len(got) == 2
    add = [c for c in got if c["quantity"] == 2][0]
    assert abs(add["unit_cost"] - 377.79) < 0.005          # 755.58 / 2, as billed
    assert sql(stack, f"SELECT COUNT(*) FROM charges_posted WHERE tenant_id = {t} AND state = 'posted'").strip() == "2"
    # the distributor re-issues the invoice: the same term and seats under new line ids
    upload(admin, stack, [E3.format(qty=3, ext="1166.40", type="one_time", start=start, end=end, line="e3-1-r"),
                          E3.format(qty=2, ext="755.58", type="proration", start=mid, end=end, line="e3-2-r")])
    sync(admin, stack)
    sync(admin, stack)
    assert len(charges(stack, fixed, psa)) == 2, "a corrected invoice line is not a second charge"


def test_usage_in_each_mode(stack, psa):
    reset(stack)
    # three months of usage, four to two months back: inside the demo contract's dates
    first = today().replace(day=1)
    starts = [add_months(first, -k) for k in (4, 3, 2)]
    months = [(s.isoformat(), (add_months(s, 1) - datetime.timedelta(days=1)).isoformat()) for s in starts]
    rows = [BACKUP.format(gb=gb, ext=ext, start=s, end=e, month=s[:7])
            for (s, e), (gb, ext) in zip(months, [("512.5", "17.9375"), ("600", "21.00"), ("100", "3.50")])]
    admin = setup_tenant(stack, rows, psa)
    t = admin.tenant
    contoso = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Contoso Ltd'").strip()
    set_relation(admin, "company", row_id(stack, "src_companies", t, "ct1"), contoso)
    contract = sql(stack, f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {t} AND company_psa_id = '{contoso}' "
                          "AND contract_type = 'recurring' AND name = 'Managed Cloud Services' LIMIT 1").strip()
    set_relation(admin, "subscription", row_id(stack, "src_subscriptions", t, "bk-1"), contract)
    service = sql(stack, f"SELECT psa_id FROM psa_services WHERE tenant_id = {t} AND name = 'Backup storage (per GB)'").strip()
    set_relation(admin, "resource", row_id(stack, "src_resources", t, "bk-1"), "svc:" + service)
    expected = {}
    for mode, (month, _) in zip(("average_cost", "total_cost", "quantity_only"), months):
        admin.form("/settings/billing", "/settings/billing", {
            "approval": "auto", "decrease_mode": "next_period", "drift_mode": "flag", "usage_mode": mode,
            "alert_after_minutes": "240", "sync_interval_minutes": "15"})
        sql(stack, f"INSERT INTO jobs (tenant_id, kind, payload) VALUES ({t}, 'usage', '{{\"month\":\"{month[:7]}\"}}')")
        wait_for(lambda: sql(stack, f"SELECT COUNT(*) FROM charges_posted WHERE tenant_id = {t} AND kind = 'usage'"
                                    f" AND charge_key LIKE '%{month[:7]}'").strip() == "1", 30, f"usage of {month}")
        expected[mode] = month
    got = {c["name"].split(": ")[0].split(", ")[-1]: c for c in charges(stack, contract, psa)}
    avg, total, qonly = (got[s.strftime("%Y-%m")] for s in starts)
    assert avg["quantity"] == 512.5 and abs(avg["unit_cost"] - 0.035) < 1e-6
    assert total["quantity"] == 1 and abs(total["unit_cost"] - 21.00) < 1e-6
    assert qonly["quantity"] == 100 and qonly["unit_cost"] == 0
    # the invoice text by default: the PSA's service name, the month and the GB
    assert avg["text"] == f"Backup storage (per GB), {starts[0].strftime('%Y-%m')}: 512.5 GB"
    # usage is never dated before the month after the usage (nor the contract's billing start)
    assert avg["date"] == starts[1].isoformat()
    # running a month again creates nothing new
    sql(stack, f"INSERT INTO jobs (tenant_id, kind, payload) VALUES ({t}, 'usage', '{{\"month\":\"{months[0][0][:7]}\"}}')")
    quiesce(stack, t)
    assert len(charges(stack, contract, psa)) == 3


def test_failure_alert_mail_is_sent_once(stack, psa):
    L = Linked(stack, 12, psa)
    L.reconciled(12)
    with worker_on(stack, next_change_date(psa)):   # Autotask: today holds the reconciliation's post
        L.fault(kind="http500", params={"message": "Autotask is down"}, count=-1)
        L.upload(14)
        L.sync()
        wait_for(lambda: "failed" in L.states(), 30, "the post to fail")
        sql(stack, f"UPDATE adjustment_attempts SET at = at - INTERVAL 5 HOUR WHERE tenant_id = {L.t}")
        L.sync()
        msgs = mails_to(stack, L.admin.email, wait=15)
        alerts = [m for m in msgs if m["Subject"] == "billsync: seat changes are failing to post"]
        assert len(alerts) == 1
        body = alerts[0].get_payload(decode=True).decode()
        assert "Contoso Ltd" in body and "Autotask is down" in body
        L.sync()
        quiesce(stack, L.t)
        quiesce(stack, kinds=["mail"])
        again = [m for m in mails_to(stack, L.admin.email, wait=0) if m["Subject"] == "billsync: seat changes are failing to post"]
        assert len(again) == 1, "the same failure is not mailed twice"
        L.clear_faults()


def test_a_charge_in_another_currency_is_refused_with_its_reason(stack, psa):
    """The distributor bills an annual subscription in EUR, the tenant's PSA bills in USD:
    billsync converts nothing, so no charge reaches the PSA; the failure says why."""
    reset(stack)
    start = today().replace(day=1)
    end = start.replace(year=start.year + 1) - datetime.timedelta(days=1)
    line = E3.format(qty=3, ext="1166.40", type="one_time", start=start, end=end, line="e3-eur").replace(",USD,", ",EUR,")
    admin = setup_tenant(stack, [line], psa)
    t = admin.tenant
    assert sql(stack, f"SELECT currency FROM tenants WHERE id = {t}").strip() == "USD"
    contoso = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Contoso Ltd'").strip()
    set_relation(admin, "company", row_id(stack, "src_companies", t, "ct1"), contoso)
    fixed = sql(stack, f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {t} AND company_psa_id = '{contoso}' "
                       f"AND contract_type = '{psa.annual_contract_type}' LIMIT 1").strip()
    set_relation(admin, "subscription", row_id(stack, "src_subscriptions", t, "ct-e3"), fixed)
    sync(admin, stack)
    assert charges(stack, fixed, psa) == [], "nothing reaches the PSA"
    state, error = sql(stack, f"SELECT state, last_error FROM charges_posted WHERE tenant_id = {t}").strip().split("\t")
    assert state == "failed"
    assert "billed this in EUR but the PSA bills in USD" in error and "does not convert" in error
    assert "billed this in EUR but the PSA bills in USD" in admin.get("/reports/failures").text
