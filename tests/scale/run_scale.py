"""run_scale.py: make test-scale: billsync on three Galera nodes, faults in the middle of a sync.

doc/scale-out.md, "The scale test". One machine: tests/scale/galera.py's three nodes on loopback,
two web pools (nodes 1 and 2) behind one nginx upstream, three worker pools (one per node), the
API sandboxes (every call 50 ms), TENANTS tenants of tests/bench/sync_seed.py (a Pax8 partner and
an Autotask database or a ConnectWise company each, 100 linked resources).

  seed, warm-up   the tenants synced once, nothing to post;
  cycle           1 % of the subscriptions changed in Pax8, a sync of every tenant queued, a wrk
                  load of signed-in pages running; during it: kill -9 of node 3 and its restart
                  by IST (--wsrep-recover, --wsrep-start-position), kill -9 of web pool 1, kill -9
                  of worker pool 2 (its jobs' leases run out and others take them over);
  checks          every seat change in the PSA exactly once (the sandbox's state and request
                  log), every job of the cycle done, by one worker, once; the web load's errors
                  within the requests in flight on what was killed; node 3 back by IST; the
                  three nodes agree (row count and CHECKSUM TABLE of every table);
  throughput      pages/s and jobs/s with every pool on node 1, then spread over the three nodes,
                  with the certification conflicts and the retries per job.
Exits 1 when a check fails."""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))
sys.path.insert(0, HERE)
import billsync_test as bt  # noqa: E402
import bench_sync as bs  # noqa: E402
import galera  # noqa: E402
import sync_seed as seedmod  # noqa: E402
import testclock  # noqa: E402
from scale_stack import ScaleStack, WORKER_POOLS  # noqa: E402

WRK_CONNECTIONS = 8
SETTINGS = {"log.level": "info", "security.argon2_ops": 1, "security.argon2_mem_kib": 8192,
            "worker.children": 3, "worker.poll_ms": 300, "worker.schedule_seconds": 30,
            "worker.lease_seconds": 20, "web.children": 3, "sandbox.state_file": "",
            "sandbox.request_log": bs.LOG_SIZE}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- the web load -----------------------------------------------------------------------------
class WebLoad:
    """A bounded wrk run of signed-in pages (tests/scale/load.lua) in the background."""

    def __init__(self, stack, cookie, seconds):
        self.argv = ["wrk", "-t2", f"-c{WRK_CONNECTIONS}", f"-d{int(seconds)}s", "--timeout", "30s",
                     "-s", os.path.join(HERE, "load.lua"), "-H", f"Cookie: {cookie}", stack.url]
        self.out = None
        self.th = threading.Thread(target=self.run, daemon=True)

    def run(self):
        self.out = subprocess.run(self.argv, capture_output=True, text=True, timeout=900).stdout

    def start(self):
        self.th.start()
        return self

    def result(self):
        self.th.join()
        st = Counter({int(a): int(b) for a, b in re.findall(r"^status (\d+) (\d+)$", self.out or "", re.M)})
        m = re.search(r"socket-errors connect (\d+) read (\d+) write (\d+) timeout (\d+)", self.out or "")
        sock = sum(int(x) for x in m.groups()) if m else -1
        m = re.search(r"requests (\d+) duration-us (\d+)", self.out or "")
        reqs, secs = (int(m.group(1)), int(m.group(2)) / 1e6) if m else (0, 1)
        return st, sock, reqs, secs


def signed_in_cookie(stack):
    c = bt.signed_in(stack, "admin")
    r = c.get("/")
    if r.status_code != 200:
        raise RuntimeError(f"the signed-in page answered {r.status_code}")
    return "; ".join(f"{k}={v}" for k, v in c.cookies.items())


# --- faults -------------------------------------------------------------------------------------
class Faults(threading.Thread):
    """The faults of the cycle, in order, each written to the timeline. Each waits for the state
    that makes it count, not for a time: the cycle under way (a tenant's sync has ended and jobs
    are still due), the dead node evicted, a worker of pool 2 holding a job's lease. `inside`
    says, per kill, whether the cycle still had jobs pending then."""

    def __init__(self, stack, cluster, ids, since):
        super().__init__(daemon=True)
        self.stack, self.cluster, self.ids, self.since = stack, cluster, ids, since
        self.lst = ",".join(map(str, ids))
        self.timeline, self.error, self.ist, self.killed, self.inside = [], None, None, Counter(), {}
        self.t0 = time.monotonic()

    def note(self, what):
        self.timeline.append((time.monotonic() - self.t0, what))
        log(f"  fault +{self.timeline[-1][0]:5.1f} s: {what}")

    def pending(self):
        return int(bt.sql(self.stack, "SELECT COUNT(*) FROM jobs WHERE state = 'pending' AND kind IN ('sync', 'post')"
                                      f" AND tenant_id IN ({self.lst})").strip())

    def under_way(self):
        ended = int(bt.sql(self.stack, f"SELECT COUNT(*) FROM tenant_sync WHERE tenant_id IN ({self.lst})"
                                       f" AND finished_at >= '{self.since}'").strip())
        return ended > 0 and self.pending() > 0

    def pool_holds_a_lease(self, name):
        pids = bt.children_of(self.stack.pid(name))
        if not pids:
            return False
        rx = "|".join(str(p) for p in pids)
        return int(bt.sql(self.stack, "SELECT COUNT(*) FROM jobs WHERE state = 'pending' AND lease_owner"
                                      f" REGEXP ':({rx}):'").strip()) > 0

    def kill(self, what, fn):
        self.inside[what] = self.pending() > 0
        out = fn()
        self.note(f"{what}" + ("" if self.inside[what] else " (AFTER the cycle's last job)"))
        return out

    def run(self):
        try:
            bt.wait_for(self.under_way, 300, "the cycle to be under way")
            self.kill("kill -9 of Galera node 3 (worker pool 3's node)", lambda: self.cluster.kill9(3))
            self.cluster.wait_size(1, 2, timeout=60)
            self.note("the other two evicted it (cluster size 2)")
            self.killed["web1"] = self.kill("kill -9 of web pool 1", lambda: self.stack.kill_pool("web1"))
            pos = self.cluster.restart_after_crash(3)
            self.note(f"node 3 restarting from its recovered position {pos}")
            bt.wait_for(lambda: self.pool_holds_a_lease("worker2"), 300, "worker pool 2 to hold a job")
            self.killed["worker2"] = self.kill("kill -9 of worker pool 2, a job in its hands",
                                               lambda: self.stack.kill_pool("worker2"))
            self.cluster.wait_synced(3, timeout=180)
            self.ist = self.cluster.ist_used(3)
            self.note(f"node 3 Synced again ({'IST' if self.ist else 'a full SST'})")
            self.stack.start_web_pool(1)
            self.note("web pool 1 started again")
        except Exception as e:         # noqa: BLE001 - reported as a failed check
            self.error = e
            self.note(f"FAILED: {e}")


# --- checks ---------------------------------------------------------------------------------------
def jobs_done_once(stack, ids, start):
    """(jobs of the cycle, not done, ids done by more than one 'job done' line, retries)."""
    lst = ",".join(map(str, ids))
    rows = [x.split("\t") for x in bt.sql(stack, f"SELECT id, state FROM jobs WHERE tenant_id IN ({lst})"
                                                 f" AND kind IN ('sync', 'post') AND created_at >= '{start}'").split("\n") if x]
    done_lines = Counter()
    for i in WORKER_POOLS:
        for line in bt.log_lines(stack, f"worker{i}"):
            m = re.search(r"job done id=(\d+)", line)
            if m:
                done_lines[int(m.group(1))] += 1
    not_done = [r for r in rows if r[1] != "done"]
    twice = [r[0] for r in rows if done_lines[int(r[0])] > 1]
    missing = [r[0] for r in rows if r[1] == "done" and done_lines[int(r[0])] == 0]
    return len(rows), not_done, twice, missing


def nodes_agree(cluster):
    sums = {i: cluster.checksums(i, "billsync") for i in range(1, cluster.n + 1)}
    differ = sorted(t for t in sums[1] if any(sums[i].get(t) != sums[1][t] for i in sums))
    missing = sorted(set().union(*sums.values()) - set(sums[1]))
    return len(sums[1]), differ + missing, sum(v[0] for v in sums[1].values())


# --- throughput -----------------------------------------------------------------------------------
def wsrep_counters(cluster):
    keys = ("wsrep_local_cert_failures", "wsrep_local_bf_aborts", "wsrep_replicated")
    return Counter({k: sum(int(cluster.status(i, k) or 0) for i in range(1, cluster.n + 1)) for k in keys})


def worker_retries(stack, since):
    total = jobs = 0
    for i in WORKER_POOLS:
        for line in bt.log_lines(stack, f"worker{i}", since.get(i, 0)):
            m = re.search(r"job done id=\d+ kind=\S+ db_retries=(\d+)", line)
            if m:
                jobs += 1
                total += int(m.group(1))
    return jobs, total


def throughput(stack, cluster, cookie, ids, nodes, seconds):
    """Every pool restarted on `nodes` (1: all on node 1; 3: spread); then a wrk run alone
    (pages/s), then a figures job for every tenant (jobs/s)."""
    for name in stack.pools():
        stack.stop_one(name)
    only = [1] if nodes == 1 else None
    for i in (1, 2):
        stack.start_web_pool(i, only)
    for i in WORKER_POOLS:
        stack.start_worker_pool(i, only)
    st, sock, reqs, secs = WebLoad(stack, cookie, seconds).start().result()
    ok_pages = st.get(200, 0)
    since = {i: bt.log_size(stack, f"worker{i}") for i in WORKER_POOLS}
    before = wsrep_counters(cluster)
    lst = ",".join(map(str, ids))
    t0 = time.monotonic()
    bt.sql(stack, "INSERT INTO jobs (tenant_id, kind, unique_key) SELECT id, 'figures', CONCAT('figures:', id)"
                  f" FROM tenants WHERE id IN ({lst}) ON DUPLICATE KEY UPDATE due_at = UTC_TIMESTAMP(6)")
    left = f"SELECT COUNT(*) FROM jobs WHERE kind = 'figures' AND state = 'pending' AND tenant_id IN ({lst})"
    bt.wait_for(lambda: bt.sql(stack, left).strip() == "0", 600, "the figures jobs")
    jsecs = time.monotonic() - t0
    after = wsrep_counters(cluster)
    jobs, retries = worker_retries(stack, since)
    conflicts = (after["wsrep_local_cert_failures"] - before["wsrep_local_cert_failures"]
                 + after["wsrep_local_bf_aborts"] - before["wsrep_local_bf_aborts"])
    replicated = max(1, after["wsrep_replicated"] - before["wsrep_replicated"])
    return dict(nodes=nodes, pages=ok_pages / secs, page_errors=reqs - ok_pages + max(sock, 0),
                jobs=len(ids) / jsecs, conflicts=conflicts, conflict_rate=conflicts / replicated,
                retries_per_job=retries / max(1, jobs))


# --- main -----------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tenants", type=int, default=int(os.environ.get("TENANTS") or 240))
    ap.add_argument("--processing-ms", type=int, default=50)
    ap.add_argument("--keep", action="store_true", help="keep the directory (logs) afterwards")
    a = ap.parse_args()
    # SIGTERM (a CI time limit, kill) still stops every process below by its PID
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    base = tempfile.mkdtemp(prefix="billsync-scale-")
    os.chmod(base, 0o711)           # the nodes run as mysql (tests/scale/galera.py)
    checks, failed = [], None
    cluster = galera.Cluster(os.path.join(base, "galera"), n=3, extra_cnf="\n".join([
        f"!include {os.path.join(ROOT, 'conf', 'mariadb-billsync.cnf')}", "[mysqld]",
        "innodb_buffer_pool_size=256M", "innodb_log_file_size=64M", "max_connections=500"]))
    stack = ScaleStack(os.path.join(base, "stack"), cluster, dict(SETTINGS))
    t_all = time.monotonic()

    def check(name, ok, detail):
        checks.append((name, "ok" if ok else "FAILED", detail))
        log(f"check: {name}: {'ok' if ok else 'FAILED'}: {detail}")
    try:
        t = time.monotonic()
        cluster.start()
        log(f"3 Galera nodes Synced in {time.monotonic() - t:.1f} s")
        stack.start()
        log(f"billsync up: 2 web pools, 3 worker pools, nginx at {stack.url}")
        cookie = signed_in_cookie(stack)
        sb = seedmod.Sandbox(stack)
        for system in bs.SYSTEMS:
            sb.configure(system, processing_ms=0)
        today = testclock.today()
        tenants, _ = seedmod.seed(stack, sb, a.tenants, today, log=log, refresh_timeout=900)
        ids = [x for x, _ in tenants]
        _, _, wall, done, left = bs.run_cycle(stack, ids, 900, "warm-up")
        log(f"warm-up: {wall:.1f} s{'' if done else f' NOT complete {left}'}")
        if not done:
            raise RuntimeError("the warm-up did not end")

        changes = bs.pick_changes(tenants, 1.0)
        bs.apply_changes(sb, changes)
        for system in bs.SYSTEMS:
            sb.configure(system, processing_ms=a.processing_ms)
        log(f"cycle: {len(changes)} subscriptions changed; a sync of every tenant, web load, faults")
        load = WebLoad(stack, cookie, 60).start()
        faults = Faults(stack, cluster, ids, bt.sql(stack, "SELECT UTC_TIMESTAMP(6)").strip())
        with bs.WriteLog(sb) as wl:
            faults.start()
            start, _, wall, done, left = bs.run_cycle(stack, ids, 900, "cycle")
            faults.join(timeout=300)
        st, sock, reqs, _ = load.result()
        check("sync cycle ended", done and wall >= 20,
              f"{wall:.1f} s (at least 20 s wanted, for the faults to land inside it)"
              + ("" if done else f"; NOT complete: {left}"))
        check("faults ran inside the cycle", faults.error is None and not faults.is_alive()
              and len(faults.inside) == 3 and all(faults.inside.values()),
              "; ".join(f"+{s:.1f} s {w}" for s, w in faults.timeline))
        check("node 3 rejoined by IST", bool(faults.ist), "recover + --wsrep-start-position, no full SST")
        others = {f"127.0.0.1:{cluster.port(i)}" for i in (1, 2)}
        moved = [line for line in bt.log_lines(stack, "worker3")
                 if "db: connected to " in line and line.rsplit("db: connected to ", 1)[1].strip() in others]
        check("worker pool 3 moved off the killed node", bool(moved),
              f"{len(moved)} of its connections went on to node 1 or 2 (db.host's next entries)")
        lost, double, spurious, details = bs.verify(sb, changes, wl.writes, today)
        check("every seat change landed exactly once", not lost and not double and not spurious and not wl.incomplete,
              f"{len(changes)} changes: {len(lost)} lost, {len(double)} double, {sum(spurious.values())}"
              f" writes to unchanged services" + (f"; {wl.incomplete}" if wl.incomplete else "")
              + ("; " + "; ".join(details[:5]) if details else ""))
        n, not_done, twice, missing = jobs_done_once(stack, ids, start)
        check("every job of the cycle done, once", not not_done and not twice and not missing,
              f"{n} sync/post jobs: {len(not_done)} not done {not_done[:5]}, {len(twice)} done twice,"
              f" {len(missing)} done without a worker's line")
        errors = reqs - st.get(200, 0) + max(sock, 0)
        allowed = WRK_CONNECTIONS * 2
        check("web load errors within the killed window", sock >= 0 and errors <= allowed and reqs > 0,
              f"{reqs} requests, {st.get(200, 0)} answered 200, statuses {dict(st)}, {max(sock, 0)} socket errors:"
              f" {errors} errors, allowed {allowed} (the {WRK_CONNECTIONS} connections' requests in flight on the"
              " killed web pool, and on the killed node)")
        tables, differ, rows = nodes_agree(cluster)
        check("the three nodes agree", not differ,
              f"{tables} tables, {rows} rows: " + (f"differ: {differ[:10]}" if differ else "same counts and checksums"))

        log("throughput: every pool on node 1, then spread over the three nodes")
        results = [throughput(stack, cluster, cookie, ids, n, 10) for n in (1, 3)]
        print()
        print(f"{'nodes':>5}  {'pages/s':>8}  {'page errors':>11}  {'jobs/s':>7}  {'cert. conflicts':>15}"
              f"  {'conflict rate':>13}  {'retries/job':>11}")
        for r in results:
            print(f"{r['nodes']:>5}  {r['pages']:>8.1f}  {r['page_errors']:>11}  {r['jobs']:>7.1f}"
                  f"  {r['conflicts']:>15}  {r['conflict_rate']:>13.4f}  {r['retries_per_job']:>11.3f}")
        print("  (one 2-core machine: the nodes share its cores; conflict rate = certification failures and"
              " brute-force aborts per replicated write set)")
    except BaseException as e:
        failed = e
    finally:
        try:
            stack.stop()
        finally:
            cluster.stop_all()
        if a.keep or failed is not None or any(c[1] != "ok" for c in checks):
            print(f"\ntest-scale: logs kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    print()
    for name, result, detail in checks:
        print(f"  {result:<6} {name}: {detail}")
    if failed is not None:
        detail = getattr(failed, "stderr", None)
        print(f"\ntest-scale: stopped ({type(failed).__name__}: {failed})"
              + (f"\n{detail[-3000:] if isinstance(detail, str) else detail}" if detail else ""))
        raise failed
    bad = [c for c in checks if c[1] != "ok"]
    print(f"\ntest-scale: {len(checks) - len(bad)} of {len(checks)} checks passed in"
          f" {time.monotonic() - t_all:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
