#!/bin/bash
# Runs every built libFuzzer harness for a while, each on a scratch copy of
# its seed corpus, and says in one line per harness how it went.
#
#   scripts/fuzz.sh BUILD_DIR SECONDS
#
# Harnesses are the executables BUILD_DIR/fuzz_<name> (make fuzz-build);
# fuzz_<name> starts from fuzz/corpus/<name>/, copied to a temporary
# directory so that a run never grows the committed corpus.  Inputs are
# limited to 8192 bytes.  A crash, sanitizer report, leak or timeout keeps
# the harness's log in BUILD_DIR/fuzz-logs/ and the input that caused it in
# BUILD_DIR/fuzz-artifacts/<name>/; the report's tail goes to stderr.  The
# last line is "fuzz: N passed, N failed"; the exit status is 0 only if every
# harness ran clean and at least one ran.
set -uo pipefail

if [ $# -ne 2 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 BUILD_DIR SECONDS   (SECONDS a positive integer)" >&2
    exit 2
fi
build=${1%/}
secs=$2
root=$(cd "$(dirname "$0")/.." && pwd)

mapfile -t harnesses < <(find "$build" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x \
    ! -name '*.*' 2>/dev/null | sort)
if [ ${#harnesses[@]} -eq 0 ]; then
    echo "fuzz: no harnesses in $build (build them first: make fuzz-build)" >&2
    echo "fuzz: 0 passed, 1 failed"
    exit 1
fi

# UBSan only reports and carries on unless told to stop: make it a crash, so
# libFuzzer saves the input.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$build/fuzz-logs"

passed=0
failed=0
for bin in "${harnesses[@]}"; do
    name=$(basename "$bin")
    short=${name#fuzz_}
    corpus="$scratch/$short"
    mkdir -p "$corpus"
    seeds=0
    if [ -d "$root/fuzz/corpus/$short" ]; then
        cp -R "$root/fuzz/corpus/$short/." "$corpus/"
        seeds=$(find "$corpus" -type f | wc -l)
    fi
    artifacts="$build/fuzz-artifacts/$short"
    mkdir -p "$artifacts"
    log="$build/fuzz-logs/$name.log"

    # A hang of 10 s on one input is a failure too (-timeout); the outer
    # timeout only guards against the fuzzer itself not stopping.
    timeout --kill-after=10 $((secs + 60)) "$bin" -max_total_time="$secs" -max_len=8192 \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 </dev/null
    rc=$?

    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    grown=$(find "$corpus" -type f | wc -l)
    if [ "$rc" -eq 0 ] && ! grep -q -e 'ERROR: libFuzzer' -e 'Sanitizer' "$log"; then
        printf '%s: ok, %s runs in %ss, coverage %s, corpus %d -> %d\n' "$name" \
            "${runs:-?}" "$secs" "${cov:-?}" "$seeds" "$grown"
        passed=$((passed + 1))
        rmdir "$artifacts" 2>/dev/null
    else
        why=$(grep -m 1 -e 'ERROR: .*Sanitizer' -e 'ERROR: libFuzzer' -e 'runtime error' "$log" |
            sed 's/^.*ERROR: //; s/^.*runtime error: /UBSan: /; s/ on address.*//; s/ (pc .*//')
        printf '%s: FAILED (exit %d%s), log %s, input in %s\n' "$name" "$rc" \
            "${why:+, $why}" "$log" "$artifacts/"
        echo "--- tail of $log" >&2
        tail -n 40 "$log" >&2
        failed=$((failed + 1))
    fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
