#!/usr/bin/env bash
# Measures the local router against the same backend reached directly, with
# wrk, in the same run: a tiny Go backend and the router run on loopback
# (router/local/internal/benchserver); wrk loads the backend directly, then
# through the router (host routing), alternately for ROUNDS rounds, at two
# loads: saturating (CONNS connections) and light (LIGHT_CONNS).
#
# Prints requests/s and latency percentiles of each run, then the routed ÷
# direct throughput ratio and the p50 and p99 the router adds, averaged over
# rounds.
#
# Usage: router/local/bench/wrk.sh            (from anywhere in the repo)
# Knobs: DURATION=5s THREADS=2 CONNS=32 LIGHT_CONNS=4 ROUNDS=2 BODY=64 DELAY=0s
# (DELAY: how long the backend takes per request; 0 measures the router's
# pure overhead against a backend that does nothing).
# Needs wrk (apt-get install -y wrk) and Go.
set -euo pipefail
cd "$(dirname "$0")/../../.."

DURATION=${DURATION:-5s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
LIGHT_CONNS=${LIGHT_CONNS:-4}
ROUNDS=${ROUNDS:-2}
BODY=${BODY:-64}
DELAY=${DELAY:-0s}

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 1; }

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/benchserver" ./router/local/internal/benchserver
: >"$work/addrs"
"$work/benchserver" -body "$BODY" -delay "$DELAY" >"$work/addrs" &
pid=$!
for _ in $(seq 100); do [ "$(wc -l <"$work/addrs")" -ge 2 ] && break; sleep 0.1; done
read -r _ direct_url <<<"$(grep '^direct ' "$work/addrs")"
read -r _ routed_url routed_host <<<"$(grep '^routed ' "$work/addrs")"
[ -n "${routed_host:-}" ] || { echo "benchserver did not start" >&2; exit 1; }

# to_us converts a wrk latency such as 812.00us, 1.23ms or 1.01s to µs.
to_us() { awk -v v="$1" 'BEGIN {
  n = v + 0
  if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else if (v ~ /s$/) print n * 1000000; else print n }'; }

# measure NAME CONNS URL [HOST] appends "name conns rps p50us p99us" to results.
measure() {
  local name=$1 conns=$2 url=$3 host=${4:-} out
  local threads=$(( THREADS < conns ? THREADS : conns ))
  local args=(-t"$threads" -c"$conns" -d"$DURATION" --latency)
  [ -n "$host" ] && args+=(-H "Host: $host")
  out=$(wrk "${args[@]}" "$url")
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
    echo "$name: errors during the run:" >&2; grep 'Non-2xx\|Socket errors' <<<"$out" >&2
  fi
  local rps p50 p90 p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(to_us "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p90=$(to_us "$(awk '$1 == "90%" {print $2}' <<<"$out")")
  p99=$(to_us "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  printf '%-7s c=%-3s %10.0f req/s   p50 %8.0f µs   p90 %8.0f µs   p99 %8.0f µs\n' "$name" "$conns" "$rps" "$p50" "$p90" "$p99"
  echo "$name $conns $rps $p50 $p90 $p99" >>"$work/results"
}

echo "wrk -t$THREADS -d$DURATION, ${BODY}-byte responses after $DELAY, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
  echo "warning: the load average exceeds the CPU count: other processes shape the tail latencies (p99) more than the router"
fi
for round in $(seq "$ROUNDS"); do
  echo "-- round $round"
  for conns in "$CONNS" "$LIGHT_CONNS"; do
    measure direct "$conns" "$direct_url"
    measure routed "$conns" "$routed_url" "$routed_host"
  done
done

echo "-- summary (means over $ROUNDS rounds)"
awk '
  { rps[$1, $2] += $3; p50[$1, $2] += $4; p99[$1, $2] += $6; n[$1, $2]++; conns[$2] = 1 }
  END {
    for (c in conns) {
      d = rps["direct", c] / n["direct", c]; r = rps["routed", c] / n["routed", c]
      dm = p50["direct", c] / n["direct", c]; rm = p50["routed", c] / n["routed", c]
      dp = p99["direct", c] / n["direct", c]; rp = p99["routed", c] / n["routed", c]
      printf "c=%-3s throughput routed/direct %.2fx (%.0f vs %.0f req/s); added p50 %.0f µs (%.0f vs %.0f); added p99 %.0f µs (%.0f vs %.0f)\n",
        c, r / d, r, d, rm - dm, rm, dm, rp - dp, rp, dp
    }
  }' "$work/results"
