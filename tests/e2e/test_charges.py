"""Annual subscriptions become one one-time charge per period (doc/seeds.md 002), usage is billed per
month in the tenant's mode (doc/seeds.md 004), and failing changes are mailed to admins once."""
import datetime
import time

import requests

from billsync_test import csrf_from, mails_to, quiesce, reset_sandbox, sql, upload_csv, wait_for, worker_on
from test_mapping import GENERIC, row_id, set_relation, setup_tenant
from test_sync import Linked, tomorrow
from simcore import add_months
from testclock import today

E3 = ("ct1,Contoso Ltd,ct-e3,Microsoft 365 E3 (annual),Microsoft 365 E3,CFQ7TTC0LFLX,{qty},32.40,36.00,{ext},USD,"
      "{type},annual,12,{start},{end},{start},{line}\n")
BACKUP = ("ct1,Contoso Ltd,bk-1,Backup storage,Backup storage (per GB),BK-GB,{gb},0.0350,0.05,{ext},USD,usage,usage,0,"
          "{start},{end},{end},bk-{month}\n")


def charges(stack, contract):
    ents = requests.get(f"http://127.0.0.1:{stack.sandbox['control']}/state/autotask", timeout=10).json()["entities"]
    return [c for c in ents["ContractCharges"] if str(c["contractID"]) == str(contract)
            and "billsync key" in (c.get("description") or "")]


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


def test_annual_charge_once_per_period_and_mid_term_add_prorated(stack):
    reset(stack)
    start = today().replace(day=1)
    end = start.replace(year=start.year + 1) - datetime.timedelta(days=1)
    admin = setup_tenant(stack, [E3.format(qty=3, ext="1166.40", type="one_time", start=start, end=end, line="e3-1")])
    t = admin.tenant
    contoso = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Contoso Ltd'").strip()
    set_relation(admin, "company", row_id(stack, "src_companies", t, "ct1"), contoso)
    fixed = sql(stack, f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {t} AND company_psa_id = '{contoso}' "
                       "AND contract_type = 'fixed_price' LIMIT 1").strip()
    assert fixed, "the demo PSA has a fixed-price contract for Contoso"
    page = admin.get("/mapping?mapped=1").text
    assert "the account&#39;s only fixed-price contract" in page    # annual → fixed price suggestion
    set_relation(admin, "subscription", row_id(stack, "src_subscriptions", t, "ct-e3"), fixed)
    for _ in range(3):                                   # repeated runs: still one charge
        sync(admin, stack)
    got = charges(stack, fixed)
    assert len(got) == 1
    assert float(got[0]["unitQuantity"]) == 3 and abs(float(got[0]["unitCost"]) - 388.80) < 0.005
    # a seat added mid-term: the distributor's prorated line becomes one more charge, to the term end
    mid = start + datetime.timedelta(days=10)
    upload(admin, stack, [E3.format(qty=3, ext="1166.40", type="one_time", start=start, end=end, line="e3-1"),
                          E3.format(qty=2, ext="755.58", type="proration", start=mid, end=end, line="e3-2")])
    sync(admin, stack)
    sync(admin, stack)
    got = charges(stack, fixed)
    assert len(got) == 2
    add = [c for c in got if float(c["unitQuantity"]) == 2][0]
    assert abs(float(add["unitCost"]) - 377.79) < 0.005          # 755.58 / 2, as billed
    assert sql(stack, f"SELECT COUNT(*) FROM charges_posted WHERE tenant_id = {t} AND state = 'posted'").strip() == "2"
    # the distributor re-issues the invoice: the same term and seats under new line ids
    upload(admin, stack, [E3.format(qty=3, ext="1166.40", type="one_time", start=start, end=end, line="e3-1-r"),
                          E3.format(qty=2, ext="755.58", type="proration", start=mid, end=end, line="e3-2-r")])
    sync(admin, stack)
    sync(admin, stack)
    assert len(charges(stack, fixed)) == 2, "a corrected invoice line is not a second charge"


def test_usage_in_each_mode(stack):
    reset(stack)
    # three months of usage, four to two months back: inside the demo contract's dates
    first = today().replace(day=1)
    starts = [add_months(first, -k) for k in (4, 3, 2)]
    months = [(s.isoformat(), (add_months(s, 1) - datetime.timedelta(days=1)).isoformat()) for s in starts]
    rows = [BACKUP.format(gb=gb, ext=ext, start=s, end=e, month=s[:7])
            for (s, e), (gb, ext) in zip(months, [("512.5", "17.9375"), ("600", "21.00"), ("100", "3.50")])]
    admin = setup_tenant(stack, rows)
    t = admin.tenant
    contoso = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Contoso Ltd'").strip()
    set_relation(admin, "company", row_id(stack, "src_companies", t, "ct1"), contoso)
    contract = sql(stack, f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {t} AND company_psa_id = '{contoso}' "
                          "AND contract_type = 'recurring' LIMIT 1").strip()
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
    got = {c["name"].split(": ")[0].split(", ")[-1]: c for c in charges(stack, contract)}
    avg, total, qonly = (got[s.strftime("%Y-%m")] for s in starts)
    assert float(avg["unitQuantity"]) == 512.5 and abs(float(avg["unitCost"]) - 0.035) < 1e-6
    assert float(total["unitQuantity"]) == 1 and abs(float(total["unitCost"]) - 21.00) < 1e-6
    assert float(qonly["unitQuantity"]) == 100 and float(qonly["unitCost"] or 0) == 0
    # usage is never dated before the month after the usage (nor the contract's billing start)
    assert avg["datePurchased"][:10] == starts[1].isoformat()
    # running a month again creates nothing new
    sql(stack, f"INSERT INTO jobs (tenant_id, kind, payload) VALUES ({t}, 'usage', '{{\"month\":\"{months[0][0][:7]}\"}}')")
    quiesce(stack, t)
    assert len(charges(stack, contract)) == 3


def test_failure_alert_mail_is_sent_once(stack):
    L = Linked(stack, 12)
    wait_for(lambda: L.units() == 12, 60, "the reconciliation")
    with worker_on(stack, tomorrow()):         # today holds the reconciliation's post already
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


def test_a_charge_in_another_currency_is_refused_with_its_reason(stack):
    """The distributor bills an annual subscription in EUR, the tenant's PSA bills in USD:
    billsync converts nothing, so no charge reaches the PSA; the failure says why."""
    reset(stack)
    start = today().replace(day=1)
    end = start.replace(year=start.year + 1) - datetime.timedelta(days=1)
    line = E3.format(qty=3, ext="1166.40", type="one_time", start=start, end=end, line="e3-eur").replace(",USD,", ",EUR,")
    admin = setup_tenant(stack, [line])
    t = admin.tenant
    assert sql(stack, f"SELECT currency FROM tenants WHERE id = {t}").strip() == "USD"
    contoso = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Contoso Ltd'").strip()
    set_relation(admin, "company", row_id(stack, "src_companies", t, "ct1"), contoso)
    fixed = sql(stack, f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {t} AND company_psa_id = '{contoso}' "
                       "AND contract_type = 'fixed_price' LIMIT 1").strip()
    set_relation(admin, "subscription", row_id(stack, "src_subscriptions", t, "ct-e3"), fixed)
    sync(admin, stack)
    assert charges(stack, fixed) == [], "nothing reaches the PSA"
    state, error = sql(stack, f"SELECT state, last_error FROM charges_posted WHERE tenant_id = {t}").strip().split("\t")
    assert state == "failed"
    assert "billed this in EUR but the PSA bills in USD" in error and "does not convert" in error
    assert "billed this in EUR but the PSA bills in USD" in admin.get("/reports/failures").text
