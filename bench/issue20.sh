#!/usr/bin/env bash
# Issue 20's job figures for bench/RESULTS.md (sections 15 and 16): the coverage study of the
# Simar-Wilson (2007) Algorithms 1 and 2 in the paper's design and Algorithm 2's loops on 512
# units (bench_sw2007); then two jobs at np = 1 and np = 2, each pair of archives compared bit for
# bit: bench/jobs/panel_threshold.toml (single and double threshold, B = 300 per test, on the
# bundled panel) and bench/jobs/efficiency_factors.toml (Algorithm 2, L1 = 100, L2 = 2,000, on the
# 512 counties of the last year). Needs a Release build in build/. About 20 minutes.
# Usage: [BUILD=build] bash bench/issue20.sh [data sets at n = 100] [data sets at n = 400]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
BUILD=${BUILD:-build}
R=$BUILD/revest
T=$(mktemp -d)
trap 'rm -rf "$T" bench/jobs/.issue20.toml' EXIT
if [ "${1:-100}" != "0" ]; then
  "$BUILD/bench/bench_sw2007" "${1:-100}" "${2:-60}"
  echo
fi
# Job $1 (bench/jobs/$1.toml) with analysis $2 at np = 1 and 2.
job() {
  for np in 1 2; do
    sed "s#../../results/$1.h5#$T/$1-np$np.h5#" "bench/jobs/$1.toml" > bench/jobs/.issue20.toml
    start=$(date +%s.%N)
    mpirun --oversubscribe -np $np "$R" run bench/jobs/.issue20.toml --force > "$T/log" 2>&1
    end=$(date +%s.%N)
    phase=$(grep -o "$2: task phase [0-9.]* s" "$T/log" | awk '{print $4}')
    echo "- \`$1\`, np = $np: whole run $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}') s" \
         "wall (start-up, tasks, summaries, archive); its tasks $phase s"
  done
  if "$R" compare "$T/$1-np1.h5" "$T/$1-np2.h5" > /dev/null; then
    echo "- \`$1\`: the archives of np = 1 and np = 2 are identical (revest compare)"
  else
    echo "- \`$1\`: the archives of np = 1 and np = 2 DIFFER"
    exit 1
  fi
}
# Hansen's investment panel as a job (bench/hansen_job.py: 565 firms as a unit list, his
# specification, single and double threshold, B = 300 per test).
python3 bench/hansen_job.py "$T/hansen"
for np in 1 2; do
  start=$(date +%s.%N)
  mpirun --oversubscribe -np $np "$R" run "$T/hansen/job.toml" --force -o "$T/hansen-np$np.h5" > "$T/log" 2>&1
  end=$(date +%s.%N)
  phase=$(grep -o "threshold: task phase [0-9.]* s" "$T/log" | awk '{print $4}')
  echo "- Hansen's investment panel (\`bench/hansen_job.py\`), np = $np: whole run" \
       "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}') s wall; its tasks $phase s"
done
"$R" compare "$T/hansen-np1.h5" "$T/hansen-np2.h5" > /dev/null && echo "- Hansen: the archives of np = 1 and np = 2 are identical (revest compare)"
"$R" export "$T/hansen-np1.h5" --csv "$T/hansen-csv" > /dev/null
echo "- Hansen: thresholds (model, rank, estimate): $(tail -n +2 "$T/hansen-csv/threshold/thresholds.csv" | cut -d, -f1-3 | tr '\n' ' ')"
job panel_threshold threshold
job efficiency_factors factors
