#!/usr/bin/env bash
# check-hardening.sh: the built programs carry the hardening the Makefile asks for (what
# checksec reports, read with readelf): PIE, full RELRO (GNU_RELRO + BIND_NOW), the stack
# protector and FORTIFY's checked functions. Prints one line per program and a summary.
# Arguments: the programs to check (default: the three in bin/).
set -u
cd "$(dirname "$0")/.."
pass=0 fail=0
programs=("$@")
[ ${#programs[@]} -gt 0 ] || programs=(bin/billsync-web bin/billsync-worker bin/billsync)
for exe in "${programs[@]}"; do
  problems=()
  if [ ! -x "$exe" ]; then
    problems+=("missing (make all)")
  else
    readelf -h "$exe" | grep -q 'Type:[[:space:]]*DYN' || problems+=("not PIE")
    readelf -lW "$exe" | grep -q 'GNU_RELRO' || problems+=("no RELRO")
    readelf -dW "$exe" | grep -Eq 'BIND_NOW|FLAGS_1.*NOW' || problems+=("no BIND_NOW (partial RELRO)")
    syms=$(readelf -sW --dyn-syms "$exe")
    grep -q '__stack_chk_fail' <<<"$syms" || problems+=("no stack protector")
    grep -Eq '__[a-z_]+_chk(@|$| )' <<<"$syms" || problems+=("no FORTIFY_SOURCE")
  fi
  if [ ${#problems[@]} -eq 0 ]; then
    echo "hardened: $exe (PIE, full RELRO, stack protector, FORTIFY)"
    pass=$((pass + 1))
  else
    echo "NOT hardened: $exe: ${problems[*]}"
    fail=$((fail + 1))
  fi
done
echo "check-hardening: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
