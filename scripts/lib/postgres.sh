# Sourced by scripts/test and scripts/conformance: system packages, and a PostgreSQL to run on.
# `use_postgres URL` sets pg_url to URL when a server answers there; otherwise it starts a
# throwaway server from the installed binaries (installing Debian's `postgresql` when missing),
# as a non-root user, on 127.0.0.1 and a free port, and `stop_pg` (call it on exit) stops it.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
ensure_pkg() { # ensure_pkg CHECK-PATH PACKAGE
  [ -e "$1" ] && return 0
  echo "$(basename "$0"): installing $2" >&2
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

pg_dir=""
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_pg() {
  if [ -n "$pg_dir" ]; then
    run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

use_postgres() { # use_postgres URL: sets pg_url
  ensure_pkg /usr/bin/psql postgresql-client
  pg_url=$1
  if psql "$pg_url" -Atqc 'select 1' >/dev/null 2>&1; then
    echo "$(basename "$0"): using PostgreSQL at $pg_url" >&2
  else
    ensure_pkg /usr/lib/postgresql postgresql
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system --no-create-home postgres; fi
    pg_dir=$(mktemp -d /tmp/rewind-pg.XXXXXX)
    if [ "$(id -u)" = 0 ]; then chown postgres "$pg_dir"; fi
    local port
    port=$(free_port)
    run_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust >/dev/null
    run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir -c fsync=off -c max_connections=300" start >/dev/null
    pg_url="postgres://postgres@127.0.0.1:$port/postgres"
    echo "$(basename "$0"): started a throwaway PostgreSQL at $pg_url" >&2
  fi
  psql "$pg_url" -Atqc 'select 1' >/dev/null || { echo "$(basename "$0"): PostgreSQL cannot be had" >&2; exit 1; }
}
