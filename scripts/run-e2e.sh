#!/bin/bash
# Runs the end-to-end tests (tests/e2e: Node's built-in test runner driving
# Debian's headless Chromium through playwright-core) against a gatehouse
# binary.
#
#   scripts/run-e2e.sh BIN [TEST_FILE...]     (default: every tests/e2e/test_*.mjs)
#
# TEST_FILE is a path or a name in tests/e2e (test_portal.mjs).  Each test
# file starts BIN on free loopback ports with temporary databases (see
# tests/e2e/harness.mjs).  playwright-core is pinned in
# tests/e2e/package-lock.json and installed with `npm ci` into
# tests/e2e/node_modules (git-ignored) when that directory was not installed
# from the current lock file.  Node.js, npm and chromium come from Debian
# (scripts/deps.sh test).  Screenshots of each test's last page are written
# to $GATEHOUSE_E2E_ARTIFACTS (default build/e2e-artifacts).  The sanitizer
# options in the environment reach the server unchanged.  The last line is
# "e2e: N passed, N failed"; the exit status is 0 only if nothing failed.
# E2E_TIMEOUT (seconds, default 900) bounds the whole run.
set -uo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 BIN [TEST_FILE...]" >&2
    exit 2
fi
bin=$1
shift
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$here/tests/e2e

fail() {
    echo "run-e2e: $*" >&2
    echo "e2e: 0 passed, 1 failed"
    exit 1
}

[ -x "$bin" ] || fail "$bin is not an executable (build it first: make)"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
chromium=${GATEHOUSE_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] || ! command -v node >/dev/null 2>&1; then
    "$here/scripts/deps.sh" test || fail "Node.js or chromium is missing and could not be installed"
fi
[ -x "$chromium" ] || fail "$chromium is missing (scripts/deps.sh test installs Debian's chromium)"
"$here/scripts/npm-ci.sh" "$dir" || fail "the pinned npm packages of $dir are not ready"

files=()
if [ $# -eq 0 ]; then
    for f in "$dir"/test_*.mjs; do
        [ -e "$f" ] && files+=("$f")
    done
else
    for f in "$@"; do
        if [ -f "$f" ]; then
            files+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
        elif [ -f "$dir/$f" ]; then
            files+=("$dir/$f")
        else
            fail "no such test file: $f"
        fi
    done
fi
[ ${#files[@]} -gt 0 ] || fail "no test files in $dir"

artifacts=${GATEHOUSE_E2E_ARTIFACTS:-$here/build/e2e-artifacts}
mkdir -p "$artifacts" || fail "cannot create $artifacts"
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT

echo "+ node --test ${files[*]#"$here"/}"
GATEHOUSE_BIN=$bin GATEHOUSE_E2E_ARTIFACTS=$artifacts GATEHOUSE_CHROMIUM=$chromium \
    timeout --kill-after=10 "${E2E_TIMEOUT:-900}" \
    node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}" </dev/null
rc=$?

passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -1)
failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -1)
cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$tap" | tail -1)
passed=${passed:-0}
failed=$((${failed:-0} + ${cancelled:-0}))
case $rc in
0) ;;
124 | 137)
    echo "run-e2e: stopped after ${E2E_TIMEOUT:-900}s" >&2
    failed=$((failed + 1))
    ;;
*)
    # a file that failed outside any test (a hook, an import) counts once
    [ "$failed" -gt 0 ] || failed=1
    ;;
esac
echo "screenshots: $artifacts"
echo "e2e: $passed passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
