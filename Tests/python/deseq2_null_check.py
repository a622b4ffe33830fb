#!/usr/bin/env python3
"""Why PyDESeq2's null p-values on per-lane pseudo-bulks are conservative (docs/batching.md, 8.1).

    SCREENPLAN_BIN=.build/release/screenplan deseq2_null_check.py [SEED ...]

On the 40-perturbation in vitro validation design, the truth-null genes' p-values of DESeq2
(`~lane + group`, no Cook's or independent filtering) with one control pseudo-bulk per lane, as
engine_validation.py builds them (about 6x the cells of a perturbation's), and with each lane's
controls split into pseudo-replicates of the perturbed pseudo-bulks' size (same lane, same group),
so that one gene-wise dispersion fits every sample. Prints the rejection rate at α = 0.01, the KS
p-value and the decile histogram of each."""
import sys, pathlib, tempfile, warnings
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import numpy as np, pandas as pd, scipy.stats as st
import engine_validation as ev
from pydeseq2.dds import DeseqDataSet
from pydeseq2.ds import DeseqStats
from pydeseq2.default_inference import DefaultInference
inference = DefaultInference(n_cpus=1)
seeds = [int(a) for a in sys.argv[1:]] or [1, 2]
folder = pathlib.Path(tempfile.mkdtemp())
(folder / "d.yaml").write_text(ev.design_text("in-vitro", "pseudobulk", 40, 25))

def run(screen, members, ref, tested, split):
    rows, meta = [], []
    groups = {p: c for p, c in members.items() if len(c)}
    per = max(1, int(round(np.median([len(c) for c in groups.values()]) / 4)))
    for name, cells in list(groups.items()) + [("control", ref)]:
        for lane in sorted(set(screen.lane[cells])):
            sel = cells[screen.lane[cells] == lane]
            parts = [sel] if (name != "control" or not split) else np.array_split(sel, max(1, len(sel) // per))
            for part in parts:
                rows.append(np.asarray(screen.counts[part].sum(axis=0)).ravel()); meta.append((name, "L" + lane))
    counts = pd.DataFrame(np.array(rows, dtype=int), columns=screen.genes, index=["s%d" % i for i in range(len(rows))])
    md = pd.DataFrame(meta, columns=["group", "lane"], index=counts.index)
    counts = counts[counts.columns[counts.sum(axis=0) > 0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dds = DeseqDataSet(counts=counts, metadata=md, design="~lane + group", refit_cooks=False, inference=inference, quiet=True)
        dds.deseq2()
    out = []
    for p, (target, nulls) in tested.items():
        if p not in groups: continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = DeseqStats(dds, contrast=["group", p, "control"], cooks_filter=False, independent_filter=False, inference=inference, quiet=True)
            s.summary()
        pv = s.results_df["pvalue"]
        out += [float(pv.get(g, 1.0)) if np.isfinite(pv.get(g, np.nan)) else 1.0 for g in nulls]
    return out

res = {"one control pseudo-bulk per lane": [], "controls split into pseudo-replicates": []}
for seed in seeds:
    sim = folder / ("s%d" % seed)
    if not (sim / "truth.tsv").exists():
        ev.run(ev.binary(), "simulate", folder / "d.yaml", "--out", sim, "--seed", seed)
    screen = ev.Screen(sim)
    members, nt = screen.groups(False)
    ref = np.concatenate([np.array(v, dtype=int) for v in nt.values()])
    tested = screen.tested_genes(np.random.default_rng(seed), ref)
    for split, key in ((False, "one control pseudo-bulk per lane"), (True, "controls split into pseudo-replicates")):
        res[key] += run(screen, members, ref, tested, split)
        print(seed, key, "done", flush=True)
for k, v in res.items():
    v = np.array(v)
    print("%s: %d null tests, rate at 0.01 %.4f, KS p %.3g, deciles %s" % (k, len(v), np.mean(v < 0.01), st.kstest(v, "uniform").pvalue, np.histogram(v, bins=10, range=(0, 1))[0].tolist()), flush=True)
import shutil
shutil.rmtree(folder, ignore_errors=True)
