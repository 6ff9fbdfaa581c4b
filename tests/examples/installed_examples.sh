#!/usr/bin/env bash
# revest as a library, as a user gets it (issue 17): `cmake --install` into an empty prefix, then
# configure, build and run the consumer projects in examples/ against that prefix with
# find_package(revest). Checks that each example prints its results and succeeds.
# Usage: installed_examples.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
SRC=$1 BUILD=$2 WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK"
fail() { echo "FAIL: $*"; exit 1; }
cmake --install "$BUILD" --prefix "$WORK/prefix" > "$WORK/install.log" || { cat "$WORK/install.log"; fail "cmake --install"; }
[ -f "$WORK/prefix/lib/cmake/revest/revestConfig.cmake" ] || fail "no revestConfig.cmake installed"
[ -x "$WORK/prefix/bin/revest" ] || fail "the revest program is not installed"
"$WORK/prefix/bin/revest" --version | grep -q "^revest " || fail "installed revest --version"
build_example() {  # build_example NAME
  cmake -S "$SRC/examples/$1" -B "$WORK/$1" -DCMAKE_PREFIX_PATH="$WORK/prefix" -DCMAKE_BUILD_TYPE=Release \
    > "$WORK/$1.configure.log" 2>&1 || { cat "$WORK/$1.configure.log"; fail "configure examples/$1"; }
  cmake --build "$WORK/$1" -j2 > "$WORK/$1.build.log" 2>&1 || { cat "$WORK/$1.build.log"; fail "build examples/$1"; }
}
build_example three_stage_dea
out=$("$WORK/three_stage_dea/three_stage_dea" "$SRC/examples/three_stage_dea/units.csv" 50) || { echo "$out"; fail "three_stage_dea exited non-zero"; }
echo "$out"
echo "$out" | grep -q "^Three-stage DEA of 120 units" || fail "three_stage_dea: no report"
echo "$out" | grep -q "Simar-Wilson (1998) bootstrap of vrs input efficiency: 120 units, 50 replications" \
  || fail "three_stage_dea: no SW98 report"
build_example spatial_sdm
out=$("$WORK/spatial_sdm/spatial_sdm" "$SRC/tests/spatial/data/columbus") || { echo "$out"; fail "spatial_sdm exited non-zero"; }
echo "$out"
# rho of the SDM on Columbus: 0.42634 documented (tests/spatial/data/columbus/documented_estimates.csv).
echo "$out" | grep -q "^sdm of 49 observations.*rho 0.42633" || fail "spatial_sdm: rho is not the documented 0.42634"
echo "$out" | grep -qE "^x1 +total +-2\.5" || fail "spatial_sdm: no total impact of x1"
echo "OK: both examples built against the installed revest and ran"
