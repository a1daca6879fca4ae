"""testclock.py: the one clock of the tests.

`tests/run-dates.sh` sets BILLSYNC_CLOCK_OFFSET (seconds) to run the suites on another day.
Native programs (billsync's, MariaDB, the test probes) then run under libfaketime with that
offset (`native_env`); Python code, which libfaketime cannot serve, adds it itself: the
sandbox through simcore's clock, the tests through `today()` and `utcnow()` here. Without
the variable all of them read the real clock. A test never calls date.today() or
datetime.now() directly: it asks this module, so it sees the day the code under test sees.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for _p in (os.path.join(ROOT, "conf"), os.path.join(ROOT, "tests", "sandbox")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from simcore import today, unix_now, utcnow  # noqa: E402,F401
from stack import fake_clock_env  # noqa: E402


def native_env(env=None):
    """The environment for a native program started by a test (on the shared clock)."""
    return fake_clock_env(dict(os.environ) if env is None else env)
