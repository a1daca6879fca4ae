"""The trail of each adjustment and charge (issue 13 item 10): a detail page per adjustment
(/reports/adjustments/<id>) and per one-time charge (/reports/charges/<id>) with every
attempt (time, request summary, the PSA's answer, outcome), oldest first, linked from the
adjustment log and the failure log; failed charges are failures everywhere (the failure log
with a kind column, the checklist, the dashboard, the alert mail); another tenant's id or an
unknown one is a 404 that says so. Checked end to end against the Autotask sandbox (a dropped
answer, a refused charge) and on rows seeded straight into the tables."""
import datetime
import re
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import requests

from billsync_test import insert_rows, mails_to, reset_sandbox, signed_in, sql, wait_for
from test_charges import E3, sync
from test_dashboard import checklist, tiles
from test_mapping import row_id, set_relation, setup_tenant
from test_sync import run_with_fault
import testclock

DASH = "\u2014"


# --- reading the pages ----------------------------------------------------------------------
class Detail(HTMLParser):
    """A detail page: its fields (key → shown value) and its attempts table, row by row:
    (n, time, request, answer, outcome label, data-outcome)."""

    def __init__(self, text):
        super().__init__()
        self.fields, self.attempts = {}, []
        self._key = self._dd = None
        self._row = self._cell = None
        self._in_attempts = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and a.get("class") == "detail-field":
            self._key = a.get("data-key")
        elif tag == "dd" and self._key:
            self._dd = []
        elif tag == "table" and a.get("id") == "attempts":
            self._in_attempts = True
        elif tag == "tr" and self._in_attempts and "data-outcome" in a:
            self._row = [a["data-outcome"]]
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "dd" and self._dd is not None:
            self.fields[self._key] = "".join(self._dd)
            self._dd = self._key = None
        elif tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            outcome, *cells = self._row
            self.attempts.append(tuple(cells) + (outcome,))
            self._row = None
        elif tag == "table":
            self._in_attempts = False

    def handle_data(self, data):
        if self._dd is not None:
            self._dd.append(data)
        if self._cell is not None:
            self._cell.append(data)


class Log(HTMLParser):
    """A report table's body rows: kind, data-id, the detail link of the row, the cells."""

    def __init__(self, text):
        super().__init__()
        self.rows, self.keys = [], []
        self._section = self._row = self._cell = None
        self._skip = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "th" and self._section == "thead" and a.get("data-key"):
            self.keys.append(a["data-key"])
        elif tag == "tr" and self._section == "tbody":
            self._row = dict(kind=a.get("data-kind"), id=a.get("data-id"), href=None, cells=[])
        elif tag == "td" and self._row is not None:
            self._skip = a.get("class") in ("select", "row-actions")
            self._cell = None if self._skip else []
        elif tag == "a" and self._cell is not None and a.get("class") == "detail-link":
            self._row["href"] = a["href"]

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row["cells"].append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def trail(stack, table, key, tenant, ident):
    """The attempts as stored, oldest first: (n, time, request, answer, outcome)."""
    out = sql(stack, f"SELECT DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s UTC'), outcome, request_summary,"
                     f" IF(COALESCE(error, '') = '', response, error) FROM {table}"
                     f" WHERE tenant_id = {tenant} AND {key} = {ident} ORDER BY id")
    rows = [line.split("\t") for line in out.splitlines()]
    return [(str(i + 1), at, summary, answer, outcome) for i, (at, outcome, summary, answer) in enumerate(rows)]


def shown(attempts):
    """The page's attempts without the outcome's label (compared with trail())."""
    return [(n, at, summary, answer, outcome) for n, at, summary, answer, _label, outcome in attempts]


def not_found(r, noun, ident):
    assert r.status_code == 404, r.status_code
    assert "text/html" in r.headers["Content-Type"]
    assert f"There is no {noun} {ident} " in unescape(r.text), r.text[:2000]


# --- end to end -------------------------------------------------------------------------------
def test_a_dropped_post_then_resolved_keeps_both_attempts_on_its_page(stack):
    # Autotask commits the +4 and the answer is lost: the first attempt failed; the retry reads
    # the PSA back, finds the units there and posts nothing
    L = run_with_fault(stack, "commit_drop")
    adj = int(sql(stack, f"SELECT DISTINCT adjustment_id FROM adjustment_attempts WHERE tenant_id = {L.t}"
                         " AND outcome = 'failed'").strip())
    want = trail(stack, "adjustment_attempts", "adjustment_id", L.t, adj)
    assert len(want) >= 2 and want[0][4] == "failed" and want[-1][4] == "nothing_to_do", want
    assert want[0][3], "the failed attempt says why"
    # the adjustment log links its row to the page
    log = Log(L.admin.get("/reports/adjustments").text)
    row = next(r for r in log.rows if r["id"] == str(adj))
    assert row["href"] == f"/reports/adjustments/{adj}"
    r = L.admin.get(row["href"])
    assert r.status_code == 200, r.text[:2000]
    page = Detail(r.text)
    assert shown(page.attempts) == want                      # every attempt, oldest first
    assert page.attempts[0][4] == "failed" and page.attempts[-1][4].startswith("nothing to do")
    f = page.fields
    assert (f["state"], f["change"], f["desired"]) == ("verified", "+4", "16") and int(f["attempts"]) >= 2
    assert f["company"] == "Contoso Ltd" and f["resource"] == "Microsoft 365 Business Basic"
    assert f["service"] == "Microsoft 365 Business Basic" and f["effective"] == L.last_effective()
    # another tenant's reader gets a 404 that says so, and nothing of it
    other = signed_in(stack, "viewer")
    r = other.get(f"/reports/adjustments/{adj}")
    not_found(r, "adjustment", adj)
    assert "Contoso" not in r.text and want[0][3] not in r.text


CHARGE_FAULT = {"system": "autotask", "method": "POST", "path": r"Contracts/[0-9]+/Charges", "kind": "http500",
                "params": {"message": "Charge refused: the contract is closed"}, "count": -1}


def test_a_failed_charge_is_a_failure_everywhere_until_it_posts(stack):
    reset_sandbox(stack)
    start = testclock.today().replace(day=1)
    end = start.replace(year=start.year + 1) - datetime.timedelta(days=1)
    admin = setup_tenant(stack, [E3.format(qty=3, ext="1166.40", type="one_time", start=start, end=end,
                                           line="e3-1")])
    t = admin.tenant
    contoso = sql(stack, f"SELECT psa_id FROM psa_companies WHERE tenant_id = {t} AND name = 'Contoso Ltd'").strip()
    set_relation(admin, "company", row_id(stack, "src_companies", t, "ct1"), contoso)
    fixed = sql(stack, f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {t} AND company_psa_id = '{contoso}' "
                       "AND contract_type = 'fixed_price' LIMIT 1").strip()
    control = f"http://127.0.0.1:{stack.sandbox['control']}"
    requests.post(control + "/faults", json=CHARGE_FAULT, timeout=10).raise_for_status()
    try:
        set_relation(admin, "subscription", row_id(stack, "src_subscriptions", t, "ct-e3"), fixed)
        sync(admin, stack)
        wait_for(lambda: sql(stack, f"SELECT state FROM charges_posted WHERE tenant_id = {t}").strip() == "failed",
                 60, "the charge to fail")
        charge = int(sql(stack, f"SELECT id FROM charges_posted WHERE tenant_id = {t}").strip())
        error = sql(stack, f"SELECT last_error FROM charges_posted WHERE id = {charge}").strip()
        assert "Charge refused: the contract is closed" in error
        # the failure log lists it, reason right after the date, linked to its page
        log = Log(admin.get("/reports/failures").text)
        assert log.keys[:3] == ["date", "error", "kind"]
        assert len(log.rows) == 1
        row = log.rows[0]
        assert row["kind"] == "charge" and row["id"] is None       # no ledger actions on a charge
        assert row["href"] == f"/reports/charges/{charge}"
        qty, price, description = sql(stack, "SELECT quantity, unit_price, description FROM charges_posted"
                                             f" WHERE id = {charge}").rstrip("\n").split("\t")
        amount = Decimal(qty) / 1000 * Decimal(price) / 10000
        cells = row["cells"]
        assert cells[1] == error and cells[2] == "charge" and cells[3] == "Contoso Ltd"
        assert cells[4] == "Microsoft 365 E3 (annual)" and cells[5] == description
        assert cells[9] == "" and cells[11] == f"{amount:.2f}" and cells[13] == "next sync"
        # the checklist and the dashboard count it
        items = checklist(admin.get("/checklist").text)
        assert items["failures"]["count"] == 1 and not items["failures"]["clear"]
        assert "1 failed charge: see why on the failure log" in unescape(admin.get("/checklist").text)
        tile = tiles(admin.get("/").text)["failed"]
        assert tile["value"] == "1" and urlsplit(tile["href"]).path == "/reports/failures"
        # its page: what it bills, and each attempt so far (every sync tries it again)
        page = Detail(admin.get(row["href"]).text)
        want = trail(stack, "charge_attempts", "charge_id", t, charge)
        assert want and all(a[4] == "failed" for a in want)
        assert shown(page.attempts) == want
        assert all(error in a[3] for a in page.attempts)
        f = page.fields
        contract = sql(stack, f"SELECT name FROM psa_contracts WHERE tenant_id = {t} AND psa_id = '{fixed}'").strip()
        assert (f["state"], f["company"], f["contract"], f["quantity"]) == ("failed", "Contoso Ltd", contract, "3")
        assert f["error"] == error and f["price"] == f"{Decimal(price) / 10000:.2f}"
        assert f["next_try"] == "with the next sync" and f["cost"] == "388.80"
        # failing longer than the tenant's alert threshold: mailed to the admins once
        sql(stack, f"UPDATE charges_posted SET created_at = created_at - INTERVAL 5 HOUR WHERE id = {charge}")
        sync(admin, stack)
        msgs = [m for m in mails_to(stack, admin.email, wait=20)
                if m["Subject"] == "billsync: charges are failing to post"]
        assert len(msgs) == 1
        body = msgs[0].get_payload(decode=True).decode()
        assert f"- charge {description} (failing since " in body and "Charge refused: the contract is closed" in body
    finally:
        requests.delete(control + "/faults", timeout=10)
    # the fault is gone: the next sync creates it, the trail keeps the failures before it
    sync(admin, stack)
    wait_for(lambda: sql(stack, f"SELECT state FROM charges_posted WHERE id = {charge}").strip() == "posted",
             60, "the charge to post")
    want = trail(stack, "charge_attempts", "charge_id", t, charge)
    assert [a[4] for a in want][-1] == "created" and {a[4] for a in want[:-1]} == {"failed"} and len(want) >= 3
    page = Detail(admin.get(f"/reports/charges/{charge}").text)
    assert shown(page.attempts) == want and page.fields["state"] == "posted"
    assert "error" not in page.fields and page.fields["psa_id"]
    assert Log(admin.get("/reports/failures").text).rows == []
    assert checklist(admin.get("/checklist").text)["failures"]["count"] == 0
    assert tiles(admin.get("/").text)["failed"]["value"] == "0"


# --- seeded ---------------------------------------------------------------------------------
EVIL = "<script>alert('x')</script> & \"Co\""


def utcnow():
    return testclock.utcnow().replace(tzinfo=None, microsecond=0)


def seed(stack, tenant, failed_days_ago=3, charge_days_ago=40):
    """A linked-looking tenant: names in the snapshot and PSA cache, one failed adjustment with
    three attempts, one verified adjustment, one failed annual charge (older than the log's
    default 30 days) with two attempts. Returns (failed adjustment id, verified id, charge id)."""
    t = tenant
    sql(stack, f"INSERT INTO connections (tenant_id, kind, system, name, settings) VALUES"
               f" ({t}, 'source', 'csv', 'Ingram', '{{}}'), ({t}, 'psa', 'autotask', 'Autotask', '{{}}')")
    src, psa = (int(x) for x in sql(stack, f"SELECT id FROM connections WHERE tenant_id = {t} ORDER BY id").split())
    insert_rows(stack, "src_companies", [dict(tenant_id=t, connection_id=src, source_id="C1", name="Trail Co " + EVIL)])
    insert_rows(stack, "src_subscriptions", [
        dict(tenant_id=t, connection_id=src, source_id="S1", company_source_id="C1", name="M365 BB", status="active"),
        dict(tenant_id=t, connection_id=src, source_id="S2", company_source_id="C1", name="E3 annual",
             status="active")])
    insert_rows(stack, "src_resources", [dict(tenant_id=t, connection_id=src, source_id="R1",
                                              subscription_source_id="S1", company_source_id="C1", name="M365 BB",
                                              sku="SKU", quantity=5000, unit_cost=0, currency="USD",
                                              status="active")])
    insert_rows(stack, "psa_companies", [dict(tenant_id=t, connection_id=psa, psa_id="A1", name="Trail (AT)")])
    insert_rows(stack, "psa_contracts", [dict(tenant_id=t, connection_id=psa, psa_id="K1", company_psa_id="A1",
                                              name="Trail Monthly", contract_type="recurring")])
    insert_rows(stack, "psa_services", [dict(tenant_id=t, connection_id=psa, psa_id="V1", name="BB service")])
    now = utcnow()
    created = now - datetime.timedelta(days=failed_days_ago)
    base = dict(tenant_id=t, resource_link_id=800001, origin="sync", src_connection_id=src, src_resource_id="R1",
                psa_connection_id=psa, psa_contract_id="K1", psa_service_id="V1", psa_units_before=3000,
                effective_date=created.date().isoformat(), prorated_amount=12500)
    insert_rows(stack, "adjustments", [
        dict(base, desired_units=5000, unit_change=2000, state="failed", attempts=3, last_error="Refused " + EVIL,
             next_attempt_at=None, idempotency_key=f"trail-f-{t}", created_at=created,
             lease_owner="held-by-test", lease_until=now + datetime.timedelta(days=2)),
        dict(base, desired_units=4000, unit_change=1000, state="verified", attempts=1, last_error=None,
             next_attempt_at=None, idempotency_key=f"trail-v-{t}", created_at=created, lease_owner=None,
             lease_until=None)])
    failed, verified = (int(x) for x in sql(stack, f"SELECT id FROM adjustments WHERE tenant_id = {t}"
                                                   " ORDER BY idempotency_key").split())
    at = [created + datetime.timedelta(minutes=m) for m in (0, 1, 61)]
    insert_rows(stack, "adjustment_attempts", [
        dict(tenant_id=t, adjustment_id=failed, at=at[0], outcome="failed", request_summary="+2 units " + EVIL,
             response="", error="HTTP 500 " + EVIL),
        dict(tenant_id=t, adjustment_id=failed, at=at[1], outcome="failed", request_summary="+2 units again",
             response="", error="timed out"),
        dict(tenant_id=t, adjustment_id=failed, at=at[2], outcome="failed", request_summary="+2 units, third",
             response="", error="Refused " + EVIL)])
    chc = now - datetime.timedelta(days=charge_days_ago)
    insert_rows(stack, "charges_posted", [dict(
        tenant_id=t, kind="annual", charge_key=f"annual:{src}:S2:x:y:q5000", src_connection_id=src,
        src_subscription_id="S2", psa_connection_id=psa, psa_contract_id="K1", psa_charge_id="",
        description="E3 annual (term) " + EVIL, charge_date=chc.date().isoformat(), quantity=5000,
        unit_price=3960000, unit_cost=3240000, state="failed", last_error="Closed period " + EVIL, attempts=2,
        created_at=chc, updated_at=chc + datetime.timedelta(minutes=15))])
    charge = int(sql(stack, f"SELECT id FROM charges_posted WHERE tenant_id = {t}").strip())
    insert_rows(stack, "charge_attempts", [
        dict(tenant_id=t, charge_id=charge, at=chc, outcome="failed", request_summary="create " + EVIL,
             response="", error="Closed period " + EVIL),
        dict(tenant_id=t, charge_id=charge, at=chc + datetime.timedelta(minutes=15), outcome="failed",
             request_summary="create again", response="", error="Closed period " + EVIL)])
    # held as if synced just now: the stack's worker leaves this tenant alone
    sql(stack, f"INSERT INTO tenant_sync (tenant_id, started_at, finished_at, result) VALUES ({t},"
               " UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 'held by a test') ON DUPLICATE KEY UPDATE"
               " finished_at = UTC_TIMESTAMP(6)")
    return failed, verified, charge


def test_detail_pages_show_every_field_and_attempt_escaped(stack):
    viewer = signed_in(stack, "viewer")
    failed, verified, charge = seed(stack, viewer.tenant)
    r = viewer.get(f"/reports/adjustments/{failed}")
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in r.text
    page = Detail(r.text)
    assert shown(page.attempts) == trail(stack, "adjustment_attempts", "adjustment_id", viewer.tenant, failed)
    assert [a[0] for a in page.attempts] == ["1", "2", "3"]                  # oldest first, newest last
    assert page.attempts[0][2] == "+2 units " + EVIL and page.attempts[0][3] == "HTTP 500 " + EVIL
    f = page.fields
    assert f["company"] == "Trail Co " + EVIL and f["subscription"] == "M365 BB" and f["account"] == "Trail (AT)"
    assert (f["contract"], f["service"], f["before"], f["desired"], f["change"]) == (
        "Trail Monthly", "BB service", "3", "5", "+2")
    assert f["state"] == "failed" and f["error"] == "Refused " + EVIL and f["amount"] == "1.25"
    assert f["next_try"].startswith("none scheduled")
    # a verified change with no attempt recorded says so
    page = Detail(viewer.get(f"/reports/adjustments/{verified}").text)
    assert page.attempts == [] and page.fields["state"] == "verified" and "error" not in page.fields
    assert "No attempt yet" in viewer.get(f"/reports/adjustments/{verified}").text
    # the charge
    r = viewer.get(f"/reports/charges/{charge}")
    assert r.status_code == 200 and "<script>alert" not in r.text
    page = Detail(r.text)
    assert shown(page.attempts) == trail(stack, "charge_attempts", "charge_id", viewer.tenant, charge)
    f = page.fields
    assert f["description"] == "E3 annual (term) " + EVIL and f["company"] == "Trail Co " + EVIL
    assert f["subscription"] == "E3 annual" and f["contract"] == "Trail Monthly" and f["quantity"] == "5"
    assert (f["price"], f["cost"], f["state"], f["attempts"]) == ("396.00", "324.00", "failed", "2")
    assert f["error"] == "Closed period " + EVIL


def test_failure_log_lists_failed_charges_and_everything_counts_them(stack):
    admin = signed_in(stack, "billing")
    failed, verified, charge = seed(stack, admin.tenant)
    today = testclock.utcnow().date()
    oldest = (today - datetime.timedelta(days=40)).isoformat()
    # the dashboard and the checklist count both and link to the log reaching back to the oldest
    tile = tiles(admin.get("/").text)["failed"]
    assert tile["value"] == "2"
    items = checklist(admin.get("/checklist").text)
    assert items["failures"]["count"] == 2 and f"from={oldest}" in items["failures"]["href"]
    assert f"from={oldest}" in tile["href"]
    assert "1 failed adjustment and 1 failed charge: see the failure log" in unescape(admin.get("/checklist").text)
    log = Log(admin.get(items["failures"]["href"]).text)
    assert [(r["kind"], r["href"]) for r in log.rows] == [
        ("adjustment", f"/reports/adjustments/{failed}"), ("charge", f"/reports/charges/{charge}")]
    adj, chg = (r["cells"] for r in log.rows)
    assert adj[1:4] == ["Refused " + EVIL, "adjustment", "Trail Co " + EVIL] and adj[9] == "+2"
    assert adj[11] == "1.25" and adj[13] == DASH
    assert chg[1:4] == ["Closed period " + EVIL, "charge", "Trail Co " + EVIL] and chg[9] == ""
    assert chg[4] == "E3 annual" and chg[5] == "E3 annual (term) " + EVIL and chg[11] == "1980.00"
    assert log.rows[0]["id"] == str(failed) and log.rows[1]["id"] is None   # actions: adjustments only
    # the default 30 days leave the 40-day-old charge out; filters apply to both kinds
    assert [r["kind"] for r in Log(admin.get("/reports/failures").text).rows] == ["adjustment"]
    wide = f"from={oldest}"
    assert [r["kind"] for r in Log(admin.get(f"/reports/failures?{wide}&q=closed+period").text).rows] == ["charge"]
    assert [r["kind"] for r in Log(admin.get(f"/reports/failures?{wide}&subscription=annual").text).rows] == [
        "charge"]
    assert [r["kind"] for r in Log(admin.get(f"/reports/failures?{wide}&sort=kind&dir=desc").text).rows] == [
        "charge", "adjustment"]
    assert admin.get(f"/reports/failures?{wide}&sort=amount").status_code == 200
    assert admin.get("/reports/adjustments?sort=kind").status_code == 400
    # totals: the unit change of the adjustment only, the amounts of both
    html = admin.get(f"/reports/failures?{wide}").text
    assert 'data-total="quantity">+2<' in html and 'data-total="value">1981.25<' in html
    # the export holds the kind and the same cells
    lines = admin.get(f"/reports/failures?{wide}&format=csv").content.decode().splitlines()
    assert lines[0].startswith("Date,Reason,Kind,Company,")
    assert len(lines) == 3 and ",charge," in lines[2]
    # a charge row has no retry / give-up (they are the ledger's)
    m = re.search(r'<tr data-kind="charge">(.*?)</tr>', html, re.S)
    assert m and 'type="checkbox"' not in m.group(1) and 'name="action"' not in m.group(1)
    m = re.search(r'<tr data-id="%d" data-kind="adjustment">(.*?)</tr>' % failed, html, re.S)
    assert m and 'type="checkbox"' in m.group(1)


def test_another_tenants_or_an_unknown_id_is_a_404(stack):
    owner = signed_in(stack, "admin")
    failed, _, charge = seed(stack, owner.tenant)
    other = signed_in(stack, "admin")
    r = other.get(f"/reports/adjustments/{failed}")
    not_found(r, "adjustment", failed)
    assert "Trail" not in r.text and "Refused" not in r.text
    r = other.get(f"/reports/charges/{charge}")
    not_found(r, "charge", charge)
    assert "Trail" not in r.text and "Closed period" not in r.text
    # and the owner sees both
    assert owner.get(f"/reports/adjustments/{failed}").status_code == 200
    assert owner.get(f"/reports/charges/{charge}").status_code == 200
    big = 10 ** 15
    not_found(owner.get(f"/reports/adjustments/{big}"), "adjustment", big)
    not_found(owner.get(f"/reports/charges/{big}"), "charge", big)
    # an adjustment's number is not a charge's and the other way round
    if failed != charge:
        not_found(owner.get(f"/reports/charges/{failed}"), "charge", failed)
    for bad in ("abc", "0", "-1", f"{failed}/", f"{failed}x", "1" * 19, "", f"{failed}%20"):
        for base in ("/reports/adjustments/", "/reports/charges/"):
            r = owner.get(base + bad)
            assert r.status_code == 404, (base, bad)
            assert "There is no such" in unescape(r.text)
    # signed out: to the sign-in page
    r = requests.get(stack.url + f"/reports/adjustments/{failed}", allow_redirects=False, timeout=30)
    assert r.status_code in (302, 303) and "/login" in r.headers["Location"]
