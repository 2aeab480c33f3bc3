#!/usr/bin/env bash
# The whole test suite, from a clean clone: installs what is needed, builds, runs every test
# (unit + integration against the simulator on loopback), then rebuilds under AddressSanitizer +
# UndefinedBehaviorSanitizer and runs the suite again. Exits non-zero when any test fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh

echo "== build (RelWithDebInfo)"
bash scripts/build.sh "$root/build"
echo "== tests"
ctest --test-dir "$root/build" --output-on-failure -j 2

echo "== benchmark smoke run (small sizes; results checked against references)"
bash "$root/bench/run.sh" "$root/build" --quick

# Soak and huge input, short versions (about a minute together): every simulator fault at once
# with 3 SIGKILLs and resumes on 20,000 leads; 1 GB streamed through a pipe at flat memory.
echo "== soak under faults (short) and huge input (short)"
BUILD_DIR="$root/build" bash scripts/soak.sh 20000 3
BUILD_DIR="$root/build" bash scripts/huge_input.sh 1

echo "== build (address;undefined sanitizers)"
bash scripts/build.sh "$root/build-asan" -DLEADPIPE_SANITIZE='address;undefined' \
  -DCMAKE_BUILD_TYPE=Debug -DLEADPIPE_BUILD_BENCH=OFF
echo "== tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/build-asan" --output-on-failure -j 2

# Fuzzing, short: each libFuzzer target (clang, ASan + UBSan) for about 15 s from its seed
# corpus and regression inputs; a crash or broken invariant fails CI and keeps the input
# under build-fuzz/work/<target>/crashes/.
echo "== fuzz targets (15 s each)"
bash scripts/fuzz.sh 15
