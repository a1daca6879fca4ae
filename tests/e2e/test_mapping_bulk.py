"""Suggestions and bulk linking on the Billing page against the Autotask sandbox (issue 13
items 14 and 5): one "Managed Cloud" contract per customer holds all of its monthly
subscriptions and "Accept suggestions" links them all; "one contract per subscription" is the
checkbox; an annual subscription's resources are never seat links (they are billed as one-time
charges on the subscription's contract) and no seat link goes into a non-recurring contract,
neither suggested nor accepted when forced."""
import itertools
import re
import uuid

import requests

import testclock  # noqa: F401  (puts tests/sandbox, where seed_demo lives, on the path)
import seed_demo  # noqa: E402
from billsync_test import Client, csrf_from, quiesce, reset_sandbox, sql, wait_for
from test_mapping import GENERIC, row_id, set_relation, setup_tenant

AT_RECURRING, AT_FIXED_PRICE, AT_TIME_AND_MATERIALS = 7, 3, 1

ANNUAL_REFUSAL = ("was not linked: it belongs to an annual subscription, which is billed as one-time charges on "
                  "the subscription&#39;s contract (one per term and seats), never as seat changes.")
NOT_RECURRING = "contract, and seat changes can only be posted to a recurring contract."


def control(stack):
    return f"http://127.0.0.1:{stack.sandbox['control']}"


def autotask(stack):
    return requests.get(control(stack) + "/state/autotask", timeout=10).json()


def add_psa_customer(stack, name, contracts):
    """A customer of its own in the Autotask sandbox with contracts [(name, type)]: the tests
    here never touch the demo customers' contracts. Returns {contract name: id}."""
    state = autotask(stack)
    ids = itertools.count(state["nextId"] + 50)
    d = seed_demo.demo_dates()
    company = next(ids)
    rows = {"Companies": [{"id": company, "companyName": name, "companyType": 1, "isActive": True,
                           "phone": "+1 555 0100", "ownerResourceID": 29682885,
                           "companyNumber": "C%05d" % (company % 100000)}], "Contracts": []}
    out = {}
    for cname, ctype in contracts:
        cid = out[cname] = next(ids)
        rows["Contracts"].append({
            "id": cid, "companyID": company, "contractName": cname, "contractNumber": "CN-%d" % cid,
            "contractType": ctype, "contractCategory": seed_demo.AT_CLOUD_CATEGORY,
            "contractPeriodType": seed_demo.AT_MONTHLY if ctype == AT_RECURRING else None, "status": 1,
            "startDate": seed_demo._at(d["start"]), "endDate": seed_demo._at(d["end"])})
    requests.post(control(stack) + "/state/autotask", json={"mode": "merge", "data": {"entities": rows}},
                  timeout=10).raise_for_status()
    return {k: str(v) for k, v in out.items()}


def line(company_id, company, sub_id, product, sku, qty, cycle="monthly"):
    """One generic-CSV billing line: a company, a subscription and its resource (same id)."""
    annual = cycle == "annual"
    return (f"{company_id},{company},{sub_id},{product}{' (annual)' if annual else ''},{product},{sku},{qty},"
            f"{'330.00' if annual else '5.00'},{'396.00' if annual else '6.00'},,USD,"
            f"{'one_time' if annual else 'recurring'},{cycle},{12 if annual else 1},2026-11-01,2026-11-30,,"
            f"{sub_id}-l\n")


def require_approval(admin):
    """Nothing a test links is posted to the shared sandbox: every change waits for approval."""
    r = admin.form("/settings/billing", "/settings/billing", {
        "approval": "require", "decrease_mode": "next_period", "drift_mode": "flag", "usage_mode": "average_cost",
        "alert_after_minutes": "240", "sync_interval_minutes": "15"})
    assert r.status_code == 303, r.text[:2000]


def accept(admin, threshold="90", **extra):
    r = admin.form("/mapping", "/mapping", {"action": "accept_all", "threshold": threshold, **extra})
    assert r.status_code == 303
    return admin.get("/mapping?mapped=1").text


def links(stack, t, level):
    """{source id: PSA target} of the tenant's active links at a level."""
    table, col = {"subscription": ("subscription_links", "src_subscription_id"),
                  "resource": ("resource_links", "src_resource_id")}[level]
    target = "psa_contract_id" if level == "subscription" else "CONCAT(psa_contract_id, '/', psa_service_id)"
    rows = sql(stack, f"SELECT {col}, {target} FROM {table} WHERE tenant_id = {t} AND active_key = 1").splitlines()
    return dict(r.split("\t") for r in rows if r)


def service_id(stack, t, name):
    return sql(stack, f"SELECT psa_id FROM psa_services WHERE tenant_id = {t} AND name = '{name}'").strip()


def sub_block(page, name):
    """The Billing page's row of one subscription: its suggestion and its contract drop-down."""
    block = page[page.index(f"<h3>{name} "):]
    return block[:block.index("</form>")]


def force(admin, action, level, row, target=""):
    """A POST straight to the confirmed action, as a hand-made request would be."""
    tok = csrf_from(admin.get("/mapping?mapped=1").text)
    r = admin.post("/mapping", data={"csrf": tok, "action": action, "level": level, "row": row, "target": target,
                                     "confirm": "1"})
    assert r.status_code == 303
    return admin.get("/mapping?mapped=1").text


def test_one_managed_cloud_contract_per_customer_takes_every_subscription_in_bulk(stack):
    tag = uuid.uuid4().hex[:6]
    kestrel, osprey = f"Kestrel Cloud {tag}", f"Osprey Cloud {tag}"
    k = add_psa_customer(stack, kestrel, [("Managed Cloud", AT_RECURRING), ("Annual Licences", AT_FIXED_PRICE),
                                          ("Exchange Online (Plan 1)", AT_TIME_AND_MATERIALS)])
    o = add_psa_customer(stack, osprey, [("Managed Cloud", AT_RECURRING)])
    rows = [line("k1", kestrel, "k-bb", "Microsoft 365 Business Basic", "M365-BB", 5),
            line("k1", kestrel, "k-bs", "Microsoft 365 Business Standard", "M365-BS", 6),
            line("k1", kestrel, "k-bp", "Microsoft 365 Business Premium", "M365-BP", 7),
            # its name is the T&M contract's: never a home for seats
            line("k1", kestrel, "k-exo", "Exchange Online (Plan 1)", "EXO-P1", 8),
            line("k1", kestrel, "k-e3", "Microsoft 365 E3", "M365-E3", 9),
            line("k1", kestrel, "k-e3a", "Microsoft 365 E3", "M365-E3", 3, cycle="annual"),
            line("o1", osprey, "o-bb", "Microsoft 365 Business Basic", "M365-BB", 2),
            line("o1", osprey, "o-bs", "Microsoft 365 Business Standard", "M365-BS", 3),
            line("o1", osprey, "o-exo", "Exchange Online (Plan 1)", "EXO-P1", 4)]
    admin = setup_tenant(stack, rows)
    t = admin.tenant
    require_approval(admin)
    page = accept(admin)
    assert ("Suggestions scoring 90% or more: linked 2 companies, 9 subscriptions and 8 resources. 1 resource of "
            "annual subscriptions is billed as one-time charges on the subscription&#39;s contract, not linked as "
            "seats.") in page, page[:4000]
    subs = links(stack, t, "subscription")
    assert subs == {"k-bb": k["Managed Cloud"], "k-bs": k["Managed Cloud"], "k-bp": k["Managed Cloud"],
                    "k-exo": k["Managed Cloud"], "k-e3": k["Managed Cloud"], "k-e3a": k["Annual Licences"],
                    "o-bb": o["Managed Cloud"], "o-bs": o["Managed Cloud"], "o-exo": o["Managed Cloud"]}
    res = links(stack, t, "resource")
    assert len(res) == 8 and "k-e3a" not in res
    assert {v.split("/")[0] for v in res.values()} == {k["Managed Cloud"], o["Managed Cloud"]}
    assert res["k-e3"] == f"{k['Managed Cloud']}/{service_id(stack, t, 'Microsoft 365 E3')}"
    # one reconciliation per seat link; none for the annual resource
    assert sql(stack, f"SELECT COUNT(*) FROM adjustments WHERE tenant_id = {t} AND origin = 'link'").strip() == "8"
    assert sql(stack, f"SELECT COUNT(*) FROM adjustments WHERE tenant_id = {t} AND src_resource_id = 'k-e3a'"
               ).strip() == "0"
    # the page says why the annual resource has no service; the contract shows what it holds
    page = admin.get("/mapping?mapped=1").text
    assert "Annual subscription: billed as one-time charges on the subscription&#39;s contract" in page
    assert 'aria-label="Service for Microsoft 365 E3"' not in page
    # a second run finds nothing more to do
    page = accept(admin)
    assert "linked 0 companies, 0 subscriptions and 0 resources. 1 resource of annual subscriptions" in page


def test_one_contract_per_subscription_is_the_checkbox(stack):
    tag = uuid.uuid4().hex[:6]
    heron = f"Heron Cloud {tag}"
    h = add_psa_customer(stack, heron, [("Agreement North", AT_RECURRING), ("Agreement South", AT_RECURRING)])
    admin = setup_tenant(stack, [line("h1", heron, "h-bb", "Microsoft 365 Business Basic", "M365-BB", 2),
                                 line("h1", heron, "h-bs", "Microsoft 365 Business Standard", "M365-BS", 3)])
    t = admin.tenant
    require_approval(admin)
    account = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = '{heron}'").strip()
    page = set_relation(admin, "company", row_id(stack, "src_companies", t, "h1"), account)
    assert "Suggested: <strong>Agreement" not in page          # two recurring contracts: a person chooses
    set_relation(admin, "subscription", row_id(stack, "src_subscriptions", t, "h-bb"), h["Agreement North"])
    # by default the contract of the customer's other subscription is the suggestion
    page = admin.get("/mapping").text
    bs = sub_block(page, "Microsoft 365 Business Standard")
    assert "Suggested: <strong>Agreement North</strong>" in bs, bs
    assert "90%" in bs and "the contract of the account&#39;s other subscriptions" in bs
    assert re.search(r"Agreement North[^<]* · holds 1 subscription<", bs), bs
    assert 'name="unlinked" value="1" checked' not in page
    # one contract per subscription: the linked contract is neither offered nor suggested
    page = admin.get("/mapping?unlinked=1").text
    assert 'name="unlinked" value="1" checked' in page
    bs = sub_block(page, "Microsoft 365 Business Standard")
    assert "Suggested: <strong>Agreement South</strong>" in bs and "Agreement North" not in bs, bs
    assert "the account&#39;s only recurring contract not linked yet" in bs
    assert '<input type="hidden" name="unlinked" value="1">' in page
    tok = csrf_from(page)
    r = admin.post("/mapping", data={"csrf": tok, "action": "accept_all", "threshold": "90", "unlinked": "1",
                                     "back": "unlinked=1"})
    assert r.status_code == 303 and "unlinked=1" in r.headers["Location"]
    page = admin.get("/mapping?mapped=1").text
    assert "linked 0 companies, 1 subscriptions and 2 resources." in page, page[:4000]
    assert links(stack, t, "subscription") == {"h-bb": h["Agreement North"], "h-bs": h["Agreement South"]}
    res = links(stack, t, "resource")
    assert res["h-bb"].startswith(h["Agreement North"] + "/") and res["h-bs"].startswith(h["Agreement South"] + "/")


def test_no_seat_link_for_an_annual_subscription_or_into_a_non_recurring_contract(stack):
    tag = uuid.uuid4().hex[:6]
    plover = f"Plover Cloud {tag}"
    p = add_psa_customer(stack, plover, [("Managed Cloud", AT_RECURRING), ("Annual Licences", AT_FIXED_PRICE),
                                         ("Project Work", AT_TIME_AND_MATERIALS)])
    admin = setup_tenant(stack, [line("p1", plover, "p-bb", "Microsoft 365 Business Basic", "M365-BB", 4),
                                 line("p1", plover, "p-bs", "Microsoft 365 Business Standard", "M365-BS", 3),
                                 line("p1", plover, "p-e3a", "Microsoft 365 E3", "M365-E3", 2, cycle="annual")])
    t = admin.tenant
    require_approval(admin)
    account = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = '{plover}'").strip()
    page = set_relation(admin, "company", row_id(stack, "src_companies", t, "p1"), account)
    # monthly subscriptions are offered the recurring contract, the annual one the fixed-price one
    for name, contract in (("Microsoft 365 Business Basic", "Managed Cloud"),
                           ("Microsoft 365 E3 (annual)", "Annual Licences")):
        block = sub_block(page, name)
        assert f"Suggested: <strong>{contract}</strong>" in block, block
    # a person links the annual subscription to the fixed-price contract (its charges go there)
    # and a monthly one to the T&M contract
    set_relation(admin, "subscription", row_id(stack, "src_subscriptions", t, "p-e3a"), p["Annual Licences"])
    page = set_relation(admin, "subscription", row_id(stack, "src_subscriptions", t, "p-bs"), p["Project Work"])
    assert "Annual subscription: billed as one-time charges on the subscription&#39;s contract" in page
    assert "The subscription&#39;s contract is not recurring: seat changes need a recurring contract." in page
    assert 'aria-label="Service for Microsoft 365 E3"' not in page
    assert 'aria-label="Service for Microsoft 365 Business Standard"' not in page
    # forced: refused with the reason, nothing stored, nothing created in the PSA
    e3, bs = service_id(stack, t, "Microsoft 365 E3"), service_id(stack, t, "Microsoft 365 Business Standard")
    page = force(admin, "set", "resource", row_id(stack, "src_resources", t, "p-e3a"), "svc:" + e3)
    assert "Microsoft 365 E3 " + ANNUAL_REFUSAL in page, page[:4000]
    page = force(admin, "set", "resource", row_id(stack, "src_resources", t, "p-bs"), "svc:" + bs)
    assert ("Microsoft 365 Business Standard was not linked: &quot;Project Work&quot; is a non-recurring "
            + NOT_RECURRING) in page, page[:4000]
    services = len(autotask(stack)["entities"]["Services"])
    page = force(admin, "create", "resource", row_id(stack, "src_resources", t, "p-bs"))
    assert "Microsoft 365 Business Standard was not linked: &quot;Project Work&quot;" in page
    page = force(admin, "create", "resource", row_id(stack, "src_resources", t, "p-e3a"))
    assert "Microsoft 365 E3 " + ANNUAL_REFUSAL in page
    assert len(autotask(stack)["entities"]["Services"]) == services
    # the annual subscription on a recurring contract: still no seats
    set_relation(admin, "subscription", row_id(stack, "src_subscriptions", t, "p-e3a"), p["Managed Cloud"])
    page = force(admin, "set", "resource", row_id(stack, "src_resources", t, "p-e3a"), "svc:" + e3)
    assert "Microsoft 365 E3 " + ANNUAL_REFUSAL in page
    assert links(stack, t, "resource") == {}
    assert sql(stack, f"SELECT COUNT(*) FROM adjustments WHERE tenant_id = {t}").strip() == "0"
    # accept-all links the one resource that may be a seat link, and nothing into Project Work
    page = accept(admin, threshold="85")
    assert "linked 0 companies, 1 subscriptions and 1 resources." in page, page[:4000]
    res = links(stack, t, "resource")
    assert list(res) == ["p-bb"] and res["p-bb"].startswith(p["Managed Cloud"] + "/")
    # Manage Relations says the same: the annual row is charged on its contract, no service
    rel = admin.get("/mapping/relations").text
    assert "annual: one-time charges on the contract, no service" in rel


def test_demo_accept_suggestions_then_sync_makes_no_seat_link_for_an_annual_subscription(stack):
    """The demo's own path: seed-demo with its sandbox connections, accept every suggestion,
    Sync now. Contoso's annual Microsoft 365 E3 goes to the fixed-price contract as charges; no
    seat change is planned for an annual resource or into a non-recurring contract."""
    demo = int(sql(stack, "SELECT id FROM tenants WHERE name = 'Demo MSP'").strip())
    try:
        stack.billsync("seed-demo", "--sandbox", stack.path("run", "sandbox.json"))
        wait_for(lambda: sql(stack, f"SELECT COUNT(*) FROM connections WHERE tenant_id = {demo} AND"
                                    " (refreshed_at IS NULL OR refresh_status NOT IN ('ok', 'failed'))").strip() == "0"
                 and sql(stack, f"SELECT COUNT(*) FROM connections WHERE tenant_id = {demo}").strip() == "6",
                 180, "the demo's refresh")
        admin = Client(stack)
        assert admin.login("admin@demo-msp.example", "billsync-demo-2026").status_code == 303
        admin.tenant = demo
        page = accept(admin)
        said = re.findall(r"Suggestions scoring 90% or more: linked[^<]*", page)
        assert said and re.search(r"\d+ resources? of annual subscriptions (is|are) billed as one-time charges",
                                  said[0]), said
        annual_seat_links = (
            f"SELECT COUNT(*) FROM resource_links l JOIN src_resources r ON r.tenant_id = l.tenant_id"
            f" AND r.connection_id = l.src_connection_id AND r.source_id = l.src_resource_id"
            f" JOIN src_subscriptions s ON s.tenant_id = r.tenant_id AND s.connection_id = r.connection_id"
            f" AND s.source_id = r.subscription_source_id WHERE l.tenant_id = {demo} AND l.active_key = 1"
            f" AND (r.billing_cycle = 'annual' OR s.billing_cycle = 'annual')")
        assert sql(stack, annual_seat_links).strip() == "0"
        not_recurring = (f"SELECT COUNT(*) FROM resource_links l JOIN psa_contracts p ON p.tenant_id = l.tenant_id"
                         f" AND p.connection_id = l.psa_connection_id AND p.psa_id = l.psa_contract_id"
                         f" WHERE l.tenant_id = {demo} AND l.active_key = 1 AND p.contract_type <> 'recurring'")
        assert sql(stack, not_recurring).strip() == "0"
        # Contoso's annual E3 is linked to its fixed-price contract: the charge route
        e3 = sql(stack, f"SELECT p.contract_type, p.name FROM src_subscriptions s JOIN src_companies c"
                        f" ON c.tenant_id = s.tenant_id AND c.connection_id = s.connection_id"
                        f" AND c.source_id = s.company_source_id JOIN subscription_links l ON l.tenant_id ="
                        f" s.tenant_id AND l.src_connection_id = s.connection_id AND l.src_subscription_id ="
                        f" s.source_id AND l.active_key = 1 JOIN psa_contracts p ON p.tenant_id = l.tenant_id"
                        f" AND p.connection_id = l.psa_connection_id AND p.psa_id = l.psa_contract_id"
                        f" WHERE s.tenant_id = {demo} AND c.name = 'Contoso Ltd' AND s.billing_cycle = 'annual'"
                        f" AND s.name LIKE '%E3%'").strip()
        assert e3 == "fixed_price\tAnnual Subscriptions", e3
        # Sync now: no seat change for an annual resource, none into a non-recurring contract
        admin.form("/mapping", "/mapping", {"action": "sync"})
        wait_for(lambda: "links checked" in sql(stack, f"SELECT result FROM tenant_sync WHERE tenant_id = {demo}"),
                 120, "the demo's sync")
        quiesce(stack, demo)
        bad = sql(stack, f"SELECT COUNT(*) FROM adjustments a JOIN psa_contracts p ON p.tenant_id = a.tenant_id"
                         f" AND p.connection_id = a.psa_connection_id AND p.psa_id = a.psa_contract_id"
                         f" LEFT JOIN src_resources r ON r.tenant_id = a.tenant_id AND r.connection_id ="
                         f" a.src_connection_id AND r.source_id = a.src_resource_id WHERE a.tenant_id = {demo}"
                         f" AND (p.contract_type <> 'recurring' OR r.billing_cycle = 'annual')").strip()
        assert bad == "0"
        assert "Recurring Service contracts" not in sql(stack, f"SELECT COALESCE(GROUP_CONCAT(last_error), '')"
                                                               f" FROM adjustments WHERE tenant_id = {demo}")
    finally:
        # the demo tenant leaves the shared sandbox as it found it
        for table in ("resource_links", "subscription_links", "company_links"):
            sql(stack, f"UPDATE {table} SET active_key = NULL, unlinked_at = UTC_TIMESTAMP(6)"
                       f" WHERE tenant_id = {demo} AND active_key = 1")
        reset_sandbox(stack)
