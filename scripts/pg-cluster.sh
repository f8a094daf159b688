#!/bin/bash
# A throwaway PostgreSQL cluster for tests: fast (fsync off), loopback only,
# trust authentication, removed afterwards.
#
#   scripts/pg-cluster.sh start DIR     creates DIR, initdb, starts the server on a
#                                       free 127.0.0.1 port, creates database
#                                       "gatehouse"; prints exactly one line on stdout:
#                                       postgres://gatehouse@127.0.0.1:PORT/gatehouse
#   scripts/pg-cluster.sh restart DIR   stops and starts the same cluster on the same
#                                       port (an outage); prints the same URL line
#   scripts/pg-cluster.sh stop DIR      stops it (pg_ctl -m fast) and removes DIR
#   scripts/pg-cluster.sh url DIR       prints the URL of a started cluster
#
# DIR must not exist before start; its parent directories must be searchable
# by the user running the server.  Run as root, the server runs as the
# `postgres` system user of the Debian package (initdb refuses root) and DIR
# is chowned to it; run as anyone else, as that user.  Uses the binaries
# under /usr/lib/postgresql/*/bin (the newest); installs nothing
# (scripts/deps.sh test does).  Progress and errors go to stderr; the server
# log is DIR/server.log.
set -euo pipefail

usage() {
    echo "usage: $0 start|restart|stop|url DIR" >&2
    exit 2
}

die() {
    echo "pg-cluster: $*" >&2
    exit 1
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2
[ -n "$dir" ] || usage
case "$dir" in
/*) ;;
*) dir="$PWD/$dir" ;;
esac
dir=${dir%/}
marker="$dir/.gatehouse-pg-cluster"
DB_USER=gatehouse
DB_NAME=gatehouse

# The newest major version when several are installed.
bindir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
if [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
    die "no initdb/pg_ctl under /usr/lib/postgresql/*/bin (install them: scripts/deps.sh test)"
fi

# as_server CMD...: runs CMD as the user owning the cluster.
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

url_of() {
    echo "postgres://$DB_USER@127.0.0.1:$(cat "$dir/port")/$DB_NAME"
}

# The port is given on the command line (not in postgresql.conf), so that
# start can retry with another one when a concurrent process took it.
pg_start() {
    as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "-p $(cat "$dir/port")" \
        -w -t 60 start >&2
}

pg_stop() {
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_server "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2
    fi
}

start() {
    [ ! -e "$dir" ] || die "$dir already exists"
    mkdir -p "$dir"
    touch "$marker"
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || die "no postgres system user (install postgresql)"
        chown -R postgres: "$dir"
        as_server test -x "$dir" ||
            die "user postgres cannot reach $dir: its parent directories must be searchable"
    fi
    as_server "$bindir/initdb" -D "$dir/data" -U "$DB_USER" --auth=trust --no-locale \
        -E UTF8 >"$dir/initdb.log" 2>&1 || die "initdb failed; see $dir/initdb.log"
    cat >>"$dir/data/postgresql.conf" <<EOF

# scripts/pg-cluster.sh: a throwaway test cluster (the port: see DIR/port)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    local attempt
    for attempt in 1 2 3 4 5; do
        free_port >"$dir/port"
        pg_start && break
        [ "$attempt" -lt 5 ] || die "the server did not start; see $dir/server.log"
    done
    as_server "$bindir/createdb" -h 127.0.0.1 -p "$(cat "$dir/port")" -U "$DB_USER" "$DB_NAME" ||
        die "createdb $DB_NAME failed"
    url_of
}

case "$cmd" in
start)
    start
    ;;
restart)
    [ -f "$marker" ] || die "$dir is not a cluster made by $0"
    pg_stop
    pg_start || die "the server did not start; see $dir/server.log"
    url_of
    ;;
stop)
    [ -e "$dir" ] || exit 0
    [ -f "$marker" ] || die "$dir is not a cluster made by $0; not removing it"
    pg_stop || true
    rm -rf "$dir"
    ;;
url)
    [ -f "$dir/port" ] || die "$dir is not a started cluster"
    url_of
    ;;
*)
    usage
    ;;
esac
