#!/bin/bash
# Runs the integration tests (tests/integration, Python 3 standard library)
# against a gatehouse binary.
#
#   scripts/run-integration.sh BIN [NAME...]
#
# NAME narrows the run: a module, class or single test relative to
# tests/integration, e.g. test_ops, test_edges.EdgeTest or
# test_cli.ServeProcessTest.test_sigterm_exits_zero.  Each test starts BIN on a
# free loopback port with a temporary database.  The sanitizer options in the
# environment (ASAN_OPTIONS, UBSAN_OPTIONS) reach the server unchanged.
# The last line is "integration: N passed, N failed (...)"; the exit status is
# 0 only if nothing failed.  INTEGRATION_TIMEOUT (seconds, default 900) bounds
# the whole run.
set -uo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 BIN [NAME...]" >&2
    exit 2
fi
bin=$1
shift
here=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -x "$bin" ]; then
    echo "run-integration: $bin is not an executable (build it first: make)" >&2
    echo "integration: 0 passed, 1 failed (no binary)"
    exit 1
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

PYTHONDONTWRITEBYTECODE=1 GATEHOUSE_BIN=$bin timeout --kill-after=10 "${INTEGRATION_TIMEOUT:-900}" \
    python3 -u "$here/tests/integration/run.py" "$@" </dev/null
rc=$?
case $rc in
0 | 1) exit $rc ;;
124 | 137)
    echo "run-integration: stopped after ${INTEGRATION_TIMEOUT:-900}s" >&2
    echo "integration: 0 passed, 1 failed (timed out)"
    exit 1
    ;;
*)
    echo "integration: 0 passed, 1 failed (runner exit status $rc)"
    exit 1
    ;;
esac
