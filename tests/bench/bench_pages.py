"""bench_pages.py: latency of the heavy pages on a large tenant (make bench).

One throwaway stack (as the tests start it), one tenant with COMPANIES companies of
RESOURCES_PER resources each (half of them linked, with PSA contract services), and one
billing line per resource in this month's review. Each page is fetched REPEAT times by one
signed-in client after a warm-up; the p50/p95/max are printed and p95 is held to its target.
The targets are for a 2-core machine and leave room for a busy CI host."""
import datetime as dt
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import billsync_test as bt  # noqa: E402

COMPANIES = 200
RESOURCES_PER = 25                     # 5,000 resources, 5,000 billing lines
REPEAT = 20
MONTH = dt.date.today().replace(day=1)
LAST = (MONTH + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)

# page → p95 target in milliseconds
TARGETS = [
    ("/", 400),
    ("/checklist", 300),
    ("/reports/subscriptions", 400),
    ("/reports/unlinked?status=active", 400),
    (f"/review/{MONTH:%Y-%m}", 400),
    ("/reports/subscriptions?format=csv", 1500),
    (f"/review/{MONTH:%Y-%m}?format=csv", 3000),
]


def seed(stack, t):
    sql = lambda q: bt.sql(stack, q)  # noqa: E731
    sql(f"INSERT INTO connections (tenant_id, kind, system, name, settings, status, refresh_status) VALUES"
        f" ({t}, 'source', 'csv', 'Distributor', '{{}}', 'ok', 'ok'), ({t}, 'psa', 'autotask', 'PSA', '{{}}', 'ok', 'ok')")
    src, psa = (int(x) for x in sql(f"SELECT id FROM connections WHERE tenant_id = {t} ORDER BY id").split())
    comp, sub, res, links, cs, lines = [], [], [], [], [], []
    for c in range(COMPANIES):
        comp.append(f"({t}, {src}, 'C{c}', 'Customer {c:04d} Ltd')")
        sub.append(f"({t}, {src}, 'S{c}', 'C{c}', 'Subscriptions of {c}')")
        for r in range(RESOURCES_PER):
            rid, qty = f"R{c}-{r}", (c % 17 + r % 5 + 1) * 1000
            res.append(f"({t}, {src}, '{rid}', 'S{c}', 'C{c}', 'Product {r:02d}', {qty}, 45000)")
            lines.append(f"({t}, {src}, 'L{c}-{r}', '{MONTH}', 'C{c}', 'Customer {c:04d} Ltd', 'S{c}', '{rid}',"
                         f" 'Product {r:02d}', 'recurring', '{MONTH}', '{LAST}', {qty}, 45000, 54000, {qty * 45})")
            if r % 2 == 0:
                links.append(f"({t}, {src}, '{rid}', {psa}, 'K{c}', 'V{r}')")
                cs.append(f"({t}, {psa}, 'cs{c}-{r}', 'K{c}', 'V{r}', {qty + (r % 4 == 0) * 1000})")

    def insert(head, rows):
        for i in range(0, len(rows), 300):
            sql(head + ",".join(rows[i:i + 300]))

    insert("INSERT INTO src_companies (tenant_id, connection_id, source_id, name) VALUES ", comp)
    insert("INSERT INTO src_subscriptions (tenant_id, connection_id, source_id, company_source_id, name) VALUES ",
           sub)
    insert("INSERT INTO src_resources (tenant_id, connection_id, source_id, subscription_source_id,"
           " company_source_id, name, quantity, unit_cost) VALUES ", res)
    insert("INSERT INTO resource_links (tenant_id, src_connection_id, src_resource_id, psa_connection_id,"
           " psa_contract_id, psa_service_id) VALUES ", links)
    insert("INSERT INTO psa_contract_services (tenant_id, connection_id, psa_id, contract_psa_id, service_psa_id,"
           " units) VALUES ", cs)
    insert("INSERT INTO src_charges (tenant_id, connection_id, line_id, period_month, company_source_id,"
           " company_name, subscription_source_id, resource_source_id, description, charge_type, period_start,"
           " period_end, quantity, unit_cost, unit_price, extended_cost) VALUES ", lines)
    # the scheduler leaves this tenant alone while we measure
    sql(f"INSERT INTO tenant_sync (tenant_id, started_at, result) VALUES ({t}, UTC_TIMESTAMP(6), 'bench')")


def measure(client, path):
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        r = client.get(path)
        r.content
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], times[-1], len(r.content)


def main():
    gen = bt.stack_session()
    stack = next(gen)
    failed = 0
    try:
        _, t = bt.new_tenant(stack, "Bench MSP")
        t0 = time.perf_counter()
        seed(stack, t)
        print(f"bench: seeded {COMPANIES * RESOURCES_PER} resources and billing lines in "
              f"{time.perf_counter() - t0:.1f} s")
        client = bt.signed_in(stack, "billing", tenant=t)
        print(f"{'page':<46} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'target':>8} {'bytes':>9}")
        for path, target in TARGETS:
            p50, p95, mx, size = measure(client, path)
            ok = p95 <= target
            failed += not ok
            print(f"{path:<46} {p50:8.1f} {p95:8.1f} {mx:8.1f} {target:8d} {size:9d} {'ok' if ok else 'MISSED'}")
    finally:
        gen.close()
    print(f"bench: {len(TARGETS) - failed} of {len(TARGETS)} targets met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
