#!/usr/bin/env bash
# revest on a real SLURM: slurm/local-cluster.sh starts a one-node cluster (munge, slurmctld,
# slurmd) and this script, through `revest submit` and sbatch:
# 1. runs the smoke job on 2 tasks from a directory whose name has spaces, quotes, `$( )` and `;`,
#    and checks the archive equals a local run and that nothing in the name was executed;
# 2. runs a 3-shard job array plus its dependent merge job while shard 1 fails (a directory sits
#    where its archive goes): the merge job is cancelled, the diagnosing merge job (afternotok) and
#    `revest merge` by hand name shard 1, the other shards are kept; the same `revest submit` then re-runs only shard 1 and the merge, and the
#    merged archive equals the single run bit for bit;
# 3. runs a job whose one-minute time limit it cannot meet: SLURM's SIGUSR1 makes it checkpoint and
#    exit 75, the batch script requeues it, it resumes, and it completes;
# 4. verifies that archive and re-runs it with srun on 2 tasks from the archive alone: identical.
# The cluster is stopped when the script ends, whether the checks pass or fail.
set -uo pipefail
REVEST=$1 SRC=$2 OUT=$3 MPIEXEC=$4
rm -rf "$OUT" && mkdir -p "$OUT"
CLUSTER="$SRC/slurm/local-cluster.sh"
fail() { echo "FAIL: $*"; exit 1; }
cleanup() { bash "$CLUSTER" stop > "$OUT/cluster-stop.log" 2>&1 || cat "$OUT/cluster-stop.log"; }
trap cleanup EXIT
bash "$CLUSTER" start || fail "the local cluster did not start"

# wait_job ID SECONDS: polls until no task of job ID is pending or running; prints the end states.
wait_job() {
  local id=$1 limit=$2 t0=$SECONDS states
  while :; do
    states=$(squeue -h -t all -j "$id" -o "%i %T" 2>/dev/null)
    if ! grep -qE "PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUE|SUSPENDED|RESIZING|SIGNALING|STAGE_OUT" <<< "$states"; then
      echo "$states"
      return 0
    fi
    if [ $((SECONDS - t0)) -gt "$limit" ]; then
      echo "$states"
      scontrol show job "$id"
      return 1
    fi
    sleep 0.5
  done
}
# submit_shards LOG PATTERN: submits the smoke job as 3 shards + merge, checks the submit output
# for PATTERN, waits for the array, the merge job and the job that diagnoses a failed shard; sets
# $arr, $mrg and $diag.
submit_shards() {
  "$REVEST" submit "$SRC/jobs/smoke.toml" --shards 3 --ntasks 1 --time 10 -o "$OUT/sharded.h5" > "$OUT/$1" 2>&1 \
    || { cat "$OUT/$1"; fail "submit of the sharded job"; }
  cat "$OUT/$1"
  grep -q "$2" "$OUT/$1" || fail "submit should report '$2'"
  arr=$(sed -n 's/^run //p' "$OUT/$1"); mrg=$(sed -n 's/^merge //p' "$OUT/$1"); diag=$(sed -n 's/^diagnose //p' "$OUT/$1")
  [ -n "$arr" ] && [ -n "$mrg" ] && [ -n "$diag" ] || fail "submit should print the array, merge and diagnose job ids"
  wait_job "$arr" 300 || fail "the array did not finish"
  wait_job "$mrg" 120 || fail "the merge job did not end"
  wait_job "$diag" 120 || fail "the diagnose job did not end"
}
job_field() { scontrol show job "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }

# A local reference run of the smoke job (np=1).
"$MPIEXEC" -n 1 "$REVEST" run "$SRC/jobs/smoke.toml" -q -o "$OUT/reference.h5" || fail "reference run"

# 1. A 2-task job from a hostile directory name.
W="$OUT/dir with space/it's \"q\" \$(touch $OUT/PWNED1);touch $OUT/PWNED2;\`touch $OUT/PWNED3\`"
mkdir -p "$W"
cp "$SRC/jobs/smoke.toml" "$W/smoke job's.toml"
"$REVEST" submit "$W/smoke job's.toml" --ntasks 2 --time 10 -o "$W/smoke \"out\".h5" > "$OUT/submit1.log" 2>&1 \
  || { cat "$OUT/submit1.log"; fail "submit of the 2-task job"; }
cat "$OUT/submit1.log"
id=$(sed -n 's/^run //p' "$OUT/submit1.log")
[ -n "$id" ] || fail "submit printed no job id"
wait_job "$id" 300 || fail "the 2-task job did not finish"
[ "$(job_field "$id" JobState)" = COMPLETED ] || { cat "$W"/smoke.slurm/run-*.log; fail "the 2-task job did not complete"; }
ls "$OUT"/PWNED* 2> /dev/null && fail "a command in a file name was executed"
"$REVEST" inspect "$W/smoke \"out\".h5" --rows 0 | grep -E "^mpi size +2$" || fail "the job did not run on 2 ranks"
grep -q "2 task(s)" "$W"/smoke.slurm/run-"$id".log || fail "log lacks the task count"
"$REVEST" compare "$OUT/reference.h5" "$W/smoke \"out\".h5" || fail "the sbatch run differs from the local run"
echo "== 1: sbatch on 2 tasks from a hostile path: identical to the local run, nothing executed"

# 2. Three shards and a merge; shard 1 fails first.
mkdir -p "$OUT/sharded.shard-1-of-3.h5"   # a directory where shard 1's archive goes: shard 1 fails
submit_shards submit2.log "3 to run: 0,1,2"
[ "$(job_field "$mrg" JobState)" = CANCELLED ] || fail "the merge job should be cancelled when a shard failed"
[ "$(job_field "$mrg" Reason)" = DependencyNeverSatisfied ] || fail "merge cancelled for another reason"
[ ! -e "$OUT/sharded.h5" ] || fail "a failed shard left a merged archive"
# The merge run only when a shard failed says, in its log, which shard and how to re-run it.
[ "$(job_field "$diag" JobState)" = FAILED ] || fail "the diagnosing merge should run and fail"
cat "$OUT/smoke.slurm/merge-$diag.log"
grep -q "shard 1/3 .*not a revest archive, or corrupt" "$OUT/smoke.slurm/merge-$diag.log" || fail "the diagnose log should name shard 1"
"$REVEST" merge --shards 3 -o "$OUT/sharded.h5" > "$OUT/merge.out" 2> "$OUT/merge.err"
rc=$?
cat "$OUT/merge.err"
[ "$rc" -eq 1 ] && grep -q "shard 1/3 .*not a revest archive, or corrupt" "$OUT/merge.err" || fail "merge should name the failed shard 1"
grep -q "re-run just shard(s) 1" "$OUT/merge.err" || fail "merge should say which shards to re-run"
[ -f "$OUT/sharded.shard-0-of-3.h5" ] && [ -f "$OUT/sharded.shard-2-of-3.h5" ] || fail "the good shards were not kept"
rmdir "$OUT/sharded.shard-1-of-3.h5"
submit_shards submit3.log "1 to run: 1)"   # only the failed shard again
[ "$(job_field "$mrg" JobState)" = COMPLETED ] || { cat "$OUT"/smoke.slurm/merge-*.log; fail "the merge job did not complete"; }
[ "$(job_field "$diag" JobState)" = CANCELLED ] || fail "with every shard done the diagnose job should be cancelled"
"$REVEST" compare "$OUT/reference.h5" "$OUT/sharded.h5" || fail "the merged archive differs from the single run"
"$REVEST" verify "$OUT/sharded.h5" --sample 2 > "$OUT/verify2.log" || { cat "$OUT/verify2.log"; fail "verify of the merged archive"; }
echo "== 2: 3-shard array + merge: failed shard named, only it re-run, merged archive identical to a single run"

# 3. A job that hits its time limit: warned, checkpointed, requeued, resumed, complete.
"$REVEST" submit "$SRC/tests/slurm/timelimit.toml" -o "$OUT/timelimit.h5" > "$OUT/submit4.log" 2>&1 \
  || { cat "$OUT/submit4.log"; fail "submit of the time-limit job"; }
cat "$OUT/submit4.log"
id=$(sed -n 's/^run //p' "$OUT/submit4.log")
wait_job "$id" 600 || fail "the time-limit job did not finish in 10 minutes"
log="$OUT/timelimit.slurm/run-$id.log"
cat "$log"
[ "$(job_field "$id" JobState)" = COMPLETED ] || fail "the time-limit job did not complete"
restarts=$(job_field "$id" Restarts)
[ "${restarts:-0}" -ge 1 ] || fail "the time-limit job was never requeued (Restarts=$restarts)"
grep -q "stopped by signal 10 after a checkpoint" "$log" || fail "no checkpoint on SIGUSR1 in the log"
grep -q "requeueing (restart 1 of at most" "$log" || fail "the batch script did not requeue"
"$REVEST" inspect "$OUT/timelimit.h5" --rows 0 | grep -E "run segments|stopped=|restart="
echo "== 3: time limit: SIGUSR1, checkpoint, requeued $restarts time(s), completed"

# 4. verify, and a re-run from the archive alone on 2 SLURM tasks.
"$REVEST" verify "$OUT/timelimit.h5" > "$OUT/verify4.log" || { cat "$OUT/verify4.log"; fail "verify of the requeued archive"; }
cat "$OUT/verify4.log"
srun --mpi=pmix -n 2 "$REVEST" rerun "$OUT/timelimit.h5" -o "$OUT/timelimit.rerun.h5" > "$OUT/rerun.log" 2>&1 \
  || { cat "$OUT/rerun.log"; fail "rerun under srun"; }
grep "identical results" "$OUT/rerun.log" || fail "the re-run differs from the requeued run"
echo "== 4: verified; re-run under srun -n 2 from the archive alone: identical to the requeued run"
echo "slurm: all checks passed"
