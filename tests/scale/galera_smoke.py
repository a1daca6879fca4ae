#!/usr/bin/python3
"""galera_smoke.py: start a 3-node Galera cluster, write on every node, kill -9 node 2
under write load through node 1, bring node 2 back by IST, compare checksums.

    /usr/bin/python3 tests/scale/galera_smoke.py        # exit 0 on success
    GALERA_SMOKE_KEEP=1 ...                              # keep the dir on failure
"""
import os
import re
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from galera import Cluster, SQLError  # noqa: E402

RETRY = {1213, 1205, 1047, 2013, 2006}   # deadlock/cert failure, not ready, lost connection
T0 = time.monotonic()
timings = []


def phase(name, since):
    dt = time.monotonic() - since
    timings.append((name, dt))
    print(f"[{time.monotonic() - T0:6.1f}s] {name}: {dt:.2f}s", flush=True)
    return time.monotonic()


class Writer(threading.Thread):
    """Autocommit inserts through one node with explicit ids, so that a retried insert
    whose first attempt did commit (possible after 2013) shows up as 1062 = done."""

    def __init__(self, cluster, node, first_id):
        super().__init__(daemon=True)
        self.c, self.node, self.next_id = cluster, node, first_id
        self.stop_evt = threading.Event()
        self.acked, self.errors, self.max_latency = 0, {}, 0.0
        self.exc = None

    def run(self):
        try:
            self._loop()
        except Exception as e:  # reported by main()
            self.exc = e

    def _loop(self):
        while not self.stop_evt.is_set():
            k, t = self.next_id, time.monotonic()
            for attempt in range(100):
                try:
                    self.c.sql(self.node, f"INSERT INTO t (id, node, v) VALUES ({k}, {self.node}, 'w{k}')",
                               db="smoke", timeout=90)
                    break
                except SQLError as e:
                    if e.errno == 1062 and attempt > 0:
                        break  # an earlier attempt of this id did commit
                    if e.errno not in RETRY:
                        raise
                    self.errors[e.errno] = self.errors.get(e.errno, 0) + 1
                    time.sleep(0.1)
            else:
                raise RuntimeError(f"insert {k} kept failing")
            self.max_latency = max(self.max_latency, time.monotonic() - t)
            self.acked += 1
            self.next_id += 1


def main():
    base = tempfile.mkdtemp(prefix="galera-smoke-")
    c = Cluster(base)
    writer = None
    ok = False
    try:
        t = time.monotonic()
        c.start()
        t = phase("start 3 nodes (install-db + bootstrap + 2 SST joins)", t)
        print(f"  ports: {c.ports}", flush=True)

        c.create_app_user("app", "app-pw", "smoke")
        # Setup statements are idempotent, so a transient 1047/1213 is just retried.
        c.sql_retry(1, "CREATE TABLE IF NOT EXISTS t (id BIGINT PRIMARY KEY, node INT NOT NULL, "
                 "v VARCHAR(64) NOT NULL) ENGINE=InnoDB", db="smoke")
        per_node = 50
        for i in (1, 2, 3):
            rows = ",".join(f"({i * 100000 + k}, {i}, 'n{i}-{k}')" for k in range(per_node))
            c.sql_retry(i, f"INSERT IGNORE INTO t (id, node, v) VALUES {rows}", db="smoke")
            c.sql_retry(i, f"INSERT IGNORE INTO t (id, node, v) "
                           f"VALUES ({i * 100000 + per_node}, {i}, 'single')", db="smoke")
        initial = 3 * (per_node + 1)
        t = phase("schema + initial inserts on each node", t)

        writer = Writer(c, 1, 10_000_000)
        writer.start()
        time.sleep(1.0)
        before = writer.acked
        c.kill9(2)
        t = phase("write load through node 1, then kill -9 node 2", t)
        c.wait_size(1, 2, timeout=60)
        t = phase("survivors see cluster size 2", t)
        time.sleep(1.0)
        during = writer.acked - before
        pos = c.restart_after_crash(2)
        print(f"  recovered position: {pos}", flush=True)
        c.wait_synced(2, timeout=120)
        t = phase("node 2 recover + restart -> Synced", t)
        c.wait_size(1, 3, timeout=60)
        time.sleep(1.0)  # keep writing while node 2 is back
        writer.stop_evt.set()
        writer.join(120)
        if writer.is_alive():
            raise RuntimeError("writer thread did not stop")
        if writer.exc:
            raise RuntimeError(f"writer failed: {writer.exc}")
        print(f"  writer: {writer.acked} acked inserts ({during} while node 2 was down), "
              f"retried errors {writer.errors}, max insert latency {writer.max_latency:.2f}s",
              flush=True)

        assert c.ist_used(2), "node 2 did not rejoin by IST alone:\n" + c.log_since_start(2)[-3000:]
        sums = {i: c.checksums(i, "smoke") for i in (1, 2, 3)}
        for i in (1, 2, 3):
            print(f"  node {i}: {sums[i]}", flush=True)
        assert sums[1] == sums[2] == sums[3], "checksums differ between nodes"
        expected = initial + writer.acked
        assert sums[1]["t"][0] == expected, f"row count {sums[1]['t'][0]} != expected {expected}"
        t = phase("verify IST + checksums", t)
        ok = True
    finally:
        if writer is not None:
            writer.stop_evt.set()
        t = time.monotonic()
        c.stop_all()
        left = [i for i in (1, 2, 3) if c.alive(i)]
        if not ok:  # the dir is removed below: print what explains most failures
            for i in (1, 2, 3):
                if os.path.exists(c.error_log(i)):
                    lines = open(c.error_log(i), errors="replace").readlines()
                    keep = [x for x in lines if re.search(
                        r"suspect|non-Primary|Shifting|status change|\[ERROR\]|"
                        r"state transfer|IST|SST", x)]
                    print(f"--- n{i}/error.log, WSREP state lines (last 40) ---\n"
                          + "".join(keep[-40:]), file=sys.stderr)
        if ok or not os.environ.get("GALERA_SMOKE_KEEP"):
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"kept {base} (GALERA_SMOKE_KEEP)", file=sys.stderr)
        phase("stop all + remove dir", t)
        if left:
            print(f"nodes still alive: {left}", file=sys.stderr)
            ok = False
    print(f"total {time.monotonic() - T0:.1f}s: " + ("OK" if ok else "FAILED"), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
