"""conftest.py: fixtures for tests/e2e and tests/browser (one stack per test session)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
import billsync_test  # noqa: E402


@pytest.fixture(scope="session")
def stack():
    yield from billsync_test.stack_session()
