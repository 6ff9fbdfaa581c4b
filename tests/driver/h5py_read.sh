#!/usr/bin/env bash
# An archive is readable from Python with Debian's python3-h5py (as users read it).
set -euo pipefail
REVEST=$1 SRC=$2 OUT=$3 MPIEXEC=$4
rm -rf "$OUT" && mkdir -p "$OUT"
"$MPIEXEC" -n 2 --oversubscribe "$REVEST" run "$SRC/jobs/smoke.toml" -q --force -o "$OUT/smoke.h5"
/usr/bin/python3 "$SRC/tests/driver/read_archive.py" "$OUT/smoke.h5"
