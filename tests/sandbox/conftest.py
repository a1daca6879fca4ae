"""pytest fixtures for the sandbox's own tests.

``sandbox_process`` starts ``sandbox.py`` once per session on free loopback
ports (temporary --ready-file, bounded wait) and stops it by PID at the end,
even when tests fail.  ``sb`` resets it to the empty seed before each test.
``start_sandbox``/``stop_sandbox`` are also used directly by tests that need
their own process (state file, CLI contract).
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

PYTHON = "/usr/bin/python3"
SANDBOX = Path(__file__).with_name("sandbox.py")
READY_TIMEOUT_S = 10.0
AT_HEADERS = {"ApiIntegrationcode": "BILLSYNCDEMO", "Username": "api@demo-msp.example",
              "Secret": "demo-secret"}
CW_HEADERS = {"clientId": "billsync-demo-client"}
CW_AUTH = ("demomsp+demopub", "demopriv")
HTTP_TIMEOUT_S = 10


class Sandbox:
    """A running sandbox process plus small helpers for its HTTP APIs."""

    def __init__(self, proc, ready):
        self.proc = proc
        self.ready = ready
        self.pid = ready["pid"]
        self.control_url = "http://127.0.0.1:%d" % ready["control"]
        self.at_root = "http://127.0.0.1:%d/ATServicesRest/V1.0/" % ready["autotask"]
        self.cw_root = "http://127.0.0.1:%d/v4_6_release/apis/3.0/" % ready["connectwise"]
        self.cw_site = "http://127.0.0.1:%d/" % ready["connectwise"]

    # -- control port ------------------------------------------------------
    def control(self, method, path, body=None):
        resp = requests.request(method, self.control_url + path, json=body,
                                timeout=HTTP_TIMEOUT_S)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def reset(self, seed="empty"):
        return self.control("POST", "/reset", {"seed": seed})

    def fault(self, **rule):
        return self.control("POST", "/faults", rule)

    def configure(self, system, **knobs):
        return self.control("POST", "/config/" + system, knobs)

    def merge(self, system, data):
        return self.control("POST", "/state/" + system, {"mode": "merge", "data": data})

    def state(self, system):
        return self.control("GET", "/state/" + system)

    def stats(self):
        return self.control("GET", "/stats")

    def requests(self, system):
        return self.control("GET", "/requests?system=" + system)["requests"]

    # -- simulated APIs ----------------------------------------------------
    def url(self, system, path=""):
        """``http://127.0.0.1:<port of system><path>``."""
        return "http://127.0.0.1:%d%s" % (self.ready[system], path)

    def call(self, system, method, path, **kw):
        """A plain request to one simulated system (no credentials added)."""
        kw.setdefault("timeout", HTTP_TIMEOUT_S)
        return requests.request(method, self.url(system, path), **kw)

    def at(self, method, path, headers=AT_HEADERS, **kw):
        kw.setdefault("timeout", HTTP_TIMEOUT_S)
        return requests.request(method, self.at_root + path, headers=headers, **kw)

    def cw(self, method, path, headers=None, auth=CW_AUTH, **kw):
        kw.setdefault("timeout", HTTP_TIMEOUT_S)
        return requests.request(method, self.cw_root + path,
                                headers=CW_HEADERS if headers is None else headers,
                                auth=auth, **kw)


def start_sandbox(workdir, *args):
    """Start sandbox.py with a ready file in ``workdir``; wait until it listens."""
    stamp = time.monotonic_ns()
    ready_file = Path(workdir) / ("ready-%d.json" % stamp)
    log_file = Path(workdir) / ("stderr-%d.log" % stamp)
    with open(log_file, "wb") as log:
        proc = subprocess.Popen([PYTHON, str(SANDBOX), "--ready-file", str(ready_file), *args],
                                stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not ready_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            _kill(proc)
            raise RuntimeError("sandbox did not start: %s" % log_file.read_text())
        time.sleep(0.02)
    return Sandbox(proc, json.loads(ready_file.read_text()))


def stop_sandbox(sandbox):
    """SIGTERM by PID, then SIGKILL if it has not exited within 5 s."""
    _kill(sandbox.proc)


def _kill(proc):
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory):
    sandbox = start_sandbox(tmp_path_factory.mktemp("sandbox"), "--seed", "empty")
    try:
        yield sandbox
    finally:
        stop_sandbox(sandbox)


@pytest.fixture
def sb(sandbox_process):
    """The session sandbox, reset to the empty seed with default knobs."""
    sandbox_process.reset("empty")
    return sandbox_process
