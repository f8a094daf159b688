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
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
GH_THREADS=${GH_THREADS:-$(nproc)}
TARGET=0.90
BUILD=${BUILD:-build}
LOCK=/tmp/bench.lock

scripts/deps.sh bench
if [ -z "${GATEHOUSE_BIN:-}" ]; then
    make -s -j"$(nproc)" BUILD="$BUILD" "$BUILD/gatehouse"
    GATEHOUSE_BIN=$BUILD/gatehouse
fi
bin=$(cd "$(dirname "$GATEHOUSE_BIN")" && pwd)/$(basename "$GATEHOUSE_BIN")
[ -x "$bin" ] || { echo "bench/http: $bin is not executable" >&2; exit 1; }

mkdir -p "$BUILD/bench"
results=$(cd "$BUILD/bench" && pwd)/http.txt
tmp=$(mktemp -d /tmp/gh-bench-http.XXXXXX)
nginx_pid=""
gh_pid=""

# Stops what this script started, by PID, and removes the temp dir.
# shellcheck disable=SC2317 # called through trap
cleanup() {
    local pid
    for pid in $gh_pid $nginx_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL PID: waits up to 10 s for URL to answer 200 while PID lives.
wait_http() {
    local i
    for i in $(seq 1 200); do
        kill -0 "$2" 2>/dev/null || return 1
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0
        sleep 0.05
    done
    return 1
}

# --- nginx: the anchor's gateway config (return 200, 2 workers, no access
# log), on a free port with its own prefix ------------------------------------
nginx_port=$(free_port)
mkdir -p "$tmp/nginx-tmp"
cat >"$tmp/nginx.conf" <<EOF
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path $tmp/nginx-tmp;
    proxy_temp_path $tmp/nginx-tmp;
    fastcgi_temp_path $tmp/nginx-tmp;
    uwsgi_temp_path $tmp/nginx-tmp;
    scgi_temp_path $tmp/nginx-tmp;
    server {
        listen 127.0.0.1:$nginx_port;
        location / { default_type text/plain; return 200 "ok"; }
    }
}
EOF
nginx -c "$tmp/nginx.conf" -p "$tmp/" -e "$tmp/nginx-error.log" -g 'daemon off;' &
nginx_pid=$!
nginx_url=http://127.0.0.1:$nginx_port/
wait_http "$nginx_url" "$nginx_pid" || {
    echo "bench/http: nginx did not start" >&2
    cat "$tmp/nginx-error.log" >&2
    exit 1
}

# --- gatehouse ----------------------------------------------------------------
gh_port=$(free_port)
(cd "$tmp" && exec "$bin" serve --listen "127.0.0.1:$gh_port" --db "$tmp/gh.db" \
    --threads "$GH_THREADS" --log-level warn) 2>"$tmp/gatehouse.log" &
gh_pid=$!
gh_url=http://127.0.0.1:$gh_port/healthz
wait_http "$gh_url" "$gh_pid" || {
    echo "bench/http: gatehouse did not start" >&2
    cat "$tmp/gatehouse.log" >&2
    exit 1
}

# --- wrk ----------------------------------------------------------------------
# field FILE: rps p50 p99 non2xx socket-errors of one wrk output.
fields() {
    awk '
        /^Requests\/sec:/ { rps = $2 }
        /Latency Distribution/ { dist = 1 }
        dist && $1 == "50%" { p50 = $2 }
        dist && $1 == "99%" { p99 = $2 }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /Socket errors:/ { sub(/^ *Socket errors: */, ""); serr = $0; gsub(/ /, "", serr) }
        END { printf "%s %s %s %s %s\n", rps, p50, p99, non2xx + 0, serr == "" ? "none" : serr }
    ' "$1"
}

wrk_once() { # NAME URL OUTFILE DURATION [extra wrk args]
    flock "$LOCK" wrk -t"$THREADS" -c"$CONNS" -d"$4" "${@:5}" "$2" >"$3" 2>&1
}

{
    echo "bench/http $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) cores," \
        "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "  $("$bin" version)"
    echo "  nginx $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}')"
    echo "  wrk -t$THREADS -c$CONNS -d$DURATION --latency, keep-alive, warm-up $WARMUP," \
        "median of $RUNS runs, interleaved; gatehouse --threads $GH_THREADS --log-level warn"
    load=$(cut -d' ' -f1 /proc/loadavg)
    echo "  load average before: $load"
    if awk -v l="$load" 'BEGIN { exit !(l > 1.0) }'; then
        echo "  WARNING: the machine was busy before this run (load > 1); figures may be low" \
            "and the ratio noisy"
    fi
} | tee "$results"

for name in nginx gatehouse; do
    url=$nginx_url
    [ "$name" = gatehouse ] && url=$gh_url
    wrk_once "$name" "$url" "$tmp/$name.warmup.txt" "$WARMUP"
done

declare -A rows
for i in $(seq 1 "$RUNS"); do
    for name in nginx gatehouse; do
        url=$nginx_url
        [ "$name" = gatehouse ] && url=$gh_url
        out=$tmp/$name.run$i.txt
        wrk_once "$name" "$url" "$out" "$DURATION" --latency
        read -r rps p50 p99 non2xx serr < <(fields "$out")
        if [ -z "$rps" ]; then
            echo "bench/http: wrk failed against $name:" >&2
            cat "$out" >&2
            exit 1
        fi
        rows[$name.$i]="$rps $p50 $p99 $non2xx $serr"
        printf '  %-10s run%d  rps=%-10s p50=%-9s p99=%-9s non-2xx=%s socket-errors=%s\n' \
            "$name" "$i" "$rps" "$p50" "$p99" "$non2xx" "$serr" | tee -a "$results"
    done
done

# median NAME: "rps p50 p99 non2xx serr" of the run with the median rps.
median() {
    local i
    for i in $(seq 1 "$RUNS"); do echo "${rows[$1.$i]}"; done |
        sort -g -k1,1 | sed -n "$(((RUNS + 1) / 2))p"
}

read -r n_rps n_p50 n_p99 _ _ < <(median nginx)
read -r g_rps g_p50 g_p99 _ _ < <(median gatehouse)
bad=0
for key in "${!rows[@]}"; do
    read -r _ _ _ non2xx serr <<<"${rows[$key]}"
    if [ "$non2xx" != 0 ] || [ "$serr" != none ]; then
        echo "  WARNING: ${key%.*} run${key#*.} had non-2xx=$non2xx socket-errors=$serr" |
            tee -a "$results"
        bad=1
    fi
done
ratio=$(awk -v g="$g_rps" -v n="$n_rps" 'BEGIN { printf "%.3f", g / n }')
verdict=$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN { print (r >= t ? "met" : "NOT met") }')
{
    echo
    printf '%-10s %12s %10s %10s\n' "" "rps" "p50" "p99"
    printf '%-10s %12s %10s %10s\n' nginx "$n_rps" "$n_p50" "$n_p99"
    printf '%-10s %12s %10s %10s\n' gatehouse "$g_rps" "$g_p50" "$g_p99"
    echo "ratio gatehouse/nginx: $ratio (target >= $TARGET: $verdict)"
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$results"

# Stop gatehouse now to report how it shut down.
kill -TERM "$gh_pid"
rc=0
wait "$gh_pid" || rc=$?
gh_pid=""
if [ "$rc" -ne 0 ]; then
    echo "bench/http: gatehouse exited with status $rc after SIGTERM" | tee -a "$results" >&2
    tail -n 20 "$tmp/gatehouse.log" >&2
    bad=1
fi
echo "results: $results"
exit "$bad"
