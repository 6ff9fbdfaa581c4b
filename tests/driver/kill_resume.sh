#!/usr/bin/env bash
# Kill a run with SIGKILL mid-way, resume it (at another rank count), and check that the result is
# identical, dataset by dataset, to an uninterrupted run.
set -euo pipefail
REVEST=$1 SRC=$2 OUT=$3 MPIEXEC=$4
rm -rf "$OUT" && mkdir -p "$OUT"
JOB="$SRC/tests/driver/resume.toml"
DEF="$SRC/config/defaults.toml"
"$MPIEXEC" -n 2 --oversubscribe "$REVEST" run "$JOB" --defaults "$DEF" -q --force -o "$OUT/reference.h5"

# Rank 0 kills itself with SIGKILL after the 5th checkpoint (every round is one in this job) (a hidden test hook), which
# takes the whole MPI job down mid-way, as a node failure or `scancel -s KILL` would.
set +e
"$MPIEXEC" -n 2 --oversubscribe "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$OUT/killed.h5" \
  --test-kill-after-checkpoint 5 > "$OUT/killed.log" 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] || { echo "the killed run should not exit 0"; exit 1; }
"$REVEST" inspect "$OUT/killed.h5" --rows 0 > "$OUT/killed.inspect"
cat "$OUT/killed.inspect" | grep -E "status|analysis"
grep -q "INCOMPLETE" "$OUT/killed.inspect" || { echo "the killed run should be incomplete"; exit 1; }
grep -qE "index_a.*not_run" "$OUT/killed.inspect" || { echo "the kill came too late to test a resume"; exit 1; }

# A plain run refuses to touch the interrupted archive.
set +e
"$MPIEXEC" -n 1 "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$OUT/killed.h5" 2> "$OUT/refuse.err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q -- "--resume" "$OUT/refuse.err"

grep -qE "index_a.*480 not_run, 120 ok" "$OUT/killed.inspect" || { echo "expected 5 rounds of 24 tasks done"; exit 1; }
# Resume from another working directory, at another rank count.
(cd "$OUT" && "$MPIEXEC" -n 3 --oversubscribe "$REVEST" run "$JOB" --defaults "$DEF" -q --resume -o killed.h5)
"$REVEST" inspect "$OUT/killed.h5" --rows 0 | grep -E "^status +complete"
"$REVEST" inspect "$OUT/killed.h5" --rows 0 | grep -E "run segments 2"
"$REVEST" compare "$OUT/reference.h5" "$OUT/killed.h5"
echo "kill -9 and resume (np=2 -> np=3): identical to the uninterrupted run"
# --resume on a complete archive is a no-op that succeeds.
"$MPIEXEC" -n 1 "$REVEST" run "$JOB" --defaults "$DEF" --resume -o "$OUT/killed.h5" 2>&1 | grep -q "already complete"
"$REVEST" compare "$OUT/reference.h5" "$OUT/killed.h5"
# --resume refuses an archive written by another configuration, complete or not.
sed -e 's/^seed = 99/seed = 100/' -e "s|\"../../|\"$SRC/|" "$JOB" > "$OUT/resume_seed100.toml"
set +e
"$MPIEXEC" -n 1 "$REVEST" run "$OUT/resume_seed100.toml" --defaults "$DEF" --resume -o "$OUT/killed.h5" 2> "$OUT/other.err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "different job configuration" "$OUT/other.err" || { cat "$OUT/other.err"; echo "a changed job must not be taken as complete"; exit 1; }
echo "resume checks passed"
