#!/usr/bin/env bash
# A throwaway PostgreSQL instance (database "celeriac", user postgres, trust auth on loopback).
#   postgres.sh start DIR PORT | stop DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cmd=${1:?usage: postgres.sh start|stop DIR [PORT]}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)
# PostgreSQL refuses to run as root; the Debian package brings the postgres user.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
start)
  port=${3:?PORT}
  CELERIAC_NEEDS_POSTGRES=1 ensure_packages
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
  fi
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/pg.log" \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" -w start >/dev/null
  as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres celeriac 2>/dev/null || true
  log "PostgreSQL up on 127.0.0.1:$port"
  ;;
stop)
  [ -f "$dir/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  ;;
*) die "unknown command $cmd" ;;
esac
