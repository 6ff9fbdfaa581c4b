#!/usr/bin/env bash
# Signals and kills, each followed by --resume and a bit-for-bit comparison with an uninterrupted run:
# 1. SIGUSR1 (SLURM's warning before the time limit): the ranks finish the task at hand, checkpoint,
#    record the stop in the archive's run-segment log and exit with status 75; resumable.
# 2. SIGKILL of one rank (rank 1 of 2) between a round's rows and their status (mid-write).
# 3. SIGKILL of the whole job (every process) at eight fixed instants spread over the run, each
#    followed by a resume that is killed again, then a resume to the end.
set -uo pipefail
REVEST=$1 SRC=$2 OUT=$3 MPIEXEC=$4
rm -rf "$OUT" && mkdir -p "$OUT"
fail() { echo "FAIL: $*"; exit 1; }
JOB="$SRC/tests/driver/resume.toml"
DEF="$SRC/config/defaults.toml"
run() { "$MPIEXEC" --oversubscribe "$@"; }
run -n 2 "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$OUT/reference.h5" || fail "reference run"

# 1. SIGUSR1 to mpirun, which forwards it to the ranks (srun does the same under SLURM).
"$MPIEXEC" --oversubscribe -n 2 "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$OUT/usr1.h5" --test-task-delay 0.01 \
  > "$OUT/usr1.log" 2>&1 &
pid=$!  # mpirun itself (not a subshell), which forwards SIGUSR1 to the ranks
for _ in $(seq 100); do  # wait until the work file exists and some tasks are done (up to 10 s)
  sleep 0.1
  [ -f "$OUT/usr1.h5" ] && "$REVEST" inspect "$OUT/usr1.h5" --rows 0 2>/dev/null | grep -qE "index_a.* [1-9][0-9]* ok" && break
done
kill -USR1 "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 75 ] || { cat "$OUT/usr1.log"; fail "SIGUSR1: exit status $rc, expected 75"; }
grep -q "stopped by signal 10 after a checkpoint" "$OUT/usr1.log" || fail "SIGUSR1: no message"
"$REVEST" inspect "$OUT/usr1.h5" --rows 0 > "$OUT/usr1.inspect"
grep -q "INCOMPLETE" "$OUT/usr1.inspect" || fail "SIGUSR1: archive should be incomplete"
grep -q "stopped=signal10 done=[1-9]" "$OUT/usr1.inspect" || { cat "$OUT/usr1.inspect"; fail "SIGUSR1: stop not recorded in the run-segment log"; }
run -n 3 "$REVEST" run "$JOB" --defaults "$DEF" -q --resume -o "$OUT/usr1.h5" || fail "resume after SIGUSR1"
"$REVEST" compare "$OUT/reference.h5" "$OUT/usr1.h5" || fail "SIGUSR1 + resume differs"
echo "SIGUSR1: exit 75, resumed at np=3: identical"

# 2. One rank killed between writing a round's rows and marking them done.
run -n 2 "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$OUT/rank.h5" --test-kill-mid-write 4 --test-kill-rank 1 \
  > "$OUT/rank.log" 2>&1 && fail "the run whose rank 1 was killed exited 0"
"$REVEST" inspect "$OUT/rank.h5" --rows 0 > "$OUT/rank.inspect" || fail "archive unreadable after a rank was killed mid-write"
grep -qE "index_a.*, 72 ok" "$OUT/rank.inspect" || { cat "$OUT/rank.inspect"; fail "expected the 3 checkpointed rounds (72 tasks) kept"; }
run -n 2 "$REVEST" run "$JOB" --defaults "$DEF" -q --resume -o "$OUT/rank.h5" || fail "resume after one rank killed"
"$REVEST" compare "$OUT/reference.h5" "$OUT/rank.h5" || fail "rank kill + resume differs"
echo "SIGKILL of rank 1 mid-write: resumed, identical"

# 3. The whole job killed at fixed instants (seconds after start), resumed each time.
kills=0
for delay in 0.3 0.9 1.6 2.2 0.5 2.8 1.2 3.5; do
  flag=()
  [ -f "$OUT/killed.h5" ] && flag=(--resume)
  setsid "$MPIEXEC" --oversubscribe -n 2 "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$OUT/killed.h5" "${flag[@]}" \
    --test-task-delay 0.004 > "$OUT/kill.log" 2>&1 &
  pid=$!
  sleep "$delay"
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL -- "-$pid" 2>/dev/null
    kills=$((kills + 1))
  fi
  wait "$pid" 2>/dev/null
  if [ -f "$OUT/killed.h5" ]; then
    "$REVEST" inspect "$OUT/killed.h5" --rows 0 > "$OUT/kill.inspect" 2>&1 || { cat "$OUT/kill.inspect"; fail "archive unreadable after SIGKILL at ${delay}s"; }
    grep -E "^status" "$OUT/kill.inspect"
  fi
done
[ "$kills" -ge 4 ] || fail "only $kills of 8 runs were killed before they finished (the job is too short)"
flag=()
[ -f "$OUT/killed.h5" ] && flag=(--resume)
run -n 2 "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$OUT/killed.h5" "${flag[@]}" || fail "final resume"
"$REVEST" compare "$OUT/reference.h5" "$OUT/killed.h5" || fail "killed $kills times + resume differs"
"$REVEST" verify "$OUT/killed.h5" --sample 2 > /dev/null || fail "verify after kills"
echo "SIGKILL of the whole job $kills times: every resume continued, final archive identical and verified"
