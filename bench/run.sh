#!/usr/bin/env bash
# Reproduces bench/RESULTS.md: runtime overhead per task, HDF5 write throughput, and the entropy
# index bootstrap of jobs/southwest.toml at np=1 and np=2. Needs a Release build in build/.
# Usage: bash bench/run.sh [> bench/RESULTS.md]   (run on an otherwise idle machine)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
B=build/bench/bench_runtime
R=build/revest
kv() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
echo "# Benchmarks"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)."
echo "Build: $($R --version). Date: $(date -u +%Y-%m-%d). Reproduce with \`bash bench/run.sh\`."
echo
echo "## 1. Runtime overhead per task"
echo
echo "An empty task (one uniform draw, one double stored) through the whole runtime: the inputs are"
echo "read and broadcast, the tasks run in checkpointed rounds, and each round is written collectively"
echo "to the archive and flushed. 20,000 tasks."
echo
echo "| ranks | wall (s) | µs per task |"
echo "|---|---|---|"
for np in 1 2; do
  line=$(mpirun -np $np $B overhead 20000 2>/dev/null)
  echo "| $np | $(echo "$line" | kv wall_s) | $(echo "$line" | kv us_per_task) |"
done
echo
echo "## 2. HDF5 write throughput"
echo
echo "Each task writes a row of 65,536 uniform doubles (512 KiB, close to incompressible) into a chunked"
echo "dataset with shuffle and deflate, using collective MPI-IO writes; 1,000 tasks = 524 MB. The"
echo "throughput includes drawing the numbers and compressing them."
echo
echo "| ranks | wall (s) | data (MB) | file (MB) | MB/s |"
echo "|---|---|---|---|---|"
for np in 1 2; do
  line=$(mpirun -np $np $B throughput 1000 65536 2>/dev/null)
  echo "| $np | $(echo "$line" | kv wall_s) | $(echo "$line" | kv data_MB) | $(echo "$line" | kv file_MB) | $(echo "$line" | kv MB_per_s) |"
done
echo
echo "## 3. Entropy-index bootstrap (jobs/southwest.toml: 512 counties x 12 years x 8 indicators, B = 2000)"
echo
echo "The task phase is the bootstrap replications across ranks. The summary phase is rank 0 reading"
echo "back 2 x 12.3 M replicated values and computing standard errors and percentile intervals."
echo
echo "| ranks | task phase (s) | tasks/s | whole run (s) | archive (MB) | parallel efficiency (task phase) |"
echo "|---|---|---|---|---|---|"
t1=""
for np in 1 2; do
  out=/tmp/revest_bench_sw_np$np.h5
  start=$(date +%s.%N)
  log=$(mpirun -np $np $R run jobs/southwest.toml --force -o $out 2>&1)
  end=$(date +%s.%N)
  last=$(echo "$log" | grep "tasks/s" | tail -1)
  rate=$(echo "$last" | sed -n 's/.*), \([0-9.]*\) tasks\/s.*/\1/p')
  tp=$(echo "$last" | sed -n 's/.*elapsed \([0-9.]*\)s.*/\1/p')
  whole=$(awk -v a="$start" -v b="$end" "BEGIN{print b-a}")
  size=$(du -m $out | cut -f1)
  if [ -z "$t1" ]; then t1=$tp; eff="1.00"; else eff=$(awk -v a="$t1" -v n="$np" -v b="$tp" "BEGIN{printf \"%.2f\", a/(n*b)}"); fi
  echo "| $np | $tp | $rate | $(printf %.1f "$whole") | $size | $eff |"
done
$R compare /tmp/revest_bench_sw_np1.h5 /tmp/revest_bench_sw_np2.h5 > /dev/null && echo && echo "The np=1 and np=2 archives are identical bit for bit (\`revest compare\`)."
