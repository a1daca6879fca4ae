"""bench_volume.py: the pages and exports at production volume (make bench-volume [SCALE=0.1]).

One throwaway stack (as the tests start it) with MariaDB's buffer pool and the worker's pace as
in production, one big tenant (at SCALE 1: 100,000 resources, 50,000 links, 100,000 billing
lines, 1,000,000 adjustments over two years) and 200 small ones, seeded inside MariaDB
(volume_seed.py). Then, signed in to the big tenant:
  pages    each report in its default window and filtered, the dashboard, the checklist, this
           month's review and the mapping: wrk (16 connections, 2 threads, BENCH_SECONDS, longer
           for a slow page), then nginx serving the same bytes as a static file, alike.
  exports  each report's CSV and the review's, downloaded once by curl: MB/s, first byte, the
           peak RSS of the web child that served it, the row count (checked against the database where the
           rows are simply defined, always for the full adjustment log), then the same bytes static.
  due-post the scheduler's due-post query (app/db/ledger.c post_enqueue_due, its text read from
           the source) 20 times, timed by the server (SHOW PROFILES).
Prints one table and exits 1 when a target is missed."""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from urllib.parse import quote, urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
sys.path.insert(0, HERE)
import billsync_test as bt  # noqa: E402
import testclock  # noqa: E402
import volume_seed  # noqa: E402

WRK = "/usr/bin/wrk"
CONNECTIONS = 16
PAGE_P99_MS, PAGE_RATIO_PCT = 50, 5
EXPORT_MBS, EXPORT_RSS_MB, EXPORT_TTFB_MS = 50, 30, 200
EXPORT_MIN_MB = 5                 # the MB/s target holds for exports of at least this size
DUE_POST_MS = 5
COLS = ("page", "req/s", "p50 ms", "p99 ms", "non-2xx", "static req/s", "ratio %", "target", "result", "notes")


class SignedOut(Exception):
    """The session cookie did not get the page (a redirect to /login): nothing measured is real."""


class Bench:
    def __init__(self, stack, client, static_dir, seconds):
        self.stack, self.client, self.seconds = stack, client, seconds
        self.static_dir, self.n = static_dir, 0
        self.children = len(self.web_children()) or 1
        self.cookie = "Cookie: " + "; ".join(f"{k}={v}" for k, v in client.cookies.items())

    # --- helpers ------------------------------------------------------------------------
    def static_copy(self, body, ext):
        self.n += 1
        name = f"{self.n:02d}.{ext}"
        with open(os.path.join(self.static_dir, name), "wb") as f:
            f.write(body)
        return f"/static/{os.path.basename(self.static_dir)}/{name}"

    def signed_in_get(self, path):
        t = time.perf_counter()
        r = self.client.get(path, timeout=300)
        ms = (time.perf_counter() - t) * 1000
        if 300 <= r.status_code < 400:
            raise SignedOut(f"{path}: HTTP {r.status_code} to {r.headers.get('Location')}")
        return r, ms

    def wrk(self, path, seconds):
        out = subprocess.run([WRK, "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "60s",
                              "-s", os.path.join(HERE, "wrk_summary.lua"), "-H", self.cookie,
                              self.stack.url + path], capture_output=True, text=True, timeout=seconds + 180)
        m = re.search(r"^WRK (.*)$", out.stdout, re.M)
        if not m:
            raise RuntimeError(f"wrk {path}: no summary:\n{out.stdout}\n{out.stderr}")
        w = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
        w["rps"] = w["requests"] / (w["duration_us"] / 1e6)
        self.wait_idle()
        return w

    def web_cpu(self):
        """CPU ticks the web children used so far (utime + stime of /proc/PID/stat)."""
        total = 0
        for pid in self.web_children():
            try:
                f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
                total += int(f[11]) + int(f[12])
            except (OSError, IndexError, ValueError):
                pass
        return total

    def wait_idle(self, timeout=120):
        """Until no web statement runs and the web children use no CPU (wrk leaves requests in
        flight when it stops: a slow page's backlog would be measured with the next one)."""
        q = ("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'billsync'"
             " AND COMMAND IN ('Query', 'Execute') AND COALESCE(INFO, '') NOT LIKE '%jobs%'")
        end, quiet, cpu = time.monotonic() + timeout, 0, self.web_cpu()
        while time.monotonic() < end and quiet < 3:
            time.sleep(0.2)
            now = self.web_cpu()
            quiet = quiet + 1 if bt.sql(self.stack, q).strip() == "0" and now - cpu <= 1 else 0
            cpu = now
        if quiet < 3:
            print(f"bench-volume: warning: web statements still running after {timeout} s", flush=True)

    def web_children(self):
        return bt.children_of(self.stack.pid("web"))

    # --- measurements -------------------------------------------------------------------
    def page(self, path):
        r, first_ms = self.signed_in_get(path)
        static = self.static_copy(r.content, "html")
        # wrk drops the requests in flight when it stops: a slow page runs long enough for each
        # connection to get about two answers, so its p99 is not cut off at the run's length
        seconds = max(self.seconds, min(60, round(2 * CONNECTIONS * first_ms / 1000 / self.children)))
        w = self.wrk(path, seconds)
        self.signed_in_get(path)               # still signed in after the run
        s = self.wrk(static, self.seconds)     # nginx answers in microseconds: no need to wait
        ratio = 100 * w["rps"] / s["rps"] if s["rps"] else 0
        p99 = w["p99_us"] / 1000
        problems = []
        if r.status_code != 200:
            problems.append(f"HTTP {r.status_code}")
        if not w["requests"]:
            problems.append(f"no response within the {seconds} s run")
        elif w["non2xx"]:
            problems.append(f"{w['non2xx']} non-2xx of {w['requests']}")
        ok = not problems and p99 <= PAGE_P99_MS and ratio >= PAGE_RATIO_PCT
        notes = [f"1st GET {first_ms:.0f} ms, {len(r.content) // 1024} KB, {w['requests']} in {seconds} s"] + problems
        if w["timeouts"] or w["sockerr"]:
            notes.append(f"wrk timeouts {w['timeouts']}, socket errors {w['sockerr']}")
        ms = (lambda us: f"{us / 1000:.1f}") if w["requests"] else (lambda us: "n/a")
        return (path, f"{w['rps']:.1f}", ms(w["p50_us"]), ms(w["p99_us"]), str(w["non2xx"]),
                f"{s['rps']:.0f}", f"{ratio:.2f}", f"p99<={PAGE_P99_MS} ratio>={PAGE_RATIO_PCT}",
                "ok" if ok else "MISSED", "; ".join(notes))

    def curl(self, path, out):
        res = subprocess.run(["curl", "-sS", "-o", out, "--max-time", "1200", "-H", self.cookie, "-w",
                              "%{http_code} %{time_starttransfer} %{time_total} %{size_download}",
                              self.stack.url + path], capture_output=True, text=True)
        code, ttfb, total, size = res.stdout.split()
        return res.returncode, int(code), float(ttfb) * 1000, float(total), int(size), res.stderr.strip()

    def export(self, path, expect_sql=None):
        self.wait_idle()
        self.n += 1
        name = f"{self.n:02d}.csv"
        body = os.path.join(self.static_dir, name)
        rss, stop = {}, threading.Event()            # web child -> peak VmRSS (kB) during the export

        def poll():
            while not stop.is_set():
                for pid in self.web_children():
                    try:
                        with open(f"/proc/{pid}/status") as f:
                            kb = int(re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M).group(1))
                        rss[pid] = max(rss.get(pid, 0), kb)
                    except (OSError, AttributeError):
                        pass
                stop.wait(0.05)     # the kernel keeps no per-request peak: sample, lightly
        cpu0 = {pid: cpu_ticks(pid) for pid in self.web_children()}
        th = threading.Thread(target=poll, daemon=True)
        th.start()
        rc, code, ttfb, total, size, err = self.curl(path, body)
        stop.set()
        th.join()
        # the child that served it: the one that used the most CPU meanwhile
        child = max(rss, key=lambda pid: cpu_ticks(pid) - cpu0.get(pid, 0), default=None)
        peak_mb = rss.get(child, 0) / 1024
        if 300 <= code < 400:
            raise SignedOut(f"{path}: HTTP {code}")
        with open(body, "rb") as f:
            rows = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b"")) - 1
        *_, stotal, ssize, _ = self.curl(f"/static/{os.path.basename(self.static_dir)}/{name}", os.devnull)
        os.unlink(body)
        mbs, smbs = size / total / 1e6, ssize / stotal / 1e6 if stotal else 0
        problems = []
        if rc or code != 200:
            problems.append(f"HTTP {code}, curl exit {rc} {err}".strip())
        if expect_sql is not None:
            want = int(bt.sql(self.stack, expect_sql).strip())
            if rows != want:
                problems.append(f"FAILED: {rows} rows but the database has {want}")
        # MB/s is a target where the download is long enough to measure throughput, not latency
        fast = mbs >= EXPORT_MBS or size < EXPORT_MIN_MB * 1e6
        ok = not problems and fast and peak_mb < EXPORT_RSS_MB and ttfb < EXPORT_TTFB_MS
        notes = [f"{rows} rows{' (= DB)' if expect_sql and not problems else ''}, {size / 1e6:.1f} MB in "
                 f"{total:.1f} s, web child RSS peak {peak_mb:.1f} MB"] + problems
        target = (f">={EXPORT_MBS}MB/s " if size >= EXPORT_MIN_MB * 1e6 else "") + \
            f"fb<{EXPORT_TTFB_MS} rss<{EXPORT_RSS_MB}MB"
        return (path, f"{mbs:.1f} MB/s", f"{ttfb:.0f} fb", f"{total * 1000:.0f} all", "1" if code != 200 else "0",
                f"{smbs:.0f} MB/s", f"{100 * mbs / smbs if smbs else 0:.2f}", target,
                "FAILED" if any(p.startswith("FAILED") for p in problems) else "ok" if ok else "MISSED",
                "; ".join(notes))


class OtherLoad:
    """CPU used on this machine by processes other than this run's (its stack, wrk, curl, the
    mariadb client): another run's load skews the measurement, so it is reported beside it."""

    def __init__(self, stack):
        self.roots = [os.getpid(), stack.pid("nginx")]     # nginx runs as a daemon of its own

    @staticmethod
    def busy():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[0] + v[1] + v[2] + sum(v[5:8])             # user nice system irq softirq steal

    def ours(self):
        """utime + stime of our processes, and of the children they have reaped."""
        total, seen, todo = 0, set(), list(self.roots)
        while todo:
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                with open(f"/proc/{pid}/stat") as f:
                    total += sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:15])
            except (OSError, ValueError):
                continue
            todo += bt.children_of(pid)
        return total

    def measure(self, fn, *args):
        """fn's row, its notes saying how much CPU others used meanwhile (in cores) when it
        was more than a tenth of one."""
        t, b, o = time.monotonic(), self.busy(), self.ours()
        row = fn(*args)
        cores = ((self.busy() - b) - (self.ours() - o)) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t)
        return row[:9] + (f"{row[9]}; OTHER LOAD {cores:.1f} cores",) if cores > 0.1 else row


def cpu_ticks(pid):
    """utime + stime of a process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            v = f.read().rsplit(")", 1)[1].split()
        return int(v[11]) + int(v[12])
    except (OSError, IndexError, ValueError):
        return 0


def margin_rows(stack, t):
    """The worker's figures job once, as after every sync in production: it computes the margin
    report's rows (sql/022 margin_rows, doc/margin.md 7) the margin pages and export then read.
    Prints how long the job and the fill took."""
    fresh = (f"SELECT COUNT(*) FROM margin_sets s WHERE s.tenant_id = {t} AND s.set_no IS NOT NULL"
             f" AND s.gen = COALESCE((SELECT gen FROM tenant_gen WHERE tenant_id = {t}), 0)")
    t0 = time.monotonic()
    bt.sql(stack, f"INSERT IGNORE INTO jobs (tenant_id, kind, unique_key, due_at)"
                  f" VALUES ({t}, 'figures', 'figures:{t}', UTC_TIMESTAMP(6))")
    bt.wait_for(lambda: bt.sql(stack, fresh).strip() == "1", timeout=600, what="the margin rows")
    bt.wait_for(lambda: bt.sql(stack, f"SELECT COUNT(*) FROM jobs WHERE tenant_id = {t} AND kind = 'figures'"
                                      " AND state = 'pending'").strip() == "0", timeout=600, what="the figures job")
    fill = bt.sql(stack, f"SELECT rows_n, fill_ms FROM margin_sets WHERE tenant_id = {t}").split()
    print(f"bench-volume: figures job {time.monotonic() - t0:.1f} s; margin rows: {fill[0]} rows filled in"
          f" {fill[1]} ms", flush=True)


def due_post_sql():
    """The SELECT of app/db/ledger.c post_enqueue_due, as the worker sends it."""
    src = open(os.path.join(ROOT, "app", "db", "ledger.c")).read()
    body = src[src.index("int post_enqueue_due(db_t *db)"):]
    body = body[:body.index("\n}\n")]
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', body)
    text = "".join(s.replace('\\"', '"').replace("\\\\", "\\") for s in parts)
    return text[text.index("SELECT"):]


def due_post(stack, runs=20):
    q = due_post_sql()
    out = bt.sql(stack, "SET profiling = 1; SET profiling_history_size = 100; "
                 + f"{q};" * (runs + 1) + " SHOW PROFILES")
    ms, due = [], 0
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) == 3 and f[0].isdigit() and re.fullmatch(r"[\d.]+", f[1]) and f[2].startswith("SELECT"):
            ms.append(float(f[1]) * 1000)
        elif len(f) >= 3 and f[1] == "post":
            due += 1                             # a tenant the worker would queue a post job for
    ms = sorted(ms[1:])                          # the first run warms up
    p50, worst = statistics.median(ms), ms[-1]
    notes = [f"{runs} runs, server time (SHOW PROFILES)"]
    if due:
        notes.append(f"FAILED: {due} tenants have posts due (the seed must leave nothing due)")
    ok = not due and p50 < DUE_POST_MS
    return ("due-post query (ledger.c post_enqueue_due)", "-", f"{p50:.2f}", f"{worst:.2f}", "-", "-", "-",
            f"p50<{DUE_POST_MS}", "FAILED" if due else "ok" if ok else "MISSED", "; ".join(notes))


def web_log_summary(stack, since):
    """The web pool's warnings and errors logged while measuring, counted by message."""
    counts = {}
    with open(stack.path("log", "web.log"), errors="replace") as f:
        f.seek(since)
        for line in f:
            m = re.match(r"\S+ billsync-web\[\d+\] (warn|error) (.*)", line)
            if m:
                msg = re.sub(r"\d+", "N", f"{m.group(1)} {m.group(2)}")[:160]
                counts[msg] = counts.get(msg, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])


def print_table(rows):
    w = [max(len(str(r[i])) for r in [COLS] + rows) for i in range(len(COLS))]
    for r in [COLS] + rows:
        print("  ".join(str(c).ljust(w[i]) if i in (0, 7, 8, 9) else str(c).rjust(w[i])
                        for i, c in enumerate(r)).rstrip())
    print("exports: req/s = MB/s, p50 = first byte ms, p99 = whole download ms, static = nginx MB/s on "
          "the same bytes; due-post: p99 = slowest of the runs")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=float(os.environ.get("SCALE") or 1))
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS") or 5))
    ap.add_argument("--only", default=os.environ.get("BENCH_ONLY") or "",
                    help="measure only the pages and exports whose URL contains this text (e.g. margin)")
    a = ap.parse_args()
    # The worker at production's pace (conf/billsync.conf.example), not the tests' faster one:
    # its scheduler's queries are part of the load the pages are measured under.
    # and its lease: the figures job computes the margin report's rows (margin_rows below), longer
    # than the tests' 8 s lease at this volume
    os.environ.update(BILLSYNC_WORKER_SCHEDULE_SECONDS="30", BILLSYNC_WORKER_POLL_MS="1000",
                      BILLSYNC_WORKER_LEASE_SECONDS="120")
    rows, log, failed = [], [], None
    # MariaDB with production's settings (conf/mariadb-billsync.cnf, its 1 GB buffer pool), not
    # the test suite's smaller pool
    gen = bt.stack_session({"mariadb.buffer_pool": None})
    stack = next(gen)
    static_dir = None
    try:
        pool = int(bt.sql(stack, "SELECT @@innodb_buffer_pool_size"))
        _, t = bt.new_tenant(stack, "Bench Volume MSP")
        now = testclock.utcnow()
        print(f"bench-volume: SCALE {a.scale}, MariaDB buffer pool {pool >> 20} MB; seeding...", flush=True)
        for table, n, s in volume_seed.seed(stack, t, a.scale, now):
            print(f"  {table:<30} {'' if n is None else f'{n} rows':>13} {s:7.1f} s", flush=True)
        print("  (rows: the big tenant's and the small tenants' together)")
        client = bt.signed_in(stack, "billing", tenant=t)
        static_dir = tempfile.mkdtemp(prefix=".bench-volume-", dir=os.path.join(ROOT, "static"))
        os.chmod(static_dir, 0o755)
        bench = Bench(stack, client, static_dir, a.seconds)
        today = testclock.today()
        month, day = f"{today:%Y-%m}", today - timedelta(days=10)

        def company_on(day, states):
            return bt.sql(stack, f"""SELECT c.name FROM adjustments j
                JOIN src_resources r ON r.tenant_id = j.tenant_id AND r.connection_id = j.src_connection_id
                 AND r.source_id = j.src_resource_id
                JOIN src_companies c ON c.tenant_id = j.tenant_id AND c.connection_id = j.src_connection_id
                 AND c.source_id = r.company_source_id
                WHERE j.tenant_id = {t} AND j.state IN ({states}) AND j.created_at >= '{day}'
                 AND j.created_at < '{day}' + INTERVAL 1 DAY ORDER BY j.id LIMIT 1""").strip() or "Customer 00001 Ltd"

        def one_day(states):
            return urlencode({"from": day, "to": day, "company": company_on(day, states)}, quote_via=quote)

        company = urlencode({"company": "Customer 00042 Ltd"}, quote_via=quote)
        both, failed_only = "'verified', 'failed'", "'failed'"
        pages = ["/reports/adjustments", f"/reports/adjustments?{one_day(both)}",
                 "/reports/failures", f"/reports/failures?{one_day(failed_only)}"]
        for rep in ("subscriptions", "linked", "unlinked"):
            pages += [f"/reports/{rep}", f"/reports/{rep}?{company}"]
        pages += ["/", "/checklist", f"/review/{month}", "/mapping", "/mapping?q=Customer%2000042"]
        pages += ["/reports/margin", "/reports/margin?flagged=1&sort=margin&dir=asc",
                  "/reports/margin?sort=margin_pct&dir=desc&page=400", f"/reports/margin?{company}"]
        window = (f"tenant_id = {t} AND created_at >= '{today - timedelta(days=29)}'"
                  f" AND created_at < '{today}' + INTERVAL 1 DAY")
        exports = [
            ("/reports/adjustments?format=csv&from=2000-01-01",
             f"SELECT COUNT(*) FROM adjustments WHERE tenant_id = {t} AND state IN ('verified', 'failed')"),
            ("/reports/adjustments?format=csv",
             f"SELECT COUNT(*) FROM adjustments WHERE {window} AND state IN ('verified', 'failed')"),
            ("/reports/failures?format=csv", f"SELECT COUNT(*) FROM adjustments WHERE {window} AND state = 'failed'"),
            ("/reports/subscriptions?format=csv", f"SELECT COUNT(*) FROM src_resources WHERE tenant_id = {t}"),
            ("/reports/linked?format=csv", None),
            ("/reports/unlinked?format=csv", None),
            ("/reports/margin?format=csv", None),
            (f"/review/{month}?format=csv",
             f"SELECT COUNT(*) FROM src_charges WHERE tenant_id = {t} AND period_month = '{today:%Y-%m-01}'"),
        ]
        if a.only:
            pages = [p for p in pages if a.only in p]
            exports = [e for e in exports if a.only in e[0]]
        if any("margin" in p for p in pages + [e[0] for e in exports]):
            margin_rows(stack, t)
        start = bt.sql(stack, "SELECT UTC_TIMESTAMP(6)").strip()
        log_from = bt.log_size(stack, "web")
        print(f"bench-volume: measuring {len(pages)} pages (at least {a.seconds} s of wrk each, then static), "
              f"{len(exports)} exports, the due-post query", flush=True)
        measured = OtherLoad(stack).measure
        for p in pages:
            rows.append(measured(bench.page, p))
            print(f"  {rows[-1][0]}: {rows[-1][1]} req/s, p99 {rows[-1][3]} ms, {rows[-1][8]}", flush=True)
        for p, expect in exports:
            rows.append(measured(bench.export, p, expect))
            print(f"  {rows[-1][0]}: {rows[-1][1]}, {rows[-1][9]}", flush=True)
        rows.append(measured(due_post, stack))
        jobs = bt.sql(stack, f"SELECT COUNT(*) FROM jobs WHERE created_at >= '{start}' OR finished_at >= '{start}'")
        log = web_log_summary(stack, log_from)
        moved = bt.sql(stack, f"SELECT COUNT(*) FROM adjustments WHERE updated_at >= '{start}'")
        if int(jobs) or int(moved):
            print(f"bench-volume: warning: the worker was not quiet: {jobs.strip()} jobs, {moved.strip()}"
                  " adjustments changed while measuring", flush=True)
    except BaseException as e:
        failed = e
    finally:
        if static_dir:
            shutil.rmtree(static_dir, ignore_errors=True)
        gen.close()
    print()
    if rows:
        print_table(rows)
    if log:
        print("\nweb log while measuring (warnings and errors, by message):")
        for msg, n in log[:12]:
            print(f"  {n:6d}  {msg}")
    if failed is not None:
        if rows:
            print(f"\nbench-volume: stopped before the end ({type(failed).__name__}): the table is partial")
        if isinstance(failed, SignedOut):
            print(f"\nbench-volume: FAILED: the session cookie was refused: {failed}")
            return 1
        raise failed
    skewed = sum("OTHER LOAD" in r[9] for r in rows)
    if skewed:
        print(f"\nbench-volume: warning: {skewed} rows were measured while other processes used the CPU"
              " (OTHER LOAD): run again on a quiet machine")
    missed = [r for r in rows if r[8] != "ok"]
    print(f"\nbench-volume: {len(rows) - len(missed)} of {len(rows)} targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
