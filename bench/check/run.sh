#!/bin/bash
# Gateway check benchmark (issue 6): gatehouse `GET /authz/check` with an
# ES256 bearer token from its own /connect/token, the service and a customer
# number, side by side in the same run with nginx `return 200` and HAProxy
# `jwt_verify` ES256 and RS256 (the gateway anchor's configs), plus a whole
# request through nginx `auth_request` + gatehouse + upstream against nginx +
# the same upstream alone.  Prints rps, p50, p99 per system and the ratios
# against the issue's targets (gatehouse >= 0.8x nginx, >= 8x HAProxy ES256,
# p99 < 1 ms at 64 connections).
#
#   bench/check/run.sh
#
# See bench/check/README.md.  Knobs (environment): GATEHOUSE_BIN (default
# build/gatehouse, built with make if missing), RUNS (3), DURATION (10s),
# WARMUP (3s), CONNS (64), THREADS (2, wrk threads), GH_THREADS (nproc),
# ONLY (space-separated subset of: nginx haproxy-es256 haproxy-rs256
# gatehouse proxy proxy-check), PERF (auto: profile gatehouse with perf when
# a target is missed; 1: always; 0: never).
# Results are printed and written to $BUILD/bench/check.txt (BUILD: build).
set -euo pipefail

cd "$(dirname "$0")/../.."
repo=$(pwd)
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
bench_knobs check
ONLY=${ONLY:-nginx haproxy-es256 haproxy-rs256 gatehouse proxy proxy-check}
PERF=${PERF:-auto}
LUA=$repo/bench/check/check.lua
ALL_SYSTEMS="nginx haproxy-es256 haproxy-rs256 gatehouse proxy proxy-check"
for s in $ONLY; do
    case " $ALL_SYSTEMS " in *" $s "*) ;; *) echo "bench/check: unknown system in ONLY: $s" >&2; exit 2 ;; esac
done
wanted() { case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
need_gh=0
if wanted gatehouse || wanted proxy-check; then need_gh=1; fi

scripts/deps.sh bench
bin=""
if [ $need_gh = 1 ]; then
    gatehouse_bin
fi

bench_dirs
perf_out=$(dirname "$results")/check-perf.txt
nginx_pid=""
haproxy_pid=""
gw_pid=""
gh_pid=""

# Stops what this script started, by PID, and removes the temp dir.
# shellcheck disable=SC2317 # called through trap
cleanup() {
    stop_pids "$gw_pid" "$gh_pid" "$haproxy_pid" "$nginx_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_port PORT PID: waits up to 10 s for PORT to accept connections while PID lives.
wait_port() {
    local i
    for i in $(seq 1 200); do
        kill -0 "$2" 2>/dev/null || return 1
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# status URL [curl args]: the HTTP status of one GET.
status() {
    local url=$1
    shift
    curl -s -o "$tmp/answer.txt" -D "$tmp/answer.hdr" -w '%{http_code}' "$@" "$url" || echo 000
}

# expect NAME CODE URL [curl args]: one sanity request; a wrong status
# fails the benchmark (what is measured must be what it claims to be).
expect() {
    local name=$1 want=$2 url=$3 got
    shift 3
    got=$(status "$url" "$@")
    if [ "$got" != "$want" ]; then
        echo "bench/check: $name: expected $want, got $got: $(head -c 300 "$tmp/answer.txt")" >&2
        exit 1
    fi
}

# ms LATENCY: wrk's latency ("812.00us", "1.20ms", "2.01s") in milliseconds.
ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000
        printf "%.3f", n
    }'
}

{
    bench_title
    [ -n "$bin" ] && echo "  $("$bin" version | awk 'NR == 1')"
    echo "  nginx $(nginx_version)," \
        "$(if command -v haproxy >/dev/null; then haproxy -v | awk 'NR == 1 {print $1, $3}'; else echo 'no haproxy'; fi)," \
        "$(wrk_version), $(openssl version | awk '{print $1, $2}')"
    echo "  wrk -t$THREADS -c$CONNS -d$DURATION --latency, keep-alive, warm-up $WARMUP," \
        "median of $RUNS runs, interleaved; gatehouse --threads $GH_THREADS --log-level warn"
    load_before 1-3 "and the ratios noisy"
} | tee "$results"

# --- OpenSSL's own P-256 speed, for context (one core, ~2 s) -----------------
speed=$(flock "$LOCK" openssl speed -seconds 1 ecdsap256 2>/dev/null |
    awk '/ecdsa \(nistp256\)/ { printf "sign %.0f/s, verify %.0f/s", $(NF - 1), $NF }')
echo "  openssl speed ecdsap256 (one core): ${speed:-not available}" | tee -a "$results"

declare -A url token ouri rows med
systems=()

# --- (a) nginx: the anchor's gateway config (return 200, 2 workers, no access
# log); it is also the upstream of (e) -----------------------------------------
nginx_port=$(free_port)
nginx_return200_conf "$nginx_port" >"$tmp/nginx.conf"
if wanted nginx || wanted proxy || wanted proxy-check; then
    nginx -c "$tmp/nginx.conf" -p "$tmp/" -e "$tmp/nginx-error.log" -g 'daemon off;' &
    nginx_pid=$!
    wait_port "$nginx_port" "$nginx_pid" || fail "nginx did not start" "$tmp/nginx-error.log"
    expect "nginx return 200" 200 "http://127.0.0.1:$nginx_port/"
    if wanted nginx; then
        systems+=(nginx)
        url[nginx]=http://127.0.0.1:$nginx_port/
    fi
fi

# --- (b), (c) HAProxy jwt_verify: the anchor's frontends, keys and tokens made
# as its setup.sh does (mkjwt.py reproduces mkjwt.mjs with openssl) -----------
if wanted haproxy-es256 || wanted haproxy-rs256; then
    if ! command -v haproxy >/dev/null; then
        echo "  haproxy: not installed (scripts/deps.sh bench installs it): HAProxy left out" | tee -a "$results"
    else
        k=$tmp/keys
        mkdir -p "$k"
        openssl ecparam -name prime256v1 -genkey -noout -out "$k/ec-key.pem"
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$k/rsa-key.pem" 2>/dev/null
        openssl ecparam -name prime256v1 -genkey -noout -out "$k/other-ec-key.pem"
        openssl pkey -in "$k/ec-key.pem" -pubout -out "$k/ec-pub.pem"
        openssl pkey -in "$k/rsa-key.pem" -pubout -out "$k/rsa-pub.pem"
        mkjwt() { python3 "$repo/bench/check/mkjwt.py" "$@"; }
        tok_es=$(mkjwt ES256 "$k/ec-key.pem")
        tok_rs=$(mkjwt RS256 "$k/rsa-key.pem")
        tok_expired=$(mkjwt ES256 "$k/ec-key.pem" -60)
        tok_scope=$(mkjwt ES256 "$k/ec-key.pem" 86400 other.scope)
        tok_badsig=$(mkjwt ES256 "$k/other-ec-key.pem")
        hp_es=$(free_port)
        hp_rs=$(free_port)
        # Only the measured frontends of ../shared/anchors/gateway/haproxy.cfg,
        # rules unchanged; ports and key paths are this run's.
        cat >"$tmp/haproxy.cfg" <<EOF
global
    nbthread 2
    maxconn 4000
    log stderr format short local0 err

defaults
    mode http
    timeout connect 5s
    timeout client  30s
    timeout server  30s
    timeout http-keep-alive 30s
    option http-keep-alive

frontend fe_jwt_es256
    bind 127.0.0.1:$hp_es
    http-request set-var(txn.bearer) http_auth_bearer
    http-request return status 403 unless { var(txn.bearer) -m found }
    http-request set-var(txn.alg) var(txn.bearer),jwt_header_query('\$.alg')
    http-request return status 403 unless { var(txn.alg) -m str ES256 }
    http-request return status 403 unless { var(txn.bearer),jwt_verify(txn.alg,"$k/ec-pub.pem") -m int 1 }
    http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('\$.exp','int')
    http-request set-var(txn.now) date()
    http-request return status 403 if { var(txn.exp),sub(txn.now) -m int le 0 }
    http-request return status 403 unless { var(txn.bearer),jwt_payload_query('\$.scope') -m reg (^|\ )api\.read(\ |$) }
    http-request return status 200 content-type text/plain string "ok"

frontend fe_jwt_rs256
    bind 127.0.0.1:$hp_rs
    http-request set-var(txn.bearer) http_auth_bearer
    http-request return status 403 unless { var(txn.bearer) -m found }
    http-request set-var(txn.alg) var(txn.bearer),jwt_header_query('\$.alg')
    http-request return status 403 unless { var(txn.alg) -m str RS256 }
    http-request return status 403 unless { var(txn.bearer),jwt_verify(txn.alg,"$k/rsa-pub.pem") -m int 1 }
    http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('\$.exp','int')
    http-request set-var(txn.now) date()
    http-request return status 403 if { var(txn.exp),sub(txn.now) -m int le 0 }
    http-request return status 403 unless { var(txn.bearer),jwt_payload_query('\$.scope') -m reg (^|\ )api\.read(\ |$) }
    http-request return status 200 content-type text/plain string "ok"
EOF
        haproxy -f "$tmp/haproxy.cfg" -c -q
        haproxy -f "$tmp/haproxy.cfg" -db 2>"$tmp/haproxy.log" &
        haproxy_pid=$!
        if ! wait_port "$hp_es" "$haproxy_pid" || ! wait_port "$hp_rs" "$haproxy_pid"; then
            fail "haproxy did not start" "$tmp/haproxy.log"
        fi
        es=http://127.0.0.1:$hp_es/
        rs=http://127.0.0.1:$hp_rs/
        expect "haproxy es256 valid" 200 "$es" -H "Authorization: Bearer $tok_es"
        expect "haproxy es256 no token" 403 "$es"
        expect "haproxy es256 expired" 403 "$es" -H "Authorization: Bearer $tok_expired"
        expect "haproxy es256 wrong scope" 403 "$es" -H "Authorization: Bearer $tok_scope"
        expect "haproxy es256 bad signature" 403 "$es" -H "Authorization: Bearer $tok_badsig"
        expect "haproxy es256 given rs256" 403 "$es" -H "Authorization: Bearer $tok_rs"
        expect "haproxy rs256 valid" 200 "$rs" -H "Authorization: Bearer $tok_rs"
        expect "haproxy rs256 given es256" 403 "$rs" -H "Authorization: Bearer $tok_es"
        if wanted haproxy-es256; then
            systems+=(haproxy-es256)
            url[haproxy-es256]=$es
            token[haproxy-es256]=$tok_es
        fi
        if wanted haproxy-rs256; then
            systems+=(haproxy-rs256)
            url[haproxy-rs256]=$rs
            token[haproxy-rs256]=$tok_rs
        fi
    fi
fi

# --- (d) gatehouse: a fresh database, the world made through the management
# API, one ES256 token from its /connect/token reused on every request ---------
target='/ola/loans?customerId=12345'
if [ $need_gh = 1 ]; then
    gh_port=$(free_port)
    gh_base=http://127.0.0.1:$gh_port
    gatehouse_start "$gh_port"
    if ! wait_port "$gh_port" "$gh_pid" || [ "$(status "$gh_base/healthz")" != 200 ]; then
        fail "gatehouse did not start" "$tmp/gatehouse.log"
    fi
    admin=$("$bin" admin-token create --db "$tmp/gh.db" --name bench-check 2>/dev/null)
    world=$(python3 bench/check/setup_world.py "$gh_base" "$admin") || exit 1
    # sets API_ID TENANT CUSTOMER TOKEN TOKEN_SECS
    eval "$world"
    # shellcheck disable=SC2153 # TOKEN comes from the eval above
    echo "  gatehouse JWT header: $(jwt_header "$TOKEN"), lifetime ${TOKEN_SECS}s" |
        tee -a "$results"
    check=$gh_base/authz/check
    auth=(-H "Authorization: Bearer $TOKEN")
    expect "gatehouse check allowed" 200 "$check" "${auth[@]}" \
        -H "X-Original-URI: $target" -H "X-Original-Method: GET"
    if ! grep -qi '^X-Gatehouse-Customer-Number: 12345' "$tmp/answer.hdr"; then
        echo "bench/check: gatehouse's 200 lacks X-Gatehouse-Customer-Number: 12345:" >&2
        cat "$tmp/answer.hdr" >&2
        exit 1
    fi
    expect "gatehouse check without token" 401 "$check" -H "X-Original-URI: $target"
    expect "gatehouse check, customer number not the partner's" 403 "$check" "${auth[@]}" \
        -H "X-Original-URI: /ola/loans?customerId=99999"
    seed001='{"code":403,"errors":[{"message":"Your API user does not have access to get data for customerId provided","field":"customerId"}]}'
    if [ "$(tr -d '\n' <"$tmp/answer.txt")" != "$seed001" ]; then
        echo "bench/check: the 403 body is not seed 001's: $(head -c 300 "$tmp/answer.txt")" >&2
        exit 1
    fi
    if wanted gatehouse; then
        systems+=(gatehouse)
        url[gatehouse]=$check
        token[gatehouse]=$TOKEN
        ouri[gatehouse]=$target
    fi
fi

# --- (e) a whole request: nginx in front of an upstream (the nginx `return 200`
# of (a)), once with contrib/nginx/gatehouse.conf (auth_request to gatehouse,
# as users run it) and once as a plain proxy with the same proxy settings and
# upstream, so that the two differ only by gatehouse's check ------------------
if wanted proxy || wanted proxy-check; then
    proxy_port=$(free_port)
    check_port=$(free_port)
    contrib=$repo/contrib/nginx/gatehouse.conf
    [ -f "$contrib" ] || { echo "bench/check: $contrib is missing" >&2; exit 1; }
    # the example's addresses become this run's: gatehouse, the upstream, the listener
    sed -e "s/server 127\.0\.0\.1:8080;/server 127.0.0.1:${gh_port:-8080};/" \
        -e "s/server 127\.0\.0\.1:3000;/server 127.0.0.1:$nginx_port;/" \
        -e "s/^\( *\)listen 80;/\1listen 127.0.0.1:$check_port;/" "$contrib" >"$tmp/gatehouse.conf"
    for want in "server 127.0.0.1:${gh_port:-8080};" "server 127.0.0.1:$nginx_port;" \
        "listen 127.0.0.1:$check_port;"; do
        if [ "$(grep -cF "$want" "$tmp/gatehouse.conf")" != 1 ]; then
            echo "bench/check: $contrib no longer has the addresses this script" \
                "replaces (upstream gatehouse 127.0.0.1:8080, protected_api 127.0.0.1:3000," \
                "listen 80): adapt run.sh" >&2
            exit 1
        fi
    done
    {
        nginx_conf_head gw
        cat <<EOF

    # nginx + auth_request to gatehouse + upstream: the example as it is
    include $tmp/gatehouse.conf;

    # nginx + the same upstream alone: the example's proxy settings, no check
    server {
        listen 127.0.0.1:$proxy_port;
        location / {
            proxy_pass http://protected_api;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
        }
    }
}
EOF
    } >"$tmp/gw.conf"
    nginx -c "$tmp/gw.conf" -p "$tmp/" -e "$tmp/gw-error.log" -g 'daemon off;' &
    gw_pid=$!
    if ! wait_port "$proxy_port" "$gw_pid" || ! wait_port "$check_port" "$gw_pid"; then
        fail "the gateway nginx did not start" "$tmp/gw-error.log"
    fi
    expect "nginx -> upstream" 200 "http://127.0.0.1:$proxy_port$target"
    if wanted proxy; then
        systems+=(proxy)
        url[proxy]=http://127.0.0.1:$proxy_port$target
    fi
    if wanted proxy-check; then
        c=http://127.0.0.1:$check_port
        expect "nginx auth_request allowed" 200 "$c$target" "${auth[@]}"
        expect "nginx auth_request without token" 401 "$c$target"
        expect "nginx auth_request, customer number not the partner's" 403 \
            "$c/ola/loans?customerId=99999" "${auth[@]}"
        if [ "$(tr -d '\n' <"$tmp/answer.txt")" != "$seed001" ]; then
            echo "bench/check: nginx's 403 body is not seed 001's: $(head -c 300 "$tmp/answer.txt")" >&2
            exit 1
        fi
        systems+=(proxy-check)
        url[proxy-check]=$c$target
        token[proxy-check]=$TOKEN
    fi
fi
# nginx+upstream gets the same Authorization header (when there is a token),
# so the two differ only by the check
if [ -n "${url[proxy]:-}" ]; then token[proxy]=${TOKEN:-}; fi

# --- wrk ----------------------------------------------------------------------
wrk_once() { # NAME OUTFILE DURATION [extra wrk args]
    TOKEN=${token[$1]:-} ORIGINAL_URI=${ouri[$1]:-} \
        wrk_locked "$2" "$3" -s "$LUA" "${@:4}" "${url[$1]}"
}

interleaved_runs 14

# --- summary -----------------------------------------------------------------
label() {
    case $1 in
    nginx) echo "nginx return 200" ;;
    haproxy-es256) echo "HAProxy jwt ES256" ;;
    haproxy-rs256) echo "HAProxy jwt RS256" ;;
    gatehouse) echo "gatehouse check" ;;
    proxy) echo "nginx+upstream" ;;
    proxy-check) echo "nginx+gatehouse+upstream" ;;
    esac
}
r_nginx=$(ratio gatehouse nginx 3)
v_nginx=$(verdict "$r_nginx" 0.8 ge)
r_es=$(ratio gatehouse haproxy-es256 1)
v_es=$(verdict "$(ratio gatehouse haproxy-es256 3)" 8 ge)
p99ms=-
if [ -n "$(field_of gatehouse 3)" ]; then p99ms=$(ms "$(field_of gatehouse 3)"); fi
v_p99=$(verdict "$p99ms" 1 lt)
missed=0
case "$v_nginx $v_es $v_p99" in *"NOT met"*) missed=1 ;; esac
{
    echo
    table_row 26 "" "rps" "p50" "p99"
    for name in "${systems[@]}"; do
        read -r rps p50 p99 <<<"${med[$name]}"
        table_row 26 "$(label "$name")" "$rps" "$p50" "$p99"
    done
    echo
    echo "gatehouse / nginx:          $r_nginx  (target >= 0.8: $v_nginx)"
    echo "gatehouse / HAProxy ES256:  $r_es  (target >= 8: $v_es)"
    echo "gatehouse / HAProxy RS256:  $(ratio gatehouse haproxy-rs256 1)"
    echo "gatehouse p99 at $CONNS connections: $p99ms ms  (target < 1 ms: $v_p99)"
    if [ -n "$(field_of nginx 3)" ]; then
        echo "  (nginx return 200's p99 in this run: $(ms "$(field_of nginx 3)") ms)"
    fi
    r=$(ratio proxy-check proxy 3)
    if [ "$r" != - ]; then
        p50a=$(ms "$(field_of proxy 2)") p50b=$(ms "$(field_of proxy-check 2)")
        echo "auth_request: nginx+gatehouse+upstream reaches $r of nginx+upstream's rps" \
            "(overhead $(ratio proxy proxy-check 2)x per request), p50 +$(awk -v a="$p50a" \
                -v b="$p50b" 'BEGIN { printf "%.3f", b - a }') ms"
    else
        echo "auth_request overhead: not measured"
    fi
    load_after
} | tee -a "$results"

# --- perf profile of gatehouse (PERF=1, or auto when a target is missed) ------
if wanted gatehouse && [ -n "${url[gatehouse]:-}" ] &&
    { [ "$PERF" = 1 ] || { [ "$PERF" = auto ] && [ $missed = 1 ]; }; }; then
    if command -v perf >/dev/null; then
        secs=$(awk -v d="$DURATION" 'BEGIN { n = d + 0; if (d ~ /m$/) n *= 60; else if (d ~ /h$/) n *= 3600; print n }')
        # shellcheck disable=SC2016 # expanded by the inner bash
        TOKEN=${token[gatehouse]} ORIGINAL_URI=${ouri[gatehouse]} flock "$LOCK" bash -c '
            perf record -q -g -o "$1" -p "$2" -- sleep "$3" >/dev/null 2>&1 &
            p=$!
            sleep 0.2
            wrk -t"$4" -c"$5" -d"$3"s -s "$6" "$7" >/dev/null 2>&1
            wait $p' _ "$tmp/perf.data" "$gh_pid" "$secs" "$THREADS" "$CONNS" "$LUA" "${url[gatehouse]}" || true
        if [ -s "$tmp/perf.data" ]; then
            # (whole reports to files first: head closing a pipe would kill
            # perf with SIGPIPE, which pipefail turns into an exit)
            perf report -i "$tmp/perf.data" --no-children --sort symbol --stdio \
                >"$tmp/perf-report.txt" 2>/dev/null || true
            awk 'NR <= 60' "$tmp/perf-report.txt" >"$perf_out"
            perf report -i "$tmp/perf.data" --no-children --sort symbol --stdio -g none \
                >"$tmp/perf-flat.txt" 2>/dev/null || true
            {
                echo
                echo "perf (gatehouse, ${secs}s under wrk): top symbols, self time; details in $perf_out"
                awk '/^ +[0-9.]+%/ && n++ < 15' "$tmp/perf-flat.txt"
            } | tee -a "$results"
        else
            echo "perf: no profile recorded (perf record failed: permissions?)" | tee -a "$results"
        fi
    else
        echo "perf: not installed; no profile" | tee -a "$results"
    fi
fi

# Stop gatehouse now to report how it shut down.
if [ -n "$gh_pid" ]; then
    stop_pids "$gw_pid"
    gw_pid=""
    gatehouse_stop || bad=1
fi
echo "results: $results"
exit "$bad"
