#!/bin/bash
# Checks that every source file includes project headers only from its own
# layer or a lower one (README "Layout"; DESIGN.md "Architecture").
#
#   core < crypto < http < domain < store < oauth, authz, portal < main.c
#
# DESIGN.md draws core, crypto and http on one row; they are ordered here so
# that http may use crypto (random request ids) and never the reverse.
# oauth, authz and portal are siblings: none may include another.  Prints
# each violation and exits 1 if any.  The domain layer is pure (no HTTP, no
# SQL): it may use core and crypto only.
set -euo pipefail
cd "$(dirname "$0")/.."

rank() {
    case "$1" in
    core) echo 0 ;;
    crypto) echo 1 ;;
    http) echo 2 ;;
    domain) echo 3 ;;
    store) echo 4 ;;
    oauth | authz | portal) echo 5 ;;
    main) echo 6 ;;
    *) echo -1 ;;
    esac
}

bad=0
while IFS= read -r file; do
    if [[ $file == src/main.c ]]; then
        layer=main
    else
        layer=${file#src/}
        layer=${layer%%/*}
    fi
    mine=$(rank "$layer")
    if [[ $mine -lt 0 ]]; then
        echo "$file: not in a known layer directory"
        bad=1
        continue
    fi
    while IFS= read -r inc; do
        dep=${inc%%/*}
        theirs=$(rank "$dep")
        if [[ $theirs -lt 0 ]]; then
            echo "$file: includes \"$inc\" from unknown layer '$dep'"
            bad=1
        elif [[ $dep != "$layer" && $theirs -ge $mine ]]; then
            echo "$file: layer '$layer' must not include \"$inc\" (layer '$dep' is not below it)"
            bad=1
        elif [[ $layer == domain && $dep == http ]]; then
            echo "$file: the domain layer is pure and must not include \"$inc\""
            bad=1
        fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(find src -name '*.[ch]' | sort)

# Library headers that belong to one place: the SQLite and PostgreSQL client
# APIs only in their store backends, libmicrohttpd only in the HTTP layer
# (main.c prints their versions).
check_lib() {
    local header=$1 allowed=$2
    while IFS= read -r file; do
        if [[ ! $file =~ $allowed ]]; then
            echo "$file: includes <$header>, allowed only in files matching $allowed"
            bad=1
        fi
    done < <(grep -rl --include='*.[ch]' "^[[:space:]]*#[[:space:]]*include[[:space:]]*<$header>" src || true)
}
check_lib sqlite3.h '^src/(store/(db|schema)_sqlite\.c|main\.c)$'
check_lib libpq-fe.h '^src/(store/((db|schema)_pg|listen)\.c|main\.c)$'
check_lib microhttpd.h '^src/(http/[a-z_]+\.[ch]|main\.c)$'

if [[ $bad -ne 0 ]]; then
    echo "layer check: FAILED"
    exit 1
fi
echo "layer check: ok ($(find src -name '*.[ch]' | wc -l) files)"
