#!/bin/bash
# Makes DIR's pinned npm packages ready: Node.js and npm present, and
# DIR/node_modules installed with `npm ci` from DIR/package-lock.json unless
# it was already installed from that very lock file.
#
#   scripts/npm-ci.sh DIR          (tests/openapi, tests/e2e)
#
# Node.js comes from Debian through scripts/deps.sh.  Debian ships npm as a
# package of its own, while NodeSource's nodejs bundles npm and conflicts
# with that package, so npm is installed only when the command is missing,
# never by name through deps.sh's lists.  Prints nothing when all is ready.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

if [ $# -ne 1 ] || [ ! -f "$1/package-lock.json" ]; then
    echo "usage: $0 DIR   (DIR holds package.json and package-lock.json)" >&2
    exit 2
fi
dir=$1
stamp=$dir/node_modules/.gatehouse-package-lock.json

fail() {
    echo "npm-ci: $*" >&2
    exit 1
}

if ! command -v node >/dev/null 2>&1; then
    scripts/deps.sh test || fail "Node.js is missing and could not be installed"
fi
if ! command -v npm >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || fail "npm is missing: run 'apt-get install npm' as root"
    echo "npm-ci: installing npm"
    DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0 \
        -o DPkg::Lock::Timeout=300 install npm </dev/null >/dev/null ||
        fail "apt-get install npm failed"
    command -v npm >/dev/null 2>&1 || fail "npm is still missing after apt-get install npm"
fi

if ! cmp -s "$dir/package-lock.json" "$stamp"; then
    echo "+ npm ci --prefix $dir --no-audit --no-fund"
    npm ci --prefix "$dir" --no-audit --no-fund || fail "npm ci failed"
    cp "$dir/package-lock.json" "$stamp"
fi
