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

    # Self-description: every dataset of the archive says what it holds (a `description`), and
    # the columns with a unit carry it (`units`).
    undescribed = []
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            desc = obj.attrs.get("description", "")
            desc = desc.decode() if isinstance(desc, bytes) else desc
            if not desc.strip():
                undescribed.append(name)
    f.visititems(visit)
    assert not undescribed, "%d datasets without a description: %s" % (len(undescribed), ", ".join(undescribed))
    for dpath, units in (("analyses/digital_index/summary/scores/score", "1"),
                        ("analyses/digital_investment/summary/valuation/value", "10k yuan"),
                        ("analyses/digital_investment/summary/valuation/invest_time", "year"),
                        ("data/rook/weight", "km"),
                        ("data/panel/broadband_users", None),
                        ("analyses/efficiency/replications/scores", "1")):
        got = f[dpath].attrs.get("units")
        if units is None:  # a panel variable: the indicator's unit
            names = [n.decode() if isinstance(n, bytes) else n for n in f["data/indicators/name"][:]]
            units = f["data/indicators/unit"].asstr()[names.index("broadband_users")]
        assert got == units, (dpath, got, units)

    # The README's way of reading a table: strings decoded (h5py returns UTF-8 bytes by default).
    def column(d):
        return d.asstr()[:] if h5py.check_string_dtype(d.dtype) else d[:]
    t = f["analyses/digital_index/summary/scores"]
    table = {c: column(t[c]) for c in t.attrs["columns"]}
    assert isinstance(table["name"][0], str) and table["name"][0] == "万州区", table["name"][0]
    assert isinstance(t["name"][0], bytes)  # what the README warns about
    assert t["score"].attrs["units"] == "1" and t["score"].attrs["description"]
print("h5py read OK:", path)
