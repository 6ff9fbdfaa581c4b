#!/usr/bin/env python3
"""Writes Hansen's investment panel (tests/threshold/data/invest.csv) as a revest job into DIR:
a unit list of the 565 firms (units.csv), the panel keyed by firm and year with Hansen's lagged
regressors (panel.csv), its indicator file (indicators.toml) and the job (job.toml: single and
double threshold, 400 grid points, trimming 1 %, B = 300 per test, Hansen's one-way fixed
effects). bench/issue20.sh runs it at np = 1 and np = 2.
Usage: python3 bench/hansen_job.py DIR"""
import csv
import os
import sys

out = sys.argv[1]
src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "threshold", "data",
                   "invest.csv")
rows = list(csv.DictReader(open(src)))
firms, years = 565, 15
assert len(rows) == firms * years
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "units.csv"), "w") as f:
    f.write("id,name\n")
    for i in range(firms):
        f.write(f"{i + 1},firm {i + 1}\n")
names = ["inv", "q1", "q1sq", "q1cu", "debt1", "qdebt1", "cf1"]
with open(os.path.join(out, "panel.csv"), "w") as f:
    f.write("id,year," + ",".join(names) + "\n")
    for i in range(firms):
        for t in range(1, years):  # 1974..1987: the regressors are lagged one year
            r, p = rows[i * years + t], rows[i * years + t - 1]
            q, d = float(p["V2"]), float(p["V4"])
            vals = [r["V1"], p["V2"], repr(q * q), repr(q * q * q), p["V4"], repr(q * d), p["V3"]]
            f.write(f"{i + 1},{1973 + t}," + ",".join(vals) + "\n")
with open(os.path.join(out, "indicators.toml"), "w") as f:
    labels = {"inv": "investment / assets", "q1": "Tobin's q, lagged", "q1sq": "q squared, lagged",
              "q1cu": "q cubed, lagged", "debt1": "debt / assets, lagged",
              "qdebt1": "q x debt, lagged", "cf1": "cash flow / assets, lagged"}
    for n in names:
        f.write(f'[[indicator]]\nname = "{n}"\nlabel = "{labels[n]}"\nunit = "1"\n'
                f'group = "threshold"\ndirection = 1\ndomain = "any"\nuses = ["threshold"]\n'
                f'description = "Hansen (1999) investment panel (pdR::invest)"\n\n')
with open(os.path.join(out, "job.toml"), "w") as f:
    f.write('name = "hansen_threshold"\nseed = 1999\noutput = "hansen.h5"\n\n'
            '[data]\ngeography = "units.csv"\npanel = "panel.csv"\n'
            'indicators = "indicators.toml"\nyears = [1974, 1987]\n\n'
            '[[analysis]]\nkind = "panel_threshold"\nname = "threshold"\noutcome = "inv"\n'
            'regime_dependent = ["cf1"]\ncontrols = ["q1", "q1sq", "q1cu", "debt1", "qdebt1"]\n'
            'time_effects = false\nthreshold_variable = "debt1"\nmax_thresholds = 2\n'
            'grid = 400\ntrim = [0.01, 0.01]\nreplications = 300\nreplications_per_task = 10\n')
