#!/usr/bin/env bash
# Command-line behaviour: --help of every sub-command, exit codes, one-line errors naming file and
# line, nothing written for a job that fails validation.
set -uo pipefail
REVEST=$1 SRC=$2 OUT=$3 MPIEXEC=$4
rm -rf "$OUT" && mkdir -p "$OUT"
DEF="$SRC/config/defaults.toml"
fail() { echo "FAIL: $*"; exit 1; }
expect() {  # expect RC PATTERN -- command...
  local want=$1 pat=$2; shift 3
  "$@" > "$OUT/out.txt" 2> "$OUT/err.txt"; local rc=$?
  [ "$rc" -eq "$want" ] || { cat "$OUT/out.txt" "$OUT/err.txt"; fail "'$*' exited $rc, expected $want"; }
  if [ -n "$pat" ]; then grep -qE -- "$pat" "$OUT/out.txt" "$OUT/err.txt" || { cat "$OUT/err.txt"; fail "'$*' output lacks /$pat/"; }; fi
}
for sub in run validate generate inspect export compare submit merge verify rerun weights; do
  expect 0 "Usage|usage" -- "$REVEST" "$sub" --help
done
expect 0 "revest 0" -- "$REVEST" --version
expect 2 "subcommand" -- "$REVEST"
expect 2 "" -- "$REVEST" frobnicate
expect 0 "OK: job 'smoke'" -- "$REVEST" validate "$SRC/jobs/smoke.toml"
expect 0 "OK: job 'southwest'" -- "$REVEST" validate "$SRC/jobs/southwest.toml"
# weights: any matrix the job would build, written for other tools (whole or absent).
expect 0 "wrote weights 'knn k=6' \(512 units, 3072 links\) as mtx" -- "$REVEST" weights "$SRC/jobs/smoke.toml" --spec "knn k=6" --write "$OUT/knn.mtx"
[ "$(sed -n 3p "$OUT/knn.mtx")" = "512 512 3072" ] || fail "knn.mtx: size line $(sed -n 3p "$OUT/knn.mtx")"
expect 1 "knn.txt: unknown weights file type '.txt'" -- "$REVEST" weights "$SRC/jobs/smoke.toml" --spec queen --write "$OUT/knn.txt"
[ ! -e "$OUT/knn.txt" ] || fail "a refused weights file was written"
# A file spec converts: the .mtx read back (gwt file=... reads from the working directory) as .gwt.
expect 0 "wrote weights 'matrix file=.*knn.mtx standardise=none' \(512 units, 3072 links\) as gwt" -- "$REVEST" weights "$SRC/jobs/smoke.toml" --spec "matrix file=$OUT/knn.mtx standardise=none" --write "$OUT/knn.gwt"
[ "$(wc -l < "$OUT/knn.gwt")" -eq 3073 ] || fail "knn.gwt: $(wc -l < "$OUT/knn.gwt") lines, expected a header and 3072 links"
expect 1 "nowhere.gal: cannot open the weights file of --spec" -- "$REVEST" weights "$SRC/jobs/smoke.toml" --spec "gal file=$OUT/nowhere.gal" --write "$OUT/x.gwt"
expect 1 "is the job's --spec weights input" -- "$REVEST" weights "$SRC/jobs/smoke.toml" --spec "gwt file=$OUT/knn.gwt" --write "$OUT/knn.gwt"

job() { printf '%s\n' "$@" > "$OUT/job.toml"; }
# Job file errors name the file and the line.
job 'name = "x"' 'seed = 1' '[data]' 'yeers = [2011, 2022]'
expect 1 "job.toml:4:.*unknown key 'yeers'" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
job 'name = "x"' 'seed = "one"'
expect 1 "job.toml:2:.*'seed' must be an integer" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
job 'name = "x"'
expect 1 "missing required key 'seed'" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
job 'name = "x"' 'seed = 1' '[runtime' 'schedule = "static"'
expect 1 "job.toml:3:.*TOML syntax error" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
job 'name = "x"' 'seed = 1' '[[analysis]]' 'kind = "entropy_index"' 'replications = "many"'
expect 1 "job.toml:5:.*'replications'.*must be an integer" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
job 'name = "x"' 'seed = 1' '[[analysis]]' 'kind = "entropy_index"' 'weight_scope = "yearly"'
expect 1 "job.toml:5:.*weight_scope.*must be one of" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
job 'name = "x"' 'seed = 1' '[[analysis]]' 'kind = "dea_magic"'
expect 1 "job.toml:4:.*unknown analysis kind 'dea_magic'" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
job 'name = "x"' 'seed = 1' '[[analysis]]' 'kind = "entropy_index"' 'indicators = ["broadband_users", "no_such_thing"]'
expect 1 "job.toml:5:.*unknown indicator 'no_such_thing'" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
# The message names the indicator file the job uses (not the default one) and the likely spelling.
cp "$SRC/config/indicators.toml" "$OUT/my_indicators.toml"
job 'name = "x"' 'seed = 1' '[data]' "indicators = \"$OUT/my_indicators.toml\"" '[[analysis]]' \
    'kind = "entropy_index"' 'indicators = ["broadband_users", "broadband_user"]'
expect 1 "unknown indicator 'broadband_user' \(not in the indicator system [^)]*my_indicators.toml\) \(did you mean 'broadband_users'\?\)" \
  -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
# Units in the panel but not in the geography (9), or without every year (2): an error naming the
# file and line, or (unmatched_units = "drop") left out with a warning that counts and names them.
printf 'id,lon,lat\n1,104,30\n2,104.5,30.2\n3,105,30.4\n5,105.5,30.1\n' > "$OUT/units.csv"
printf 'id,year,v\n1,2020,1\n1,2021,2\n2,2020,3\n3,2020,4\n3,2021,5\n5,2020,6\n5,2021,7\n9,2020,8\n' > "$OUT/upanel.csv"
printf '[[indicator]]\nname = "v"\nlabel = "v"\nunit = "1"\ngroup = "control"\ndirection = 1\ndomain = "any"\nuses = ["control"]\ndescription = "test"\n' > "$OUT/uind.toml"
ujob() { job 'name = "u"' 'seed = 1' '[data]' "geography = \"$OUT/units.csv\"" "panel = \"$OUT/upanel.csv\"" \
  "indicators = \"$OUT/uind.toml\"" 'years = [2020, 2021]' "$@" '[[analysis]]' 'kind = "spatial_esda"' \
  'variables = ["v"]' 'weights = ["knn k=1"]' 'cross_section = "last_year"' 'permutations = 9' 'permutations_per_task = 9'; }
ujob
expect 1 "upanel.csv:9: column 'adcode'|upanel.csv:9: column 'id'.*unknown county adcode 9" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
ujob 'unmatched_units = "drop"'
expect 0 "OK: job 'u'.*panel 3 counties" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
grep -q 'unmatched_units = "drop": 1 panel row(s) of 1 unit(s) not in the geography (9); 1 unit(s) of the geography without a row for every year 2020-2021 (2): left out (3 units remain)' "$OUT/err.txt" "$OUT/out.txt" \
  || { cat "$OUT/err.txt"; fail "the drop warning"; }
ujob 'unmatched_units = "ignore"'
expect 1 "job.toml:.*'unmatched_units' must be \"error\" or \"drop\"" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
# Three-stage DEA is input-oriented: output orientation is for stages = 1.
job 'name = "x"' 'seed = 1' '[[analysis]]' 'kind = "three_stage_dea"' 'orientation = "output"'
expect 1 "job.toml:5:.*output orientation needs stages = 1" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
job 'name = "x"' 'seed = 1' '[[analysis]]' 'kind = "three_stage_dea"' 'orientation = "output"' 'stages = 1' 'returns = "ndrs"' 'malmquist = true'
expect 0 "OK: job 'x'" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
# A weights file the job names is read from the job file's directory; a missing one is named.
job 'name = "x"' 'seed = 1' '[[analysis]]' 'kind = "spatial_esda"' 'weights = ["gal file=missing.gal"]'
expect 1 "$OUT/missing.gal: cannot open the weights file of the spec 'file=missing.gal' \(weights_1 of the job" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
cp "$OUT/knn.gwt" "$OUT/here.gwt"
job 'name = "x"' 'seed = 1' '[[analysis]]' 'kind = "spatial_esda"' 'weights = ["gwt file=here.gwt"]'
expect 0 "OK: job 'x'" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
# An empty list written in the job is an error, not a silent fall-back to the indicators' uses.
job 'name = "x"' 'seed = 1' '[[analysis]]' 'kind = "three_stage_dea"' 'environment = []'
expect 1 "job.toml:5:.*option 'environment': an empty list" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"

# Bad data: a negative value in an index indicator -> error naming file, line, column; no archive.
awk -F, 'BEGIN{OFS=","} NR==1{for(i=1;i<=NF;i++) if($i=="broadband_users") c=i} NR==7{$c=-5} {print}' \
  "$SRC/data/synthetic/panel.csv" > "$OUT/panel_bad.csv"
job 'name = "x"' 'seed = 1' "output = \"$OUT/bad.h5\"" '[data]' "panel = \"$OUT/panel_bad.csv\"" \
    '[[analysis]]' 'kind = "entropy_index"' 'replications = 4'
expect 1 "panel_bad.csv:7: column 'broadband_users' \(county [0-9]+, year [0-9]+\): value -5 must be (positive|non-negative)" \
  -- "$MPIEXEC" -n 2 "$REVEST" run "$OUT/job.toml" --defaults "$DEF"
[ ! -e "$OUT/bad.h5" ] || fail "an archive was written for a job whose data failed validation"
# Exactly one line from revest (rank 0) however many ranks run; mpiexec adds its own banner.
[ "$(grep -c '^revest: error:' "$OUT/err.txt")" -eq 1 ] || { cat "$OUT/err.txt"; fail "expected exactly one 'revest: error:' line"; }

# A run, then inspect / export / compare.
expect 0 "task phase [0-9.]+ s on 2 rank\(s\); tasks kept the ranks busy [0-9.]+% of it" -- \
  "$MPIEXEC" -n 2 "$REVEST" run "$SRC/jobs/smoke.toml" --force -o "$OUT/smoke.h5"
# The load-balance line of every analysis: a share of the task phase between 0 and 100 %.
busy=$(sed -n 's/.*tasks kept the ranks busy \([0-9.]*\)% of it/\1/p' "$OUT/err.txt" "$OUT/out.txt")
nanalyses=$(grep -c '^\[\[analysis\]\]' "$SRC/jobs/smoke.toml")
[ "$(echo "$busy" | grep -c .)" -eq "$nanalyses" ] || fail "expected $nanalyses load-balance lines, got: $busy"
for b in $busy; do awk -v b="$b" 'BEGIN{exit !(b >= 0 && b <= 100)}' || fail "busy share $b% out of [0, 100]"; done
expect 0 "status +complete" -- "$REVEST" inspect "$OUT/smoke.h5"
expect 0 "wrote [0-9]+ CSV files" -- "$REVEST" export "$OUT/smoke.h5" --csv "$OUT/csv"
[ -s "$OUT/csv/digital_index/scores.csv" ] || fail "export: no scores.csv"
[ -s "$OUT/csv/digital_index/weights.csv" ] || fail "export: no weights.csv"
[ -s "$OUT/csv/data/panel.csv" ] || fail "export: no data/panel.csv"
[ "$(wc -l < "$OUT/csv/digital_index/status.csv")" -eq 41 ] || fail "status.csv should have 40 rows + header"
expect 0 "identical results" -- "$REVEST" compare "$OUT/smoke.h5" "$OUT/smoke.h5"
expect 1 "not a revest archive|no such file" -- "$REVEST" inspect "$OUT/job.toml"
# [slurm] values go into #SBATCH lines: anything outside a safe alphabet is an error naming the line.
job 'name = "x"' 'seed = 1' '[slurm]' 'time = "1:00:00; rm -rf /"'
expect 1 "job.toml:4:.*'time' may contain only" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
job 'name = "x"' 'seed = 1' '[slurm]' 'extra = ["--constraint=a b"]'
expect 1 "job.toml:4:.*each entry of 'extra' must be one sbatch option" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
job 'name = "x"' 'seed = 1' '[slurm]' 'ntasks = 0'
expect 1 "job.toml:4:.*'ntasks' must be >= 1" -- "$REVEST" validate "$OUT/job.toml" --defaults "$DEF"
# [slurm] is not part of the results: a job that differs only there is the same run for --resume.
{ cat "$SRC/jobs/smoke.toml"; printf '\n[slurm]\nntasks = 7\ntime = "3-00:00:00"\n'; } > "$OUT/smoke_slurm.toml"
expect 0 "already complete" -- "$REVEST" run "$OUT/smoke_slurm.toml" --defaults "$DEF" --resume -o "$OUT/smoke.h5"
# submit --dry-run: scripts written, commands printed, nothing submitted (no sbatch needed).
expect 0 "dry run: would submit: .*--array=0,1,2,3" -- "$REVEST" submit "$SRC/jobs/smoke.toml" --dry-run --shards 4 \
  --ntasks 3 --time 02:00:00 --partition short -o "$OUT/dry/smoke.h5"
grep -q "dependency=afterok" "$OUT/out.txt" || fail "dry run: no merge job"
grep -q "dependency=afternotok" "$OUT/out.txt" || fail "dry run: no job to diagnose a failed shard"
for f in run merge; do [ -x "$OUT/dry/smoke.slurm/$f.sbatch" ] || fail "dry run: no $f.sbatch"; done
bash -n "$OUT/dry/smoke.slurm/run.sbatch" && bash -n "$OUT/dry/smoke.slurm/merge.sbatch" || fail "a written script is not valid bash"
grep -qx "#SBATCH --ntasks=3" "$OUT/dry/smoke.slurm/run.sbatch" || fail "run.sbatch: --ntasks"
grep -qx "#SBATCH --time=02:00:00" "$OUT/dry/smoke.slurm/run.sbatch" || fail "run.sbatch: --time"
grep -qx "#SBATCH --partition=short" "$OUT/dry/smoke.slurm/run.sbatch" || fail "run.sbatch: --partition"
grep -qx "#SBATCH --signal=USR1@300" "$OUT/dry/smoke.slurm/run.sbatch" || fail "run.sbatch: --signal"
grep -q "srun --mpi=pmix" "$OUT/dry/smoke.slurm/run.sbatch" || fail "run.sbatch: srun --mpi=pmix"
expect 1 "must come before the time limit" -- "$REVEST" submit "$SRC/jobs/smoke.toml" --dry-run --time 2 --signal 150 -o "$OUT/dry/smoke.h5"
expect 2 "" -- "$REVEST" submit "$SRC/jobs/smoke.toml" --dry-run --ntasks -5 -o "$OUT/dry/smoke.h5"
expect 1 "--time '1h; x' may contain only" -- "$REVEST" submit "$SRC/jobs/smoke.toml" --dry-run --time "1h; x" -o "$OUT/dry/smoke.h5"
echo "cli: all checks passed"
