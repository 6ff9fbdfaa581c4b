#!/usr/bin/env bash
# Shards, merge, verify, rerun and refusals, without SLURM (tests/slurm/ repeats the SLURM parts on a
# real cluster):
# - three shards (--shard K/3) merged equal a single run dataset by dataset, bit for bit;
# - a missing or incomplete shard makes the merge fail naming it, writes nothing, keeps the shards;
# - verify passes on a good archive and reports (exit 3) a changed value by dataset, analysis and task,
#   a changed attribute (an analysis's kind or options) by name, a deleted table column by table;
#   compare reports the changed attributes too;
# - the archive digest printed by run and merge equals inspect's, the README's h5py recipe's and
#   verify's, and verify --digest exits 3 on another digest;
# - rerun re-executes the job from the archive alone (its job and data files deleted) at np=2;
# - --resume refuses a corrupt file and an archive of another job.
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
PY=/usr/bin/python3
# The job and its data in a private copy, deleted before the rerun (the archive alone must do).
mkdir -p "$OUT/src/jobs" "$OUT/src/config" "$OUT/src/data"
cp "$SRC/jobs/smoke.toml" "$OUT/src/jobs/"
cp "$SRC/config/defaults.toml" "$SRC/config/indicators.toml" "$OUT/src/config/"
cp -r "$SRC/data/southwest" "$SRC/data/synthetic" "$OUT/src/data/"
JOB="$OUT/src/jobs/smoke.toml"

expect 0 "" -- "$MPIEXEC" -n 2 "$REVEST" run "$JOB" -q -o "$OUT/single.h5"
DIGEST=$(sed -n 's/.*archive digest: \([0-9a-f]\{64\}\).*/\1/p' "$OUT/err.txt")
[ -n "$DIGEST" ] || { cat "$OUT/err.txt"; fail "run printed no archive digest"; }
# Shards 0 and 2 at np=1 and np=2, shard 1 killed half-way (SIGKILL after its 2nd checkpoint).
expect 0 "" -- "$MPIEXEC" -n 1 "$REVEST" run "$JOB" -q --shard 0/3 -o "$OUT/merged.h5"
expect 0 "" -- "$MPIEXEC" -n 2 "$REVEST" run "$JOB" -q --shard 2/3 -o "$OUT/merged.h5"
[ -f "$OUT/merged.shard-0-of-3.h5" ] && [ -f "$OUT/merged.shard-2-of-3.h5" ] || fail "shard archives not named OUTPUT.shard-K-of-N.h5"
expect 0 "shard +0 of 3" -- "$REVEST" inspect "$OUT/merged.shard-0-of-3.h5" --rows 0

# Shard 1 missing: the merge names it and how to re-run it; nothing written, shards kept.
expect 1 "shard 1/3 .*missing" -- "$REVEST" merge --shards 3 -o "$OUT/merged.h5"
grep -q -- "--shard K/3 --resume" "$OUT/err.txt" || fail "merge error does not say how to re-run the missing shard"
[ ! -e "$OUT/merged.h5" ] && [ ! -e "$OUT/merged.h5.tmp" ] || fail "a refused merge wrote something"
[ -f "$OUT/merged.shard-0-of-3.h5" ] && [ -f "$OUT/merged.shard-2-of-3.h5" ] || fail "a refused merge removed shards"
# Shard 1 interrupted: incomplete, named with its count of tasks not run.
"$MPIEXEC" -n 1 "$REVEST" run "$JOB" -q --shard 1/3 -o "$OUT/merged.h5" --test-kill-after-checkpoint 2 > /dev/null 2>&1
expect 1 "shard 1/3 .*incomplete, [0-9]+ task\(s\) not run" -- "$REVEST" merge --shards 3 -o "$OUT/merged.h5"
# A shard of another split, or given twice, is refused too.
expect 1 "is shard 0/3, not one of 2|given twice" -- "$REVEST" merge -o "$OUT/x.h5" "$OUT/merged.shard-0-of-3.h5" "$OUT/merged.shard-0-of-3.h5"
# Re-run just the missing shard (resume), then merge: identical to the single run.
expect 0 "" -- "$MPIEXEC" -n 2 "$REVEST" run "$JOB" -q --shard 1/3 --resume -o "$OUT/merged.h5"
# The output may not be one of the shards it merges.
expect 1 "merge: the output .*merged.shard-0-of-3.h5 is one of the shards" -- "$REVEST" merge -o "$OUT/merged.shard-0-of-3.h5" \
  "$OUT/merged.shard-0-of-3.h5" "$OUT/merged.shard-1-of-3.h5" "$OUT/merged.shard-2-of-3.h5"
expect 0 "merged 3 shards" -- "$REVEST" merge --shards 3 -o "$OUT/merged.h5"
MERGED_DIGEST=$(sed -n 's/^archive digest: \([0-9a-f]\{64\}\)$/\1/p' "$OUT/out.txt")
[ -n "$MERGED_DIGEST" ] || fail "merge printed no archive digest"
expect 0 "identical results" -- "$REVEST" compare "$OUT/single.h5" "$OUT/merged.h5"
expect 0 "merged from 3 shard" -- "$REVEST" inspect "$OUT/merged.h5" --rows 0
expect 1 "already exists" -- "$REVEST" merge --shards 3 -o "$OUT/merged.h5"
# Beyond the results: the merged archive's configuration is the single run's (the final output
# path, not a shard's).
$PY - "$OUT/single.h5" "$OUT/merged.h5" <<'EOF'
import sys, h5py
def conf(p, name):
    c = h5py.File(p, "r")["meta/effective_config"][()]
    return (c.decode() if isinstance(c, bytes) else c).replace(name, "ARCHIVE")
a, b = conf(sys.argv[1], "single.h5"), conf(sys.argv[2], "merged.h5")
assert "shard-" not in b and a == b, "effective configurations differ:\n" + a + "\n---\n" + b
EOF
[ $? -eq 0 ] || fail "the merged archive's /meta/effective_config differs from the single run's"
echo "shards: merge of 3 shards (np=1, np=2, killed and resumed) identical to a single run"

# verify: checksums, sampled tasks, summaries.
expect 0 "verified: no difference" -- "$REVEST" verify "$OUT/merged.h5"
grep -qE "checksums: ([0-9]+) of \1 datasets intact" "$OUT/out.txt" || fail "verify did not check every dataset"
grep -q "summaries: [1-9][0-9]* tables recomputed" "$OUT/out.txt" || fail "verify did not recompute summaries"
cp "$OUT/single.h5" "$OUT/tampered.h5"
$PY - "$OUT/tampered.h5" <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    d = f["analyses/efficiency/replications/scores"]
    row = d[5]
    row.flat[3] += 1e-9
    d[5] = row
EOF
expect 3 "CHECKSUM /analyses/efficiency/replications/scores: checksum mismatch" -- "$REVEST" verify "$OUT/tampered.h5" --sample 1000 --no-summaries
grep -q "TASK analysis 'efficiency' task 5: replications/scores differ in 1 of" "$OUT/out.txt" || fail "verify did not name the changed task"
# A changed summary value is found by the recomputation.
cp "$OUT/single.h5" "$OUT/tampered2.h5"
$PY - "$OUT/tampered2.h5" <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    g = f["analyses/digital_index/summary/scores"]
    cols = [c.decode() if isinstance(c, bytes) else c for c in g.attrs["columns"]]
    col = [c for c in cols if g[c].dtype.kind == "f"][0]
    v = g[col][:]
    v[0] += 0.5
    del g[col]
    g[col] = v
EOF
expect 3 "SUMMARY analysis 'digital_index' table 'scores' column" -- "$REVEST" verify "$OUT/tampered2.h5" --sample 0
echo "verify: a good archive passes; a changed replication and a changed summary value are reported"

# The archive digest: run's = inspect's = the README recipe's (h5py alone) = verify's; merge's too.
expect 0 "^digest +$DIGEST " -- "$REVEST" inspect "$OUT/single.h5" --rows 0
expect 0 "^digest +$MERGED_DIGEST " -- "$REVEST" inspect "$OUT/merged.h5" --rows 0
awk '/<!-- archive-digest.py/{f=1;next} f&&/^ *```python/{g=1;next} g&&/^ *```/{exit} g{print}' "$SRC/README.md" \
  | sed 's/^  //' > "$OUT/digest.py"
[ -s "$OUT/digest.py" ] || fail "no digest recipe found in README.md"
[ "$($PY "$OUT/digest.py" "$OUT/single.h5")" = "$DIGEST" ] || fail "the README's h5py recipe gives another digest than revest"
[ "$($PY "$OUT/digest.py" "$OUT/merged.h5")" = "$MERGED_DIGEST" ] || fail "the README's h5py recipe disagrees on the merged archive"
expect 0 "digest: matches the expected value" -- "$REVEST" verify "$OUT/single.h5" --sample 1 --digest "$DIGEST"
expect 3 "DIGEST mismatch: the archive's contents give $DIGEST, expected $MERGED_DIGEST" -- \
  "$REVEST" verify "$OUT/single.h5" --sample 0 --no-summaries --digest "$MERGED_DIGEST"
expect 1 "--digest 'abc': expected 64 hexadecimal digits" -- "$REVEST" verify "$OUT/single.h5" --digest abc
# Attributes are checksummed: an analysis's options and kind changed after the run are found by
# verify (by name) and by compare, and the digest changes.
cp "$OUT/single.h5" "$OUT/tampered3.h5"
$PY - "$OUT/tampered3.h5" <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    g = f["analyses/spillovers"]
    g.attrs["options"] = g.attrs["options"].replace("impact_draws = 50", "impact_draws = 5000")
    f["analyses/efficiency"].attrs["kind"] = "entropy_index"
EOF
expect 3 "ATTRIBUTE /analyses/spillovers@options: checksum mismatch" -- "$REVEST" verify "$OUT/tampered3.h5" --sample 0 --digest "$DIGEST"
grep -q "ATTRIBUTE /analyses/efficiency@kind: checksum mismatch" "$OUT/out.txt" || fail "verify missed the changed kind"
grep -q "DIGEST mismatch" "$OUT/out.txt" || fail "the digest did not change with an attribute"
expect 3 "/analyses/spillovers@options: attribute differs" -- "$REVEST" compare "$OUT/single.h5" "$OUT/tampered3.h5"
grep -q "/analyses/efficiency@kind: attribute differs" "$OUT/out.txt" || fail "compare missed the changed kind"
# A deleted column: named by table and column, exit 3 (was "HDF5: open column se", exit 1).
cp "$OUT/single.h5" "$OUT/tampered4.h5"
$PY - "$OUT/tampered4.h5" <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    del f["analyses/spillovers/summary/coefficients/se"]
EOF
expect 3 "TABLE /analyses/spillovers/summary/coefficients: column 'se' is listed but missing" -- \
  "$REVEST" verify "$OUT/tampered4.h5" --sample 1
grep -q "SUMMARY analysis 'spillovers' table 'coefficients' column 'se': missing from the archive" "$OUT/out.txt" ||
  fail "verify did not name the deleted column in the summary check"
expect 3 "coefficients/se: only in" -- "$REVEST" compare "$OUT/single.h5" "$OUT/tampered4.h5"
echo "digest and attributes: run = inspect = README recipe = verify; changed attributes and a deleted column reported"

# rerun from the archive alone: the job, defaults and data are gone.
rm -rf "$OUT/src"
expect 0 "at 2 rank\(s\) .*identical results" -- "$MPIEXEC" -n 2 "$REVEST" rerun "$OUT/merged.h5" -o "$OUT/rerun.h5"
expect 0 "identical results" -- "$REVEST" compare "$OUT/single.h5" "$OUT/rerun.h5"
h5dump -d /meta/effective_config "$OUT/rerun.h5" | grep -q "revest-rerun-" && fail "the re-run recorded its scratch paths"
echo "rerun: the whole job re-executed from the archive alone at np=2: identical"

# --resume refuses a corrupt archive (truncated) and an archive of another job.
mkdir -p "$OUT/refuse"
head -c 100000 "$OUT/single.h5" > "$OUT/refuse/corrupt.h5"
expect 1 "not a revest archive, or is corrupt" -- "$REVEST" run "$SRC/jobs/smoke.toml" -q --resume -o "$OUT/refuse/corrupt.h5"
head -c 4096 /dev/urandom > "$OUT/refuse/random.h5"
expect 1 "not a revest archive, or is corrupt" -- "$REVEST" run "$SRC/jobs/smoke.toml" -q --resume -o "$OUT/refuse/random.h5"
expect 1 "different job configuration" -- "$MPIEXEC" -n 1 "$REVEST" run "$SRC/tests/driver/resume.toml" -q --resume -o "$OUT/single.h5"
expect 1 "is shard 0/3, not an unsharded run" -- "$MPIEXEC" -n 1 "$REVEST" run "$SRC/jobs/smoke.toml" -q --resume -o "$OUT/merged.shard-0-of-3.h5"
cmp -s <(head -c 100000 "$OUT/single.h5") "$OUT/refuse/corrupt.h5" || fail "a refused resume modified the corrupt file"
# An archive path of over 250 characters (Open MPI 4.1.4's ompio aborted on such paths: mpi_env.cpp).
LONG="$OUT/$(printf 'd%.0s' {1..120})/$(printf 'e%.0s' {1..120})"
mkdir -p "$LONG"
expect 0 "" -- "$MPIEXEC" -n 2 "$REVEST" run "$SRC/tests/driver/resume.toml" -q -o "$LONG/archive.h5"
echo "archive operations: all checks passed"
