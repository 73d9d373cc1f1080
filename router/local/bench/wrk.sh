#!/usr/bin/env bash
# Measures the local router against the same backend reached directly and
# through nginx, with wrk, in the same run: a tiny Go backend and the router
# run on loopback as two processes (router/local/internal/benchserver); nginx (when
# installed) runs from a temporary configuration with 1 worker and a
# keep-alive upstream to the same backend, and is stopped at the end. wrk
# loads the backend directly, then through nginx, then through the router
# (host routing), in turn for ROUNDS rounds, at two loads: saturating
# (CONNS connections) and light (LIGHT_CONNS).
#
# Prints requests/s and latency percentiles of each run, then, per load, the
# range over rounds of each column's requests/s (router1: the router with
# GOMAXPROCS=1, one thread as nginx has one worker; srvloop: the router
# without its event loops, see SRVLOOP below; bound: the least a Go
# proxy can do, see BOUND below), the router ÷ nginx and
# router ÷ direct throughput ratios (of each round, as a range, and of the
# means), the p50 and p99 the router adds to a direct request, and the CPU
# time each proxy (the backend, for direct) spends per request, which the
# load generator sharing the CPUs does not blur as much as throughput.
#
# Usage: router/local/bench/wrk.sh            (from anywhere in the repo)
# Knobs: DURATION=5s THREADS=2 CONNS=32 LIGHT_CONNS=4 ROUNDS=3 BODY=64 DELAY=0s
# NGINX=1 (0 leaves nginx out), ROUTER1=1 (0 leaves out the column of the
# router run with GOMAXPROCS=1), REVERSEPROXY=0 (1 adds a column of the
# router proxying through httputil.ReverseProxy, as a custom
# Options.Transport makes it), BOUND=1 (0 leaves out the column of
# benchserver -role bound: one epoll loop on one thread relaying heads and
# Content-Length bodies with no routing or checks, which is not a usable
# proxy but shows what an event loop costs here; Linux only), SRVLOOP=1 (0
# leaves out the column of the router with Options.NoEventLoop: every
# request read by net/http's parser in a goroutine per connection, as
# before the event loops; Linux only),
# ROUTER_FLAGS (more benchserver flags for the
# router, such as -cpuprofile /tmp/router.cpu). DELAY: how long the backend takes per
# request; 0 measures the proxies' pure overhead against a backend that does
# nothing.
# Needs wrk and Go; nginx for the nginx column (apt-get install -y wrk
# nginx-light).
set -euo pipefail
cd "$(dirname "$0")/../../.."

DURATION=${DURATION:-5s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
LIGHT_CONNS=${LIGHT_CONNS:-4}
ROUNDS=${ROUNDS:-3}
BODY=${BODY:-64}
DELAY=${DELAY:-0s}
NGINX=${NGINX:-1}
ROUTER1=${ROUTER1:-1}
REVERSEPROXY=${REVERSEPROXY:-0}
BOUND=${BOUND:-1}
SRVLOOP=${SRVLOOP:-1}
[ "$(uname -s)" = Linux ] || { BOUND=0; SRVLOOP=0; }

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 1; }
nginx_bin=""
if [ "$NGINX" = 1 ]; then
  nginx_bin=$(command -v nginx || true)
  [ -n "$nginx_bin" ] || { [ -x /usr/sbin/nginx ] && nginx_bin=/usr/sbin/nginx; } || true
  [ -n "$nginx_bin" ] || echo "nginx is not installed (apt-get install -y nginx-light): no nginx column" >&2
fi

work=$(mktemp -d)
pids=() nginx_pid=""
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

# wait_line FILE PREFIX waits for a line starting with PREFIX in FILE.
wait_line() {
  for _ in $(seq 100); do grep -q "^$2 " "$1" && return 0; sleep 0.1; done
  echo "benchserver did not start: $(cat "$1")" >&2; return 1
}

# The backend and the router run as separate processes, as nginx and the
# backend do: each proxy gets the same share of the CPUs.
go build -o "$work/benchserver" ./router/local/internal/benchserver
"$work/benchserver" -role backend -body "$BODY" -delay "$DELAY" >"$work/backend" &
backend_pid=$!
pids+=($!)
wait_line "$work/backend" direct
read -r _ direct_url <<<"$(grep '^direct ' "$work/backend")"
backend=${direct_url#http://}; backend=${backend%%/*}
path=/${direct_url#http://*/}
"$work/benchserver" -role router -backend "$backend" ${ROUTER_FLAGS:-} >"$work/router" &
router_pid=$!
pids+=($!)
wait_line "$work/router" routed
read -r _ routed_url routed_host <<<"$(grep '^routed ' "$work/router")"
# The same router limited to one thread running Go code, as nginx runs one
# worker process.
router1_url=""
if [ "$ROUTER1" = 1 ]; then
  GOMAXPROCS=1 "$work/benchserver" -role router -backend "$backend" >"$work/router1" &
  router1_pid=$!
  pids+=($!)
  wait_line "$work/router1" routed
  read -r _ router1_url _ <<<"$(grep '^routed ' "$work/router1")"
fi
revproxy_url=""
if [ "$REVERSEPROXY" = 1 ]; then
  "$work/benchserver" -role router -backend "$backend" -reverseproxy >"$work/revproxy" &
  revproxy_pid=$!
  pids+=($!)
  wait_line "$work/revproxy" routed
  read -r _ revproxy_url _ <<<"$(grep '^routed ' "$work/revproxy")"
fi
srvloop_url=""
if [ "$SRVLOOP" = 1 ]; then
  "$work/benchserver" -role router -backend "$backend" -noeventloop >"$work/srvloop" &
  srvloop_pid=$!
  pids+=($!)
  wait_line "$work/srvloop" routed
  read -r _ srvloop_url _ <<<"$(grep '^routed ' "$work/srvloop")"
fi
bound_url=""
if [ "$BOUND" = 1 ]; then
  GOMAXPROCS=1 "$work/benchserver" -role bound -backend "$backend" >"$work/bound" &
  bound_pid=$!
  pids+=($!)
  wait_line "$work/bound" routed
  read -r _ bound_url _ <<<"$(grep '^routed ' "$work/bound")"
fi

# start_nginx runs nginx on a free loopback port in front of the backend,
# with what a production set-up has: 1 worker, HTTP/1.1 keep-alive
# connections to the upstream, no access log, X-Forwarded-* set as the
# router sets them.
start_nginx() {
  mkdir -p "$work/nginx"
  local port
  for _ in $(seq 20); do
    port=$(( 20000 + RANDOM % 20000 ))
    cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  upstream backend {
    server $backend;
    keepalive 256;
  }
  server {
    listen 127.0.0.1:$port;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_set_header X-Forwarded-Host \$http_host;
      proxy_set_header X-Forwarded-Proto \$scheme;
    }
  }
}
CONF
    "$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
    nginx_pid=$!
    for _ in $(seq 50); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        nginx_url="http://127.0.0.1:$port$path"
        nginx_worker=$(pgrep -P "$nginx_pid" | head -n1)
        [ -n "$nginx_worker" ] || nginx_worker=$nginx_pid # master_process off
        return 0
      fi
      kill -0 "$nginx_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
    nginx_pid=""
  done
  echo "nginx did not start:" >&2; cat "$work/nginx/error.log" >&2; return 1
}
nginx_url=""
[ -n "$nginx_bin" ] && start_nginx

# to_us converts a wrk latency such as 812.00us, 1.23ms or 1.01s to µs.
to_us() { awk -v v="$1" 'BEGIN {
  n = v + 0
  if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else if (v ~ /s$/) print n * 1000000; else print n }'; }

# cpu_ticks PID prints the user+system CPU time of process PID, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# measure NAME ROUND CONNS URL HOST PID appends "name round conns rps p50us
# p90us p99us cpuus" to results, cpuus being the CPU time process PID (the
# proxy; the backend for direct) spent per request.
measure() {
  local name=$1 round=$2 conns=$3 url=$4 host=$5 pid=$6 out t0 t1
  local threads=$(( THREADS < conns ? THREADS : conns ))
  local args=(-t"$threads" -c"$conns" -d"$DURATION" --latency)
  [ -n "$host" ] && args+=(-H "Host: $host")
  t0=$(cpu_ticks "$pid")
  out=$(wrk "${args[@]}" "$url")
  t1=$(cpu_ticks "$pid")
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
    echo "$name: errors during the run:" >&2; grep 'Non-2xx\|Socket errors' <<<"$out" >&2
  fi
  local rps p50 p90 p99 n cpu
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  n=$(awk '/ requests in / {print $1}' <<<"$out")
  cpu=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
  p50=$(to_us "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p90=$(to_us "$(awk '$1 == "90%" {print $2}' <<<"$out")")
  p99=$(to_us "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  printf '%-8s c=%-3s %8.0f req/s   p50 %7.0f µs   p90 %7.0f µs   p99 %7.0f µs   CPU %5.1f µs/req\n' \
    "$name" "$conns" "$rps" "$p50" "$p90" "$p99" "$cpu"
  echo "$name $round $conns $rps $p50 $p90 $p99 $cpu" >>"$work/results"
}

echo "wrk -t$THREADS -d$DURATION, ${BODY}-byte responses after $DELAY, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "$nginx_url" ] && echo "nginx $("$nginx_bin" -v 2>&1 | sed 's/.*: //'), 1 worker, keep-alive upstream"
if awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
  echo "warning: the load average exceeds the CPU count: other processes shape the results (the p99s most)"
fi
for round in $(seq "$ROUNDS"); do
  echo "-- round $round"
  for conns in "$CONNS" "$LIGHT_CONNS"; do
    measure direct "$round" "$conns" "$direct_url" "" "$backend_pid"
    [ -n "$nginx_url" ] && measure nginx "$round" "$conns" "$nginx_url" "" "$nginx_worker"
    measure router "$round" "$conns" "$routed_url" "$routed_host" "$router_pid"
    [ -n "$router1_url" ] && measure router1 "$round" "$conns" "$router1_url" "$routed_host" "$router1_pid"
    [ -n "$revproxy_url" ] && measure revproxy "$round" "$conns" "$revproxy_url" "$routed_host" "$revproxy_pid"
    [ -n "$srvloop_url" ] && measure srvloop "$round" "$conns" "$srvloop_url" "$routed_host" "$srvloop_pid"
    [ -n "$bound_url" ] && measure bound "$round" "$conns" "$bound_url" "$routed_host" "$bound_pid"
  done
done

echo "-- summary over $ROUNDS rounds (min-max; ratios of each round, then of the means)"
awk '
  function range(name, c,    r, lo, hi, v) {
    lo = ""; hi = ""
    for (r = 1; r <= rounds; r++) if ((name, r, c) in rps) { v = rps[name, r, c]; if (lo == "" || v < lo) lo = v; if (hi == "" || v > hi) hi = v }
    return sprintf("%.0f-%.0f", lo, hi)
  }
  function ratios(a, b, c,    r, lo, hi, v) {
    lo = ""; hi = ""
    for (r = 1; r <= rounds; r++) if ((a, r, c) in rps && (b, r, c) in rps) {
      v = rps[a, r, c] / rps[b, r, c]; if (lo == "" || v < lo) lo = v; if (hi == "" || v > hi) hi = v }
    return sprintf("%.2f-%.2fx (means %.2fx)", lo, hi, (sum[a, c] / n[a, c]) / (sum[b, c] / n[b, c]))
  }
  {
    rps[$1, $2, $3] = $4; sum[$1, $3] += $4; p50[$1, $3] += $5; p99[$1, $3] += $7; cpu[$1, $3] += $8; n[$1, $3]++
    conns[$3] = 1; if ($2 > rounds) rounds = $2; if ($1 == "nginx") withNginx = 1; if ($1 == "router1") with1 = 1; if ($1 == "revproxy") withRP = 1; if ($1 == "srvloop") withSL = 1; if ($1 == "bound") withB = 1
  }
  END {
    for (c in conns) {
      printf "c=%-3s req/s direct %s", c, range("direct", c)
      if (withNginx) printf ", nginx %s", range("nginx", c)
      printf ", router %s", range("router", c)
      if (with1) printf ", router1 %s", range("router1", c)
      if (withRP) printf ", revproxy %s", range("revproxy", c)
      if (withSL) printf ", srvloop %s", range("srvloop", c)
      if (withB) printf ", bound %s", range("bound", c)
      printf "\n"
      if (withNginx) printf "      router/nginx %s\n", ratios("router", "nginx", c)
      if (withNginx && with1) printf "      router1/nginx %s\n", ratios("router1", "nginx", c)
      if (withNginx && withRP) printf "      revproxy/nginx %s\n", ratios("revproxy", "nginx", c)
      if (withNginx && withSL) printf "      srvloop/nginx %s\n", ratios("srvloop", "nginx", c)
      if (withNginx && withB) printf "      bound/nginx %s\n", ratios("bound", "nginx", c)
      printf "      router/direct %s", ratios("router", "direct", c)
      if (withNginx) printf ", nginx/direct %s", ratios("nginx", "direct", c)
      printf "\n      added p50 %.0f µs, p99 %.0f µs by the router", p50["router", c] / n["router", c] - p50["direct", c] / n["direct", c], p99["router", c] / n["router", c] - p99["direct", c] / n["direct", c]
      if (withNginx) printf "; %.0f µs, %.0f µs by nginx", p50["nginx", c] / n["nginx", c] - p50["direct", c] / n["direct", c], p99["nginx", c] / n["nginx", c] - p99["direct", c] / n["direct", c]
      printf "\n      CPU per request (means): backend %.1f µs", cpu["direct", c] / n["direct", c]
      if (withNginx) printf ", nginx %.1f µs", cpu["nginx", c] / n["nginx", c]
      printf ", router %.1f µs", cpu["router", c] / n["router", c]
      if (with1) printf ", router1 %.1f µs", cpu["router1", c] / n["router1", c]
      if (withRP) printf ", revproxy %.1f µs", cpu["revproxy", c] / n["revproxy", c]
      if (withSL) printf ", srvloop %.1f µs", cpu["srvloop", c] / n["srvloop", c]
      if (withB) printf ", bound %.1f µs", cpu["bound", c] / n["bound", c]
      printf "\n"
    }
  }' "$work/results"
