#!/usr/bin/env bash
# The cost of sharding: jobs/southwest.toml on the local one-node SLURM cluster (2 CPUs), once as a
# single job on 2 tasks and once as 4 shards of 1 task each (two run at a time) plus the merge job,
# both submitted with `revest submit`. Prints wall times, archive sizes and whether the merged
# archive equals the single run's (bench/RESULTS.md section 12).
#   BUILD=build bash bench/slurm_shards.sh [OUT_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
REVEST=$(realpath "$BUILD/revest")
OUT=$(realpath -m "${1:-$BUILD/bench-slurm-shards}")
rm -rf "$OUT" && mkdir -p "$OUT"
trap 'bash slurm/local-cluster.sh stop > /dev/null 2>&1' EXIT
bash slurm/local-cluster.sh start

wait_job() {  # wait_job ID: until no task of job ID is pending or running
  while squeue -h -t all -j "$1" -o "%T" 2>/dev/null | grep -qE "PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUE"; do
    sleep 1
  done
}
state() { scontrol show job "$1" | tr ' ' '\n' | sed -n 's/^JobState=//p' | head -1; }

# 1. Single job, 2 tasks.
t0=$(date +%s.%N)
"$REVEST" submit jobs/southwest.toml --ntasks 2 --time 04:00:00 -o "$OUT/single.h5" | tee "$OUT/submit-single.log"
id=$(sed -n 's/^run //p' "$OUT/submit-single.log")
wait_job "$id"
t1=$(date +%s.%N)
echo "single: job $id $(state "$id"), $(awk "BEGIN{print $t1 - $t0}") s from submit to end"

# 2. Four shards of 1 task each (2 CPUs: two at a time) and the merge.
t2=$(date +%s.%N)
"$REVEST" submit jobs/southwest.toml --shards 4 --ntasks 1 --time 04:00:00 -o "$OUT/sharded.h5" | tee "$OUT/submit-sharded.log"
arr=$(sed -n 's/^run //p' "$OUT/submit-sharded.log"); mrg=$(sed -n 's/^merge //p' "$OUT/submit-sharded.log")
wait_job "$arr"
t3=$(date +%s.%N)
wait_job "$mrg"
t4=$(date +%s.%N)
echo "sharded: array $arr, merge $mrg $(state "$mrg"); shards $(awk "BEGIN{print $t3 - $t2}") s, merge job $(awk "BEGIN{print $t4 - $t3}") s, total $(awk "BEGIN{print $t4 - $t2}") s"
grep -h "archive complete" "$OUT"/southwest.slurm/run-*.log
grep -h "merged" "$OUT"/southwest.slurm/merge-*.log
ls -l "$OUT"/*.h5
"$REVEST" compare "$OUT/single.h5" "$OUT/sharded.h5"
