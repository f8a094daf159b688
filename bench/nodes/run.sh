#!/bin/bash
# Hot paths on PostgreSQL against SQLite (issue 8): the token endpoint
# (client_credentials, ES256 JWT, seed 003's request) and GET /authz/check
# (the bench/check request) of one gatehouse on a throwaway PostgreSQL
# cluster and one on SQLite, same binary, same world, same run, interleaved.
# Both paths read only the in-memory snapshot, so the ratio PG/SQLite should
# be about 1 (target >= 0.95).
#
#   bench/nodes/run.sh
#
# See bench/nodes/README.md.  Knobs (environment): GATEHOUSE_BIN (default
# build/gatehouse, built with make if missing), RUNS (3), DURATION (10s),
# WARMUP (3s), CONNS (64), THREADS (2, wrk threads), GH_THREADS (nproc).
# Results are printed and written to $BUILD/bench/nodes.txt (BUILD: build).
set -euo pipefail

cd "$(dirname "$0")/../.."
repo=$(pwd)
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
bench_knobs nodes

scripts/deps.sh bench
gatehouse_bin
bench_dirs
# the PostgreSQL server may run as another user (postgres, when we are root)
chmod 755 "$tmp"
pg_dir=$tmp/pg
pg_up=0
sq_pid=""
pg_pid=""

# shellcheck disable=SC2317 # called through trap
cleanup() {
    stop_pids "$sq_pid" "$pg_pid"
    if [ "$pg_up" = 1 ]; then scripts/pg-cluster.sh stop "$pg_dir" >/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_url=$(scripts/pg-cluster.sh start "$pg_dir") || fail "cannot start a PostgreSQL cluster"
pg_up=1
GATEHOUSE_MASTER_KEY=$(openssl rand -hex 32)
export GATEHOUSE_MASTER_KEY

# start_node NAME DB: gatehouse on a free port with database DB; sets port[NAME], pid
declare -A port db
start_node() {
    local p
    p=$(free_port)
    (cd "$tmp" && exec "$bin" serve --listen "127.0.0.1:$p" --db "$2" \
        --threads "$GH_THREADS" --log-level warn) 2>"$tmp/$1.log" &
    pid=$!
    port[$1]=$p
    db[$1]=$2
    wait_http "http://127.0.0.1:$p/readyz" "$pid" || fail "gatehouse on $1 did not start" "$tmp/$1.log"
}
start_node sqlite "$tmp/gh.db"
sq_pid=$pid
start_node postgres "$pg_url"
pg_pid=$pid

target='/ola/loans?customerId=12345'
declare -A url token ouri client secret extra rows med
systems=()
for store in sqlite postgres; do
    base=http://127.0.0.1:${port[$store]}
    admin=$("$bin" admin-token create --db "${db[$store]}" --name bench-nodes 2>/dev/null) ||
        fail "admin-token create on $store failed"
    world=$(python3 bench/nodes/setup_world.py "$base" "$admin") || exit 1
    # sets TENANT CLIENT_ID CLIENT_SECRET TOKEN
    eval "$world"
    # shellcheck disable=SC2153 # set by the eval above
    {
        url[token-$store]=$base/connect/token
        client[token-$store]=$CLIENT_ID
        secret[token-$store]=$CLIENT_SECRET
        extra[token-$store]="&resource=connectapi&acr_values=tenant%3A$TENANT"
        url[check-$store]=$base/authz/check
        token[check-$store]=$TOKEN
        ouri[check-$store]=$target
    }
    got=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
        -H "X-Original-URI: $target" -H "X-Original-Method: GET" "$base/authz/check")
    [ "$got" = 200 ] || fail "the check on $store answers $got, not 200"
done
systems=(token-sqlite token-postgres check-sqlite check-postgres)

{
    bench_title
    echo "  $("$bin" version | awk 'NR == 1')"
    pgbin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    echo "  $("$pgbin/postgres" --version) (throwaway cluster, fsync off, same machine)"
    echo "  $(wrk_version); wrk -t$THREADS -c$CONNS -d$DURATION --latency, keep-alive," \
        "warm-up $WARMUP, median of $RUNS runs, interleaved;" \
        "gatehouse --threads $GH_THREADS --log-level warn"
    load_before 1-3 "and the ratios noisy"
} | tee "$results"

wrk_once() { # NAME OUTFILE DURATION [extra wrk args]
    case $1 in
    token-*)
        CLIENT_ID=${client[$1]} CLIENT_SECRET=${secret[$1]} SCOPE=profile \
            EXTRA_BODY=${extra[$1]} wrk_locked "$2" "$3" -s bench/token/token.lua "${@:4}" "${url[$1]}"
        ;;
    check-*)
        TOKEN=${token[$1]} ORIGINAL_URI=${ouri[$1]} \
            wrk_locked "$2" "$3" -s bench/check/check.lua "${@:4}" "${url[$1]}"
        ;;
    esac
}

interleaved_runs 16
r_token=$(ratio token-postgres token-sqlite 3)
r_check=$(ratio check-postgres check-sqlite 3)
{
    echo
    table_row 26 "" "rps" "p50" "p99"
    for name in "${systems[@]}"; do
        read -r rps p50 p99 <<<"${med[$name]}"
        table_row 26 "$name" "$rps" "$p50" "$p99"
    done
    echo
    echo "token  PostgreSQL / SQLite: $r_token  (target >= 0.95: $(verdict "$r_token" 0.95 ge))"
    echo "check  PostgreSQL / SQLite: $r_check  (target >= 0.95: $(verdict "$r_check" 0.95 ge))"
    load_after
} | tee -a "$results"

for store in sqlite postgres; do
    p=$([ $store = sqlite ] && echo "$sq_pid" || echo "$pg_pid")
    kill -TERM "$p"
    rc=0
    wait "$p" || rc=$?
    if [ $rc -ne 0 ]; then
        echo "bench/nodes: gatehouse on $store exited with status $rc after SIGTERM" | tee -a "$results" >&2
        tail -n 20 "$tmp/$store.log" >&2
        bad=1
    fi
done
sq_pid="" pg_pid=""
echo "results: $results"
exit "$bad"
