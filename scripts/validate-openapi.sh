#!/bin/bash
# Validates the management API's OpenAPI document against the official
# OpenAPI 3.1 schema, plus the consistency checks of tests/openapi/validate.mjs
# (references resolve, path templates match their parameters, component
# schemas compile as JSON Schema 2020-12, request bodies reject unknown fields).
#
#   scripts/validate-openapi.sh [FILE]        (default: src/portal/openapi.json)
#
# Needs Node.js and npm: installs them through scripts/deps.sh when missing.
# The validator packages are pinned in tests/openapi/package-lock.json and
# installed with `npm ci` into tests/openapi/node_modules (git-ignored) when
# that directory was not installed from the current lock file.  The last line
# is "openapi: N passed, N failed"; the exit status is 0 only if nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

file=${1:-src/portal/openapi.json}
dir=tests/openapi
stamp=$dir/node_modules/.gatehouse-package-lock.json

fail() {
    echo "validate-openapi: $*" >&2
    echo "openapi: 0 passed, 1 failed"
    exit 1
}

if ! command -v node >/dev/null 2>&1; then
    scripts/deps.sh test || fail "Node.js is missing and could not be installed"
fi
# Debian ships npm as a package of its own; NodeSource's nodejs bundles npm
# and conflicts with that package.  So npm is installed only when the command
# is missing, never by name through deps.sh's list.
if ! command -v npm >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || fail "npm is missing: run 'apt-get install npm' as root"
    echo "validate-openapi: installing npm"
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

echo "+ node $dir/validate.mjs $file"
node "$dir/validate.mjs" "$file"
