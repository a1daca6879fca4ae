"""Foundation, processes: the web pool's supervision, the job queue's exactly-once leasing,
migrations, configuration errors, and /healthz across a database restart."""
import os
import re
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from billsync_test import ROOT, children_of, get, log_lines, log_size, wait_for
from testclock import native_env


def test_killed_web_child_is_respawned(stack):
    master = stack.pid("web")
    kids = wait_for(lambda: len(children_of(master)) == 3 and children_of(master), what="3 children")
    victim = kids[0]
    os.kill(victim, signal.SIGKILL)
    new = wait_for(lambda: (lambda k: len(k) == 3 and victim not in k and k)(children_of(master)),
                   what="a replacement child")
    assert victim not in new
    for _ in range(20):
        assert get(stack, "/healthz").status_code == 200


def test_500_requests_across_sighup_all_succeed(stack):
    master = stack.pid("web")
    before = set(children_of(master))
    statuses = []
    lock = threading.Lock()

    def one(_):
        with requests.Session() as s:
            r = s.get(stack.url + "/healthz", timeout=30)
            with lock:
                statuses.append(r.status_code)

    def hup_twice():
        time.sleep(0.2)
        os.kill(master, signal.SIGHUP)
        time.sleep(0.4)
        os.kill(master, signal.SIGHUP)

    t = threading.Thread(target=hup_twice)
    t.start()
    with ThreadPoolExecutor(max_workers=6) as ex:
        list(ex.map(one, range(500)))
    t.join()
    assert len(statuses) == 500
    assert statuses.count(200) == 500, {s: statuses.count(s) for s in set(statuses)}
    after = wait_for(lambda: (lambda k: len(k) == 3 and k)(children_of(master)), what="3 children")
    assert not before & set(after), "SIGHUP must replace every child"


def mysql(stack, sql):
    return stack._mysql(sql, "billsync")


def enqueue_selftests(stack, n, payload):
    # The scheduler inserts its own jobs meanwhile: pick ours out by kind and payload.
    before = int(mysql(stack, "SELECT COALESCE(MAX(id), 0) FROM jobs"))
    rows = ",".join(f"('selftest', '{payload}')" for _ in range(n))
    mysql(stack, f"INSERT INTO jobs (kind, payload) VALUES {rows}")
    return [int(x) for x in mysql(stack, f"SELECT id FROM jobs WHERE id > {before} AND kind = 'selftest' AND "
                                         f"payload = '{payload}' ORDER BY id").split()]


def start_test_worker(stack, lease):
    """A second billsync-worker with 2 processes and a short lease, the stack's own worker
    stopped so only these two claim jobs."""
    stack.stop_one("worker")
    env = stack.env()
    env.update(BILLSYNC_WORKER_CHILDREN="2", BILLSYNC_WORKER_LEASE_SECONDS=str(lease),
               BILLSYNC_WORKER_POLL_MS="50")
    log = open(stack.path("log", "worker-test.log"), "ab")
    p = subprocess.Popen([os.path.join(ROOT, "bin", "billsync-worker")], cwd=ROOT, env=native_env(env),
                         stdout=log, stderr=log)
    log.close()
    return p


def stop_test_worker(stack, p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=40)
    stack.start_worker()


def test_two_workers_run_200_jobs_exactly_once(stack):
    mark = log_size(stack, "worker") if os.path.exists(stack.path("log", "worker-test.log")) else 0
    p = start_test_worker(stack, lease=30)
    try:
        ids = enqueue_selftests(stack, 200, '{"sleep_ms":5}')
        assert len(ids) == 200
        lo, hi = ids[0], ids[-1]
        wait_for(lambda: mysql(stack, f"SELECT COUNT(*) FROM jobs WHERE id BETWEEN {lo} AND {hi}"
                                      " AND state='done'").strip() == "200", 60, "200 jobs done")
        rows = mysql(stack, f"SELECT attempts, done_by FROM jobs WHERE id BETWEEN {lo} AND {hi}")
        attempts = [int(l.split("\t")[0]) for l in rows.splitlines()]
        assert attempts == [1] * 200
        lines = open(stack.path("log", "worker-test.log"), errors="replace").read().splitlines()
        started = [int(m.group(1)) for l in lines for m in [re.search(r"job start id=(\d+)", l)]
                   if m and lo <= int(m.group(1)) <= hi]
        assert sorted(started) == ids, "every job started exactly once"
        pids = {re.search(r"\[(\d+)\]", l).group(1) for l in lines
                if re.search(r"job done id=(\d+)", l)}
        assert len(pids) == 2, "both worker processes took jobs"
    finally:
        stop_test_worker(stack, p)
    del mark


def test_killed_worker_job_runs_again_after_lease_and_completes_once(stack):
    p = start_test_worker(stack, lease=3)
    try:
        logf = stack.path("log", "worker-test.log")
        mark = os.path.getsize(logf)
        [jid] = enqueue_selftests(stack, 1, '{"sleep_ms":1500}')

        def started_by():
            text = open(logf, errors="replace").read()[mark:]
            m = re.search(r"\[(\d+)\] info job start id=%d " % jid, text)
            return m and int(m.group(1))
        victim = wait_for(started_by, 20, "the job to start")
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: mysql(stack, f"SELECT state FROM jobs WHERE id={jid}").strip() == "done",
                 30, "the job to be taken over and completed")
        attempts, done_by = mysql(stack, f"SELECT attempts, done_by FROM jobs WHERE id={jid}").split("\t")
        assert int(attempts) == 2
        text = open(logf, errors="replace").read()[mark:]
        assert len(re.findall(r"job start id=%d " % jid, text)) == 2
        assert len(re.findall(r"job done id=%d\b" % jid, text)) == 1
        assert str(victim) not in done_by.split(":")[1]
    finally:
        stop_test_worker(stack, p)


def test_failed_job_is_retried_later_with_the_error_kept(stack):
    [jid] = enqueue_selftests(stack, 1, '{"fail":true}')
    wait_for(lambda: mysql(stack, f"SELECT attempts FROM jobs WHERE id={jid}").strip() == "1", 20,
             "one attempt")
    state, err, delay = mysql(stack, "SELECT state, last_error, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), due_at)"
                                     f" FROM jobs WHERE id={jid}").strip().split("\t")
    assert state == "pending" and err == "selftest asked to fail"
    assert 20 <= int(delay) <= 30


def billsync(stack, *args, env=None, input=None):
    e = stack.env()
    e.update(env or {})
    return subprocess.run([os.path.join(ROOT, "bin", "billsync"), *args], cwd=ROOT, env=e,
                          capture_output=True, text=True, input=input)


def test_job_add_names_its_tenant_and_refuses_jobs_that_could_never_run(stack):
    r = billsync(stack, "job", "add", "sync")
    assert r.returncode == 2 and "runs for one tenant: name it with --tenant" in r.stderr
    r = billsync(stack, "job", "add", "synk", "--tenant", "1")
    assert r.returncode == 2 and "no job kind 'synk'" in r.stderr and " sync " in r.stderr
    r = billsync(stack, "job", "add", "sync", "--tenant", "No Such MSP Anywhere")
    assert r.returncode == 1 and "no tenant" in r.stderr
    name = "Job MSP " + str(os.getpid())
    stack.billsync("tenant", "add", name)
    r = billsync(stack, "job", "add", "post", "--tenant", name)
    assert r.returncode == 0, r.stderr
    jid = int(r.stdout.split()[1])
    got = stack._mysql(f"SELECT t.name, j.kind FROM jobs j JOIN tenants t ON t.id = j.tenant_id WHERE j.id = {jid}",
                       "billsync").strip().split("\t")
    assert got == [name, "post"]
    r = billsync(stack, "job", "add", "selftest", '{"sleep_ms":1}')
    assert r.returncode == 0 and r.stdout.startswith("job ")


def test_second_migrate_is_a_no_op(stack):
    r = billsync(stack, "migrate")
    assert r.returncode == 0 and r.stdout.strip() == "database is up to date"


def test_broken_migration_stops_with_file_and_server_error(stack, tmp_path):
    stack._mysql("CREATE DATABASE billsync_migtest")
    try:
        for name in sorted(os.listdir(os.path.join(ROOT, "sql"))):
            (tmp_path / name).write_text(open(os.path.join(ROOT, "sql", name)).read())
        (tmp_path / "900_good.sql").write_text("CREATE TABLE good_one (id INT PRIMARY KEY);")
        (tmp_path / "901_broken.sql").write_text("CREATE TABLEX nope (id INT);")
        (tmp_path / "902_later.sql").write_text("CREATE TABLE later_one (id INT);")
        env = {"BILLSYNC_DB_NAME": "billsync_migtest"}
        r = billsync(stack, "migrate", "--dir", str(tmp_path), env=env)
        assert r.returncode == 1
        errors = [l for l in r.stderr.splitlines() if l.startswith("billsync: migrate:")]
        assert len(errors) == 1
        assert "901_broken.sql failed:" in errors[0] and "SQL syntax" in errors[0]
        # the failed one leaves no claim (schema_migrations.done = 0) behind: the next migrate
        # runs it again
        rows = [r.split("\t") for r in stack._mysql("SELECT version, done FROM schema_migrations ORDER BY version",
                                                    "billsync_migtest").splitlines() if r]
        applied = [v for v, _ in rows]
        assert all(done == "1" for _, done in rows), rows
        assert "900" in applied and "901" not in applied and "902" not in applied
        tables = stack._mysql("SHOW TABLES", "billsync_migtest").split()
        assert "good_one" in tables and "later_one" not in tables
        # fixed, it continues from where it stopped
        (tmp_path / "901_broken.sql").write_text("CREATE TABLE fixed_one (id INT);")
        r = billsync(stack, "migrate", "--dir", str(tmp_path), env=env)
        assert r.returncode == 0 and "applied 2 migration(s)" in r.stdout
    finally:
        stack._mysql("DROP DATABASE billsync_migtest")


def test_config_errors_print_one_clear_line(stack, tmp_path):
    for prog in ("billsync-web", "billsync-worker", "billsync"):
        exe = os.path.join(ROOT, "bin", prog)
        e = stack.env()
        e["BILLSYNC_WEB_CHILDREN"] = "lots"
        r = subprocess.run([exe, "--help"] if prog == "x" else [exe] + (["migrate"] if prog == "billsync" else []),
                           env=e, capture_output=True, text=True, timeout=10)
        assert r.returncode == 2
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1, r.stderr
        assert "web.children must be a whole number from 1 to 256 (got 'lots')" in lines[0]
    bad = tmp_path / "bad.conf"
    bad.write_text("[db]\nsokcet = /tmp/x\n")
    r = subprocess.run([os.path.join(ROOT, "bin", "billsync-web"), "--config", str(bad)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "unknown setting db.sokcet" in r.stderr
    r = subprocess.run([os.path.join(ROOT, "bin", "billsync-worker"), "--config",
                        str(tmp_path / "missing.conf")], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "cannot be read" in r.stderr
    e = stack.env()
    e["BILLSYNC_WEB_BASE_URL"] = "ftp://x"
    r = subprocess.run([os.path.join(ROOT, "bin", "billsync-web")], env=e, capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 2 and "web.base_url must start with http:// or https://" in r.stderr


def test_every_command_has_help(stack):
    for args in (["--help"], ["migrate", "--help"], ["tenant", "--help"], ["user", "--help"],
                 ["seed-demo", "--help"], ["keygen", "--help"], ["job", "--help"]):
        r = billsync(stack, *args)
        assert r.returncode == 0 and r.stdout.startswith("usage: billsync"), args
    for prog in ("billsync-web", "billsync-worker"):
        r = subprocess.run([os.path.join(ROOT, "bin", prog), "--help"], capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout.startswith("usage: " + prog)


def test_zz_healthz_503_while_db_down_and_recovers_without_restart(stack):
    web_master = stack.pid("web")
    kids = set(children_of(web_master))
    mark = log_size(stack, "web")
    stack.stop_one("mariadb")
    try:
        for _ in range(6):                     # every child, whichever answers
            r = get(stack, "/healthz")
            assert r.status_code == 503
            # anonymous callers get status words only: no error text, no socket path
            assert r.json() == {"status": "error", "db": "down"}
            assert "sock" not in r.text and "mariadb" not in r.text.lower()
        # the detail is in the web log, for the operator
        assert any("healthz: the database is down" in line for line in log_lines(stack, "web", mark))
        r = get(stack, "/")
        assert r.status_code in (303, 503)
    finally:
        stack.start_mariadb()
    wait_for(lambda: all(get(stack, "/healthz").status_code == 200 for _ in range(6)), 30,
             "healthz to recover")
    assert stack.pid("web") == web_master and set(children_of(web_master)) == kids


def test_shipped_config_example_is_valid(stack):
    r = subprocess.run([os.path.join(ROOT, "bin", "billsync"), "--config",
                        os.path.join(ROOT, "conf", "billsync.conf.example"), "keygen", "--help"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
