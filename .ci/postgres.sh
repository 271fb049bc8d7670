# Sourced by .ci/run (and usable by hand: `source .ci/postgres.sh; pg_start`): a throwaway
# PostgreSQL cluster in a temporary folder, on 127.0.0.1 and a free port, its unix socket in that
# folder. As root it runs as a dedicated unprivileged user (postgres, or tradewatch-ci created for
# it); otherwise as yourself. `pg_start` exports TEST_DATABASE_URL and sets a trap that stops the
# cluster and removes the folder on exit. Without PostgreSQL binaries it says so and returns 1.

pg_bindir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

pg_as() {    # run a command as the cluster's owner
    if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

pg_stop() {
    [ -n "${PG_DIR:-}" ] || return 0
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=
}

pg_start() {
    PG_BIN=$(pg_bindir) || { echo "postgres.sh: no PostgreSQL binaries (initdb) found" >&2; return 1; }
    PG_USER=$(id -un)
    if [ "$(id -u)" = 0 ]; then
        PG_USER=postgres
        id -u "$PG_USER" >/dev/null 2>&1 || { PG_USER=tradewatch-ci; id -u "$PG_USER" >/dev/null 2>&1 ||
            useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"; }
    fi
    PG_DIR=$(mktemp -d /tmp/tw-pg.XXXXXX)
    chmod 755 "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown "$PG_USER" "$PG_DIR"
    trap pg_stop EXIT
    PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U tradewatch --auth=trust -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 ||
        { cat "$PG_DIR/initdb.log" >&2; return 1; }
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c max_connections=200" start >/dev/null ||
        { cat "$PG_DIR/server.log" >&2; return 1; }
    pg_as "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U tradewatch tradewatch
    export TEST_DATABASE_URL="postgresql://tradewatch@127.0.0.1:$PG_PORT/tradewatch"
    echo "postgres.sh: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') at $TEST_DATABASE_URL (in $PG_DIR)"
}
