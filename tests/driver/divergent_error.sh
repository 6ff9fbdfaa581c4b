#!/usr/bin/env bash
# An error that only one rank sees (outside any collective agreement) must end the whole MPI job
# with a non-zero status and the message, not leave the other ranks waiting in a collective call.
set -uo pipefail
REVEST=$1 SRC=$2 OUT=$3 MPIEXEC=$4
rm -rf "$OUT" && mkdir -p "$OUT"
JOB="$SRC/tests/driver/resume.toml"
timeout 120 "$MPIEXEC" -n 3 --oversubscribe "$REVEST" run "$JOB" --defaults "$SRC/config/defaults.toml" -q \
  -o "$OUT/diverged.h5" --test-fail-rank 1 > "$OUT/out.txt" 2> "$OUT/err.txt"
rc=$?
cat "$OUT/err.txt" | grep -v "^\s*$" | head -5
[ "$rc" -ne 124 ] || { echo "FAIL: the job hung (killed by timeout)"; exit 1; }
[ "$rc" -ne 0 ] || { echo "FAIL: exit status 0 after an error"; exit 1; }
grep -q "revest: error (rank 1): injected error on rank 1 alone" "$OUT/err.txt" || { echo "FAIL: message missing"; exit 1; }
"$REVEST" inspect "$OUT/diverged.h5" --rows 0 | grep -q INCOMPLETE || { echo "FAIL: archive should be incomplete"; exit 1; }
echo "divergent error: job aborted with status $rc and the message, no hang"
