"""contract.py: the harness every connector contract test shares (tests/contract): a dedicated
API sandbox per test module, reset before each test, and a probe (build/tools/psa_probe or
src_probe) with a slot directory of its own, run against it.

A test module names its system and its settings, and takes the three fixtures:

    sandbox, sb, probe = contract_fixtures("src", SYSTEM, settings)

`settings(sb, **over)` gives the connection's settings with some replaced; `probe(...)` runs
one operation that must succeed, `probe.error(...)` one that must fail, `probe.raw(...)` one
either way; `settings=` replaces the whole settings object, other keywords replace settings."""
import json
import os
import subprocess
import sys

import pytest

from psa_sandbox import ROOT, start_sandbox, stop_sandbox
from testclock import native_env

sys.path.insert(0, os.path.join(ROOT, "tests", "sandbox"))
import canonical_fixtures as cf  # noqa: E402

MONEY = ("unit_cost", "unit_price", "extended_cost", "extended_price")


class Probe:
    """build/tools/<tool> for one system, with a slot directory of its own. kind "src": an
    operation prints one JSON line (records under "records"); "psa": the lines as printed."""

    def __init__(self, kind, system, settings, sb, slot_dir):
        self.kind, self.system, self.settings, self.sb = kind, system, settings, sb
        self.tool = os.path.join(ROOT, "build", "tools", kind + "_probe")
        self.slot_dir = str(slot_dir)
        self.last_stdout = self.last_stderr = ""

    @property
    def stderr(self):
        return self.last_stderr

    def start(self, *args, settings=None, **over):
        s = settings if settings is not None else self.settings(self.sb, **over)
        cmd = [self.tool, "--system", self.system, "--settings", json.dumps(s),
               "--slot-dir", self.slot_dir] + [str(a) for a in args]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=native_env())

    def finish(self, proc, timeout=60):
        """(exit code, the JSON line) for src, (exit code, the JSON lines) for psa."""
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        assert proc.returncode in (0, 1), "probe crashed (%d): %s" % (proc.returncode, err)
        self.last_stdout, self.last_stderr = out, err
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        if self.kind == "psa":
            return proc.returncode, lines
        assert len(lines) == 1, (out, err)
        return proc.returncode, lines[0]

    def raw(self, *args, timeout=60, **kw):
        return self.finish(self.start(*args, **kw), timeout)

    def _one(self, *args, **kw):
        rc, out = self.raw(*args, **kw)
        if self.kind == "psa":
            assert len(out) == 1, (out, self.last_stderr)
            out = out[0]
        return rc, out

    def __call__(self, *args, **kw):
        """One operation that must succeed: its records (src) or its JSON result (psa)."""
        rc, out = self._one(*args, **kw)
        assert rc == 0 and "error" not in out, (out, self.last_stderr[-2000:])
        return out.get("records", out) if self.kind == "src" else out

    def error(self, *args, **kw):
        """One operation that must fail: its error object."""
        rc, out = self._one(*args, **kw)
        assert rc == 1 and "error" in out, (out, self.last_stderr[-2000:])
        return out["error"]


def contract_fixtures(kind, system, settings, seed="demo"):
    """The fixtures of a contract test module: `sandbox` (one sandbox process per module,
    started with `seed`), `sb` (the sandbox reset to the demo data before each test) and
    `probe` (a Probe of `kind` "src" or "psa" for `system` with `settings`)."""

    @pytest.fixture(scope="module")
    def sandbox(tmp_path_factory):
        sb = start_sandbox(tmp_path_factory.mktemp("%s-%s" % (kind, system)), "--seed", seed)
        try:
            yield sb
        finally:
            stop_sandbox(sb)

    @pytest.fixture
    def sb(sandbox):
        sandbox.reset("demo")
        return sandbox

    @pytest.fixture
    def probe(sb, tmp_path):
        return Probe(kind, system, settings, sb, tmp_path / "slots")

    return sandbox, sb, probe


# -- what the source tests compare ----------------------------------------------------------

def as_probe_output(records):
    """A fixture list as src_probe prints it: unstated money is 0.0000, an unstated auto-renew
    false."""
    out = []
    for r in records:
        r = dict(r)
        for key in MONEY:
            if key in r and r[key] is None:
                r[key] = "0.0000"
        if "auto_renew" in r and r["auto_renew"] is None:
            r["auto_renew"] = False
        out.append(r)
    return out


def normalized(records):
    """as_probe_output, sorted by id."""
    return sorted(as_probe_output(records), key=lambda r: r["id"])


def of_company(records, cid):
    """The records of one company (the company itself by its id), sorted by id."""
    return sorted((r for r in records if r.get("company_id", r["id"]) == cid), key=lambda r: r["id"])


def month_of(system, fixture=None):
    """The canonical fixture's month, YYYY-MM."""
    return (fixture or cf.expected(system))["month"][:7]
