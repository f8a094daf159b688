#!/bin/bash
# The whole test suite; what `make test` and .ci/run call.  Works as root on
# a fresh Debian 12 clone: it first installs whatever is missing.
#
#   scripts/test.sh
#
# Phases, each with a header and its duration:
#   deps         scripts/deps.sh build test (quiet when nothing is missing)
#   build        make -j2                        -> build/gatehouse
#   unit         cmocka unit tests of that build
#   postgres     the unit tests using the store fixture again, on a throwaway
#                PostgreSQL cluster (scripts/pg-cluster.sh, GATEHOUSE_TEST_DB_URL)
#   integration  tests/integration against build/gatehouse (with test_nodes.py:
#                two nodes on a throwaway PostgreSQL cluster)
#   e2e          tests/e2e in headless Chromium against build/gatehouse
#                (scripts/run-e2e.sh; screenshots in build/e2e-artifacts)
#   san-build    make -j2 SAN=1 BUILD=build/san  (AddressSanitizer + UBSan)
#   san-unit     unit tests under ASan/UBSan
#   san-integ    integration tests against build/san/gatehouse
#   fuzz         make fuzz FUZZ_SECONDS=10        (libFuzzer smoke run of every harness)
#   openapi      scripts/validate-openapi.sh      (src/portal/openapi.json against the
#                                                  official OpenAPI 3.1 schema, npm validator)
#   lint         make lint                        (layer includes, cppcheck, clang-tidy)
#
# Counted: unit test cases (on SQLite and PostgreSQL), integration and browser
# test cases, fuzz harnesses, OpenAPI checks and the lint run; a failed build
# counts as one failure and skips the phases that need it.  The last line is
# exactly "N passed, N failed"; the exit status is 0 only if nothing failed.
#
# Environment: BUILD (default build), SAN_BUILD (default $BUILD/san),
# FUZZ_BUILD (default $BUILD/fuzz), FUZZ_SECONDS (default 10), JOBS (default 2).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
SAN_BUILD=${SAN_BUILD:-$BUILD/san}
FUZZ_BUILD=${FUZZ_BUILD:-$BUILD/fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
JOBS=${JOBS:-2}
SAN_ENV=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)

total_pass=0
total_fail=0
summary=()
suite_start=$(date +%s)
log=$(mktemp)
pg_dir=""
pg_bins=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    rm -f "$log"
    if [ -n "$pg_dir" ]; then
        scripts/pg-cluster.sh stop "$pg_dir" >/dev/null 2>&1 || true
    fi
    if [ -n "$pg_bins" ]; then
        rm -rf "$pg_bins"
    fi
}
trap cleanup EXIT

phase_no=0
phase_name=""
phase_start=0

begin() {
    phase_no=$((phase_no + 1))
    phase_name=$1
    phase_start=$(date +%s)
    echo
    echo "==================== [$phase_no/12] $phase_name: $2"
}

# end STATUS_TEXT PASSED FAILED
end() {
    local secs=$(($(date +%s) - phase_start))
    total_pass=$((total_pass + $2))
    total_fail=$((total_fail + $3))
    echo "==================== $phase_name: $1 (${secs}s)"
    summary+=("$(printf '%-12s %-32s %5ss' "$phase_name" "$1" "$secs")")
}

skip() {
    phase_no=$((phase_no + 1))
    echo
    echo "==================== [$phase_no/12] $1: skipped ($2)"
    summary+=("$(printf '%-12s %-32s %5s' "$1" "skipped ($2)" "-")")
}

# run CMD...: runs CMD with its output shown and kept in $log; returns its status.
run() {
    echo "+ $*"
    "$@" 2>&1 | tee "$log"
    return "${PIPESTATUS[0]}"
}

# counts PREFIX: "P F" from the last "PREFIX N passed, N failed" line of $log.
counts() {
    sed -n "s/^$1\\([0-9][0-9]*\\) passed, \\([0-9][0-9]*\\) failed.*/\\1 \\2/p" "$log" | tail -n 1
}

# A suite phase: runs CMD, adds the counts of its "PREFIX N passed, N failed"
# line; no such line, or a failing status with no failure counted, is one
# failure.
suite() {
    local prefix=$1
    shift
    run "$@"
    local rc=$? c p f
    c=$(counts "$prefix")
    if [ -z "$c" ]; then
        end "FAILED (status $rc, no counts)" 0 1
        return
    fi
    read -r p f <<<"$c"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    if [ "$f" -eq 0 ]; then
        end "$p passed" "$p" 0
    else
        end "$p passed, $f FAILED" "$p" "$f"
    fi
}

# store_units BUILD DIR: DIR becomes a build tree holding (links to) just
# the unit binaries whose test includes the store fixture, for
# scripts/run-unit.sh DIR.
store_units() {
    local src name n=0
    while read -r src; do
        name=${src%.c}
        [ -x "$1/$name" ] || continue
        mkdir -p "$2/$(dirname "$name")"
        ln "$1/$name" "$2/$name" 2>/dev/null || cp "$1/$name" "$2/$name" || return 1
        n=$((n + 1))
    done < <(grep -l 'support/store_fixture.h' tests/unit/*/test_*.c)
    [ "$n" -gt 0 ]
}

# A build phase: success counts nothing, failure one.  Returns the status.
build() {
    run "$@"
    local rc=$?
    if [ "$rc" -eq 0 ]; then
        end "ok" 0 0
    else
        end "FAILED (status $rc)" 0 1
    fi
    return "$rc"
}

echo "gatehouse test suite: $(git rev-parse --short HEAD 2>/dev/null || echo 'no git') on" \
    "$(nproc) cores, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"

begin deps "scripts/deps.sh build test"
build scripts/deps.sh build test

begin build "make -j$JOBS BUILD=$BUILD"
if build make -j"$JOBS" BUILD="$BUILD"; then
    begin unit "make -j$JOBS BUILD=$BUILD unit"
    suite "unit: " make -j"$JOBS" BUILD="$BUILD" unit
    begin postgres "store unit tests on a throwaway PostgreSQL cluster (scripts/pg-cluster.sh)"
    pg_dir="${TMPDIR:-/tmp}/gatehouse-pg-$$"
    pg_bins=$(mktemp -d)
    if ! store_units "$BUILD" "$pg_bins"; then
        end "FAILED (no unit binaries using the store fixture)" 0 1
    elif pg_url=$(scripts/pg-cluster.sh start "$pg_dir"); then
        suite "unit: " env GATEHOUSE_TEST_DB_URL="$pg_url" scripts/run-unit.sh "$pg_bins"
    else
        end "FAILED (cannot start a PostgreSQL cluster)" 0 1
    fi
    scripts/pg-cluster.sh stop "$pg_dir" >/dev/null 2>&1
    rm -rf "$pg_bins"
    pg_dir=""
    pg_bins=""
    begin integration "scripts/run-integration.sh $BUILD/gatehouse"
    suite "integration: " scripts/run-integration.sh "$BUILD/gatehouse"
    begin e2e "scripts/run-e2e.sh $BUILD/gatehouse (headless Chromium, playwright-core)"
    suite "e2e: " env GATEHOUSE_E2E_ARTIFACTS="$BUILD/e2e-artifacts" \
        scripts/run-e2e.sh "$BUILD/gatehouse"
else
    skip unit "build failed"
    skip postgres "build failed"
    skip integration "build failed"
    skip e2e "build failed"
fi

begin san-build "make -j$JOBS SAN=1 BUILD=$SAN_BUILD"
if build make -j"$JOBS" SAN=1 BUILD="$SAN_BUILD"; then
    begin san-unit "unit tests under ASan/UBSan (${SAN_ENV[*]})"
    suite "unit: " env "${SAN_ENV[@]}" make -j"$JOBS" SAN=1 BUILD="$SAN_BUILD" unit
    begin san-integ "scripts/run-integration.sh $SAN_BUILD/gatehouse under ASan/UBSan"
    suite "integration: " env "${SAN_ENV[@]}" scripts/run-integration.sh "$SAN_BUILD/gatehouse"
else
    skip san-unit "build failed"
    skip san-integ "build failed"
fi

begin fuzz "make fuzz FUZZ_SECONDS=$FUZZ_SECONDS"
nharness=$(find fuzz -maxdepth 1 -name 'fuzz_*.c' 2>/dev/null | wc -l)
run make fuzz FUZZ_SECONDS="$FUZZ_SECONDS" FUZZ_BUILD="$FUZZ_BUILD"
rc=$?
c=$(sed -n 's/^\(fuzz: \)\{0,1\}\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\2 \3/p' "$log" |
    tail -n 1)
if [ -n "$c" ]; then
    read -r p f <<<"$c"
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
elif [ "$rc" -eq 0 ] && [ "$nharness" -gt 0 ]; then
    # No count printed: every harness ran its time without a crash.
    p=$nharness f=0
else
    p=0 f=$((nharness > 0 ? nharness : 1))
fi
if [ "$f" -eq 0 ]; then
    end "$p harness(es) passed" "$p" 0
else
    end "$p passed, $f FAILED (status $rc)" "$p" "$f"
fi

begin openapi "scripts/validate-openapi.sh (OpenAPI 3.1 schema and consistency)"
suite "openapi: " scripts/validate-openapi.sh

begin lint "make lint (layer includes, cppcheck, clang-tidy)"
run make lint
if [ $? -eq 0 ]; then
    end "ok" 1 0
else
    end "FAILED" 0 1
fi

echo
echo "==================== summary ($(($(date +%s) - suite_start))s)"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
