"""conftest.py: fixtures for tests/e2e and tests/browser (one stack per test session)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
import billsync_test  # noqa: E402


@pytest.fixture(scope="session")
def stack():
    yield from billsync_test.stack_session()


@pytest.fixture(params=("autotask", "connectwise"))
def psa(request):
    """The PSA an e2e test runs against (tests/support/psa_e2e.py): each such test runs twice."""
    import psa_e2e
    return psa_e2e.PSA.of(request.param)
