#!/usr/bin/env bash
# Runs the whole test suite against real services.
#
# It makes sure PostgreSQL and Redis answer on loopback (starting them when
# they are installed but stopped) and ClickHouse too (scripts/clickhouse.sh:
# installed with apt when missing), exports where tests find them, turns every
# "service not available" skip into a failure, and runs go vet and go test.
# Already-set MASTRA_ADMIN_TEST_* variables win, so the same script runs
# against any servers.
#
# With MASTRA_ADMIN_TEST_COLD=1 (what .ci/run sets) the runner's caches
# (Node, npm, dependency trees, build outputs) and npm's own start empty, in
# a fresh temporary directory removed at the end, so the run sees exactly
# what a new user's first run sees; Go's build and module caches are kept.
# Without it, reruns reuse the warm caches under ~/.cache/mastra-admin.
#
# What the reliability and load tests measured is printed after go test (the
# WebSocket fan-out measured once more without the race detector).
#
# Then scripts/fuzz.sh runs every fuzz target for a few seconds (not when
# extra flags narrow the run).
#
# Usage: scripts/test.sh [extra go test flags, e.g. -run TestX -v]
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*" >&2; }

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "$name did not come up"; return 1
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    wait_for PostgreSQL pg_isready -h 127.0.0.1 -p 5432
  else
    log "PostgreSQL is not installed: set MASTRA_ADMIN_TEST_POSTGRES_URL"; exit 1
  fi
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then return; fi
  if command -v redis-server >/dev/null; then
    log "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping
  else
    log "Redis is not installed: set MASTRA_ADMIN_TEST_REDIS_URL"; exit 1
  fi
}

if [ "${MASTRA_ADMIN_TEST_COLD:-}" = 1 ]; then
  # Go's caches default to $XDG_CACHE_HOME/go-build: pin them first.
  GOCACHE=$(go env GOCACHE); GOMODCACHE=$(go env GOMODCACHE); export GOCACHE GOMODCACHE
  cold=$(mktemp -d "${TMPDIR:-/tmp}/mastra-admin-cold.XXXXXX")
  trap 'rm -rf "$cold"' EXIT
  export XDG_CACHE_HOME="$cold/cache" npm_config_cache="$cold/npm"
  unset MASTRA_ADMIN_TEST_RUNNER_CACHE
  log "cold caches: runner and npm caches start empty in $cold"
fi

[ -n "${MASTRA_ADMIN_TEST_POSTGRES_URL:-}" ] || { ensure_postgres; export MASTRA_ADMIN_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/test?sslmode=disable"; }
[ -n "${MASTRA_ADMIN_TEST_REDIS_URL:-}" ] || { ensure_redis; export MASTRA_ADMIN_TEST_REDIS_URL="redis://127.0.0.1:6379/0"; }
# ClickHouse (installed from the distribution's package when missing).
. scripts/clickhouse.sh >/dev/null
# Other tools the tests need (a browser, a Kubernetes control plane, nginx):
# each scripts/services/*.sh is sourced in turn, installs or builds what is
# missing into a cache outside the repository, reuses it when present, and
# exports where the tests find it.
for svc in scripts/services/*.sh; do
  [ -e "$svc" ] || continue
  . "$svc" >/dev/null  # each prints what it exports; its messages go to stderr
done
export MASTRA_ADMIN_TEST_REQUIRE_SERVICES=1

log "go vet"
go vet ./...
log "go test (race detector on)"
# The reliability and load tests record what they measured (testenv.Figure)
# in this file; it is printed after the run, passed or failed.
MASTRA_ADMIN_TEST_FIGURES=$(mktemp "${TMPDIR:-/tmp}/mastra-admin-figures.XXXXXX")
export MASTRA_ADMIN_TEST_FIGURES
status=0
go test -race -count=1 -timeout 45m "$@" ./... || status=$?
if [ $# -eq 0 ]; then
  # The race detector slows the WebSocket fan-out 5-10×: its figure is
  # marked "(race detector)", and the test runs once more without it for
  # the latency a user sees.
  log "go test TestWebSocketFanOut (race detector off, for its figure)"
  go test -count=1 -run '^TestWebSocketFanOut$' ./admin/httpapi || status=$?
fi
if [ -s "$MASTRA_ADMIN_TEST_FIGURES" ]; then
  log "figures measured by the tests"
  sort "$MASTRA_ADMIN_TEST_FIGURES" >&2
fi
rm -f "$MASTRA_ADMIN_TEST_FIGURES"
[ "$status" = 0 ] || exit "$status"
# Beyond the committed corpora: each fuzz target explores for a few seconds
# (MASTRA_ADMIN_FUZZTIME, default 5; 0 skips), and prints what it tried.
if [ $# -eq 0 ] && [ "${MASTRA_ADMIN_FUZZTIME:-5}" != 0 ]; then
  scripts/fuzz.sh "${MASTRA_ADMIN_FUZZTIME:-5}"
fi
