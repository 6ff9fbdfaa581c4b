"""Truth recovery of the three-stage DEA on the bundled synthetic panel (bench/RESULTS.md).

Reads the `efficiency` table of a jobs/southwest.toml archive and the truth panel written by
`revest generate` (data/synthetic/truth_panel.csv) and prints, per estimator, bias, RMSE and
correlation against the efficiency it targets, and the coverage of its 95% interval:
  stage 1 (VRS input, observed inputs)      -> eff_input: Farrell input efficiency of the observed
                                               data against the true frontier (environment, noise
                                               and management all included)
  stage 3 (VRS input, adjusted inputs)      -> eff_managerial: exp(-u), management only
Usage: python3 bench/dea_truth.py ARCHIVE data/synthetic/truth_panel.csv
"""
import csv
import sys

import h5py
import numpy as np

archive, truth_csv = sys.argv[1], sys.argv[2]
truth = {}
with open(truth_csv, newline="") as fh:
    for r in csv.DictReader(fh):
        truth[(int(r["adcode"]), int(r["year"]))] = (float(r["eff_input"]), float(r["eff_managerial"]))
with h5py.File(archive, "r") as f:
    e = f["analyses/efficiency/summary/efficiency"]
    col = {k: e[k][:] for k in e.keys()}
key = list(zip(col["adcode"].astype(int), col["year"].astype(int)))
eff_input = np.array([truth[k][0] for k in key])
eff_man = np.array([truth[k][1] for k in key])

print("| estimate | target | bias | RMSE | correlation | 95% interval covers the target |")
print("|---|---|---|---|---|---|")
for est, lo, hi, target, tname in [
    ("stage1_vrs", "stage1_ci_lo", "stage1_ci_hi", eff_input, "eff_input"),
    ("stage1_bc", "stage1_ci_lo", "stage1_ci_hi", eff_input, "eff_input"),
    ("stage1_vrs", None, None, eff_man, "eff_managerial"),
    ("stage1_bc", None, None, eff_man, "eff_managerial"),
    ("stage3_vrs", "stage3_ci_lo", "stage3_ci_hi", eff_man, "eff_managerial"),
    ("stage3_bc", "stage3_ci_lo", "stage3_ci_hi", eff_man, "eff_managerial"),
]:
    x = col[est]
    d = x - target
    cover = "" if lo is None else "%.3f" % np.mean((col[lo] <= target) & (target <= col[hi]))
    print("| %s | %s | %.4f | %.4f | %.3f | %s |" % (est, tname, d.mean(), np.sqrt((d * d).mean()),
                                                 np.corrcoef(x, target)[0, 1], cover))
