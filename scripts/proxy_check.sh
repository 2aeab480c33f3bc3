#!/usr/bin/env bash
# leadpipe import through a real HTTPS reverse proxy with limits of its own, in front of
# leadpipe-sim: nginx terminates TLS (certificates made here with openssl), keeps at most 3
# requests per connection, refuses bodies over 40 KB (413, HTML body) and smooths requests to
# 6 per second with a burst of 2 (limit_req: 503, then 429 in a second round, both without any
# rate-limit headers), below the 12 per second the API key allows. Every lead must still be
# added, with the size complaints and overloads visible in the report.
# Usage: scripts/proxy_check.sh [BUILD_DIR] [ROWS] [STATUS...]   (default build/, 6000 rows, both
# rounds 503 and 429: about a minute; a 429 without headers pauses 2 s, doubling, contract §3.5)
# Needs nginx and openssl (scripts/setup.sh installs them). Ports: picked free on 127.0.0.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
rows=${2:-6000}
shift 2 2>/dev/null || shift $#
rounds=("$@")
[ ${#rounds[@]} -gt 0 ] || rounds=(503 429)
nginx_bin=${LEADPIPE_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$nginx_bin" ] || { echo "proxy_check: nginx not installed (scripts/setup.sh)" >&2; exit 1; }
work=$(mktemp -d -t leadpipe-proxy.XXXXXX)
chmod 755 "$work"  # nginx workers run as another user when started by root
sim_pid=""
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

"$build/tools/leadpipe-gen" --rows "$rows" --seed 11 --out "$work/leads.csv" \
  --duplicate-rate 0.03 --invalid-rate 0.02 --multiline-rate 0.01 --unicode-rate 0.05 \
  --block-list "$work/block.txt" --block-count 200 --block-hit-rate 0.5 \
  --existing "$work/existing.txt" --existing-count 300 --existing-hit-rate 0.5 \
  --sim-fixture "$work/fixture.json" --campaign-id 1 --expect "$work/expected.json" --quiet

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" -days 2 \
  -subj "/CN=leadpipe proxy check CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$work/srv.key" -out "$work/srv.csr" \
  -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$work/ext.cnf"
openssl x509 -req -in "$work/srv.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -out "$work/srv.pem" -days 2 -extfile "$work/ext.cnf" 2>/dev/null

for status in "${rounds[@]}"; do
  sim_port=$(free_port)
  proxy_port=$(free_port)
  "$build/sim/leadpipe-sim" --port "$sim_port" --fixture "$work/fixture.json" \
    --rate-limit 120/10s > "$work/sim.log" 2>&1 &
  sim_pid=$!
  mkdir -p "$work/nginx"
  cat > "$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 256; }
http {
  access_log $work/nginx/access.log;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  limit_req_zone \$binary_remote_addr zone=api:1m rate=6r/s;
  upstream sim { server 127.0.0.1:$sim_port; keepalive 4; }
  server {
    listen 127.0.0.1:$proxy_port ssl;
    ssl_certificate $work/srv.pem;
    ssl_certificate_key $work/srv.key;
    keepalive_requests 3;
    keepalive_timeout 2s;
    client_max_body_size 40k;
    client_body_buffer_size 64k;  # bodies stay in memory: no temp files to write
    location / {
      limit_req zone=api burst=2 nodelay;
      limit_req_status $status;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://sim;
    }
  }
}
EOF
  for _ in $(seq 50); do curl -s "http://127.0.0.1:$sim_port/_sim/health" >/dev/null && break; sleep 0.1; done
  "$nginx_bin" -c "$work/nginx.conf"
  echo "== import through nginx (limit_req answering $status, 40 KB bodies, 3 requests per connection)"
  rc=0
  SMARTLEAD_API_KEY=sim-key timeout 300 "$build/pipeline/cli/leadpipe" import "$work/leads.csv" \
    --campaign 1 --base-url "https://127.0.0.1:$proxy_port/api/v1" --ca-file "$work/ca.pem" \
    --rate-limit 120/10s --cache-dir "$work/cache-$status" --state-dir "$work/state-$status" \
    --outcomes "$work/outcomes.csv" --report "$work/report-$status.json" --no-progress || rc=$?
  kill "$(cat "$work/nginx.pid")"
  kill "$sim_pid"
  wait "$sim_pid" 2>/dev/null || true
  sim_pid=""
  for _ in $(seq 50); do [ -f "$work/nginx.pid" ] || break; sleep 0.1; done
  python3 - "$work/expected.json" "$work/report-$status.json" "$rc" "$status" <<'PY'
import json, sys
want = json.load(open(sys.argv[1]))["outcomes"]
rep = json.load(open(sys.argv[2]))
rc, status = int(sys.argv[3]), sys.argv[4]
got, net = rep["outcomes"], rep["network"]
problems = []
if rc != 0:
    problems.append(f"exit code {rc}")
if got.get("added", 0) != want["accepted"]:
    problems.append(f"added {got.get('added', 0)}, expected {want['accepted']}")
lost = {k: v for k, v in got.items() if k.startswith("not_imported") and v}
if lost:
    problems.append(f"leads not imported: {lost}")
if not net["requests"].get("413"):
    problems.append("the proxy's body limit was never hit (no 413): the check checks nothing")
# A size complaint lowers the batch size for the rest of the job: only the requests already in
# flight (or holding a permit) when it came may meet the limit again.
total = sum(net["requests"].values())
if net["requests"].get("413", 0) > max(8, total // 10):
    problems.append(f"{net['requests']['413']} of {total} requests met the body limit (413): "
                    "the smaller batch size was not kept")
if not net["requests"].get(status):
    problems.append(f"the proxy's rate limit was never hit (no {status})")
if net["pace_cuts"] == 0:
    problems.append("no adaptive pacing cut after the proxy's refusals")
print(f"   added {got.get('added', 0)} of {want['accepted']}; requests {net['requests']}; "
      f"retries {net['retries']}; pace cuts {net['pace_cuts']}; paced rate {net['paced_rate']:.2f}/s")
if problems:
    sys.exit("proxy_check: " + "; ".join(problems))
PY
done
echo "proxy_check: every lead added through the proxy (rounds: ${rounds[*]})"
