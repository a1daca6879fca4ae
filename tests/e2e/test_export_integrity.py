"""Exports never lie, and statements are bounded (issue 15, items 3 and 4): a CSV export holds
exactly the rows the database has for its filter; an export whose statement fails after its
first bytes reaches the client as a broken transfer (the connection closes without HTTP/1.1's
terminating chunk), never as a complete file; a report statement that passes
web.statement_ms answers a 413 page saying to narrow the filter, not a 503; a client that
leaves mid-export stops the web child and its statement. One tenant holds enough adjustment
rows (seeded by SQL) that an export outgrows every socket buffer between MariaDB and the
client, so a client that stops reading holds the statement in flight."""
import csv
import io
import re
import socket
import subprocess
import time
from datetime import timedelta

import pytest
import requests
from requests.adapters import HTTPAdapter

from billsync_test import log_lines, log_size, signed_in, sql, wait_for
import testclock

ROWS = 100_000                 # about 9 MB of CSV over 20 days
DAYS = 20
EXPORT = "/reports/adjustments?format=csv"
NARROW = "narrow the filter"


@pytest.fixture(scope="module")
def big(stack):
    c = signed_in(stack, "billing")
    t = c.tenant
    for kind, system in (("source", "csv"), ("psa", "autotask")):
        sql(stack, f"INSERT INTO connections (tenant_id, kind, system, name, settings) VALUES "
                   f"({t}, '{kind}', '{system}', 'Export {kind}', '{{}}')")
    src, psa = (int(x) for x in sql(stack, f"SELECT id FROM connections WHERE tenant_id = {t} "
                                           f"ORDER BY kind = 'psa', id").split())
    now = testclock.utcnow().replace(tzinfo=None, microsecond=0)
    base = now - timedelta(minutes=5)
    # row n: created n * (DAYS days / ROWS) before base, so each day holds ROWS / DAYS rows
    step = DAYS * 86400 / ROWS
    sql(stack, f"""INSERT INTO adjustments (tenant_id, resource_link_id, origin, src_connection_id,
        src_resource_id, psa_connection_id, psa_contract_id, psa_service_id, desired_units,
        psa_units_before, unit_change, effective_date, prorated_amount, state, attempts,
        idempotency_key, created_at)
      SELECT {t}, 1000 + seq % 97, 'sync', {src}, CONCAT('RES-', seq % 997), {psa},
        CONCAT('K', seq % 31), CONCAT('V', seq % 13), 10000, 9000, (seq % 7 + 1) * 1000,
        DATE(TIMESTAMP '{base}' - INTERVAL FLOOR(seq * {step}) SECOND), seq * 10, 'verified', 1,
        CONCAT('export-test:', seq), TIMESTAMP '{base}' - INTERVAL FLOOR(seq * {step}) SECOND
      FROM seq_1_to_{ROWS}""")
    return c, now


def db_count(stack, tenant, frm, to):
    out = sql(stack, f"SELECT COUNT(*), COALESCE(SUM(unit_change), 0) FROM adjustments WHERE tenant_id = {tenant}"
                     f" AND state IN ('verified', 'failed') AND created_at >= '{frm}'"
                     f" AND created_at < '{to}' + INTERVAL 1 DAY").split()
    return int(out[0]), int(out[1])


def running_export(stack, tenant):
    """MariaDB thread ids of statements reading this tenant's adjustments for the web."""
    out = sql(stack, "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'billsync'"
                     " AND COMMAND IN ('Query', 'Execute') AND INFO LIKE '%FROM adjustments%LIMIT ? OFFSET ?'"
                     " AND INFO NOT LIKE '%PROCESSLIST%'")
    return [int(x) for x in out.split()]


def connection_ids(stack):
    return {int(x) for x in sql(stack, "SELECT ID FROM information_schema.PROCESSLIST").split()}


def slow_socket(stack, client, target):
    """A raw HTTP/1.1 GET from a client that reads little: a 4 KB receive buffer, so nginx,
    which streams exports unbuffered, soon has nowhere to put more and the web child, then
    MariaDB, wait for it. Returns the socket and the bytes read so far (the head)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind((client.ip, 0))
    s.settimeout(30)
    s.connect(("127.0.0.1", stack.port))
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
              f"Connection: close\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        got = s.recv(1024)
        assert got, data
        data += got
    return s, data


def dechunk(raw):
    """HTTP/1.1 chunked body -> (body, complete): complete only with the final 0-size chunk."""
    body, i = b"", 0
    while True:
        j = raw.find(b"\r\n", i)
        if j < 0:
            return body, False
        size = int(raw[i:j].split(b";")[0], 16)
        if size == 0:
            return body, raw[j + 2:j + 4] == b"\r\n"
        if len(raw) < j + 2 + size + 2:
            return body + raw[j + 2:j + 2 + size], False
        body += raw[j + 2:j + 2 + size]
        i = j + 2 + size + 2


def stalled_export(stack, client, target=EXPORT):
    s, head = slow_socket(stack, client, target)
    status = head.split(b"\r\n", 1)[0]
    assert b" 200 " in status, head
    assert re.search(rb"(?i)\r\ntransfer-encoding: chunked\r\n", head), head
    # the client reads nothing more: the statement stays in flight, held by the full buffers
    # one export statement in flight (waited for, not slept: a busy machine is slower)
    ids = wait_for(lambda: running_export(stack, client.tenant), 20, "the export's statement")
    assert len(ids) == 1, ids
    return s, head, ids[0]


def read_all(s):
    data = b""
    while True:
        try:
            got = s.recv(65536)
        except ConnectionResetError:
            break
        if not got:
            break
        data += got
    s.close()
    return data


# --- tests ----------------------------------------------------------------------------------
def test_export_row_count_equals_the_databases(big, stack):
    c, now = big
    day = (now - timedelta(days=3)).date()
    frm, to = day - timedelta(days=1), day       # two days: about 10,000 rows
    r = c.get(f"/reports/adjustments?format=csv&from={frm}&to={to}")
    assert r.status_code == 200, r.text[:500]
    assert r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header, rows = rows[0], rows[1:]
    n, units = db_count(stack, c.tenant, frm, to)
    assert 5000 < n < 15000, n
    assert len(rows) == n
    change = header.index("Unit change")
    assert sum(int(x[change]) for x in rows) * 1000 == units
    # and the whole 20 days, streamed in many chunks
    r = c.get(EXPORT)
    assert r.status_code == 200
    lines = r.content.decode("utf-8-sig").splitlines()
    assert len(lines) - 1 == ROWS


@pytest.mark.parametrize("client_kind", ["raw", "requests"])
def test_export_failing_mid_stream_is_a_broken_transfer(big, stack, client_kind):
    c, _ = big
    since = log_size(stack, "web")
    if client_kind == "raw":
        s, head, thread = stalled_export(stack, c)
        sql(stack, f"KILL QUERY {thread}")
        raw = head.split(b"\r\n\r\n", 1)[1] + read_all(s)
        body, complete = dechunk(raw)
        assert not complete, ("the stream ended with its terminating chunk", raw[-300:])
        assert not raw.endswith(b"0\r\n\r\n")
        assert 0 < body.count(b"\n") < ROWS
    else:
        session = requests.Session()
        session.cookies.update(c.cookies)
        adapter = HTTPAdapter()
        adapter.init_poolmanager(1, 1, socket_options=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)],
                                 source_address=(c.ip, 0))
        session.mount("http://", adapter)
        r = session.get(stack.url + EXPORT, stream=True, timeout=30)
        assert r.status_code == 200
        chunks = r.iter_content(1024)
        assert next(chunks)
        running = wait_for(lambda: running_export(stack, c.tenant), 20, "the export's statement")
        for thread in running:
            sql(stack, f"KILL QUERY {thread}")
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            for _ in chunks:
                pass
    wait_for(lambda: any("report export /reports/adjustments: aborted after" in line
                         and "interrupted" in line for line in log_lines(stack, "web", since)),
             10, "the web log's line naming the cause")
    # the child recovers: the next export is whole
    r = c.get(EXPORT)
    assert r.status_code == 200 and r.content.count(b"\n") == ROWS + 1


class TableLock:
    """LOCK TABLES ... WRITE held by a mariadb client: every reader of the table waits."""

    def __init__(self, stack, table):
        self.p = subprocess.Popen(["mariadb", "--no-defaults", "-S", stack.db_socket, "-uroot", "-N", "-B",
                                   "--unbuffered", "billsync"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.p.stdin.write(f"LOCK TABLES {table} WRITE; SELECT 'locked';\n")
        self.p.stdin.flush()
        assert self.p.stdout.readline().strip() == "locked"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.p.stdin.write("UNLOCK TABLES;\n")
        self.p.stdin.close()
        self.p.wait(10)


def test_report_over_the_statement_limit_says_narrow_the_filter(big, stack):
    """The report's statements wait on a table lock: web.statement_ms (4 s) stops them
    before db.timeout (5 s) would, and the page says what to do instead of 'try later'."""
    c, _ = big
    since = log_size(stack, "web")
    with TableLock(stack, "adjustments"):
        t0 = time.monotonic()
        r = c.get("/reports/adjustments")
        took = time.monotonic() - t0
    assert r.status_code == 413, (r.status_code, r.text[:300])
    assert r.headers["Content-Type"].startswith("text/html")
    assert NARROW in r.text
    # it waited out the limit; what stopped it is the statement limit (413 and the log line), not
    # db.timeout (a 503): no upper bound on the wall time, which a busy machine stretches
    assert took > 3.5
    assert any("max_statement_time" in line for line in log_lines(stack, "web", since)), \
        log_lines(stack, "web", since)
    assert c.get("/reports/adjustments").status_code == 200


def test_export_failing_before_its_first_byte_is_an_error_page(big, stack):
    """An export's statement may stream for minutes (web.export_statement_ms), so waiting
    on the lock it fails with the read timeout instead: before any byte went out, so the
    answer is an error page with its status, never a 200 with a header row."""
    c, _ = big
    since = log_size(stack, "web")
    with TableLock(stack, "adjustments"):
        r = c.get(EXPORT)
    assert r.status_code == 503, (r.status_code, r.text[:300])
    assert r.headers["Content-Type"].startswith("text/html")
    assert "Nothing was downloaded" in r.text
    assert any("failed before its first byte" in line for line in log_lines(stack, "web", since))
    r = c.get(EXPORT)
    assert r.status_code == 200 and r.content.count(b"\n") == ROWS + 1


def test_client_leaving_mid_export_stops_the_statement(big, stack):
    c, _ = big
    since = log_size(stack, "web")
    s, _, thread = stalled_export(stack, c)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()                          # unread data: the kernel resets the connection
    wait_for(lambda: not running_export(stack, c.tenant), 5, "the export's statement to stop")
    # stopped, not finished: the web child closed the connection that ran it
    assert thread not in connection_ids(stack)
    wait_for(lambda: any("went away" in line for line in log_lines(stack, "web", since)), 5,
             "the web log's line")
    assert c.get("/reports/adjustments").status_code == 200
