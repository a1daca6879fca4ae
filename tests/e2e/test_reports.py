"""The subscription reports (/reports/subscriptions, /reports/linked, /reports/unlinked):
filters, sorting, paging, totals, the licences-per-customer SVG chart and the CSV export,
checked against an independent Python model of data seeded straight into the snapshot, PSA
cache and link tables of fresh tenants."""
import csv
import io
import random
import re
import uuid
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_EVEN, Decimal
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest

from billsync_test import Client, new_tenant, signed_in, sql
from billsync_test import sql_literal as lit, insert_rows as insert, milli, ten_k

SVG = "{http://www.w3.org/2000/svg}"
REPORTS = ("subscriptions", "linked", "unlinked")


# --- seeding -------------------------------------------------------------------------------
class Data:
    """What a tenant holds, kept in Python as the model the reports are checked against."""

    def __init__(self, stack, tenant):
        self.stack, self.tenant = stack, tenant
        self.conns = {}                     # name -> id
        self.companies, self.subs, self.res = [], [], []
        self.psa_companies, self.contracts, self.services, self.cs, self.links = [], [], [], [], []

    def conn(self, name, kind="source"):
        sql(self.stack, f"INSERT INTO connections (tenant_id, kind, system, name, settings) VALUES "
                        f"({self.tenant}, '{kind}', '{'autotask' if kind == 'psa' else 'csv'}', {lit(name)}, '{{}}')")
        self.conns[name] = int(sql(self.stack, f"SELECT MAX(id) FROM connections WHERE tenant_id = {self.tenant}").strip())
        return self.conns[name]

    def company(self, conn, sid, name, gone=0):
        self.companies.append(dict(conn=conn, sid=sid, name=name, gone=gone))

    def sub(self, conn, sid, company, name, status="active", gone=0):
        self.subs.append(dict(conn=conn, sid=sid, company=company, name=name, status=status, gone=gone))

    def resource(self, conn, sid, sub, company, name, sku, qty, cost, currency="USD", status="active", gone=0):
        self.res.append(dict(conn=conn, sid=sid, sub=sub, company=company, name=name, sku=sku,
                             qty=Decimal(qty), cost=Decimal(cost), currency=currency, status=status, gone=gone))

    def link(self, conn, res_sid, psa, contract, service, active=True):
        self.links.append(dict(conn=conn, res=res_sid, psa=psa, contract=contract, service=service, active=active))

    def save(self):
        t, s = self.tenant, self.stack
        insert(s, "src_companies", [dict(tenant_id=t, connection_id=c["conn"], source_id=c["sid"], name=c["name"],
                                         gone=c["gone"]) for c in self.companies])
        insert(s, "src_subscriptions", [dict(tenant_id=t, connection_id=x["conn"], source_id=x["sid"],
                                             company_source_id=x["company"], name=x["name"], status=x["status"],
                                             gone=x["gone"]) for x in self.subs])
        insert(s, "src_resources", [dict(tenant_id=t, connection_id=r["conn"], source_id=r["sid"],
                                         subscription_source_id=r["sub"], company_source_id=r["company"],
                                         name=r["name"], sku=r["sku"], quantity=milli(r["qty"]),
                                         unit_cost=ten_k(r["cost"]), currency=r["currency"], status=r["status"],
                                         gone=r["gone"]) for r in self.res])
        insert(s, "psa_companies", [dict(tenant_id=t, connection_id=a["conn"], psa_id=a["id"], name=a["name"])
                                    for a in self.psa_companies])
        insert(s, "psa_contracts", [dict(tenant_id=t, connection_id=k["conn"], psa_id=k["id"],
                                         company_psa_id=k["company"], name=k["name"], contract_type="recurring")
                                    for k in self.contracts])
        insert(s, "psa_services", [dict(tenant_id=t, connection_id=v["conn"], psa_id=v["id"], name=v["name"])
                                   for v in self.services])
        insert(s, "psa_contract_services", [dict(tenant_id=t, connection_id=x["conn"], psa_id=x["id"],
                                                 contract_psa_id=x["contract"], service_psa_id=x["service"],
                                                 units=milli(x["units"]), gone=x.get("gone", 0)) for x in self.cs])
        insert(s, "resource_links", [dict(tenant_id=t, src_connection_id=l["conn"], src_resource_id=l["res"],
                                          psa_connection_id=l["psa"], psa_contract_id=l["contract"],
                                          psa_service_id=l["service"], active_key=1 if l["active"] else None,
                                          unlinked_at=None if l["active"] else "2026-01-01 00:00:00")
                                     for l in self.links])
        ids = sql(s, f"SELECT id, connection_id, source_id FROM src_resources WHERE tenant_id = {t}")
        self.row_ids = {(int(c), sid): int(i) for i, c, sid in (line.split("\t") for line in ids.splitlines())}

    # --- the model ----------------------------------------------------------------------
    def rows(self):
        conn_name = {v: k for k, v in self.conns.items()}
        comps = {(c["conn"], c["sid"]): c for c in self.companies}
        subs = {(x["conn"], x["sid"]): x for x in self.subs}
        pcomp = {(a["conn"], a["id"]): a for a in self.psa_companies}
        contracts = {(k["conn"], k["id"]): k for k in self.contracts}
        services = {(v["conn"], v["id"]): v for v in self.services}
        links = {(l["conn"], l["res"]): l for l in self.links if l["active"]}
        out = []
        for r in self.res:
            comp, sub = comps.get((r["conn"], r["company"])), subs.get((r["conn"], r["sub"]))
            if r["gone"] or (comp and comp["gone"]) or (sub and sub["gone"]):
                continue
            row = dict(id=self.row_ids[(r["conn"], r["sid"])], source=conn_name[r["conn"]],
                       company=comp["name"] if comp else r["company"], company_id=r["company"],
                       subscription_id=r["sub"], subscription=sub["name"] if sub else r["sub"],
                       resource_id=r["sid"], resource=r["name"], sku=r["sku"], qty=r["qty"], cost=r["cost"],
                       currency=r["currency"], conn=r["conn"], billing="monthly",
                       status=sub["status"] if sub and sub["status"] != "active" else r["status"])
            row["value_exact"] = r["qty"] * r["cost"]
            row["value"] = row["value_exact"].quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
            link = links.get((r["conn"], r["sid"]))
            row["linked"] = link is not None
            if link:
                k = contracts.get((link["psa"], link["contract"]))
                a = pcomp.get((link["psa"], k["company"])) if k else None
                v = services.get((link["psa"], link["service"]))
                row["account"] = a["name"] if a else (k["company"] if k else None)
                row["contract"] = k["name"] if k else link["contract"]
                row["service"] = v["name"] if v else link["service"]
                units = [x["units"] for x in self.cs if x["conn"] == link["psa"] and x["contract"] == link["contract"]
                         and x["service"] == link["service"] and not x.get("gone")]
                row["psa_units"] = sum(units, Decimal(0)) if units else None
                # the service's sources (every active link feeding it) minus the PSA
                feeding = [x for x in self.res for ln in self.links
                           if ln["active"] and (ln["conn"], ln["res"]) == (x["conn"], x["sid"]) and not x["gone"]
                           and (ln["psa"], ln["contract"], ln["service"]) == (link["psa"], link["contract"],
                                                                               link["service"])]
                row["diff"] = sum((x["qty"] for x in feeding), Decimal(0)) - (row["psa_units"] or 0)
                row["linked_to"] = " / ".join(x for x in (row["account"], row["contract"], row["service"]) if x)
            else:
                row["linked_to"] = "not linked"
            out.append(row)
        return out


def fq(d):
    """qty_format: the shortest exact form."""
    return "0" if d == 0 else format(Decimal(d).normalize(), "f")


def fm(d):
    """report_money: two decimals when exact, else four."""
    d = Decimal(d).quantize(Decimal("0.0001"))
    return f"{d:.2f}" if d == d.quantize(Decimal("0.01")) else f"{d:.4f}"


def cells(report, row):
    if report == "subscriptions":
        return [row["source"], row["company"], row["company_id"], row["subscription_id"], row["subscription"],
                row["resource_id"], row["resource"], fq(row["qty"]), row["status"], row["linked_to"]]
    if report == "linked":
        return [row["source"], row["company"], row["subscription"], row["resource"], fq(row["qty"]),
                row["account"] or "", row["contract"], row["service"],
                "" if row["psa_units"] is None else fq(row["psa_units"]), fq(row["diff"])]
    # every resource here bills monthly (no annual or usage rows: tests/e2e/test_dashboard.py has those)
    return [row["source"], row["company"], row["subscription"], row["resource"], "monthly", fq(row["qty"]),
            fm(row["cost"]), fm(row["value"]), row["currency"]]


SORT_KEYS = {
    "subscriptions": ["source", "company", "company_id", "subscription_id", "subscription", "resource_id",
                      "resource", "count", "status", "linked"],
    "linked": ["source", "company", "subscription", "resource", "count", "account", "contract", "service",
               "psa_units", "diff"],
    "unlinked": ["source", "company", "subscription", "resource", "billing", "count", "unit_cost", "value",
                 "currency"],
}
NUMERIC = {"count": "qty", "unit_cost": "cost", "value": "value_exact", "psa_units": "psa_units", "diff": "diff"}
TEXT = {"linked": "linked_to", "billing": "billing"}


def sort_value(key, row):
    if key in NUMERIC:
        v = row[NUMERIC[key]]
        return (0, Decimal(0)) if v is None else (1, v)    # SQL NULL sorts first
    return (1, (row[TEXT.get(key, key)] or "").casefold())


def select(rows, report, company="", product="", status="", q="", source=0):
    def has(hay, needle):
        return needle.casefold() in hay.casefold()
    out = []
    for r in rows:
        if report == "linked" and not r["linked"] or report == "unlinked" and r["linked"]:
            continue
        if source and r["conn"] != source:
            continue
        if not has(r["company"], company) or not (has(r["resource"], product) or has(r["sku"], product)):
            continue
        if status and r["status"] != status:
            continue
        if not (has(r["company"], q) or has(r["subscription"], q) or has(r["resource"], q)):
            continue
        out.append(r)
    return out


def ordered(rows, key="company", desc=False):
    """The column, then the row id in the same direction (doc/routes.md)."""
    return sorted(rows, key=lambda r: (sort_value(key, r), r["id"]), reverse=desc)


# --- reading the pages ----------------------------------------------------------------------
class Page(HTMLParser):
    def __init__(self, text):
        super().__init__()
        self.section, self.row, self.cell = None, None, None
        self.keys, self.rows, self.totals, self.total_cells = [], [], {}, []
        self._total_key = None
        self.feed(text)
        m = re.search(r"Page (\d+) of (\d+)", text)
        self.page, self.pages = (int(m.group(1)), int(m.group(2))) if m else (None, None)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("thead", "tbody", "tfoot"):
            self.section = tag
        elif tag == "tr" and self.section in ("tbody", "tfoot"):
            self.row = []
        elif tag == "th" and self.section == "thead":
            self.keys.append(a.get("data-key"))
        elif tag == "td" and self.row is not None:
            self.cell = []
            self._total_key = a.get("data-total")

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            text = "".join(self.cell)
            self.row.append(text)
            if self.section == "tfoot" and self._total_key:
                self.totals[self._total_key] = text
            self.cell = None
        elif tag == "tr" and self.row is not None:
            (self.rows if self.section == "tbody" else self.total_cells).append(self.row)
            self.row = None
        elif tag in ("thead", "tbody", "tfoot"):
            self.section = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def url(report, **params):
    params = {k: v for k, v in params.items() if v not in ("", None, 0)}
    return f"/reports/{report}" + ("?" + urlencode(params) if params else "")


def page(c, report, **params):
    r = c.get(url(report, **params))
    assert r.status_code == 200, r.text[:2000]
    return Page(r.text)


def export(c, report, **params):
    r = c.get(url(report, format="csv", **params))
    assert r.status_code == 200, r.text[:2000]
    assert r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers.get("Content-Disposition", "")
    return list(csv.reader(io.StringIO(r.content.decode("utf-8"), newline="")))


def guarded(cell):
    """What core/csvw.h writes for a text cell: a leading apostrophe before a formula."""
    s = cell.lstrip(" ")
    if s[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"[+-]?\d+(\.\d+)?", cell):
        return "'" + cell
    return cell


# --- the data sets --------------------------------------------------------------------------
EVIL = "Evil <script>alert(\"x\")</script> & 'Co'"
FORMULA = "=HYPERLINK(\"http://evil.example\",\"click\")"


@pytest.fixture(scope="module")
def main(stack):
    """A tenant with two distributors and a PSA, links, gone rows, odd names; plus another
    tenant holding look-alike rows that must never show."""
    admin = signed_in(stack)
    d = Data(stack, admin.tenant)
    s1, s2, p = d.conn("Ingram Cloud"), d.conn("Pax8"), d.conn("Autotask", "psa")
    d.company(s1, "1200000501", "Contoso Ltd")
    d.company(s1, "1200000502", EVIL)
    d.company(s1, "1200000503", FORMULA)
    d.company(s1, "1200000504", "Off_Deals 50% Ltd")
    d.company(s1, "1200000505", "Gone Company", gone=1)
    d.company(s2, "PX-1", "Contoso East")
    d.company(s2, "PX-2", "Fabrikam Inc")
    d.sub(s1, "1000101", "1200000501", "Microsoft 365 Business Basic")
    d.sub(s1, "1000102", "1200000501", "Exchange Online (Plan 1)", status="suspended")
    d.sub(s1, "1000201", "1200000502", "Teams Essentials")
    d.sub(s1, "1000301", "1200000503", "Defender for Business", status="cancelled")
    d.sub(s1, "1000401", "1200000504", "Office 365 E3")
    d.sub(s1, "1000402", "1200000504", "Gone Subscription", gone=1)
    d.sub(s1, "1000501", "1200000505", "Ghost Subscription")
    d.sub(s2, "P-11", "PX-1", "Microsoft 365 Business Premium")
    d.sub(s2, "P-21", "PX-2", "Backup")
    d.sub(s2, "P-22", "PX-2", "Visio Plan 2")
    d.resource(s1, "100101", "1000101", "1200000501", "Microsoft 365 Business Basic", "CFQ7TTC0LH18", "12", "5.40")
    d.resource(s1, "100102", "1000101", "1200000501", "Teams Audio Conferencing", "AUDIO1", "3", "1.9999")
    d.resource(s1, "100201", "1000102", "1200000501", "Exchange Online (Plan 1)", "EXO1", "8", "3.60")
    d.resource(s1, "200101", "1000201", "1200000502", "Teams Essentials", "TE1", "5", "4.00")
    d.resource(s1, "300101", "1000301", "1200000503", "Defender for Business", "DFB", "2", "2.70")
    d.resource(s1, "400101", "1000401", "1200000504", "Office 365 E3", "O365E3", "20", "20.75")
    d.resource(s1, "400102", "1000401", "1200000504", "Office 365 E3 Add-on", "O365E3A", "1", "0",
               status="cancelled")
    d.resource(s1, "400103", "1000401", "1200000504", "Gone Resource", "GONE", "4", "1", gone=1)
    d.resource(s1, "400201", "1000402", "1200000504", "Resource of a gone subscription", "GS", "4", "1")
    d.resource(s1, "500101", "1000501", "1200000505", "Resource of a gone company", "GC", "4", "1")
    d.resource(s2, "Q1", "P-11", "PX-1", "Microsoft 365 Business Premium", "CFQ7TTC0LCHC", "7", "19.80", "EUR")
    d.resource(s2, "Q2", "P-21", "PX-2", "Backup Storage GB", "BKP", "1234.567", "0.0125")
    d.resource(s2, "Q3", "P-22", "PX-2", "Visio Plan 2", "VISIO2", "3", "12.345", "EUR")
    d.resource(s2, "Q4", "P-21", "PX-2", "Backup Storage Overage", "BKP-O", "0.125", "0.0005")
    d.psa_companies += [dict(conn=p, id="A1", name="Contoso (Autotask)"), dict(conn=p, id="A2", name="Contoso East AT")]
    d.contracts += [dict(conn=p, id="K1", company="A1", name="Contoso Monthly"),
                    dict(conn=p, id="K2", company="A2", name="East Recurring")]
    d.services += [dict(conn=p, id="V1", name="M365 Basic"), dict(conn=p, id="V2", name="Exchange Plan 1"),
                   dict(conn=p, id="V3", name="M365 Premium")]
    d.cs += [dict(conn=p, id="CS1", contract="K1", service="V1", units=Decimal(10)),
             dict(conn=p, id="CS2", contract="K1", service="V2", units=Decimal(5)),
             dict(conn=p, id="CS3", contract="K1", service="V2", units=Decimal(2)),
             dict(conn=p, id="CS4", contract="K2", service="V3", units=Decimal(99), gone=1)]
    d.link(s1, "100101", p, "K1", "V1")
    d.link(s1, "100201", p, "K1", "V2")
    d.link(s2, "Q1", p, "K2", "V3")
    d.link(s1, "200101", p, "K1", "V1", active=False)       # history only: still unlinked
    d.save()
    # another tenant, same source ids and look-alike names
    other = signed_in(stack)
    o = Data(stack, other.tenant)
    os1 = o.conn("Ingram Cloud")
    o.company(os1, "1200000501", "Contoso Other Tenant Secret")
    o.sub(os1, "1000101", "1200000501", "Microsoft 365 Business Basic")
    o.resource(os1, "100101", "1000101", "1200000501", "Secret Other Tenant Resource", "CFQ7TTC0LH18", "99", "1")
    o.save()
    return admin, d, other, o


WORDS = ["Contoso", "fabrikam", "Northwind", "Tailspin", "Litware", "adatum", "Proseware", "Wingtip", "Alpine",
         "Lucerne", "Margie", "Woodgrove", "Relecloud"]
PRODUCTS = ["Exchange Online Plan 1", "Microsoft 365 Business Basic", "Teams Essentials", "Visio Plan 2",
            "Project Plan 3", "Defender for Business", "Power BI Pro", "Backup Storage"]


@pytest.fixture(scope="module")
def varied(stack):
    """Thirteen companies over two sources with random counts, costs, currencies, statuses and
    links (names without punctuation, so Python's case-folded order is the collation's)."""
    admin = signed_in(stack)
    d = Data(stack, admin.tenant)
    rnd = random.Random(7)
    s1, s2, p = d.conn("Ingram Cloud"), d.conn("Pax8 Feed"), d.conn("ConnectWise", "psa")
    for i in range(8):
        d.psa_companies.append(dict(conn=p, id=f"A{i}", name=f"{rnd.choice(WORDS)} Account {i}"))
        d.contracts.append(dict(conn=p, id=f"K{i}", company=f"A{i}", name=f"Agreement {rnd.choice(WORDS)} {i}"))
    for i, prod in enumerate(PRODUCTS):
        d.services.append(dict(conn=p, id=f"V{i}", name=f"{prod} Service"))
    n = 0
    for ci, word in enumerate(WORDS):
        conn = s1 if ci % 3 else s2
        csid = f"{7000 + ci * 37 % 100:05d}"
        d.company(conn, csid, f"{word} {rnd.choice(['Ltd', 'Inc', 'GmbH', 'Group'])} {ci}")
        for si in range(rnd.randint(2, 3)):
            ssid = f"S{ci:02d}{si}{rnd.randint(100, 999)}"
            d.sub(conn, ssid, csid, f"{rnd.choice(PRODUCTS)} {si}",
                  status=rnd.choice(["active", "active", "active", "suspended", "cancelled"]))
            for ri in range(rnd.randint(1, 4)):
                n += 1
                rsid = f"R{rnd.randint(10000, 99999)}{n:03d}"
                prod = rnd.choice(PRODUCTS)
                qty = Decimal(rnd.randint(0, 400)) / (1 if rnd.random() < .8 else 8)
                cost = Decimal(rnd.randint(0, 300000)) / 10000
                d.resource(conn, rsid, ssid, csid, f"{prod} {ri}", f"SKU{rnd.randint(1, 9)}", qty, cost,
                           currency=rnd.choice(["USD", "USD", "EUR"]),
                           status=rnd.choice(["active", "active", "suspended", "cancelled"]))
                if rnd.random() < .5:
                    k, v = rnd.randint(0, 7), rnd.randint(0, len(PRODUCTS) - 1)
                    d.link(conn, rsid, p, f"K{k}", f"V{v}")
                    if rnd.random() < .8:
                        d.cs.append(dict(conn=p, id=f"CS{n}", contract=f"K{k}", service=f"V{v}",
                                         units=Decimal(rnd.randint(0, 400))))
    d.save()
    return admin, d


# --- tests ----------------------------------------------------------------------------------
def test_rows_totals_and_csv_match_the_model(main):
    admin, d, _, _ = main
    rows = d.rows()
    for report in REPORTS:
        want = ordered(select(rows, report))
        p = page(admin, report)
        assert p.keys == SORT_KEYS[report]
        assert p.rows == [cells(report, r) for r in want], report
        assert p.totals["quantity"] == fq(sum((r["qty"] for r in want), Decimal(0)))
        assert p.total_cells[0][0] == f"Total: {len(want)} rows"
        data = export(admin, report)
        assert data[0][0] == "Source" and len(data[0]) == len(SORT_KEYS[report])
        assert data[1:] == [[guarded(c) for c in row] for row in p.rows]
    assert len(ordered(select(rows, "subscriptions"))) == 11    # gone resource, subscription, company left out


def test_linked_report_shows_psa_units_and_difference(main):
    admin, d, _, _ = main
    p = page(admin, "linked")
    by_resource = {r[3]: r for r in p.rows}
    # two contract-service rows for one product are summed; a gone one counts as missing
    assert by_resource["Exchange Online (Plan 1)"][4:] == ["8", "Contoso (Autotask)", "Contoso Monthly",
                                                         "Exchange Plan 1", "7", "1"]
    assert by_resource["Microsoft 365 Business Basic"][8:] == ["10", "2"]
    assert by_resource["Microsoft 365 Business Premium"][8:] == ["", "7"]
    sub = page(admin, "subscriptions", company="Contoso Ltd")
    linked_to = {r[6]: r[9] for r in sub.rows}
    assert linked_to["Microsoft 365 Business Basic"] == "Contoso (Autotask) / Contoso Monthly / M365 Basic"
    assert linked_to["Teams Audio Conferencing"] == "not linked"


def test_unlinked_values_and_totals_are_exact(main):
    admin, d, _, _ = main
    want = ordered(select(d.rows(), "unlinked"))
    p = page(admin, "unlinked")
    assert [r[7] for r in p.rows] == [fm(r["value"]) for r in want]
    # 1234.567 × 0.0125 = 15.4320875 → 15.4321; 0.125 × 0.0005 = 0.0000625 → 0.0001
    values = {r[3]: r[7] for r in p.rows}
    assert values["Backup Storage GB"] == "15.4321" and values["Backup Storage Overage"] == "0.0001"
    assert values["Teams Audio Conferencing"] == "5.9997"
    totals = {}
    for r in want:
        totals[r["currency"]] = totals.get(r["currency"], Decimal(0)) + r["value"]
    assert p.totals["value"] == "; ".join(f"{fm(v)} {c}" for c, v in sorted(totals.items()))
    assert "Backup Storage GB" in {r[3] for r in p.rows} and "Microsoft 365 Business Basic" not in values
    # a link that was removed (history only) leaves the resource unlinked
    assert "Teams Essentials" in values


@pytest.mark.parametrize("filters", [
    dict(company="contoso"),
    dict(company="%"),                       # literal: only the name with a percent sign
    dict(company="_"),                       # literal: only the name with an underscore
    dict(company="nobody at all"),
    dict(product="exchange"),
    dict(product="CFQ7TTC0"),               # SKU
    dict(status="suspended"),
    dict(status="cancelled"),
    dict(status="active"),
    dict(q="teams"),
    dict(q="fabrikam"),
    dict(q="microsoft", status="active"),
    dict(source="Pax8"),
    dict(source="Ingram Cloud", product="o", q="e"),
])
def test_each_filter_narrows_rows_exactly(main, filters):
    admin, d, _, _ = main
    f = dict(filters)
    if "source" in f:
        f["source"] = d.conns[f["source"]]
    rows = d.rows()
    for report in REPORTS:
        want = [cells(report, r) for r in ordered(select(rows, report, **f))]
        p = page(admin, report, **f)
        assert p.rows == want, (report, f)
        assert export(admin, report, **f)[1:] == [[guarded(c) for c in row] for row in want]
        if not want:
            assert p.rows == []
    assert len(select(rows, "subscriptions", company="%")) == 2
    assert len(select(rows, "subscriptions", company="_")) == 2


def test_every_sort_column_orders_rows_both_ways(varied):
    admin, d = varied
    rows = d.rows()
    assert len(rows) > 50
    for report in REPORTS:
        sel = select(rows, report)
        for key in SORT_KEYS[report]:
            for desc in (False, True):
                dirname = "desc" if desc else "asc"
                want = [cells(report, r) for r in ordered(sel, key, desc)]
                data = export(admin, report, sort=key, dir=dirname)
                assert data[1:] == want, (report, key, dirname)
                p = page(admin, report, sort=key, dir=dirname)
                assert p.rows == want[:50], (report, key, dirname)


def test_paging_120_rows_in_three_pages(stack):
    admin = signed_in(stack)
    d = Data(stack, admin.tenant)
    s = d.conn("Ingram Cloud")
    d.company(s, "C1", "Paged Company")
    d.sub(s, "S1", "C1", "Seats")
    for i in range(120):
        d.resource(s, f"R{i:03d}", "S1", "C1", f"Seat {i:03d}", "SEAT", str(i % 7), "1.25")
    d.save()
    want = [cells("subscriptions", r) for r in ordered(d.rows(), "resource")]
    seen = []
    for n, size in ((1, 50), (2, 50), (3, 20)):
        p = page(admin, "subscriptions", sort="resource", page=n)
        assert (p.page, p.pages, len(p.rows)) == (n, 3, size)
        assert p.totals["quantity"] == fq(sum(Decimal(i % 7) for i in range(120)))
        seen += p.rows
    assert seen == want
    html = admin.get(url("subscriptions", sort="resource", page=2)).text
    assert 'href="/reports/subscriptions?sort=resource&amp;dir=asc&amp;page=3" rel="next"' in html
    assert 'href="/reports/subscriptions?sort=resource&amp;dir=asc" rel="prev"' in html
    assert page(admin, "subscriptions", page=99).page == 3         # past the end: the last page
    assert len(export(admin, "subscriptions", page=2)) == 121     # the export holds every page
    for bad in ("0", "-1", "x", "100001"):
        assert admin.get(f"/reports/subscriptions?page={bad}").status_code == 400


def test_chart_is_well_formed_svg_with_top_ten_companies(varied, main):
    admin, d = varied
    html = admin.get("/reports/subscriptions").text
    svg = ET.fromstring(re.search(r"<svg\b.*?</svg>", html, re.S).group(0))
    bars = svg.findall(f".//{SVG}rect")
    per = {}
    for r in d.rows():
        per[r["company"]] = per.get(r["company"], Decimal(0)) + r["qty"]
    top = sorted(((k, v) for k, v in per.items() if v > 0), key=lambda kv: (-kv[1], kv[0].casefold()))[:10]
    assert len(per) == 13 and len(bars) == 10
    assert [b.get("data-value") for b in bars] == [fq(v) for _, v in top]
    assert [b.find(f"{SVG}title").text for b in bars] == [f"{c}: {fq(v)}" for c, v in top]
    widths = [int(b.get("width")) for b in bars]
    assert widths == sorted(widths, reverse=True) and widths[0] == 420
    # each bar links to the same report filtered on that company
    links = svg.findall(f".//{SVG}a")
    assert len(links) == 10
    name, value = top[3]
    target = links[3].get("href")
    assert target.startswith("/reports/subscriptions?company=")
    p = page(admin, "subscriptions", company=name)
    assert admin.get(target).text == admin.get(url("subscriptions", company=name, sort="company", dir="asc")).text
    assert {r[1] for r in p.rows} == {name}
    assert p.totals["quantity"] == fq(value)
    # within the filters: the unlinked report charts only unlinked counts
    uhtml = admin.get("/reports/unlinked?status=active").text
    usvg = ET.fromstring(re.search(r"<svg\b.*?</svg>", uhtml, re.S).group(0))
    uper = {}
    for r in select(d.rows(), "unlinked", status="active"):
        uper[r["company"]] = uper.get(r["company"], Decimal(0)) + r["qty"]
    utop = sorted(((k, v) for k, v in uper.items() if v > 0), key=lambda kv: (-kv[1], kv[0].casefold()))[:10]
    assert [b.get("data-value") for b in usvg.findall(f".//{SVG}rect")] == [fq(v) for _, v in utop]
    assert all("status=active" in a.get("href") for a in usvg.findall(f".//{SVG}a"))
    # names with markup and quotes stay text in the SVG too
    madmin = main[0]
    msvg = ET.fromstring(re.search(r"<svg\b.*?</svg>", madmin.get("/reports/subscriptions").text, re.S).group(0))
    labels = [t.text for t in msvg.findall(f".//{SVG}text") if t.get("class") == "label"]
    titles = [b.find(f"{SVG}title").text for b in msvg.findall(f".//{SVG}rect")]
    assert f"{EVIL}: 5" in titles and f"{FORMULA}: 2" in titles
    assert any(lbl.startswith("Evil <script>") and lbl.endswith("\u2026") for lbl in labels)


def test_hostile_names_are_inert_in_html_and_csv(main):
    admin, d, _, _ = main
    for report in ("subscriptions", "unlinked"):
        r = admin.get(f"/reports/{report}")
        assert "<script>alert" not in r.text
        assert "Evil &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Co&#39;" in r.text
        assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
    data = export(admin, "subscriptions")
    companies = [row[1] for row in data[1:]]
    assert EVIL in companies                                       # quotes round-trip through RFC 4180
    assert "'" + FORMULA in companies and FORMULA not in companies  # formula guarded
    raw = admin.get("/reports/subscriptions?format=csv").content.decode("utf-8")
    assert '"Evil <script>alert(""x"")</script> & \'Co\'"' in raw and raw.endswith("\r\n")
    # a hostile filter value is echoed escaped, in the form and in every link
    evil = '"><script>alert(1)</script>'
    r = admin.get(url("subscriptions", q=evil, company="a&b=c"))
    assert r.status_code == 200 and "<script>alert(1)" not in r.text
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in r.text
    assert "company=a%26b%3Dc&amp;q=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E&amp;sort=company&amp;dir=asc&amp;format=csv" in r.text


@pytest.mark.parametrize("query", [
    "sort=bogus", "sort=unit_cost", "sort=company%3B%20DROP%20TABLE%20src_resources", "sort=r.id",
    "dir=up", "dir=asc%20", "status=deleted", "status=Active", "source=abc", "source=-1", "format=xml",
    "company=" + "x" * 201, "q=" + "y" * 201, "product=" + "z" * 201,
])
def test_invalid_sort_or_filter_is_a_400_page(main, query):
    admin = main[0]
    for report in REPORTS:
        if query == "sort=unit_cost" and report == "unlinked":
            continue
        r = admin.get(f"/reports/{report}?{query}")
        assert r.status_code == 400, (report, query)
        assert "text/html" in r.headers["Content-Type"] and "<html" in r.text
        r = admin.get(f"/reports/{report}?{query}&format=csv")
        assert r.status_code == 400 and "text/csv" not in r.headers["Content-Type"]
    assert admin.get("/reports/linked?sort=psa_units&dir=desc").status_code == 200
    assert admin.get("/reports/subscriptions?sort=psa_units").status_code == 400


def test_another_tenants_rows_never_appear(main):
    admin, d, other, o = main
    for report in REPORTS:
        for body in (admin.get(f"/reports/{report}").text, admin.get(f"/reports/{report}?format=csv").text,
                     admin.get(f"/reports/{report}?q=secret").text):
            assert "Secret" not in body and "Other Tenant" not in body
        # the other tenant's connection id is not a filter this tenant can use
        other_conn = o.conns["Ingram Cloud"]
        assert admin.get(f"/reports/{report}?source={other_conn}").status_code == 400
        # and the other tenant sees only its own row
        p = page(other, report)
        assert all("Other Tenant" in r[1] for r in p.rows)
    assert len(page(other, "subscriptions").rows) == 1 and page(other, "linked").rows == []


def test_viewer_can_open_reports_and_exports(main, stack):
    admin, d, _, _ = main
    viewer = signed_in(stack, "viewer", tenant=admin.tenant)
    for report in REPORTS:
        r = viewer.get(f"/reports/{report}")
        assert r.status_code == 200 and "id=\"report-table\"" in r.text
        assert viewer.get(f"/reports/{report}?format=csv").status_code == 200
    home = viewer.get("/").text
    assert 'href="/reports/subscriptions"' in home and ">Reports<" in home
    # signed out: to the sign-in page, the report kept as the next page
    r = Client(stack).get("/reports/unlinked?status=active")
    assert r.status_code in (302, 303) and r.headers["Location"].startswith("/login?next=")
    # GET only
    assert viewer.post("/reports/subscriptions", data={"csrf": "x"}).status_code in (403, 405)


def test_empty_tenant_shows_an_empty_report(stack):
    _, tenant = new_tenant(stack, f"Empty {uuid.uuid4().hex[:6]}")
    c = signed_in(stack, "viewer", tenant=tenant)
    for report in REPORTS:
        r = c.get(f"/reports/{report}")
        assert r.status_code == 200 and "Nothing matches these filters." in r.text and "<svg" not in r.text
        assert export(c, report) == [export(c, report)[0]]
