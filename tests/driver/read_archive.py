"""Reads a revest archive with h5py the way the README tells users to, and checks its content."""
import sys

import h5py
import numpy as np

path = sys.argv[1]
with h5py.File(path, "r") as f:
    assert f.attrs["format"] in ("revest-archive", b"revest-archive"), f.attrs["format"]
    assert int(f.attrs["complete"]) == 1
    seed = int(f["meta"].attrs["seed"])
    assert seed == 7, seed
    cfg = f["meta/effective_config"][()]
    cfg = cfg.decode() if isinstance(cfg, bytes) else cfg
    assert "name = 'smoke'" in cfg and "replications = 40" in cfg, cfg[:300]
    counties = f["data/counties"]
    assert counties["adcode"].shape == (512,)
    g = f["analyses/digital_index"]
    status = g["status"][:]
    assert status.shape == (40,) and (status == 0).all(), status
    scores = g["replications/scores"]
    assert scores.shape == (40, 5, 512), scores.shape  # B x years x counties
    assert np.isfinite(scores[:]).all()
    assert ((scores[:] >= 0) & (scores[:] <= 1)).all()
    w = g["replications/weights"][:]
    assert np.allclose(w.sum(axis=2), 1.0, atol=1e-12), w.sum(axis=2)
    s = g["summary/scores"]
    cols = [c.decode() if isinstance(c, bytes) else c for c in s.attrs["columns"]]
    assert cols[:4] == ["adcode", "name", "province", "year"], cols
    n = s["score"].shape[0]
    assert n == 512 * 5
    lo, hi, est = s["ci_lo"][:], s["ci_hi"][:], s["score"][:]
    assert (lo <= hi).all()
    inside = np.mean((lo <= est) & (est <= hi))
    assert inside > 0.9, inside  # intervals should contain the full-sample estimate
    ranks = s["rank"][:]
    for year in np.unique(s["year"][:]):
        r = np.sort(ranks[s["year"][:] == year])
        assert r[0] == 1 and r[-1] <= 512
    # Three-stage DEA: B x years x (stage 1, stage 3) x counties bootstrap scores, and the tables.
    d = f["analyses/efficiency"]
    assert (d["status"][:] == 0).all()
    sc = d["replications/scores"]
    assert sc.shape == (16, 5, 2, 512), sc.shape
    assert np.isfinite(sc[:]).all() and (sc[:] > 0).all()
    e = d["summary/efficiency"]
    assert e["stage1_vrs"].shape == (512 * 5,)
    v1, c1 = e["stage1_vrs"][:], e["stage1_crs"][:]
    assert ((v1 > 0) & (v1 <= 1 + 1e-9)).all() and (c1 <= v1 + 1e-9).all()
    assert (e["stage1_ci_lo"][:] <= e["stage1_ci_hi"][:]).all()
    assert np.allclose(e["stage1_scale"][:], c1 / v1)
    for t in ("slacks", "stage2_coefficients", "stage2_fits", "truncated_regression"):
        assert t in d["summary"], t
print("h5py read OK:", path)
