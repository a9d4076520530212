#!/usr/bin/env bash
# A private PostgreSQL for tests and migration diffs: Debian's postgresql 15
# binaries, its own data directory, 127.0.0.1 only, its own port.
#
#   scripts/pg-private.sh start [DIR]   # prints TEST_POSTGRES_URL=postgresql://…
#   scripts/pg-private.sh stop  [DIR]
#   scripts/pg-private.sh url   [DIR]
#
# DIR defaults to .tmp/pg (gitignored); as root it defaults to
# /tmp/lvs-control-pg-<hash of the checkout path>, because initdb/pg_ctl then
# run as the `postgres` user (or `nobody`), which may not be able to enter the
# checkout (e.g. under /root). PGPORT picks the port (default: a free one from
# 55432 up).
set -euo pipefail

cmd="${1:-}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "$(id -u)" = "0" ]; then
  default_dir="/tmp/lvs-control-pg-$(printf '%s' "$root" | md5sum | cut -c1-8)"
else
  default_dir="$root/.tmp/pg"
fi
dir="${2:-$default_dir}"
bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
data="$dir/data"

run() {
  if [ "$(id -u)" = "0" ]; then
    local as=postgres
    id postgres >/dev/null 2>&1 || as=nobody
    runuser -u "$as" -- "$@"
  else
    "$@"
  fi
}

free_port() {
  local p="${PGPORT:-55432}"
  while (echo >/dev/tcp/127.0.0.1/"$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

print_url() {
  echo "TEST_POSTGRES_URL=postgresql://lvs:lvs@127.0.0.1:$(cat "$dir/port")/postgres"
}

case "$cmd" in
  start)
    [ -x "$bin/initdb" ] || { echo "PostgreSQL binaries not found in $bin (apt-get install -y postgresql)" >&2; exit 2; }
    mkdir -p "$dir"
    if [ -f "$data/postmaster.pid" ] && run "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      print_url
      exit 0
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
      rm -rf "$data"
      mkdir -p "$data"
      [ "$(id -u)" = "0" ] && { id postgres >/dev/null 2>&1 && chown -R postgres "$dir" || chown -R nobody "$dir"; }
      pwfile="$dir/pwfile"
      echo lvs >"$pwfile"
      [ "$(id -u)" = "0" ] && { id postgres >/dev/null 2>&1 && chown postgres "$pwfile" || chown nobody "$pwfile"; }
      run "$bin/initdb" -D "$data" -U lvs --pwfile="$pwfile" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
      rm -f "$pwfile"
    fi
    port="$(free_port)"
    echo "$port" >"$dir/port"
    chmod a+r "$dir/port"
    # fsync off: disposable test data, much faster on shared CI disks.
    run "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    print_url
    ;;
  stop)
    if [ -f "$data/PG_VERSION" ]; then
      run "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  url)
    [ -f "$dir/port" ] || { echo "not started" >&2; exit 1; }
    print_url
    ;;
  *)
    echo "usage: $0 start|stop|url [DIR]" >&2
    exit 2
    ;;
esac
