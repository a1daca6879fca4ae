"""Browser: a billing person maps one company → contract → service through the real Billing
page (with its confirmation steps), then finds the link on the Linked report."""
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from billsync_test import PASSWORD, sql
from test_browser_accounts import browser, shot, sign_in, wait_text  # noqa: F401  (fixture)

ROW = ("rw1,Repair & Wear Inc.,rw-exo,Exchange Online (Plan 1) (Monthly Pre-Paid),Exchange Online (Plan 1),EXO1,8,"
       "3.60,4.00,,USD,recurring,monthly,1,2026-11-01,2026-11-30,,rw-l1\n")


def set_in_section(d, section_css, option_text):
    """Chooses option_text in the first select of the section, presses Set Relation, confirms."""
    sec = d.find_element(By.CSS_SELECTOR, section_css)
    sel = sec.find_element(By.CSS_SELECTOR, "select[name=target]")
    Select(sel).select_by_visible_text(option_text)
    sel.find_element(By.XPATH, "./ancestor::form//button[@value='set']").click()
    wait_text(d, "Link the ")
    d.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()


def test_map_one_company_to_contract_to_service_and_see_it_linked(stack, browser):
    import sys
    sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "e2e"))
    from test_mapping import setup_tenant
    requests.post(f"http://127.0.0.1:{stack.sandbox['control']}/reset", json={"seed": "demo"}, timeout=10)
    admin = setup_tenant(stack, [ROW])
    d = browser
    d.delete_all_cookies()
    sign_in(d, stack.url, admin.email, PASSWORD)
    wait_text(d, "Dashboard")
    d.get(stack.url + "/mapping")
    wait_text(d, "Repair & Wear Inc.")
    assert "Suggested: Repair and Wear" in d.find_element(By.TAG_NAME, "body").text
    set_in_section(d, "section.company", "Repair and Wear")
    wait_text(d, "Linked Repair & Wear Inc..")
    d.get(stack.url + "/mapping?mapped=1")
    sub = d.find_element(By.CSS_SELECTOR, "section.company .level-row.sub")
    chosen = Select(sub.find_element(By.CSS_SELECTOR, "select[name=target]")).first_selected_option
    assert chosen.get_attribute("value"), "the suggested contract is preselected"
    assert "only recurring contract" in sub.text
    sub.find_element(By.CSS_SELECTOR, "button[value=set]").click()
    wait_text(d, "Link the subscription")
    d.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    d.get(stack.url + "/mapping?mapped=1")
    res = d.find_element(By.CSS_SELECTOR, ".level-row.res")
    sel = Select(res.find_element(By.CSS_SELECTOR, "select[name=target]"))
    sel.select_by_visible_text([o.text for o in sel.options if o.text.startswith("Exchange Online (Plan 1)")][0])
    res.find_element(By.CSS_SELECTOR, "button[value=set]").click()
    wait_text(d, "Link the resource")
    d.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_text(d, "Reconciliation: the distributor has 8")
    shot(d, "mapping-linked")
    d.get(stack.url + "/reports/linked")
    body = d.find_element(By.TAG_NAME, "body").text
    assert "Repair & Wear Inc." in body and "Exchange Online (Plan 1)" in body and "Repair and Wear" in body
    shot(d, "linked-report")


def test_accept_suggestions_links_every_subscription_of_a_customer_to_its_one_contract(stack, browser):
    """One customer, one "Managed Cloud" contract, several subscriptions: one press of Accept
    suggestions links them all (issue 13 item 14); the annual one stays on the charge route."""
    import sys
    import uuid
    sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "e2e"))
    from test_mapping import setup_tenant
    from test_mapping_bulk import AT_FIXED_PRICE, AT_RECURRING, add_psa_customer, line, links, require_approval
    name = f"Wren Cloud {uuid.uuid4().hex[:6]}"
    c = add_psa_customer(stack, name, [("Managed Cloud", AT_RECURRING), ("Annual Licences", AT_FIXED_PRICE)])
    admin = setup_tenant(stack, [line("w1", name, "w-bb", "Microsoft 365 Business Basic", "M365-BB", 2),
                                 line("w1", name, "w-bs", "Microsoft 365 Business Standard", "M365-BS", 3),
                                 line("w1", name, "w-exo", "Exchange Online (Plan 1)", "EXO-P1", 4),
                                 line("w1", name, "w-e3a", "Microsoft 365 E3", "M365-E3", 1, cycle="annual")])
    require_approval(admin)
    d = browser
    d.delete_all_cookies()
    sign_in(d, stack.url, admin.email, PASSWORD)
    wait_text(d, "Dashboard")
    d.get(stack.url + "/mapping")
    wait_text(d, name)
    Select(d.find_element(By.ID, "f-threshold")).select_by_value("90")
    d.find_element(By.XPATH, "//button[normalize-space()='Accept suggestions']").click()
    wait_text(d, "linked 1 companies, 4 subscriptions and 3 resources.")
    assert "1 resource of annual subscriptions is billed as one-time charges" in d.find_element(By.TAG_NAME,
                                                                                                "body").text
    shot(d, "mapping-accept-all")
    subs = links(stack, admin.tenant, "subscription")
    assert subs == {"w-bb": c["Managed Cloud"], "w-bs": c["Managed Cloud"], "w-exo": c["Managed Cloud"],
                    "w-e3a": c["Annual Licences"]}
    assert sorted(links(stack, admin.tenant, "resource")) == ["w-bb", "w-bs", "w-exo"]
    # the annual resource says why it has no service; the checkbox keeps the opposite case
    d.get(stack.url + "/mapping?mapped=1")
    wait_text(d, "Annual subscription: billed as one-time charges on the subscription's contract")
    box = d.find_element(By.CSS_SELECTOR, "input[type=checkbox][name=unlinked]")
    assert not box.is_selected()
    box.click()
    box.find_element(By.XPATH, "./ancestor::form//button[@type='submit']").click()
    wait_text(d, name)
    assert "unlinked=1" in d.current_url
    assert d.find_element(By.CSS_SELECTOR, "input[type=checkbox][name=unlinked]").is_selected()
    hidden = d.find_element(By.CSS_SELECTOR, "form input[type=hidden][name=unlinked]")
    assert hidden.get_attribute("value") == "1"
