"""The adjustment reports (/reports/adjustments, the adjustment log; /reports/failures, the
failure log with Retry now / Give up): the date range (last 30 days by default), filters,
sorting, paging, totals, the per-day SVG chart, the CSV export, the row actions and who may
use them, checked against an independent Python model of ledger rows seeded straight into
the adjustments table (and the snapshot / PSA cache rows that name them) of fresh tenants."""
import csv
import io
import random
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from html import unescape
from html.parser import HTMLParser
from itertools import count
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from billsync_test import csrf_from, signed_in, sql
from billsync_test import sql_literal as lit, insert_rows as insert
import testclock

SVG = "{http://www.w3.org/2000/svg}"
EVIL = "Evil <script>alert(\"x\")</script> & 'Co'"
FORMULA = "=HYPERLINK(\"http://evil.example\",\"click\")"
DASH = "\u2014"
REPORTS = ("adjustments", "failures")
_keys = count(1)


# --- seeding -------------------------------------------------------------------------------
def utcnow():
    return testclock.utcnow().replace(tzinfo=None, microsecond=0)


def today():
    return utcnow().date()


def ago(days, h=10, m=0, s=0):
    """A creation time `days` days before today (UTC), at h:m:s."""
    return datetime.combine(today() - timedelta(days=days), time(h, m, s))


class Ledger:
    """What a tenant holds, kept in Python as the model the reports are checked against."""

    def __init__(self, stack, tenant):
        self.stack, self.tenant = stack, tenant
        self.src = self.conn("Ingram Cloud", "source")
        self.psa = self.conn("Autotask", "psa")
        self.companies, self.subs, self.res = {}, {}, {}
        self.accounts, self.contracts, self.services = {}, {}, {}
        self.adj = []

    def conn(self, name, kind):
        sql(self.stack, f"INSERT INTO connections (tenant_id, kind, system, name, settings) VALUES "
                        f"({self.tenant}, '{kind}', '{'autotask' if kind == 'psa' else 'csv'}', {lit(name)}, '{{}}')")
        return int(sql(self.stack, f"SELECT MAX(id) FROM connections WHERE tenant_id = {self.tenant}").strip())

    def company(self, sid, name):
        self.companies[sid] = name

    def sub(self, sid, company, name):
        self.subs[sid] = (company, name)

    def resource(self, sid, sub, company, name):
        self.res[sid] = (sub, company, name)

    def account(self, pid, name):
        self.accounts[pid] = name

    def contract(self, pid, account, name):
        self.contracts[pid] = (account, name)

    def service(self, pid, name):
        self.services[pid] = name

    def adjustment(self, res, contract, service, change, amount, created, state="verified", attempts=1,
                   error=None, next_try=None, effective=None, held=False):
        a = dict(res=res, contract=contract, service=service, change=Decimal(change), amount=Decimal(amount),
                 created=created, state=state, attempts=attempts, error=error, next=next_try,
                 effective=effective or created.date(), held=held, key=f"test:{next(_keys)}")
        self.adj.append(a)
        return a

    def save(self):
        t, s = self.tenant, self.stack
        insert(s, "src_companies", [dict(tenant_id=t, connection_id=self.src, source_id=k, name=v)
                                    for k, v in self.companies.items()])
        insert(s, "src_subscriptions", [dict(tenant_id=t, connection_id=self.src, source_id=k, company_source_id=c,
                                             name=n, status="active") for k, (c, n) in self.subs.items()])
        insert(s, "src_resources", [dict(tenant_id=t, connection_id=self.src, source_id=k, subscription_source_id=sb,
                                         company_source_id=c, name=n, sku="SKU", quantity=1000, unit_cost=0,
                                         currency="USD", status="active") for k, (sb, c, n) in self.res.items()])
        insert(s, "psa_companies", [dict(tenant_id=t, connection_id=self.psa, psa_id=k, name=v)
                                    for k, v in self.accounts.items()])
        insert(s, "psa_contracts", [dict(tenant_id=t, connection_id=self.psa, psa_id=k, company_psa_id=a, name=n,
                                         contract_type="recurring") for k, (a, n) in self.contracts.items()])
        insert(s, "psa_services", [dict(tenant_id=t, connection_id=self.psa, psa_id=k, name=v)
                                   for k, v in self.services.items()])
        future = utcnow() + timedelta(days=2)
        insert(s, "adjustments", [dict(
            tenant_id=t, resource_link_id=900000 + i, origin="sync", src_connection_id=self.src,
            src_resource_id=a["res"], psa_connection_id=self.psa, psa_contract_id=a["contract"],
            psa_service_id=a["service"], desired_units=10000 + int(a["change"] * 1000), psa_units_before=10000,
            unit_change=int(a["change"] * 1000), effective_date=a["effective"].isoformat(),
            prorated_amount=int(a["amount"] * 10000), state=a["state"], attempts=a["attempts"],
            next_attempt_at=a["next"], last_error=a["error"], idempotency_key=a["key"], created_at=a["created"],
            # a lease "held by another worker": the stack's worker never touches the row
            lease_owner="held-by-test" if a["held"] else None, lease_until=future if a["held"] else None)
            for i, a in enumerate(self.adj)])
        ids = sql(s, f"SELECT idempotency_key, id FROM adjustments WHERE tenant_id = {t}")
        by_key = dict(line.split("\t") for line in ids.splitlines())
        for a in self.adj:
            a["id"] = int(by_key[a["key"]])

    # --- the model ----------------------------------------------------------------------
    def row(self, a):
        r = self.res.get(a["res"])
        if r:
            sub, comp, resource = r
            company = self.companies.get(comp, comp)
            subscription = self.subs[sub][1] if sub in self.subs else sub
        else:
            company, subscription, resource = "", "", a["res"]
        k = self.contracts.get(a["contract"])
        return dict(a, company=company, subscription=subscription, resource=resource,
                    account=self.accounts.get(k[0], k[0]) if k else "",
                    contract_name=k[1] if k else a["contract"],
                    service_name=self.services.get(a["service"], a["service"]))

    def rows(self):
        return [self.row(a) for a in self.adj]


def fq(d):
    """A signed quantity as the reports show it: "+3", "-2", "+0.5", "0"."""
    if d == 0:
        return "0"
    s = format(Decimal(d).normalize(), "f")
    return "+" + s if d > 0 else s


def fm(d):
    """Money with two decimals, half away from zero, no "-0.00"."""
    q = Decimal(d).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return "0.00" if q == 0 else f"{q:.2f}"


def stamp(dt):
    return dt.strftime("%Y-%m-%d %H:%M UTC")


def cells(report, r):
    names = [r["company"], r["subscription"], r["resource"], r["account"], r["contract_name"], r["service_name"],
             fq(r["change"]), r["effective"].isoformat(), fm(r["amount"])]
    if report == "failures":
        # the reason right after the date (in view without scrolling), the kind; no state column
        return ([stamp(r["created"]), r["error"] or "", "adjustment"] + names
                + [str(r["attempts"]), stamp(r["next"]) if r["next"] else DASH])
    return [stamp(r["created"])] + names + [r["state"], str(r["attempts"])]


SORT_KEYS = {
    "adjustments": ["date", "company", "subscription", "resource", "account", "contract", "service", "change",
                    "effective", "amount", "state", "attempts"],
    "failures": ["date", "error", "kind", "company", "subscription", "resource", "account", "contract", "service",
                 "change", "effective", "amount", "attempts", "next_try"],
}
FIELD = {"date": "created", "contract": "contract_name", "service": "service_name", "change": "change",
         "effective": "effective", "amount": "amount", "attempts": "attempts", "next_try": "next"}
STATE_COL = {"adjustments": 10}        # the failure log has no state column: every row failed
ERROR_COL = {"failures": 1}
HEADERS = {"adjustments": ["Adjustment date", "Company", "Subscription"], "failures": ["Date", "Reason", "Kind"]}


def sort_value(key, r):
    if key == "kind":
        return "adjustment"
    v = r[FIELD.get(key, key)]
    if key == "next_try":
        return (0, datetime.min) if v is None else (1, v)       # SQL NULL sorts first
    if isinstance(v, str) or v is None:
        return (v or "").casefold()
    return v


def select(rows, report, company="", subscription="", resource="", q="", frm=None, to=None):
    frm = frm or today() - timedelta(days=29)
    to = to or today()

    def has(hay, needle):
        return needle.casefold() in (hay or "").casefold()
    states = ("verified", "failed") if report == "adjustments" else ("failed",)
    out = []
    for r in rows:
        if r["state"] not in states or not frm <= r["created"].date() <= to:
            continue
        if not (has(r["company"], company) and has(r["subscription"], subscription) and has(r["resource"], resource)):
            continue
        if not any(has(r[f], q) for f in ("company", "subscription", "resource", "account", "contract_name",
                                           "service_name", "error")):
            continue
        out.append(r)
    return out


def ordered(rows, key="date", desc=True):
    """The report's order: the column, then the row id in the same direction (a descending
    sort is the ascending one reversed, so the index on the date serves it backwards)."""
    return sorted(rows, key=lambda r: (sort_value(key, r), r["id"]), reverse=desc)


def guarded(cell):
    """What core/csvw.h writes for a text cell: a leading apostrophe before a formula."""
    s = cell.lstrip(" ")
    if s[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"[+-]?\d+(\.\d+)?", cell):
        return "'" + cell
    return cell


# --- reading the pages ----------------------------------------------------------------------
class Page(HTMLParser):
    """The report table (without the selection and action cells), totals, pager, forms."""

    def __init__(self, text):
        super().__init__()
        self.text = text
        self.section, self.row, self.cell, self.skip = None, None, None, False
        self.keys, self.rows, self.ids, self.totals, self.total_cells = [], [], [], {}, []
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
            if self.section == "tbody":
                self.ids.append(int(a["data-id"]) if a.get("data-id") else None)
        elif tag == "th" and self.section == "thead":
            if a.get("data-key"):
                self.keys.append(a["data-key"])
        elif tag == "td" and self.row is not None:
            if a.get("class") in ("select", "row-actions"):
                self.skip = True
            else:
                self.cell = []
                self._total_key = a.get("data-total")

    def handle_endtag(self, tag):
        if tag == "td" and self.skip:
            self.skip = False
        elif tag == "td" and self.cell is not None:
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
        if self.cell is not None and not self.skip:
            self.cell.append(data)


def url(report, **params):
    params = {k: v for k, v in params.items() if v not in ("", None, 0)}
    return f"/reports/{report}" + ("?" + urlencode(params) if params else "")


def dates(f):
    """Turns from_days / to_days (days before today) into from / to."""
    f = dict(f)
    for k in ("from", "to"):
        if f"{k}_days" in f:
            f[k] = (today() - timedelta(days=f.pop(f"{k}_days"))).isoformat()
    return f


def model_filter(f):
    m = dict(f)
    if "from" in m:
        m["frm"] = date.fromisoformat(m.pop("from"))
    if "to" in m:
        m["to"] = date.fromisoformat(m["to"])
    return m


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


def svg_of(html):
    m = re.search(r"<svg\b.*?</svg>", html, re.S)
    return ET.fromstring(m.group(0)) if m else None


def user_id(stack, email):
    return int(sql(stack, f"SELECT id FROM users WHERE email = {lit(email)}").strip())


def adj_state(stack, a):
    out = sql(stack, "SELECT state, COALESCE(decision_note, ''), COALESCE(decided_by, 0), attempts,"
                     " COALESCE(DATE_FORMAT(next_attempt_at, '%Y-%m-%d %H:%i:%s'), ''),"
                     " COALESCE(TIMESTAMPDIFF(SECOND, next_attempt_at, UTC_TIMESTAMP(6)), 'null')"
                     f" FROM adjustments WHERE id = {a['id']}").rstrip("\n").split("\t")
    return dict(state=out[0], note=out[1], by=int(out[2]), attempts=int(out[3]), next=out[4], age=out[5])


def fixed(stack, a):
    """adj_state without the age (which moves with the clock): for "nothing changed"."""
    s = adj_state(stack, a)
    del s["age"]
    return s


def audits(stack, tenant, action):
    out = sql(stack, f"SELECT subject, COALESCE(detail, ''), COALESCE(user_id, 0) FROM audit_log"
                     f" WHERE tenant_id = {tenant} AND action = {lit(action)} ORDER BY id")
    return [tuple(line.split("\t")) for line in out.splitlines()]


# --- the data sets --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def main(stack):
    """A tenant with named and unnamed rows in every state, inside and outside the default
    range; a viewer of it; and another tenant holding look-alike rows that must never show."""
    billing = signed_in(stack, "billing")
    viewer = signed_in(stack, "viewer", tenant=billing.tenant)
    L = Ledger(stack, billing.tenant)
    L.company("C1", "Contoso Ltd")
    L.company("C2", EVIL)
    L.company("C3", "Fabrikam Inc")
    L.company("C4", "Off_Deals 50% Ltd")
    L.sub("S1", "C1", "Microsoft 365 Business Basic")
    L.sub("S2", "C1", "Exchange Online (Plan 1)")
    L.sub("S3", "C2", "Teams Essentials")
    L.sub("S4", "C3", "Office 365 E3")
    L.sub("S5", "C4", "Visio Plan 2")
    L.resource("R1", "S1", "C1", "Microsoft 365 Business Basic")
    L.resource("R2", "S2", "C1", "Exchange Online (Plan 1)")
    L.resource("R3", "S3", "C2", "Teams Essentials")
    L.resource("R4", "S4", "C3", "Office 365 E3")
    L.resource("R5", "S5", "C4", FORMULA)
    L.account("A1", "Contoso (Autotask)")
    L.account("A2", "Fabrikam AT")
    L.contract("K1", "A1", "Contoso Monthly")
    L.contract("K2", "A2", "Fabrikam Recurring")
    L.service("V1", "M365 Basic")
    L.service("V2", "Exchange Plan 1")
    L.service("V3", "Teams")
    L.service("V4", "O365 E3")
    soon = utcnow() + timedelta(hours=1)
    later = utcnow() + timedelta(hours=2)
    named = {}
    named["basic"] = L.adjustment("R1", "K1", "V1", "3", "5.40", ago(2, 9, 15))
    named["exchange"] = L.adjustment("R2", "K1", "V2", "-2", "-3.6049", ago(5, 14, 30))
    named["teams"] = L.adjustment("R3", "K1", "V3", "5", "20.005", ago(1, 8), state="failed", attempts=3,
                                  error="Autotask: contract is not prorated", next_try=soon)
    named["edge29"] = L.adjustment("R4", "K2", "V4", "1", "0.0049", ago(29, 0, 0, 1), state="failed", attempts=0,
                                   error="Effective date 2024-01-01 is outside the contract (2025-02-01 to 2026-01-31)")
    named["old31"] = L.adjustment("R5", "K2", "V4", "10", "100", ago(31, 12), attempts=2)
    named["edge30"] = L.adjustment("R1", "K1", "V1", "7", "1", ago(30, 23, 59, 59))
    L.adjustment("R1", "K1", "V1", "4", "1", ago(3), state="rejected")
    L.adjustment("R2", "K1", "V2", "4", "1", ago(3), state="superseded")
    L.adjustment("R3", "K1", "V3", "4", "1", ago(1), state="awaiting_approval", attempts=0)
    L.adjustment("R4", "K2", "V4", "4", "1", ago(1), state="queued", attempts=0, held=True)
    named["unnamed"] = L.adjustment("GONE-RES", "K9", "V9", "0.5", "1.2345", ago(7, 6, 45), state="failed",
                                    attempts=4, error="=cmd|' /C calc'!A0", next_try=later)
    named["offdeals"] = L.adjustment("R5", "K1", "V1", "-1", "-0.005", ago(10, 17, 5))
    named["today"] = L.adjustment("R4", "K2", "V4", "12", "240.5", utcnow() - timedelta(minutes=3))
    L.save()
    other = signed_in(stack, "billing")
    O = Ledger(stack, other.tenant)
    O.company("C1", "Contoso Other Tenant Secret")
    O.sub("S1", "C1", "Microsoft 365 Business Basic")
    O.resource("R1", "S1", "C1", "Secret Other Tenant Resource")
    O.account("A1", "Contoso (Autotask)")
    O.contract("K1", "A1", "Secret Other Contract")
    O.service("V1", "M365 Basic")
    O.adjustment("R1", "K1", "V1", "9", "99", ago(2))
    O.adjustment("R1", "K1", "V1", "8", "88", ago(1), state="failed", error="Secret other tenant error",
                 next_try=utcnow() + timedelta(days=1))
    O.save()
    return billing, viewer, L, named, other, O


WORDS = ["Contoso", "fabrikam", "Northwind", "Tailspin", "Litware", "adatum", "Proseware", "Wingtip"]
PRODUCTS = ["Exchange Online Plan 1", "Microsoft 365 Business Basic", "Teams Essentials", "Visio Plan 2",
            "Project Plan 3", "Defender for Business", "Power BI Pro", "Backup Storage"]
ERRORS = ["Autotask API returned 500", "contract not prorated", "invalid credentials", "network timeout",
          "Effective date outside the contract"]


@pytest.fixture(scope="module")
def varied(stack):
    """Over 100 rows in range with random names, changes, amounts, states, attempts, errors
    and retry times (names without punctuation, so Python's case-folded order is the
    collation's)."""
    c = signed_in(stack, "viewer")
    L = Ledger(stack, c.tenant)
    rnd = random.Random(11)
    for i, w in enumerate(WORDS):
        L.company(f"C{i}", f"{w} {rnd.choice(['Ltd', 'Inc', 'GmbH'])} {i}")
        L.account(f"A{i}", f"{rnd.choice(WORDS)} Account {i}")
        L.contract(f"K{i}", f"A{i}", f"Agreement {rnd.choice(WORDS)} {i}")
    for i, p in enumerate(PRODUCTS):
        L.service(f"V{i}", f"{p} Service")
    n = 0
    for ci in range(len(WORDS)):
        for si in range(2):
            sid = f"S{ci}{si}"
            L.sub(sid, f"C{ci}", f"{rnd.choice(PRODUCTS)} {si}")
            for ri in range(2):
                n += 1
                L.resource(f"R{n}", sid, f"C{ci}", f"{rnd.choice(PRODUCTS)} {ri}")
    now = utcnow()
    for i in range(170):
        state = rnd.choice(["verified", "verified", "failed", "failed", "rejected"])
        change = Decimal(rnd.choice([x for x in range(-20, 21) if x])) / (1 if rnd.random() < .85 else 4)
        amount = Decimal(rnd.randint(-500000, 2000000)) / 10000
        created = now - timedelta(seconds=rnd.randint(120, 34 * 86400))
        failed = state == "failed"
        L.adjustment(f"R{rnd.randint(1, n)}", f"K{rnd.randint(0, 7)}", f"V{rnd.randint(0, 7)}", change, amount,
                     created, state=state, attempts=rnd.randint(0, 6),
                     error=f"{rnd.choice(ERRORS)} {i}" if failed else None,
                     next_try=now + timedelta(minutes=rnd.randint(5, 3000)) if failed and rnd.random() < .7 else None)
    L.save()
    return c, L


# --- tests ----------------------------------------------------------------------------------
def test_default_range_is_the_last_30_days(main):
    billing, _, L, named, _, _ = main
    rows = L.rows()
    for report in REPORTS:
        r = billing.get(f"/reports/{report}")
        assert r.status_code == 200
        p = Page(r.text)
        want = ordered(select(rows, report))
        assert p.keys == SORT_KEYS[report]
        assert p.rows == [cells(report, x) for x in want], report
        assert 'name="from" type="date" value="%s"' % (today() - timedelta(days=29)).isoformat() in r.text
        assert 'name="to" type="date" value="%s"' % today().isoformat() in r.text
    shown = {i for i in Page(billing.get("/reports/adjustments").text).ids}
    assert named["edge29"]["id"] in shown and named["today"]["id"] in shown       # 29 days old: in
    assert named["old31"]["id"] not in shown and named["edge30"]["id"] not in shown  # 30+ days old: out
    assert len(shown) == 7
    # the log holds verified and failed changes; the failure log only the failed ones
    states = {x[STATE_COL["adjustments"]] for x in Page(billing.get("/reports/adjustments").text).rows}
    assert states == {"verified", "failed"}
    failures = Page(billing.get("/reports/failures").text).rows
    assert {x[2] for x in failures} == {"adjustment"} and len(failures) == 3
    # newest first by default
    assert Page(billing.get("/reports/adjustments").text).ids[0] == named["today"]["id"]


def test_rows_totals_and_csv_match_the_model(main):
    billing, _, L, _, _, _ = main
    for report in REPORTS:
        want = ordered(select(L.rows(), report))
        p = page(billing, report)
        assert p.total_cells[0][0] == f"Total: {len(want)} rows"
        assert p.totals["quantity"] == fq(sum((x["change"] for x in want), Decimal(0)))
        assert p.totals["value"] == fm(sum((x["amount"] for x in want), Decimal(0)))
        data = export(billing, report)
        assert data[0][:3] == HEADERS[report] and len(data[0]) == len(SORT_KEYS[report])
        assert data[1:] == [[guarded(c) for c in row] for row in p.rows]
    # exact figures: 5.40 - 3.6049 (-3.60) + 20.005 (20.01, half away from zero) + 0.0049 (0.00)
    # + 1.2345 + -0.005 (-0.01) + 240.5 = 263.5345 -> 263.53 (the sum is rounded, not the rows);
    # changes 3 - 2 + 5 + 1 + 0.5 - 1 + 12
    p = page(billing, "adjustments")
    assert p.totals == {"quantity": "+18.5", "value": "263.53"}
    by_id = dict(zip(p.ids, p.rows))
    assert [by_id[i][9] for i in sorted(by_id)] == ["5.40", "-3.60", "20.01", "0.00", "1.23", "-0.01", "240.50"]
    f = page(billing, "failures")
    assert f.totals == {"quantity": "+6.5", "value": "21.24"}


def test_each_row_links_to_its_detail_page(main):
    billing, _, L, named, _, _ = main
    for report in REPORTS:
        html = billing.get(f"/reports/{report}").text
        links = re.findall(r'<tr data-id="(\d+)"[^>]*>.*?<a href="([^"]*)" class="detail-link">([^<]*)</a>', html, re.S)
        assert [int(i) for i, _, _ in links] == Page(html).ids and links
        assert all(href == f"/reports/adjustments/{i}" for i, href, _ in links)
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", text) for _, _, text in links)  # the date
    r = billing.get(f"/reports/adjustments/{named['teams']['id']}")
    assert r.status_code == 200 and "<h1>Adjustment %d</h1>" % named["teams"]["id"] in r.text
    assert "Autotask: contract is not prorated" in r.text


def test_names_fall_back_to_ids_when_the_snapshot_lacks_them(main):
    billing, _, L, named, _, _ = main
    p = page(billing, "failures")
    row = dict(zip(p.ids, p.rows))[named["unnamed"]["id"]]
    assert row[3:9] == ["", "", "GONE-RES", "", "K9", "V9"]
    assert row[9] == "+0.5" and row[12] == "4"


@pytest.mark.parametrize("filters", [
    dict(company="contoso"),
    dict(company="%"),                       # literal: only the name with a percent sign
    dict(company="_"),                       # literal: only the name with an underscore
    dict(company="nobody at all"),
    dict(subscription="exchange"),
    dict(subscription="BUSINESS"),
    dict(resource="teams"),
    dict(resource="hyperlink"),
    dict(q="autotask"),                      # PSA account name
    dict(q="recurring"),                     # contract name
    dict(q="exchange plan"),                 # service name
    dict(q="outside the contract"),          # error message
    dict(q="k9"),                            # a contract id where the PSA cache has no name
    dict(company="contoso", q="basic"),
    dict(from_days=40, to_days=0),           # wider than the default: the older rows too
    dict(from_days=5, to_days=5),            # one day
    dict(from_days=31, to_days=30),          # only what the default leaves out
    dict(from_days=10, to_days=2, resource="o"),
])
def test_each_filter_narrows_rows_exactly(main, filters):
    billing, _, L, _, _, _ = main
    f = dates(filters)
    for report in REPORTS:
        want = [cells(report, x) for x in ordered(select(L.rows(), report, **model_filter(f)))]
        p = page(billing, report, **f)
        assert p.rows == want, (report, f)
        assert export(billing, report, **f)[1:] == [[guarded(c) for c in row] for row in want]
    if "company" in filters and filters["company"] in "%_":
        assert len(select(L.rows(), "adjustments", company=filters["company"])) == 1


def test_every_sort_column_orders_rows_both_ways(varied):
    c, L = varied
    rows = L.rows()
    for report in REPORTS:
        sel = select(rows, report)
        assert len(sel) > (50 if report == "failures" else 100)
        for key in SORT_KEYS[report]:
            for desc in (False, True):
                dirname = "desc" if desc else "asc"
                want = [cells(report, x) for x in ordered(sel, key, desc)]
                data = export(c, report, sort=key, dir=dirname)
                assert data[1:] == want, (report, key, dirname)
                p = page(c, report, sort=key, dir=dirname)
                assert p.rows == want[:50], (report, key, dirname)
                assert p.total_cells[0][0] == f"Total: {len(sel)} rows"


def test_paging_keeps_the_range_and_filters(varied):
    c, L = varied
    want = [cells("adjustments", x) for x in ordered(select(L.rows(), "adjustments"), "amount", False)]
    assert 100 < len(want) <= 150
    frm, to = (today() - timedelta(days=29)).isoformat(), today().isoformat()
    seen = []
    for n, size in ((1, 50), (2, 50), (3, len(want) - 100)):
        p = page(c, "adjustments", sort="amount", dir="asc", page=n)
        assert (p.page, p.pages, len(p.rows)) == (n, 3, size)
        assert p.totals["value"] == fm(sum((x["amount"] for x in select(L.rows(), "adjustments")), Decimal(0)))
        seen += p.rows
    assert seen == want
    html = c.get(url("adjustments", sort="amount", dir="asc", page=2)).text
    assert f'href="/reports/adjustments?from={frm}&amp;to={to}&amp;sort=amount&amp;dir=asc&amp;page=3" rel="next"' in html
    assert f'href="/reports/adjustments?from={frm}&amp;to={to}&amp;sort=amount&amp;dir=asc" rel="prev"' in html
    assert page(c, "adjustments", page=99).page == 3               # past the end: the last page
    assert len(export(c, "adjustments", page=2)) == len(want) + 1   # the export holds every page
    for bad in ("0", "-1", "x", "100001"):
        assert c.get(f"/reports/adjustments?page={bad}").status_code == 400


def per_day(rows):
    out = {}
    for x in rows:
        d = x["created"].date().isoformat()
        out[d] = out.get(d, 0) + 1
    return out


def test_chart_counts_rows_per_day_and_links_to_each_day(varied):
    c, L = varied
    for report in REPORTS:
        html = c.get(f"/reports/{report}").text
        svg = svg_of(html)
        bars = svg.findall(f".//{SVG}rect")
        want = per_day(select(L.rows(), report))
        assert {b.get("data-day"): int(b.get("data-value")) for b in bars} == want
        assert [b.get("data-day") for b in bars] == sorted(want)           # left to right in time
        assert [b.find(f"{SVG}title").text for b in bars] == [f"{d}: {n}" for d, n in sorted(want.items())]
        xs = [int(b.get("x")) for b in bars]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)
        tallest = max(want.values())
        assert all(int(b.get("height")) == 160 for b in bars if int(b.get("data-value")) == tallest)
        assert all(0 < int(b.get("height")) <= 160 for b in bars)
        # each bar links to the same report on that day alone
        links = svg.findall(f".//{SVG}a")
        assert len(links) == len(bars)
        day, n = sorted(want.items())[len(want) // 2]
        target = links[sorted(want).index(day)].get("href")
        assert parse_qs(urlsplit(target).query) == {"from": [day], "to": [day], "sort": ["date"], "dir": ["desc"]}
        p = Page(c.get(target).text)
        assert len(p.rows) == n and all(r[0].startswith(day) for r in p.rows)
    # within the filters: the bars count what the filters select, and their links keep them
    company = L.companies["C3"]
    svg = svg_of(c.get(url("adjustments", company=company)).text)
    want = per_day(select(L.rows(), "adjustments", company=company))
    assert {b.get("data-day"): int(b.get("data-value")) for b in svg.findall(f".//{SVG}rect")} == want
    assert all(parse_qs(urlsplit(a.get("href")).query)["company"] == [company] for a in svg.findall(f".//{SVG}a"))


def test_chart_of_a_long_range_is_left_out(varied):
    c, L = varied
    frm = (today() - timedelta(days=400)).isoformat()
    r = c.get(url("adjustments", **{"from": frm}))
    assert r.status_code == 200 and svg_of(r.text) is None
    assert "at most 366 days" in r.text
    assert Page(r.text).total_cells[0][0] == f"Total: {len(select(L.rows(), 'adjustments', frm=date.fromisoformat(frm)))} rows"


def test_failure_log_shows_error_attempts_and_next_try(main):
    billing, _, L, named, _, _ = main
    p = page(billing, "failures")
    rows = dict(zip(p.ids, p.rows))
    teams = rows[named["teams"]["id"]]
    assert teams[1:3] == ["Autotask: contract is not prorated", "adjustment"]
    assert teams[12:] == ["3", stamp(named["teams"]["next"])]
    edge = rows[named["edge29"]["id"]]
    assert edge[12] == "0" and edge[13] == DASH                # will not retry by itself
    assert edge[1].startswith("Effective date 2024-01-01 is outside the contract")
    html = billing.get("/reports/failures").text
    assert 'value="retry"' in html and 'value="give_up"' in html
    assert f'name="pick" value="{named["teams"]["id"]}" form="report-bulk"' in html


def test_viewer_reads_and_exports_but_may_not_act(main, stack):
    billing, viewer, L, named, _, _ = main
    for report in REPORTS:
        assert page(viewer, report).rows == page(billing, report).rows
        assert export(viewer, report) == export(billing, report)
    html = viewer.get("/reports/failures").text
    assert 'name="action"' not in html and 'type="checkbox"' not in html
    token = csrf_from(html)                               # the sign-out form's token
    before = fixed(stack, named["teams"])
    for fields in ({"action": "retry"}, {"action": "give_up", "reason": "not mine to decide"}):
        r = viewer.post("/reports/failures", data={"csrf": token, "pick": str(named["teams"]["id"]), **fields})
        assert r.status_code == 403 and "<html" in r.text
    assert fixed(stack, named["teams"]) == before
    assert audits(stack, L.tenant, "adjustment.retry") == [] and audits(stack, L.tenant, "adjustment.given_up") == []
    # the log has no actions at all
    own = csrf_from(billing.get("/reports/adjustments").text)
    r = billing.post("/reports/adjustments", data={"csrf": own, "action": "retry", "pick": "1"})
    assert r.status_code == 405


@pytest.fixture
def actions(stack, main):
    """A fresh tenant with failed changes the worker will not touch (their lease is held)."""
    billing = signed_in(stack, "billing")
    L = Ledger(stack, billing.tenant)
    L.company("C1", "Retry Co")
    L.sub("S1", "C1", "Microsoft 365 Business Basic")
    L.resource("R1", "S1", "C1", "Microsoft 365 Business Basic")
    L.account("A1", "Retry Co (Autotask)")
    L.contract("K1", "A1", "Retry Monthly")
    L.service("V1", "M365 Basic")
    far = utcnow() + timedelta(days=1)
    rows = [L.adjustment("R1", "K1", "V1", str(i + 1), "1.50", ago(i + 1), state="failed", attempts=2,
                         error=f"Autotask API returned 500 ({i})", next_try=far, held=True) for i in range(4)]
    rows.append(L.adjustment("R1", "K1", "V1", "9", "2", ago(1), state="verified"))
    L.save()
    billing.uid = user_id(stack, billing.email)
    return billing, L, rows, main


def post_jobs(stack, tenant):
    return int(sql(stack, f"SELECT COUNT(*) FROM jobs WHERE tenant_id = {tenant} AND kind = 'post'").strip())


def post_job_with(stack, tenant, a):
    """Post jobs queued in the same request that made `a` due (the scheduler also queues one
    for due retries every few seconds, so the count alone proves nothing)."""
    return int(sql(stack, f"SELECT COUNT(*) FROM jobs j JOIN adjustments a ON a.tenant_id = j.tenant_id"
                          f" AND a.id = {a['id']} WHERE j.tenant_id = {tenant} AND j.kind = 'post'"
                          " AND j.created_at BETWEEN a.next_attempt_at AND a.next_attempt_at + INTERVAL 1 SECOND")
               .strip())


def row_form_action(html, adj_id):
    m = re.search(r'<form method="post" action="([^"]*)" class="row-actions">\s*<input type="hidden" name="csrf"'
                  r' value="[^"]*">\s*<input type="hidden" name="pick" value="%d">' % adj_id, html)
    assert m, "no action form for the row"
    return unescape(m.group(1))


def test_retry_now_makes_it_due_queues_a_post_and_is_audited(stack, actions):
    billing, L, rows, main = actions
    html = billing.get(url("failures", company="retry")).text
    # nothing failed among the picks: nothing changes, nothing is queued
    r = billing.post("/reports/failures", data={"csrf": csrf_from(html), "action": "retry", "pick": str(rows[4]["id"])})
    assert r.status_code == 303 and post_jobs(stack, L.tenant) == 0
    assert "Nothing was retried" in billing.get("/reports/failures").text
    assert adj_state(stack, rows[4])["state"] == "verified"
    # one row, with its own form
    action = row_form_action(html, rows[0]["id"])
    assert action.startswith("/reports/failures?company=retry&from=")
    r = billing.post(action, data={"csrf": csrf_from(html), "action": "retry", "pick": str(rows[0]["id"])})
    assert r.status_code == 303 and r.headers["Location"] == action
    s = adj_state(stack, rows[0])
    assert s["state"] == "failed" and s["note"] == "retry now" and s["by"] == billing.uid
    assert 0 <= int(s["age"]) <= 30                      # next try: now
    assert int(adj_state(stack, rows[1])["age"]) < -3600  # the others keep theirs
    assert post_job_with(stack, L.tenant, rows[0]) >= 1
    assert audits(stack, L.tenant, "adjustment.retry") == [(f"adjustment {rows[0]['id']}", "", str(billing.uid))]
    follow = billing.get(r.headers["Location"]).text
    assert "Retrying 1 adjustment now." in follow
    p = Page(follow)
    assert dict(zip(p.ids, p.rows))[rows[0]["id"]][13] == s["next"][:16] + " UTC"
    # in bulk: the checked rows of this tenant; another tenant's id, a bogus one and a change
    # that is not failed are left alone
    other_failed = next(a for a in main[5].adj if a["state"] == "failed")
    other_before = fixed(stack, other_failed)
    picks = [str(rows[1]["id"]), str(rows[2]["id"]), str(other_failed["id"]), "abc", str(rows[4]["id"])]
    r = billing.post("/reports/failures", data={"csrf": csrf_from(html), "action": "retry", "pick": picks})
    assert r.status_code == 303 and r.headers["Location"] == "/reports/failures"
    assert all(0 <= int(adj_state(stack, a)["age"]) <= 30 for a in rows[1:3])
    assert post_job_with(stack, L.tenant, rows[1]) >= 1
    assert fixed(stack, other_failed) == other_before
    assert adj_state(stack, rows[4])["state"] == "verified"
    assert post_jobs(stack, main[4].tenant) == 0
    assert [a[0] for a in audits(stack, L.tenant, "adjustment.retry")] == [
        f"adjustment {rows[i]['id']}" for i in (0, 1, 2)]
    assert audits(stack, main[4].tenant, "adjustment.retry") == []
    assert "Retrying 2 adjustments now." in billing.get("/reports/failures").text


def test_give_up_needs_a_reason_and_is_audited(stack, actions):
    billing, L, rows, main = actions
    html = billing.get("/reports/failures").text
    token = csrf_from(html)
    before = fixed(stack, rows[3])
    for fields in ({}, {"reason": ""}, {"reason": "   \t "}, {"reason": "x" * 501}):
        r = billing.post("/reports/failures", data={"csrf": token, "action": "give_up", "pick": str(rows[3]["id"]),
                                                    **fields})
        assert r.status_code == 400 and "Nothing was changed" in r.text
    assert fixed(stack, rows[3]) == before
    assert audits(stack, L.tenant, "adjustment.given_up") == []
    why = "Customer cancelled <b>early</b>; credited by hand"
    r = billing.post("/reports/failures", data={"csrf": token, "action": "give_up", "pick": str(rows[3]["id"]),
                                                "reason": "  " + why + " "})
    assert r.status_code == 303
    s = adj_state(stack, rows[3])
    assert (s["state"], s["note"], s["by"], s["next"]) == ("rejected", why, billing.uid, "")
    assert audits(stack, L.tenant, "adjustment.given_up") == [(f"adjustment {rows[3]['id']}", why, str(billing.uid))]
    follow = billing.get("/reports/failures").text
    assert "Gave up 1 adjustment" in follow
    assert rows[3]["id"] not in Page(follow).ids
    assert rows[3]["id"] not in Page(billing.get("/reports/adjustments").text).ids
    # in bulk, with the shared reason field; another tenant's failure is untouched
    other_failed = next(a for a in main[5].adj if a["state"] == "failed")
    other_before = fixed(stack, other_failed)
    r = billing.post("/reports/failures", data={"csrf": token, "action": "give_up", "reason": "duplicate",
                                                "pick": [str(rows[1]["id"]), str(rows[2]["id"]), str(other_failed["id"])]})
    assert r.status_code == 303
    assert [adj_state(stack, a)["state"] for a in rows] == ["failed", "rejected", "rejected", "rejected", "verified"]
    assert fixed(stack, other_failed) == other_before
    assert len(audits(stack, L.tenant, "adjustment.given_up")) == 3
    # an unknown action or a missing token changes nothing
    assert billing.post("/reports/failures", data={"csrf": token, "action": "delete",
                                                   "pick": str(rows[0]["id"])}).status_code == 400
    assert billing.post("/reports/failures", data={"action": "retry", "pick": str(rows[0]["id"])}).status_code == 403
    assert adj_state(stack, rows[0])["note"] == ""


def test_other_tenants_rows_never_appear(main):
    billing, viewer, L, _, other, O = main
    for c in (billing, viewer):
        for report in REPORTS:
            for q in ("", "secret", "contoso"):
                r = c.get(url(report, q=q))
                assert "Secret" not in r.text
                data = export(c, report, q=q)
                assert not any("Secret" in cell for row in data for cell in row)
    # and the other tenant sees only its own
    p = page(other, "adjustments")
    assert len(p.rows) == 2 and {r[1] for r in p.rows} == {"Contoso Other Tenant Secret"}


def test_hostile_names_are_inert_in_html_csv_and_chart(main):
    billing, _, L, named, _, _ = main
    for report in REPORTS:
        r = billing.get(f"/reports/{report}")
        assert "<script>alert" not in r.text
        assert "Evil &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Co&#39;" in r.text
        assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert svg_of(r.text) is not None                 # still well-formed XML
    data = export(billing, "adjustments", **{"from": (today() - timedelta(days=40)).isoformat()})
    assert EVIL in [row[1] for row in data[1:]]
    resources = [row[3] for row in data[1:]]
    assert "'" + FORMULA in resources and FORMULA not in resources
    errors = [row[ERROR_COL["failures"]] for row in export(billing, "failures")[1:]]
    assert "'=cmd|' /C calc'!A0" in errors
    raw = billing.get("/reports/adjustments?format=csv").content.decode("utf-8")
    assert '"Evil <script>alert(""x"")</script> & \'Co\'"' in raw and raw.endswith("\r\n")
    evil = '"><script>alert(1)</script>'
    r = billing.get(url("failures", q=evil, company="a&b=c"))
    assert r.status_code == 200 and "<script>alert(1)" not in r.text
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in r.text
    assert "company=a%26b%3Dc&amp;q=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E&amp;from=" in r.text


@pytest.mark.parametrize("query", [
    "sort=bogus", "sort=count", "sort=date%3B%20DROP%20TABLE%20adjustments", "sort=j.id", "dir=up",
    "from=2025-13-01", "from=2025-02-30", "from=yesterday", "to=2025-1-5", "to=20250105",
    "from=2025-03-02&to=2025-03-01", "page=0", "format=xml",
    "company=" + "x" * 201, "q=" + "y" * 201, "subscription=" + "s" * 201, "resource=" + "r" * 201,
])
def test_invalid_filters_or_sort_are_a_400_page(main, query):
    billing = main[0]
    for report in REPORTS:
        r = billing.get(f"/reports/{report}?{query}")
        assert r.status_code == 400, (report, query)
        assert "text/html" in r.headers["Content-Type"] and "<html" in r.text
        r = billing.get(f"/reports/{report}?{query}&format=csv")
        assert r.status_code == 400 and "text/csv" not in r.headers["Content-Type"]
    # failure-only columns are not sort keys of the log
    assert billing.get("/reports/adjustments?sort=error").status_code == 400
    assert billing.get("/reports/failures?sort=next_try&dir=asc").status_code == 200
