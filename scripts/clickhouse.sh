#!/usr/bin/env bash
# Makes a ClickHouse server answer on loopback for the tests, then exports
# (when sourced) and prints where the tests find it:
#
#   MASTRA_ADMIN_TEST_CLICKHOUSE_URL=clickhouse://127.0.0.1:9000
#
# In order:
#   1. MASTRA_ADMIN_TEST_CLICKHOUSE_URL already set: nothing to do.
#   2. A ClickHouse server already answers on 127.0.0.1 (native port and
#      HTTP /ping): it is reused.
#   3. Otherwise clickhouse-server and clickhouse-client are installed with
#      apt when missing (as root; an old distribution release such as 18.16
#      is enough), and a server is started as a daemon from a copy of the
#      packaged configuration in a data directory outside the repository,
#      listening on 127.0.0.1 only. The data directory is kept between runs;
#      tests create and drop databases of their own in it.
#
# Settings (environment):
#   MASTRA_ADMIN_TEST_CLICKHOUSE_DIR        data directory
#                                           (default /var/tmp/mastra-admin-test/clickhouse)
#   MASTRA_ADMIN_TEST_CLICKHOUSE_TCP_PORT   native port (default 9000)
#   MASTRA_ADMIN_TEST_CLICKHOUSE_HTTP_PORT  HTTP port (default 8123)
#
# Run it (scripts/clickhouse.sh) or source it from another bash script
# (. scripts/clickhouse.sh): sourced, it sets no shell options and leaves
# only the exported variable behind, and a failure returns non-zero instead
# of exiting the caller. Messages go to stderr, the variable to stdout.

. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh" || { (return 0 2>/dev/null) && return 1; exit 1; }
_mastra_ch_log() { printf '== clickhouse: %s\n' "$*" >&2; }

# _mastra_ch_answers PORT HTTP_PORT: true when a ClickHouse server answers
# on both ports of 127.0.0.1.
_mastra_ch_answers() {
  local out
  out=$(curl -sf --max-time 2 "http://127.0.0.1:$2/ping" 2>/dev/null) || return 1
  [ "$out" = "Ok." ] || return 1
  if command -v clickhouse-client >/dev/null 2>&1; then
    clickhouse-client --host 127.0.0.1 --port "$1" --connect_timeout 2 --query 'SELECT 1' >/dev/null 2>&1
  else
    # No client yet: the native port must at least accept a connection.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# _mastra_ch_version PORT: the version of the server on 127.0.0.1:PORT.
_mastra_ch_version() {
  clickhouse-client --host 127.0.0.1 --port "$1" --query 'SELECT version()' 2>/dev/null || echo '(version unknown)'
}

# _mastra_ch_port_taken PORT: true when something listens on 127.0.0.1:PORT.
_mastra_ch_port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_mastra_ch_install() {
  if [ -x /usr/sbin/clickhouse-server ] && command -v clickhouse-client >/dev/null 2>&1; then
    return 0
  fi
  _mastra_apt_install clickhouse "set MASTRA_ADMIN_TEST_CLICKHOUSE_URL" clickhouse-server clickhouse-client
}

# _mastra_ch_start DIR TCP_PORT HTTP_PORT: starts a daemon from a copy of
# the packaged configuration in DIR (unless one started from DIR still
# runs) and waits for it to answer.
_mastra_ch_start() {
  local dir=$1 tcp=$2 http=$3 pid
  mkdir -p "$dir/data" "$dir/log" || return 1
  if [ -s "$dir/ch.pid" ] && pid=$(cat "$dir/ch.pid") && kill -0 "$pid" 2>/dev/null; then
    _mastra_ch_log "a server started from $dir runs already (pid $pid): waiting for it"
  else
    local src=/etc/clickhouse-server
    if [ ! -f "$src/config.xml" ] || [ ! -f "$src/users.xml" ]; then
      _mastra_ch_log "$src/config.xml or users.xml is missing: reinstall clickhouse-server"
      return 1
    fi
    cp "$src/config.xml" "$src/users.xml" "$dir/" || return 1
    # Data and logs under DIR, users.xml from DIR, our ports, and loopback
    # only (listen_host applies to every port of the server).
    sed -i \
      -e "s#/var/lib/clickhouse/#$dir/data/#g" \
      -e "s#/var/log/clickhouse-server/#$dir/log/#g" \
      -e "s#<users_config>users.xml#<users_config>$dir/users.xml#" \
      -e "s#<http_port>[0-9]*</http_port>#<http_port>$http</http_port>#" \
      -e "s#<tcp_port>[0-9]*</tcp_port>#<tcp_port>$tcp</tcp_port><listen_host>127.0.0.1</listen_host>#" \
      "$dir/config.xml" || return 1
    _mastra_ch_log "starting clickhouse-server from $dir (native 127.0.0.1:$tcp, HTTP 127.0.0.1:$http; log in $dir/log)"
    rm -f "$dir/ch.pid"
    /usr/sbin/clickhouse-server --config-file="$dir/config.xml" --pid-file="$dir/ch.pid" --daemon ||
      { _mastra_ch_log "clickhouse-server did not start: see $dir/log/clickhouse-server.err.log"; return 1; }
  fi
  local i
  for i in $(seq 300); do
    if _mastra_ch_answers "$tcp" "$http"; then
      _mastra_ch_log "ClickHouse $(_mastra_ch_version "$tcp") ready after $((i / 10)).$((i % 10)) s"
      return 0
    fi
    sleep 0.1
  done
  _mastra_ch_log "clickhouse-server did not answer within 30 s: see $dir/log/clickhouse-server.err.log"
  return 1
}

_mastra_ch_main() {
  if [ -n "${MASTRA_ADMIN_TEST_CLICKHOUSE_URL:-}" ]; then
    _mastra_ch_log "MASTRA_ADMIN_TEST_CLICKHOUSE_URL is set: using it as it is"
  else
    local tcp=${MASTRA_ADMIN_TEST_CLICKHOUSE_TCP_PORT:-9000}
    local http=${MASTRA_ADMIN_TEST_CLICKHOUSE_HTTP_PORT:-8123}
    local dir=${MASTRA_ADMIN_TEST_CLICKHOUSE_DIR:-/var/tmp/mastra-admin-test/clickhouse}
    if _mastra_ch_answers "$tcp" "$http"; then
      _mastra_ch_log "ClickHouse $(_mastra_ch_version "$tcp") answers on 127.0.0.1:$tcp (native) and :$http (HTTP): reusing it"
    else
      local p
      for p in "$tcp" "$http"; do
        if _mastra_ch_port_taken "$p"; then
          _mastra_ch_log "127.0.0.1:$p is taken by something that is not a ClickHouse server answering on both ports: free it, choose other ports with MASTRA_ADMIN_TEST_CLICKHOUSE_TCP_PORT / _HTTP_PORT, or set MASTRA_ADMIN_TEST_CLICKHOUSE_URL"
          return 1
        fi
      done
      _mastra_ch_install || return 1
      if _mastra_ch_answers "$tcp" "$http"; then
        # The package's own scripts may start a server when they can.
        _mastra_ch_log "the installed server answers on 127.0.0.1:$tcp and :$http: using it"
      else
        _mastra_ch_start "$dir" "$tcp" "$http" || return 1
      fi
    fi
    export MASTRA_ADMIN_TEST_CLICKHOUSE_URL="clickhouse://127.0.0.1:$tcp"
  fi
  printf 'MASTRA_ADMIN_TEST_CLICKHOUSE_URL=%s\n' "$MASTRA_ADMIN_TEST_CLICKHOUSE_URL"
}

# _mastra_ch_run runs main, then removes every function of this file.
_mastra_ch_run() {
  local rc=0
  _mastra_ch_main || rc=$?
  unset -f _mastra_ch_log _mastra_ch_answers _mastra_ch_version _mastra_ch_port_taken _mastra_ch_install _mastra_ch_start _mastra_ch_main _mastra_ch_run _mastra_apt_install
  return "$rc"
}

# Sourced: a failure returns 1 to the caller; run: exits 1.
_mastra_ch_run || { (return 0 2>/dev/null) && return 1; exit 1; }
