#!/usr/bin/env bash
# A throw-away PostgreSQL server for the DuisPrioritiser.PostgreSql tests, for CI and for developers.
#
#   eval "$(.ci/postgres.sh start)"      # initdb in a temp folder, pg_ctl start on a loopback port, print exports
#   dotnet test DuisPrioritiser.sln -c Release
#   .ci/postgres.sh stop                 # stop the server and delete its folder (reads DUIS_PG_DIR)
#   .ci/postgres.sh restart-immediate    # crash-restart it (pg_ctl restart -m immediate); the outage tests use it
#
# `start` prints `export ...` lines for:
#   DUIS_TEST_POSTGRES          the connection string the tests read
#   DUIS_TEST_POSTGRES_CONTROL  this script's absolute path, so tests can crash-restart the server
#   DUIS_PG_DIR                 the server's folder (data, socket, log), which `stop` deletes
#
# PostgreSQL refuses to run as root: when this runs as root (as CI does) the server runs as the user in
# DUIS_PG_USER (default "duispg"), created on first use. When no PostgreSQL is installed and this runs as root,
# it is installed with apt-get. Nothing listens beyond 127.0.0.1; authentication is "trust" on loopback only.
# Environment: DUIS_PG_PORT (default: the first free port from 55432), DUIS_PG_USER, DUIS_PG_DIR (for stop).
set -euo pipefail

script_path="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

find_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
    return 0
  fi
  return 1
}

ensure_installed() {
  if find_bin >/dev/null; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "postgres.sh: no PostgreSQL server binaries (initdb, pg_ctl) found; install the 'postgresql' package" >&2
    exit 1
  fi
  echo "postgres.sh: PostgreSQL not found: installing it with apt-get" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  find_bin >/dev/null || { echo "postgres.sh: apt-get installed postgresql but initdb/pg_ctl were not found" >&2; exit 1; }
}

# Runs a command as the server's user (this user, or DUIS_PG_USER when running as root).
as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$server_user" -- "$@"
  else
    "$@"
  fi
}

ensure_user() {
  if [ "$(id -u)" -ne 0 ]; then
    server_user="$(id -un)"
    return 0
  fi
  server_user="${DUIS_PG_USER:-duispg}"
  if ! id "$server_user" >/dev/null 2>&1; then
    useradd --system --create-home --shell /usr/sbin/nologin "$server_user" >&2
  fi
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  ensure_installed
  ensure_user
  local bin dir port attempt
  bin="$(find_bin)"
  dir="$(mktemp -d "${TMPDIR:-/tmp}/duis-postgres.XXXXXX")"
  chmod 755 "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown "$server_user" "$dir"
  fi
  as_server_user "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }

  port="${DUIS_PG_PORT:-55432}"
  for attempt in $(seq 1 50); do
    if port_free "$port"; then
      echo "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=128MB" >"$dir/options"
      if as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(cat "$dir/options")" start >&2; then
        break
      fi
      if [ -n "${DUIS_PG_PORT:-}" ]; then
        tail -n 20 "$dir/server.log" >&2
        exit 1
      fi
    elif [ -n "${DUIS_PG_PORT:-}" ]; then
      echo "postgres.sh: port $port (DUIS_PG_PORT) is in use" >&2
      exit 1
    fi
    port=$((port + 1))
    if [ "$attempt" -eq 50 ]; then
      echo "postgres.sh: no free port found" >&2
      exit 1
    fi
  done

  as_server_user "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE duis_test" >&2

  cat >"$dir/env" <<EOF
export DUIS_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=postgres;Database=duis_test'
export DUIS_TEST_POSTGRES_CONTROL='$script_path'
export DUIS_PG_DIR='$dir'
EOF
  cat "$dir/env"
  echo "postgres.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, folder $dir" >&2
}

require_dir() {
  if [ -z "${DUIS_PG_DIR:-}" ] || [ ! -d "${DUIS_PG_DIR}/data" ]; then
    echo "postgres.sh: DUIS_PG_DIR is not set to a folder made by 'postgres.sh start'" >&2
    exit 1
  fi
  server_user="$(stat -c %U "$DUIS_PG_DIR/data")"
}

stop() {
  if [ -z "${DUIS_PG_DIR:-}" ] || [ ! -d "${DUIS_PG_DIR}" ]; then
    echo "postgres.sh: nothing to stop (DUIS_PG_DIR not set or gone)" >&2
    return 0
  fi
  case "$DUIS_PG_DIR" in
    "${TMPDIR:-/tmp}"/duis-postgres.*) ;;
    *) echo "postgres.sh: refusing to delete '$DUIS_PG_DIR' (not a folder made by start)" >&2; exit 1 ;;
  esac
  if [ -d "$DUIS_PG_DIR/data" ]; then
    server_user="$(stat -c %U "$DUIS_PG_DIR/data")"
    as_server_user "$(find_bin)/pg_ctl" -D "$DUIS_PG_DIR/data" -m fast -w stop >&2 || true
  fi
  rm -rf "$DUIS_PG_DIR"
}

restart_immediate() {
  require_dir
  as_server_user "$(find_bin)/pg_ctl" -D "$DUIS_PG_DIR/data" -m immediate -w -t 60 restart \
    -l "$DUIS_PG_DIR/server.log" >&2
}

# Stops the server without restarting it (pg_ctl stop -m immediate); `resume` starts it again.
kill_immediate() {
  require_dir
  as_server_user "$(find_bin)/pg_ctl" -D "$DUIS_PG_DIR/data" -m immediate -w stop >&2
}

resume() {
  require_dir
  as_server_user "$(find_bin)/pg_ctl" -D "$DUIS_PG_DIR/data" -l "$DUIS_PG_DIR/server.log" -w -t 60 \
    -o "$(cat "$DUIS_PG_DIR/options")" start >&2
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart-immediate) restart_immediate ;;
  kill-immediate) kill_immediate ;;
  resume) resume ;;
  *) echo "usage: $0 start|stop|restart-immediate|kill-immediate|resume" >&2; exit 2 ;;
esac
