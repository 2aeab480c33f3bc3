#!/usr/bin/env bash
# Import benchmarks against leadpipe-sim over TLS on loopback. Prints Markdown table rows.
#   rate   SmartLead's default rule scaled to 60 requests / 10 s, import latency 0.5-3 s, 11
#          windows of leads: rate_limit_use, 429s (must be 0) and full batches are checked.
#   free   no rate limit: leads/s and requests/s with 1, 4 and 16 connections, and the client's
#          CPU time per request.
# Usage: bench/import_bench.sh BUILD_DIR [rate|free|all] [--quick]
set -euo pipefail
build=${1:?build dir}
what=${2:-all}
quick=${3:-}
lp="$build/pipeline/cli/leadpipe"
gen="$build/tools/leadpipe-gen"
simbin="$build/sim/leadpipe-sim"
dir=$(mktemp -d /dev/shm/leadpipe-import-bench.XXXXXX)
sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
export SMARTLEAD_API_KEY=sim-key

start_sim() {  # start_sim ARGS...: a fresh simulator; sets $port
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
  rm -f "$dir/port"
  "$simbin" --tls --port 0 --port-file "$dir/port" --ca-out "$dir/ca.pem" "$@" >"$dir/sim.log" 2>&1 &
  sim_pid=$!
  for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
  port=$(cat "$dir/port")
}

import() {  # import CSV REPORT ARGS...
  local csv=$1 rep=$2
  shift 2
  /usr/bin/time -f "%e %U %S" -o "$dir/time.txt" "$lp" import "$csv" --campaign 1 \
    --base-url "https://127.0.0.1:$port/api/v1" --ca-file "$dir/ca.pem" --no-journal --no-cache \
    --no-progress --report "$rep" "$@" >/dev/null 2>"$dir/import.log"
}

if [ "$what" = rate ] || [ "$what" = all ]; then
  windows=$([ "$quick" = --quick ] && echo 3 || echo 11)
  rows=$((windows * 60 * 400))
  "$gen" --rows "$rows" --seed 3 --out "$dir/rate.csv" --quiet
  start_sim --rate-limit 60/10s --fault 'import:latency=500ms..3s'
  import "$dir/rate.csv" "$dir/rate.json" --rate-limit 60/10s
  python3 - "$dir/rate.json" "$windows" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); n = r["network"]; windows = int(sys.argv[2])
added = r["outcomes"]["added"]
ok = n["rate_limited"] == 0 and n["leads_sent"] == added and n["rate_limit_use"] >= 0.99
print(f"| import, rate-limited 60/10s, latency 0.5-3 s | {added:,} leads, {windows} windows | "
      f"{r['seconds']:.1f} s | use {n['rate_limit_use']:.4f}, 429s {n['rate_limited']} | "
      f"{n['requests'].get('200', 0)} requests, all leads sent added: {n['leads_sent'] == added} | "
      f"{'ok' if ok else 'TARGET MISSED'} |")
PY
fi

if [ "$what" = free ] || [ "$what" = all ]; then
  rows=$([ "$quick" = --quick ] && echo 40000 || echo 400000)
  "$gen" --rows "$rows" --seed 4 --out "$dir/free.csv" --quiet
  for conns in 1 4 16; do
    start_sim --rate-limit none --threads 2
    import "$dir/free.csv" "$dir/free$conns.json" --rate-limit none --concurrency "$conns"
    read -r wall usr sys < "$dir/time.txt"
    python3 - "$dir/free$conns.json" "$conns" "$wall" "$usr" "$sys" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); n = r["network"]
conns, wall, cpu = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]) + float(sys.argv[5])
reqs = sum(n["requests"].values()); added = r["outcomes"]["added"]
print(f"| import, no limit, {conns} connection(s), TLS | {added:,} leads | {wall:.2f} s | "
      f"{added / wall:,.0f} leads/s, {reqs / wall:.0f} req/s | client CPU {1000 * cpu / reqs:.2f} ms/request | |")
PY
  done
fi
