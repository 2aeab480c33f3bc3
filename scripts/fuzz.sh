#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for a fixed time.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 60 s; targets: csv email
# response journal cache). Each target starts from a fresh copy of fuzz/corpus/<target>/ plus
# fuzz/regressions/<target>/ in a scratch directory (FUZZ_WORK, default build-fuzz/work); new
# inputs and crashing inputs stay there, never in the repository. Prints per target the CPU
# seconds, runs, final corpus size and crashes; exits non-zero when any target crashed, naming
# the kept input (add it to fuzz/regressions/<target>/ once fixed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv email response journal cache)
build=${FUZZ_BUILD:-$root/build-fuzz}
work=${FUZZ_WORK:-$build/work}

if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLEADPIPE_FUZZ=ON -DLEADPIPE_BUILD_TESTS=OFF -DLEADPIPE_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
summary=()
for t in "${targets[@]}"; do
  dir="$work/$t"
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/crashes"
  cp -R "$root/fuzz/corpus/$t/." "$dir/corpus/"
  if [ -d "$root/fuzz/regressions/$t" ]; then cp -R "$root/fuzz/regressions/$t/." "$dir/corpus/"; fi
  dict=()
  [ -f "$root/fuzz/dict/$t.dict" ] && dict=(-dict="$root/fuzz/dict/$t.dict")
  echo "== fuzz_$t for ${seconds}s (log: $dir/log)"
  set +e
  /usr/bin/time -f "%U %S" -o "$dir/cpu" "$build/fuzz/fuzz_$t" "$dir/corpus" "${dict[@]}" \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/crashes/" >"$dir/log" 2>&1
  rc=$?
  set -e
  cpu=$(awk 'END { printf "%.0f", $1 + $2 }' "$dir/cpu" 2>/dev/null || echo "?")
  runs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$dir/log")
  # A crash ends the run before the final stats: take the last status line's count instead.
  [ -n "$runs" ] || runs=$(grep -oE '^#[0-9]+' "$dir/log" | tail -1 | tr -d '#')
  files=$(find "$dir/corpus" -type f | wc -l)
  bytes=$(du -sb "$dir/corpus" | cut -f1)
  crashes=$(find "$dir/crashes" -type f | wc -l)
  summary+=("$(printf '%-9s %6s %12s %7s %10s %7s' "$t" "$cpu" "${runs:-?}" "$files" "$bytes" \
    "$crashes")")
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    failed=1
    echo "fuzz_$t FAILED (exit $rc); kept input(s):" >&2
    find "$dir/crashes" -type f >&2
    grep -E "invariant broken|ERROR: |runtime error|SUMMARY" "$dir/log" | head -5 >&2 || true
  fi
done

echo
printf '%-9s %6s %12s %7s %10s %7s\n' target cpu_s runs files bytes crashes
printf '%s\n' "${summary[@]}"
exit "$failed"
