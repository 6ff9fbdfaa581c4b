#!/usr/bin/env bash
# Archive safety (issue 16 section 5), without special privileges:
# 1. two writers: while a run writes an archive, a second `run` (plain, --force or --resume) on the
#    same output is refused naming the first (host, pid); the first finishes unharmed; a run killed
#    with SIGKILL leaves a lock file that does not block the --resume.
set -uo pipefail
REVEST=$1 SRC=$2 OUT=$3 MPIEXEC=$4
rm -rf "$OUT" && mkdir -p "$OUT"
fail() { echo "FAIL: $*"; exit 1; }
expect() {  # expect RC PATTERN -- command...
  local want=$1 pat=$2; shift 3
  "$@" > "$OUT/out.txt" 2> "$OUT/err.txt"; local rc=$?
  [ "$rc" -eq "$want" ] || { cat "$OUT/out.txt" "$OUT/err.txt"; fail "'$*' exited $rc, expected $want"; }
  if [ -n "$pat" ]; then grep -qE -- "$pat" "$OUT/out.txt" "$OUT/err.txt" || { cat "$OUT/out.txt" "$OUT/err.txt"; fail "'$*' output lacks /$pat/"; }; fi
}
JOB="$SRC/tests/driver/resume.toml"
DEF="$SRC/config/defaults.toml"

# 1. Two writers.
"$MPIEXEC" -n 2 "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$OUT/reference.h5" > /dev/null 2>&1 || fail "reference run"
"$MPIEXEC" -n 2 "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$OUT/two.h5" --test-task-delay 0.01 > "$OUT/first.log" 2>&1 &
first=$!
for _ in $(seq 100); do sleep 0.1; [ -f "$OUT/two.h5.lock" ] && [ -f "$OUT/two.h5" ] && break; done
[ -f "$OUT/two.h5.lock" ] || fail "no lock file while a run writes the archive"
for flags in "" "--force" "--resume"; do
  # shellcheck disable=SC2086
  expect 1 "two.h5 is being written by another revest \(host [^,]+, pid [0-9]+, since .*revest run" -- \
    "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$OUT/two.h5" $flags
  grep -q "refusing a second writer" "$OUT/err.txt" || fail "second writer ($flags): no refusal"
done
kill -0 "$first" 2>/dev/null || { cat "$OUT/first.log"; fail "the first run ended before the second writers were tried (too short)"; }
wait "$first" || { cat "$OUT/first.log"; fail "the first writer failed after a second was refused"; }
[ ! -e "$OUT/two.h5.lock" ] || fail "the lock file outlived the run"
expect 0 "identical results" -- "$REVEST" compare "$OUT/reference.h5" "$OUT/two.h5"
# SIGKILL leaves the lock file behind; the kernel released the lock, so --resume goes on.
"$MPIEXEC" -n 2 "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$OUT/killed.h5" --test-kill-after-checkpoint 3 > /dev/null 2>&1
[ -f "$OUT/killed.h5.lock" ] || fail "expected the killed run's lock file to be left behind"
expect 0 "resuming" -- "$MPIEXEC" -n 1 "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$OUT/killed.h5" --resume
expect 0 "identical results" -- "$REVEST" compare "$OUT/reference.h5" "$OUT/killed.h5"
echo "two writers: the second refused naming the first; a killed run's lock file does not block --resume"

echo "archive safety: all checks passed"
