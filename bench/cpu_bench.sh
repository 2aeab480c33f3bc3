#!/usr/bin/env bash
# The whole CPU stage (source -> csv -> map -> validate -> dedup -> filter -> outputs) on a
# generated file, pinned to one core, inputs and outputs on tmpfs. Checks every outcome count
# against leadpipe-gen's expectation before reporting, then prints one Markdown table row.
# Usage: bench/cpu_bench.sh BUILD_DIR [ROWS] [BLOCK] [UNSUB] [EXISTING]
set -euo pipefail
build=${1:?build dir}
rows=${2:-10000000}
block=${3:-3000000}
unsub=${4:-2000000}
existing=${5:-5000000}
dir=$(mktemp -d /dev/shm/leadpipe-cpu-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
gen="$build/tools/leadpipe-gen"
lp="$build/pipeline/cli/leadpipe"

"$gen" --rows "$rows" --seed 7 --out "$dir/leads.csv" --columns 15 \
  --duplicate-rate 0.03 --invalid-rate 0.01 --missing-rate 0.005 --risky-rate 0.01 \
  --role-rate 0.02 --multiline-rate 0.02 --extra-column-rate 0.001 --unicode-rate 0.03 \
  --block-list "$dir/block.txt" --block-count "$block" --block-hit-rate 0.1 --block-domain-count 50 \
  --unsubscribed "$dir/unsub.txt" --unsubscribed-count "$unsub" --unsubscribed-hit-rate 0.1 \
  --existing "$dir/existing.txt" --existing-count "$existing" --existing-hit-rate 0.2 \
  --expect "$dir/expected.json" --quiet
bytes=$(stat -c %s "$dir/leads.csv")

# Lists alone (their load time and memory are part of the documented cost of the sets).
/usr/bin/time -f "%e %M %U %S" -o "$dir/time.txt" taskset -c 0 "$lp" validate "$dir/leads.csv" \
  --block-list "$dir/block.txt" --unsubscribed "$dir/unsub.txt" --existing "$dir/existing.txt" \
  --out "$dir/out.csv" --outcomes "$dir/outcomes.csv" --rejects "$dir/rejects.csv" \
  --report "$dir/report.json" --no-progress 2>"$dir/stderr.txt"
read -r wall rss_kb usr sys < "$dir/time.txt"

python3 - "$dir/expected.json" "$dir/report.json" <<'PY'
import json, sys
want = json.load(open(sys.argv[1]))["outcomes"]
got = json.load(open(sys.argv[2]))["outcomes"]
bad = {k: (v, got.get(k, 0)) for k, v in want.items() if got.get(k, 0) != v}
if bad:
    sys.exit(f"cpu_bench: counts differ from the generator's: {bad}")
PY
sets_mb=$(python3 -c "import json;r=json.load(open('$dir/report.json'));print(round(sum(s['bytes'] for s in r['sets'])/1e6))")
python3 - "$rows" "$bytes" "$wall" "$rss_kb" "$sets_mb" "$usr" "$sys" <<'PY'
import sys
rows, size, wall, rss_kb, sets_mb = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
cpu = float(sys.argv[6]) + float(sys.argv[7])
print(f"| CPU stage (validate, lists {sys.argv[1]} rows), 1 core | {rows:,} rows, {size/1e9:.2f} GB | {wall:.2f} s wall, {cpu:.2f} s CPU | "
      f"{rows/wall/1e6:.2f} M rows/s | {size/wall/1e6:.0f} MB/s | {rss_kb/1024:.0f} MB (sets {sets_mb} MB) |")
PY
