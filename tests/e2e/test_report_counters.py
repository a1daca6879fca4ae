"""The adjustment log's per-day counters (sql/013_report_volume.sql, issue 15).

The ledger's triggers keep adjustment_days in the same transaction as every ledger write, and
the log's count, totals and per-day chart read it when no text filter is set. After a random
history of inserts, state changes, edits, deletes and rolled-back transactions, the counters
equal a fresh aggregate of the ledger, and the page (counters) and the same page narrowed by a
text filter that matches every row (a pass over the rows) show the same totals."""
import datetime as dt
import random
import re
from decimal import Decimal

import pytest

import billsync_test as bt
import testclock

STATES = ["planned", "awaiting_approval", "queued", "posted", "verified", "failed", "rejected", "superseded"]
SHOWN = ("verified", "failed")


def counters(stack, t):
    out = bt.sql(stack, f"SELECT day, state, n, units, amount FROM adjustment_days WHERE tenant_id = {t}"
                        " AND n <> 0 ORDER BY day, state")
    return sorted(tuple(line.split("\t")) for line in out.splitlines() if line)


def fresh(stack, t):
    out = bt.sql(stack, f"SELECT DATE(created_at), state, COUNT(*), SUM(unit_change), SUM(prorated_amount)"
                        f" FROM adjustments WHERE tenant_id = {t} AND state IN ('verified', 'failed')"
                        " GROUP BY DATE(created_at), state ORDER BY 1, 2")
    return sorted(tuple(line.split("\t")) for line in out.splitlines() if line)


def row(t, rng, i, now):
    created = now - dt.timedelta(days=rng.randrange(0, 45), seconds=rng.randrange(0, 86400))
    return {"tenant_id": t, "resource_link_id": 1, "origin": "sync", "src_connection_id": 1,
            "src_resource_id": f"R{i % 7}", "psa_connection_id": 2, "psa_contract_id": "K1",
            "psa_service_id": f"S{i % 5}", "desired_units": 5000, "psa_units_before": 4000,
            "unit_change": rng.choice([-3, -1, 1, 2, 5]) * 1000, "effective_date": created.date().isoformat(),
            "prorated_amount": rng.randrange(-900000, 900000), "state": rng.choice(STATES),
            "idempotency_key": f"counters-{t}-{i}", "created_at": created}


def random_writes(stack, t, rng, now, n=400):
    bt.insert_rows(stack, "adjustments", [row(t, rng, i, now) for i in range(n)])
    ids = [int(x) for x in bt.sql(stack, f"SELECT id FROM adjustments WHERE tenant_id = {t}").split()]
    for step in range(120):
        a = rng.choice(ids)
        k = rng.randrange(6)
        if k == 0:
            q = f"UPDATE adjustments SET state = '{rng.choice(STATES)}' WHERE id = {a}"
        elif k == 1:          # several rows in one statement, some crossing states
            q = (f"UPDATE adjustments SET state = IF(state = 'verified', 'failed', 'verified')"
                 f" WHERE tenant_id = {t} AND id % 17 = {step % 17}")
        elif k == 2:
            q = (f"UPDATE adjustments SET unit_change = unit_change + 1000,"
                 f" prorated_amount = prorated_amount - 12345 WHERE id = {a}")
        elif k == 3:
            q = f"UPDATE adjustments SET created_at = created_at - INTERVAL {rng.randrange(1, 5)} DAY WHERE id = {a}"
        elif k == 4:
            q = f"DELETE FROM adjustments WHERE id = {a}"
            ids.remove(a)
        else:                 # work that is rolled back leaves no trace in the counters
            q = (f"START TRANSACTION; UPDATE adjustments SET state = 'verified', unit_change = 99000"
                 f" WHERE tenant_id = {t} AND id % 3 = 0; DELETE FROM adjustments WHERE tenant_id = {t}"
                 f" AND id % 5 = 1; ROLLBACK")
        bt.sql(stack, q)
        # the other columns the worker updates all the time do not touch the counters
        bt.sql(stack, f"UPDATE adjustments SET attempts = attempts + 1, lease_until = UTC_TIMESTAMP(6)"
                      f" WHERE id = {rng.choice(ids)}")


def totals(html):
    m = re.search(r'<tr class="totals" data-rows="(\d+)"', html)
    qty = re.search(r'data-total="quantity">([^<]*)<', html)
    value = re.search(r'data-total="value">([^<]*)<', html)
    assert m and qty and value, html[:2000]
    return int(m.group(1)), qty.group(1), value.group(1)


def test_counters_equal_a_fresh_aggregate_after_random_ledger_writes(stack):
    _, t = bt.new_tenant(stack)
    rng = random.Random(1507)
    now = testclock.utcnow()
    random_writes(stack, t, rng, now)
    assert counters(stack, t), "the random history left verified or failed rows"
    assert counters(stack, t) == fresh(stack, t)

    # the page: counters (no text filter) and one pass over the rows (a filter matching all)
    client = bt.signed_in(stack, "billing", tenant=t)
    frm = (now - dt.timedelta(days=60)).date().isoformat()
    to = now.date().isoformat()
    by_counters = client.get(f"/reports/adjustments?from={frm}&to={to}")
    by_rows = client.get(f"/reports/adjustments?from={frm}&to={to}&resource=R")
    assert by_counters.status_code == 200 and by_rows.status_code == 200
    n, qty, value = totals(by_counters.text)
    assert (n, qty, value) == totals(by_rows.text)
    want = bt.sql(stack, f"SELECT COUNT(*), SUM(unit_change), SUM(prorated_amount) FROM adjustments"
                         f" WHERE tenant_id = {t} AND state IN ('verified', 'failed')"
                         f" AND created_at >= '{frm}' AND created_at < '{to}' + INTERVAL 1 DAY").split()
    assert n == int(want[0])
    assert Decimal(value.replace(",", "")) == (Decimal(want[2]) / 10000).quantize(Decimal("0.01"))
    # the per-day chart's bars add up to the rows
    bars = [int(x) for x in re.findall(r'data-day="[0-9-]+" data-value="(\d+)"', by_counters.text)]
    assert bars and sum(bars) == n
    assert bars == [int(x) for x in re.findall(r'data-day="[0-9-]+" data-value="(\d+)"', by_rows.text)]


@pytest.mark.parametrize("filters", ["", "&company=nobody-at-all"])
def test_an_empty_window_shows_zero_totals(stack, filters):
    _, t = bt.new_tenant(stack)
    client = bt.signed_in(stack, "billing", tenant=t)
    r = client.get(f"/reports/adjustments?from=2001-01-01&to=2001-01-31{filters}")
    assert r.status_code == 200
    assert 'id="report-empty"' in r.text and 'class="totals"' not in r.text
