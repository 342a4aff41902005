#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests, from Debian's packages: initdb in a temp
# dir (as the unprivileged `postgres` user, since initdb refuses root), listening on 127.0.0.1
# only, trust authentication. Prints the URL to use; `stop DIR` stops it and removes the dir.
#   url=$(bash scripts/postgres-test-server.sh start)   ->  postgresql://inferwire@127.0.0.1:PORT/inferwire DIR
#   bash scripts/postgres-test-server.sh stop DIR
set -euo pipefail
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$bin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
run_as=()
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    run_as=(runuser -u postgres --)
fi
case "${1:-}" in
start)
    dir="$(mktemp -d /tmp/inferwire-pg.XXXXXX)"
    port="${PGPORT_FOR_TESTS:-$((20000 + RANDOM % 20000))}"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    "${run_as[@]}" "$bin/initdb" -D "$dir/data" -U inferwire -A trust --no-sync >"$dir/initdb.log" 2>&1
    "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on" start >/dev/null
    "${run_as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U inferwire inferwire
    echo "postgresql://inferwire@127.0.0.1:$port/inferwire $dir"
    ;;
stop)
    dir="$2"
    "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
