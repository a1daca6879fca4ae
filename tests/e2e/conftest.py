"""conftest.py: one throwaway billsync stack (MariaDB, sandboxes, SMTP sink, web pool, worker,
nginx) per test session, in a temporary directory on free loopback ports, stopped by PID
even when tests fail."""
import os
import re
import shutil
import sys
import tempfile
import time

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "conf"))
import stack as stackmod  # noqa: E402


@pytest.fixture(scope="session")
def stack():
    base = tempfile.mkdtemp(prefix="billsync-e2e-")
    st = stackmod.Stack(base, detach=False, settings={"log.level": "info"})
    try:
        st.start(with_sandbox=not os.environ.get("BILLSYNC_TEST_NO_SANDBOX"))
        yield st
    finally:
        st.stop()
        if os.environ.get("KEEP_STACK"):
            print(f"\nstack kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def http(stack):
    s = requests.Session()
    s.base = stack.url
    return s


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


def csrf_from(html):
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token in the form"
    return m.group(1)
