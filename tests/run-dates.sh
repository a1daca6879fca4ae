#!/usr/bin/env bash
# run-dates.sh: the date-sensitive suites with the clock of every process faked at each date.
#
#   tests/run-dates.sh [DATE ...]          dates as YYYY-MM-DD, or "today" for the real clock
#   tests/run-dates.sh --split DATE ...    the suites shared out over the dates (each suite at
#                                          one of them): make test's short run
#
# BILLSYNC_CLOCK_OFFSET moves every clock of the run by the same number of seconds (the clock
# keeps running from DATE 12:00 UTC): the native programs (MariaDB, the web pool, the worker,
# the CLI, the test probes) through Debian's libfaketime, the Python sandbox and the tests by
# adding it themselves. The product, the database, the sandboxes' seeds and the tests'
# expected values all agree on "today".
# Prints each run's own pytest summary; exits non-zero when any date failed.
set -u
cd "$(dirname "$0")/.."
SPLIT=0
if [ "${1:-}" = --split ]; then
  SPLIT=1
  shift
fi
DATES=("$@")
[ ${#DATES[@]} -gt 0 ] || DATES=(2027-01-01 2027-01-31 2027-02-28 2028-02-29 2027-03-31 2027-06-30 2027-12-31 today)
LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
[ -e "$LIB" ] || LIB=$(dpkg -L libfaketime 2>/dev/null | grep -m1 'libfaketimeMT.so.1$')
if [ ! -e "$LIB" ]; then
  echo "run-dates: libfaketime is not installed (make deps)" >&2
  exit 2
fi
# The suites whose results depend on the date: the sandboxes' seeds, the connectors' billing
# months, proration, the ledger's dating, the review month, charges, the dashboard, a cost change's
# day and the new-unlinked digest's day.
SUITES=(tests/sandbox tests/contract tests/e2e/test_sync.py tests/e2e/test_review.py
        tests/e2e/test_charges.py tests/e2e/test_dashboard.py tests/e2e/test_settings_timezone.py
        tests/e2e/test_ledger_sequences.py tests/e2e/test_trail.py tests/e2e/test_cost_sync.py
        tests/e2e/test_unlinked_alert.py)
JOBS=${PYTEST_JOBS:-2}
fail=0
ALL=("${SUITES[@]}")
n=0
for day in "${DATES[@]}"; do
  if [ $SPLIT = 1 ]; then
    # round robin: suite k runs at date k mod the number of dates
    SUITES=()
    for k in "${!ALL[@]}"; do
      [ $(( k % ${#DATES[@]} )) = $n ] && SUITES+=("${ALL[$k]}")
    done
    n=$(( n + 1 ))
  fi
  if [ "$day" = today ]; then
    echo "== dates: the real clock ($(date -u +%F))"
    make --no-print-directory unit || fail=1
    env -u BILLSYNC_CLOCK_OFFSET /usr/bin/python3 -m pytest -q -p no:cacheprovider -n "$JOBS" \
      --dist loadfile "${SUITES[@]}" || fail=1
  else
    if ! target=$(date -u -d "$day 12:00:00" +%s 2>/dev/null); then
      echo "run-dates: not a date: $day" >&2
      exit 2
    fi
    offset=$(( target - $(date -u +%s) ))
    echo "== dates: clock at $day 12:00 UTC (offset ${offset}s)"
    # Native programs get libfaketime with this offset, Python code adds it itself (see
    # conf/stack.py fake_clock_env and tests/support/testclock.py). The unit tests are pure
    # and take no date from the clock: they run once, with the real one.
    BILLSYNC_CLOCK_OFFSET=$offset /usr/bin/python3 -m pytest -q -p no:cacheprovider -n "$JOBS" \
      --dist loadfile "${SUITES[@]}" || fail=1
  fi
done
exit $fail
