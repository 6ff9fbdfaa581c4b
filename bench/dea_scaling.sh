#!/usr/bin/env bash
# Parallel efficiency of the three-stage DEA bootstrap from 1 to 2 ranks (issue 3), measured so
# that the VM's own speed swings (up to 1.5x between minutes, bench/RESULTS.md section 5) do not
# decide the answer: the analysis of jobs/southwest.toml (512 counties x 12 years) with B
# replications runs at np=1 and np=2 alternately, PAIRS times, and
#   - each run's task phase and the share of it the ranks spent computing tasks (revest logs it
#     at the end of every analysis: the rest is waiting at round ends, writing and checkpoints);
#   - the efficiency of every consecutive pair, T1 / (2 T2), and of the fastest runs
#     min T1 / (2 min T2) (the least disturbed measurements of each).
# The np=1 and np=2 archives are compared bit for bit.
#   BUILD=build bash bench/dea_scaling.sh [B] [PAIRS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
R=$(realpath "$BUILD/revest")
B=${1:-400}
PAIRS=${2:-3}
export OMPI_MCA_rmaps_base_oversubscribe=1
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
tmp=$(mktemp -d)
cfg=bench/.dea_scaling.$$.toml  # next to this script (relative paths), one per run
trap 'rm -rf "$tmp" "$cfg"' EXIT
# The header of jobs/southwest.toml and its three-stage DEA analysis with B replications (written
# next to this script so that the job's relative paths resolve the same way).
awk -v b="$B" '
  /^\[\[analysis\]\]/ { exit }
  { print }
  END { print "[[analysis]]"; print "kind = \"three_stage_dea\""; print "name = \"efficiency\""; print "replications = " b }
' jobs/southwest.toml > "$cfg"
# task phase seconds and busy percentage of the run whose log is $1
phase() { sed -n 's/.*efficiency: task phase \([0-9.]*\) s on [0-9]* rank(s); tasks kept the ranks busy \([0-9.]*\)%.*/\1 \2/p' "$1"; }
echo "| pair | np=1 task phase (s) | busy | np=2 task phase (s) | busy | efficiency T1 / (2 T2) |"
echo "|---|---|---|---|---|---|"
best1=1e300 best2=1e300
for p in $(seq 1 "$PAIRS"); do
  for np in 1 2; do
    mpirun -np $np "$R" run "$cfg" --force -o "$tmp/np$np.h5" > "$tmp/log$np" 2>&1 ||
      { cat "$tmp/log$np" >&2; echo "dea_scaling: the np=$np run failed" >&2; exit 1; }
  done
  read -r t1 b1 <<< "$(phase "$tmp/log1")"
  read -r t2 b2 <<< "$(phase "$tmp/log2")"
  if [ -z "${t1:-}" ] || [ -z "${t2:-}" ]; then
    cat "$tmp/log1" "$tmp/log2" >&2
    echo "dea_scaling: no load-balance line in a run's log" >&2
    exit 1
  fi
  best1=$(awk -v a="$best1" -v b="$t1" 'BEGIN{print (b < a) ? b : a}')
  best2=$(awk -v a="$best2" -v b="$t2" 'BEGIN{print (b < a) ? b : a}')
  echo "| $p | $t1 | $b1% | $t2 | $b2% | $(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.2f", a / (2 * b)}') |"
done
echo
echo "Fastest runs: np=1 $best1 s, np=2 $best2 s: efficiency $(awk -v a="$best1" -v b="$best2" 'BEGIN{printf "%.2f", a / (2 * b)}') (B = $B)."
if "$R" compare "$tmp/np1.h5" "$tmp/np2.h5" > /dev/null; then
  echo "The np=1 and np=2 archives are identical bit for bit (\`revest compare\`)."
else
  echo "The np=1 and np=2 archives DIFFER."
  exit 1
fi
