"""psa_sandbox.py: what the PSA connector contract tests share: a dedicated API sandbox
process (started with tests/sandbox's own helpers, stopped by PID) and build/tools/psa_probe
runs against it, each returning the probe's parsed JSON line."""
import importlib.util
import json
import os
import subprocess
from testclock import native_env

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROBE = os.path.join(ROOT, "build", "tools", "psa_probe")


def _sandbox_helpers():
    """tests/sandbox/conftest.py under its own module name (it is not our conftest)."""
    path = os.path.join(ROOT, "tests", "sandbox", "conftest.py")
    spec = importlib.util.spec_from_file_location("sandbox_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_helpers = _sandbox_helpers()
start_sandbox = _helpers.start_sandbox
stop_sandbox = _helpers.stop_sandbox
AT_CODE = "BILLSYNCDEMO"


def autotask_settings(sandbox, **over):
    s = {"username": "api@demo-msp.example", "secret": "demo-secret",
         "integration_code": AT_CODE,
         "url": "http://127.0.0.1:%d/ATServicesRest/" % sandbox.ready["autotask"]}
    s.update(over)
    return s


def connectwise_settings(sandbox, **over):
    s = {"site": "http://127.0.0.1:%d" % sandbox.ready["connectwise"], "company_id": "demomsp",
         "public_key": "demopub", "private_key": "demopriv", "client_id": "billsync-demo-client"}
    s.update(over)
    return s


class Probe:
    """Runs psa_probe for one system with a slot directory of its own."""

    def __init__(self, system, settings, slot_dir):
        self.system = system
        self.settings = settings
        self.slot_dir = str(slot_dir)
        self.last_stderr = ""

    def raw(self, *args, settings=None, timeout=60):
        cmd = [PROBE, "--system", self.system, "--settings",
               json.dumps(self.settings if settings is None else settings),
               "--slot-dir", self.slot_dir] + [str(a) for a in args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=native_env())
        assert proc.returncode in (0, 1), "probe crashed (%d): %s" % (proc.returncode, proc.stderr)
        self.last_stderr = proc.stderr
        lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        return proc.returncode, lines

    def __call__(self, *args, **kw):
        """One operation that must succeed: its JSON result."""
        rc, lines = self.raw(*args, **kw)
        assert rc == 0 and len(lines) == 1 and "error" not in lines[0], (lines, self.last_stderr)
        return lines[0]

    def error(self, *args, **kw):
        """One operation that must fail: its error object."""
        rc, lines = self.raw(*args, **kw)
        assert rc == 1 and len(lines) == 1 and "error" in lines[0], (lines, self.last_stderr)
        return lines[0]["error"]
