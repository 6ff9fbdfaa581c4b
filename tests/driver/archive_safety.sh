#!/usr/bin/env bash
# Archive safety (issue 16 section 5), without special privileges:
# 1. two writers: while a run writes an archive, a second `run` (plain, --force or --resume) on the
#    same output is refused naming the first (host, pid); the first finishes unharmed; a run killed
#    with SIGKILL leaves a lock file that does not block the --resume;
# 2. --force keeps a complete archive until the new one replaces it: a --force run killed half-way
#    leaves the old archive byte for byte, its --resume then replaces it;
# 3. an output that is an input of the job (data file, job file, through a symbolic link) is refused,
#    also with --force and by validate, and the input is left as it was;
# 4. size: validate prints the archive's estimated size, and validate and run refuse a job whose
#    archive clearly does not fit on the disk (unless told not to check).
# (A disk that fills up while the archive is written: disk_full.sh, which needs root for a tmpfs.)
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
"$MPIEXEC" -n 2 "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$OUT/two.h5" --test-task-delay 0.02 > "$OUT/first.log" 2>&1 &
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

# 2. --force keeps the complete archive until the new one replaces it.
sed -e 's/^seed = 99/seed = 100/' -e "s|\"../../|\"$SRC/|" "$JOB" > "$OUT/seed100.toml"
cp "$OUT/reference.h5" "$OUT/old.h5"
cp "$OUT/old.h5" "$OUT/old_copy.h5"
"$MPIEXEC" -n 2 "$REVEST" run "$OUT/seed100.toml" --defaults "$DEF" -q -o "$OUT/old.h5" --force \
  --test-kill-after-checkpoint 3 > "$OUT/force.log" 2>&1 && fail "the killed --force run exited 0"
grep -q -- "--force: .*old.h5 is kept until the new archive replaces it" "$OUT/force.log" || { cat "$OUT/force.log"; fail "no message"; }
cmp -s "$OUT/old.h5" "$OUT/old_copy.h5" || fail "a failed --force run changed the complete archive"
expect 0 "status +complete" -- "$REVEST" inspect "$OUT/old.h5" --rows 0
expect 0 "INCOMPLETE" -- "$REVEST" inspect "$OUT/old.h5.new" --rows 0
# A plain run names the interrupted --force run; --resume finishes it and replaces the old archive.
expect 1 "old.h5.new: an interrupted --force run left this work file; --resume finishes it" -- \
  "$REVEST" run "$OUT/seed100.toml" --defaults "$DEF" -q -o "$OUT/old.h5"
expect 0 "resuming the --force run in .*old.h5.new" -- \
  "$MPIEXEC" -n 2 "$REVEST" run "$OUT/seed100.toml" --defaults "$DEF" -q -o "$OUT/old.h5" --resume
[ ! -e "$OUT/old.h5.new" ] || fail "the --force work file outlived the new archive"
"$MPIEXEC" -n 2 "$REVEST" run "$OUT/seed100.toml" --defaults "$DEF" -q -o "$OUT/seed100.h5" > /dev/null 2>&1 || fail "seed 100 run"
expect 0 "identical results" -- "$REVEST" compare "$OUT/seed100.h5" "$OUT/old.h5"
# An uninterrupted --force over a complete archive: replaced at the end, nothing left beside it.
expect 0 "" -- "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$OUT/old.h5" --force
expect 0 "identical results" -- "$REVEST" compare "$OUT/reference.h5" "$OUT/old.h5"
[ "$(ls "$OUT" | grep -c '^old\.h5')" -eq 1 ] || { ls "$OUT"; fail "files left beside old.h5"; }
echo "--force: the complete archive survives a killed --force run, and is replaced once the new one is complete"

# 3. An output that is an input of the job is refused, with or without --force.
mkdir -p "$OUT/src/jobs" "$OUT/src/config" "$OUT/src/data"
cp "$SRC/jobs/smoke.toml" "$OUT/src/jobs/"
cp "$SRC/config/defaults.toml" "$SRC/config/indicators.toml" "$OUT/src/config/"
cp -r "$SRC/data/southwest" "$SRC/data/synthetic" "$OUT/src/data/"
SMOKE="$OUT/src/jobs/smoke.toml"
sums() { sha256sum "$OUT/src/data/synthetic/panel.csv" "$SMOKE" "$OUT/src/config/defaults.toml"; }
before=$(sums)
expect 1 "output .*panel.csv is the job's panel input .*refusing to overwrite an input of the job \(even with --force\)" -- \
  "$REVEST" run "$SMOKE" -q --force -o "$OUT/src/data/synthetic/panel.csv"
expect 1 "is the job's job input" -- "$REVEST" run "$SMOKE" -q --force -o "$SMOKE"
expect 1 "is the job's defaults input" -- "$REVEST" run "$SMOKE" -q --force -o "$OUT/src/config/defaults.toml"
ln -s src/data/synthetic/panel.csv "$OUT/panel_link.csv"
expect 1 "panel_link.csv is the job's panel input" -- "$REVEST" run "$SMOKE" -q --force -o "$OUT/panel_link.csv"
sed 's|^output = .*|output = "../data/synthetic/panel.csv"|' "$SMOKE" > "$OUT/src/jobs/bad_output.toml"
expect 1 "is the job's panel input" -- "$REVEST" validate "$OUT/src/jobs/bad_output.toml"
[ "$(sums)" = "$before" ] || fail "an input file was changed"
echo "inputs: an output that is an input of the job is refused (validate, run, run --force, a symbolic link)"
# 4. Size: validate and run estimate the archive and refuse a job whose archive clearly does not fit
#    (replications = 200000000 passed validate and made a sparse work file of terabytes); the flag
#    and the job key skip the check.
expect 0 "archive size: work file about [0-9.]+ MB, final archive about [0-9.]+ MB uncompressed .* free on " -- \
  "$REVEST" validate "$SRC/jobs/smoke.toml"
printf '%s\n' 'name = "huge"' 'seed = 1' 'output = "huge.h5"' '[data]' "geography = \"$SRC/data/southwest\"" \
  "panel = \"$SRC/data/synthetic/panel.csv\"" "indicators = \"$SRC/config/indicators.toml\"" \
  '[[analysis]]' 'kind = "entropy_index"' 'replications = 200000000' > "$OUT/huge.toml"
expect 1 "not enough free space for .*huge.h5: .* has [0-9.]+ [kMGT]?B free, and the run needs about [0-9.]+ [PTE]B for its work file" -- \
  "$REVEST" validate "$OUT/huge.toml" --defaults "$DEF"
grep -q -- "--ignore-free-space (or \[runtime\] check_free_space = false) skips this check" "$OUT/err.txt" || fail "no way out named"
expect 1 "not enough free space for .*huge.h5" -- "$MPIEXEC" -n 2 "$REVEST" run "$OUT/huge.toml" --defaults "$DEF" -q
[ "$(grep -c '^revest: error:' "$OUT/err.txt")" -eq 1 ] || { cat "$OUT/err.txt"; fail "expected one error line"; }
ls "$OUT"/huge.h5* > /dev/null 2>&1 && fail "a refused run left files behind"
expect 0 "archive size: work file about [0-9.]+ [PTE]B" -- "$REVEST" validate "$OUT/huge.toml" --defaults "$DEF" --ignore-free-space
{ cat "$OUT/huge.toml"; printf '[runtime]\ncheck_free_space = false\n'; } > "$OUT/huge_nocheck.toml"
expect 0 "OK: job 'huge'" -- "$REVEST" validate "$OUT/huge_nocheck.toml" --defaults "$DEF"
echo "size: the archive is estimated; a job whose archive clearly does not fit is refused by validate and run"
echo "archive safety: all checks passed"
