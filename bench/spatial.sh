#!/usr/bin/env bash
# Section 11 of bench/RESULTS.md (issue 5): spatial regressions against R spatialreg / spdep on the
# same data, the robustness job, and SAR on PETSc/MUMPS up to 1,000,000 units at np = 2. Needs a
# Release build in build/ and R with r-cran-spatialreg (bench/install-peers). About 10 minutes.
# Usage: [BUILD=build] bash bench/spatial.sh   (run alone, or from bench/run.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
BUILD=${BUILD:-build}
R=$BUILD/revest
S=$BUILD/bench/bench_spatial
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
kv() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", a/b}'; }
secs() { sed -n 's/.*: \([0-9.]*\) s (fastest.*/\1/p'; }
echo "## 11. Spatial regressions (issue 5)"
echo
echo "revest against R $(Rscript -e 'cat(R.version$major, R.version$minor, sep=".")' 2>/dev/null) with spatialreg"
echo "$(Rscript -e 'cat(as.character(packageVersion("spatialreg")))' 2>/dev/null) / spdep $(Rscript -e 'cat(as.character(packageVersion("spdep")))' 2>/dev/null)"
echo "on the same data in the same run; fastest of 3 runs each (revest: of 5), one core unless stated."
echo "Data: the 512 counties (queen, generated panel, last year) and SAR(rho = 0.5) data on"
echo "6-nearest-neighbour graphs of random points (\`revest sar-large --write-csv\`), either as is"
echo "(not symmetric: spatialreg's best exact method is \"LU\") or symmetrised (spdep make.sym.nb; best"
echo "method \"Matrix\", a sparse Cholesky). revest's time includes the log-determinant's set-up."
echo
$S counties $T/c512 > $T/ours_c512
Rscript bench/spatialreg_bench.R counties $T/c512 > $T/r_c512
o=$(secs < $T/ours_c512); r=$(kv R_s < $T/r_c512)
echo "| problem | revest (s) | R (s) | R / revest | rho revest | rho R | se(rho) revest | se(rho) R |"
echo "|---|---|---|---|---|---|---|---|"
echo "| SAR n = 512, SEs + 1,000 impact draws (R: eigen + impacts) | $o | $r | $(ratio $r $o) | $(sed -n 's/.*rho \([-0-9.]*\) se.*/\1/p' $T/ours_c512) | $(kv rho < $T/r_c512) | $(sed -n 's/.* se \([0-9.]*\);.*/\1/p' $T/ours_c512) | $(kv se < $T/r_c512) |"
for n in 2850 40000; do
  $R sar-large --n $n --write-csv $T/k$n > /dev/null
  for sym in "" symmetric; do
    if [ -z "$sym" ]; then m=LU; flag=""; label="kNN (LU)"; else m=Matrix; flag=--symmetric; label="symmetrised kNN (Matrix)"; fi
    $S sar $T/k$n $flag > $T/ours
    Rscript bench/spatialreg_bench.R sar $T/k$n $m $sym > $T/r
    o=$(secs < $T/ours); r=$(kv R_s < $T/r)
    echo "| SAR n = $n, $label | $o | $r | $(ratio $r $o) | $(sed -n 's/.*rho \([-0-9.]*\) se.*/\1/p' $T/ours) | $(kv rho < $T/r) | $(sed -n 's/.* se \([0-9.]*\) LL.*/\1/p' $T/ours) | $(kv se < $T/r) |"
  done
done
$S moran $T/k2850 999 > $T/ours
Rscript bench/spatialreg_bench.R moran $T/k2850 999 > $T/r
o=$(secs < $T/ours); r=$(kv R_s < $T/r)
echo "| Moran's I, 999 permutations, n = 2850 (R: moran.mc) | $o | $r | $(ratio $r $o) | I = $(sed -n 's/.* I \([-0-9.]*\) p.*/\1/p' $T/ours) | I = $(kv I < $T/r) | | |"
echo
echo "revest's log-determinant: eigenvalues at n = 512; above 2,000 units a sparse LDL' (Eigen) of the"
echo "symmetric form, or a MUMPS LU through PETSc for the non-symmetric kNN graph. Standard errors:"
echo "expected information at n = 512 (as spatialreg's eigen method), observed information above (as"
echo "spatialreg's sparse methods, which use a numerical Hessian)."
echo
# Columbus: the documented estimates, revest against spatialreg itself.
ours=$($BUILD/tests/spatial/spatial_models_test --gtest_filter='ColumbusTest.AllSeventyFour*' | sed -n 's/^Columbus: \([0-9]*\) of 74.*/\1/p')
echo "Columbus, the 74 documented ML estimates (\`tests/spatial/data/columbus\`), counted as"
echo "\`ColumbusTest.AllSeventyFourDocumentedEstimatesToPrintedPrecision\` counts them:"
echo
echo "- revest: $ours of 74 within half a unit of the last printed decimal, all 74 within one unit"
echo "  (the test requires both);"
echo "- $(Rscript bench/columbus_spatialreg.R tests/spatial/data/columbus | tail -1) (\`bench/columbus_spatialreg.R\`)."
echo
# The robustness job.
sed "s#../../results/spatial_robustness.h5#$T/robustness.h5#" bench/jobs/spatial_robustness.toml > bench/jobs/.robustness.toml
start=$(date +%s.%N)
/usr/bin/time -f "maxrss_kb=%M" -o $T/rob_time mpirun -np 2 $R run bench/jobs/.robustness.toml --force > $T/rob_log 2>&1
end=$(date +%s.%N)
rm -f bench/jobs/.robustness.toml
specs=$(grep -o "robustness (spatial_models): [0-9]* tasks" $T/rob_log | head -1 | awk '{print $3}')
echo "Robustness job (\`bench/jobs/spatial_robustness.toml\`: 6 weights x 7 models x 5 formulas ="
echo "$specs specifications on the 512 counties, each with standard errors and 1,000 impact draws), np = 2:"
echo "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}') s wall for the whole run (start-up, weights and"
echo "eigenvalues, fits, archive), peak memory $(awk -F= '{printf "%.0f", $2/1024}' $T/rob_time) MB (largest rank)."
echo
echo "SAR by ML on PETSc / MUMPS across ranks (\`revest sar-large\`; 6-nearest-neighbour graph,"
echo "rho = 0.5, beta = (1, 2, -1)):"
echo
echo '```'
for np in 1 2; do mpirun -np $np $R sar-large --n 40000; done
/usr/bin/time -f "whole run: %e s wall, largest rank's peak resident set %M kB" mpirun -np 2 $R sar-large --n 1000000 2>&1
echo '```'
