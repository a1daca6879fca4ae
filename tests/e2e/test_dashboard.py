"""The dashboard (/) and the pre-invoicing checklist (/checklist): tiles, charts and the
getting-started steps checked against an independent Python model of rows seeded straight
into the snapshot, PSA cache, link, ledger and connection tables of fresh tenants.

Rules under test (issue 13 item 12, money on the dashboard):
* a usage resource (billing cycle 'usage': backup storage) counts GB, never seats: the seat
  figures (unbilled seats, licences per customer, seats per product) leave it out and the
  "Unbilled usage" tile shows its GB;
* an annual resource is linked when it has a resource link or its subscription is linked (it is
  billed as one-time charges on that contract);
* leakage, per unlinked active resource: quantity x unit cost rounded half-even to 1/10000
  (money_mul_qty); for an annual one, whose unit cost is for a year, that product / 12 computed
  exactly, rounded half-even to 1/10000 and then half-even to the cent (prorate_to_cents); the
  rounded values summed exactly. The annual part is also shown apart (a month, a year);
* every figure links to a report whose totals are the figure."""
import datetime as dt
import html
import random
import re
import uuid
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_EVEN, Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from billsync_test import Client, new_tenant, signed_in, sql, wait_for
from billsync_test import insert_rows as insert, milli, ten_k
from testclock import today, utcnow

SVG = "{http://www.w3.org/2000/svg}"
TILES = ("linked", "unlinked", "seats", "usage", "leakage", "failed", "approvals", "drift", "margin")
CENT, TEN_K = Decimal("0.01"), Decimal("0.0001")


def monthly_value(qty, cost, cycle):
    """The unlinked report's and the leakage's monthly value of one resource (the model)."""
    if cycle == "annual":
        return (qty * cost / 12).quantize(TEN_K, rounding=ROUND_HALF_EVEN).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return (qty * cost).quantize(TEN_K, rounding=ROUND_HALF_EVEN)


# --- seeding -------------------------------------------------------------------------------
def utc_today():
    return today()


def conn(stack, tenant, name, kind="source", **extra):
    """A connection the worker leaves alone: CSV sources are never refreshed, and a fresh
    refreshed_at keeps the PSA one off the refresh schedule for the test's duration."""
    row = dict(tenant_id=tenant, kind=kind, system="autotask" if kind == "psa" else "csv", name=name,
               settings="{}", refreshed_at=utcnow().replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S"),
               refresh_status="ok", status="ok")
    row.update(extra)
    insert(stack, "connections", [row])
    return int(sql(stack, f"SELECT MAX(id) FROM connections WHERE tenant_id = {tenant}").strip())



def hold_scheduler(stack, tenant, finished=True):
    """A sync that started just now, so the scheduler does not start one during the test."""
    fin = "UTC_TIMESTAMP(6)" if finished else "NULL"
    sql(stack, f"INSERT INTO tenant_sync (tenant_id, started_at, finished_at, result) VALUES "
               f"({tenant}, UTC_TIMESTAMP(6), {fin}, 'seeded by the test') ON DUPLICATE KEY UPDATE "
               f"started_at = VALUES(started_at), finished_at = VALUES(finished_at), result = VALUES(result)")


class Tenant:
    """Rows of one tenant and the model of what the dashboard must show for them."""

    def __init__(self, stack, tenant):
        self.stack, self.t = stack, tenant
        self.companies, self.subs, self.res, self.links, self.cs, self.adj = [], [], [], [], [], []
        self.sub_links = []
        self.n = 0

    def company(self, conn, sid, name, gone=0):
        self.companies.append(dict(conn=conn, sid=sid, name=name, gone=gone))

    def sub(self, conn, sid, company, status="active", gone=0, cycle="monthly"):
        self.subs.append(dict(conn=conn, sid=sid, company=company, status=status, gone=gone, cycle=cycle))

    def resource(self, conn, sid, sub, company, name, qty, cost, currency="USD", status="active", gone=0,
                 cycle="monthly"):
        self.res.append(dict(conn=conn, sid=sid, sub=sub, company=company, name=name, qty=Decimal(qty),
                             cost=Decimal(cost), currency=currency, status=status, gone=gone, cycle=cycle))

    def sub_link(self, conn, sub, psa, contract="KA", active=True):
        """A subscription linked to a contract: an annual one is billed there as charges."""
        self.sub_links.append(dict(conn=conn, sub=sub, psa=psa, contract=contract, active=active))

    def link(self, conn, res, psa, contract="K1", service="S1", active=True, last_posted=None):
        self.links.append(dict(conn=conn, res=res, psa=psa, contract=contract, service=service, active=active,
                               last_posted=last_posted))

    def adjustment(self, link_res, state, created, desired=1, effective="2025-01-01", psa=None, conn=None):
        self.n += 1
        self.adj.append(dict(res=link_res, state=state, created=created, desired=desired, effective=effective,
                             key=f"k{self.n}-{uuid.uuid4().hex[:6]}", psa=psa, conn=conn))

    def save(self):
        t, s = self.t, self.stack
        insert(s, "src_companies", [dict(tenant_id=t, connection_id=c["conn"], source_id=c["sid"], name=c["name"],
                                         gone=c["gone"]) for c in self.companies])
        insert(s, "src_subscriptions", [dict(tenant_id=t, connection_id=x["conn"], source_id=x["sid"],
                                             company_source_id=x["company"], name="Sub " + x["sid"],
                                             status=x["status"], gone=x["gone"], billing_cycle=x["cycle"])
                                        for x in self.subs])
        insert(s, "src_resources", [dict(tenant_id=t, connection_id=r["conn"], source_id=r["sid"],
                                         subscription_source_id=r["sub"], company_source_id=r["company"],
                                         name=r["name"], quantity=milli(r["qty"]), unit_cost=ten_k(r["cost"]),
                                         currency=r["currency"], status=r["status"], gone=r["gone"],
                                         billing_cycle=r["cycle"], term_months=12 if r["cycle"] == "annual" else 1)
                                    for r in self.res])
        insert(s, "subscription_links", [dict(tenant_id=t, src_connection_id=x["conn"], src_subscription_id=x["sub"],
                                              psa_connection_id=x["psa"], psa_contract_id=x["contract"],
                                              active_key=1 if x["active"] else None,
                                              unlinked_at=None if x["active"] else "2025-01-01 00:00:00")
                                         for x in self.sub_links])
        insert(s, "resource_links", [dict(tenant_id=t, src_connection_id=l["conn"], src_resource_id=l["res"],
                                          psa_connection_id=l["psa"], psa_contract_id=l["contract"],
                                          psa_service_id=l["service"], active_key=1 if l["active"] else None,
                                          unlinked_at=None if l["active"] else "2025-01-01 00:00:00",
                                          last_posted_units=None if l["last_posted"] is None
                                          else milli(l["last_posted"]))
                                     for l in self.links])
        insert(s, "psa_contract_services", [dict(tenant_id=t, connection_id=x["psa"], psa_id=x["id"],
                                                 contract_psa_id=x["contract"], service_psa_id=x["service"],
                                                 units=milli(x["units"]), gone=x.get("gone", 0)) for x in self.cs])
        ids = sql(s, f"SELECT id, src_connection_id, src_resource_id FROM resource_links WHERE tenant_id = {t}"
                     " AND active_key = 1")
        link_ids = {(int(c), r): int(i) for i, c, r in (line.split("\t") for line in ids.splitlines())}
        rows = []
        for a in self.adj:
            l = next(x for x in self.links if x["res"] == a["res"] and x["active"])
            rows.append(dict(tenant_id=t, resource_link_id=link_ids[(l["conn"], l["res"])], origin="sync",
                             src_connection_id=l["conn"], src_resource_id=l["res"], psa_connection_id=l["psa"],
                             psa_contract_id=l["contract"], psa_service_id=l["service"],
                             desired_units=milli(a["desired"]), psa_units_before=0, unit_change=milli(a["desired"]),
                             effective_date=a["effective"], state=a["state"], idempotency_key=a["key"],
                             created_at=a["created"].strftime("%Y-%m-%d %H:%M:%S"),
                             posted_at=a["created"].strftime("%Y-%m-%d %H:%M:%S") if a["state"] == "verified"
                             else None))
        insert(s, "adjustments", rows)

    # --- the model ----------------------------------------------------------------------
    def rows(self):
        comps = {(c["conn"], c["sid"]): c for c in self.companies}
        subs = {(x["conn"], x["sid"]): x for x in self.subs}
        active_links = {(l["conn"], l["res"]) for l in self.links if l["active"]}
        linked_subs = {(x["conn"], x["sub"]) for x in self.sub_links if x["active"]}
        conns = {int(x) for x in sql(self.stack, f"SELECT id FROM connections WHERE tenant_id = {self.t}").split()}
        out = []
        for r in self.res:
            comp, sub = comps.get((r["conn"], r["company"])), subs.get((r["conn"], r["sub"]))
            if r["gone"] or (comp and comp["gone"]) or (sub and sub["gone"]) or r["conn"] not in conns:
                continue
            # an annual resource is billed through its subscription's link (one-time charges)
            linked = (r["conn"], r["sid"]) in active_links or (
                r["cycle"] == "annual" and (r["conn"], r["sub"]) in linked_subs)
            out.append(dict(company=comp["name"] if comp else r["company"], product=r["name"], qty=r["qty"],
                            cost=r["cost"], currency=r["currency"], linked=linked, cycle=r["cycle"],
                            usage=r["cycle"] == "usage", seats=Decimal(0) if r["cycle"] == "usage" else r["qty"],
                            active=r["status"] == "active" and (sub is None or sub["status"] == "active")))
        return out

    def expected(self):
        rows = self.rows()
        unbilled = [r for r in rows if not r["linked"] and r["active"]]
        leak, annual_month, annual_year = {}, {}, {}
        for r in unbilled:
            v = monthly_value(r["qty"], r["cost"], r["cycle"])
            leak[r["currency"]] = leak.get(r["currency"], Decimal(0)) + v
            if r["cycle"] == "annual":
                annual_month[r["currency"]] = annual_month.get(r["currency"], Decimal(0)) + v
                annual_year[r["currency"]] = annual_year.get(r["currency"], Decimal(0)) + (
                    r["qty"] * r["cost"]).quantize(TEN_K, rounding=ROUND_HALF_EVEN)
        by = lambda key: sorted(((k, v) for k, v in _sums(rows, key).items() if v > 0),
                                key=lambda kv: (-kv[1], kv[0]))[:10]
        # drift, per PSA contract service fed by active links: the service's last verified post
        # vs the cached PSA units (a service billsync never posted to is not compared)
        drift = 0
        services = {}
        for l in self.links:
            if l["active"]:
                services.setdefault((l["psa"], l["contract"], l["service"]), []).append(l["res"])
        for (psa, contract, service), feeding in services.items():
            ver = [a for a in self.adj if a["res"] in feeding and a["state"] == "verified"]
            units = [Decimal(x["units"]) for x in self.cs if x["psa"] == psa and x["contract"] == contract
                     and x["service"] == service and not x.get("gone")]
            if ver and units and Decimal(max(ver, key=lambda a: a["created"])["desired"]) != sum(units):
                drift += 1
        today = utc_today()
        days = {}
        for a in self.adj:
            d = a["created"].date()
            if a["state"] in ("verified", "failed") and 0 <= (today - d).days < 30:
                days[d.isoformat()] = days.get(d.isoformat(), 0) + 1
        return dict(
            linked=sum(r["linked"] for r in rows), unlinked=sum(not r["linked"] for r in rows),
            seats=sum((r["seats"] for r in unbilled), Decimal(0)),
            usage=sum((r["qty"] for r in unbilled if r["usage"]), Decimal(0)), leakage=leak,
            annual={c: (annual_month[c], annual_year[c]) for c in annual_month},
            annual_rows=sum(r["cycle"] == "annual" for r in unbilled),
            seat_rows=sum(not r["usage"] for r in unbilled), usage_rows=sum(r["usage"] for r in unbilled),
            failed=sum(a["state"] == "failed" for a in self.adj),
            approvals=sum(a["state"] == "awaiting_approval" for a in self.adj), drift=drift,
            customers=by("company"), products=by("product"), days=days, unbilled_rows=len(unbilled))


def _sums(rows, key):
    """Seats per company or product: usage (GB) is no licence."""
    out = {}
    for r in rows:
        out[r[key]] = out.get(r[key], Decimal(0)) + r["seats"]
    return out


# --- reading the page ------------------------------------------------------------------------
def tiles(page):
    out = {}
    for m in re.finditer(r'<a class="tile (\w+)" id="tile-(\w+)" href="([^"]*)">(.*?)</a>', page, re.S):
        level, key, href, body = m.groups()
        amounts = {c: Decimal(v) for c, v in re.findall(r'data-currency="([^"]*)" data-value="([^"]*)"', body)}
        annual = {c: (Decimal(m), Decimal(y)) for c, m, y in re.findall(
            r'class="annual-amount" data-currency="([^"]*)" data-month="([^"]*)" data-year="([^"]*)"', body)}
        value = re.search(r'class="tile-value[^"]*" data-value="([^"]*)"', body)
        unit = re.search(r'<span class="currency unit">([^<]*)</span>', body)
        note = re.search(r'<span class="tile-note">(.*?)</span>', body, re.S)
        out[key] = dict(level=level, href=html.unescape(href), amounts=amounts, annual=annual,
                        value=html.unescape(value.group(1)) if value else None, unit=unit.group(1) if unit else None,
                        note=html.unescape(note.group(1)) if note else "", body=html.unescape(body))
    return out


def svg_in(page, section):
    m = re.search(rf'<section id="{section}"[^>]*>(.*?)</section>', page, re.S)
    assert m, section
    svgs = re.findall(r"<svg\b.*?</svg>", m.group(1), re.S)
    assert len(svgs) <= 1
    return ET.fromstring(svgs[0]) if svgs else None


def bar_links(svg):
    """(href, rect) per bar: every <rect class="bar"> sits in an <a href>."""
    out = []
    for a in svg.iter(SVG + "a"):
        rects = [r for r in a.iter(SVG + "rect") if r.get("class") == "bar"]
        assert len(rects) == 1
        out.append((a.get("href"), rects[0]))
    assert len(out) == len([r for r in svg.iter(SVG + "rect") if r.get("class") == "bar"])
    return out


def query(href):
    u = urlsplit(href)
    return u.path, {k: v[0] for k, v in parse_qs(u.query, keep_blank_values=True).items()}


def report_totals(client, href):
    """The totals row of a report: rows, and its quantity and value totals as shown."""
    r = client.get(href)
    assert r.status_code == 200, href
    if 'id="report-empty"' in r.text:
        return dict(rows=0, quantity=None, value=None)
    foot = re.search(r"<tfoot>(.*?)</tfoot>", r.text, re.S).group(1)
    got = dict(rows=int(re.search(r'data-rows="(\d+)"', foot).group(1)))
    for key in ("quantity", "value"):
        m = re.search(rf'data-total="{key}">([^<]*)<', foot)
        got[key] = html.unescape(m.group(1)) if m else None
    return got


def fq(d):
    """qty_format: the shortest exact form."""
    return "0" if d == 0 else format(Decimal(d).normalize(), "f")


def fm(d):
    """report_money: two decimals when exact, else four."""
    d = Decimal(d).quantize(TEN_K)
    return f"{d:.2f}" if d == d.quantize(CENT) else f"{d:.4f}"


def money_total(per_currency):
    """The report's value total: per currency, alphabetical."""
    return "; ".join(f"{fm(v)} {c}" for c, v in sorted(per_currency.items())) or "0.00"


def qty_total(seats, gb, seat_rows, usage_rows):
    """The report's count total: seats, usage apart in GB."""
    if not usage_rows:
        return fq(seats)
    if not seat_rows:
        return f"{fq(gb)} GB"
    return f"{fq(seats)} seats; {fq(gb)} GB"


def report_row_count(client, href):
    r = client.get(href)
    assert r.status_code == 200, href
    if 'id="report-empty"' in r.text:
        return 0
    body = re.search(r"<tbody>(.*?)</tbody>", r.text, re.S).group(1)
    return len(re.findall(r"<tr\b", body))


# --- fixtures ----------------------------------------------------------------------------------
def seed_main(stack, tenant, rnd, big=False):
    d = Tenant(stack, tenant)
    src = conn(stack, tenant, "Ingram Micro")
    src2 = conn(stack, tenant, "Pax8 EU")
    psa = conn(stack, tenant, "Autotask", kind="psa")
    d.src, d.src2, d.psa = src, src2, psa
    names = ["Acme Corp", "Bravo & Sons <Ltd>", "Ça Va Café", "O'Brien \"Holdings\"", "Delta\tTabs", "Echo",
             "Foxtrot", "Golf", "Hotel", "India", "Juliet", "Kilo"]
    products = ["Microsoft 365 E3", "Exchange Online (Plan 1)", "Teams Essentials", "Backup 1TB", "Defender P2",
                "Visio Plan 2", "Project Plan 3", "Power BI Pro", "Intune", "Entra ID P1", "Copilot", "Azure Plan"]
    mult = 1000 if big else 1
    used = set()
    for i, name in enumerate(names):
        d.company(src, f"C{i}", name)
        d.sub(src, f"S{i}", f"C{i}", status="suspended" if i == 3 else "active")
        # distinct totals per company and per product (ties would leave the order to collation)
        for j in range(3):
            k = (i * 3 + j) % len(products)
            sid = f"R{i}-{j}"
            qty = Decimal(i * 7 + j * 3 + 1 + (j == 2) * Decimal("0.5")) * mult
            cost = Decimal(rnd.randint(1, 400000)) / 10000
            status = "cancelled" if (i, j) == (5, 1) else "active"
            d.resource(src, sid, f"S{i}", f"C{i}", products[k], qty, cost, status=status)
            used.add(sid)
    # half-even per row: 1.5 x 0.0003 = 0.00045 -> 0.0004; 2.5 x 0.0001 = 0.00025 -> 0.0002
    d.resource(src, "RH1", "S0", "C0", "Rounding A", "1.5", "0.0003")
    d.resource(src, "RH2", "S0", "C0", "Rounding B", "2.5", "0.0001")
    d.resource(src, "RH3", "S0", "C0", "Rounding C", "0.125", "0.0005")
    d.resource(src, "REUR", "S1", "C1", "Euro seat", "3", "9.9999", currency="EUR")
    # not counted: gone resource, gone company, gone subscription
    d.resource(src, "RG", "S0", "C0", "Gone thing", "500", "100", gone=1)
    d.company(src, "CG", "Gone Company", gone=1)
    d.sub(src, "SG", "CG")
    d.resource(src, "RGC", "SG", "CG", "On a gone company", "400", "100")
    d.sub(src, "SGS", "C2", gone=1)
    d.resource(src, "RGS", "SGS", "C2", "On a gone subscription", "300", "100")
    # a resource with no company row and no subscription row: shown by its source id
    d.resource(src2, "X1", "SX", "CX-no-row", "Orphan seat", "2", "1.25")
    # a resource of a connection that does not exist: in no report
    d.resource(999999999, "Z1", "SZ", "CZ", "Nowhere", "50", "1")
    # backup usage: GB, never seats (counted as seats, Echo and this product would top the charts)
    d.sub(src, "SU5", "C5", cycle="usage")
    d.resource(src, "U5", "SU5", "C5", "Backup storage (GB)", "5000.125", "0.05", cycle="usage")
    # an unlinked annual subscription: a twelfth of its yearly cost a month (601.20 / 12 = 50.10)
    d.sub(src, "SA6", "C6", cycle="annual")
    d.resource(src, "A6", "SA6", "C6", "Visio annual", "4", "150.30", cycle="annual")
    # an annual subscription linked to a contract: billed as one-time charges, no leakage
    d.sub(src, "SA7", "C7", cycle="annual")
    d.resource(src, "A7", "SA7", "C7", "Power BI annual", "5", "363.00", cycle="annual")

    # links: linked resources, a past link (so unlinked again)
    for i in range(0, 12, 2):
        d.link(src, f"R{i}-0", psa, contract=f"K{i}", service=f"S{i}")
    d.link(src, "R1-0", psa, contract="KX", service="SX", active=False)
    d.sub_link(src, "SA7", psa, contract="KA7")
    # a second subscription's resource on the same contract service as R2-0 (one service, two links)
    d.link(src, "R2-1", psa, contract="K2", service="S2")
    # drift cases on the linked ones (PSA cache vs the last verified post)
    d.cs += [dict(psa=psa, id="cs0", contract="K0", service="S0", units="7"),     # verified 5 -> drift
             dict(psa=psa, id="cs2", contract="K2", service="S2", units="4"),     # verified 4 -> in step
             dict(psa=psa, id="cs4a", contract="K4", service="S4", units="3"),    # verified 9 vs 3+3
             dict(psa=psa, id="cs4b", contract="K4", service="S4", units="3"),
             dict(psa=psa, id="cs6", contract="K6", service="S6", units="8"),     # never posted: not drift
             dict(psa=psa, id="cs8", contract="K8", service="S8", units="2"),     # verified 2, gone row
             dict(psa=psa, id="cs8g", contract="K8", service="S8", units="5", gone=1)]
    now = utcnow().replace(tzinfo=None).replace(hour=12, minute=0, second=0, microsecond=0)
    d.adjustment("R0-0", "verified", now - dt.timedelta(days=3), desired=3)
    d.adjustment("R0-0", "verified", now - dt.timedelta(days=2), desired=5)      # the latest: 5 vs 7
    d.adjustment("R2-0", "verified", now - dt.timedelta(days=1), desired=4)
    d.adjustment("R4-0", "verified", now - dt.timedelta(days=4), desired=9)
    # the service's newest verified post (R2-0's 4) is what billsync left: R2-1's older 1 is no drift
    d.adjustment("R2-1", "verified", now - dt.timedelta(days=5), desired=1)
    d.adjustment("R8-0", "verified", now - dt.timedelta(days=4), desired=2)
    d.adjustment("R2-0", "failed", now - dt.timedelta(days=1), desired=6)
    d.adjustment("R2-0", "failed", now - dt.timedelta(days=45), desired=6)       # older than the chart
    d.adjustment("R6-0", "awaiting_approval", now - dt.timedelta(days=1), desired=6)
    d.adjustment("R6-0", "awaiting_approval", now, desired=7)
    d.adjustment("R10-0", "rejected", now - dt.timedelta(days=1), desired=1)
    d.adjustment("R10-0", "superseded", now - dt.timedelta(days=4), desired=1)
    for k in range(12):
        d.adjustment("R10-0", rnd.choice(["verified", "failed"]), now - dt.timedelta(days=rnd.randint(0, 35)))
    d.save()
    hold_scheduler(stack, tenant)
    return d


@pytest.fixture(scope="module")
def main(stack):
    rnd = random.Random(20240601)
    admin = signed_in(stack, "admin")
    d = seed_main(stack, admin.tenant, rnd)
    # another tenant with bigger numbers of every kind: none of them may leak into the first
    other = signed_in(stack, "admin")
    o = seed_main(stack, other.tenant, random.Random(7), big=True)
    return admin, d, other, o


# --- tests ---------------------------------------------------------------------------------------
def test_tiles_match_the_model_and_link_to_their_reports(main, stack):
    admin, d, _, _ = main
    exp = d.expected()
    page = admin.get("/")
    assert page.status_code == 200
    t = tiles(page.text)
    assert set(t) == set(TILES)
    assert 'id="getting-started"' not in page.text, "every step is done"
    assert int(t["linked"]["value"]) == exp["linked"] == 8, "seven resource links and an annual subscription's"
    assert int(t["unlinked"]["value"]) == exp["unlinked"]
    assert Decimal(t["seats"]["value"]) == exp["seats"]
    assert Decimal(t["usage"]["value"]) == exp["usage"] == Decimal("5000.125") and t["usage"]["unit"] == "GB"
    assert t["leakage"]["amounts"] == exp["leakage"], "leakage: per-row half-even, summed exactly"
    assert t["leakage"]["annual"] == exp["annual"] == {"USD": (Decimal("50.10"), Decimal("601.20"))}
    assert set(exp["leakage"]) == {"USD", "EUR"}
    assert int(t["failed"]["value"]) == exp["failed"]
    assert int(t["approvals"]["value"]) == exp["approvals"] == 2
    assert int(t["drift"]["value"]) == exp["drift"] == 2
    # the links: each tile's report holds exactly the rows counted
    assert t["linked"]["href"] == "/reports/linked"
    assert t["unlinked"]["href"] == "/reports/unlinked"
    assert t["approvals"]["href"] == "/approvals"
    assert query(t["seats"]["href"]) == ("/reports/unlinked", {"status": "active", "billing": "seats"})
    assert query(t["usage"]["href"]) == ("/reports/unlinked", {"status": "active", "billing": "usage"})
    assert query(t["leakage"]["href"])[0] == "/reports/unlinked"
    assert query(t["drift"]["href"])[0] == "/reports/linked"
    path, q = query(t["failed"]["href"])
    assert path == "/reports/failures" and q["to"] == utc_today().isoformat()
    assert q["from"] == (utc_today() - dt.timedelta(days=45)).isoformat() or exp["failed"] == 0
    assert report_row_count(admin, t["failed"]["href"]) == exp["failed"]
    assert report_row_count(admin, "/reports/linked") == exp["linked"]
    # the reports behind the money and quantity tiles total exactly what the tiles show
    seats = report_totals(admin, t["seats"]["href"])
    assert seats["rows"] == exp["seat_rows"] and seats["quantity"] == fq(exp["seats"])
    usage = report_totals(admin, t["usage"]["href"])
    assert usage["rows"] == exp["usage_rows"] == 1 and usage["quantity"] == "5000.125 GB"
    leak = report_totals(admin, t["leakage"]["href"])
    assert leak["rows"] == exp["unbilled_rows"] and leak["value"] == money_total(exp["leakage"])
    assert leak["quantity"] == f"{fq(exp['seats'])} seats; 5000.125 GB"
    assert t["unlinked"]["level"] == "bad" and t["linked"]["level"] == "ok"
    # money and quantities are shown exactly
    for cur, v in exp["leakage"].items():
        assert f'data-currency="{cur}" data-value="{v:.4f}"' in page.text


def test_leakage_rule_is_per_row_half_even(stack):
    """Three rows whose exact sum (0.0008625) and per-row sum (0.0004 + 0.0002 + 0.0001 = 0.0007)
    differ: the dashboard shows the per-row rule."""
    c = signed_in(stack, "viewer")
    d = Tenant(stack, c.tenant)
    src = conn(stack, c.tenant, "Only source")
    d.company(src, "C", "Solo")
    d.sub(src, "S", "C")
    d.resource(src, "a", "S", "C", "p", "1.5", "0.0003")      # 0.00045 -> 0.0004
    d.resource(src, "b", "S", "C", "p", "2.5", "0.0001")      # 0.00025 -> 0.0002
    d.resource(src, "c", "S", "C", "p", "0.125", "0.0005")    # 0.0000625 -> 0.0001
    d.save()
    t = tiles(c.get("/").text)
    assert t["leakage"]["amounts"] == {"USD": Decimal("0.0007")} == d.expected()["leakage"]
    assert Decimal(t["seats"]["value"]) == Decimal("4.125")


def test_charts_are_svg_whose_bars_match_the_data(main):
    admin, d, _, _ = main
    exp = d.expected()
    page = admin.get("/").text
    for section, param, key in (("chart-customers", "company", "customers"), ("chart-products", "product", "products")):
        svg = svg_in(page, section)
        assert svg is not None and svg.tag == SVG + "svg"
        bars = bar_links(svg)
        assert len(bars) == len(exp[key]) == 10
        for (href, rect), (name, total) in zip(bars, exp[key]):
            assert Decimal(rect.get("data-value")) == total
            assert query(href) == ("/reports/subscriptions", {param: name, "billing": "seats"}), (href, name)
            assert int(rect.get("width")) > 0
        # a bar's report counts the same seats (the largest: exact, no GB in it)
        assert report_totals(admin, bars[0][0])["quantity"] == fq(exp[key][0][1])
        assert "Backup storage (GB)" not in {n for n, _ in exp[key]} and "Echo" != exp[key][0][0]
        widths = [int(r.get("width")) for _, r in bars]
        assert widths == sorted(widths, reverse=True)
    # a company name with a tab and XML specials stays well-formed and links to its report
    assert admin.get("/reports/subscriptions?company=" + "Bravo%20%26%20Sons%20%3CLtd%3E").status_code == 200

    svg = svg_in(page, "chart-days")
    assert svg is not None
    bars = bar_links(svg)
    got = {rect.get("data-day"): int(rect.get("data-value")) for _, rect in bars}
    assert got == exp["days"]
    for href, rect in bars:
        day = rect.get("data-day")
        assert query(href) == ("/reports/adjustments", {"from": day, "to": day})
    # each day's bar leads to exactly that many rows of the adjustment log
    href, rect = max(bars, key=lambda b: int(b[1].get("data-value")))
    assert report_row_count(admin, href) == int(rect.get("data-value"))


def test_connections_health_and_last_sync(main, stack):
    admin, d, _, _ = main
    sql(stack, f"UPDATE connections SET status = 'failed', status_message = 'HTTP 401: bad key'"
               f" WHERE tenant_id = {admin.tenant} AND id = {d.src2}")
    sql(stack, f"UPDATE connections SET refresh_status = 'failed', refresh_message = 'timed out'"
               f" WHERE tenant_id = {admin.tenant} AND id = {d.psa}")
    page = admin.get("/").text
    table = re.search(r'<table class="compact" id="connections-health">(.*?)</table>', page, re.S).group(1)
    rows = dict(re.findall(r'<tr data-id="(\d+)" data-health="(\w+)">', table))
    assert rows == {str(d.src): "ok", str(d.src2): "bad", str(d.psa): "bad"}
    assert "HTTP 401: bad key" in table and "timed out" in table and "Ingram Micro" in table
    assert re.search(r'<p id="last-sync">Last sync finished \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: seeded by the test',
                     page)
    sql(stack, f"UPDATE connections SET status = 'ok', status_message = '', refresh_status = 'ok',"
               f" refresh_message = '' WHERE tenant_id = {admin.tenant}")


def test_other_tenants_data_is_never_counted(main):
    admin, d, other, o = main
    mine, theirs = tiles(admin.get("/").text), tiles(other.get("/").text)
    assert Decimal(mine["seats"]["value"]) == d.expected()["seats"]
    assert Decimal(theirs["seats"]["value"]) == o.expected()["seats"]
    assert mine["leakage"]["amounts"] == d.expected()["leakage"]
    assert theirs["leakage"]["amounts"] == o.expected()["leakage"]
    page = admin.get("/").text
    assert "Ingram Micro" in page
    svg = svg_in(page, "chart-customers")
    values = [Decimal(r.get("data-value")) for _, r in bar_links(svg)]
    assert max(values) < 1000, "the other tenant's thousand-fold quantities are not in this chart"
    ids = re.findall(r'<tr data-id="(\d+)" data-health=', page)
    assert sorted(map(int, ids)) == sorted([d.src, d.src2, d.psa])


def test_viewer_sees_the_dashboard_and_checklist(main, stack):
    admin, d, _, _ = main
    viewer = signed_in(stack, "viewer", tenant=admin.tenant)
    r = viewer.get("/")
    assert r.status_code == 200 and set(tiles(r.text)) == set(TILES)
    assert viewer.get("/checklist").status_code == 200
    assert Client(stack).get("/checklist").status_code in (302, 303)


def steps(page):
    return dict(re.findall(r'<li id="step-(\w+)" class="step[^"]*" data-done="([01])"', page))


def test_empty_tenant_gets_started_and_steps_tick(stack):
    c = signed_in(stack, "admin")
    page = c.get("/").text
    assert "Welcome to billsync" in page and 'id="getting-started"' in page
    assert steps(page) == {"source": "0", "psa": "0", "map": "0", "sync": "0"}
    assert 'id="tiles"' not in page and "<svg" not in page
    for href in ('href="/settings/connections"', 'href="/mapping"'):
        assert href in page
    # a sync that started but has not finished yet (and keeps the scheduler away)
    hold_scheduler(stack, c.tenant, finished=False)
    src = conn(stack, c.tenant, "First source")
    page = c.get("/").text
    assert steps(page) == {"source": "1", "psa": "0", "map": "0", "sync": "0"}
    assert 'id="tiles"' in page, "with a connection the dashboard shows, the steps above it"
    psa = conn(stack, c.tenant, "The PSA", kind="psa")
    assert steps(c.get("/").text) == {"source": "1", "psa": "1", "map": "0", "sync": "0"}
    # a past link does not count; an active one does
    d = Tenant(stack, c.tenant)
    d.link(src, "r1", psa, active=False)
    d.save()
    assert steps(c.get("/").text)["map"] == "0"
    sql(stack, f"INSERT INTO company_links (tenant_id, src_connection_id, src_company_id, psa_connection_id,"
               f" psa_company_id) VALUES ({c.tenant}, {src}, 'c1', {psa}, 'a1')")
    assert steps(c.get("/").text) == {"source": "1", "psa": "1", "map": "1", "sync": "0"}
    sql(stack, f"UPDATE tenant_sync SET finished_at = UTC_TIMESTAMP(6) WHERE tenant_id = {c.tenant}")
    page = c.get("/").text
    assert 'id="getting-started"' not in page and 'id="tiles"' in page
    t = tiles(page)
    assert t["linked"]["value"] == "0" and t["leakage"]["value"] == "0.00"


# --- checklist ---------------------------------------------------------------------------------
def checklist(page):
    items = {}
    for m in re.finditer(r'<li class="check-item (clear|open)" id="check-(\w+)" data-count="(\d+)" '
                         r'data-clear="([01])">(.*?)</li>', page, re.S):
        state, key, count, clear, body = m.groups()
        href = re.search(r'<a class="check-title" href="([^"]*)"', body).group(1)
        items[key] = dict(state=state, count=int(count), clear=clear == "1", href=html.unescape(href))
    return items


def previous_month():
    first = utc_today().replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def test_checklist_not_ready_names_every_item(main):
    admin, d, _, _ = main
    exp = d.expected()
    page = admin.get("/checklist").text
    items = checklist(page)
    assert list(items) == ["unlinked", "failures", "approvals", "drift", "review"]
    assert items["unlinked"]["count"] == exp["unbilled_rows"] and items["unlinked"]["href"] == "/reports/unlinked?status=active"
    assert items["failures"]["count"] == exp["failed"] and items["failures"]["href"].startswith("/reports/failures")
    assert items["approvals"]["count"] == 2 and items["approvals"]["href"] == "/approvals"
    assert items["drift"]["count"] == 2
    assert items["review"]["href"] == "/review/" + previous_month().strftime("%Y-%m") and not items["review"]["clear"]
    assert all(not i["clear"] for i in items.values())
    verdict = re.search(r'<div class="verdict not-ready" id="checklist-not-ready"[^>]*>(.*?)</div>', page, re.S)
    assert verdict and "Ready to invoice." not in page
    text = html.unescape(verdict.group(1))
    assert "5 items left" in text
    for words in (f"{exp['unbilled_rows']} unlinked subscriptions ({fq(exp['seats'])} seats; 5000.125 GB of usage)",
                  f"{exp['failed']} failed adjustments",
                  "2 changes awaiting approval", "2 services with PSA drift",
                  f"billing review of {previous_month().strftime('%B %Y')} is not done"):
        assert words in text, words


def test_checklist_ready_when_all_clear(stack):
    c = signed_in(stack, "viewer")
    d = Tenant(stack, c.tenant)
    src = conn(stack, c.tenant, "Source")
    psa = conn(stack, c.tenant, "PSA", kind="psa")
    d.company(src, "C", "Clean Co")
    d.sub(src, "S", "C")
    d.resource(src, "r1", "S", "C", "Seat", "5", "2")
    d.resource(src, "r2", "S", "C", "Seat", "5", "2", status="cancelled")   # unlinked but not billable
    d.link(src, "r1", psa, contract="K", service="V", last_posted="5")
    d.cs.append(dict(psa=psa, id="x", contract="K", service="V", units="5"))
    now = utcnow().replace(tzinfo=None)
    d.adjustment("r1", "verified", now - dt.timedelta(days=1), desired=5)
    d.adjustment("r1", "rejected", now, desired=9)
    d.save()
    hold_scheduler(stack, c.tenant)
    page = c.get("/checklist").text
    items = checklist(page)
    assert {k for k, v in items.items() if not v["clear"]} == {"review"}
    assert 'id="checklist-not-ready"' in page and "1 item left" in page
    month = previous_month().isoformat()
    sql(stack, f"INSERT INTO billing_reviews (tenant_id, month, status) VALUES ({c.tenant}, '{month}', 'draft')")
    page = c.get("/checklist").text
    assert "is not approved yet" in page and 'id="checklist-not-ready"' in page
    sql(stack, f"UPDATE billing_reviews SET status = 'approved', approved_at = UTC_TIMESTAMP(6)"
               f" WHERE tenant_id = {c.tenant}")
    page = c.get("/checklist").text
    items = checklist(page)
    assert all(i["clear"] for i in items.values()) and len(items) == 5
    assert 'id="checklist-ready"' in page and "Ready to invoice." in page
    assert 'id="checklist-not-ready"' not in page
    # another tenant's approved review of the same month does not make this one ready
    c2 = signed_in(stack, "viewer")
    assert 'id="checklist-not-ready"' in c2.get("/checklist").text
    # a new failure makes it not ready again, naming it
    sql(stack, f"UPDATE adjustments SET state = 'failed', last_error = 'HTTP 500' WHERE tenant_id = {c.tenant}"
               " AND state = 'rejected'")
    page = c.get("/checklist").text
    assert "1 failed adjustment:" in html.unescape(page) and 'id="checklist-not-ready"' in page


# --- money on the dashboard: seats, usage and annual subscriptions (issue 13 item 12) -----------
def report_rows(client, href):
    """A report's rows (this page) as dicts by column key."""
    r = client.get(href)
    assert r.status_code == 200, href
    keys = re.findall(r'<th data-key="([^"]*)"', r.text)
    body = re.search(r"<tbody>(.*?)</tbody>", r.text, re.S)
    out = []
    for tr in re.findall(r"<tr\b[^>]*>(.*?)</tr>", body.group(1) if body else "", re.S):
        cells = [html.unescape(re.sub(r"<[^>]*>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        out.append(dict(zip(keys, cells)))
    return out


def test_seats_usage_and_annual_figures_are_exact_and_match_their_reports(stack):
    """A linked annual subscription (5 x 363.00 = 1815.00 a year: no leakage), unlinked annual
    ones (a twelfth a month, to the cent), seat resources and backup usage in GB."""
    c = signed_in(stack, "billing")
    d = Tenant(stack, c.tenant)
    src = conn(stack, c.tenant, "Pax8")
    backup = conn(stack, c.tenant, "MSP360")
    psa = conn(stack, c.tenant, "Autotask", kind="psa")
    d.company(src, "C1", "Contoso Ltd")
    d.company(src, "C2", "Fabrikam Inc")
    d.company(backup, "B1", "Contoso Ltd")
    d.sub(src, "M1", "C1")
    d.resource(src, "m-bs", "M1", "C1", "Microsoft 365 Business Standard", "27", "11.25")      # 303.75
    d.resource(src, "m-exo", "M1", "C1", "Exchange Online (Plan 1)", "3", "4.3333")            # 12.9999
    d.resource(src, "m-linked", "M1", "C1", "Teams Essentials", "10", "3.60")                  # linked
    d.link(src, "m-linked", psa, contract="K1", service="V1", last_posted="10")
    # the linked annual subscription: billed as one-time charges on its contract
    d.sub(src, "A-linked", "C1", cycle="annual")
    d.resource(src, "A-linked", "A-linked", "C1", "Microsoft 365 E3 (annual)", "5", "363.00", cycle="annual")
    d.sub_link(src, "A-linked", psa, contract="K-annual")
    # an unlinked annual one: 7 x 237.60 = 1663.20 a year, 138.60 a month
    d.sub(src, "A-open", "C2", cycle="annual")
    d.resource(src, "A-open", "A-open", "C2", "Microsoft 365 Business Premium (annual)", "7", "237.60",
               cycle="annual")
    # half-even at the cent: 0.30 / 12 = 0.025 -> 0.02; 0.4199 / 12 = 0.0349916.. -> 0.0350 -> 0.04
    d.sub(src, "A-tie", "C2", cycle="annual")
    d.resource(src, "A-tie1", "A-tie", "C2", "Annual tie low", "1", "0.30", cycle="annual", currency="EUR")
    d.resource(src, "A-tie2", "A-tie", "C2", "Annual tie high", "1", "0.4199", cycle="annual", currency="EUR")
    # an annual subscription whose link was removed, and a monthly one whose subscription is
    # linked (a subscription link bills annual subscriptions only): both unlinked
    d.sub(src, "A-past", "C2", cycle="annual")
    d.resource(src, "A-past", "A-past", "C2", "Visio Plan 2 (annual)", "2", "120.00", cycle="annual")  # 20.00
    d.sub_link(src, "A-past", psa, contract="K-old", active=False)
    d.sub(src, "M2", "C2")
    d.resource(src, "m-sub-only", "M2", "C2", "Defender for Business", "4", "2.70")            # 10.80
    d.sub_link(src, "M2", psa, contract="K2")
    # backup usage in GB (MSP360 states no cost for it; another source does)
    d.sub(backup, "B1", "B1", cycle="usage")
    d.resource(backup, "B1/storage", "B1", "B1", "Backup storage (GB)", "977.75", "0", cycle="usage")
    d.sub(src, "U2", "C2", cycle="usage")
    d.resource(src, "u-fab", "U2", "C2", "Backup storage (GB)", "512.125", "0.05", cycle="usage")  # 25.6062
    d.save()
    hold_scheduler(stack, c.tenant)
    exp = d.expected()

    # the model, written out: the figures a person must see
    assert exp["seats"] == 27 + 3 + 7 + 1 + 1 + 2 + 4 == 45
    assert exp["usage"] == Decimal("977.75") + Decimal("512.125") == Decimal("1489.875")
    assert exp["leakage"] == {"USD": Decimal("511.7561"), "EUR": Decimal("0.06")}
    assert exp["annual"] == {"USD": (Decimal("158.60"), Decimal("1903.20")),
                             "EUR": (Decimal("0.06"), Decimal("0.7199"))}
    assert exp["customers"] == [("Contoso Ltd", Decimal(45)), ("Fabrikam Inc", Decimal(15))]

    page = c.get("/").text
    t = tiles(page)
    assert set(t) == set(TILES)
    assert t["linked"]["value"] == "2" and t["unlinked"]["value"] == str(exp["unlinked"]) == "9"
    assert t["seats"]["value"] == "45" and t["seats"]["unit"] is None
    assert "on 7 unlinked active seat resources" in t["seats"]["note"]
    assert t["usage"]["value"] == "1489.875" and t["usage"]["unit"] == "GB" and t["usage"]["level"] == "bad"
    assert "2 unlinked active usage resources" in t["usage"]["note"]
    assert t["leakage"]["amounts"] == exp["leakage"]
    assert "1815" not in t["leakage"]["body"], "a linked annual subscription is no leakage"
    # the annual part, apart and labelled: a month and a year
    assert t["leakage"]["annual"] == exp["annual"]
    assert "of which 4 annual, a twelfth of the yearly cost" in t["leakage"]["body"]
    assert "158.60 USD a month (1903.20 USD a year)" in t["leakage"]["body"]
    assert t["leakage"]["note"] == "a month, at cost, of 9 unlinked active resources"
    assert c.get("/reports/unlinked?billing=gb").status_code == 400

    # each tile's report totals what the tile shows, by the same rule
    assert report_totals(c, t["seats"]["href"]) == dict(rows=7, quantity="45", value="0.06 EUR; 486.1499 USD")
    assert report_totals(c, t["usage"]["href"]) == dict(rows=2, quantity="1489.875 GB", value="25.6062 USD")
    assert report_totals(c, t["leakage"]["href"]) == dict(rows=9, quantity="45 seats; 1489.875 GB",
                                                          value=money_total(exp["leakage"]))
    assert money_total(exp["leakage"]) == "0.06 EUR; 511.7561 USD"
    rows = {r["resource"]: r for r in report_rows(c, "/reports/unlinked?status=active&billing=seats")}
    annual = rows["Microsoft 365 Business Premium (annual)"]
    assert (annual["billing"], annual["count"], annual["unit_cost"], annual["value"]) == (
        "annual (\u00f7 12)", "7", "237.60", "138.60")
    assert rows["Annual tie low"]["value"] == "0.02" and rows["Annual tie high"]["value"] == "0.04"
    assert rows["Visio Plan 2 (annual)"]["value"] == "20.00"
    assert (rows["Microsoft 365 Business Standard"]["billing"], rows["Microsoft 365 Business Standard"]["value"]) == (
        "monthly", "303.75")
    assert rows["Exchange Online (Plan 1)"]["value"] == "12.9999"
    assert rows["Defender for Business"]["value"] == "10.80"
    assert "Microsoft 365 E3 (annual)" not in rows and "Teams Essentials" not in rows
    usage = report_rows(c, "/reports/unlinked?status=active&billing=usage&sort=count")
    assert [(r["billing"], r["count"], r["value"]) for r in usage] == [
        ("usage (GB)", "512.125 GB", "25.6062"), ("usage (GB)", "977.75 GB", "0.00")]
    # sorting by the monthly value uses the same rule (an annual row by its twelfth)
    by_value = [r["resource"] for r in report_rows(c, "/reports/unlinked?status=active&sort=value&dir=desc")]
    assert by_value == ["Microsoft 365 Business Standard", "Microsoft 365 Business Premium (annual)",
                        "Backup storage (GB)", "Visio Plan 2 (annual)", "Exchange Online (Plan 1)",
                        "Defender for Business", "Annual tie high", "Annual tie low", "Backup storage (GB)"]
    # the CSV export holds the same rows and labels
    lines = c.get("/reports/unlinked?status=active&billing=annual&format=csv").content.decode("utf-8").splitlines()
    assert lines[0] == "Source,Company,Subscription,Resource,Billing,Count,Unit cost per period,Monthly value at cost,Currency"
    assert len(lines) == 5 and all(",annual (\u00f7 12)," in line for line in lines[1:])
    # the linked report lists the annual subscription on its contract, billed by charges
    linked = {r["resource"]: r for r in report_rows(c, "/reports/linked")}
    assert set(linked) == {"Teams Essentials", "Microsoft 365 E3 (annual)"}
    e3 = linked["Microsoft 365 E3 (annual)"]
    assert (e3["count"], e3["contract"], e3["service"], e3["psa_units"], e3["diff"]) == (
        "5", "K-annual", "annual charges", "", "")
    subs = {r["resource_id"]: r for r in report_rows(c, "/reports/subscriptions?sort=resource_id")}
    assert subs["A-linked"]["linked"] == "K-annual / annual charges"
    assert subs["A-past"]["linked"] == "not linked" and subs["m-sub-only"]["linked"] == "not linked"
    assert subs["B1/storage"]["count"] == "977.75 GB" and subs["m-bs"]["count"] == "27"
    # the customers chart counts seats only; each bar's report totals the same seats
    svg = svg_in(page, "chart-customers")
    bars = bar_links(svg)
    assert [(r.get("data-value")) for _, r in bars] == ["45", "15"]
    for href, rect in bars:
        assert report_totals(c, href)["quantity"] == rect.get("data-value")
    # the checklist names seats and usage apart, and links to the report that totals them
    text = c.get("/checklist").text
    items = checklist(text)
    assert items["unlinked"]["count"] == 9 and items["unlinked"]["href"] == "/reports/unlinked?status=active"
    assert "9 unlinked subscriptions (45 seats; 1489.875 GB of usage)" in html.unescape(text)
    # linking the open annual subscription to a contract takes it out of the leakage and seats
    d.sub_links.append(dict(conn=src, sub="A-open", psa=psa, contract="K-annual2", active=True))
    sql(stack, f"INSERT INTO subscription_links (tenant_id, src_connection_id, src_subscription_id,"
               f" psa_connection_id, psa_contract_id) VALUES ({c.tenant}, {src}, 'A-open', {psa}, 'K-annual2')")
    exp = d.expected()
    t = tiles(c.get("/").text)
    assert t["seats"]["value"] == "38" and t["leakage"]["amounts"] == exp["leakage"]
    assert exp["leakage"]["USD"] == Decimal("373.1561")
    assert report_totals(c, t["leakage"]["href"])["value"] == money_total(exp["leakage"])


def test_demo_shows_whole_seats_and_backup_usage_in_gb(stack):
    """The demo (`billsync seed-demo --sandbox`, refreshed from the sandboxes): the seats tile and
    the licences per customer are whole seats, MSP360's backup storage is GB on its own tile, and
    the leakage counts the annual subscriptions at a twelfth: each figure as an independent model
    of the refreshed snapshot computes it."""
    stack.billsync("seed-demo", "--sandbox", stack.path("run", "sandbox.json"))
    tid = int(sql(stack, "SELECT id FROM tenants WHERE name = 'Demo MSP'").strip())
    hold_scheduler(stack, tid)      # no sync: the dashboard reads the refreshed snapshot only
    wait_for(lambda: sql(stack, f"SELECT COUNT(*) FROM connections WHERE tenant_id = {tid}"
                                " AND refresh_status = 'ok' AND refreshed_at IS NOT NULL").strip() == "6",
             240, "the demo's six connections to be refreshed")
    c = Client(stack)
    assert c.login("admin@demo-msp.example", "billsync-demo-2026").status_code == 303
    # the model: the snapshot's rows, classified by billing cycle (nothing is linked yet)
    raw = sql(stack, "SELECT COALESCE(c.name, r.company_source_id), r.quantity, r.unit_cost, r.currency,"
                     " CAST(r.billing_cycle AS CHAR), CAST(r.status AS CHAR), COALESCE(CAST(s.status AS CHAR), 'active')"
                     " FROM src_resources r LEFT JOIN src_subscriptions s ON s.tenant_id = r.tenant_id"
                     " AND s.connection_id = r.connection_id AND s.source_id = r.subscription_source_id"
                     " LEFT JOIN src_companies c ON c.tenant_id = r.tenant_id AND c.connection_id = r.connection_id"
                     " AND c.source_id = r.company_source_id"
                     f" WHERE r.tenant_id = {tid} AND r.gone = 0 AND COALESCE(s.gone, 0) = 0 AND COALESCE(c.gone, 0) = 0")
    assert sql(stack, f"SELECT (SELECT COUNT(*) FROM resource_links WHERE tenant_id = {tid} AND active_key = 1)"
                      f" + (SELECT COUNT(*) FROM subscription_links WHERE tenant_id = {tid} AND active_key = 1)"
                      ).strip() == "0"
    seats, gb, per, leak, annual = Decimal(0), Decimal(0), {}, {}, 0
    for line in raw.splitlines():
        company, qty, cost, cur, cycle, status, sub_status = line.split("\t")
        q, cost = Decimal(qty) / 1000, Decimal(cost) / 10000
        if cycle != "usage":
            per[company] = per.get(company, Decimal(0)) + q
        if status != "active" or sub_status != "active":
            continue
        if cycle == "usage":
            gb += q
        else:
            seats += q
        annual += cycle == "annual"
        leak[cur] = leak.get(cur, Decimal(0)) + monthly_value(q, cost, cycle)
    assert gb > 0 and gb != gb.to_integral_value(), "the demo's backup storage is fractional GB"
    assert seats == seats.to_integral_value() and annual >= 2
    t = tiles(c.get("/").text)
    assert Decimal(t["seats"]["value"]) == seats and "." not in t["seats"]["value"]
    assert Decimal(t["usage"]["value"]) == gb and t["usage"]["unit"] == "GB"
    assert t["leakage"]["amounts"] == leak
    assert report_totals(c, t["seats"]["href"])["quantity"] == fq(seats)
    assert report_totals(c, t["usage"]["href"])["quantity"] == f"{fq(gb)} GB"
    bars = {r.get("data-value") for _, r in bar_links(svg_in(c.get("/").text, "chart-customers"))}
    top = sorted(((k, v) for k, v in per.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert bars == {fq(v) for _, v in top} and all("." not in b for b in bars)
    assert per["Contoso Ltd"] == per["Contoso Ltd"].to_integral_value()
