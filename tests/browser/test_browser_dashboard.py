"""Browser: the dashboard with data (tiles with their numbers, SVG charts drawn and
clickable), the pre-invoicing checklist, and a new tenant's getting-started state, in headless
Chromium driven by Selenium, with screenshots kept for a person to look at."""
import datetime as dt

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from billsync_test import PASSWORD, new_tenant, new_user, sql
from test_browser_accounts import browser, shot, wait_text  # noqa: F401  (fixture)
from test_browser_accounts import sign_in as sign_in_with
from testclock import today, utcnow


def full_shot(d, name):
    """The whole page: the window grown to the document's height for the screenshot."""
    h = d.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
    d.set_window_size(1280, max(900, min(int(h) + 40, 4000)))
    shot(d, name)
    d.set_window_size(1280, 900)


def sign_in(d, url, email):
    d.delete_all_cookies()
    sign_in_with(d, url, email, PASSWORD)
    wait_text(d, "Welcome to billsync")


def seed(stack, t):
    """Two connections, eight companies with resources (some linked), adjustments over the last
    days, one failure, one change awaiting approval, a finished sync."""
    now = utcnow().replace(tzinfo=None)
    fresh = now.strftime("%Y-%m-%d %H:%M:%S")
    sql(stack, f"INSERT INTO connections (tenant_id, kind, system, name, settings, status, refresh_status,"
               f" refreshed_at) VALUES ({t}, 'source', 'csv', 'Ingram Micro', '{{}}', 'ok', 'ok', '{fresh}'),"
               f" ({t}, 'psa', 'autotask', 'Autotask', '{{}}', 'ok', 'ok', '{fresh}')")
    src, psa = (int(x) for x in sql(stack, f"SELECT id FROM connections WHERE tenant_id = {t} ORDER BY id").split())
    companies = ["Contoso Ltd", "Fabrikam Inc", "Northwind Traders", "Adventure Works", "Tailspin Toys",
                 "Wide World Importers", "Litware", "Proseware"]
    products = ["Microsoft 365 Business Premium", "Exchange Online (Plan 1)", "Teams Essentials", "Defender P2"]
    comp, sub, res, links = [], [], [], []
    for i, name in enumerate(companies):
        comp.append(f"({t}, {src}, 'C{i}', '{name}')")
        sub.append(f"({t}, {src}, 'S{i}', 'C{i}', 'NCE {i}')")
        for j, p in enumerate(products[: 1 + i % 4]):
            qty = (len(companies) - i) * 5 + j * 3
            res.append(f"({t}, {src}, 'R{i}-{j}', 'S{i}', 'C{i}', '{p}', {qty * 1000}, {125000 + j * 31250})")
            if (i + j) % 3 == 0:
                links.append(f"({t}, {src}, 'R{i}-{j}', {psa}, 'K{i}', 'V{j}')")
    sql(stack, "INSERT INTO src_companies (tenant_id, connection_id, source_id, name) VALUES " + ",".join(comp))
    sql(stack, "INSERT INTO src_subscriptions (tenant_id, connection_id, source_id, company_source_id, name)"
               " VALUES " + ",".join(sub))
    sql(stack, "INSERT INTO src_resources (tenant_id, connection_id, source_id, subscription_source_id,"
               " company_source_id, name, quantity, unit_cost) VALUES " + ",".join(res))
    sql(stack, "INSERT INTO resource_links (tenant_id, src_connection_id, src_resource_id, psa_connection_id,"
               " psa_contract_id, psa_service_id) VALUES " + ",".join(links))
    # backup storage (usage, GB: no seats) and an unlinked annual subscription (a twelfth a month)
    sql(stack, "INSERT INTO src_subscriptions (tenant_id, connection_id, source_id, company_source_id, name,"
               f" billing_cycle) VALUES ({t}, {src}, 'SU', 'C0', 'Backup', 'usage'),"
               f" ({t}, {src}, 'SA', 'C1', 'Power BI Pro (annual)', 'annual')")
    sql(stack, "INSERT INTO src_resources (tenant_id, connection_id, source_id, subscription_source_id,"
               " company_source_id, name, quantity, unit_cost, billing_cycle, term_months) VALUES"
               f" ({t}, {src}, 'U0', 'SU', 'C0', 'Backup storage (GB)', 512500, 500, 'usage', 0),"
               f" ({t}, {src}, 'A1', 'SA', 'C1', 'Power BI Pro (annual)', 10000, 1512000, 'annual', 12)")
    link = int(sql(stack, f"SELECT MIN(id) FROM resource_links WHERE tenant_id = {t}").strip())
    adj = []
    for k in range(14):
        state = "failed" if k == 3 else "awaiting_approval" if k == 5 else "verified"
        created = (now - dt.timedelta(days=k * 2 % 29, hours=k)).strftime("%Y-%m-%d %H:%M:%S")
        adj.append(f"({t}, {link}, 'sync', {src}, 'R0-0', {psa}, 'K0', 'V0', 1000, 0, 1000, '2025-01-01',"
                   f" '{state}', 'b{k}', '{created}')")
    sql(stack, "INSERT INTO adjustments (tenant_id, resource_link_id, origin, src_connection_id, src_resource_id,"
               " psa_connection_id, psa_contract_id, psa_service_id, desired_units, psa_units_before, unit_change,"
               " effective_date, state, idempotency_key, created_at) VALUES " + ",".join(adj))
    sql(stack, f"INSERT INTO tenant_sync (tenant_id, started_at, finished_at, result) VALUES ({t},"
               " UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), '12 links checked: 0 to post, 1 awaiting approval')")


def test_dashboard_with_data_and_checklist(stack, browser):
    d = browser
    _, t = new_tenant(stack, "Browser Dashboard MSP")
    seed(stack, t)
    email = new_user(stack, t, "billing")
    sign_in(d, stack.url, email)
    tiles = {e.get_attribute("id"): e for e in d.find_elements(By.CSS_SELECTOR, "a.tile")}
    assert {"tile-linked", "tile-unlinked", "tile-seats", "tile-usage", "tile-leakage", "tile-failed",
            "tile-approvals", "tile-drift", "tile-margin"} == set(tiles)
    for e in tiles.values():
        assert e.is_displayed() and e.find_element(By.CSS_SELECTOR, ".tile-value").text.strip()
    assert tiles["tile-failed"].find_element(By.CSS_SELECTOR, ".tile-value").text == "1"
    assert tiles["tile-approvals"].find_element(By.CSS_SELECTOR, ".tile-value").text == "1"
    assert "USD" in tiles["tile-leakage"].text
    # seats are whole seats; backup storage is GB on its own tile; the annual part is shown apart
    assert "." not in tiles["tile-seats"].find_element(By.CSS_SELECTOR, ".tile-value").text
    assert tiles["tile-usage"].find_element(By.CSS_SELECTOR, ".tile-value").text == "512.5 GB"
    annual = tiles["tile-leakage"].find_element(By.CSS_SELECTOR, ".tile-annual")
    assert annual.is_displayed() and "126.00 USD a month (1512.00 USD a year)" in annual.text
    svgs = d.find_elements(By.CSS_SELECTOR, "svg.bars")
    assert len(svgs) == 3 and all(s.is_displayed() and s.size["width"] > 100 for s in svgs)
    bars = d.find_elements(By.CSS_SELECTOR, "#chart-customers rect.bar")
    assert len(bars) == 8 and all(b.size["width"] > 0 for b in bars)
    assert d.find_element(By.CSS_SELECTOR, "#connections-health").is_displayed()
    full_shot(d, "dashboard-data")

    # a bar is a link to the report filtered by that customer (the largest: Adventure Works)
    first = d.find_element(By.CSS_SELECTOR, "#chart-customers a")
    assert first.find_element(By.CSS_SELECTOR, "text.label").text == "Adventure Works"
    first.click()
    WebDriverWait(d, 10).until(EC.url_contains("/reports/subscriptions?company=Adventure"))
    assert d.find_element(By.ID, "f-company").get_attribute("value") == "Adventure Works"
    rows = d.find_elements(By.CSS_SELECTOR, "#report-table tbody tr")
    assert len(rows) == 4 and all("Adventure Works" in r.text for r in rows)

    d.get(stack.url + "/checklist")
    wait_text(d, "Not ready to invoice yet")
    items = d.find_elements(By.CSS_SELECTOR, "li.check-item")
    assert len(items) == 5 and all(i.is_displayed() for i in items)
    assert d.find_element(By.CSS_SELECTOR, "#check-failures .check-count").text == "1"
    full_shot(d, "checklist")


def test_new_tenant_sees_getting_started(stack, browser):
    d = browser
    _, t = new_tenant(stack, "Browser Empty MSP")
    email = new_user(stack, t, "admin")
    sign_in(d, stack.url, email)
    panel = d.find_element(By.ID, "getting-started")
    assert panel.is_displayed()
    steps = panel.find_elements(By.CSS_SELECTOR, "li.step")
    assert [s.get_attribute("id") for s in steps] == ["step-source", "step-psa", "step-map", "step-sync"]
    assert all(s.get_attribute("data-done") == "0" for s in steps)
    assert not d.find_elements(By.CSS_SELECTOR, "a.tile") and not d.find_elements(By.TAG_NAME, "svg")
    shot(d, "dashboard-empty")
    # the first step's link opens the connections page
    panel.find_element(By.LINK_TEXT, "Connect a distributor").click()
    WebDriverWait(d, 10).until(EC.url_contains("/settings/connections"))


def test_review_grid_renders_and_approves(stack, browser):
    """The month's review grid with a matched, a quantity-mismatch and an unmapped line; a
    person ticks the mismatch and approves it."""
    d = browser
    _, t = new_tenant(stack, "Browser Review MSP")
    seed(stack, t)
    src, psa = (int(x) for x in sql(stack, f"SELECT id FROM connections WHERE tenant_id = {t} ORDER BY id").split())
    first = today().replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    month = first.strftime("%Y-%m")
    lines = [("l-match", "C0", "Contoso Ltd", "S0", "R0-0", "Microsoft 365 Business Premium", 40),
             ("l-qty", "C3", "Adventure Works", "S3", "R3-0", "Microsoft 365 Business Premium", 25),
             ("l-none", "C1", "Fabrikam Inc", "S1", "R1-0", "Microsoft 365 Business Premium", 35)]
    sql(stack, "INSERT INTO src_charges (tenant_id, connection_id, line_id, period_month, company_source_id,"
               " company_name, subscription_source_id, resource_source_id, description, charge_type, period_start,"
               " period_end, quantity, unit_cost, unit_price, extended_cost) VALUES " + ",".join(
                   f"({t}, {src}, '{lid}', '{first}', '{c}', '{cn}', '{s}', '{r}', '{p}', 'recurring', '{first}',"
                   f" '{last}', {q * 1000}, 125000, 150000, {q * 125000})" for lid, c, cn, s, r, p, q in lines))
    sql(stack, "INSERT INTO psa_contract_services (tenant_id, connection_id, psa_id, contract_psa_id, service_psa_id,"
               f" units) VALUES ({t}, {psa}, 'cs0', 'K0', 'V0', 40000), ({t}, {psa}, 'cs3', 'K3', 'V0', 20000)")
    email = new_user(stack, t, "billing")
    sign_in(d, stack.url, email)
    d.get(f"{stack.url}/review/{month}")
    wait_text(d, f"Billing review {month}")
    rows = d.find_elements(By.CSS_SELECTOR, "table.review-grid tbody tr")
    assert len(rows) == 3 and all(r.is_displayed() for r in rows)
    status = {r.find_elements(By.TAG_NAME, "td")[1].text: r.find_element(By.CSS_SELECTOR, "span.badge").text
              for r in rows}
    assert status == {"Contoso Ltd": "matched", "Adventure Works": "quantity mismatch", "Fabrikam Inc": "unmapped"}
    qty_row = next(r for r in rows if "Adventure Works" in r.text)
    assert qty_row.find_element(By.XPATH, ".//button[normalize-space()='Update quantity']").is_displayed()
    full_shot(d, "review-grid")
    qty_row.find_element(By.CSS_SELECTOR, "input[name=pick]").click()
    d.find_element(By.XPATH, "//button[normalize-space()='Review and approve selected lines']").click()
    wait_text(d, "Approved 1 line.")
    qty_row = next(r for r in d.find_elements(By.CSS_SELECTOR, "table.review-grid tbody tr")
                   if "Adventure Works" in r.text)
    assert "approve" in qty_row.text and email in qty_row.text
    assert d.find_element(By.CSS_SELECTOR, ".review-approved-by").text == email
    full_shot(d, "review-approved")


def test_new_tenant_review_is_empty(stack, browser):
    d = browser
    _, t = new_tenant(stack, "Browser Empty Review MSP")
    email = new_user(stack, t, "billing")
    sign_in(d, stack.url, email)
    month = today().strftime("%Y-%m")
    d.get(f"{stack.url}/review")
    d.find_element(By.XPATH, "//button[normalize-space()='Open the review']").click()
    WebDriverWait(d, 10).until(EC.url_contains(f"/review/{month}"))
    wait_text(d, f"No billing lines for {month} yet")
    assert not d.find_elements(By.CSS_SELECTOR, "table.review-grid")
    shot(d, "review-empty")
