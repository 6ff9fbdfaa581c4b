#!/usr/bin/env bash
# Reproduces bench/RESULTS.md: runtime overhead per task, HDF5 write throughput, the main job's
# entropy index and three-stage DEA (jobs/southwest.toml) at np=1 and np=2, DEA LP throughput
# against Clp, truth recovery, a coverage study, LSM throughput against QuantLib, and the main
# job's real-option valuation. Needs a Release build in build/ (and, for the QuantLib peer,
# bench/install-peers before configuring). About 80 minutes on 2 cores.
# Usage: [BUILD=build] bash bench/run.sh > bench/RESULTS.md   (on an otherwise idle machine)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
BUILD=${BUILD:-build}
B=$BUILD/bench/bench_runtime
R=$BUILD/revest
kv() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
echo "# Benchmarks"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)."
echo "Build: $($R --version | sed 's/-dirty//'). Date: $(date -u +%Y-%m-%d). Reproduce with \`bash bench/run.sh\`."
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
# A job file with the header of jobs/southwest.toml and only its [[analysis]] blocks of the given
# kinds (written next to this script, so the job's relative paths resolve the same way).
only_kinds() {
  local out=$1; shift
  awk -v kinds="$*" '
    BEGIN { n = split(kinds, k, " "); for (i = 1; i <= n; i++) want["kind = \"" k[i] "\""] = 1 }
    /^\[\[analysis\]\]/ { if (blk != "" && keep) printf "%s", blk; blk = ""; keep = 0; inblk = 1 }
    { if (!inblk) { print; next } blk = blk $0 "\n"; for (w in want) if (index($0, w) == 1) keep = 1 }
    END { if (blk != "" && keep) printf "%s", blk }' jobs/southwest.toml > "$out"
}
only_kinds bench/.southwest_index_dea.toml entropy_index three_stage_dea
only_kinds bench/.southwest_realopt.toml real_options
trap 'rm -f bench/.southwest_index_dea.toml bench/.southwest_realopt.toml bench/.southwest_realopt_small.toml' EXIT
# The main job's index and three-stage DEA at np=1 and np=2; sections 3 and 6 read these runs.
# Peak memory: GNU time's maximum resident set size (the largest rank).
# Runs job $2 at np=$1 into archive $3 with log $4; writes maxrss_kb= (GNU time's maximum
# resident set size, the largest rank) and whole_s= into $5.
timed_run() {
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "maxrss_kb=%M" -o "$5" mpirun -np "$1" $R run "$2" --force -o "$3" > "$4" 2>&1
  end=$(date +%s.%N)
  echo "whole_s=$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')" >> "$5"
}
for np in 1 2; do
  timed_run $np bench/.southwest_index_dea.toml /tmp/revest_bench_sw_np$np.h5 /tmp/revest_bench_log_np$np /tmp/revest_bench_time_np$np
done
# seconds of the last progress line of analysis $1 in log $2 (elapsed: 12.3s, 4m05s, 1h02m03s)
phase_s() {
  grep "$1" "$2" | grep "tasks/s" | tail -1 | sed -n 's/.*elapsed \([0-9hms.]*\),.*/\1/p' | awk '{t=0; s=$0; if (match(s,/[0-9]+h/)) {t+=3600*substr(s,RSTART,RLENGTH-1)}; if (match(s,/[0-9]+m/)) {t+=60*substr(s,RSTART,RLENGTH-1)}; if (match(s,/[0-9.]+s/)) {t+=substr(s,RSTART,RLENGTH-1)}; print t}'
}
# progress line of analysis $1 in the log of np=$2: "<rate> <elapsed seconds>"
phase() {
  local last
  last=$(grep "$1" /tmp/revest_bench_log_np$2 | grep "tasks/s" | tail -1)
  echo "$(echo "$last" | sed -n 's/.*), \([0-9.]*\) tasks\/s.*/\1/p') $(phase_s "$1" /tmp/revest_bench_log_np$2)"
}
echo "## 3. Entropy-index bootstrap (jobs/southwest.toml: 512 counties x 12 years x 8 indicators, B = 2000)"
echo
echo "The task phase is the bootstrap replications across ranks (from the runs of the whole main job,"
echo "section 6)."
echo
echo "| ranks | task phase (s) | tasks/s | parallel efficiency (task phase) |"
echo "|---|---|---|---|"
t1=""
for np in 1 2; do
  read -r rate tp <<< "$(phase 'digital_index (entropy_index)' $np)"
  if [ "$np" -eq 1 ]; then rate1=$rate; else rate2=$rate; fi
  if [ -z "$t1" ]; then t1=$tp; eff="1.00"; else eff=$(awk -v a="$t1" -v n="$np" -v b="$tp" "BEGIN{printf \"%.2f\", a/(n*b)}"); fi
  echo "| $np | $tp | $rate | $eff |"
done
$R compare /tmp/revest_bench_sw_np1.h5 /tmp/revest_bench_sw_np2.h5 > /dev/null && echo && echo "The np=1 and np=2 archives are identical bit for bit (\`revest compare\`)."
echo
echo "## 4. Against a peer implementation (NumPy), same data, same design, one run"
echo
echo "\`bench/peer_index.py\` is the same index and bootstrap written the way an applied economist"
echo "would in NumPy: vectorised per replication, all in memory, nothing stored, no ranks. revest also"
echo "computes ranks, stores every replication (compressed) and checkpoints. The peer also serves as an"
echo "independent check of revest's point estimates, which are read from the np=1 archive above."
echo
peer=$(/usr/bin/python3 bench/peer_index.py data/synthetic/panel.csv config/indicators.toml 200 /tmp/revest_bench_sw_np1.h5)
pr=$(echo "$peer" | kv peer_s_per_rep)
r1=$(awk -v r="$rate1" 'BEGIN{printf "%.5f", 1/r}')
r2=$(awk -v r="$rate2" 'BEGIN{printf "%.5f", 1/r}')
echo "| implementation | seconds per replication | revest speed-up |"
echo "|---|---|---|"
echo "| NumPy peer (1 core, 200 replications) | $pr | 1 |"
echo "| revest np=1 (2000 replications, stored) | $r1 | $(awk -v a="$pr" -v b="$r1" 'BEGIN{printf "%.2f", a/b}') |"
echo "| revest np=2 | $r2 | $(awk -v a="$pr" -v b="$r2" 'BEGIN{printf "%.2f", a/b}') |"
echo
echo "Agreement of the full-sample estimates (max |revest - NumPy|): weights $(echo "$peer" | kv max_abs_diff_weights), scores $(echo "$peer" | kv max_abs_diff_scores)."
echo
echo "## 5. DEA linear programs per second (one core)"
echo
echo "\`bench/dea_lp_bench.cpp\`. First, one DEA of 512 units x 5 inputs x 2 outputs (uniform data),"
echo "input orientation, every unit against all 512, one warm-started Clp model; the slack phase is a"
echo "second LP per unit. Second, the bootstrap workload of issue 3's speed target (R Benchmarking"
echo "\`dea.boot\`: VRS, input orientation, n = 512, 4 inputs, 2 outputs, B = 2000): each replication"
echo "evaluates the 512 observed units against a Simar-Wilson pseudo-sample, with Clp and with"
echo "revest's specialised RadialSolver on the same pseudo-samples (400 replications in 10 rounds; Clp on 40)."
echo
lp=$($BUILD/bench/bench_dea_lp 400)
echo "| solver | model | slack phase | seconds | LPs | LPs/s |"
echo "|---|---|---|---|---|---|"
echo "$lp" | grep '^clp' | while read -r line; do
  echo "| Clp | $(echo "$line" | kv model) | $(echo "$line" | kv slacks) | $(echo "$line" | kv seconds) | $(echo "$line" | kv lps) | $(echo "$line" | kv lps_per_s) |"
done
echo
cl=$(echo "$lp" | grep 'clp seconds_per_replication')
ra=$(echo "$lp" | grep 'radial seconds_per_replication')
ex=$(echo "$lp" | grep 'extrapolated')
echo "| bootstrap workload (512 LPs per replication) | seconds per replication | LPs/s | B = 2000 (s) | vs R dea.boot 378 s |"
echo "|---|---|---|---|---|"
echo "| Clp, warm-started | $(echo "$cl" | kv seconds_per_replication) | $(echo "$cl" | kv lps_per_s) | $(echo "$ex" | kv clp | tr -d s) | $(awk -v c="$(echo "$ex" | kv clp | tr -d s)" 'BEGIN{printf "%.1fx", 378/c}') |"
echo "| RadialSolver (mean of 400) | $(echo "$ra" | kv seconds_per_replication) | $(echo "$ra" | kv lps_per_s) | $(echo "$ex" | kv radial | tr -d s) | $(awk -v c="$(echo "$ex" | kv radial | tr -d s)" 'BEGIN{printf "%.1fx", 378/c}') |"
br=$(echo "$lp" | grep 'radial_best_round')
md=$(echo "$lp" | grep 'radial_median_round')
echo "| RadialSolver (median of 10 rounds of 40) | $(echo "$md" | kv seconds_per_replication) | $(awk -v s="$(echo "$md" | kv seconds_per_replication)" 'BEGIN{printf "%.0f", 512/s}') | $(echo "$md" | kv B2000) | $(echo "$md" | kv speedup_vs_R)x |"
echo "| RadialSolver (fastest of 10 rounds of 40) | $(echo "$br" | kv seconds_per_replication) | $(awk -v s="$(echo "$br" | kv seconds_per_replication)" 'BEGIN{printf "%.0f", 512/s}') | $(echo "$br" | kv B2000) | $(echo "$br" | kv speedup_vs_R)x |"
echo
echo "This VM's speed varies by up to 1.5x between minutes (neighbouring load): the same binary"
echo "measured 3.3 ms and 4.9 ms per replication in consecutive runs. The fastest round is the"
echo "least disturbed measurement; the mean is what a run at a busy moment gets."
echo
echo "RadialSolver vs Clp on the same pseudo-samples: largest |difference| $(echo "$ra" | kv max_abs_diff_vs_clp), fallbacks to Clp $(echo "$ra" | kv fallbacks)."
echo "The 378 s are the issue's figure for R Benchmarking on this kind of machine. R itself is installed"
echo "here (bench/install-peers), but Benchmarking is not a Debian package and needs lpSolveAPI, which"
echo "is not one either, so the peer was not re-run in the same session."
echo
echo "## 6. Three-stage DEA of jobs/southwest.toml (512 counties x 12 years, 5 inputs, 2 outputs, 5 environment variables, B = 2000)"
echo
echo "Every replication draws SW98 pseudo-samples for stage 1 and stage 3 of every year (2 x 12 x 512"
echo "= 12,288 LPs) and re-estimates the SW2007 truncated regression of every year. The whole run"
echo "also includes reading the data, the point estimates (Clp, slacks, 60 SFA fits; on every rank),"
echo "the entropy index, the summaries and writing the archive."
echo
echo "| ranks | task phase (s) | s per replication | LPs/s (bootstrap) | whole job (s) | peak memory per rank (MB) | parallel efficiency (task phase) |"
echo "|---|---|---|---|---|---|---|"
t1=""
for np in 1 2; do
  read -r rate tp <<< "$(phase 'efficiency (three_stage_dea)' $np)"
  whole=$(kv whole_s < /tmp/revest_bench_time_np$np)
  mem=$(( $(kv maxrss_kb < /tmp/revest_bench_time_np$np) / 1024 ))
  if [ -z "$t1" ]; then t1=$tp; eff="1.00"; else eff=$(awk -v a="$t1" -v n="$np" -v b="$tp" "BEGIN{printf \"%.2f\", a/(n*b)}"); fi
  echo "| $np | $tp | $(awk -v t="$tp" -v n="$np" 'BEGIN{printf "%.3f", t*n/2000}') | $(awk -v t="$tp" 'BEGIN{printf "%.0f", 2000*12288/t}') | $(printf %.1f "$whole") | $mem | $eff |"
done
echo
echo "Per (year, stage), the job's bootstrap is the R dea.boot workload of section 5 (one core:"
echo "task phase / 24 per 2000 replications). Archive: $(du -m /tmp/revest_bench_sw_np1.h5 | cut -f1) MB."
echo
echo "The two runs above are one pair, minutes apart, on a VM whose speed swings by up to 1.5x, so"
echo "their efficiency column is mostly that swing. \`bench/dea_scaling.sh\` measures the efficiency"
echo "from 1 to 2 ranks robustly: the same analysis (B = 400) alternately at np=1 and np=2, three"
echo "pairs, with the share of the task phase the ranks spent computing tasks (revest logs it after"
echo "every analysis; the rest is waiting at round ends, writing and checkpoints):"
echo
BUILD=$BUILD bash bench/dea_scaling.sh 400 3 || echo "(bench/dea_scaling.sh failed: see its messages above)"
echo
echo "## 7. Truth recovery on the bundled synthetic panel (np=1 archive of section 6)"
echo
echo "\`bench/dea_truth.py\`: stage 1 targets the Farrell input efficiency of the observed data"
echo "(eff_input), stage 3 the managerial efficiency exp(-u) (eff_managerial); data/README.md section 5."
echo
/usr/bin/python3 bench/dea_truth.py /tmp/revest_bench_sw_np1.h5 data/synthetic/truth_panel.csv
echo
echo "Stage-2 fits of the main job (per year and input): $(/usr/bin/python3 -c "
import h5py, collections
f = h5py.File('/tmp/revest_bench_sw_np1.h5', 'r')
s = f['analyses/efficiency/summary/stage2_fits/status'][:]
c = collections.Counter(x.decode() if isinstance(x, bytes) else x for x in s)
print(', '.join('%s %d' % kv for kv in sorted(c.items())))
")."
echo
echo "The main job fits stage 2 on slack ratios (\`slack_scale = \"ratio\"\`). Stage 2 on data with known"
echo "environment effects (\`bench/dea_stage2.cpp\`: synth::make_dea_design, n = 512, z1 raises input use;"
echo "10 data sets, 2 inputs each): slack_tolerance 0 is the zero-slack test before issue 16 (slack <= 0)."
echo
$BUILD/bench/bench_dea_stage2 10 512
echo
echo "## 8. Coverage of the SW98 intervals (bench/dea_coverage.cpp)"
echo
echo "Data sets from synth::make_dea_design with known efficiency exp(-u): design A has no"
echo "environment and no noise (exp(-u) is the true input efficiency); B adds an environment that"
echo "raises input use and noise (sd 0.03): stage 3 targets exp(-u); C is B with stage 2 on slack"
echo "ratios; D is A with 60 % of the units fully efficient. 20 data sets per row, B = 300"
echo "replications each, every unit counted."
echo
$BUILD/bench/bench_dea_coverage 20 300
echo
echo "### 8b. Coverage of the Malmquist bootstrap (Simar-Wilson 1999; bench/malmquist_coverage.cpp)"
echo
echo "Two inputs, one output, Cobb-Douglas CRS frontiers y = F_t x1^0.4 x2^0.6 with F_1 / F_0 = 1.15,"
echo "input efficiencies exp(-u) persistent over time: true techch = 1.15, effch = theta_1 / theta_0."
echo "50 data sets per n, B = 199, every unit counted."
echo
$BUILD/bench/bench_malmquist_coverage 50 199
echo
echo "## 9. Least squares Monte Carlo throughput (one core)"
echo
echo "\`bench/realopt_bench.cpp\` and, as the peer, \`bench/quantlib_lsm.cpp\` (QuantLib's"
echo "\`MCAmericanEngine\`, Debian's libquantlib0-dev; \`bash bench/install-peers\`). The put is"
echo "Longstaff-Schwartz's first case (S = 36, K = 40, r = 0.06, sigma = 0.2, T = 1, 50 dates, FD"
echo "value 4.4778), Laguerre order 3, antithetic, 100,000 calibration + 100,000 pricing paths."
echo "Path-steps are counted as the issue counts them (paths x dates over both sets; QuantLib's"
echo "samples are antithetic pairs, so it simulates twice as many paths). Fastest of 3 runs."
echo
ro=$($BUILD/bench/bench_realopt 100000)
g=$(echo "$ro" | grep '^gbm_paths'); lp=$(echo "$ro" | grep '^lsm_put'); pj=$(echo "$ro" | grep '^lsm_project ')
echo "| run | seconds | M path-steps/s | value | standard error |"
echo "|---|---|---|---|---|"
echo "| plain GBM paths, revest's stream (the practical limit) | $(echo "$g" | kv seconds) | $(echo "$g" | kv rate_M) | | |"
echo "| revest LSM put | $(echo "$lp" | kv seconds) | $(echo "$lp" | kv rate_M) | $(echo "$lp" | kv value) | $(echo "$lp" | kv se) |"
if [ -x $BUILD/bench/bench_quantlib_lsm ]; then
  ql=$($BUILD/bench/bench_quantlib_lsm 100000)
  echo "| QuantLib MCAmericanEngine put | $(echo "$ql" | kv seconds) | $(echo "$ql" | kv rate_M) | $(echo "$ql" | kv value) | $(echo "$ql" | kv se) |"
fi
echo "| revest LSM, project with all four options (5 states, 40 dates, log_monomial 8) | $(echo "$pj" | kv seconds) | $(echo "$pj" | kv rate_M) | $(echo "$pj" | kv value) | $(echo "$pj" | kv se) |"
echo
du=$(echo "$ro" | grep '^lsm_project_dual')
echo "The dual upper bound on that project (500 outer paths, 200 inner paths per outer date, as the"
echo "analysis's defaults; one run): $(echo "$du" | kv seconds) s in all for the valuation and its bound; low"
echo "$(echo "$du" | kv value) (se $(echo "$du" | kv ' se')), high $(echo "$du" | kv upper) (se $(echo "$du" | kv upper_se)): a bracket $(echo "$du" | kv gap_pct) % wide. The lattice value of this"
echo "project (\`realopt/lattice.hpp\`, 100 steps between dates) is $(echo "$du" | kv lattice)."
echo
echo "revest's LSM runs at $(awk -v a="$(echo "$lp" | kv rate_M)" -v b="$(echo "$g" | kv rate_M)" 'BEGIN{printf "%.1f", b/a}')x the time of plain path generation."
if [ -x $BUILD/bench/bench_quantlib_lsm ]; then
  awk -v tq="$(echo "$ql" | kv seconds)" -v sq="$(echo "$ql" | kv se)" -v tr="$(echo "$lp" | kv seconds)" -v sr="$(echo "$lp" | kv se)" -v vr="$(echo "$lp" | kv value)" -v vq="$(echo "$ql" | kv value)" 'BEGIN{
    printf "Against QuantLib: %.1fx faster per path-step as counted; at equal standard error (time x\n", tq / tr
    printf "variance, the Monte Carlo efficiency) %.0fx, from revest'"'"'s control variate (the European put\n", (tq * sq * sq) / (tr * sr * sr)
    printf "stopped at the exercise date). Both rules use the same basis, and below a standard error of\n"
    printf "about 0.004 the error of either value is its rule'"'"'s suboptimality, not the sampling noise\n"
    printf "(revest: %.4f below FD; QuantLib'"'"'s value lies above FD by %.1f of its standard errors).\n", 4.4778 - vr, (vq - 4.4778) / sq }'
fi
echo
echo "## 10. Real-option valuation of jobs/southwest.toml (512 counties x 3 modes x 2 scenarios)"
echo
echo "The \`real_options\` analysis of jobs/southwest.toml alone: 100,000 pricing + 100,000"
echo "regression + 20,000 real-world paths per project in 10 batches, every embedded option (5"
echo "states), 40 decision dates, at the county's digital index and at 0 (the value of digital"
echo "empowerment): 5,120 tasks of 6 valuations. The full run at np=2; scaling from np=1 to np=2 on"
echo "the same job with 2,000 paths of each kind per project."
echo
sed 's/^paths = 100000/paths = 2000/; s/^regression_paths = 100000/regression_paths = 2000/; s/^batches = 10/batches = 10\nreal_world_paths = 2000/' bench/.southwest_realopt.toml > bench/.southwest_realopt_small.toml
echo "| run | ranks | task phase (s) | whole job (s) | peak memory per rank (MB) | parallel efficiency |"
echo "|---|---|---|---|---|---|"
t1=""
for np in 1 2; do
  timed_run $np bench/.southwest_realopt_small.toml /tmp/revest_bench_rosmall_np$np.h5 /tmp/revest_bench_log_ro /tmp/revest_bench_rt
  tp=$(phase_s real_options /tmp/revest_bench_log_ro)
  if [ -z "$t1" ]; then t1=$tp; eff="1.00"; else eff=$(awk -v a="$t1" -v n="$np" -v b="$tp" 'BEGIN{printf "%.2f", a/(n*b)}'); fi
  echo "| 2,000 paths | $np | $tp | $(printf %.1f "$(kv whole_s < /tmp/revest_bench_rt)") | $(( $(kv maxrss_kb < /tmp/revest_bench_rt) / 1024 )) | $eff |"
done
timed_run 2 bench/.southwest_realopt.toml /tmp/revest_bench_ro_np2.h5 /tmp/revest_bench_log_ro /tmp/revest_bench_rt
echo "| 100,000 paths (the job) | 2 | $(phase_s real_options /tmp/revest_bench_log_ro) | $(printf %.1f "$(kv whole_s < /tmp/revest_bench_rt)") | $(( $(kv maxrss_kb < /tmp/revest_bench_rt) / 1024 )) | |"
echo
$R compare /tmp/revest_bench_rosmall_np1.h5 /tmp/revest_bench_rosmall_np2.h5 > /dev/null && echo "The np=1 and np=2 archives of the 2,000-path job are identical bit for bit (\`revest compare\`)." && echo
/usr/bin/python3 - /tmp/revest_bench_ro_np2.h5 <<'PY'
import sys, h5py, numpy as np, collections
f = h5py.File(sys.argv[1], 'r')
v = f['analyses/digital_investment/summary/valuation']
m = f['analyses/digital_investment/summary/matching']
dec = lambda a: [x.decode() if isinstance(x, bytes) else x for x in a]
mode = np.array(dec(v['mode'][:])); val = v['value'][:]; se = v['se'][:]; npv = v['static_npv'][:]
dig = v['digital_value'][:]; prob = v['invest_probability'][:]
print("Per mode (1,536 projects; money in 10k yuan): median value / static NPV / relative se / value")
print("of digital empowerment / real-world probability of investing within the horizon:")
print()
print("| mode | median value | median static NPV | median se / value | median digital value | median P(invest) |")
print("|---|---|---|---|---|---|")
for md in ("primary", "secondary", "tertiary"):
    k = mode == md
    print("| %s | %.0f | %.0f | %.4f | %.0f | %.2f |" % (md, np.median(val[k]), np.median(npv[k]), np.median(se[k] / val[k]), np.median(dig[k]), np.median(prob[k])))
best = collections.Counter(dec(m['best_mode'][:])); pb = m['prob_best'][:]
print()
print("Best mode: %s; counties whose best mode wins in every batch: %d of %d; best mode changes without digital empowerment in %d counties." % (
    ", ".join("%s %d" % kv for kv in sorted(best.items())), int((pb == 1).sum()), len(pb),
    int(sum(a != b for a, b in zip(dec(m['best_mode'][:]), dec(m['best_mode_no_digital'][:]))))))
PY
echo
echo "### How far below the exact value the exercise rule leaves a project"
echo
echo "\`bench/realopt_rule.cpp\`: the analysis's project (all four options, 5 states; 10 years x 4"
echo "dates) on GBM for 18 parameter sets spanning the bundled projects (sigma 0.17 / 0.29 / 0.5,"
echo "I / V0 0.7 / 1.05 / 1.6, delta 0.045 / 0.065; V0 = 100, r = 0.03), against the exact Bermudan"
echo "value on the same dates from a binomial lattice (\`realopt/lattice.hpp\`, checked against"
echo "Longstaff-Schwartz's FD values to 2e-4). The LSM value is a low estimate; its shortfall is the"
echo "rule's suboptimality. Per batch as in the job (10 batches of 10,000 + 10,000 paths, the mean of"
echo "the batches) and with one batch of 100,000 + 100,000."
echo
$BUILD/bench/bench_realopt_rule
echo
echo "## Reading these figures"
echo
echo "- The runtime itself is cheap: tens of microseconds per task, including the collective writes"
echo "  and the checkpoints. For real analyses, whose tasks take milliseconds, it is negligible."
echo "- In the index bootstrap most of the task phase is compressing and writing the replicated"
echo "  values (200 MB raw). Rounds and rank blocks follow the chunk boundaries, so no compressed"
echo "  chunk is written twice or by two ranks."
echo "- DEA speed: on the workload of issue 3's target, revest's RadialSolver runs the Simar-Wilson"
echo "  bootstrap about 84 times faster than the issue's R Benchmarking figure on one core in a quiet"
echo "  period (section 5: mean, median and fastest of 10 rounds, 2.2-2.3 ms per replication of 512"
echo "  LPs); a busy minute on this VM costs up to 1.5x. Warm-started Clp is about as fast as R. The"
echo "  target is 50 times (aim 100). Per LP: about 17 simplex pivots from the pseudo-observation"
echo "  start vertex, whose inverse is written down rather than factorised; the inner loops run in"
echo "  AVX2 where the CPU has it, with the same bits as the SSE2 copy (tested); the final pricing"
echo "  skips the frontier candidates and every unit already found dominated, so it shrinks from"
echo "  512 columns to none over a replication. R was not re-run here."
echo "- This VM's speed varies by up to 1.5x from minute to minute: consecutive runs of the same"
echo "  binary gave 3.3 and 4.9 ms per replication, Clp slowing down by the same factor, so every"
echo "  ratio here carries that noise. The parallel efficiency is therefore measured by alternating"
echo "  short runs (section 6, bench/dea_scaling.sh): the ranks compute tasks about 97% of the task"
echo "  phase at np=2 (static blocks wait for the slower core at the end of each round when the VM"
echo "  slows one core), and the fastest runs give the efficiency of the code itself."
echo "- Truth recovery: on the bundled panel every stage-2 SFA ends at the gamma -> 1 boundary (the"
echo "  slack data look deterministic: near-zero slacks at every environment), so stage 3 adjusts"
echo "  little and stage-3 scores track stage-1 scores; the bias-corrected stage-3 score has the"
echo "  lowest RMSE against the managerial efficiency. Section 8 shows the adjustment working when"
echo "  the SFA is interior (design C, n = 400: stage-3 RMSE 0.054 bias-corrected vs 0.086 stage 1)."
echo "- Coverage: the SW98 intervals under-cover (0.70-0.82 for a nominal 0.95 without noise), as the"
echo "  literature reports for DEA with few units per dimension; with noise and an environment effect"
echo "  the stage-1 intervals miss the managerial efficiency by design, and stage-3 intervals help"
echo "  only where stage 2 identifies the environment."
echo "- LSM speed (section 9): per path-step as the issue counts them, revest's LSM is 20-30x"
echo "  faster than QuantLib's MCAmericanEngine on the same put, and takes 2-3x the time of plain"
echo "  path generation (the issue's limit: 5x). At equal standard error the control variate adds"
echo "  two orders of magnitude, but then both estimates' error is their exercise rule's bias."
echo "- Projects with all four options (5 states, 4 regressions per date) run at about a quarter of"
echo "  the put's rate: the main job's valuation is section 10's longest run."
echo "- How good the rule is (section 10, last table): the LSM value is a low estimate, and on the"
echo "  main job's project over 10 years the rule leaves a few per cent of the exact value with"
echo "  10,000 regression paths per batch; the shortfall falls with more regression paths for the"
echo "  polynomial bases, not for the order-5 spline (the default before this measurement). The dual"
echo "  bound brackets the exact value from above whatever the rule (tests/realopt/lsm_test.cpp)."
echo "- Rank 0 computes the summaries alone (a few seconds here). Spreading the column blocks over"
echo "  the ranks is the next step if summaries ever dominate."
bash bench/spatial.sh
echo
echo "## 13. Difference-in-differences (bench/did_bench.cpp, one core)"
echo
$BUILD/bench/bench_did 500000
echo
echo "## 14. DID truth recovery over 300 generated panels (bench/did_truth.cpp, one core)"
echo
$BUILD/bench/bench_did_truth 300
echo
echo "## 15. Panel threshold regression, Hansen's data (bench/threshold_bench.cpp, one core)"
echo
$BUILD/bench/bench_threshold 300 3
echo
echo "## 16. Simar-Wilson (2007) coverage and the issue-20 jobs at np = 1 and 2 (bench/issue20.sh)"
echo
bash bench/issue20.sh
