"""The new-unlinked alert (issue 18 part 4; doc/dashboard.md "New since last sync"): a
subscription a distributor pull finds after the connection's first pull, and that nobody has
linked, is shown on the dashboard with its monthly value at cost and mailed to the tenant's
admins once: in a daily digest at 07:00 tenant time, at once after the pull, or not at all.

The pulls are billing files uploaded through the connections page (an import is a pull). The
clock: the tenant's time zone puts its local hour where the test needs it (07:00 passed, and
far from midnight), and the worker's clock moves by whole days (libfaketime, as
billsync_test.worker_on does); the test never reads the real date and never sleeps for a
fixed time (quiesce waits until nothing is due)."""
import contextlib
import os
import re
import signal
import subprocess
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, urlsplit

from billsync_test import (ROOT, Client, csrf_from, mail_body, mails_to, new_tenant, new_user, quiesce, sql,
                           upload_csv, wait_for)
from recon_file import MS_HEADER, ms_row
from stack import fake_clock_env
from testclock import today, utcnow

CENT, TEN_K = Decimal("0.01"), Decimal("0.0001")


def monthly_value(qty, cost, annual):
    """The model of core/new_subs.h cost_monthly: qty x cost to 1/10000 (half-even); annual:
    a twelfth of it, to 1/10000, then to the cent (both half-even)."""
    v = Decimal(qty) * Decimal(cost)
    if annual:
        return (v / 12).quantize(TEN_K, rounding=ROUND_HALF_EVEN).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return v.quantize(TEN_K, rounding=ROUND_HALF_EVEN)


def zone_at_noon():
    """An Etc/GMT zone whose local time is between 12:00 and 13:00 now (07:00 has passed, and
    midnight is hours away whatever the test's pace)."""
    off = (12 - utcnow().hour) % 24
    if off > 12:
        off -= 24
    return "UTC" if off == 0 else f"Etc/GMT{-off:+d}"   # Etc/GMT-5 is UTC+5


class Msp:
    """A tenant with a CSV source connection, two admins, a billing user and a viewer."""

    def __init__(self, stack, mode=None):
        self.stack = stack
        _, self.t = new_tenant(stack)
        sql(stack, f"UPDATE tenants SET time_zone = '{zone_at_noon()}' WHERE id = {self.t}")
        self.admins = [new_user(stack, self.t, "admin"), new_user(stack, self.t, "admin")]
        self.others = [new_user(stack, self.t, "billing"), new_user(stack, self.t, "viewer")]
        self.admin = Client(stack)
        assert self.admin.login(self.admins[0]).status_code == 303
        sql(stack, "INSERT INTO connections (tenant_id, kind, system, name, settings) VALUES "
                   f"({self.t}, 'source', 'csv', 'Recon files', '{{\"format\":\"mscsp\"}}')")
        self.conn = int(sql(stack, f"SELECT MAX(id) FROM connections WHERE tenant_id = {self.t}"))
        self.lines, self.n = [], 0
        if mode:
            self.set_mode(mode)

    def set_mode(self, mode):
        page = self.admin.get("/settings/billing").text
        fields = {f: re.search(rf'name="{f}" value="([^"]+)"[^>]* checked', page).group(1)
                  for f in ("approval", "decrease_mode", "drift_mode", "usage_mode")}
        fields.update(alert_after_minutes="240", sync_interval_minutes="15", time_zone=self.zone(),
                      unlinked_alert=mode, csrf=csrf_from(page))
        r = self.admin.post("/settings/billing", data=fields)
        assert r.status_code == 303, r.text
        assert self.mode() == mode

    def zone(self):
        return sql(self.stack, f"SELECT time_zone FROM tenants WHERE id = {self.t}").strip()

    def mode(self):
        return sql(self.stack, f"SELECT unlinked_alert FROM tenant_policies WHERE tenant_id = {self.t}").strip()

    def add(self, sub, company, product, qty, cost, annual=False):
        """A subscription (one resource) the next pull will see: qty seats at cost a month
        (annual: a year)."""
        self.n += 1
        d = today().replace(day=1)
        if annual:
            self.lines.append(ms_row(self.n, f"c-{company}", company, sub, product, "new", qty, cost, "0",
                                     d.isoformat(), d.replace(year=d.year + 1).isoformat(), freq="Annual"))
        else:
            self.lines.append(ms_row(self.n, f"c-{company}", company, sub, product, "cycleCharge", qty, cost, "0",
                                     d.isoformat(), d.isoformat()))
        return dict(sub=sub, company=company, product=product, value=monthly_value(qty, cost, annual))

    def pull(self):
        """Uploads the billing file with every line so far (a pull) and waits for its import."""
        upload_csv(self.admin, self.conn, f"recon-{self.n}.csv", MS_HEADER + "\n" + "\n".join(self.lines) + "\n",
                   fmt="mscsp")
        assert sql(self.stack, f"SELECT status FROM csv_imports WHERE connection_id = {self.conn} "
                               "ORDER BY id DESC LIMIT 1").strip() == "imported"

    def company_id(self, company):
        return int(sql(self.stack, f"SELECT id FROM src_companies WHERE tenant_id = {self.t} "
                                   f"AND connection_id = {self.conn} AND source_id = 'c-{company}'"))

    def link_subscription(self, sub):
        """A subscription link (to a contract of a PSA connection that need not answer)."""
        sql(self.stack, "INSERT INTO subscription_links (tenant_id, src_connection_id, src_subscription_id, "
                        f"psa_connection_id, psa_contract_id) VALUES ({self.t}, {self.conn}, '{sub}', 999999, '1')")

    def mails(self, address, count=1, wait=10):
        return mails_to(self.stack, address, wait=wait, count=count)

    def settle(self):
        """Nothing of the tenant left due (its alert job included)."""
        quiesce(self.stack, self.t)


@contextlib.contextmanager
def worker_days_ahead(stack, days, children=2, race_tenant=None):
    """The stack's worker replaced by one whose clock is `days` whole days ahead (libfaketime),
    with `children` processes competing for jobs; the usual worker comes back afterwards. With
    race_tenant, two alert jobs of that tenant wait for it, so its children start on them at once."""
    stack.stop_one("worker")
    if race_tenant:
        sql(stack, f"INSERT INTO jobs (tenant_id, kind) VALUES ({race_tenant}, 'unlinked_alert'), "
                   f"({race_tenant}, 'unlinked_alert')")
    env = stack.env()
    env.update(BILLSYNC_WORKER_CHILDREN=str(children), BILLSYNC_WORKER_POLL_MS="50")
    base = int(float(os.environ.get("BILLSYNC_CLOCK_OFFSET") or 0))
    env = fake_clock_env(env, offset=str(base + days * 86400))
    log = open(stack.path("log", "worker-unlinked.log"), "ab")
    p = subprocess.Popen([os.path.join(ROOT, "bin", "billsync-worker")], cwd=ROOT, env=env, stdout=log, stderr=log)
    log.close()
    try:
        yield p
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
        stack.start_worker()


def dashboard_card(client):
    html = client.get("/").text
    m = re.search(r'<section class="panel new-subs[^"]*" id="new-subs"[^>]*data-count="(\d+)"(.*?)</section>', html, re.S)
    assert m, "no New since last sync card"
    body = m.group(2)
    rows = re.findall(r'<tr data-subscription="([^"]*)" data-value="([^"]*)" data-currency="([^"]*)">(.*?)</tr>',
                      body, re.S)
    totals = dict((c, Decimal(v)) for c, v in re.findall(r'class="amount" data-currency="([^"]+)" data-value="([^"]+)"',
                                                          body))
    maps = dict((sub, href.replace("&amp;", "&")) for sub, _, _, cells in rows
                for href in re.findall(r'class="map-link" href="([^"]+)"', cells))
    report = re.search(r'id="new-subs-report" href="([^"]+)"', body).group(1).replace("&amp;", "&")
    return dict(n=int(m.group(1)), subs={r[0]: Decimal(r[1]) for r in rows}, totals=totals, maps=maps,
                report=report, empty='id="new-subs-empty"' in body, text=body)


def listed_in_mail(body):
    """{subscription name: (value text, map link)} of the mail's list."""
    body = body.replace("\r\n", "\n")
    return {m.group(2): (m.group(3), m.group(4)) for m in re.finditer(
        r"^- (.+?) / (.+?) \(Recon files, found [^)]+\): (.+?)\n  Map it: (\S+)$", body, re.M)}


def cents(v):
    return str(v.quantize(CENT, rounding=ROUND_HALF_UP))


def test_first_pull_is_a_baseline_then_new_ones_are_shown_and_mailed_once_a_day(stack):
    m = Msp(stack)
    assert m.mode() in ("", "daily")       # the default: daily
    # the connection's first pull: its catalogue, not news
    m.add("old-1", "Contoso Ltd", "Microsoft 365 E3", 10, "32.0000")
    m.add("old-2", "Fabrikam Inc", "Exchange Online (Plan 1)", 4, "4.0000")
    m.pull()
    m.settle()
    assert sql(stack, f"SELECT COUNT(*) FROM src_new_subscriptions WHERE tenant_id = {m.t}").strip() == "0"
    card = dashboard_card(m.admin)
    assert card["n"] == 0 and card["empty"], card["text"]

    # new subscriptions appear at the source; one of them gets linked before any digest
    new1 = m.add("new-1", "Contoso Ltd", "Microsoft 365 Business Premium", 7, "12.3457")
    new2 = m.add("new-2", "Northwind Traders", "Microsoft 365 E5", 3, "32.4300", annual=True)
    linked = m.add("new-3", "Fabrikam Inc", "Teams Essentials", 5, "4.0000")
    m.pull()
    m.link_subscription("new-3")
    card = dashboard_card(m.admin)
    want = {new1["sub"]: new1["value"], new2["sub"]: new2["value"]}
    assert card["n"] == 2 and card["subs"] == want, card["text"]
    assert card["totals"] == {"USD": new1["value"] + new2["value"]}
    assert "2 subscriptions" in card["text"] and "/month at cost" in card["text"]
    # Map: the Billing page filtered to the company, at its row
    for s in (new1, new2):
        u = urlsplit(card["maps"][s["sub"]])
        assert u.path == "/mapping" and parse_qs(u.query) == {"q": [s["company"]], "mapped": ["1"]}
        assert u.fragment == f"company-{m.company_id(s['company'])}"
        assert f'id="company-{m.company_id(s["company"])}"' in m.admin.get(card["maps"][s["sub"]]).text
    # the card's report: exactly these subscriptions' resources, its value total the card's
    assert card["report"] == "/reports/unlinked?new=1"
    rep = m.admin.get(card["report"] + "&format=csv")
    assert rep.status_code == 200
    rows = [l.split(",") for l in rep.text.strip().splitlines()[1:]]
    assert sorted(r[2] for r in rows) == sorted([new1["product"], new2["product"]]), rep.text
    assert sum(Decimal(r[7]) for r in rows) == new1["value"] + new2["value"]
    # a viewer sees the same card
    viewer = Client(stack)
    assert viewer.login(m.others[1]).status_code == 303
    vcard = dashboard_card(viewer)
    assert vcard["subs"] == want and vcard["maps"] == {}   # the Billing page is not a viewer's

    # found today after 07:00 (tenant time): today's digest has gone by, so nothing today
    wait_for(lambda: sql(stack, f"SELECT next_check_at IS NOT NULL FROM unlinked_alert_state "
                                f"WHERE tenant_id = {m.t}").strip() == "1", 60, "the alert job's first look")
    m.settle()
    for a in m.admins + m.others:
        assert m.mails(a, wait=0) == []

    # tomorrow at the tenant's noon, two worker processes starting on two alert jobs at once: one digest
    with worker_days_ahead(stack, 1, race_tenant=m.t):
        for a in m.admins:
            got = m.mails(a, wait=60)
            assert len(got) == 1, a
            body = mail_body(got[0])
            assert got[0]["Subject"] == "billsync: 2 new unlinked subscriptions"
            listed = listed_in_mail(body)
            assert set(listed) == {new1["product"], new2["product"]}, body
            for s in (new1, new2):
                value, link = listed[s["product"]]
                assert value == f"{cents(s['value'])} USD a month at cost"
                assert link == (f"{stack.url}/mapping?q={s['company'].replace(' ', '%20')}&mapped=1"
                                f"#company-{m.company_id(s['company'])}")
            assert "Teams Essentials" not in body and "old-" not in body and "Exchange" not in body
        sql(stack, f"INSERT INTO jobs (tenant_id, kind) VALUES ({m.t}, 'unlinked_alert'), ({m.t}, 'unlinked_alert')")
        m.settle()
        for a in m.admins:
            assert len(m.mails(a, wait=0)) == 1
        for o in m.others:
            assert m.mails(o, wait=0) == []
        # a further new one, found that day: it waits for the next day's digest
        new4 = m.add("new-4", "Contoso Ltd", "Power BI Pro", 2, "9.9900")
        m.pull()
        sql(stack, f"INSERT INTO jobs (tenant_id, kind) VALUES ({m.t}, 'unlinked_alert')")
        m.settle()
        for a in m.admins:
            assert len(m.mails(a, wait=0)) == 1

    # the day after: the digest lists only it; the first two are never mailed again
    with worker_days_ahead(stack, 2):
        for a in m.admins:
            got = m.mails(a, count=2, wait=60)
            assert len(got) == 2
            body = mail_body(got[1])
            assert set(listed_in_mail(body)) == {new4["product"]}, body
            assert got[1]["Subject"] == "billsync: 1 new unlinked subscription"
        sql(stack, f"INSERT INTO jobs (tenant_id, kind) VALUES ({m.t}, 'unlinked_alert')")
        m.settle()
        for a in m.admins:
            assert len(m.mails(a, wait=0)) == 2
    assert sql(stack, f"SELECT source_id, alert_via FROM src_new_subscriptions WHERE tenant_id = {m.t} "
                      "AND alerted_at IS NOT NULL ORDER BY source_id").split() == \
        ["new-1", "mail", "new-2", "mail", "new-4", "mail"]


def test_a_completed_sync_starts_a_new_window(stack):
    m = Msp(stack, "off")
    m.add("a-1", "Contoso Ltd", "Microsoft 365 E3", 1, "1.0000")
    m.pull()
    a2 = m.add("a-2", "Contoso Ltd", "Visio Plan 2", 2, "15.0000")
    m.pull()
    assert dashboard_card(m.admin)["subs"] == {"a-2": a2["value"]}
    # a sync completes (no links: it only marks the window): a-2 is no longer new since it
    sql(stack, f"INSERT INTO jobs (tenant_id, kind) VALUES ({m.t}, 'sync')")
    wait_for(lambda: sql(stack, f"SELECT window_from IS NOT NULL FROM unlinked_alert_state "
                                f"WHERE tenant_id = {m.t}").strip() == "1", 60, "the sync to complete")
    card = dashboard_card(m.admin)
    assert card["n"] == 0 and card["empty"]
    assert m.admin.get("/reports/unlinked?new=1&format=csv").text.strip().count("\n") == 0
    a3 = m.add("a-3", "Contoso Ltd", "Project Plan 3", 3, "25.5000")
    m.pull()
    card = dashboard_card(m.admin)
    assert card["subs"] == {"a-3": a3["value"]} and card["totals"] == {"USD": a3["value"]}


def test_at_once_mails_after_the_pull(stack):
    m = Msp(stack, "at_once")
    m.add("b-1", "Contoso Ltd", "Microsoft 365 E3", 1, "1.0000")
    m.pull()
    m.settle()
    b2 = m.add("b-2", "Tailspin Toys", "Microsoft 365 Business Basic", 6, "5.4000")
    m.pull()
    for a in m.admins:
        got = m.mails(a, wait=60)
        assert len(got) == 1
        assert set(listed_in_mail(mail_body(got[0]))) == {b2["product"]}
        assert "after each distributor pull" in mail_body(got[0])
    m.settle()
    # the next pull finds nothing new: no second mail
    m.pull()
    m.settle()
    for a in m.admins:
        assert len(m.mails(a, wait=0)) == 1
    for o in m.others:
        assert m.mails(o, wait=0) == []


def test_off_mails_nothing_not_even_later(stack):
    m = Msp(stack, "off")
    m.add("c-1", "Contoso Ltd", "Microsoft 365 E3", 1, "1.0000")
    m.pull()
    c2 = m.add("c-2", "Tailspin Toys", "Microsoft 365 Business Basic", 6, "5.4000")
    m.pull()
    assert dashboard_card(m.admin)["subs"] == {"c-2": c2["value"]}   # still on the dashboard
    m.settle()
    with worker_days_ahead(stack, 1):
        sql(stack, f"INSERT INTO jobs (tenant_id, kind) VALUES ({m.t}, 'unlinked_alert')")
        m.settle()
        # turned on again: what was found while off stays unmailed
        m.set_mode("at_once")
        sql(stack, f"INSERT INTO jobs (tenant_id, kind) VALUES ({m.t}, 'unlinked_alert')")
        m.settle()
    for a in m.admins + m.others:
        assert m.mails(a, wait=0) == []
    assert sql(stack, f"SELECT alert_via FROM src_new_subscriptions WHERE tenant_id = {m.t}").strip() == "off"


def test_the_setting_refuses_bad_input_and_stores_nothing(stack):
    m = Msp(stack)
    page = m.admin.get("/settings/billing").text
    assert re.search(r'name="unlinked_alert" value="daily"[^>]* checked', page)
    m.set_mode("at_once")
    page = m.admin.get("/settings/billing").text
    assert re.search(r'name="unlinked_alert" value="at_once"[^>]* checked', page)
    fields = {f: re.search(rf'name="{f}" value="([^"]+)"[^>]* checked', page).group(1)
              for f in ("approval", "decrease_mode", "drift_mode", "usage_mode")}
    fields.update(alert_after_minutes="999", sync_interval_minutes="15", time_zone="Europe/London",
                  unlinked_alert="hourly", csrf=csrf_from(page))
    r = m.admin.post("/settings/billing", data=fields)
    assert r.status_code == 400
    assert m.mode() == "at_once"
    assert sql(stack, f"SELECT alert_after_minutes FROM tenant_policies WHERE tenant_id = {m.t}").strip() == "240"
    assert m.zone() != "Europe/London"
    # a billing user may not change it
    b = Client(stack)
    assert b.login(m.others[0]).status_code == 303
    assert b.post("/settings/billing", data=dict(fields, unlinked_alert="off")).status_code in (403, 400)
    assert m.mode() == "at_once"
