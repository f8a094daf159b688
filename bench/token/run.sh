#!/bin/bash
# Token endpoint benchmark: gatehouse client_credentials (seed 003's request)
# with ES256 JWTs and with opaque tokens, side by side in the same run with
# node oidc-provider (JWT ES256, opaque) and glewlwyd (PBKDF2 and plaintext
# client secrets), using the ready anchor scripts.  Prints rps, p50, p99 per
# system and the ratios against the issue's targets (gatehouse ES256 >= 8x
# oidc-provider ES256, >= 25x glewlwyd's best).
#
#   bench/token/run.sh
#
# See bench/token/README.md.  Knobs (environment): GATEHOUSE_BIN (default
# build/gatehouse, built with make if missing), ANCHORS (default
# ../shared/anchors next to the repository), RUNS (3), DURATION (10s),
# WARMUP (3s), CONNS (64), THREADS (2, wrk threads), GH_THREADS (nproc),
# GLEWLWYD_TMPFS (1: glewlwyd's database on tmpfs, its best case; needs root).
# Results are printed and written to $BUILD/bench/token.txt (BUILD: build).
set -euo pipefail

cd "$(dirname "$0")/../.."
repo=$(pwd)
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
GH_THREADS=${GH_THREADS:-$(nproc)}
GLEWLWYD_TMPFS=${GLEWLWYD_TMPFS:-1}
ANCHORS=${ANCHORS:-$repo/../shared/anchors}
BUILD=${BUILD:-build}
LOCK=/tmp/bench.lock
LUA=$repo/bench/token/token.lua

scripts/deps.sh bench
if [ -z "${GATEHOUSE_BIN:-}" ]; then
    make -s -j"$(nproc)" BUILD="$BUILD" "$BUILD/gatehouse"
    GATEHOUSE_BIN=$BUILD/gatehouse
fi
bin=$(cd "$(dirname "$GATEHOUSE_BIN")" && pwd)/$(basename "$GATEHOUSE_BIN")
[ -x "$bin" ] || { echo "bench/token: $bin is not executable" >&2; exit 1; }

mkdir -p "$BUILD/bench"
results=$(cd "$BUILD/bench" && pwd)/token.txt
tmp=$(mktemp -d /tmp/gh-bench-token.XXXXXX)
gh_pid=""
oidc_up=0
glew_up=0

# Stops what this script started: gatehouse by its PID, the anchors through
# their stop.sh (which kill the PIDs their setup.sh recorded).
# shellcheck disable=SC2317 # called through trap
cleanup() {
    if [ -n "$gh_pid" ] && kill -0 "$gh_pid" 2>/dev/null; then
        kill -TERM "$gh_pid" 2>/dev/null || true
        wait "$gh_pid" 2>/dev/null || true
    fi
    if [ "$oidc_up" = 1 ]; then bash "$ANCHORS/oidc-provider/stop.sh" || true; fi
    if [ "$glew_up" = 1 ]; then bash "$ANCHORS/glewlwyd/stop.sh" || true; fi
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

# alive PIDFILE: the file names a running process.
alive() {
    [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# fields FILE: rps p50 p99 non2xx socket-errors of one wrk output.
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

# check_token NAME URL BODY: one request with curl; 200 with an access_token
# or the system is left out (its answer is shown).
check_token() {
    local code
    code=$(curl -s -o "$tmp/check.json" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/x-www-form-urlencoded' --data "$3" "$2") || code=000
    if [ "$code" != 200 ] || ! grep -q '"access_token"' "$tmp/check.json"; then
        echo "  $1: token request answered $code: $(head -c 300 "$tmp/check.json")" | tee -a "$results"
        return 1
    fi
}

declare -A med
order=()

# measure NAME URL: warm-up, then RUNS wrk runs under the lock; records the
# median run's "rps p50 p99" in med[NAME].  CLIENT_ID, CLIENT_SECRET, SCOPE
# and EXTRA_BODY must be exported for token.lua.
bad=0
measure() {
    local name=$1 url=$2 i rps p50 p99 non2xx serr out rows=()
    flock "$LOCK" wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$LUA" "$url" \
        >"$tmp/$name.warmup.txt" 2>&1
    for i in $(seq 1 "$RUNS"); do
        out=$tmp/$name.run$i.txt
        flock "$LOCK" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$LUA" "$url" \
            >"$out" 2>&1
        read -r rps p50 p99 non2xx serr < <(fields "$out")
        if [ -z "$rps" ]; then
            echo "bench/token: wrk failed against $name:" >&2
            cat "$out" >&2
            exit 1
        fi
        printf '  %-24s run%d  rps=%-10s p50=%-9s p99=%-9s non-2xx=%s socket-errors=%s\n' \
            "$name" "$i" "$rps" "$p50" "$p99" "$non2xx" "$serr" | tee -a "$results"
        if [ "$non2xx" != 0 ] || [ "$serr" != none ]; then
            echo "  WARNING: $name run$i had non-2xx=$non2xx socket-errors=$serr" | tee -a "$results"
            # an anchor's timeouts (glewlwyd's PBKDF2 runs past wrk's 2 s) are
            # its figure; only gatehouse's failures fail the benchmark
            case $name in gatehouse-*) bad=1 ;; esac
        fi
        rows+=("$rps $p50 $p99")
    done
    med[$name]=$(printf '%s\n' "${rows[@]}" | sort -g -k1,1 | sed -n "$(((RUNS + 1) / 2))p")
    order+=("$name")
}

{
    echo "bench/token $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) cores," \
        "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "  $("$bin" version | head -n 1)"
    echo "  $(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}'): -t$THREADS -c$CONNS -d$DURATION" \
        "--latency, keep-alive, POST form body (bench/token/token.lua), warm-up $WARMUP," \
        "median of $RUNS runs; gatehouse --threads $GH_THREADS --log-level warn"
    load=$(cut -d' ' -f1 /proc/loadavg)
    echo "  load average before: $load"
    if awk -v l="$load" 'BEGIN { exit !(l > 1.0) }'; then
        echo "  WARNING: the machine was busy before this run (load > 1); figures may be low"
    fi
} | tee "$results"

# --- gatehouse: a fresh database, the world made through the management API --
gh_port=$(free_port)
gh_base=http://127.0.0.1:$gh_port
(cd "$tmp" && exec "$bin" serve --listen "127.0.0.1:$gh_port" --db "$tmp/gh.db" \
    --threads "$GH_THREADS" --log-level warn) 2>"$tmp/gatehouse.log" &
gh_pid=$!
wait_http "$gh_base/healthz" "$gh_pid" || {
    echo "bench/token: gatehouse did not start" >&2
    cat "$tmp/gatehouse.log" >&2
    exit 1
}
admin=$("$bin" admin-token create --db "$tmp/gh.db" --name bench-token)
world=$(python3 bench/token/setup_world.py "$gh_base" "$admin") || exit 1
eval "$world"

gh_body() { # CLIENT_ID SECRET: seed 003's request
    printf 'grant_type=client_credentials&client_id=%s&client_secret=%s&scope=profile' "$1" "$2"
    printf '&resource=connectapi&acr_values=tenant%%3A%s' "$TENANT"
}
export SCOPE=profile EXTRA_BODY="&resource=connectapi&acr_values=tenant%3A$TENANT"
for kind in jwt opaque; do
    if [ $kind = jwt ]; then id=$JWT_ID secret=$JWT_SECRET; else id=$OPAQUE_ID secret=$OPAQUE_SECRET; fi
    check_token "gatehouse-$kind" "$gh_base/connect/token" "$(gh_body "$id" "$secret")" || exit 1
    [ $kind = jwt ] && echo "  gatehouse JWT header: $(python3 -c '
import base64, json, sys
h = json.load(sys.stdin)["access_token"].split(".")[0]
print(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)).decode())' <"$tmp/check.json")" |
        tee -a "$results"
    CLIENT_ID=$id CLIENT_SECRET=$secret measure "gatehouse-$kind" "$gh_base/connect/token"
done

# --- the anchors -----------------------------------------------------------
if [ ! -d "$ANCHORS" ]; then
    echo "  anchors: $ANCHORS is missing: benchmarking gatehouse alone (no ratios)" |
        tee -a "$results"
else
    ANCHORS=$(cd "$ANCHORS" && pwd)
    anchor_secret=bench-secret-0123456789abcdef
    export SCOPE=api.read EXTRA_BODY=""
    # node oidc-provider: one process on :3000 per token format
    if command -v node >/dev/null && command -v npm >/dev/null; then
        for fmt in jwt opaque; do
            if alive /tmp/anchors/oidc/node.pid; then
                echo "  oidc-provider: one is already running (not ours): left out" | tee -a "$results"
                break
            fi
            oidc_up=1
            if ! ATFORMAT=$fmt SIGN_ALG=ES256 bash "$ANCHORS/oidc-provider/setup.sh" \
                >"$tmp/oidc-$fmt.setup.txt" 2>&1; then
                echo "  oidc-provider ($fmt) did not start: $(tail -n 3 "$tmp/oidc-$fmt.setup.txt")" |
                    tee -a "$results"
                alive /tmp/anchors/oidc/node.pid && bash "$ANCHORS/oidc-provider/stop.sh"
                oidc_up=0
                continue
            fi
            echo "  oidc-provider $fmt: $(grep -m1 '^node ' "$tmp/oidc-$fmt.setup.txt" || true)" |
                tee -a "$results"
            if check_token "oidc-provider-$fmt" http://127.0.0.1:3000/token \
                "grant_type=client_credentials&client_id=bench-client&client_secret=$anchor_secret&scope=api.read"; then
                CLIENT_ID=bench-client CLIENT_SECRET=$anchor_secret \
                    measure "oidc-provider-$fmt" http://127.0.0.1:3000/token
            fi
            bash "$ANCHORS/oidc-provider/stop.sh"
            oidc_up=0
        done
    else
        echo "  oidc-provider: node/npm missing (scripts/deps.sh test installs node): left out" |
            tee -a "$results"
    fi
    # glewlwyd (Debian package), SQLite on tmpfs when root and GLEWLWYD_TMPFS=1
    if ! command -v glewlwyd >/dev/null && [ "$(id -u)" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 install \
            glewlwyd sqlite3 jq </dev/null >/dev/null 2>&1 || true
    fi
    if alive /tmp/anchors/glewlwyd/glewlwyd.pid; then
        echo "  glewlwyd: one is already running (not ours): left out" | tee -a "$results"
    elif command -v glewlwyd >/dev/null; then
        tmpfs=0
        [ "$GLEWLWYD_TMPFS" = 1 ] && [ "$(id -u)" -eq 0 ] && tmpfs=1
        glew_up=1
        started=0
        if DB_TMPFS=$tmpfs bash "$ANCHORS/glewlwyd/setup.sh" >"$tmp/glewlwyd.setup.txt" 2>&1; then
            started=1
        elif [ $tmpfs = 1 ]; then
            # no tmpfs here (e.g. a container without mount rights): on disk
            bash "$ANCHORS/glewlwyd/stop.sh"
            tmpfs=0
            DB_TMPFS=0 bash "$ANCHORS/glewlwyd/setup.sh" >"$tmp/glewlwyd.setup.txt" 2>&1 && started=1
        fi
        if [ $started = 1 ]; then
            echo "  glewlwyd $(glewlwyd --version 2>&1 | head -n 1 | awk '{print $NF}')," \
                "database on $([ $tmpfs = 1 ] && echo tmpfs || echo disk)" | tee -a "$results"
            for c in bench-client bench-plain; do
                n=glewlwyd-pbkdf2
                [ $c = bench-plain ] && n=glewlwyd-plain
                if check_token "$n" http://127.0.0.1:4593/api/oidc/token \
                    "grant_type=client_credentials&client_id=$c&client_secret=$anchor_secret&scope=api.read"; then
                    CLIENT_ID=$c CLIENT_SECRET=$anchor_secret \
                        measure "$n" http://127.0.0.1:4593/api/oidc/token
                fi
            done
        else
            echo "  glewlwyd did not start: $(tail -n 3 "$tmp/glewlwyd.setup.txt")" | tee -a "$results"
        fi
        bash "$ANCHORS/glewlwyd/stop.sh"
        glew_up=0
    else
        echo "  glewlwyd: not installed (apt-get install glewlwyd as root): left out" |
            tee -a "$results"
    fi
fi

# --- summary -----------------------------------------------------------------
rps_of() { [ -n "${med[$1]:-}" ] && echo "${med[$1]}" | cut -d' ' -f1; }
ratio() { # A B: A/B with 1 decimal, or "-" when either is missing
    local a b
    a=$(rps_of "$1") b=$(rps_of "$2")
    if [ -n "$a" ] && [ -n "$b" ]; then
        awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", a / b }'
    else
        echo "-"
    fi
}
verdict() { # RATIO TARGET
    [ "$1" = - ] && { echo "not measured"; return; }
    awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t ? "met" : "NOT met") }'
}
{
    echo
    printf '%-24s %12s %10s %10s\n' "" "rps" "p50" "p99"
    for name in "${order[@]}"; do
        read -r rps p50 p99 <<<"${med[$name]}"
        printf '%-24s %12s %10s %10s\n' "$name" "$rps" "$p50" "$p99"
    done
    best=""
    for n in glewlwyd-pbkdf2 glewlwyd-plain; do
        r=$(rps_of $n) || continue
        if [ -z "$best" ] || awk -v a="$r" -v b="$(rps_of "$best")" 'BEGIN { exit !(a > b) }'; then
            best=$n
        fi
    done
    echo
    r=$(ratio gatehouse-jwt oidc-provider-jwt)
    echo "gatehouse ES256 / oidc-provider ES256:  $r  (target >= 8: $(verdict "$r" 8))"
    r=$(ratio gatehouse-opaque oidc-provider-opaque)
    echo "gatehouse opaque / oidc-provider opaque: $r"
    if [ -n "$best" ]; then
        r=$(ratio gatehouse-jwt "$best")
        echo "gatehouse ES256 / glewlwyd best ($best): $r  (target >= 25: $(verdict "$r" 25))"
    else
        echo "gatehouse ES256 / glewlwyd best: -  (target >= 25: not measured)"
    fi
    r=$(ratio gatehouse-opaque gatehouse-jwt)
    echo "gatehouse opaque / gatehouse ES256:      $r"
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$results"

# Stop gatehouse now to report how it shut down.
kill -TERM "$gh_pid"
rc=0
wait "$gh_pid" || rc=$?
gh_pid=""
if [ "$rc" -ne 0 ]; then
    echo "bench/token: gatehouse exited with status $rc after SIGTERM" | tee -a "$results" >&2
    tail -n 20 "$tmp/gatehouse.log" >&2
    bad=1
fi
echo "results: $results"
exit "$bad"
