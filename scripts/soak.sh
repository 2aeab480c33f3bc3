#!/usr/bin/env bash
# Soak under faults: imports a generated file into leadpipe-sim (TLS on loopback) with every fault
# on at once (5xx, connections reset before the answer, answers lost after commit, truncated
# answers, spurious 429 bursts, slow answers, keep-alive closes), then again with the importer
# killed by SIGKILL at random moments and resumed until it finishes. After each phase
# scripts/soak_check.py checks, from the simulator's state and the outputs, that every input row
# has exactly one outcome (the one `leadpipe validate` gives it), that the leads marked added are
# exactly the campaign's new members, each once, and that the counts match leadpipe-gen's and the
# report's. Prints a summary table; exits non-zero on any mismatch.
#
# Usage: scripts/soak.sh [LEADS] [KILLS]        (defaults 1000000 and 12)
# Environment: BUILD_DIR (default build/), SOAK_SEED (kill delays and faults; default random,
# printed), SOAK_SKIP_BUILD=1 (use the binaries as they are), SOAK_KEEP=1 (keep the work dir).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
leads=${1:-1000000}
kills_wanted=${2:-12}
build=${BUILD_DIR:-$root/build}
seed=${SOAK_SEED:-$(( $(date +%s) % 100000 ))}
[ "${SOAK_SKIP_BUILD:-0}" = 1 ] || bash "$root/scripts/build.sh" "$build"
lp="$build/pipeline/cli/leadpipe"
gen="$build/tools/leadpipe-gen"
simbin="$build/sim/leadpipe-sim"
check="$root/scripts/soak_check.py"
work=$(mktemp -d -t leadpipe-soak.XXXXXX)
sim_pid=""
ok=0
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  if [ "$ok" = 1 ] && [ "${SOAK_KEEP:-0}" != 1 ]; then rm -rf "$work"; else echo "soak: files kept in $work"; fi
}
trap cleanup EXIT
export SMARTLEAD_API_KEY=sim-key
# Nothing of the soak's may land in the user's own cache or state directories.
export XDG_CACHE_HOME="$work/xdg-cache" XDG_STATE_HOME="$work/xdg-state"
RANDOM=$seed
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }

# Every fault at once. The failure rates are set so that a batch almost never fails six times in
# a row (0.08^6 per batch): a lead that runs out of retries is still checked (accounted as not
# imported, and then it must not be in the campaign) but is not the point of the soak.
# Small runs use 100-lead batches so that a short CI run still meets every fault; a burst of five
# spurious 429s comes two to four times per run (every 100 to 500 requests): each pauses every
# sender for a second or more, so more would leave the kills mostly landing in pauses. Slow
# answers are the import's only: the sync before it reads hundreds of pages one after another,
# and with the same latency the kills would mostly land in it.
batch=$([ "$leads" -ge 400000 ] && echo 400 || echo 100)
every=$(( leads / batch / 4 ))
every=$(( every < 100 ? 100 : (every > 500 ? 500 : every) ))
faults=(
  '*:status=503:p=0.03' '*:status=502:p=0.01' '*:close-before-answer:p=0.02'
  '*:drop-after-commit:p=0.02' '*:truncate:p=0.01' "*:burst429=5:every=$every:retry-after=1"
  'import:latency=5ms..2s:mean=200ms'
)
keepalive_max=25

echo "== soak: $leads leads in $batch-lead batches, at least $kills_wanted kills, seed $seed, work dir $work"
# Lists sized with the input, loaded into the simulator by the fixture. The importer is given
# --existing only: it learns the block list from its sync, and the simulator itself decides the
# unsubscribed leads (and whatever the sync missed) under the same faults.
"$gen" --rows "$leads" --seed "$seed" --out "$work/leads.csv" \
  --duplicate-rate 0.03 --invalid-rate 0.02 --missing-rate 0.01 --risky-rate 0.02 \
  --role-rate 0.02 --multiline-rate 0.01 --extra-column-rate 0.002 --short-row-rate 0.002 \
  --unicode-rate 0.05 \
  --block-list "$work/block.txt" --block-count $((leads / 50 + 10)) --block-hit-rate 0.5 \
  --block-domain-count 5 \
  --existing "$work/existing.txt" --existing-count $((leads / 25 + 10)) --existing-hit-rate 0.5 \
  --unsubscribed "$work/unsub.txt" --unsubscribed-count $((leads / 100 + 10)) \
  --unsubscribed-hit-rate 0.5 \
  --sim-fixture "$work/fixture.json" --campaign-id 1 --expect "$work/expected.json" --quiet
# The reference: each row's outcome when every list is applied locally.
"$lp" validate "$work/leads.csv" --existing "$work/existing.txt" --block-list "$work/block.txt" \
  --unsubscribed "$work/unsub.txt" --outcomes "$work/reference.csv" --no-progress \
  --report "$work/validate.json" >/dev/null 2>&1

fault_args=()
for f in "${faults[@]}"; do fault_args+=(--fault "$f"); done
"$simbin" --tls --port 0 --port-file "$work/port" --ca-out "$work/ca.pem" --threads 2 \
  --fixture "$work/fixture.json" --rate-limit none --keepalive-max "$keepalive_max" \
  --fault-seed "$seed" "${fault_args[@]}" >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/sim.log"; echo "soak: leadpipe-sim did not start" >&2; exit 1; }
sim="https://127.0.0.1:$(cat "$work/port")"
state() { python3 "$check" get "$sim/_sim/state?campaign=1" "$work/ca.pem" "$1"; }
sim_alive() {  # the simulator holds the state to check: without it the soak cannot go on
  kill -0 "$sim_pid" 2>/dev/null && return 0
  echo "soak: leadpipe-sim is gone ($(tail -1 "$work/sim.log")): stopped from outside?" >&2
  exit 1
}

# Each phase syncs its own cache of the server's sets (block list, members, ...) from the faulty
# simulator at its first run; a resumed run uses it as it is. The simulator is reset between the
# phases, so phase 1's cache would be stale in phase 2.
import_args() {  # import_args PHASE: the flags of one phase's runs
  args=(import "$work/leads.csv" --campaign 1 --base-url "$sim/api/v1" --ca-file "$work/ca.pem"
        --rate-limit none --existing "$work/existing.txt" --state-dir "$work/$1.state"
        --cache-dir "$work/$1.cache"
        --outcomes "$work/$1.outcomes.csv" --rejects "$work/$1.rejects.csv"
        --report "$work/$1.report.json" --no-progress --batch-size "$batch")
}

journal() {  # journal PHASE: the path of the phase's journal, once it exists
  local f
  for f in "$work/$1.state"/*.journal; do [ -e "$f" ] && echo "$f"; done
  return 0
}

acked() {  # acked PHASE: how many batches the phase's journal records as acknowledged
  local j
  j=$(journal "$1")
  if [ -n "$j" ]; then grep -c '^[0-9a-f]\{8\} K ' "$j" || true; else echo 0; fi
}

check_phase() {  # check_phase PHASE RC KILLS RUNS ELAPSED [checker flags...]
  local phase=$1 report="$work/$1.report.json"
  sim_alive
  state "$work/$phase.after.json"
  [ -s "$report" ] || report=""
  python3 "$check" check "${@:6}" --phase "$phase" --outcomes "$work/$phase.outcomes.csv" \
    --reference "$work/reference.csv" --expected "$work/expected.json" --report "$report" \
    --before "$work/$phase.before.json" --after "$work/$phase.after.json" --exit-code "$2" \
    --kills "$3" --runs "$4" --elapsed "$5" --result "$work/$phase.result.json" || true
}

echo "== phase 1: one import to the end under every fault"
state "$work/faults.before.json"
import_args faults
t0=$(now)
"$lp" "${args[@]}" 2>"$work/faults.log" &
pid=$!
# How long a fresh run takes to start (sync the sets, hash the input) before its journal exists:
# phase 2 places start-up kills of fresh runs within that time.
while kill -0 "$pid" 2>/dev/null && [ -z "$(journal faults)" ]; do sleep 0.05; done
startup=$(since "$t0")
set +e
wait "$pid"
rc=$?
set -e
t1=$(since "$t0")
echo "   $t1 s, of which $startup s of start-up before the journal existed (sync, input hash)"
[ "$rc" -le 1 ] || { tail -5 "$work/faults.log"; echo "soak: leadpipe import exited $rc" >&2; }
check_phase faults "$rc" 0 1 "$t1"

echo "== phase 2: SIGKILL at random moments, then --resume, until it finishes"
python3 "$check" post "$sim/_sim/reset" "$work/ca.pem"
state "$work/kills.before.json"
import_args kills
# Kills are placed by progress, not by the clock (phase 1's time is a poor guide: one batch in a
# long backoff stretches it). One run in four is killed in its start-up (the sync and input hash
# of a fresh run, the re-read of a resumed one); the others once the journal holds 1 to
# 1/(2*KILLS) of phase 1's batches more than before, plus 0-500 ms. So every kill lands before
# the import could finish.
batches=$(acked faults)
per_kill=$(( batches / (2 * kills_wanted) ))
per_kill=$(( per_kill < 1 ? 1 : per_kill ))
start_ms=$(python3 -c "print(int(1000 * $startup))")
kills=0
runs=0
finished_unreported=0
hit=0
unsettled=0
t0=$(now)
while :; do
  sim_alive
  extra=()
  j=$(journal kills)
  # No journal yet (killed before it was made): start afresh. A journal whose last record is
  # the finish record: the run was killed after finishing, nothing is left to do.
  if [ -n "$j" ]; then
    if [ "$(tail -1 "$j" | cut -d' ' -f2)" = F ]; then rc=0; finished_unreported=1; break; fi
    extra=(--resume)
  fi
  runs=$((runs + 1))
  if [ "$kills" -ge "$kills_wanted" ]; then
    echo "run $runs: to the end ${extra[*]}" >>"$work/kills.log"
    set +e
    "$lp" "${args[@]}" "${extra[@]}" 2>>"$work/kills.log"
    rc=$?
    set -e
    [ "$rc" -le 1 ] && break
    tail -5 "$work/kills.log"
    echo "soak: run $runs of phase 2 exited $rc" >&2
    break
  fi
  step=0
  (( RANDOM % 4 == 0 )) || step=$(( 1 + RANDOM % per_kill ))
  base=$(acked kills)
  "$lp" "${args[@]}" "${extra[@]}" 2>>"$work/kills.log" &
  pid=$!
  if [ "$step" -eq 0 ]; then
    wait_ms=$(( 50 + RANDOM % ((${#extra[@]} ? 500 : start_ms) + 500) ))
    sleep "$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))"
    when="in start-up, after $wait_ms ms"
  else
    while kill -0 "$pid" 2>/dev/null && [ "$(acked kills)" -lt $((base + step)) ]; do sleep 0.02; done
    wait_ms=$(( RANDOM % 500 ))
    sleep "$(printf '0.%03d' "$wait_ms")"
    when="after $step more acknowledged batches + $wait_ms ms"
  fi
  killed=0
  kill -KILL "$pid" 2>/dev/null && killed=1
  set +e
  { wait "$pid"; } 2>/dev/null
  rc=$?
  set -e
  if [ "$killed" = 0 ] || [ "$rc" -ne 137 ]; then
    echo "run $runs: ended by itself (exit $rc) before its kill ${extra[*]}" >>"$work/kills.log"
    [ "$rc" -le 1 ] && break
    tail -5 "$work/kills.log"
    echo "soak: run $runs of phase 2 exited $rc" >&2
    break
  fi
  kills=$((kills + 1))
  # Batches the dead process had dispatched (journal D records) but not settled (K records): on
  # the wire, in backoff or answered unread. They may have landed, and the resumed run must sort
  # them out. The journal keeps the old records, so the count grows by this kill's share.
  j=$(journal kills)
  n=0
  [ -n "$j" ] && n=$(awk '$2 == "D" { d++ } $2 == "K" { k++ } END { print d - k }' "$j")
  echo "run $runs: SIGKILL $when ${extra[*]}: $((n - unsettled)) dispatched batches unsettled" \
    >>"$work/kills.log"
  [ $((n - unsettled)) -gt 0 ] && hit=$((hit + 1))
  unsettled=$n
done
t2=$(since "$t0")
echo "   $runs runs, $kills killed (in start-up, or after 1 to $per_kill acknowledged batches;" \
  "log $work/kills.log)"
late=()
[ "$finished_unreported" = 1 ] && late=(--allow-no-report)
check_phase kills "$rc" "$kills" "$runs" "$t2" --orphaned "$hit / $unsettled" "${late[@]}"

echo "== summary (seed $seed; faults: ${faults[*]}; keep-alive close every $keepalive_max requests)"
status=0
python3 "$check" summary "$work/faults.result.json" "$work/kills.result.json" || status=1
if [ "$kills" -lt "$kills_wanted" ]; then
  echo "soak: only $kills kills before the import finished (wanted $kills_wanted)" >&2
  status=1
fi
[ "$status" = 0 ] && ok=1
exit "$status"
