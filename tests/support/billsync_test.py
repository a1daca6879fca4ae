"""billsync_test.py: what the integration and browser tests share: the throwaway stack
fixture's body, an HTTP client per loopback source address, mail and TOTP helpers."""
import os
import re
import shutil
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "conf"))
import stack as stackmod  # noqa: E402


def stack_session(settings=None):
    """One billsync stack (MariaDB, sandboxes, SMTP sink, web pool, worker, nginx) in a
    temporary directory on free loopback ports; stopped by PID even when tests fail.
    settings: more or other settings than the suite's (a benchmark's production-size
    buffer pool: {"mariadb.buffer_pool": None})."""
    base = tempfile.mkdtemp(prefix="billsync-e2e-")
    # A run stopped with SIGTERM (a CI time limit, `kill`) still stops its stack: nginx and
    # MariaDB would otherwise outlive it.
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Cheap argon2 parameters keep the many sign-ins of the suite fast; production uses
    # the defaults of conf/billsync.conf.example.
    st = stackmod.Stack(base, detach=False, settings={
        "log.level": "info", "security.argon2_ops": 1, "security.argon2_mem_kib": 8192,
        "worker.poll_ms": 100, "worker.schedule_seconds": 2, "worker.lease_seconds": 8,
        # several stacks at once, each with a few thousand rows
        "mariadb.buffer_pool": "128M", **(settings or {})})
    try:
        st.start(with_sandbox=not os.environ.get("BILLSYNC_TEST_NO_SANDBOX"))
        yield st
    finally:
        st.stop()
        if os.environ.get("KEEP_STACK"):
            print(f"\nstack kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


def get(stack, path, **kw):
    kw.setdefault("allow_redirects", False)
    kw.setdefault("timeout", 30)
    return requests.get(stack.url + path, **kw)


def post(stack, path, **kw):
    kw.setdefault("allow_redirects", False)
    kw.setdefault("timeout", 30)
    return requests.post(stack.url + path, **kw)


def raw_get(stack, target):
    """GET with the request target sent byte for byte (requests would re-quote it)."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
    c.putrequest("GET", target, skip_accept_encoding=True)
    c.endheaders()
    r = c.getresponse()
    body = r.read().decode("utf-8", "replace")
    c.close()
    return r.status, body


def log_lines(stack, name, since=0):
    with open(stack.path("log", f"{name}.log"), errors="replace") as f:
        f.seek(since)
        return f.read().splitlines()


def log_size(stack, name):
    return os.path.getsize(stack.path("log", f"{name}.log"))


def children_of(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def wait_for(pred, timeout=30, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def quiesce(stack, tenant=None, kinds=None, timeout=120):
    """Waits until the workers have nothing due: no job (of the tenant, of these kinds) that is
    running or due now. A test that checks that something did NOT happen waits for this
    instead of sleeping: on a busy machine a fixed sleep proves nothing."""
    where = "state = 'pending' AND (lease_owner IS NOT NULL OR due_at <= UTC_TIMESTAMP(6))"
    if tenant is not None:
        where += f" AND tenant_id = {int(tenant)}"
    if kinds:
        where += " AND kind IN (" + ",".join(sql_literal(k) for k in kinds) + ")"
    wait_for(lambda: sql(stack, f"SELECT COUNT(*) FROM jobs WHERE {where}").strip() == "0",
             timeout, "the workers to finish what is due")


class worker_on:
    """`with worker_on(stack, day):` the stack's worker runs as if it were `day` (a later civil
    date: the worker's clock alone moves, by whole days, through libfaketime), then the usual
    worker comes back. How a test sees a change that waits in the ledger for its effective
    date (a decrease dated the 1st, a second change of a day dated tomorrow) reach the PSA."""

    def __init__(self, stack, day):
        from testclock import today
        self.stack, self.days = stack, (day - today()).days
        assert self.days >= 0, "the worker only moves forward"

    def __enter__(self):
        import subprocess
        base = float(os.environ.get("BILLSYNC_CLOCK_OFFSET") or 0)
        self.stack.stop_one("worker")
        env = stackmod.fake_clock_env(self.stack.env(), offset=str(int(base) + self.days * 86400))
        env.update(BILLSYNC_WORKER_POLL_MS="50")
        log = open(self.stack.path("log", "worker-later.log"), "ab")
        self.proc = subprocess.Popen([os.path.join(ROOT, "bin", "billsync-worker")], cwd=ROOT, env=env,
                                     stdout=log, stderr=log)
        log.close()
        return self

    def post(self, tenant, timeout=60):
        """Runs the tenant's post job now (its scheduler enqueues by the database's date) and
        waits until it is done."""
        sql(self.stack, f"INSERT INTO jobs (tenant_id, kind) VALUES ({int(tenant)}, 'post')")
        quiesce(self.stack, tenant, timeout=timeout)

    def __exit__(self, *exc):
        import signal
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.stack.start_worker()
        return False


def upload_csv(client, conn, name, body, fmt="generic", wait=True):
    """Uploads a billing file through the connections page, as a person does; with wait, until
    the worker has imported it (the page answers once the file is checked and stored)."""
    tok = csrf_from(client.get("/settings/connections").text)
    r = client.post("/settings/connections/upload", data={"csrf": tok, "id": str(conn), "format": fmt},
                    files={"file": (name, body, "text/csv")})
    assert r.status_code == 303, r.text
    if wait:
        wait_import(client.stack, conn)
    return r


def wait_import(stack, conn, timeout=120):
    """(status, message) of the connection's newest file import once it has ended."""
    def ended():
        row = sql(stack, f"SELECT status, message FROM csv_imports WHERE connection_id = {int(conn)}"
                         " ORDER BY id DESC LIMIT 1").strip()
        status = row.split("\t")[0] if row else ""
        return row.split("\t", 1) if status in ("imported", "refused", "failed") else None
    return wait_for(ended, timeout, "the file import to end")


def csrf_from(html):
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token in the form"
    return m.group(1)


# --- accounts helpers --------------------------------------------------------------------
import base64  # noqa: E402
import email as emailmod  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import itertools  # noqa: E402
import struct  # noqa: E402
import uuid  # noqa: E402

from requests.adapters import HTTPAdapter  # noqa: E402

PASSWORD = "correct horse battery staple"
_ips = itertools.count(10)


class SourceIPAdapter(HTTPAdapter):
    """Sends from a chosen loopback address, so REMOTE_ADDR differs per test client and
    the per-IP sign-in throttle of one test does not touch another."""

    def __init__(self, ip, **kw):
        self.ip = ip
        super().__init__(**kw)

    def init_poolmanager(self, *a, **kw):
        kw["source_address"] = (self.ip, 0)
        return super().init_poolmanager(*a, **kw)


class Client(requests.Session):
    def __init__(self, stack, ip=None):
        super().__init__()
        self.stack = stack
        n = next(_ips)
        self.ip = ip or f"127.0.{n // 250}.{n % 250 + 2}"
        self.mount("http://", SourceIPAdapter(self.ip))

    def get(self, path, **kw):
        kw.setdefault("allow_redirects", False)
        kw.setdefault("timeout", 30)
        return super().get(self.stack.url + path, **kw)

    def post(self, path, data=None, **kw):
        kw.setdefault("allow_redirects", False)
        kw.setdefault("timeout", 30)
        return super().post(self.stack.url + path, data=data, **kw)

    def form(self, page, action, fields, csrf=True):
        """GETs page for its CSRF token, then POSTs fields to action."""
        data = dict(fields)
        if csrf:
            data["csrf"] = csrf_from(self.get(page).text)
        return self.post(action, data=data)

    def login(self, email, password=PASSWORD, next_path=None):
        fields = {"email": email, "password": password}
        if next_path:
            fields["next"] = next_path
        return self.form("/login", "/login", fields)

    def logout(self):
        return self.form("/profile", "/logout", {})


def new_tenant(stack, name=None):
    name = name or f"MSP {uuid.uuid4().hex[:8]}"
    out = stack.billsync("tenant", "add", name).stdout
    return name, int(re.search(r"tenant (\d+)", out).group(1))


def new_user(stack, tenant, role="admin", password=PASSWORD, email=None):
    email = email or f"{role}-{uuid.uuid4().hex[:10]}@example.test"
    stack.billsync("user", "add", "--tenant", str(tenant), "--email", email, "--role", role,
                   input=password + "\n")
    return email


def signed_in(stack, role="admin", tenant=None):
    """A fresh tenant (unless given) with one user of that role, signed in."""
    if tenant is None:
        _, tenant = new_tenant(stack)
    email = new_user(stack, tenant, role)
    c = Client(stack)
    r = c.login(email)
    assert r.status_code == 303, r.text
    c.email, c.tenant = email, tenant
    return c


def totp(secret, at=None, step=30, digits=6):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // step)
    h = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = h[-1] & 15
    code = (struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return str(code).zfill(digits)


def mails_to(stack, address, wait=10, count=1):
    """Messages the SMTP sink received for address (waits until count have arrived)."""
    end = time.monotonic() + wait
    while True:
        found = []
        for name in sorted(os.listdir(stack.path("mail"))):
            if name.startswith("."):
                continue
            raw = open(stack.path("mail", name), "rb").read()
            msg = emailmod.message_from_bytes(raw)
            if address in msg.get("X-Envelope-To", ""):
                found.append(msg)
        if len(found) >= count or time.monotonic() > end:
            return found
        time.sleep(0.1)


def mail_body(msg):
    return msg.get_payload(decode=True).decode("utf-8")


def sql(stack, query):
    return stack._mysql(query, "billsync")


def reset_sandbox(stack):
    """Resets the API sandboxes to the demo seed, for a test that counts what reaches them.
    The tenants of earlier tests keep their links, and their workers would sync them against
    the fresh seed and post again: they are held first (marked synced just now, their waiting
    sync and post jobs dropped, their unposted changes set aside)."""
    sql(stack, "INSERT INTO tenant_sync (tenant_id, started_at, finished_at, result) SELECT id, UTC_TIMESTAMP(6),"
               " UTC_TIMESTAMP(6), 'held by a test' FROM tenants ON DUPLICATE KEY UPDATE"
               " started_at = UTC_TIMESTAMP(6), finished_at = UTC_TIMESTAMP(6)")
    sql(stack, "DELETE FROM jobs WHERE kind IN ('sync', 'post', 'usage', 'review_charges') AND state = 'pending'"
               " AND lease_owner IS NULL")
    sql(stack, "UPDATE adjustments SET state = 'rejected', last_error = 'set aside by a test'"
               " WHERE state IN ('planned', 'queued', 'failed', 'awaiting_approval')")
    # their connections' periodic refreshes too (one queued up to a minute ahead would read the
    # fresh seed inside the test's count), and the PSA budget the old counts filled
    sql(stack, "DELETE FROM jobs WHERE kind = 'refresh' AND state = 'pending' AND lease_owner IS NULL")
    sql(stack, "UPDATE connections SET refreshed_at = UTC_TIMESTAMP(6)")
    quiesce(stack, kinds=["refresh", "sync", "post"])
    sql(stack, "DELETE FROM psa_budget")
    requests.post(f"http://127.0.0.1:{stack.sandbox['control']}/reset", json={"seed": "demo"},
                  timeout=10).raise_for_status()


def sql_literal(v):
    """A value as an SQL literal for test seeding (the tests' own data, quoted and escaped)."""
    import datetime
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, datetime.datetime):
        v = v.strftime("%Y-%m-%d %H:%M:%S")
    return "'" + str(v).replace("\\", "\\\\").replace("'", "''") + "'"


def insert_rows(stack, table, rows):
    """One multi-row INSERT of dicts that share their keys."""
    if not rows:
        return
    cols = list(rows[0].keys())
    values = ",".join("(" + ",".join(sql_literal(r[c]) for c in cols) + ")" for r in rows)
    sql(stack, f"INSERT INTO {table} ({','.join(cols)}) VALUES {values}")


def milli(d):
    """A decimal quantity in billsync's 1/1000 units."""
    from decimal import Decimal
    return int(Decimal(d) * 1000)


def ten_k(d):
    """A decimal amount in billsync's 1/10000 money units."""
    from decimal import Decimal
    return int(Decimal(d) * 10000)
