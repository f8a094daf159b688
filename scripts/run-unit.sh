#!/bin/bash
# Runs every cmocka unit-test binary under BUILD_DIR/tests/unit and sums the
# test cases.
#
#   scripts/run-unit.sh BUILD_DIR [FILTER]
#
# FILTER (optional) is a substring of the binary's path, e.g. "store/" or
# "test_arena".  Each binary's own cmocka output is shown; a binary that dies
# before its summary (crash, sanitizer abort, timeout) counts its "[ OK ]"
# cases as passed and itself as one failure.  The last line is
# "unit: N passed, N failed (B binaries)"; the exit status is 0 only if
# nothing failed and at least one binary ran.
set -uo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 BUILD_DIR [FILTER]" >&2
    exit 2
fi
build=${1%/}
filter=${2:-}
timeout_s=${UNIT_TIMEOUT:-300}
root="$build/tests/unit"

if [ ! -d "$root" ]; then
    echo "run-unit: no $root (build the tests first: make BUILD=$build unit)" >&2
    echo "unit: 0 passed, 1 failed (0 binaries)"
    exit 1
fi

# Test binaries are the extension-less executables named test_*.
mapfile -t bins < <(find "$root" -type f -name 'test_*' ! -name '*.*' -perm -u+x | sort)
if [ -n "$filter" ]; then
    mapfile -t bins < <(printf '%s\n' "${bins[@]}" | grep -F -- "$filter")
fi
if [ ${#bins[@]} -eq 0 ] || [ -z "${bins[0]}" ]; then
    echo "run-unit: no unit test binaries under $root${filter:+ matching \"$filter\"}" >&2
    echo "unit: 0 passed, 1 failed (0 binaries)"
    exit 1
fi

export CMOCKA_MESSAGE_OUTPUT=STDOUT
total_pass=0
total_fail=0
bad_bins=()
out=$(mktemp)
trap 'rm -f "$out"' EXIT

for bin in "${bins[@]}"; do
    name=${bin#"$root"/}
    echo "=== $name"
    start=$(date +%s.%N)
    timeout --kill-after=10 "$timeout_s" "$bin" >"$out" 2>&1 </dev/null
    rc=$?
    cat "$out"
    secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
    # cmocka, per group: "[==========] Running N test(s).", one "[       OK ]"
    # per passing case, "[==========] N test(s) run.", then "[  PASSED  ] N
    # test(s)." and, if any failed, "[  FAILED  ] N test(s), listed below:".
    # A binary may run several groups.  Passing cases are counted by their OK
    # lines so that a binary dying in a later group keeps its earlier passes.
    passed=$(grep -c '^\[       OK \]' "$out")
    failed=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' "$out" |
        awk '{ n += $1 } END { print n + 0 }')
    groups_started=$(grep -c '^\[==========\] Running [0-9]* test(s)' "$out")
    groups_done=$(grep -c '^\[==========\] [0-9]* test(s) run' "$out")
    case $rc in
    124 | 137) why="timed out after ${timeout_s}s" ;;
    0) why="" ;;
    *) why="exit status $rc" ;;
    esac
    if [ "$groups_started" -eq 0 ] || [ "$groups_done" -lt "$groups_started" ]; then
        # Died mid-run (crash, sanitizer abort, timeout): one more failure.
        failed=$((failed + 1))
        why="${why:-exit status $rc}, no cmocka summary for every group"
    elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        # Non-zero exit with no failed case, e.g. LeakSanitizer at exit.
        failed=1
    fi
    grep -q 'Sanitizer' "$out" && why="${why:-exit status $rc}, sanitizer report"
    total_pass=$((total_pass + passed))
    total_fail=$((total_fail + failed))
    if [ "$failed" -eq 0 ]; then
        printf -- '--- PASS %s: %d passed (%ss)\n' "$name" "$passed" "$secs"
    else
        printf -- '--- FAIL %s: %d passed, %d failed%s (%ss)\n' "$name" "$passed" "$failed" \
            "${why:+, $why}" "$secs"
        bad_bins+=("$name")
    fi
done

echo
if [ ${#bad_bins[@]} -ne 0 ]; then
    echo "failing binaries:"
    printf '  %s\n' "${bad_bins[@]}"
fi
echo "unit: $total_pass passed, $total_fail failed (${#bins[@]} binaries)"
[ "$total_fail" -eq 0 ]
