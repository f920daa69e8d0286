#!/usr/bin/env bash
# with-postgres.sh CMD [ARGS...] — run CMD with a throwaway PostgreSQL cluster.
#
# Starts a fresh PostgreSQL (15 preferred) cluster in a new temp dir, listening only on
# 127.0.0.1 on a free port, creates role `taskpilot` (password `taskpilot`, LOGIN CREATEDB — the
# tests create one database per test) and database `taskpilot` owned by it, exports
#
#   TASKPILOT_TEST_POSTGRES_URL=postgres://taskpilot:taskpilot@127.0.0.1:PORT/taskpilot
#   TASKPILOT_TEST_POSTGRES_IPV6=1 when it also listens on ::1 (the machine has IPv6 loopback)
#
# runs CMD, and always stops the cluster and deletes the temp dir afterwards (also on Ctrl-C or
# SIGTERM). Exits with CMD's exit code. Tuned for tests, not for data: fsync is off.
#
# As root, initdb/pg_ctl run as the `postgres` user (root may not run them). Environment:
#   PG_BIN   folder holding initdb/pg_ctl/pg_isready/psql (default: newest /usr/lib/postgresql/*/bin,
#            15 if present)
set -euo pipefail

log() { echo "==> $*" >&2; }
fail() {
    echo "error: $*" >&2
    exit 1
}

[[ $# -ge 1 ]] || {
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
}

find_pg_bin() {
    if [[ -n ${PG_BIN:-} ]]; then
        echo "$PG_BIN"
        return
    fi
    if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
        echo /usr/lib/postgresql/15/bin
        return
    fi
    local newest
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n $newest && -x $newest/initdb ]]; then
        echo "$newest"
        return
    fi
    if command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/initdb" ]]; then
        pg_config --bindir
        return
    fi
    fail "PostgreSQL server binaries not found; run scripts/bootstrap.sh test (Debian package 'postgresql') or set PG_BIN"
}

PG_BIN=$(find_pg_bin)
command -v python3 >/dev/null 2>&1 || fail "python3 is needed to find a free port"

# Root may not run initdb/pg_ctl: run the server side as `postgres`. Anyone else runs it as themself.
if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || fail "running as root but there is no 'postgres' user (install the 'postgresql' package)"
    # From inside the temp dir, so that the postgres user is not bothered by an unreadable cwd.
    as_pg() { (cd "${tmp:-/}" && runuser -u postgres -- "$@"); }
else
    as_pg() { "$@"; }
fi

base=${TMPDIR:-/tmp}
tmp=$(mktemp -d "$base/taskpilot-pg.XXXXXX")
if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$tmp"
    if ! as_pg test -w "$tmp"; then
        # The postgres user cannot reach $TMPDIR (e.g. under /root): use /tmp instead.
        rm -rf "$tmp"
        tmp=$(mktemp -d /tmp/taskpilot-pg.XXXXXX)
        chown postgres: "$tmp"
    fi
fi
data=$tmp/data
sock=$tmp/sock
pglog=$tmp/postgres.log
child=

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $child ]] && kill -0 "$child" 2>/dev/null; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    if [[ -f $data/postmaster.pid ]]; then
        log "stopping PostgreSQL"
        as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
            as_pg "$PG_BIN/pg_ctl" -D "$data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

log "creating PostgreSQL cluster in $tmp ($PG_BIN)"
as_pg mkdir -p "$sock"
as_pg "$PG_BIN/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$tmp/initdb.log" 2>&1 || {
    cat "$tmp/initdb.log" >&2
    fail "initdb failed"
}
# ::1 too where the machine has IPv6 loopback (a test connects with an IPv6 literal in the URL).
listen="127.0.0.1"
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
    listen="127.0.0.1,::1"
    export TASKPILOT_TEST_POSTGRES_IPV6=1
fi
as_pg tee -a "$data/postgresql.conf" >/dev/null <<EOF

# scripts/with-postgres.sh: a throwaway cluster for tests
listen_addresses = '$listen'
unix_socket_directories = '$sock'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

# The free port may be taken between finding and binding it: try a few ports.
started=
for attempt in 1 2 3 4 5; do
    rm -f "$pglog"
    port=$(free_port)
    log "starting PostgreSQL on 127.0.0.1:$port"
    if as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$pglog" -o "-p $port" -W start >/dev/null; then
        for i in $(seq 1 300); do
            if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; then
                started=1
                break
            fi
            # Gone already (e.g. port taken): no point in waiting.
            [[ -f $data/postmaster.pid ]] || [[ $i -lt 20 ]] || break
            sleep 0.1
        done
    fi
    [[ -n $started ]] && break
    as_pg "$PG_BIN/pg_ctl" -D "$data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    if ! grep -q 'could not bind\|Address already in use' "$pglog" 2>/dev/null; then
        break
    fi
    log "port $port was taken; trying another (attempt $attempt)"
done
if [[ -z $started ]]; then
    tail -n 30 "$pglog" >&2 2>/dev/null || true
    fail "PostgreSQL did not become ready"
fi

"$PG_BIN/psql" -q -X -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres -d postgres >/dev/null <<'SQL'
CREATE ROLE taskpilot LOGIN CREATEDB PASSWORD 'taskpilot';
CREATE DATABASE taskpilot OWNER taskpilot;
SQL

export TASKPILOT_TEST_POSTGRES_URL="postgres://taskpilot:taskpilot@127.0.0.1:$port/taskpilot"
log "PostgreSQL ready: TASKPILOT_TEST_POSTGRES_URL=$TASKPILOT_TEST_POSTGRES_URL"
log "running: $*"

# Run CMD in the background and wait, so that a SIGTERM/SIGINT to this script is handled at once
# (and forwarded to CMD by cleanup). `<&0` keeps our stdin: a background job would get /dev/null.
set +e
"$@" <&0 &
child=$!
wait "$child"
rc=$?
set -e
child=
exit "$rc"
