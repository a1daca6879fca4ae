"""The Billing (mapping) page against the sandboxes: refresh, suggestions, Set/Unset Relation
with the confirmation step, the one-time reconciliation planned in the ledger, refusals."""
import re

from billsync_test import csrf_from, signed_in, sql, upload_csv, wait_for
from psa_e2e import PSA

GENERIC = ("company_id,company_name,subscription_id,subscription_name,product_name,sku,quantity,unit_cost,"
           "unit_price,extended_cost,currency,charge_type,billing_cycle,term_months,period_start,period_end,"
           "effective_date,line_id\n")


def setup_tenant(stack, rows, psa=None):
    """A tenant with a PSA connection (Autotask unless psa, a psa_e2e.PSA, says) and a CSV
    distributor file of rows, both refreshed."""
    psa = psa or PSA.of("autotask")
    admin = signed_in(stack)
    psa.connect(admin, stack)
    admin.form("/settings/connections?new=csv", "/settings/connections", {
        "action": "save", "system": "csv", "name": "Distributor file", "f_format": "generic"})
    csv_id = sql(stack, f"SELECT id FROM connections WHERE tenant_id = {admin.tenant} AND system = 'csv'").strip()
    upload_csv(admin, csv_id, "seats.csv", GENERIC + "".join(rows))
    r = admin.form("/mapping", "/mapping", {"action": "refresh"})
    assert r.status_code == 303
    wait_for(lambda: sql(stack, f"SELECT refresh_status FROM connections WHERE tenant_id = {admin.tenant}"
                                f" AND system = '{psa.system}'").strip() in ("ok", "failed"), 60, "the PSA refresh")
    status, message = sql(stack, f"SELECT refresh_status, refresh_message FROM connections WHERE tenant_id = "
                                 f"{admin.tenant} AND system = '{psa.system}'").strip().split("\t")
    assert status == "ok", message
    return admin


def row_id(stack, table, tenant, source_id):
    return sql(stack, f"SELECT id FROM {table} WHERE tenant_id = {tenant} AND source_id = '{source_id}'").strip()


def set_relation(c, level, row, target):
    """Set Relation through the confirmation page, as a person does."""
    tok = csrf_from(c.get("/mapping?mapped=1").text)
    r = c.post("/mapping", data={"csrf": tok, "action": "set", "level": level, "row": row, "target": target})
    assert r.status_code == 200 and "Link the " + level in r.text, r.text[:3000]
    tok = csrf_from(r.text)
    r = c.post("/mapping", data={"csrf": tok, "action": "set", "level": level, "row": row, "target": target,
                                 "confirm": "1"})
    assert r.status_code == 303
    return c.get("/mapping?mapped=1").text


ROWS = [
    "rw1,Repair & Wear Inc.,rw-exo,Exchange Online (Plan 1) (Monthly Pre-Paid),Exchange Online (Plan 1),EXO1,8,"
    "3.60,4.00,,USD,recurring,monthly,1,2026-11-01,2026-11-30,,rw-l1\n",
    "ct1,Contoso Ltd,ct-bb,Microsoft 365 Business Basic,Microsoft 365 Business Basic,CFQ7TTC0LH18,12,5.40,6.00,,"
    "USD,recurring,monthly,12,2026-11-01,2026-11-30,,ct-l1\n",
    "zz1,Zebra <script>alert(1)</script> Co,zz-1,Teams Essentials,Teams Essentials,TE1,3,4.00,4.00,,USD,"
    "recurring,monthly,1,2026-11-01,2026-11-30,,zz-l1\n",
]


def test_map_company_contract_service_and_reconcile(stack, psa):
    from billsync_test import reset_sandbox
    reset_sandbox(stack)                         # the demo PSA: 6 Exchange seats for Repair and Wear
    admin = setup_tenant(stack, ROWS, psa)
    t = admin.tenant
    page = admin.get("/mapping").text
    # suggestions with score and reason
    assert "Repair &amp; Wear Inc." in page and "Suggested: <strong>Repair and Wear</strong>" in page
    assert "Zebra &lt;script&gt;alert(1)&lt;/script&gt; Co" in page and "<script>alert(1)" not in page
    rw_account = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Repair and Wear'").strip()
    page = set_relation(admin, "company", row_id(stack, "src_companies", t, "rw1"), rw_account)
    assert "Linked Repair &amp; Wear Inc.." in page
    contract = sql(stack, f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {t} AND company_psa_id = '{rw_account}'"
                          " AND contract_type = 'recurring' LIMIT 1").strip()
    page = set_relation(admin, "subscription", row_id(stack, "src_subscriptions", t, "rw-exo"), contract)
    # the service choices show the contract's seats as seats (stored in 1/1000 units)
    shown = sorted(re.findall(r"\(on the contract, ([0-9.]+) units?\)", page))
    stored = sql(stack, f"SELECT units FROM psa_contract_services WHERE tenant_id = {t} AND contract_psa_id = "
                        f"'{contract}' AND gone = 0").split()
    assert shown and shown == sorted(str(int(u) // 1000) if int(u) % 1000 == 0 else str(int(u) / 1000)
                                     for u in stored), (shown, stored)
    service = sql(stack, f"SELECT psa_id FROM psa_services WHERE tenant_id = {t} AND name = 'Exchange Online (Plan 1)'").strip()
    before = sql(stack, f"SELECT COALESCE(MAX(units), 0) FROM psa_contract_services WHERE tenant_id = {t} AND "
                        f"contract_psa_id = '{contract}' AND service_psa_id = '{service}'").strip()
    page = set_relation(admin, "resource", row_id(stack, "src_resources", t, "rw-exo"), "svc:" + service)
    assert "Reconciliation: the distributor has 8, the PSA" in page
    change, state, origin = sql(stack, f"SELECT unit_change, state, origin FROM adjustments WHERE tenant_id = {t}").split()
    assert int(change) == 8000 - int(before) and state in ("queued", "verified") and origin == "link"
    assert int(before) == 6000, "the demo PSA bills 6"
    # the reconciliation reaches the PSA once: 8 from today
    wait_for(lambda: psa.units(stack, contract, service) == 8, 60, "the reconciliation to post")
    wait_for(lambda: sql(stack, f"SELECT state FROM adjustments WHERE tenant_id = {t}").strip() == "verified", 60,
             "the reconciliation to verify")
    assert len(psa.posts(stack, contract, service)) == 1
    # the audit log has who, what, before and after
    audit = sql(stack, f"SELECT action, detail FROM audit_log WHERE tenant_id = {t} AND action LIKE 'mapping.%' ORDER BY id")
    assert "mapping.company_linked\t(none) -> " in audit and "mapping.resource_linked" in audit


def test_contract_of_another_account_is_refused(stack, psa):
    admin = setup_tenant(stack, ROWS[1:2], psa)
    t = admin.tenant
    contoso = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Contoso Ltd'").strip()
    set_relation(admin, "company", row_id(stack, "src_companies", t, "ct1"), contoso)
    foreign = sql(stack, f"SELECT c.psa_id FROM psa_contracts c JOIN psa_companies a ON a.psa_id = c.company_psa_id"
                         f" AND a.tenant_id = c.tenant_id WHERE c.tenant_id = {t} AND a.name = 'Fabrikam Inc' LIMIT 1").strip()
    page = set_relation(admin, "subscription", row_id(stack, "src_subscriptions", t, "ct-bb"), foreign)
    assert "belongs to another PSA account" in page
    assert sql(stack, f"SELECT COUNT(*) FROM subscription_links WHERE tenant_id = {t}").strip() == "0"


def test_unset_keeps_history_and_viewers_cannot_map(stack, psa):
    admin = setup_tenant(stack, ROWS[1:2], psa)
    t = admin.tenant
    contoso = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Contoso Ltd'").strip()
    row = row_id(stack, "src_companies", t, "ct1")
    set_relation(admin, "company", row, contoso)
    tok = csrf_from(admin.get("/mapping?mapped=1").text)
    r = admin.post("/mapping", data={"csrf": tok, "action": "unset", "level": "company", "row": row})
    assert "Clear the relation" in r.text
    r = admin.post("/mapping", data={"csrf": csrf_from(r.text), "action": "unset", "level": "company", "row": row,
                                     "confirm": "1"})
    assert "Cleared the relation of Contoso Ltd. Its history is kept." in admin.get("/mapping").text
    rows = sql(stack, f"SELECT active_key IS NULL, unlinked_at IS NOT NULL FROM company_links WHERE tenant_id = {t}")
    assert rows.split() == ["1", "1"]
    # remembered: the suggestion comes back with the reason
    assert "linked before" in admin.get("/mapping").text.lower()
    viewer = signed_in(stack, "viewer", tenant=t)
    assert viewer.get("/mapping").status_code == 403


def test_accept_suggestions_and_manage_relations(stack):
    # Autotask only: the demo ConnectWise gives Contoso two recurring agreements (cloud seats and
    # backup), so its subscription has no single-contract suggestion; the rules are PSA-neutral.
    # Seat counts no other test posts, so the shared PSA sandbox cannot already hold them.
    rows = [ROWS[0].replace(",EXO1,8,", ",EXO1,19,"), ROWS[1].replace(",CFQ7TTC0LH18,12,", ",CFQ7TTC0LH18,27,"), ROWS[2]]
    assert rows[:2] != ROWS[:2]
    admin = setup_tenant(stack, rows)
    t = admin.tenant
    r = admin.form("/mapping", "/mapping", {"action": "accept_all", "threshold": "90"})
    assert r.status_code == 303
    page = admin.get("/mapping?mapped=1").text
    assert "Suggestions scoring 90% or more: linked 2 companies, 2 subscriptions and 2 resources." in page, page[:4000]
    assert sql(stack, f"SELECT COUNT(*) FROM resource_links WHERE tenant_id = {t} AND active_key = 1").strip() == "2"
    # the two reconciliations are planned once each
    assert sql(stack, f"SELECT COUNT(*) FROM adjustments WHERE tenant_id = {t} AND origin = 'link'").strip() == "2"
    # Manage Relations: clear both, then set them again in one action
    rel = admin.get("/mapping/relations?mapped=1").text
    picks = re.findall(r'name="pick" value="(\d+)"', rel)
    assert len(picks) == 3                       # Zebra's resource has no good suggestion
    linked = [p for p in picks if sql(stack, f"SELECT COUNT(*) FROM resource_links l JOIN src_resources r ON "
                                             f"r.source_id = l.src_resource_id AND r.tenant_id = l.tenant_id WHERE r.id = {p}"
                                             f" AND l.active_key = 1").strip() == "1"]
    tok = csrf_from(rel)
    r = admin.post("/mapping/relations?mapped=1", data=[("csrf", tok), ("action", "clear")] + [("pick", p) for p in linked])
    assert "Cleared 2 relations; their history is kept." in admin.get("/mapping/relations?mapped=1").text
    tok = csrf_from(admin.get("/mapping/relations").text)
    r = admin.post("/mapping/relations", data=[("csrf", tok), ("action", "set")] + [("pick", p) for p in picks])
    page = admin.get("/mapping/relations").text
    assert "Set Relations: linked 0 companies, 0 subscriptions and 2 resources." in page
    assert "has no good suggestion" in page


def test_create_the_account_contract_and_service_in_the_psa(stack, psa):
    admin = setup_tenant(stack, ROWS[2:3], psa)
    t = admin.tenant
    tok = csrf_from(admin.get("/mapping").text)
    row = row_id(stack, "src_companies", t, "zz1")
    r = admin.post("/mapping", data={"csrf": tok, "action": "create", "level": "company", "row": row})
    assert "Create <strong>Zebra &lt;script&gt;alert(1)&lt;/script&gt; Co</strong> in the PSA" in r.text
    r = admin.post("/mapping", data={"csrf": csrf_from(r.text), "action": "create", "level": "company", "row": row,
                                     "confirm": "1"})
    page = admin.get("/mapping?mapped=1").text
    assert "Created the account" in page, page[:3000]
    for level, table, src in (("subscription", "src_subscriptions", "zz-1"), ("resource", "src_resources", "zz-1")):
        tok = csrf_from(admin.get("/mapping?mapped=1").text)
        admin.post("/mapping", data={"csrf": tok, "action": "create", "level": level,
                                     "row": row_id(stack, table, t, src), "confirm": "1"})
        assert f"Created the {'contract' if level == 'subscription' else 'service'}" in admin.get("/mapping?mapped=1").text
    assert sql(stack, f"SELECT COUNT(*) FROM resource_links WHERE tenant_id = {t} AND active_key = 1").strip() == "1"
    assert "Zebra <script>alert(1)</script> Co" in psa.company_names(stack)
    assert "Teams Essentials" in psa.service_names(stack)


def test_a_company_with_500_resources(stack):
    # the page's size and speed: PSA-neutral (no PSA call), run once
    admin = setup_tenant(stack, ROWS[1:2])
    t = admin.tenant
    conn = sql(stack, f"SELECT id FROM connections WHERE tenant_id = {t} AND system = 'csv'").strip()
    values = ",".join(f"({t}, {conn}, 'big-{i}', 'ct-bb', 'ct1', 'Seat pack {i}', 'SKU{i}', {i * 1000})" for i in range(500))
    sql(stack, "INSERT INTO src_resources (tenant_id, connection_id, source_id, subscription_source_id, "
               f"company_source_id, name, sku, quantity) VALUES {values}")
    import time
    t0 = time.monotonic()
    page = admin.get("/mapping?mapped=1")
    assert page.status_code == 200
    assert page.text.count('aria-label="Service for Seat pack') + page.text.count("Seat pack") >= 500
    assert time.monotonic() - t0 < 20


def test_two_users_editing_the_same_link_end_consistent(stack, psa):
    import threading
    admin = setup_tenant(stack, ROWS[1:2], psa)
    t = admin.tenant
    other = signed_in(stack, "billing", tenant=t)
    contoso = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Contoso Ltd'").strip()
    fabrikam = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Fabrikam Inc'").strip()
    row = row_id(stack, "src_companies", t, "ct1")
    toks = {id(c): csrf_from(c.get("/mapping").text) for c in (admin, other)}

    def link(c, target):
        for _ in range(10):
            c.post("/mapping", data={"csrf": toks[id(c)], "action": "set", "level": "company", "row": row,
                                     "target": target, "confirm": "1"})
    threads = [threading.Thread(target=link, args=(admin, contoso)), threading.Thread(target=link, args=(other, fabrikam))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    active = sql(stack, f"SELECT psa_company_id FROM company_links WHERE tenant_id = {t} AND active_key = 1").split()
    assert len(active) == 1 and active[0] in (contoso, fabrikam)
    history = int(sql(stack, f"SELECT COUNT(*) FROM company_links WHERE tenant_id = {t}"))
    assert history >= 2 and int(sql(stack, f"SELECT COUNT(*) FROM company_links WHERE tenant_id = {t} "
                                           "AND active_key IS NULL AND unlinked_at IS NULL")) == 0
