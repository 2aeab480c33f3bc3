#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, generates sample leads, starts
# leadpipe-sim with TLS on loopback (SmartLead's default rule scaled to a 10-second window so the
# demo takes about a minute), imports the leads with `leadpipe import` (which first fetches the
# server's block list and the campaign's members into its cache) and prints the report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
bash scripts/build.sh "$root/build"
bin="$root/build"
work=$(mktemp -d -t leadpipe-demo.XXXXXX)
sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true; }
trap cleanup EXIT

echo "== generating 30,000 sample leads in $work"
"$bin/tools/leadpipe-gen" --rows 30000 --seed 42 --out "$work/leads.csv" \
  --duplicate-rate 0.03 --invalid-rate 0.02 --missing-rate 0.01 --risky-rate 0.02 \
  --role-rate 0.02 --multiline-rate 0.01 --extra-column-rate 0.002 --unicode-rate 0.05 \
  --block-list "$work/block.txt" --block-count 500 --block-hit-rate 0.5 --block-domain-count 3 \
  --existing "$work/existing.txt" --existing-count 800 --existing-hit-rate 0.5 \
  --sim-fixture "$work/fixture.json" --campaign-id 1 \
  --expect "$work/expected.json" --quiet

echo "== starting leadpipe-sim (TLS, private CA, rate limit 10 requests / 10 s)"
"$bin/sim/leadpipe-sim" --tls --port 0 --port-file "$work/port" --ca-out "$work/ca.pem" \
  --fixture "$work/fixture.json" --rate-limit 10/10s --state-dump "$work/sim-state.json" &
sim_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")

echo "== leadpipe import: syncs the block list and the campaign's members into a cache first,"
echo "   then sends only leads the server will add (progress on standard error)"
set +e
SMARTLEAD_API_KEY=sim-key "$bin/pipeline/cli/leadpipe" import "$work/leads.csv" \
  --campaign 1 --base-url "https://127.0.0.1:$port/api/v1" --ca-file "$work/ca.pem" \
  --rate-limit 10/10s --cache-dir "$work/cache" --state-dir "$work/state" --outcomes "$work/outcomes.csv" --rejects "$work/rejects.csv" \
  --report "$work/report.json" --progress
rc=$?
set -e
echo "== report ($work/report.json)"
cat "$work/report.json"
echo "== leadpipe exited with $rc; outcomes.csv and rejects.csv are in $work"
exit $rc
