"""Browser: the failure log at 1280 × 800 shows each failure's reason without scrolling
sideways (the reason comes right after the date and wraps), failed charges sit beside failed
adjustments, and a row's date opens its detail page with every attempt (issue 13 item 10)."""
import datetime as dt

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from billsync_test import PASSWORD, insert_rows, new_tenant, new_user, sql
from test_browser_accounts import browser, shot  # noqa: F401  (fixture)
from test_browser_accounts import sign_in
from testclock import utcnow

LONG_ERROR = ("Autotask refused the ServiceAdjustment: the effective date 2027-01-31 is outside the contract's "
              "billing period (2026-02-01 to 2027-01-30) and the contract is not prorated; open the contract in "
              "Autotask, extend its end date or turn on proration, then retry this change from the failure log.")
LONG = "Wide World Importers International Holdings (Europe, Middle East and Africa) Ltd"


def seed(stack, t):
    """Long names everywhere and long reasons: three failed adjustments and a failed charge."""
    sql(stack, f"INSERT INTO connections (tenant_id, kind, system, name, settings) VALUES"
               f" ({t}, 'source', 'csv', 'Ingram', '{{}}'), ({t}, 'psa', 'autotask', 'Autotask', '{{}}')")
    src, psa = (int(x) for x in sql(stack, f"SELECT id FROM connections WHERE tenant_id = {t} ORDER BY id").split())
    insert_rows(stack, "src_companies", [dict(tenant_id=t, connection_id=src, source_id="C1", name=LONG)])
    insert_rows(stack, "src_subscriptions", [dict(tenant_id=t, connection_id=src, source_id="S1",
                                                  company_source_id="C1", status="active",
                                                  name="Microsoft 365 Business Premium (NCE, annual commitment, "
                                                       "monthly billing)")])
    insert_rows(stack, "src_resources", [dict(tenant_id=t, connection_id=src, source_id="R1",
                                              subscription_source_id="S1", company_source_id="C1", sku="SKU",
                                              name="Microsoft 365 Business Premium and Defender for Office 365 P2",
                                              quantity=25000, unit_cost=0, currency="USD", status="active")])
    insert_rows(stack, "psa_companies", [dict(tenant_id=t, connection_id=psa, psa_id="A1", name=LONG + " (AT)")])
    insert_rows(stack, "psa_contracts", [dict(tenant_id=t, connection_id=psa, psa_id="K1", company_psa_id="A1",
                                              name="Managed Cloud Services Agreement 2026-2027 (recurring)",
                                              contract_type="recurring")])
    insert_rows(stack, "psa_services", [dict(tenant_id=t, connection_id=psa, psa_id="V1",
                                             name="Microsoft 365 Business Premium (per user, monthly)")])
    now = utcnow().replace(tzinfo=None, microsecond=0)
    insert_rows(stack, "adjustments", [dict(
        tenant_id=t, resource_link_id=700001, origin="sync", src_connection_id=src, src_resource_id="R1",
        psa_connection_id=psa, psa_contract_id="K1", psa_service_id="V1", desired_units=25000 + k * 1000,
        psa_units_before=20000, unit_change=5000 + k * 1000, effective_date=(now.date()).isoformat(),
        prorated_amount=1234500, state="failed", attempts=3 + k, last_error=LONG_ERROR, next_attempt_at=None,
        idempotency_key=f"browser-failure-{t}-{k}", created_at=now - dt.timedelta(hours=k + 1),
        lease_owner="held-by-test", lease_until=now + dt.timedelta(days=2)) for k in range(3)])
    adj = int(sql(stack, f"SELECT MIN(id) FROM adjustments WHERE tenant_id = {t}").strip())
    insert_rows(stack, "adjustment_attempts", [
        dict(tenant_id=t, adjustment_id=adj, at=now - dt.timedelta(hours=1), outcome="failed",
             request_summary="+5 units of service V1 on contract K1", response="", error="connection reset"),
        dict(tenant_id=t, adjustment_id=adj, at=now - dt.timedelta(minutes=30), outcome="failed",
             request_summary="+5 units of service V1 on contract K1", response="", error=LONG_ERROR)])
    insert_rows(stack, "charges_posted", [dict(
        tenant_id=t, kind="annual", charge_key=f"annual:{src}:S1:a:b:q25000", src_connection_id=src,
        src_subscription_id="S1", psa_connection_id=psa, psa_contract_id="K1", psa_charge_id="",
        description="Microsoft 365 Business Premium (2026-02-01 to 2027-01-31)", charge_date=now.date().isoformat(),
        quantity=25000, unit_price=2640000, unit_cost=2376000, state="failed", last_error=LONG_ERROR, attempts=1,
        created_at=now - dt.timedelta(minutes=10), updated_at=now - dt.timedelta(minutes=10))])
    sql(stack, f"INSERT INTO tenant_sync (tenant_id, started_at, finished_at, result) VALUES ({t},"
               " UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 'held by a test')")
    return adj


def test_failure_reason_in_view_at_1280_and_rows_open_their_trail(stack, browser):
    d = browser
    _, t = new_tenant(stack, "Browser Failures MSP")
    adj = seed(stack, t)
    email = new_user(stack, t, "billing")
    d.delete_all_cookies()
    sign_in(d, stack.url, email, PASSWORD)
    WebDriverWait(d, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "nav.sidebar")))
    d.set_window_size(1280, 800)
    try:
        d.get(stack.url + "/reports/failures")
        table = WebDriverWait(d, 10).until(EC.presence_of_element_located((By.ID, "report-table")))
        d.execute_script("arguments[0].scrollIntoView()", table)
        shot(d, "failures-1280")
        view = d.execute_script("return document.documentElement.clientWidth")
        assert 1100 <= view <= 1280
        heads = [th.get_attribute("data-key") for th in d.find_elements(By.CSS_SELECTOR, "#report-table thead th")
                 if th.get_attribute("data-key")]
        assert heads[:3] == ["date", "error", "kind"]
        rows = d.find_elements(By.CSS_SELECTOR, "#report-table tbody tr")
        assert [r.get_attribute("data-kind") for r in rows] == ["charge", "adjustment", "adjustment", "adjustment"]
        for row in rows:
            cell = row.find_element(By.CSS_SELECTOR, "td.error-text")
            assert cell.text == LONG_ERROR
            box = d.execute_script("var r = arguments[0].getBoundingClientRect();"
                                   " return [r.left, r.right, r.top, r.bottom];", cell)
            assert 0 <= box[0] and box[1] <= view, (box, view)      # the whole reason, no sideways scroll
        # the page itself does not scroll sideways to show it
        assert d.execute_script("return window.scrollX") == 0
        # a row's date opens its page with every attempt, oldest first
        link = d.find_element(By.CSS_SELECTOR, f'#report-table tr[data-id="{adj}"] a.detail-link')
        link.click()
        WebDriverWait(d, 10).until(EC.presence_of_element_located((By.ID, "attempts")))
        assert d.current_url.endswith(f"/reports/adjustments/{adj}")
        assert d.find_element(By.TAG_NAME, "h1").text == f"Adjustment {adj}"
        outcomes = [tr.get_attribute("data-outcome") for tr in d.find_elements(By.CSS_SELECTOR, "#attempts tbody tr")]
        assert outcomes == ["failed", "failed"]
        answers = [tr.find_elements(By.TAG_NAME, "td")[3].text
                   for tr in d.find_elements(By.CSS_SELECTOR, "#attempts tbody tr")]
        assert answers == ["connection reset", LONG_ERROR]
        last = d.find_elements(By.CSS_SELECTOR, "#attempts tbody tr")[-1].find_elements(By.TAG_NAME, "td")[3]
        right = d.execute_script("return arguments[0].getBoundingClientRect().right", last)
        assert right <= view
        shot(d, "adjustment-detail-1280")
    finally:
        d.set_window_size(1280, 900)
