#!/bin/bash
# Installs the Debian 12 packages gatehouse needs, only those that are missing.
#
#   scripts/deps.sh [build|test|bench|all]...      (default: all)
#
#   build  compiler, the libraries `make` links against, curl and jq (README quickstart)
#   test   build + what scripts/test.sh needs (cmocka; clang-14 and its runtime
#          libraries for the sanitizer and libFuzzer builds; clang-format,
#          clang-tidy, cppcheck for make format/lint; python3 for the
#          integration tests; curl, sqlite3, jq; nodejs: OpenAPI validation;
#          openssl: test certificates; nginx: the gateway tests of
#          contrib/nginx/gatehouse.conf; python3-aiosmtpd: the loopback SMTP
#          server of tests/integration/test_smtp.py; postgresql: the throwaway
#          clusters of scripts/pg-cluster.sh for the PostgreSQL test phase;
#          chromium: the browser tests of tests/e2e, scripts/run-e2e.sh)
#   bench  build + nginx, wrk, haproxy, openssl, python3 and postgresql
#          (bench/nodes) for bench/*/run.sh
#
# Prints nothing and changes nothing when every package is already installed,
# so it is cheap to call first from every script.  Installing needs root; run
# as another user it succeeds only if nothing is missing.  Non-interactive:
# never prompts and starts no services (nginx is only installed, not started).
set -euo pipefail

BUILD_PKGS="build-essential pkg-config curl jq libmicrohttpd-dev libjansson-dev libsqlite3-dev
  libssl-dev libargon2-dev libcurl4-openssl-dev libpq-dev"
TEST_PKGS="clang clang-14 libclang-rt-14-dev clang-format clang-tidy cppcheck libcmocka-dev
  python3 python3-aiosmtpd curl sqlite3 jq nodejs openssl nginx postgresql chromium"
BENCH_PKGS="nginx wrk curl haproxy openssl python3 postgresql"

usage() {
    echo "usage: $0 [build|test|bench|all]..." >&2
    exit 2
}

wanted=""
[ $# -eq 0 ] && set -- all
for group in "$@"; do
    case "$group" in
    build) wanted+=" $BUILD_PKGS" ;;
    test) wanted+=" $BUILD_PKGS $TEST_PKGS" ;;
    bench) wanted+=" $BUILD_PKGS $BENCH_PKGS" ;;
    all) wanted+=" $BUILD_PKGS $TEST_PKGS $BENCH_PKGS" ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage ;;
    esac
done

# Prints the wanted packages that are not installed ("ii" = installed).
# dpkg-query reports unknown packages on stderr and skips them; they count
# as missing too.
missing_of() {
    local installed
    installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null |
        awk '$1 == "ii" { print $2 }' | sed 's/:.*//' || true)
    local pkg
    for pkg in "$@"; do
        grep -qxF "$pkg" <<<"$installed" || echo "$pkg"
    done
}

# shellcheck disable=SC2086 # the package lists are split on purpose
mapfile -t unique < <(printf '%s\n' $wanted | sort -u)
mapfile -t missing < <(missing_of "${unique[@]}")

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing Debian packages: ${missing[*]}" >&2
    echo "deps.sh: installing them needs root: run 'scripts/deps.sh $*' as root," \
        "or 'apt-get install ${missing[*]}'" >&2
    exit 1
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-q -y -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300)

# Keep package scripts from starting daemons (nginx would grab port 80):
# policy-rc.d exit 101 = "action forbidden".  Removed again on exit unless
# the machine already had one.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi

apt-get "${apt_opts[@]}" update >/dev/null
apt-get "${apt_opts[@]}" install "${missing[@]}" </dev/null

mapfile -t still < <(missing_of "${missing[@]}")
if [ ${#still[@]} -ne 0 ]; then
    echo "deps.sh: still missing after apt-get install: ${still[*]}" >&2
    exit 1
fi
echo "deps.sh: installed ${#missing[@]} package(s)"
