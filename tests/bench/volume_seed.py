"""volume_seed.py: production-volume data for make bench-volume, seeded inside MariaDB.

Every table is filled by one INSERT ... SELECT over a Sequence engine table (seq_0_to_N), so
no row passes through Python: one statement per table for the big tenant, one per table for
all the small tenants at once. The inserts are ordinary INSERTs (any trigger of the product
runs). The data is a function of the row number and "now" (the tests' clock), so two runs
with the same clock seed the same rows.

A tenant's shape (ids are the same pattern in every tenant, names tell the rows apart):
  companies     C00000..  "Customer 00042 Ltd", each with SUBS subscriptions S000000..
  subscriptions each with RES resources R0000000..; the first LINKED of them have a resource
                link to the PSA: the subscription's contract K000000.. and the service of the
                resource's product (40 products, distinct within a subscription), with a
                contract service row holding the units (a quarter of them off by one unit).
  resources     monthly seats, one annual resource in every 5th subscription (unlinked: the
                subscription link bills it as charges) and usage GB in every 4th.
  links         every company and subscription linked to its PSA company and contract.
  charges       one billing line per resource for the current month (a tenth off by a seat).
  adjustments   spread evenly over the last two years (created_at), each on a link: 2 %
                'failed', 0.1 % each 'planned', 'queued', 'awaiting_approval', 0.2 %
                'superseded', the rest 'verified'; one adjustment_attempts row per verified or
                failed adjustment. Nothing is due for posting: queued, planned and awaiting rows
                take effect 30-59 days from now, and a failed row waits for a person or retries
                in 30 days (app/db/ledger.c post_enqueue_due, ledger_due).
Every tenant is marked as just synced, before its first link, so the worker's scheduler syncs
and refreshes nothing while the pages are measured.
"""
import time
from datetime import timedelta

import billsync_test as bt

PRODUCTS = 40
SPAN_DAYS = 730                   # adjustments go back two years


def sizes(scale):
    """The big tenant at SCALE (1: 100,000 resources, 50,000 links, 1,000,000 adjustments)."""
    companies = max(1, round(2000 * scale))
    return dict(companies=companies, subs=5, res=10, linked=5, adjustments=max(1, round(1_000_000 * scale)))


SMALL = dict(companies=5, subs=2, res=5, linked=2, adjustments=300)    # 50 resources, 20 links
SMALL_TENANTS = 200


def lpad(expr, prefix, width):
    return f"CONCAT('{prefix}', LPAD({expr}, {width}, '0'))"


class Shape:
    """SQL expressions of one tenant shape, of a row number g (resource), k (link) or n."""

    def __init__(self, companies, subs, res, linked, adjustments):
        self.companies, self.subs, self.res, self.linked = companies, subs, res, linked
        self.nsubs = companies * subs
        self.nres = self.nsubs * res
        self.nlinks = self.nsubs * linked
        self.nadj = adjustments

    # resource g: subscription g DIV res, position g MOD res in it
    def product(self, sub, pos):
        return f"(({sub}) * 3 + ({pos}) * 4) % {PRODUCTS}"

    def res_product(self, g):
        return self.product(f"{g} DIV {self.res}", f"{g} % {self.res}")

    def cycle(self, g):
        sub, pos = f"({g} DIV {self.res})", f"({g} % {self.res})"
        return (f"CASE WHEN {pos} = {self.res - 2} AND {sub} % 5 = 0 THEN 'annual'"
                f" WHEN {pos} = {self.res - 1} AND {sub} % 4 = 0 THEN 'usage' ELSE 'monthly' END")

    def qty(self, g):
        return f"IF({self.cycle(g)} = 'usage', (20 + {g} % 480) * 1000, (1 + ({g} * 7) % 25) * 1000)"

    # link k: the k MOD linked'th resource of subscription k DIV linked
    def link_res(self, k):
        return f"(({k}) DIV {self.linked} * {self.res} + ({k}) % {self.linked})"


def product_name(p):
    return (f"CONCAT(ELT(1 + ({p}) % 8, 'Microsoft 365 Business Basic', 'Microsoft 365 Business Standard',"
            f" 'Microsoft 365 Business Premium', 'Microsoft 365 E3', 'Exchange Online (Plan 1)',"
            f" 'Defender for Business', 'Acronis Cyber Protect', 'Teams Phone Standard'),"
            f" ' (', ELT(1 + ({p}) DIV 8, 'monthly', 'annual commitment', 'NCE', 'trial', 'CSP'), ')')")


def unit_cost(p):
    return f"(30000 + ({p}) * 2500)"


def statements(sh, tenants, now):
    """(table, rows per tenant, SQL) for the tenants (SQL of a derived table b: tid, src, psa)."""
    day = now.date()
    month = day.replace(day=1)
    last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    NOW = f"TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}'"
    TODAY = f"DATE '{day}'"
    B = f"({tenants}) b"
    seq = lambda n: f"seq_0_to_{n - 1}"                                        # noqa: E731
    g = "s.seq"
    p = sh.res_product(g)
    yield "src_companies", sh.companies, f"""
        INSERT INTO src_companies (tenant_id, connection_id, source_id, name, first_seen, last_seen)
        SELECT b.tid, b.src, {lpad('s.seq', 'C', 5)}, CONCAT('Customer ', LPAD(s.seq, 5, '0'), ' Ltd'),
               {NOW} - INTERVAL 800 DAY, {NOW}
        FROM {B} JOIN {seq(sh.companies)} s"""
    yield "src_subscriptions", sh.nsubs, f"""
        INSERT INTO src_subscriptions (tenant_id, connection_id, source_id, company_source_id, name, status,
               billing_cycle, term_months, commitment_end, auto_renew, first_seen, last_seen)
        SELECT b.tid, b.src, {lpad('s.seq', 'S', 6)}, {lpad(f's.seq DIV {sh.subs}', 'C', 5)},
               CONCAT('Microsoft CSP ', LPAD(s.seq, 6, '0')), IF(s.seq % 50 = 49, 'suspended', 'active'),
               'monthly', 1, {TODAY} + INTERVAL (s.seq % 365) DAY, 1, {NOW} - INTERVAL 800 DAY, {NOW}
        FROM {B} JOIN {seq(sh.nsubs)} s"""
    yield "src_resources", sh.nres, f"""
        INSERT INTO src_resources (tenant_id, connection_id, source_id, subscription_source_id, company_source_id,
               name, sku, quantity, unit_cost, unit_price, billing_cycle, term_months, status, first_seen, last_seen)
        SELECT b.tid, b.src, {lpad(g, 'R', 7)}, {lpad(f'{g} DIV {sh.res}', 'S', 6)},
               {lpad(f'{g} DIV {sh.res * sh.subs}', 'C', 5)},
               IF({sh.cycle(g)} = 'usage', 'Backup storage', {product_name(p)}), CONCAT('SKU-', {p}),
               {sh.qty(g)}, {unit_cost(p)}, {unit_cost(p)} * 13 DIV 10, {sh.cycle(g)},
               IF({sh.cycle(g)} = 'annual', 12, 1),
               CASE WHEN {g} % 97 = 5 THEN 'suspended' WHEN {g} % 89 = 6 THEN 'cancelled' ELSE 'active' END,
               {NOW} - INTERVAL 800 DAY, {NOW}
        FROM {B} JOIN {seq(sh.nres)} s"""
    yield "src_charges", sh.nres, f"""
        INSERT INTO src_charges (tenant_id, connection_id, line_id, period_month, company_source_id, company_name,
               subscription_source_id, subscription_name, resource_source_id, description, sku, charge_type,
               period_start, period_end, quantity, unit_cost, unit_price, extended_cost, extended_price, frequency,
               imported_at)
        SELECT b.tid, b.src, CONCAT({lpad(g, 'L', 7)}, '-{month:%Y%m}'), DATE '{month}',
               {lpad(f'{g} DIV {sh.res * sh.subs}', 'C', 5)},
               CONCAT('Customer ', LPAD({g} DIV {sh.res * sh.subs}, 5, '0'), ' Ltd'),
               {lpad(f'{g} DIV {sh.res}', 'S', 6)}, CONCAT('Microsoft CSP ', LPAD({g} DIV {sh.res}, 6, '0')),
               {lpad(g, 'R', 7)}, IF({sh.cycle(g)} = 'usage', 'Backup storage', {product_name(p)}),
               CONCAT('SKU-', {p}), IF({sh.cycle(g)} = 'usage', 'usage', 'recurring'),
               DATE '{month}', DATE '{last}', s.qty, {unit_cost(p)}, {unit_cost(p)} * 13 DIV 10,
               s.qty * {unit_cost(p)} DIV 1000, s.qty * ({unit_cost(p)} * 13 DIV 10) DIV 1000, {sh.cycle(g)},
               {NOW} - INTERVAL 2 HOUR
        FROM {B} JOIN (SELECT seq, {sh.qty('seq')} + IF(seq % 10 = 3, 1000, 0) AS qty
                       FROM {seq(sh.nres)}) s"""
    yield "psa_companies", sh.companies, f"""
        INSERT INTO psa_companies (tenant_id, connection_id, psa_id, name, last_seen)
        SELECT b.tid, b.psa, {lpad('s.seq', 'A', 5)}, CONCAT('Customer ', LPAD(s.seq, 5, '0'), ' Limited'), {NOW}
        FROM {B} JOIN {seq(sh.companies)} s"""
    yield "psa_services", PRODUCTS, f"""
        INSERT INTO psa_services (tenant_id, connection_id, psa_id, name, sku, unit_price, unit_cost, last_seen)
        SELECT b.tid, b.psa, CONCAT('V', s.seq), {product_name('s.seq')}, CONCAT('SKU-', s.seq),
               {unit_cost('s.seq')} * 3 DIV 2, {unit_cost('s.seq')}, {NOW}
        FROM {B} JOIN {seq(PRODUCTS)} s"""
    yield "psa_contracts", sh.nsubs, f"""
        INSERT INTO psa_contracts (tenant_id, connection_id, psa_id, company_psa_id, name, contract_type, start_date,
               active, prorate, cycle_months, last_seen)
        SELECT b.tid, b.psa, {lpad('s.seq', 'K', 6)}, {lpad(f's.seq DIV {sh.subs}', 'A', 5)},
               CONCAT('Managed 365 ', LPAD(s.seq, 6, '0')), 'recurring', {TODAY} - INTERVAL (800 + s.seq % 400) DAY,
               1, 1, 1, {NOW}
        FROM {B} JOIN {seq(sh.nsubs)} s"""
    yield "company_links", sh.companies, f"""
        INSERT INTO company_links (tenant_id, src_connection_id, src_company_id, psa_connection_id, psa_company_id,
               linked_at)
        SELECT b.tid, b.src, {lpad('s.seq', 'C', 5)}, b.psa, {lpad('s.seq', 'A', 5)}, {NOW} - INTERVAL 760 DAY
        FROM {B} JOIN {seq(sh.companies)} s"""
    yield "subscription_links", sh.nsubs, f"""
        INSERT INTO subscription_links (tenant_id, src_connection_id, src_subscription_id, psa_connection_id,
               psa_contract_id, linked_at)
        SELECT b.tid, b.src, {lpad('s.seq', 'S', 6)}, b.psa, {lpad('s.seq', 'K', 6)}, {NOW} - INTERVAL 760 DAY
        FROM {B} JOIN {seq(sh.nsubs)} s"""
    k, lr = "s.seq", sh.link_res("s.seq")
    lp = sh.product(f"{k} DIV {sh.linked}", f"{k} % {sh.linked}")
    yield "resource_links", sh.nlinks, f"""
        INSERT INTO resource_links (tenant_id, src_connection_id, src_resource_id, psa_connection_id, psa_contract_id,
               psa_service_id, last_posted_units, linked_at)
        SELECT b.tid, b.src, {lpad(lr, 'R', 7)}, b.psa, {lpad(f'{k} DIV {sh.linked}', 'K', 6)},
               CONCAT('V', {lp}), {sh.qty(lr)}, {NOW} - INTERVAL 750 DAY
        FROM {B} JOIN {seq(sh.nlinks)} s"""
    yield "psa_contract_services", sh.nlinks, f"""
        INSERT INTO psa_contract_services (tenant_id, connection_id, psa_id, contract_psa_id, service_psa_id, name,
               units, unit_price, unit_cost, read_at)
        SELECT b.tid, b.psa, CONCAT('CS', {k}), {lpad(f'{k} DIV {sh.linked}', 'K', 6)}, CONCAT('V', {lp}),
               {product_name(lp)}, {sh.qty(lr)} + IF({k} % 4 = 0, 1000, 0), {unit_cost(lp)} * 3 DIV 2,
               {unit_cost(lp)}, {NOW} - INTERVAL 10 MINUTE
        FROM {B} JOIN {seq(sh.nlinks)} s"""
    # adjustment i: link i MOD nlinks, created (nadj - i) / nadj of two years ago (ids rise with time)
    i = "x.seq"
    state = ("CASE WHEN seq % 50 = 7 THEN 'failed' WHEN seq % 1000 = 3 THEN 'planned'"
             " WHEN seq % 1000 = 13 THEN 'queued' WHEN seq % 1000 = 23 THEN 'awaiting_approval'"
             " WHEN seq % 1000 IN (33, 43) THEN 'superseded' ELSE 'verified' END")
    step = SPAN_DAYS * 86400 / sh.nadj
    link_res = sh.link_res(f"seq % {sh.nlinks}")
    # STRAIGHT_JOIN: row numbers first, each finding its link by the unique key (left to itself the
    # optimizer may scan the rows once per link)
    yield "adjustments", sh.nadj, f"""
        INSERT INTO adjustments (tenant_id, resource_link_id, origin, src_connection_id, src_resource_id,
               psa_connection_id, psa_contract_id, psa_service_id, desired_units, psa_units_before, unit_change,
               effective_date, unit_price, prorated_amount, state, attempts, next_attempt_at, last_error, psa_ref,
               idempotency_key, created_at, updated_at, posted_at, alerted_at)
        SELECT STRAIGHT_JOIN b.tid, l.id, ELT(1 + {i} % 10, 'link', 'sync', 'sync', 'sync', 'sync', 'review', 'sync',
               'sync', 'sync', 'sync'), l.src_connection_id, l.src_resource_id, l.psa_connection_id, l.psa_contract_id,
               l.psa_service_id, x.before_units + x.chg, x.before_units, x.chg,
               IF(x.state IN ('planned', 'queued', 'awaiting_approval'), {TODAY} + INTERVAL (30 + {i} % 30) DAY,
                  DATE(x.at) + INTERVAL ({i} % 3) DAY),
               x.price, ROUND(x.chg * x.price / 1000 * (1 + {i} % 30) / 30), x.state,
               CASE x.state WHEN 'verified' THEN 1 WHEN 'failed' THEN 1 + {i} % 3 ELSE 0 END,
               IF(x.state = 'failed' AND {i} % 150 = 57, {NOW} + INTERVAL 30 DAY, NULL),
               IF(x.state = 'failed', ELT(1 + {i} % 3, 'Autotask answered 500 Internal Server Error',
                  'The contract service is no longer on the contract', 'No answer from the PSA within 15 s'), NULL),
               IF(x.state = 'verified', CONCAT('AT-', 9000000 + {i}), NULL),
               CONCAT('bench:', l.id, ':', {i}), x.at, x.at + INTERVAL 40 SECOND,
               IF(x.state = 'verified', x.at + INTERVAL 40 SECOND, NULL),
               IF(x.state = 'failed' AND x.at < {NOW} - INTERVAL 1 DAY, x.at + INTERVAL 4 HOUR, NULL)
        FROM (SELECT seq, {state} AS state,
                     {NOW} - INTERVAL (60 + FLOOR(({sh.nadj - 1} - seq) * {step:.6f})) SECOND AS at,
                     ELT(1 + seq % 8, -3, -2, -1, 1, 2, 3, 4, 5) * 1000 AS chg,
                     (5 + seq % 20) * 1000 AS before_units,
                     {unit_cost(sh.res_product(link_res))} * 3 DIV 2 AS price, {lpad(link_res, 'R', 7)} AS res_id
              FROM {seq(sh.nadj)}) x
        JOIN {B}
        JOIN resource_links l ON l.tenant_id = b.tid AND l.src_connection_id = b.src AND l.active_key = 1
         AND l.src_resource_id = x.res_id"""
    yield "adjustment_attempts", None, f"""
        INSERT INTO adjustment_attempts (tenant_id, adjustment_id, at, outcome, request_summary, response, error)
        SELECT a.tenant_id, a.id, a.created_at + INTERVAL 40 SECOND, IF(a.state = 'verified', 'verified', 'failed'),
               CONCAT('contract ', a.psa_contract_id, ' service ', a.psa_service_id, ': units ',
                      a.psa_units_before DIV 1000, ' -> ', a.desired_units DIV 1000),
               IF(a.state = 'verified', CONCAT('{{\"itemId\": \"', a.psa_ref, '\"}}'), ''),
               IF(a.state = 'failed', a.last_error, NULL)
        FROM {B} JOIN adjustments a ON a.tenant_id = b.tid AND a.state IN ('verified', 'failed')"""


def tenant_set(ids):
    """The derived table b (tid, src, psa) of these tenants' two connections."""
    return ("SELECT t.id AS tid, MIN(IF(k.kind = 'source', k.id, NULL)) AS src,"
            " MIN(IF(k.kind = 'psa', k.id, NULL)) AS psa FROM tenants t JOIN connections k ON k.tenant_id = t.id"
            f" WHERE t.id IN ({','.join(str(int(x)) for x in ids)}) GROUP BY t.id")


def add_connections(stack, ids, now):
    bt.sql(stack, f"""INSERT INTO connections (tenant_id, kind, system, name, settings, status, refresh_status,
                          tested_at, refreshed_at)
        SELECT t.id, IF(s.seq = 1, 'source', 'psa'), IF(s.seq = 1, 'csv', 'autotask'),
               IF(s.seq = 1, 'Distributor', 'Autotask'), '{{}}', 'ok', 'ok', TIMESTAMP '{now}', TIMESTAMP '{now}'
        FROM tenants t JOIN seq_1_to_2 s WHERE t.id IN ({','.join(str(int(x)) for x in ids)})""")


def hold_scheduler(stack, now):
    """Every tenant marked as just synced, with a day between syncs and refreshes, so the
    worker's scheduler queues nothing while the pages are measured (tests/bench/bench_pages.py;
    app/db/ledger.c sync_enqueue_due, app/db/snapshot.c refresh_enqueue_due)."""
    ts = f"TIMESTAMP '{now}'"
    bt.sql(stack, f"INSERT INTO tenant_sync (tenant_id, started_at, finished_at, result) SELECT id, {ts}, {ts},"
                  f" 'held by bench-volume' FROM tenants ON DUPLICATE KEY UPDATE started_at = {ts},"
                  f" finished_at = {ts}, result = 'held by bench-volume'")
    bt.sql(stack, "INSERT INTO tenant_policies (tenant_id, sync_interval_minutes) SELECT id, 1440 FROM tenants"
                  " ON DUPLICATE KEY UPDATE sync_interval_minutes = 1440")


def seed(stack, big, scale, now, log=print):
    """Seeds tenant `big` at `scale` and SMALL_TENANTS small tenants. Returns
    [(table, rows, seconds)] with a final ('total', None, seconds)."""
    now = now.replace(tzinfo=None, microsecond=0)
    timings = {}
    t0 = time.perf_counter()

    def timed(table, q):
        t = time.perf_counter()
        bt.sql(stack, q)
        timings[table] = timings.get(table, 0.0) + time.perf_counter() - t

    timed("tenants", f"INSERT INTO tenants (name) SELECT CONCAT('Bench small MSP ', LPAD(seq, 3, '0'))"
                     f" FROM seq_1_to_{SMALL_TENANTS}")
    small = [int(x) for x in bt.sql(stack, "SELECT id FROM tenants WHERE name LIKE 'Bench small MSP %'"
                                           " ORDER BY id").split()]
    # before the first link: a tenant with links and no tenant_sync row is synced at once
    t = time.perf_counter()
    hold_scheduler(stack, now)
    timings["tenant_sync, tenant_policies"] = time.perf_counter() - t
    t = time.perf_counter()
    add_connections(stack, [big] + small, now)
    timings["connections"] = time.perf_counter() - t
    for shape, ids in ((Shape(**sizes(scale)), [big]), (Shape(**SMALL), small)):
        for table, _, q in statements(shape, tenant_set(ids), now):
            timed(table, q)
    tables = ["tenants", "connections"] + [tb for tb, _, _ in statements(Shape(**SMALL), "", now)]
    queued = bt.sql(stack, f"SELECT COUNT(*) FROM jobs WHERE created_at >= TIMESTAMP '{now}'").strip()
    if queued != "0":
        raise RuntimeError(f"the worker queued {queued} jobs while the tenants were seeded")
    # Fresh index statistics, as InnoDB's background recalculation would have them in production.
    t = time.perf_counter()
    bt.sql(stack, "ANALYZE TABLE " + ", ".join(tables[2:]))
    timings["ANALYZE TABLE"] = time.perf_counter() - t
    counts = dict(zip(tables[1:], bt.sql(stack, "SELECT " + ", ".join(
        f"(SELECT COUNT(*) FROM {tb})" for tb in tables[1:])).split()))
    counts["tenants"] = str(1 + len(small))
    out = [(tb, int(counts[tb]) if tb in counts else None, s) for tb, s in timings.items()]
    out.append(("total", None, time.perf_counter() - t0))
    return out
