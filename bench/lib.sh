# Shell helpers shared by bench/http, bench/token and bench/check run.sh, which
# `source "$repo/bench/lib.sh"` from the repository root (set -euo pipefail).
# Globals they use: BENCH (the benchmark's name, set by bench_knobs), tmp and
# results (set by bench_dirs), bin (set by gatehouse_bin), gh_pid (set by
# gatehouse_start), med (an associative array NAME -> "rps p50 p99 ..." of
# NAME's median run, declared by the script).
#
#   bench_knobs NAME      BENCH=NAME and the common knobs' defaults: RUNS (3),
#                         DURATION (10s), WARMUP (3s), CONNS (64), THREADS (2),
#                         GH_THREADS (nproc), BUILD (build); LOCK=/tmp/bench.lock
#   gatehouse_bin         bin=absolute path of GATEHOUSE_BIN (made with make in
#                         $BUILD when unset); exits unless it is executable
#   bench_dirs            results=$BUILD/bench/$BENCH.txt (absolute), tmp=a new
#                         /tmp/gh-bench-$BENCH.XXXXXX
#   fail MESSAGE [LOG]    "bench/$BENCH: MESSAGE" and LOG on stderr, exit 1
#   stop_pids PID...      SIGTERM and wait for each PID still running (empty
#                         ones skipped); for the EXIT trap
#   free_port             a free TCP port on 127.0.0.1
#   wait_http URL PID     waits up to 10 s for URL to answer 200 while PID lives
#   nginx_conf_head NAME  the start of an nginx.conf up to and inside `http {`
#                         (2 workers, no access log, long keep-alive; pid, error
#                         log and temp dirs $tmp/NAME*; makes $tmp/NAME-tmp)
#   nginx_return200_conf PORT  the anchor's gateway nginx.conf: `return 200`
#                         on 127.0.0.1:PORT (NAME nginx)
#   gatehouse_start PORT  gatehouse serve on 127.0.0.1:PORT in the background,
#                         database $tmp/gh.db, log $tmp/gatehouse.log; sets gh_pid
#   gatehouse_stop        SIGTERM gatehouse and wait; reports and fails when it
#                         exits with a non-zero status; clears gh_pid
#   bench_title           the first header line: name, date, cores, commit
#   wrk_version, nginx_version  "wrk debian/4.1.0-3+b2", "nginx/1.22.1"
#   load_before FIELDS [TAIL]  "load average before" (loadavg fields FIELDS)
#                         and a warning ending in TAIL when the 1-min load > 1
#   load_after            "load average after" (1, 5, 15 min)
#   wrk_locked OUT DURATION [wrk args] URL  one wrk run (-tTHREADS -cCONNS)
#                         under flock $LOCK, its output in OUT
#   fields FILE           "rps p50 p99 non2xx socket-errors" of one wrk output
#   wrk_row WIDTH NAME RUN OUT  reads OUT's fields into rps p50 p99 non2xx serr
#                         (exits when wrk failed) and prints NAME's row (NAME
#                         padded to WIDTH) to stdout and $results
#   wrk_warn NAME RUN NON2XX SERR  succeeds, printing a warning, when the run
#                         had non-2xx responses or socket errors
#   median                the line of stdin's "rps ..." lines with the median
#                         rps (of RUNS lines)
#   field_of NAME N       field N (1 rps, 2 p50, 3 p99) of med[NAME], or empty
#   ratio A B DECIMALS    rps(A)/rps(B), or "-" when either is missing
#   verdict VALUE TARGET ge|lt  "met", "NOT met", or "not measured" for "-"
#   table_row WIDTH LABEL RPS P50 P99  one row of the summary table
#   jwt_header TOKEN      the decoded header of a JWT
# shellcheck shell=bash

bench_knobs() {
    BENCH=$1
    RUNS=${RUNS:-3}
    DURATION=${DURATION:-10s}
    WARMUP=${WARMUP:-3s}
    CONNS=${CONNS:-64}
    THREADS=${THREADS:-2}
    GH_THREADS=${GH_THREADS:-$(nproc)}
    BUILD=${BUILD:-build}
    LOCK=/tmp/bench.lock
}

gatehouse_bin() {
    if [ -z "${GATEHOUSE_BIN:-}" ]; then
        make -s -j"$(nproc)" BUILD="$BUILD" "$BUILD/gatehouse"
        GATEHOUSE_BIN=$BUILD/gatehouse
    fi
    bin=$(cd "$(dirname "$GATEHOUSE_BIN")" && pwd)/$(basename "$GATEHOUSE_BIN")
    [ -x "$bin" ] || { echo "bench/$BENCH: $bin is not executable" >&2; exit 1; }
}

bench_dirs() {
    mkdir -p "$BUILD/bench"
    results=$(cd "$BUILD/bench" && pwd)/$BENCH.txt
    tmp=$(mktemp -d "/tmp/gh-bench-$BENCH.XXXXXX")
}

fail() {
    echo "bench/$BENCH: $1" >&2
    if [ -n "${2:-}" ]; then cat "$2" >&2; fi
    exit 1
}

stop_pids() {
    local pid
    for pid in "$@"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() {
    for _ in $(seq 1 200); do
        kill -0 "$2" 2>/dev/null || return 1
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0
        sleep 0.05
    done
    return 1
}

nginx_conf_head() {
    local d=$tmp/$1-tmp
    mkdir -p "$d"
    cat <<EOF
worker_processes 2;
pid $tmp/$1.pid;
error_log $tmp/$1-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path $d;
    proxy_temp_path $d;
    fastcgi_temp_path $d;
    uwsgi_temp_path $d;
    scgi_temp_path $d;
EOF
}

nginx_return200_conf() {
    nginx_conf_head nginx
    cat <<EOF
    server {
        listen 127.0.0.1:$1;
        location / { default_type text/plain; return 200 "ok"; }
    }
}
EOF
}

gatehouse_start() {
    (cd "$tmp" && exec "$bin" serve --listen "127.0.0.1:$1" --db "$tmp/gh.db" \
        --threads "$GH_THREADS" --log-level warn) 2>"$tmp/gatehouse.log" &
    gh_pid=$!
}

gatehouse_stop() {
    local rc=0
    kill -TERM "$gh_pid"
    wait "$gh_pid" || rc=$?
    gh_pid=""
    if [ "$rc" -ne 0 ]; then
        echo "bench/$BENCH: gatehouse exited with status $rc after SIGTERM" | tee -a "$results" >&2
        tail -n 20 "$tmp/gatehouse.log" >&2
        return 1
    fi
}

bench_title() {
    echo "bench/$BENCH $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) cores," \
        "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
}

wrk_version() {
    wrk -v 2>&1 | awk 'NR == 1 {print $1, $2}'
}

nginx_version() {
    nginx -v 2>&1 | sed 's/^nginx version: //'
}

load_before() {
    local all load
    all=$(cat /proc/loadavg)
    load=${all%% *}
    echo "  load average before: $(cut -d' ' -f"$1" <<<"$all")"
    if awk -v l="$load" 'BEGIN { exit !(l > 1.0) }'; then
        echo "  WARNING: the machine was busy before this run (load > 1);" \
            "figures may be low${2:+ $2}"
    fi
}

load_after() {
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

wrk_locked() {
    flock "$LOCK" wrk -t"$THREADS" -c"$CONNS" -d"$2" "${@:3}" >"$1" 2>&1
}

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

wrk_row() {
    read -r rps p50 p99 non2xx serr < <(fields "$4")
    if [ -z "$rps" ]; then
        echo "bench/$BENCH: wrk failed against $2:" >&2
        cat "$4" >&2
        exit 1
    fi
    printf '  %-*s run%d  rps=%-10s p50=%-9s p99=%-9s non-2xx=%s socket-errors=%s\n' \
        "$1" "$2" "$3" "$rps" "$p50" "$p99" "$non2xx" "$serr" | tee -a "$results"
}

wrk_warn() {
    [ "$3" != 0 ] || [ "$4" != none ] || return 1
    echo "  WARNING: $1 run$2 had non-2xx=$3 socket-errors=$4" | tee -a "$results"
}

# interleaved_runs WIDTH: with the caller's wrk_once NAME OUTFILE DURATION
# [wrk args], its list `systems` and its associative arrays rows and med:
# one warm-up per system, then RUNS rounds running every system in turn
# (so a slow spell of the machine hits all of them), each printed by wrk_row
# WIDTH; fills rows[NAME.i] and med[NAME] with "rps p50 p99" and sets bad=1
# when a run had non-2xx answers or socket errors.
# shellcheck disable=SC2154,SC2034,SC2004 # systems, rows, med (associative) and bad are the caller's
interleaved_runs() {
    local name i out
    for name in "${systems[@]}"; do
        wrk_once "$name" "$tmp/$name.warmup.txt" "$WARMUP"
    done
    bad=0
    for i in $(seq 1 "$RUNS"); do
        for name in "${systems[@]}"; do
            out=$tmp/$name.run$i.txt
            wrk_once "$name" "$out" "$DURATION" --latency
            wrk_row "$1" "$name" "$i" "$out"
            rows[$name.$i]="$rps $p50 $p99"
            if wrk_warn "$name" "$i" "$non2xx" "$serr"; then bad=1; fi
        done
    done
    for name in "${systems[@]}"; do
        med[$name]=$(for i in $(seq 1 "$RUNS"); do echo "${rows[$name.$i]}"; done | median)
    done
}

median() {
    sort -g -k1,1 | sed -n "$(((RUNS + 1) / 2))p"
}

field_of() {
    if [ -n "${med[$1]:-}" ]; then echo "${med[$1]}" | cut -d' ' -f"$2"; fi
}

ratio() {
    local a b
    a=$(field_of "$1" 1) b=$(field_of "$2" 1)
    if [ -n "$a" ] && [ -n "$b" ]; then
        awk -v a="$a" -v b="$b" -v d="$3" 'BEGIN { printf "%.*f", d, a / b }'
    else
        echo "-"
    fi
}

verdict() {
    if [ "$1" = - ]; then
        echo "not measured"
    elif awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { exit !(op == "ge" ? v >= t : v < t) }'; then
        echo "met"
    else
        echo "NOT met"
    fi
}

table_row() {
    printf '%-*s %12s %10s %10s\n' "$@"
}

jwt_header() {
    python3 -c '
import base64, sys
h = sys.argv[1].split(".")[0]
print(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)).decode())' "$1"
}
