#!/usr/bin/env bash
# A private, throwaway PostgreSQL cluster for the tests.
#   eval "$(bash scripts/postgres.sh start)"   # prints LANGGRAPH_JIT_TEST_PG_DSN / _DIR exports
#   bash scripts/postgres.sh stop [DIR]        # stops it and removes DIR (default: $LANGGRAPH_JIT_TEST_PG_DIR)
# The cluster lives in a temporary directory, listens on a free port of
# 127.0.0.1 (and a socket in that directory), trusts local connections, and
# runs without fsync: it is for tests only. PostgreSQL refuses to run as root,
# so as root the server runs as the `postgres` system user. Missing binaries
# are installed with apt-get (CI runs as root on a fresh machine).
set -euo pipefail

find_pgbin() {
    local d
    for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    local pgbin
    if ! pgbin="$(find_pgbin)"; then
        echo "postgres.sh: installing PostgreSQL (apt-get)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq postgresql-15 >&2 || apt-get install -y -qq postgresql >&2
        pgbin="$(find_pgbin)"
    fi
    local dir port
    dir="$(mktemp -d "${TMPDIR:-/tmp}/lgjit-pg.XXXXXX")"
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir "$dir" postgres
        chown postgres "$dir"
    fi
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    as_pg "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1; }
    as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
        start >&2 || { cat "$dir/server.log" >&2; rm -rf "$dir"; exit 1; }
    echo "export LANGGRAPH_JIT_TEST_PG_DSN='postgresql://postgres@127.0.0.1:$port/postgres'"
    echo "export LANGGRAPH_JIT_TEST_PG_DIR='$dir'"
}

stop() {
    local dir="${1:-${LANGGRAPH_JIT_TEST_PG_DIR:-}}"
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    local pgbin
    if pgbin="$(find_pgbin)" && [ -f "$dir/data/postmaster.pid" ]; then
        as_pg "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
