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
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
bench_knobs token
GLEWLWYD_TMPFS=${GLEWLWYD_TMPFS:-1}
ANCHORS=${ANCHORS:-$repo/../shared/anchors}
LUA=$repo/bench/token/token.lua

scripts/deps.sh bench
gatehouse_bin
bench_dirs
gh_pid=""
oidc_up=0
glew_up=0

# Stops what this script started: gatehouse by its PID, the anchors through
# their stop.sh (which kill the PIDs their setup.sh recorded).
# shellcheck disable=SC2317 # called through trap
cleanup() {
    stop_pids "$gh_pid"
    if [ "$oidc_up" = 1 ]; then bash "$ANCHORS/oidc-provider/stop.sh" || true; fi
    if [ "$glew_up" = 1 ]; then bash "$ANCHORS/glewlwyd/stop.sh" || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# alive PIDFILE: the file names a running process.
alive() {
    [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
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
    wrk_locked "$tmp/$name.warmup.txt" "$WARMUP" -s "$LUA" "$url"
    for i in $(seq 1 "$RUNS"); do
        out=$tmp/$name.run$i.txt
        wrk_locked "$out" "$DURATION" --latency -s "$LUA" "$url"
        wrk_row 24 "$name" "$i" "$out"
        if wrk_warn "$name" "$i" "$non2xx" "$serr"; then
            # an anchor's timeouts (glewlwyd's PBKDF2 runs past wrk's 2 s) are
            # its figure; only gatehouse's failures fail the benchmark
            case $name in gatehouse-*) bad=1 ;; esac
        fi
        rows+=("$rps $p50 $p99")
    done
    med[$name]=$(printf '%s\n' "${rows[@]}" | median)
    order+=("$name")
}

{
    bench_title
    echo "  $("$bin" version | head -n 1)"
    echo "  $(wrk_version): -t$THREADS -c$CONNS -d$DURATION" \
        "--latency, keep-alive, POST form body (bench/token/token.lua), warm-up $WARMUP," \
        "median of $RUNS runs; gatehouse --threads $GH_THREADS --log-level warn"
    load_before 1
} | tee "$results"

# --- gatehouse: a fresh database, the world made through the management API --
gh_port=$(free_port)
gh_base=http://127.0.0.1:$gh_port
gatehouse_start "$gh_port"
wait_http "$gh_base/healthz" "$gh_pid" || fail "gatehouse did not start" "$tmp/gatehouse.log"
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
    [ $kind = jwt ] && echo "  gatehouse JWT header: $(jwt_header "$(jq -r .access_token "$tmp/check.json")")" |
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
{
    echo
    table_row 24 "" "rps" "p50" "p99"
    for name in "${order[@]}"; do
        read -r rps p50 p99 <<<"${med[$name]}"
        table_row 24 "$name" "$rps" "$p50" "$p99"
    done
    best=""
    for n in glewlwyd-pbkdf2 glewlwyd-plain; do
        r=$(field_of $n 1)
        [ -n "$r" ] || continue
        if [ -z "$best" ] || awk -v a="$r" -v b="$(field_of "$best" 1)" 'BEGIN { exit !(a > b) }'; then
            best=$n
        fi
    done
    echo
    r=$(ratio gatehouse-jwt oidc-provider-jwt 1)
    echo "gatehouse ES256 / oidc-provider ES256:  $r  (target >= 8: $(verdict "$r" 8 ge))"
    r=$(ratio gatehouse-opaque oidc-provider-opaque 1)
    echo "gatehouse opaque / oidc-provider opaque: $r"
    if [ -n "$best" ]; then
        r=$(ratio gatehouse-jwt "$best" 1)
        echo "gatehouse ES256 / glewlwyd best ($best): $r  (target >= 25: $(verdict "$r" 25 ge))"
    else
        echo "gatehouse ES256 / glewlwyd best: -  (target >= 25: not measured)"
    fi
    r=$(ratio gatehouse-opaque gatehouse-jwt 1)
    echo "gatehouse opaque / gatehouse ES256:      $r"
    load_after
} | tee -a "$results"

# Stop gatehouse now to report how it shut down.
gatehouse_stop || bad=1
echo "results: $results"
exit "$bad"
