#!/usr/bin/env bash
# Simulator throughput: add-leads requests/s with 400-lead bodies over keep-alive HTTP and TLS,
# fault injection and rate limiting off. Prints the machine, compiler and commit, then a table:
#   direct  the simulator's own cost (no sockets, one thread)
#   http    sim_bench's client (8 keep-alive connections) against 2 server threads, new leads
#   tls     the same over TLS
#   wrk     wrk (if installed) against a leadpipe-sim process, re-sending one body (update path)
# Usage: bench/sim_bench.sh [BUILD_DIR] [SECONDS]   (default: build, 5)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
seconds="${2:-5}"
bench="$build/bench/sim_bench"
sim="$build/sim/leadpipe-sim"
for f in "$bench" "$sim"; do
  [[ -x "$f" ]] || { echo "sim_bench.sh: $f is missing; build the sim_bench and leadpipe-sim targets" >&2; exit 1; }
done

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
echo "compiler: $(c++ --version | head -1)"
echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$bench" --mode direct --seconds "$seconds"
"$bench" --mode both --seconds "$seconds" | tail -n +2

if command -v wrk > /dev/null; then
  tmp="$(mktemp -d)"
  trap 'kill "$sim_pid" 2> /dev/null || true; rm -rf "$tmp"' EXIT
  "$bench" --write-body "$tmp/body.json"
  "$sim" --port 0 --port-file "$tmp/port" --rate-limit none --api-key bench > "$tmp/sim.log" &
  sim_pid=$!
  for _ in $(seq 100); do [[ -s "$tmp/port" ]] && break; sleep 0.05; done
  port="$(cat "$tmp/port")"
  out="$(SIM_BENCH_BODY="$tmp/body.json" wrk -t1 -c8 -d"${seconds}s" -s "$root/bench/sim_bench_wrk.lua" \
         "http://127.0.0.1:$port/api/v1/campaigns/1/leads?api_key=bench")"
  rps="$(awk '/Requests\/sec/ {print $2}' <<< "$out")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' <<< "$out")"
  printf '%-6s %5s %9s %8s %10.0f   (re-send path; non-2xx: %s)\n' wrk 8 - "$seconds" "$rps" "${non2xx:-0}"
  kill -TERM "$sim_pid"
  wait "$sim_pid" || true
fi
