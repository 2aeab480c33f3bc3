#!/usr/bin/env bash
# ThreadSanitizer run: `leadpipe import` packs batches on one thread and sends them on another
# (the ledger, the batch queue and the progress counters are shared), and the simulator serves
# on several worker threads. Builds BUILD_DIR (default build-tsan) with LEADPIPE_SANITIZE=thread
# and runs every integration test (simulator over real sockets, the import end to end, SIGKILL
# and resume) plus the unit tests that start threads or guard shared state: the rate limiter,
# retry policy, batch, journal, email validator and the byte source's pipe reader.
# Warnings are not errors here: g++ 12 warns (-Wtsan) that TSan does not model
# std::atomic_thread_fence, which libstdc++ and Asio headers use.
# Usage: scripts/tsan.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build-tsan}
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLEADPIPE_SANITIZE=thread -DLEADPIPE_WERROR=OFF -DLEADPIPE_BUILD_BENCH=OFF >/dev/null
fi
units=(rate_limiter_test retry_policy_test batch_test journal_test email_test source_test)
mapfile -t integration < <(ctest --test-dir "$dir" -N -L integration | sed -n 's/^ *Test *#[0-9]*: //p')
[ "${#integration[@]}" -gt 0 ] || { echo "tsan: no integration tests found in $dir" >&2; exit 1; }
tests=("${integration[@]}" "${units[@]}")
echo "== tsan: building ${#tests[@]} tests in $dir"
# The binaries the tests start (leadpipe, leadpipe-sim) are dependencies of those tests.
cmake --build "$dir" -j "$(nproc)" --target "${tests[@]}"
regex="^($(IFS='|'; echo "${tests[*]}"))\$"
echo "== tsan: running ${#tests[@]} tests"
# halt_on_error: the first race fails its test, with both stacks in the output.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
  ctest --test-dir "$dir" --output-on-failure -j 2 -R "$regex"
