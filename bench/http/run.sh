#!/bin/bash
# HTTP baseline benchmark: gatehouse `GET /healthz` against nginx `return 200`
# on the same machine in the same run; prints the ratio (target >= 0.90).
#
#   bench/http/run.sh
#
# See bench/http/README.md.  Knobs (environment): GATEHOUSE_BIN (default
# build/gatehouse, built with make if missing), RUNS (3), DURATION (10s),
# WARMUP (3s), CONNS (64), THREADS (2, wrk threads), GH_THREADS (nproc).
# Results are printed and written to $BUILD/bench/http.txt (BUILD: build).
set -euo pipefail

cd "$(dirname "$0")/../.."
repo=$(pwd)
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
bench_knobs http
TARGET=0.90

scripts/deps.sh bench
gatehouse_bin
bench_dirs
nginx_pid=""
gh_pid=""

# Stops what this script started, by PID, and removes the temp dir.
# shellcheck disable=SC2317 # called through trap
cleanup() {
    stop_pids "$gh_pid" "$nginx_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- nginx: the anchor's gateway config (return 200, 2 workers, no access
# log), on a free port with its own prefix ------------------------------------
nginx_port=$(free_port)
nginx_return200_conf "$nginx_port" >"$tmp/nginx.conf"
nginx -c "$tmp/nginx.conf" -p "$tmp/" -e "$tmp/nginx-error.log" -g 'daemon off;' &
nginx_pid=$!
nginx_url=http://127.0.0.1:$nginx_port/
wait_http "$nginx_url" "$nginx_pid" || fail "nginx did not start" "$tmp/nginx-error.log"

# --- gatehouse ----------------------------------------------------------------
gh_port=$(free_port)
gatehouse_start "$gh_port"
gh_url=http://127.0.0.1:$gh_port/healthz
wait_http "$gh_url" "$gh_pid" || fail "gatehouse did not start" "$tmp/gatehouse.log"

# --- wrk: warm-up, then RUNS runs of each, interleaved ------------------------
{
    bench_title
    echo "  $("$bin" version)"
    echo "  nginx $(nginx_version), $(wrk_version)"
    echo "  wrk -t$THREADS -c$CONNS -d$DURATION --latency, keep-alive, warm-up $WARMUP," \
        "median of $RUNS runs, interleaved; gatehouse --threads $GH_THREADS --log-level warn"
    load_before 1 "and the ratio noisy"
} | tee "$results"

url_of() { if [ "$1" = gatehouse ]; then echo "$gh_url"; else echo "$nginx_url"; fi; }

for name in nginx gatehouse; do
    wrk_locked "$tmp/$name.warmup.txt" "$WARMUP" "$(url_of "$name")"
done

declare -A rows med
for i in $(seq 1 "$RUNS"); do
    for name in nginx gatehouse; do
        out=$tmp/$name.run$i.txt
        wrk_locked "$out" "$DURATION" --latency "$(url_of "$name")"
        wrk_row 10 "$name" "$i" "$out"
        rows[$name.$i]="$rps $p50 $p99 $non2xx $serr"
    done
done

for name in nginx gatehouse; do
    med[$name]=$(for i in $(seq 1 "$RUNS"); do echo "${rows[$name.$i]}"; done | median)
done
bad=0
for key in "${!rows[@]}"; do
    read -r _ _ _ non2xx serr <<<"${rows[$key]}"
    if wrk_warn "${key%.*}" "${key#*.}" "$non2xx" "$serr"; then bad=1; fi
done
r=$(ratio gatehouse nginx 3)
{
    echo
    table_row 10 "" "rps" "p50" "p99"
    for name in nginx gatehouse; do
        read -r rps p50 p99 _ _ <<<"${med[$name]}"
        table_row 10 "$name" "$rps" "$p50" "$p99"
    done
    echo "ratio gatehouse/nginx: $r (target >= $TARGET: $(verdict "$r" "$TARGET" ge))"
    load_after
} | tee -a "$results"

# Stop gatehouse now to report how it shut down.
gatehouse_stop || bad=1
echo "results: $results"
exit "$bad"
