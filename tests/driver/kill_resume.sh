#!/usr/bin/env bash
# Kill a run with SIGKILL mid-way, resume it (at another rank count), and check that the result is
# identical, dataset by dataset, to an uninterrupted run.
set -euo pipefail
REVEST=$1 SRC=$2 OUT=$3 MPIEXEC=$4
rm -rf "$OUT" && mkdir -p "$OUT"
JOB="$SRC/tests/driver/resume.toml"
DEF="$SRC/config/defaults.toml"
"$MPIEXEC" -n 2 --oversubscribe "$REVEST" run "$JOB" --defaults "$DEF" -q --force -o "$OUT/reference.h5"

# Start the run in its own process group, wait until some rounds are checkpointed, kill -9.
setsid "$MPIEXEC" -n 2 --oversubscribe "$REVEST" run "$JOB" --defaults "$DEF" -o "$OUT/killed.h5" \
  > "$OUT/killed.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  if grep -qE "index_a \(entropy_index\): (4[0-9]|[5-9][0-9]|[1-5][0-9][0-9])/600" "$OUT/killed.log" 2>/dev/null; then break; fi
  sleep 0.05
done
kill -9 -- -"$pid" 2>/dev/null || kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pkill -9 -f "run $JOB --defaults $DEF -o $OUT/killed.h5" 2>/dev/null || true
sleep 0.5
cat "$OUT/killed.log" | tail -3
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

"$MPIEXEC" -n 3 --oversubscribe "$REVEST" run "$JOB" --defaults "$DEF" -q --resume -o "$OUT/killed.h5"
"$REVEST" inspect "$OUT/killed.h5" --rows 0 | grep -E "^status +complete"
"$REVEST" inspect "$OUT/killed.h5" --rows 0 | grep -E "run segments 2"
"$REVEST" compare "$OUT/reference.h5" "$OUT/killed.h5"
echo "kill -9 and resume (np=2 -> np=3): identical to the uninterrupted run"
# --resume on a complete archive is a no-op that succeeds.
"$MPIEXEC" -n 1 "$REVEST" run "$JOB" --defaults "$DEF" --resume -o "$OUT/killed.h5" 2>&1 | grep -q "already complete"
"$REVEST" compare "$OUT/reference.h5" "$OUT/killed.h5"
