"""Price policies (issue 18) on a seeded catalogue: the tenant's default (cost + 20 %), an
override for one PSA account (the distributor's suggested retail price) and one for a service
(keep the PSA price). A cost change of every linked resource then proposes, per policy, the
new price next to the new cost; the margins shown are checked against Decimal; price changes
wait for a person, cost-only changes post by themselves; approved, the PSA carries exactly the
computed cost and price. A service billsync creates is priced by the policy too."""
from decimal import ROUND_HALF_EVEN, Decimal

import requests

from billsync_test import csrf_from, quiesce, reset_sandbox, sql, upload_csv, wait_for
from test_cost_sync import expected_text
from test_mapping import GENERIC, row_id, set_relation, setup_tenant

# company id, name, subscription/resource id, product, sku, quantity (= the demo PSA's units:
# linking posts nothing), unit cost, suggested price (the CSV's unit_price)
CATALOGUE = [
    ("ct1", "Contoso Ltd", "ct-bs", "Microsoft 365 Business Standard", "M365-BS", 24, "12.50", "15.00"),
    ("ct1", "Contoso Ltd", "ct-exo", "Exchange Online (Plan 1)", "EXO-P1", 10, "4.00", "4.80"),
    ("fb1", "Fabrikam Inc", "fb-bp", "Microsoft 365 Business Premium", "M365-BP", 40, "22.00", "26.40"),
    ("fb1", "Fabrikam Inc", "fb-bb", "Microsoft 365 Business Basic", "M365-BB", 15, "6.00", "0"),
]
NEW_COST = {"ct-bs": "13.10", "ct-exo": "4.40", "fb-bp": "23.00", "fb-bb": "6.30"}
NEW_SRP = {"ct-bs": "15.00", "ct-exo": "4.80", "fb-bp": "29.99", "fb-bb": "0"}


def csv_rows(costs=None, srps=None):
    out = []
    for cid, cname, sid, product, sku, qty, cost, srp in CATALOGUE:
        cost = (costs or {}).get(sid, cost)
        srp = (srps or {}).get(sid, srp)
        out.append(f"{cid},{cname},{sid},{product},{product},{sku},{qty},{cost},{srp},,USD,recurring,monthly,12,"
                   f"2026-11-01,2026-11-30,,{sid}-l\n")
    return out


def psa_money(stack, psa, contract, service):
    from testclock import today
    return psa.money(stack, contract, service, today().isoformat())


def link_catalogue(stack, admin):
    t = admin.tenant
    links = {}
    for cid, cname, sid, product, sku, qty, cost, srp in CATALOGUE:
        company = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = '{cname}'").strip()
        if cid not in links:
            set_relation(admin, "company", row_id(stack, "src_companies", t, cid), company)
            links[cid] = company
        contract = sql(stack, f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {t} AND company_psa_id = "
                              f"'{company}' AND contract_type = 'recurring' AND name = 'Managed Cloud Services'"
                              " LIMIT 1").strip()
        service = sql(stack, f"SELECT psa_id FROM psa_services WHERE tenant_id = {t} AND name = '{product}'").strip()
        set_relation(admin, "subscription", row_id(stack, "src_subscriptions", t, sid), contract)
        set_relation(admin, "resource", row_id(stack, "src_resources", t, sid), "svc:" + service)
        links[sid] = (company, contract, service)
    return links


def sync(stack, admin):
    admin.form("/mapping", "/mapping", {"action": "sync"})
    wait_for(lambda: "links checked" in sql(stack, f"SELECT result FROM tenant_sync WHERE tenant_id = {admin.tenant}"),
             60, "the sync to finish")
    sql(stack, f"UPDATE tenant_sync SET result = '' WHERE tenant_id = {admin.tenant}")
    quiesce(stack, admin.tenant)


def cents(d):
    return d.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def test_each_price_policy_on_a_seeded_catalogue(stack, psa):
    reset_sandbox(stack)
    admin = setup_tenant(stack, csv_rows(), psa)
    t = admin.tenant
    links = link_catalogue(stack, admin)
    # the policies, through the page as a person sets them
    admin.form("/settings/pricing", "/settings/pricing", {"action": "tenant", "mode": "markup", "markup": "20",
                                                          "maintain": "1"})
    fabrikam = links["fb1"]
    exo = links["ct-exo"][2]
    conn = sql(stack, f"SELECT id FROM connections WHERE tenant_id = {t} AND system = '{psa.system}'").strip()
    admin.form("/settings/pricing", "/settings/pricing", {"action": "add", "scope": "company",
                                                          "target": f"{conn}:{fabrikam}", "mode": "srp",
                                                          "maintain": "1"})
    admin.form("/settings/pricing", "/settings/pricing", {"action": "add", "scope": "product",
                                                          "target": f"{conn}:{exo}", "mode": "keep"})
    page = admin.get("/settings/pricing").text
    assert "Fabrikam Inc" in page and "Suggested retail price, follows cost changes" in page
    assert "Exchange Online (Plan 1)" in page and "Keep the PSA price" in page
    sync(stack, admin)                         # baselines: nothing planned
    assert sql(stack, f"SELECT COUNT(*) FROM adjustments WHERE tenant_id = {t} AND kind = 'cost'").strip() == "0"
    before = {sid: psa_money(stack, psa, links[sid][1], links[sid][2]) for sid in NEW_COST}
    conn_csv = sql(stack, f"SELECT id FROM connections WHERE tenant_id = {t} AND system = 'csv'").strip()
    upload_csv(admin, conn_csv, "seats.csv", GENERIC + "".join(csv_rows(NEW_COST, NEW_SRP)))
    sync(stack, admin)
    # what each policy asks for, computed here with Decimal
    want_price = {
        "ct-bs": cents(Decimal(NEW_COST["ct-bs"]) * Decimal("1.20")),   # tenant: cost + 20 %
        "ct-exo": None,                                                # service override: keep
        "fb-bp": Decimal(NEW_SRP["fb-bp"]),                            # account override: SRP
        "fb-bb": None,                                                 # SRP, but the source has none
    }
    rows = {}
    for line in sql(stack, f"SELECT psa_service_id, psa_contract_id, state, new_unit_cost,"
                           f" COALESCE(new_unit_price, ''), 'end' FROM adjustments WHERE tenant_id = {t}"
                           " AND kind = 'cost'").strip().splitlines():
        service, contract, state, cost, price, _ = line.split("\t")   # 'end': an empty price is not stripped
        rows[(contract, service)] = (state, Decimal(cost) / 10000, Decimal(price) / 10000 if price else None)
    assert len(rows) == 4, rows
    page = admin.get("/approvals").text
    for sid, (company, contract, service) in ((k, links[k]) for k in NEW_COST):
        state, cost, price = rows[(contract, service)]
        assert cost == Decimal(NEW_COST[sid]), sid
        assert price == want_price[sid], (sid, price)
        # a price always waits for a person; a cost alone posts (the tenant's approval is auto)
        assert state == ("awaiting_approval" if price is not None else "verified"), (sid, state)
        if price is not None:
            assert expected_text(before[sid][0], cost, before[sid][1], price) in page, (sid, page[-4000:])
    picks = sql(stack, f"SELECT id FROM adjustments WHERE tenant_id = {t} AND kind = 'cost'"
                       " AND state = 'awaiting_approval'").split()
    tok = csrf_from(page)
    admin.post("/approvals", data=[("csrf", tok), ("action", "approve")] + [("pick", p) for p in picks])
    wait_for(lambda: sql(stack, f"SELECT COUNT(*) FROM adjustments WHERE tenant_id = {t} AND kind = 'cost'"
                                " AND state = 'verified'").strip() == "4", 60, "the approved changes to post")
    for sid in NEW_COST:
        company, contract, service = links[sid]
        cost, price = psa_money(stack, psa, contract, service)
        assert cost == Decimal(NEW_COST[sid]), sid
        assert price == (want_price[sid] if want_price[sid] is not None else before[sid][1]), sid


def test_bad_policies_are_refused_and_change_nothing(stack):
    admin = setup_tenant(stack, csv_rows()[:1])
    t = admin.tenant
    for fields, why in (({"action": "tenant", "mode": "markup", "markup": "12.345"}, "at most two decimals"),
                        ({"action": "tenant", "mode": "markup", "markup": "-5"}, "from 0 to 1000"),
                        ({"action": "tenant", "mode": "cheap"}, "keep, markup or srp"),
                        ({"action": "add", "scope": "company", "target": "1:nope", "mode": "srp"},
                         "is not in your PSA")):
        r = admin.post("/settings/pricing", data=dict(fields, csrf=csrf_from(admin.get("/settings/pricing").text)))
        assert r.status_code == 400 and why in r.text, (fields, r.text[:2000])
    assert sql(stack, f"SELECT COUNT(*) FROM price_policies WHERE tenant_id = {t}").strip() == "0"


def test_a_created_service_is_priced_by_the_policy(stack):
    reset_sandbox(stack)
    rows = ["zz1,Zebra Co,zz-1,Teams Essentials,Teams Essentials,TEAMS-ESS,5,3.33,4.00,,USD,recurring,monthly,12,"
            "2026-11-01,2026-11-30,,zz-l1\n"]
    admin = setup_tenant(stack, rows)
    t = admin.tenant
    admin.form("/settings/pricing", "/settings/pricing", {"action": "tenant", "mode": "markup", "markup": "12.5"})
    for level, table in (("company", "src_companies"), ("subscription", "src_subscriptions")):
        row = row_id(stack, table, t, "zz1" if level == "company" else "zz-1")
        admin.post("/mapping", data={"csrf": csrf_from(admin.get("/mapping").text), "action": "create",
                                     "level": level, "row": row, "confirm": "1"})
    row = row_id(stack, "src_resources", t, "zz-1")
    r = admin.post("/mapping", data={"csrf": csrf_from(admin.get("/mapping").text), "action": "create",
                                     "level": "resource", "row": row})
    price = cents(Decimal("3.33") * Decimal("1.125"))           # 3.74625 -> 3.75
    margin = ((price - Decimal("3.33")) / price * 100).quantize(Decimal("0.1"))
    assert f"Unit price <strong>{price}</strong>, cost 3.33, margin {margin} %" in r.text, r.text[:3000]
    admin.post("/mapping", data={"csrf": csrf_from(r.text), "action": "create", "level": "resource", "row": row,
                                 "confirm": "1"})
    state = requests.get(f"http://127.0.0.1:{stack.sandbox['control']}/state/autotask", timeout=10).json()
    (svc,) = [s for s in state["entities"]["Services"] if s["name"] == "Teams Essentials"]
    assert Decimal(str(svc["unitPrice"])) == price and Decimal(str(svc["unitCost"])) == Decimal("3.33")
