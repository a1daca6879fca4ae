"""bench_sync.py: one sync cycle of every tenant at production volume (make bench-sync [SCALE=0.02]).

One throwaway stack (as the tests start it) with MariaDB's production settings, the worker's
production pace and WORKERS worker children, and 1,000 tenants (times SCALE), each its own MSP
with a Pax8 partner and, half and half, an Autotask database or a ConnectWise company in the API
sandbox, 100 linked resources each (tests/bench/sync_seed.py). Then:
  warm-up  a sync of every tenant at once (the sandboxes answering at once), until every sync and
           post job has ended: the caches and the ledger as in steady operation;
  change   1 % of the subscriptions' quantities in Pax8 (one per tenant at SCALE 1, increases
           and decreases alternating), every API answering after PROCESSING_MS (50), the
           sandbox's statistics cleared;
  cycle    a sync of every tenant at once, as the scheduler would queue them: the wall time until
           every sync and post job has ended and no change is left queued.
Prints one table: the cycle's wall time; the API calls per system against the fewest that the
cycle needs; the peak concurrency per Autotask (database, entity); the calls per hour of the
busiest PSA instance at the sync interval against its cap; lost and double postings, checked in
the sandbox's own state and request log. Exits 1 when a target is missed."""
import argparse
import json
import math
import os
import re
import sys
import threading
import time
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
sys.path.insert(0, HERE)
import billsync_test as bt  # noqa: E402
import testclock  # noqa: E402
import sync_seed as seedmod  # noqa: E402
from bench_volume import OtherLoad  # noqa: E402

TENANTS = 1000                  # at SCALE 1
CYCLE_S = 60                    # targets
CALL_RATIO = 1.1
AT_THREADS = 3
CAP_SHARE = 0.5
AT_HOURLY_CAP = 10_000
PAX8_PAGE, AT_IN_CAP = 200, 500
SYSTEMS = ("autotask", "connectwise", "pax8")
LOG_SIZE = 200000               # the sandbox's request log (sandbox.request_log): a whole cycle's requests
COLS = ("check", "measured", "minimum / cap", "ratio", "target", "result", "notes")


# --- the cycle ------------------------------------------------------------------------------
def enqueue_syncs(stack, ids):
    """A sync of every tenant now, as app/db/ledger.c sync_enqueue queues one ("Sync now"),
    in two statements for all tenants. Returns the database's time just before."""
    lst = ",".join(str(int(x)) for x in ids)
    start = bt.sql(stack, "SELECT UTC_TIMESTAMP(6)").strip()
    bt.sql(stack, f"INSERT INTO tenant_sync (tenant_id, result) SELECT id, 'queued' FROM tenants WHERE id IN ({lst})"
                  " ON DUPLICATE KEY UPDATE result = 'queued';"
                  f" INSERT INTO jobs (tenant_id, kind, unique_key) SELECT id, 'sync', CONCAT('sync:', id) FROM tenants"
                  f" WHERE id IN ({lst}) ON DUPLICATE KEY UPDATE due_at = IF(lease_owner IS NULL,"
                  " LEAST(due_at, UTC_TIMESTAMP(6)), due_at)")
    return start


def cycle_left(stack, ids, start):
    """(syncs not yet ended, sync/post jobs pending, changes queued and due): all 0 at the end."""
    lst = ",".join(str(int(x)) for x in ids)
    row = bt.sql(stack, f"""SELECT
        (SELECT COUNT(*) FROM tenants t LEFT JOIN tenant_sync s ON s.tenant_id = t.id WHERE t.id IN ({lst})
          AND NOT (s.started_at >= '{start}' AND s.finished_at >= s.started_at)),
        (SELECT COUNT(*) FROM jobs WHERE state = 'pending' AND kind IN ('sync', 'post') AND tenant_id IN ({lst})),
        (SELECT COUNT(*) FROM adjustments WHERE state = 'queued' AND effective_date <= UTC_DATE()
          AND tenant_id IN ({lst}))""").split()
    return tuple(int(x) for x in row)


def run_cycle(stack, ids, timeout, what):
    """Queues a sync of every tenant, waits until the cycle has ended (or timeout seconds). Returns
    (start, end, wall seconds by the database's clock, complete, what was left)."""
    start = enqueue_syncs(stack, ids)
    end_by = time.monotonic() + timeout
    left = cycle_left(stack, ids, start)
    last = time.monotonic()
    while any(left) and time.monotonic() < end_by:
        time.sleep(0.25)
        left = cycle_left(stack, ids, start)
        if time.monotonic() - last >= 30:
            last = time.monotonic()
            print(f"  {what}: {left[0]} syncs to end, {left[1]} sync/post jobs pending, {left[2]} changes queued",
                  flush=True)
    lst = ",".join(str(int(x)) for x in ids)
    end = bt.sql(stack, f"""SELECT GREATEST(
        COALESCE((SELECT MAX(finished_at) FROM jobs WHERE kind IN ('sync', 'post') AND tenant_id IN ({lst})
                  AND finished_at >= '{start}'), '{start}'),
        COALESCE((SELECT MAX(finished_at) FROM tenant_sync WHERE tenant_id IN ({lst})), '{start}'),
        COALESCE((SELECT MAX(updated_at) FROM adjustments WHERE tenant_id IN ({lst}) AND updated_at >= '{start}'),
                 '{start}'))""").strip()
    wall = float(bt.sql(stack, f"SELECT TIMESTAMPDIFF(MICROSECOND, '{start}', '{end}') / 1e6").strip())
    if any(left):
        wall = float(bt.sql(stack, f"SELECT TIMESTAMPDIFF(MICROSECOND, '{start}', UTC_TIMESTAMP(6)) / 1e6").strip())
    return start, end, wall, not any(left), left


# --- the sandbox's request log: every write of the cycle -------------------------------------
class WriteLog:
    """Polls the sandbox's request log (the last LOG_SIZE requests of all systems) during the cycle
    and keeps the PSAs' writes; notes when the log may have dropped some before a poll saw them."""

    # Every 10 s: the log holds LOG_SIZE requests, a cycle makes a few thousand, and each poll
    # takes the sandbox (the bench's bottleneck, one Python process) away from answering.
    def __init__(self, sandbox, period=10.0):
        self.sb, self.period = sandbox, period
        self.writes, self.seen = {}, set()
        self.horizon = 0            # every request up to this global seq has been looked at
        self.incomplete = None
        self.stop = threading.Event()
        self.th = threading.Thread(target=self.run, daemon=True)

    def __enter__(self):
        self.horizon = self.newest()
        self.th.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.th.join()
        self.poll()
        return False

    def newest(self):
        rows = self.sb.get("/requests", limit=1)["requests"]
        return rows[-1]["seq"] if rows else 0

    def run(self):
        while not self.stop.wait(self.period):
            try:
                self.poll()
            except Exception as e:         # noqa: BLE001 - a failed poll is reported, not fatal
                self.incomplete = f"a poll of the request log failed: {e}"

    def poll(self):
        newest = self.newest()
        if newest - LOG_SIZE > self.horizon:
            self.incomplete = (f"the request log (last {LOG_SIZE} requests) dropped requests between two"
                               " polls: the count of writes per change may be short")
        for system in ("autotask", "connectwise"):
            limit = 500
            while True:
                rows = self.sb.get("/requests", system=system, limit=limit)["requests"]
                if len(rows) < limit or rows[0]["seq"] <= self.horizon or limit >= LOG_SIZE:
                    break
                limit *= 4
            for e in rows:
                if e["seq"] > self.horizon and e["seq"] <= newest and e["seq"] not in self.seen \
                        and e["method"] != "GET":
                    self.seen.add(e["seq"])
                    self.writes[e["seq"]] = e
        self.horizon = max(self.horizon, newest)


# --- checks -----------------------------------------------------------------------------------
def pick_changes(tenants, percent):
    """Which subscriptions change and to what: per tenant round(SUBS * percent / 100) (at least
    one), spread over its contracts; increases and decreases alternate (+1..+3, -1..-2)."""
    per = max(1, round(seedmod.SUBS * percent / 100))
    out = []
    for i, (t, psa) in enumerate(tenants):
        for n in range(per):
            j = (t * 37 + n * 53) % seedmod.SUBS
            old = seedmod.qty(t, j)
            k = i * per + n
            new = old + 1 + (k // 2) % 3 if k % 2 == 0 else old - 1 - (k // 2) % 2
            out.append(dict(t=t, psa=psa, j=j, old=old, new=new, contract=seedmod.contract_id(t, j),
                            service=seedmod.service_id(t, j), sub=seedmod.pax8_sub_id(t, j)))
    return out


def apply_changes(sandbox, changes):
    by_tenant = defaultdict(list)
    for c in changes:
        by_tenant[c["t"]].append({"id": c["sub"], "quantity": c["new"]})
    items = list(by_tenant.items())
    for i in range(0, len(items), 200):
        sandbox.merge_pax8({t: {"tables": {"subscriptions": rows}} for t, rows in items[i:i + 200]})


def at_units(state, contract, service, day):
    """Units of a contract service on day, as Autotask's ContractServiceUnits state them."""
    rows = state["entities"].get("ContractServiceUnits") or []
    return sum(int(r["units"]) for r in rows if int(r["contractID"]) == contract and int(r["serviceID"]) == service
               and r["startDate"][:10] <= day <= r["endDate"][:10])


def cw_in_effect(a, day):
    eff, cancelled = (a.get("effectiveDate") or "")[:10], (a.get("cancelledDate") or "")[:10]
    return not (eff and eff > day) and not (cancelled and cancelled < day)


def cw_additions(state):
    return state["collections"].get("finance/additions") or []


def cw_units(state, agreement, product, day):
    """Quantity of a product on an agreement on day: its additions in effect (as billsync's
    connector and ConnectWise's invoice count them)."""
    return sum(float(a["quantity"]) for a in cw_additions(state) if int(a["agreementId"]) == agreement
               and int(a["product"]["id"]) == product and cw_in_effect(a, day))


def write_key(e, addition_of):
    """(contract, service) a PSA write of the log changed units of, or None for another write."""
    path = e["path"]
    try:
        body = json.loads(e.get("body") or "null")
    except ValueError:
        body = None
    if e["system"] == "autotask":
        if re.search(r"/ServiceAdjustments$", path, re.I) or re.search(r"/ContractServiceAdjustments$", path, re.I):
            if isinstance(body, dict) and "contractID" in body and "serviceID" in body:
                return int(body["contractID"]), int(body["serviceID"])
        return None
    m = re.search(r"/finance/agreements/(\d+)/additions(?:/(\d+))?$", path, re.I)
    if not m:
        return None
    if m.group(2):
        return int(m.group(1)), addition_of.get((int(m.group(1)), int(m.group(2))))
    if isinstance(body, dict) and isinstance(body.get("product"), dict) and "id" in body["product"]:
        return int(m.group(1)), int(body["product"]["id"])
    return int(m.group(1)), None


def verify(sandbox, changes, writes, today):
    """Per change: the PSA's units on today (lost unless the new quantity) and its successful
    unit writes in the cycle (double when more than one). Also the writes to services that did
    not change."""
    day = today.isoformat()
    states = sandbox.connectwise_states(sorted({c["t"] for c in changes if c["psa"] == "connectwise"}))
    # (agreement, addition) -> product: a company numbers its rows itself, agreements are ours
    addition_of = {(int(a["agreementId"]), int(a["id"])): int(a["product"]["id"])
                   for st in states.values() for a in cw_additions(st)}
    for t in sorted({c["t"] for c in changes if c["psa"] == "autotask"}):
        states[t] = sandbox.autotask_state(t)
    per_key = Counter()
    for e in writes.values():
        if 200 <= int(e.get("status") or 0) < 300:
            k = write_key(e, addition_of)
            if k:
                per_key[k] += 1
    lost, double, details = [], [], []
    changed = set()
    for c in changes:
        st = states[c["t"]]
        units = at_units(st, c["contract"], c["service"], day) if c["psa"] == "autotask" else \
            cw_units(st, c["contract"], c["service"], day)
        k = (c["contract"], c["service"])
        changed.add(k)
        n = per_key.get(k, 0)
        if units != c["new"]:
            lost.append(c)
            details.append(f"lost: tenant {c['t']} ({c['psa']}) contract {k[0]} service {k[1]}: "
                           f"{c['old']} -> {c['new']}, the PSA has {units:g} on {day}, {n} writes")
        if n > 1:
            double.append(c)
            details.append(f"double: tenant {c['t']} ({c['psa']}) contract {k[0]} service {k[1]}: {n} writes,"
                           f" {c['old']} -> {c['new']}, the PSA has {units:g} on {day}")
    spurious = {k: n for k, n in per_key.items() if k not in changed}
    for k, n in list(spurious.items())[:10]:
        details.append(f"write to an unchanged service: contract {k[0]} service {k[1]}: {n}")
    return lost, double, spurious, details


def minimum_calls(tenants, changes):
    """The fewest calls the cycle needs per system (README, "Sync cycle at production volume"): per tenant its
    Pax8 lists, ceil(rows / 200) pages each (companies, subscriptions; the 24-hour token is not
    counted); per tenant with a change, one units read (Autotask: its contracts in "in" queries of
    500; ConnectWise: one per agreement holding a change) and per changed service a write and a
    verifying read."""
    m = Counter()
    m["pax8"] = len(tenants) * (math.ceil(seedmod.COMPANIES / PAX8_PAGE) + math.ceil(seedmod.SUBS / PAX8_PAGE))
    by_tenant = defaultdict(set)
    services = set()
    psa = {}
    for c in changes:
        by_tenant[c["t"]].add(c["contract"])
        services.add((c["t"], c["contract"], c["service"]))
        psa[c["t"]] = c["psa"]
    contracts = math.ceil(seedmod.SUBS / seedmod.PRODUCTS)
    for t, agreements in by_tenant.items():
        m[psa[t]] += math.ceil(contracts / AT_IN_CAP) if psa[t] == "autotask" else len(agreements)
    for t, _, _ in services:
        m[psa[t]] += 2
    return m


def busiest(per_instance):
    """(name, calls) of the instance with the most calls in the cycle."""
    if not per_instance:
        return None, 0
    name = max(per_instance, key=lambda k: per_instance[k])
    return name, per_instance[name]


def instance_calls(stats, system, key):
    """Calls per PSA instance (a sandbox without instances: the whole sandbox's, named "*")."""
    st = stats.get(system, {})
    if key not in st:
        return {"*": int(st.get("total_requests", 0))}
    return {name: int(v.get("total_requests", 0)) for name, v in (st.get(key) or {}).items()}


def at_peak(stats):
    """(peak, database, entity) of the most requests in flight at once per Autotask (database,
    entity) in the cycle (a sandbox without databases: the whole sandbox's, database "*")."""
    best = (0, None, None)
    at = stats.get("autotask", {})
    dbs = at.get("databases") if "databases" in at else {"*": at}
    for db, v in (dbs or {}).items():
        for code, entities in (v.get("max_concurrency") or {}).items():
            for entity, n in entities.items():
                if n > best[0]:
                    best = (n, db, entity)
    return best


# --- report -----------------------------------------------------------------------------------
def print_table(rows):
    w = [max(len(str(r[i])) for r in [COLS] + rows) for i in range(len(COLS))]
    for r in [COLS] + rows:
        print("  ".join(str(c).ljust(w[i]) if i in (0, 4, 5, 6) else str(c).rjust(w[i])
                        for i, c in enumerate(r)).rstrip())


def ok(cond):
    return "ok" if cond else "MISSED"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=float(os.environ.get("SCALE") or 1))
    ap.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS") or 16),
                    help="worker children (worker.children; default 16)")
    ap.add_argument("--processing-ms", type=int, default=50, help="the sandboxes' latency per call in the cycle")
    ap.add_argument("--change-percent", type=float, default=1.0, help="subscriptions changed per tenant (%%)")
    ap.add_argument("--interval", type=int, default=15,
                    help="the tenants' sync interval in minutes for the calls per hour (the product's default 15)")
    ap.add_argument("--timeout", type=int, default=3600, help="longest wait for the warm-up or the cycle (s)")
    a = ap.parse_args()
    n = max(2, round(TENANTS * a.scale))
    # Production's pace (conf/billsync.conf.example) and MariaDB's production settings; the
    # sandbox without its state file (it would write every store to disk after each write).
    settings = {"mariadb.buffer_pool": None, "worker.children": a.workers, "worker.poll_ms": 1000,
                "worker.schedule_seconds": 30, "worker.lease_seconds": 120, "sandbox.state_file": "",
                "sandbox.request_log": LOG_SIZE}
    gen = bt.stack_session(settings)
    stack = next(gen)
    rows, notes, failed = [], [], None
    try:
        sb = seedmod.Sandbox(stack)
        today = testclock.today()
        print(f"bench-sync: SCALE {a.scale}: {n} tenants x {seedmod.SUBS} links, {a.workers} worker children;"
              " seeding...", flush=True)
        for system in SYSTEMS:
            sb.configure(system, processing_ms=0)
        t0 = time.perf_counter()
        tenants, _ = seedmod.seed(stack, sb, n, today, refresh_timeout=a.timeout)
        ids = [t for t, _ in tenants]
        print(f"  {'total':<50} {time.perf_counter() - t0:7.1f} s", flush=True)

        print("bench-sync: warm-up: a sync of every tenant, the sandboxes answering at once...", flush=True)
        _, _, wwall, wdone, wleft = run_cycle(stack, ids, a.timeout, "warm-up")
        wadj = bt.sql(stack, "SELECT state, COUNT(*) FROM adjustments GROUP BY state").split("\n")
        print(f"  warm-up: {wwall:.1f} s{'' if wdone else f' (NOT complete: {wleft})'};"
              f" adjustments: {', '.join(x.replace(chr(9), ' ') for x in wadj if x) or 'none'}", flush=True)
        if not wdone:
            raise RuntimeError("the warm-up did not end within the timeout")
        if any(x for x in wadj if x):
            notes.append("the warm-up planned adjustments although the PSAs held the distributor's quantities")

        changes = pick_changes(tenants, a.change_percent)
        apply_changes(sb, changes)
        for system in SYSTEMS:
            sb.configure(system, processing_ms=a.processing_ms)
        sb.clear_stats()
        print(f"bench-sync: cycle: {len(changes)} subscriptions changed in Pax8, every API {a.processing_ms} ms"
              " per call; a sync of every tenant...", flush=True)
        load = OtherLoad(stack)
        t, b, o = time.monotonic(), load.busy(), load.ours()
        with WriteLog(sb) as wl:
            start, end, wall, done, left = run_cycle(stack, ids, a.timeout, "cycle")
        stats = sb.stats()
        other = ((load.busy() - b) - (load.ours() - o)) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t)

        # the cycle
        lst = ",".join(map(str, ids))
        jobs = dict(x.split("\t") for x in bt.sql(stack, f"""SELECT CONCAT(kind, ' ', state), COUNT(*) FROM jobs
            WHERE tenant_id IN ({lst}) AND created_at >= '{start}' AND kind IN ('sync', 'post')
            GROUP BY kind, state""").split("\n") if x)
        states = dict(x.split("\t") for x in bt.sql(stack, f"""SELECT state, COUNT(*) FROM adjustments
            WHERE tenant_id IN ({lst}) AND created_at >= '{start}' GROUP BY state""").split("\n") if x)
        cyc_notes = [f"{len(ids)} tenants; jobs: " + ", ".join(f"{k} {v}" for k, v in sorted(jobs.items())),
                     "ledger: " + (", ".join(f"{k} {v}" for k, v in sorted(states.items())) or "nothing planned")]
        if not done:
            cyc_notes.append(f"NOT complete after {a.timeout} s: {left[0]} syncs, {left[1]} jobs, {left[2]} queued")
        if other > 0.1:
            cyc_notes.append(f"OTHER LOAD {other:.1f} cores")
        rows.append(("cycle wall time", f"{wall:.1f} s", "-", "-", f"<= {CYCLE_S} s", ok(done and wall <= CYCLE_S),
                     "; ".join(cyc_notes)))

        # API calls against the fewest needed
        mins = minimum_calls(tenants, changes)
        for system in SYSTEMS:
            got = int(stats.get(system, {}).get("total_requests", 0))
            want = mins[system]
            ratio = got / want if want else float("inf") if got else 1.0
            top = Counter(stats.get(system, {}).get("requests") or {}).most_common(3)
            rows.append((f"{system} API calls", str(got), str(want), f"{ratio:.2f}", f"ratio <= {CALL_RATIO}",
                         ok(ratio <= CALL_RATIO), "most: " + ", ".join(f"{k} {v}" for k, v in top)))

        # Autotask's thread limit
        peak, db, entity = at_peak(stats)
        refusals = stats.get("autotask", {}).get("thread_limit_refusals", 0)
        rows.append(("autotask max concurrency per (database, entity)", str(peak), str(AT_THREADS), "-",
                     f"<= {AT_THREADS}", ok(peak <= AT_THREADS),
                     f"at {db} {entity}; thread-limit refusals {refusals}" if db else
                     f"thread-limit refusals {refusals}"))

        # calls per hour of the busiest PSA instance at the sync interval
        per_hour = 60 / a.interval
        name, calls = busiest(instance_calls(stats, "autotask", "databases"))
        rate = calls * per_hour
        rows.append(("autotask calls/hour, busiest database", f"{rate:.0f}", str(AT_HOURLY_CAP),
                     f"{rate / AT_HOURLY_CAP:.2f}", f"<= {CAP_SHARE:.0%} of cap", ok(rate <= CAP_SHARE * AT_HOURLY_CAP),
                     f"{name}: {calls} calls in the cycle x {per_hour:g} cycles/h ({a.interval} min interval)"))
        cw_cap = int(sb.get("/config/connectwise").get("rate_limit_per_minute") or 0) * 60
        name, calls = busiest(instance_calls(stats, "connectwise", "companies"))
        rate = calls * per_hour
        rows.append(("connectwise calls/hour, busiest company", f"{rate:.0f}", str(cw_cap) if cw_cap else "none",
                     f"{rate / cw_cap:.2f}" if cw_cap else "-", f"<= {CAP_SHARE:.0%} of cap",
                     ok(not cw_cap or rate <= CAP_SHARE * cw_cap),
                     f"{name}: {calls} calls in the cycle x {per_hour:g} cycles/h; cap = the sandbox's"
                     f" rate_limit_per_minute x 60"))

        # lost and double postings
        lost, double, spurious, details = verify(sb, changes, wl.writes, today)
        incomplete = f"; {wl.incomplete}" if wl.incomplete else ""
        rows.append(("lost postings", str(len(lost)), "-", "-", "0", ok(not lost),
                     f"of {len(changes)} changes: the PSA's units on {today} differ from the new quantity"))
        rows.append(("double postings", str(len(double)), "-", "-", "0", ok(not double),
                     "changes written more than once (successful unit writes in the sandbox's request log)"
                     + incomplete))
        rows.append(("writes to unchanged services", str(sum(spurious.values())), "-", "-", "0", ok(not spurious),
                     f"{len(spurious)} services"))
        notes += details[:20]
        if len(details) > 20:
            notes.append(f"... and {len(details) - 20} more")
        notes.append("per system, the cycle's calls by kind: " + "; ".join(
            f"{s}: " + ", ".join(f"{k} {v}" for k, v in sorted((stats.get(s, {}).get("requests") or {}).items(),
                                                             key=lambda kv: -kv[1]))
            for s in SYSTEMS))
    except BaseException as e:
        failed = e
    finally:
        gen.close()
    print()
    if rows:
        print_table(rows)
    for x in notes:
        print(f"  {x}")
    if failed is not None:
        if rows:
            print(f"\nbench-sync: stopped before the end ({type(failed).__name__}): the table is partial")
        raise failed
    missed = [r for r in rows if r[5] != "ok"]
    print(f"\nbench-sync: {len(rows) - len(missed)} of {len(rows)} targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
