#!/usr/bin/env bash
# A private, throwaway MariaDB server for the tests (the MySQL saver and store).
#   eval "$(bash scripts/mysql.sh start)"   # prints LANGGRAPH_JIT_TEST_MYSQL_DSN / _DIR exports
#   bash scripts/mysql.sh stop [DIR]        # stops it and removes DIR (default: $LANGGRAPH_JIT_TEST_MYSQL_DIR)
# The server lives in a temporary directory, listens on a free port of
# 127.0.0.1 (and a socket in that directory), uses utf8mb4 and strict mode,
# and does not flush its log at each commit: it is for tests only. As root it
# runs as the `mysql` system user. Missing binaries are installed with apt-get
# (CI runs as root on a fresh machine).
set -euo pipefail

find_bin() {
    local name
    for name in "$@"; do
        for dir in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
            if [ -x "$dir/$name" ]; then
                echo "$dir/$name"
                return 0
            fi
        done
    done
    return 1
}

start() {
    local server install admin client
    if ! server="$(find_bin mariadbd mysqld)"; then
        echo "mysql.sh: installing MariaDB (apt-get)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq mariadb-server >&2
        server="$(find_bin mariadbd mysqld)"
    fi
    install="$(find_bin mariadb-install-db mysql_install_db)"
    admin="$(find_bin mariadb-admin mysqladmin)"
    client="$(find_bin mariadb mysql)"
    local dir port user_opt=()
    dir="$(mktemp -d "${TMPDIR:-/tmp}/lgjit-mysql.XXXXXX")"
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        id mysql >/dev/null 2>&1 || useradd --system --home-dir "$dir" mysql
        chown mysql "$dir"
        user_opt=(--user=mysql)
    fi
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    "$install" --no-defaults "${user_opt[@]}" --datadir="$dir/data" --skip-test-db \
        --auth-root-authentication-method=socket >"$dir/install.log" 2>&1 \
        || { cat "$dir/install.log" >&2; rm -rf "$dir"; exit 1; }
    "$server" --no-defaults "${user_opt[@]}" --datadir="$dir/data" \
        --socket="$dir/mysql.sock" --port="$port" --bind-address=127.0.0.1 \
        --pid-file="$dir/server.pid" --log-error="$dir/server.log" \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
        --sql-mode=STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION \
        --transaction-isolation=READ-COMMITTED \
        --skip-log-bin --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=64M \
        --innodb-log-file-size=32M --max-allowed-packet=256M --max-connections=200 \
        >/dev/null 2>&1 &
    local i
    for i in $(seq 1 120); do
        if "$admin" --no-defaults --socket="$dir/mysql.sock" -uroot ping >/dev/null 2>&1; then
            break
        fi
        if [ "$i" -eq 120 ]; then
            cat "$dir/server.log" >&2 || true
            stop "$dir"
            exit 1
        fi
        sleep 0.5
    done
    "$client" --no-defaults --socket="$dir/mysql.sock" -uroot <<SQL
CREATE DATABASE lgjit CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER 'lgjit'@'127.0.0.1' IDENTIFIED BY 'lgjit';
CREATE USER 'lgjit'@'localhost' IDENTIFIED BY 'lgjit';
GRANT ALL PRIVILEGES ON *.* TO 'lgjit'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'lgjit'@'localhost';
SQL
    echo "export LANGGRAPH_JIT_TEST_MYSQL_DSN='mysql://lgjit:lgjit@127.0.0.1:$port/lgjit'"
    echo "export LANGGRAPH_JIT_TEST_MYSQL_DIR='$dir'"
}

stop() {
    local dir="${1:-${LANGGRAPH_JIT_TEST_MYSQL_DIR:-}}"
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    local admin pid i
    if [ -S "$dir/mysql.sock" ] && admin="$(find_bin mariadb-admin mysqladmin)"; then
        "$admin" --no-defaults --socket="$dir/mysql.sock" -uroot shutdown >/dev/null 2>&1 || true
    fi
    if [ -f "$dir/server.pid" ]; then
        pid="$(cat "$dir/server.pid")"
        for i in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
