"""The monthly billing review (doc/seeds.md 000) against the PSA sandboxes (Autotask and
ConnectWise, the `psa` fixture): a month with every line
status (matched, quantity mismatch, price mismatch, missing in PSA, unmapped); update a quantity
through the ledger, approve, apply once (a second apply posts nothing); ignore with a note;
the CSV export equals the grid; the review reopens with its decisions; viewers and other
tenants are kept out."""
import csv
import datetime
import html
import io
import re
import time

import requests

from billsync_test import csrf_from, quiesce, reset_sandbox, signed_in, sql, wait_for
from psa_e2e import PSA
from test_mapping import GENERIC, setup_tenant
from testclock import today

TODAY = today()
MONTH = TODAY.strftime("%Y-%m")
FIRST = TODAY.replace(day=1)
LAST = (FIRST + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def line(company_id, company, sub, product, sku, qty, cost, price, line_id, charge="recurring", cycle="monthly",
         end=LAST):
    ext = f"{qty * float(cost):.2f}"
    return (f"{company_id},{company},{sub},{product},{product},{sku},{qty},{cost},{price},{ext},USD,{charge},"
            f"{cycle},12,{FIRST},{end},,{line_id}\n")


ROWS = [
    # matched: Contoso has 10 Exchange Online at 4.80 in the PSA
    line("ct1", "Contoso Ltd", "ct-exo", "Exchange Online (Plan 1)", "EXO-P1", 10, "4.00", "4.80", "l-matched"),
    # quantity mismatch: the PSA has 24 Business Standard, the distributor bills 27
    line("ct1", "Contoso Ltd", "ct-bs", "Microsoft 365 Business Standard", "M365-BS", 27, "12.50", "15.00", "l-qty"),
    # quantity mismatch, updated with its own button: the PSA has 5, the distributor bills 6
    line("nw1", "Northwind Traders", "nw-exo", "Exchange Online (Plan 1)", "EXO-P1", 6, "4.00", "4.80", "l-qty2"),
    # price mismatch: 40 Business Premium match, the price does not (PSA 26.40)
    line("fb1", "Fabrikam Inc", "fb-bp", "Microsoft 365 Business Premium", "M365-BP", 40, "22.00", "30.00", "l-price"),
    # missing in PSA: a PSA customer exists (suggested), nothing is linked yet
    line("ww1", "Wide World Importers", "ww-e3", "Microsoft 365 E3", "M365-E3", 31, "36.00", "43.20", "l-missing"),
    # annual: 2 E3 seats for the year, one charge on Contoso's fixed-price (ConnectWise: one-time)
    # contract; ConnectWise's addition takes the catalog item of the SKU
    line("ct1", "Contoso Ltd", "ct-e5", "Microsoft 365 E3 (annual)", "M365-E3", 2, "648.00", "684.00", "l-annual",
         charge="one_time", cycle="annual", end=FIRST.replace(year=FIRST.year + 1) - datetime.timedelta(days=1)),
    # unmapped: nothing in the PSA looks like it
    line("zq1", "Quixotic Zebu Partners", "zq-1", "Teams Essentials", "TE1", 3, "4.00", "4.00", "l-unmapped"),
]
EXPECTED = {"l-matched": "matched", "l-annual": "matched", "l-qty": "quantity mismatch", "l-qty2": "quantity mismatch",
            "l-price": "price mismatch", "l-missing": "missing in PSA", "l-unmapped": "unmapped"}


class Review:
    def __init__(self, stack, psa=None):
        self.stack = stack
        self.psa = psa = psa or PSA.of("autotask")
        self.control = f"http://127.0.0.1:{stack.sandbox['control']}"
        reset_sandbox(stack)
        self.admin = setup_tenant(stack, ROWS, psa)
        t = self.t = self.admin.tenant
        # the scheduled sync ran just now: this test drives every change through the review
        sql(stack, f"INSERT INTO tenant_sync (tenant_id, started_at, result) VALUES ({t}, UTC_TIMESTAMP(6), 'test')"
                   " ON DUPLICATE KEY UPDATE started_at = UTC_TIMESTAMP(6)")
        self.admin.form("/settings/billing", "/settings/billing", {
            "approval": "require", "decrease_mode": "next_period", "drift_mode": "flag",
            "usage_mode": "average_cost", "alert_after_minutes": "240", "sync_interval_minutes": "15"})
        self.csv_conn = sql(stack, f"SELECT id FROM connections WHERE tenant_id = {t} AND system = 'csv'").strip()
        self.psa_conn = sql(stack, f"SELECT id FROM connections WHERE tenant_id = {t} AND system = '{psa.system}'").strip()
        self.targets = {}
        for company, src_company, subs in (("Contoso Ltd", "ct1", [("ct-exo", "EXO-P1"), ("ct-bs", "M365-BS")]),
                                            ("Northwind Traders", "nw1", [("nw-exo", "EXO-P1")]),
                                            ("Fabrikam Inc", "fb1", [("fb-bp", "M365-BP")])):
            account = self.q(f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = '{company}'")
            contract = self.q(f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {t} AND company_psa_id = "
                              f"'{account}' AND contract_type = 'recurring' AND name = 'Managed Cloud Services'")
            self.link("company_links", "src_company_id", src_company, "psa_company_id", account)
            for sub, sku in subs:
                service = self.q(f"SELECT psa_id FROM psa_services WHERE tenant_id = {t} AND sku = '{sku}'")
                self.link("subscription_links", "src_subscription_id", sub, "psa_contract_id", contract)
                sql(stack, "INSERT INTO resource_links (tenant_id, src_connection_id, src_resource_id, "
                           "psa_connection_id, psa_contract_id, psa_service_id) VALUES "
                           f"({t}, {self.csv_conn}, '{sub}', {self.psa_conn}, '{contract}', '{service}')")
                self.targets[sub] = (contract, service)
        # the annual subscription is linked to Contoso's fixed-price contract (a charge, no service)
        contoso = self.q(f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Contoso Ltd'")
        self.fixed = self.q(f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {t} AND company_psa_id = "
                            f"'{contoso}' AND contract_type = '{psa.annual_contract_type}' LIMIT 1")
        self.link("subscription_links", "src_subscription_id", "ct-e5", "psa_contract_id", self.fixed)
        self.url = f"/review/{MONTH}"

    def q(self, query):
        v = sql(self.stack, query).strip()
        assert v and "\n" not in v, (query, v)
        return v

    def link(self, table, src_col, src_id, psa_col, psa_id):
        sql(self.stack, f"INSERT INTO {table} (tenant_id, src_connection_id, {src_col}, psa_connection_id, {psa_col})"
                        f" VALUES ({self.t}, {self.csv_conn}, '{src_id}', {self.psa_conn}, '{psa_id}')")

    def units(self, sub, day=None):
        contract, service = self.targets[sub]
        return self.psa.units(self.stack, contract, service, day or TODAY.isoformat())

    def charges(self):
        return [c for c in self.psa.charges(self.stack, self.fixed) if "E3 (annual)" in c["description"]]

    def posts(self):
        """The unit changes written to this test's (contract, service) pairs. Earlier tests'
        tenants share the sandbox and their workers keep syncing; their posts are not ours."""
        return [e for contract, service in self.targets.values() for e in self.psa.posts(self.stack, contract, service)]

    def page(self, client=None):
        r = (client or self.admin).get(self.url)
        assert r.status_code == 200, r.text[:2000]
        return r.text

    def act(self, fields, client=None):
        c = client or self.admin
        data = [("csrf", csrf_from(c.get(self.url).text))] + list(fields)
        r = c.post(self.url, data=data)
        assert r.status_code == 303, r.text[:2000]
        return c.get(self.url).text

    def key(self, line_id):
        return f"{self.csv_conn}:{line_id}"


def text(cell):
    return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()


def grid(page):
    """The grid's rows as the CSV has them: {line key: [19 cells]}."""
    out = {}
    for row in re.findall(r'<tr class="line-[^"]*">(.*?)</tr>', page, re.S):
        key = html.unescape(re.search(r'name="pick" value="([^"]+)"', row).group(1))
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[1:-1]
        status = text(re.search(r'<span class="badge[^"]*">(.*?)</span>', cells[13], re.S).group(1))
        out[key] = [text(c) for c in cells[:13]] + [status] + [text(c) for c in cells[14:]]
    return out


def test_review_end_to_end(stack, psa):
    R = Review(stack, psa)
    a = R.admin
    # the month picker: the current month and the 12 before it
    page = a.get("/review").text
    assert page.count("<option ") == 13 and f'value="{MONTH}"' in page
    r = a.post("/review", data={"csrf": csrf_from(page), "month": MONTH})
    assert r.status_code == 303 and r.headers["Location"].endswith(R.url)
    # showing a month nobody has acted on writes nothing: no review is opened by a GET
    assert "Not opened yet" in R.page()
    assert sql(stack, f"SELECT COUNT(*) FROM billing_reviews WHERE tenant_id = {R.t}").strip() == "0"

    # retrieve: a job reads the API distributors (none here: the CSV lines are already in)
    R.act([("action", "retrieve")])
    wait_for(lambda: R.q(f"SELECT pull_state FROM billing_reviews WHERE tenant_id = {R.t}") in ("done", "failed"),
             60, "the retrieval job")
    page = R.page()
    assert "Retrieval: <strong>done</strong>" in page and "Distributor file: 7 billing lines" in page

    # every line status
    g = grid(page)
    assert {k.split(":", 1)[1]: v[13] for k, v in g.items()} == EXPECTED
    qty = g[R.key("l-qty")]
    assert qty[:13] == ["Contoso Ltd", "ct-bs", "Managed Cloud Services", "Microsoft 365 Business Standard",
                        "recurring", f"{FIRST} – {LAST}", "monthly", "12", "27", "24", "12.50", "337.50",
                        FIRST.isoformat()]
    assert "suggested: Wide World Importers" in page
    # the statuses are computed as the grid is shown, never saved by showing it
    assert sql(stack, f"SELECT COUNT(*) FROM billing_review_lines WHERE tenant_id = {R.t}").strip() == "0"
    assert "annual: one charge on the contract" in page

    # update quantity with the line's button: planned in the ledger, waiting for approval (policy)
    page = R.act([("action", "update"), ("line", R.key("l-qty2"))])
    origin, state, change = sql(stack, f"SELECT origin, state, unit_change FROM adjustments WHERE tenant_id = {R.t}"
                                ).split()
    assert (origin, state, change) == ("review", "awaiting_approval", "1000")
    assert grid(page)[R.key("l-qty2")][18] == "awaiting approval"
    quiesce(stack, R.t)
    assert R.units("nw-exo") == 5, "nothing posts before the approval"

    # ignore needs a note; with one, the line is ignored and says why
    page = R.act([("action", "ignore"), ("pick", R.key("l-price"))])
    assert "Say why the line is ignored" in page and grid(page)[R.key("l-price")][14] == ""
    page = R.act([("action", "ignore"), ("pick", R.key("l-price")), ("note", "price agreed with the customer")])
    price = grid(page)[R.key("l-price")]
    assert price[14] == "ignore" and price[15] == a.email and price[17] == "price agreed with the customer"

    # approve the two mismatches and the annual line, then apply: the PSA ends with the billed
    # quantities and one charge for the year
    before = len(R.posts())
    assert R.charges() == []
    R.act([("action", "approve"), ("pick", R.key("l-qty")), ("pick", R.key("l-qty2")), ("pick", R.key("l-annual"))])
    # a line's status is saved with what a person did to it (update, ignore, approve)
    assert sql(stack, f"SELECT line_id, status FROM billing_review_lines WHERE tenant_id = {R.t} ORDER BY line_id"
               ).split() == ["l-annual", "matched", "l-price", "price_mismatch", "l-qty", "quantity_mismatch",
                             "l-qty2", "quantity_mismatch"]
    page = R.act([("action", "apply")])
    assert "Applied: 2 quantity updates sent to the PSA, 0 already applied; 1 annual or usage charge being created" \
        in page
    wait_for(lambda: R.units("ct-bs") == 27 and R.units("nw-exo") == 6, 60, "the approved changes to post")
    wait_for(lambda: sorted(sql(stack, f"SELECT state FROM adjustments WHERE tenant_id = {R.t}").split())
             == ["verified", "verified"], 60, "the ledger to verify both")
    assert len(R.posts()) - before == 2
    assert R.units("ct-exo") == 10 and R.units("fb-bp") == 40, "other lines are untouched"
    wait_for(lambda: len(R.charges()) == 1, 60, "the annual charge")
    charge = R.charges()[0]
    assert charge["quantity"] == 2 and abs(charge["unit_cost"] - 648.00) < 0.005

    # applying again posts nothing
    page = R.act([("action", "apply")])
    assert "Applied: 0 quantity updates sent to the PSA, 3 already applied." in page
    quiesce(stack, R.t)
    assert len(R.posts()) - before == 2 and len(R.charges()) == 1
    assert R.units("ct-bs") == 27 and R.units("nw-exo") == 6
    assert sql(stack, f"SELECT COUNT(*) FROM adjustments WHERE tenant_id = {R.t}").strip() == "2"

    # the grid shows each line's result, and the review who approved and applied it
    page = R.page()
    g = grid(page)
    assert g[R.key("l-qty")][18] == "verified" and g[R.key("l-qty2")][18] == "verified"
    assert g[R.key("l-annual")][18] == "charge posted"
    assert g[R.key("l-qty")][13] == "matched" and g[R.key("l-qty")][9] == "27"
    assert g[R.key("l-qty")][14] == "approve" and g[R.key("l-qty")][15] == a.email
    assert f'Approved by <span class="review-approved-by">{a.email}</span>' in page
    assert f'Applied by <span class="review-applied-by">{a.email}</span>' in page

    # the export equals the grid
    r = a.get(R.url + "?format=csv")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:19] == ["Customer", "Subscription ID", "Contract", "Product / service", "Billing plan",
                            "Billing period", "Billing cycle", "Commitment (months)", "Quantity", "Units",
                            "Unit cost", "Cost", "Effective date", "Status", "Decision", "Decided by",
                            "Decided at", "Note", "Result"]
    assert len(rows) == 8
    assert sorted(row[:19] for row in rows[1:]) == sorted(g.values())

    # reopened by another billing user: the saved decisions and who approved
    other = signed_in(stack, "billing", tenant=R.t)
    page = R.page(other)
    g2 = grid(page)
    assert g2[R.key("l-price")][14:18] == g[R.key("l-price")][14:18]
    assert g2[R.key("l-qty")][15] == a.email and f"Approved by <span class=\"review-approved-by\">{a.email}" in page

    # create the unmapped customer, its contract and service in the PSA from the grid
    page = R.act([("action", "create"), ("line", R.key("l-unmapped"))])
    assert "Created the account" in page, page[:3000]
    assert grid(page)[R.key("l-unmapped")][13] != "unmapped"
    assert "Quixotic Zebu Partners" in psa.company_names(stack)
    audit = sql(stack, f"SELECT action FROM audit_log WHERE tenant_id = {R.t} AND action LIKE 'review.%'").split()
    assert {"review.retrieve", "review.quantity_planned", "review.line_ignored", "review.line_approved",
            "review.applied"} <= set(audit)


def test_viewers_and_other_tenants_are_kept_out(stack):
    # access rules: PSA-neutral (nothing reaches the PSA), run once
    R = Review(stack)
    R.page()
    R.act([("action", "approve"), ("pick", R.key("l-qty"))])
    viewer = signed_in(stack, "viewer", tenant=R.t)
    assert viewer.get(R.url).status_code == 403
    assert viewer.get("/review").status_code == 403
    tok = csrf_from(viewer.get("/profile").text)
    assert viewer.post(R.url, data={"csrf": tok, "action": "apply"}).status_code == 403
    assert "/review" not in re.findall(r'<nav class="sidebar".*?</nav>', viewer.get("/").text, re.S)[0]

    stranger = signed_in(stack)
    page = stranger.get(R.url).text
    assert "Contoso" not in page and "No billing lines" in page
    tok = csrf_from(page)
    for action in ("approve", "ignore", "update"):
        r = stranger.post(R.url, data={"csrf": tok, "action": action, "pick": R.key("l-qty"), "line": R.key("l-qty"),
                                       "note": "x"})
        assert r.status_code in (303, 400)
    stranger.post(R.url, data={"csrf": tok, "action": "apply"})
    assert sql(stack, f"SELECT COUNT(*) FROM billing_review_lines WHERE tenant_id = {stranger.tenant}").strip() == "0"
    assert sql(stack, f"SELECT decision, decided_by IS NOT NULL FROM billing_review_lines WHERE tenant_id = {R.t}"
                      " AND line_id = 'l-qty'").split() == ["approve", "1"]
    assert sql(stack, f"SELECT COUNT(*) FROM adjustments WHERE tenant_id IN ({R.t}, {stranger.tenant})").strip() == "0"
    # a month that is not a month
    assert R.admin.get("/review/2026-13").status_code == 404
    assert R.admin.get("/review/abc").status_code == 404


def test_retrieve_reads_the_api_distributors_of_the_month(stack):
    reset_sandbox(stack)
    admin = signed_in(stack)
    t = admin.tenant
    port = stack.sandbox["pax8"]
    admin.form("/settings/connections?new=pax8", "/settings/connections", {
        "action": "save", "system": "pax8", "name": "Pax8", "f_url": f"http://127.0.0.1:{port}/v1",
        "f_client_id": "pax8-demo-client-id", "f_client_secret": "pax8-demo-client-secret",
        "f_token_url": f"http://127.0.0.1:{port}/v1/token"})
    assert sql(stack, f"SELECT COUNT(*) FROM connections WHERE tenant_id = {t} AND system = 'pax8'").strip() == "1"
    last_month = (FIRST - datetime.timedelta(days=1)).strftime("%Y-%m")
    url = f"/review/{last_month}"
    page = admin.get(url).text
    assert "Retrieval: <strong>not started</strong>" in page and "No billing lines" in page
    admin.post(url, data={"csrf": csrf_from(page), "action": "retrieve"})
    wait_for(lambda: sql(stack, f"SELECT pull_state FROM billing_reviews WHERE tenant_id = {t}").strip()
             in ("done", "failed"), 60, "the retrieval job")
    state, message = sql(stack, f"SELECT pull_state, pull_message FROM billing_reviews WHERE tenant_id = {t}"
                         ).strip().split("\t")
    assert state == "done" and message.startswith("Pax8: ") and "billing lines" in message, message
    n = int(sql(stack, f"SELECT COUNT(*) FROM src_charges WHERE tenant_id = {t} AND period_month = '{last_month}-01'"))
    assert n > 0
    page = admin.get(url).text
    assert f"Pax8: {n} billing lines" in page and len(grid(page)) == n
    # no PSA connection: nothing can be linked, every line is unmapped
    assert {v[13] for v in grid(page).values()} == {"unmapped"}


def test_a_long_month_pages_in_order_and_exports_whole(stack):
    admin = signed_in(stack, "billing")
    t = admin.tenant
    sql(stack, f"INSERT INTO connections (tenant_id, kind, system, name, settings) VALUES ({t}, 'source', 'csv',"
               " 'Big file', '{}')")
    conn = sql(stack, f"SELECT id FROM connections WHERE tenant_id = {t}").strip()
    for part in range(0, 1050, 350):
        values = ",".join(f"({t}, {conn}, 'n{i:04d}', '{FIRST}', 'c{i % 37}', 'Customer {i % 37:02d}', 's{i}', 'r{i}',"
                          f" 'Seat pack {i:04d}', 'recurring', '{FIRST}', '{LAST}', {(i + 1) * 1000})"
                          for i in range(part, part + 350))
        sql(stack, "INSERT INTO src_charges (tenant_id, connection_id, line_id, period_month, company_source_id,"
                   " company_name, subscription_source_id, resource_source_id, description, charge_type, period_start,"
                   f" period_end, quantity) VALUES {values}")
    url = f"/review/{MONTH}"
    seen = []
    for page in range(1, 7):
        body = admin.get(f"{url}?page={page}").text
        keys = [html.unescape(k) for k in re.findall(r'name="pick" value="([^"]+)"', body)]
        assert len(keys) == (200 if page < 6 else 50), page
        assert f"Page {page} of 6 (1,050 lines)" in body or f"Page {page} of 6 (1050 lines)" in body
        seen += [(g[0], g[3], k) for k, g in grid(body).items()]
    # every line once, in the grid's order: customer, then product
    assert len({k for _, _, k in seen}) == 1050
    assert [(c, p) for c, p, _ in seen] == sorted((c, p) for c, p, _ in seen)
    rows = list(csv.reader(io.StringIO(admin.get(url + "?format=csv").content.decode("utf-8-sig"))))
    # the export reads the month in batches (db/review.h REVIEW_BATCH): three of them here
    assert len(rows) == 1051 and [(r[0], r[3]) for r in rows[1:]] == [(c, p) for c, p, _ in seen]
