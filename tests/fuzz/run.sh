#!/usr/bin/env bash
# run.sh SECONDS: runs every libFuzzer harness in build/fuzz/ for SECONDS each, starting from
# its seed corpus (tests/fuzz/corpus/NAME) plus what earlier runs found (build/fuzz/work/NAME).
# Prints one line per harness (executions, corpus size) and the plain summary line; exits
# non-zero when a harness crashed (its input is kept in build/fuzz/crashes/NAME/).
set -u
cd "$(dirname "$0")/../.."
secs=${1:-60}
pass=0 fail=0
for bin in build/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  seeds=tests/fuzz/corpus/$name work=build/fuzz/work/$name crashes=build/fuzz/crashes/$name/
  mkdir -p "$seeds" "$work" "$crashes"
  log=build/fuzz/$name.log
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=1024 \
    -artifact_prefix="$crashes" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  corpus=$(ls "$work" | wc -l)
  if [ $rc -eq 0 ]; then
    printf '%-24s %12s executions in %ss, corpus %s, 0 crashes\n' "$name" "${execs:-?}" "$secs" "$corpus"
    pass=$((pass + 1))
  else
    printf '%-24s CRASHED (exit %s): see %s and %s\n' "$name" "$rc" "$log" "$crashes"
    grep -m5 -E 'ERROR|SUMMARY|runtime error' "$log" | sed 's/^/    /'
    fail=$((fail + 1))
  fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
