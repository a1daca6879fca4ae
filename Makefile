# billsync: build, demo stack and tests.
#   make demo   install what is missing, build, start the local stack in var/, print URL + login
#   make test   the same set-up, then every test suite (unit under ASan/UBSan, e2e, browser)
#   make stop   stop the local stack by PID
.DEFAULT_GOAL := all
SHELL := /bin/bash

CC      ?= gcc
PKGS    := fcgi libmariadb jansson libcurl libsodium liboath libqrencode inih
OPT     ?= -O2
CSTD    := -std=c17 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -D_DEFAULT_SOURCE -D_GNU_SOURCE -Iapp -I/usr/include/ClearSilver
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS = $(CSTD) $(CFLAGS) $(PKG_CFLAGS) -fno-strict-aliasing
# The programs hold the database password and the key to every tenant's credentials: stack
# protector, FORTIFY, PIE and full RELRO (tests/check-hardening.sh checks the built binaries).
# The ASan builds of the unit tests go without FORTIFY (the two do not mix).
HARDEN_CFLAGS  = -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
HARDEN_LDFLAGS = -pie -Wl,-z,relro,-z,now
LDLIBS  = $(PKG_LIBS) -lneo_cgi -lneo_cs -lneo_utl -lz -lcsv -lm

# Every .c under app/ is library code except the three programs' main files.
MAINS    := app/web/main.c app/worker/main.c app/cli/main.c
LIB_SRC  := $(filter-out $(MAINS),$(sort $(wildcard app/*/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=build/obj/%.o)
ASAN_OBJ := $(LIB_SRC:%.c=build/asan/%.o)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/unit/%)
UNIT_COMMON := $(wildcard tests/unit/unit_*.c)
# Test driver programs (tests/tools/NAME.c -> build/tools/NAME), used by the e2e tests.
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=build/tools/%)

BINS := bin/billsync-web bin/billsync-worker bin/billsync
# libFuzzer harnesses (tests/fuzz/fuzz_NAME.c -> build/fuzz/fuzz_NAME): clang, with the
# library compiled again for coverage, ASan and UBSan.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzzobj/%.o)
FUZZ_CC  ?= clang
FUZZ_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1
FUZZ_SECONDS ?= 60
NPROC := $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps demo stop test unit e2e browser bench bench-volume bench-sync clean check-templates tools build-locked unit-bins test-model \
        test-dates test-volume test-scale fuzz fuzz-bins
all: $(BINS)

Q = $(if $(V),,@)

build/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(HARDEN_CFLAGS) -MMD -MP -c $< -o $@

build/asan/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC-SAN  $<")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -O1 $(SANFLAGS) -MMD -MP -c $< -o $@

build/fuzzobj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC-FUZZ $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(CSTD) $(PKG_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

build/libbillsync-fuzz.a: $(FUZZ_OBJ)
	@rm -f $@; ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h build/libbillsync-fuzz.a
	@mkdir -p $(@D)
	@$(if $(V),,echo "  FUZZ-CC $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -Itests/fuzz $(CSTD) $(PKG_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< \
	  build/libbillsync-fuzz.a $(LDLIBS)

build/libbillsync.a: $(LIB_OBJ)
	@rm -f $@; ar rcs $@ $^

build/libbillsync-asan.a: $(ASAN_OBJ)
	@rm -f $@; ar rcs $@ $^

bin/billsync-web: build/obj/app/web/main.o build/libbillsync.a
	@mkdir -p bin; $(CC) $(ALL_CFLAGS) $(HARDEN_CFLAGS) $(HARDEN_LDFLAGS) -o $@ $^ $(LDLIBS)
bin/billsync-worker: build/obj/app/worker/main.o build/libbillsync.a
	@mkdir -p bin; $(CC) $(ALL_CFLAGS) $(HARDEN_CFLAGS) $(HARDEN_LDFLAGS) -o $@ $^ $(LDLIBS)
bin/billsync: build/obj/app/cli/main.o build/libbillsync.a
	@mkdir -p bin; $(CC) $(ALL_CFLAGS) $(HARDEN_CFLAGS) $(HARDEN_LDFLAGS) -o $@ $^ $(LDLIBS)

build/unit/%: tests/unit/%.c $(UNIT_COMMON) build/libbillsync-asan.a
	@mkdir -p $(@D)
	@$(if $(V),,echo "  TEST-CC $<")
	$(Q)$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -O1 $(SANFLAGS) $(shell pkg-config --cflags cmocka) \
	  -o $@ $< $(UNIT_COMMON) build/libbillsync-asan.a $(LDLIBS) $(shell pkg-config --libs cmocka)

build/tools/%: tests/tools/%.c build/libbillsync.a
	@mkdir -p $(@D)
	@$(if $(V),,echo "  TOOL-CC $<")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(HARDEN_CFLAGS) $(HARDEN_LDFLAGS) -o $@ $< build/libbillsync.a $(LDLIBS)

tools: $(TOOL_BIN)

-include $(LIB_OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d) $(MAINS:%.c=build/obj/%.d)

deps:
	@conf/install-deps.sh

# Unit tests: cmocka, ASan + UBSan. Each binary prints cmocka's own summary.
unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=suppressions=tests/unit/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1 $$t || fail=1; done; exit $$fail

check-templates:
	@tests/check-templates.sh

# Integration (real MariaDB, nginx, web pool, worker, sandboxes) and browser tests.
# PYTEST_JOBS: pytest-xdist processes; each runs its own stack (--dist loadfile keeps a
# file's tests, and their module fixtures, in one process).
PYTEST_JOBS ?= 2
PYTEST = /usr/bin/python3 -m pytest -q -p no:cacheprovider
e2e: all tools
	$(PYTEST) -n $(PYTEST_JOBS) --dist loadfile tests/e2e

browser: all
	$(PYTEST) tests/browser

# The build is shared by runs started at the same time in one tree: one builds, the other
# waits for it (flock), so neither links a half-written object.
build-locked: deps
	@mkdir -p build
	@flock build/.lock $(MAKE) --no-print-directory -j$(NPROC) all tools unit-bins fuzz-bins

unit-bins: $(UNIT_BIN)

# Every suite: unit (ASan/UBSan), templates, the connector contract and sandbox tests (no
# stack), the e2e and browser tests (each xdist process with its own stack), then the
# ledger's model-based test, the date-sensitive suites shared out over two faked dates (the full
# set: make test-dates).
test: build-locked
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory check-templates
	@tests/check-structure.sh --columns
	@tests/check-hardening.sh
	@tests/fuzz/run.sh 5
	$(PYTEST) -n $(PYTEST_JOBS) tests/contract tests/sandbox
	$(PYTEST) -n $(PYTEST_JOBS) --dist loadfile tests/e2e tests/browser
	@$(MAKE) --no-print-directory test-model N=$(MODEL_N)
	tests/run-dates.sh --split $(TEST_DATES)

# The ledger's model-based test (tests/model/ledger_model.py): N random 120-day histories
# through the product's planner against an Autotask model and a reference of the contract.
MODEL_N ?= 1000
N ?= $(MODEL_N)
test-model: tools
	/usr/bin/python3 tests/model/ledger_model.py -n $(N)

# Dates of the short run in make test: a leap day and the last day of a year, the date-sensitive
# suites shared out over them (every suite at one faked date; make test-dates runs them all at all).
TEST_DATES ?= 2028-02-29 2027-12-31

# The date-sensitive suites at eight dates (month ends, leap day, year end) and today.
test-dates: build-locked
	tests/run-dates.sh

# Scale-out (doc/scale-out.md): three Galera nodes on loopback, two web pools behind one nginx
# upstream, three worker pools; a node, a web pool and a worker pool killed in the middle of a
# sync; then pages/s and jobs/s on one node and on three. Not part of make test (~5 minutes).
test-scale: build-locked
	/usr/bin/python3 tests/scale/run_scale.py

# Fuzzing: every harness for FUZZ_SECONDS (default 60); make test runs each for 5 s.
fuzz-bins: $(FUZZ_BIN)

fuzz: deps
	@mkdir -p build
	@flock build/.lock $(MAKE) --no-print-directory -j$(NPROC) fuzz-bins
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

# Imports of 1,000,000 lines (clean, then with a bad line at 999,999): slow, not in make test.
test-volume: build-locked
	$(PYTEST) -s tests/volume

demo: deps
	@$(MAKE) --no-print-directory all
	@/usr/bin/python3 conf/stack.py start

stop:
	@/usr/bin/python3 conf/stack.py stop

bench: all
	@tests/bench/run.sh

# The pages and exports at production volume (tests/bench/bench_volume.py): a tenant of 100,000
# resources and 1,000,000 adjustments (times SCALE) and 200 small ones, each page under wrk and
# beside nginx serving the same bytes; exits 1 when a target is missed. BENCH_SECONDS: wrk's run.
SCALE ?= 1
bench-volume: all
	@/usr/bin/python3 tests/bench/bench_volume.py --scale $(SCALE)

# One sync cycle of 1,000 tenants (times SCALE), each its own MSP with a Pax8 partner and an
# Autotask database or a ConnectWise company in the sandbox, 100 linked resources each
# (tests/bench/bench_sync.py): wall time, API calls against the fewest needed, Autotask's thread
# limit and hourly cap, lost and double postings; exits 1 when a target is missed. WORKERS:
# worker children (16).
bench-sync: all
	@/usr/bin/python3 tests/bench/bench_sync.py --scale $(SCALE) $(if $(WORKERS),--workers $(WORKERS))

clean:
	rm -rf build bin
