#!/usr/bin/env bash
# Huge input: streams a CSV far larger than memory through a pipe into `leadpipe validate -` and
# checks that peak memory stays flat: the peak RSS at the full size may exceed the peak at the
# first measurement (1 GB, or a quarter of the size when that is smaller) by at most
# HUGE_SLACK_MB (default 4).
#
# What "flat" means: every stage is bounded in bytes except the deduplication map, which keeps
# one fingerprint per distinct identity key (documented in the README). So the stream repeats one
# block of 200,000 generated rows (about 44 MB, with duplicates, invalid, missing, risky,
# multi-line and malformed rows) after a single header, produced on the fly by `cat` in a loop:
# the set of distinct keys is complete after the first block, and any growth after that is a
# leak or an unbounded buffer. The outcome counts are checked exactly: the first block gives
# leadpipe-gen's expected counts, and in every later block each row with a valid address is a
# duplicate_in_file while malformed, missing and invalid rows stay what they were.
# Outputs go to /dev/null (the outcome file of 20 GB of input would be about 10 GB), the report
# to a temporary directory that is deleted.
#
# Usage: scripts/huge_input.sh [GIGABYTES]     (default 20; 1 GB = 10^9 bytes)
# Environment: BUILD_DIR (default build/), HUGE_SKIP_BUILD=1, HUGE_SLACK_MB.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gigabytes=${1:-20}
build=${BUILD_DIR:-$root/build}
slack_mb=${HUGE_SLACK_MB:-4}
[ "${HUGE_SKIP_BUILD:-0}" = 1 ] || bash "$root/scripts/build.sh" "$build"
lp="$build/pipeline/cli/leadpipe"
gen="$build/tools/leadpipe-gen"
dir=$(mktemp -d -t leadpipe-huge.XXXXXX)
trap 'rm -rf "$dir"' EXIT
# The only file written is the block (about 44 MB); refuse to start with less than 1 GB free.
free_kb=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
[ "$free_kb" -gt 1000000 ] || { echo "huge_input: less than 1 GB free in $dir" >&2; exit 1; }

rows=200000
"$gen" --rows "$rows" --seed 11 --out "$dir/gen.csv" --expect "$dir/expected.json" --quiet \
  --duplicate-rate 0.03 --invalid-rate 0.02 --missing-rate 0.01 --risky-rate 0.02 \
  --role-rate 0.02 --multiline-rate 0.01 --extra-column-rate 0.002 --short-row-rate 0.002 \
  --unicode-rate 0.05
head -n 1 "$dir/gen.csv" >"$dir/header.csv"
tail -n +2 "$dir/gen.csv" >"$dir/block.csv"
header_bytes=$(stat -c %s "$dir/header.csv")
block_bytes=$(stat -c %s "$dir/block.csv")

# measure GB: streams at least GB*10^9 bytes (whole blocks) and prints
# "blocks bytes peak_kb seconds cpu_seconds"; the report is checked against the expected counts.
measure() {
  local target blocks
  target=$(python3 -c "print(int(float('$1') * 1e9))")
  blocks=$(( (target - header_bytes + block_bytes - 1) / block_bytes ))
  { cat "$dir/header.csv"; for ((i = 0; i < blocks; i++)); do cat "$dir/block.csv"; done; } |
    /usr/bin/time -f '%M %e %U %S' -o "$dir/time.txt" "$lp" validate - --out /dev/null \
      --outcomes /dev/null --rejects /dev/null --report "$dir/report.json" --no-progress \
      2>"$dir/validate.log" || { cat "$dir/validate.log" >&2; return 1; }
  python3 - "$dir/report.json" "$dir/expected.json" "$blocks" "$rows" \
    "$((header_bytes + blocks * block_bytes))" <<'PY' || return 1
import json, sys
rep, exp = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
blocks, rows, size = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
e = exp["outcomes"]
stays = {k: e[k] * blocks for k in ("malformed_row", "missing_email", "invalid_email")}
want = dict(e, **stays)
want["duplicate_in_file"] = e["duplicate_in_file"] + (blocks - 1) * (rows - sum(e[k] for k in stays))
got = rep["outcomes"]
bad = [f"{k}: {got.get(k)} != {v}" for k, v in want.items() if got.get(k) != v]
if rep["rows_read"] != rows * blocks: bad.append(f"rows_read {rep['rows_read']} != {rows * blocks}")
if rep["bytes"] != size: bad.append(f"bytes {rep['bytes']} != {size}")
if not rep["balanced"]: bad.append("report not balanced")
for b in bad: print(f"huge_input: {b}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
  read -r peak wall usr sys <"$dir/time.txt"
  echo "$blocks $((header_bytes + blocks * block_bytes)) $peak $wall $(python3 -c "print($usr + $sys)")"
}

first=$(python3 -c "print(min(1.0, float('$gigabytes') / 4))")
echo "== huge input: ${gigabytes} GB streamed through a pipe (block of $rows rows, $block_bytes bytes, repeated)"
echo "| input | rows | peak RSS | wall | CPU | throughput |"
echo "|---|---|---|---|---|---|"
results=()
for size in "$first" "$gigabytes"; do
  read -r blocks bytes peak wall cpu <<<"$(measure "$size")"
  results+=("$peak")
  python3 -c "
b, peak, wall, cpu = $bytes, $peak, $wall, $cpu
print(f'| {b / 1e9:.2f} GB | {$blocks * $rows:,} | {peak / 1024:.1f} MB | {wall:.1f} s | {cpu:.1f} s | '
      f'{b / 1e6 / wall:.0f} MB/s wall, {b / 1e6 / cpu:.0f} MB/CPU-s |')"
done
growth_kb=$(( results[1] - results[0] ))
if [ "$growth_kb" -gt $((slack_mb * 1024)) ]; then
  echo "huge_input: peak RSS grew by $((growth_kb / 1024)) MB from ${first} GB to ${gigabytes} GB (allowed ${slack_mb} MB)" >&2
  exit 1
fi
echo "huge_input: peak RSS flat (${growth_kb} kB more at ${gigabytes} GB than at ${first} GB; allowed ${slack_mb} MB)"
