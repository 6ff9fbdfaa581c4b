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
for sub in run validate generate inspect export compare; do
  expect 0 "Usage|usage" -- "$REVEST" "$sub" --help
done
expect 0 "revest 0" -- "$REVEST" --version
expect 2 "subcommand" -- "$REVEST"
expect 2 "" -- "$REVEST" frobnicate
expect 0 "OK: job 'smoke'" -- "$REVEST" validate "$SRC/jobs/smoke.toml"
expect 0 "OK: job 'southwest'" -- "$REVEST" validate "$SRC/jobs/southwest.toml"

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
expect 0 "" -- "$MPIEXEC" -n 2 "$REVEST" run "$SRC/jobs/smoke.toml" -q --force -o "$OUT/smoke.h5"
expect 0 "status +complete" -- "$REVEST" inspect "$OUT/smoke.h5"
expect 0 "wrote [0-9]+ CSV files" -- "$REVEST" export "$OUT/smoke.h5" --csv "$OUT/csv"
[ -s "$OUT/csv/digital_index/scores.csv" ] || fail "export: no scores.csv"
[ -s "$OUT/csv/digital_index/weights.csv" ] || fail "export: no weights.csv"
[ -s "$OUT/csv/data/panel.csv" ] || fail "export: no data/panel.csv"
[ "$(wc -l < "$OUT/csv/digital_index/status.csv")" -eq 41 ] || fail "status.csv should have 40 rows + header"
expect 0 "identical results" -- "$REVEST" compare "$OUT/smoke.h5" "$OUT/smoke.h5"
expect 1 "not a revest archive|no such file" -- "$REVEST" inspect "$OUT/job.toml"
echo "cli: all checks passed"
