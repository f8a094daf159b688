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

fail() {
    echo "validate-openapi: $*" >&2
    echo "openapi: 0 passed, 1 failed"
    exit 1
}

scripts/npm-ci.sh "$dir" || fail "the pinned npm packages of $dir are not ready"

echo "+ node $dir/validate.mjs $file"
node "$dir/validate.mjs" "$file"
