#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, generates sample leads with
# leadpipe-gen and runs `leadpipe validate` on them, printing the JSON report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
bash scripts/build.sh "$root/build"
bin="$root/build"
work=$(mktemp -d -t leadpipe-demo.XXXXXX)
echo "== generating 20,000 sample leads in $work"
"$bin/tools/leadpipe-gen" --rows 20000 --seed 42 --out "$work/leads.csv" \
  --duplicate-rate 0.03 --invalid-rate 0.02 --missing-rate 0.01 --risky-rate 0.02 \
  --role-rate 0.02 --multiline-rate 0.01 --extra-column-rate 0.002 --unicode-rate 0.05 \
  --block-list "$work/block.txt" --block-count 500 --block-hit-rate 0.5 --block-domain-count 3 \
  --existing "$work/existing.txt" --existing-count 800 --existing-hit-rate 0.5 \
  --expect "$work/expected.json"
echo "== leadpipe validate"
"$bin/pipeline/cli/leadpipe" validate "$work/leads.csv" \
  --block-list "$work/block.txt" --existing "$work/existing.txt" \
  --out "$work/clean.csv" --outcomes "$work/outcomes.csv" --rejects "$work/rejects.csv" \
  --report -
echo "== outputs in $work: clean.csv, outcomes.csv, rejects.csv (expected counts: expected.json)"
