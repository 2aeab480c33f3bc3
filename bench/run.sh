#!/usr/bin/env bash
# Runs every benchmark and prints the README's table: machine, compiler, commit, then one row per
# benchmark. Every benchmark checks its results against a reference before timing.
# Usage: bench/run.sh [BUILD_DIR] [--quick]   (--quick: small sizes, for CI smoke runs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
quick=${2:-}
if [ ! -x "$build/pipeline/cli/leadpipe" ]; then
  bash "$root/scripts/build.sh" "$build"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "compiler: $(c++ --version | head -1)"
echo "commit: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo ' (dirty)')"
echo
echo "| benchmark | input | time | rate | throughput | peak memory |"
echo "|---|---|---|---|---|---|"
if [ "$quick" = "--quick" ]; then
  bash "$root/bench/cpu_bench.sh" "$build" 200000 60000 40000 100000
else
  bash "$root/bench/cpu_bench.sh" "$build"
fi
"$build/bench/leadpipe_cache_bench" "$([ "$quick" = --quick ] && echo 200000 || echo 10000000)"
bash "$root/bench/import_bench.sh" "$build" all "$quick"
echo
echo "== csv reader vs io::LineReader"
"$build/bench/leadpipe_csv_bench" "$([ "$quick" = --quick ] && echo 64 || echo 1024)"
echo
echo "== email validation"
"$build/bench/leadpipe_email_bench" "$([ "$quick" = --quick ] && echo 100000 || echo 1000000)"
echo
echo "== simulator throughput"
bash "$root/bench/sim_bench.sh" "$build" "$([ "$quick" = --quick ] && echo 1 || echo 5)"
