"""Peer implementation for the benchmark: the entropy-weight TOPSIS index and its county bootstrap
written the way an applied economist would in NumPy (vectorised per replication), on the same
panel and with the same design as revest's `entropy_index` (pooled min-max, per-year weights,
bounds and weights re-estimated on each resample and applied to all counties).

  python3 bench/peer_index.py data/synthetic/panel.csv config/indicators.toml B archive.h5

It prints the time per replication and checks its point estimates against revest's archive.
"""
import sys
import time
import tomllib

import h5py
import numpy as np

panel_path, ind_path, B, archive = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
with open(ind_path, "rb") as fh:
    system = tomllib.load(fh)["indicator"]
index = [i for i in system if "index" in i.get("uses", [])]
names = [i["name"] for i in index]
direction = np.array([i.get("direction", 1) for i in index])

t0 = time.perf_counter()
data = np.genfromtxt(panel_path, delimiter=",", names=True)
load_s = time.perf_counter() - t0
years = np.unique(data["year"]).astype(int)
codes = np.unique(data["adcode"]).astype(int)
T, N, K = len(years), len(codes), len(names)
order = np.lexsort((data["year"], data["adcode"]))  # county-major, then year
raw = np.column_stack([data[n][order] for n in names]).reshape(N, T, K)


def index_scores(raw, sample):
    sub = raw[sample]                                   # resampled counties, all years
    lo, hi = sub.min(axis=(0, 1)), sub.max(axis=(0, 1))
    x = (raw - lo) / (hi - lo)
    x = np.where(direction > 0, x, 1 - x).clip(0, 1)    # all counties, bounds of the sample
    xs = x[sample]
    p = xs / xs.sum(axis=0, keepdims=True)              # per year: proportions over counties
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(len(sample))        # T x K
    d = np.clip(1 - e, 0, None)
    w = d / d.sum(axis=1, keepdims=True)
    dplus = np.sqrt((((1 - x) * w) ** 2).sum(axis=2))
    dminus = np.sqrt(((x * w) ** 2).sum(axis=2))
    return w, dminus / (dplus + dminus)                 # T x K, N x T


w0, s0 = index_scores(raw, np.arange(N))
rng = np.random.default_rng(1)
t0 = time.perf_counter()
for b in range(B):
    index_scores(raw, rng.integers(0, N, N))
per_rep = (time.perf_counter() - t0) / B

with h5py.File(archive, "r") as f:
    wt = f["analyses/digital_index/summary/weights"]
    sc = f["analyses/digital_index/summary/scores"]
    rw = wt["weight"][:].reshape(T, K)
    # The archive lists counties in geography order; align by (adcode, year).
    pos = {c: i for i, c in enumerate(codes)}
    rs = np.full((N, T), np.nan)
    for a, y, v in zip(sc["adcode"][:], sc["year"][:], sc["score"][:]):
        rs[pos[int(a)], int(y) - years[0]] = v
print(f"peer_load_s={load_s:.3f} peer_s_per_rep={per_rep:.5f} "
      f"max_abs_diff_weights={np.abs(rw - w0).max():.2e} max_abs_diff_scores={np.abs(rs - s0).max():.2e}")
