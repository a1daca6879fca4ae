#!/bin/sh
# run.sh: `make bench`: the speed targets of the pages people wait on, on a throwaway stack
# with a large tenant. Prints each page's latency percentiles; exits 1 when a target is missed.
set -e
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 tests/bench/bench_pages.py "$@"
