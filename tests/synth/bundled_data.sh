#!/usr/bin/env bash
# The bundled synthetic panel (data/synthetic/) is exactly what `revest generate --seed 20261128`
# writes: the data shipped with the project are reproducible from the code and the seed.
set -euo pipefail
REVEST=$1 SRC=$2 OUT=$3
rm -rf "$OUT" && mkdir -p "$OUT"
(cd "$SRC" && "$REVEST" generate --seed 20261128 --out "$OUT/synthetic")
for f in panel.csv truth_panel.csv projects.csv truth.toml; do
  cmp "$SRC/data/synthetic/$f" "$OUT/synthetic/$f" || { echo "data/synthetic/$f differs from a fresh generate"; exit 1; }
done
# Another seed gives other data.
(cd "$SRC" && "$REVEST" generate --seed 1 --out "$OUT/seed1")
! cmp -s "$SRC/data/synthetic/panel.csv" "$OUT/seed1/panel.csv"
echo "bundled data reproduced bit for bit"
