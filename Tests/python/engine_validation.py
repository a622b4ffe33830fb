#!/usr/bin/env python3
"""Predicted power against the engines labs use, on screenplan's own simulated counts.

    engine_validation.py [--quick] [--seeds N] [--regimes a,b] [--engines a,b] [--out FILE.md]

For each small design (one per regime, plus high MOI), `screenplan simulate --seed S` writes the
10x output; each engine then tests every perturbation's target and a sample of truth-null genes
(genes truth.tsv leaves out for that perturbation, i.e. |log2 FC| < 0.01, that are testable):

| engine | screenplan `analysis.test` it is compared with |
|---|---|
| pysceptre 0.6.0 `run_discovery_analysis` (NB GLM score test, calibrated by resampling; low MOI against the NT cells, high MOI against the complement; covariates log library size, log genes detected, lane) | `glm` |
| scanpy `rank_genes_groups(method="wilcoxon", tie_correct=True)` on log1p(counts per 10k), perturbation vs control group | `wilcoxon` |
| scanpy `rank_genes_groups(method="t-test")` (Welch) on the same values | `t-test` |
| PyDESeq2 on per-lane pseudo-bulks, design `~ lane + group`, Wald test of the perturbation against the controls | `pseudobulk` |

The predicted power of a perturbation is `screenplan analyze DESIGN --json` with `analysis.test`
set to the matching test (`perturbations[].power`, at `analysis.alpha` per test:
`multiple_testing: none`). Each engine's rejections at the same α are pooled over perturbations
and seeds by bin of predicted power (width 0.1). Reported per engine and regime: the bins, the
mean absolute gap |predicted − rejection rate| (weighted by tests), its sampling error, and the
Kolmogorov–Smirnov p-value of the engine's p-values on the truth-null genes against U(0, 1).

Binaries: SCREENPLAN_BIN simulates (and analyses unless SCREENPLAN_ANALYZE_BIN is set, e.g. to
another build whose power model is being checked). Python here is an independent client: it
reads only what screenplan writes.
"""
import argparse
import gzip
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
import scipy.io
import scipy.sparse as sp
import scipy.stats as st

ROOT = pathlib.Path(__file__).resolve().parents[2]
ALPHA = 0.01
NULLS_PER_PERTURBATION = 5
ENGINE_TEST = {"pysceptre": "glm", "wilcoxon": "wilcoxon", "t-test": "t-test", "deseq2": "pseudobulk"}

BASE = """\
name: {name}
system:
  regime: {regime}
  dynamics: {dynamics}
  genes: {genes}
  network: {{seed: 5, regulators: 40}}
{media}perturbations:
  targets: {targets}
  moi: {moi}
{protocol}sampling:
  cells_per_perturbation: {cells}
{times}measurement:
  measured_genes: {measured}
  mrna_per_cell: 10000
batching:
  unit: {unit}
  batches: {batches}
  layout: {layout}
analysis:
  test: {test}
  multiple_testing: none
  alpha: {alpha}
"""

REGIMES = {
    "in-vitro": dict(regime="in-vitro", dynamics="non-differentiating", media="", moi=0.1, protocol="",
                     times="", unit="lane", batches=4, layout="pooled"),
    "in-vitro-differentiating": dict(
        regime="in-vitro", dynamics="differentiating",
        media="  media: [{name: growth}, {name: differentiation}]\n", moi=0.1,
        protocol="protocol:\n  - {medium: growth, perturb: true, duration_h: 24}\n"
                 "  - {medium: differentiation, perturb: true, duration_h: 48}\n",
        times="  time_points_h: [72]\n", unit="lane", batches=2, layout="pooled"),
    "in-vivo": dict(regime="in-vivo", dynamics="non-differentiating", media="", moi=0.1,
                    protocol="protocol:\n  - {medium: growth, perturb: false, duration_h: 6}\n"
                             "  - {medium: growth, perturb: true, duration_h: 96}\n",
                    times="", unit="animal", batches=3, layout="per-animal"),
    "in-vivo-differentiating": dict(
        regime="in-vivo", dynamics="differentiating", media="  media: [{name: differentiation}]\n", moi=0.1,
        protocol="protocol:\n  - {medium: differentiation, perturb: true, duration_h: 96}\n",
        times="", unit="animal", batches=3, layout="per-animal"),
    "high-moi": dict(regime="in-vitro", dynamics="non-differentiating", media="", moi=5, protocol="",
                     times="", unit="lane", batches=2, layout="pooled"),
}


def binary(name="SCREENPLAN_BIN"):
    path = os.environ.get(name) or os.environ.get("SCREENPLAN_BIN")
    if not path:
        for config in ("release", "debug"):
            candidate = ROOT / ".build" / config / "screenplan"
            if candidate.exists():
                return str(candidate)
    if not path or not os.path.exists(path):
        sys.exit("build screenplan first (make build) or set SCREENPLAN_BIN")
    return path


def run(bin_path, *args):
    result = subprocess.run([bin_path, *map(str, args)], capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError("screenplan %s failed (%d): %s" % (" ".join(map(str, args)), result.returncode, result.stderr))
    return result.stdout


def design_text(regime, test, targets=40, cells=25):
    """The regime's small design. The network holds at least 150 genes and 110 more than the
    targets (a target must be a network gene), twice as many measured."""
    genes = max(150, targets + 110)
    return BASE.format(name="validation " + regime, test=test, alpha=ALPHA, targets=targets, cells=cells,
                       genes=genes, measured=2 * genes, **REGIMES[regime])


def predicted_power(folder, regime, test, targets, cells, downstream=False):
    """Perturbation name → the analysis's power for `test` (SCREENPLAN_ANALYZE_BIN); with
    `downstream`, also (perturbation, gene) → its power for every testable affected gene beyond
    the target (`analyze --downstream`)."""
    path = folder / ("%s-%s.yaml" % (regime, test))
    path.write_text(design_text(regime, test, targets, cells))
    args = ["analyze", path, "--json", "--no-solve"] + (["--downstream"] if downstream else [])
    doc = json.loads(run(binary("SCREENPLAN_ANALYZE_BIN"), *args))
    targets = {p["name"]: p["power"] for p in doc["perturbations"] if p.get("power") is not None}
    if not downstream:
        return targets
    genes = {(p["name"], g["gene"]): g["power"] for p in doc["perturbations"] for g in p.get("downstream", [])}
    return targets, genes


class Screen:
    """One simulated replicate as an analysis reads it: counts, cells.tsv, truth.tsv."""

    def __init__(self, folder):
        with gzip.open(folder / "matrix.mtx.gz") as f:
            self.counts = sp.csr_matrix(scipy.io.mmread(f).T)  # cells × genes
        features = pd.read_csv(folder / "features.tsv.gz", sep="\t", header=None)
        self.genes = list(features[1] if features.shape[1] > 1 else features[0])
        self.cells = pd.read_csv(folder / "cells.tsv", sep="\t", keep_default_na=False)
        truth = pd.read_csv(folder / "truth.tsv", sep="\t")
        self.affected = truth.groupby("perturbation")["gene"].apply(set).to_dict()
        self.library = np.asarray(self.counts.sum(axis=1)).ravel().astype(float)
        self.detected = np.asarray((self.counts > 0).sum(axis=1)).ravel().astype(float)
        self.lane = self.cells["batch"].astype(str).to_numpy()
        guides = self.cells["detected_guides"].astype(str)
        self.guides = [[g for g in s.split(";") if g] for s in guides]
        self.perturbations = sorted({g.rsplit("_g", 1)[0] for gs in self.guides for g in gs
                                     if not g.startswith("non-targeting")})
        self.index = {g: i for i, g in enumerate(self.genes)}

    def groups(self, high_moi):
        """Perturbation → its cells; and the reference: NT cells (low MOI) or None (complement)."""
        members = {p: [] for p in self.perturbations}
        nt = {}
        for c, gs in enumerate(self.guides):
            if self.library[c] <= 0 or not gs:
                continue  # unassigned: no guide detected
            targeting = {g.rsplit("_g", 1)[0] for g in gs if not g.startswith("non-targeting")}
            if high_moi:
                for p in targeting:
                    members[p].append(c)
            elif len(targeting) == 1 and len(gs) == 1:
                members[targeting.pop()].append(c)
            elif not targeting and len(gs) == 1:
                nt.setdefault(gs[0], []).append(c)
            # ambiguous (several guides) at low MOI: dropped, as sceptre's QC does
        return {p: np.array(v, dtype=int) for p, v in members.items()}, (None if high_moi else nt)

    def tested_genes(self, rng, reference_cells, downstream=None):
        """Per perturbation: its target and up to NULLS_PER_PERTURBATION truth-null testable genes,
        then (`downstream`: perturbation → genes) every affected gene the analysis predicts a power
        for (the nulls are drawn first, so the same seed tests the same nulls either way)."""
        mean = np.asarray(self.counts[reference_cells].mean(axis=0)).ravel()
        testable = np.flatnonzero(mean >= 0.1)
        out = {}
        for p in self.perturbations:
            affected = self.affected.get(p, set()) | {p}
            nulls = [self.genes[g] for g in rng.permutation(testable) if self.genes[g] not in affected]
            extra = [g for g in (downstream or {}).get(p, []) if g in self.index and g != p]
            out[p] = (p, nulls[:NULLS_PER_PERTURBATION], extra)
        return out


def covariates(screen, cells):
    lanes = sorted(set(screen.lane[cells]))
    cols = [np.ones(len(cells)), np.log(screen.library[cells]), np.log(screen.detected[cells])]
    for lane in lanes[1:]:
        cols.append((screen.lane[cells] == lane).astype(float))
    return np.column_stack(cols)


def engine_pysceptre(screen, members, nt, tested, high_moi, seed):
    import pysceptre
    pairs = [(g, p) for p, (target, nulls, extra) in tested.items() for g in [target] + nulls + extra
             if len(members[p]) > 0]
    if high_moi:
        cells = np.arange(screen.counts.shape[0])
        cells = cells[screen.library[cells] > 0]
    else:
        cells = np.unique(np.concatenate([members[p] for p in members] + [np.array(v) for v in nt.values()]))
    position = {c: i for i, c in enumerate(cells)}
    genes = sorted({g for g, _ in pairs})
    response = screen.counts[cells][:, [screen.index[g] for g in genes]].T.tocsr()
    targets = {p: np.array([position[c] for c in members[p]], dtype=int) for p in members if len(members[p]) > 0}
    kwargs = dict(moi="high" if high_moi else "low", seed=seed, n_jobs=1)
    if not high_moi:
        kwargs["ntc_grna_cells"] = {g: np.array([position[c] for c in v], dtype=int) for g, v in nt.items()}
    df = pysceptre.run_discovery_analysis(
        response, genes, covariates(screen, cells), targets,
        pd.DataFrame({"response_id": [g for g, _ in pairs], "grna_target": [p for _, p in pairs]}), **kwargs)
    return {(r.grna_target, r.response_id): r.p_value for r in df.itertuples()}


def engine_scanpy(screen, members, nt, tested, high_moi, method, one_call=True):
    """scanpy `rank_genes_groups` of each perturbation against its controls. At low MOI every
    perturbation shares the NT reference, so `one_call` runs them as labs do, in one call with
    every perturbation a group and `reference="control"` (scanpy tests each group against the
    reference alone, so the p-values are those of one call per perturbation; the check is in
    test_engine_validation.py). At high MOI each perturbation has its own complement: one call each."""
    import anndata
    import scanpy as sc
    genes = sorted({g for target, nulls, extra in tested.values() for g in [target] + nulls + extra})
    columns = [screen.index[g] for g in genes]
    # log1p of counts per 10k over every measured gene, then only the tested genes.
    norm = sp.diags(1e4 / np.maximum(screen.library, 1)) @ screen.counts
    values = norm[:, columns].log1p() if hasattr(norm, "log1p") else norm[:, columns]
    values = sp.csr_matrix(values)
    out = {}
    kwargs = dict(method=method, tie_correct=True) if method == "wilcoxon" else dict(method=method)

    def test(cell_groups, reference):
        """cell_groups: name → cells (disjoint); reference: cells. → name → gene → p-value."""
        names = list(cell_groups)
        cells = np.concatenate([cell_groups[n] for n in names] + [reference])
        labels = [n for n in names for _ in range(len(cell_groups[n]))] + ["control"] * len(reference)
        a = anndata.AnnData(X=values[cells], var=pd.DataFrame(index=genes))
        a.obs["group"] = pd.Categorical(labels)
        a.uns["log1p"] = {"base": None}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sc.tl.rank_genes_groups(a, "group", groups=names, reference="control", n_genes=len(genes), **kwargs)
        r = a.uns["rank_genes_groups"]
        return {n: dict(zip([x[n] for x in r["names"]], [float(x[n]) for x in r["pvals"]])) for n in names}

    testable = [p for p in tested if len(members[p]) >= 2]
    if high_moi or not one_call:
        every = np.flatnonzero(screen.library > 0)
        nt_cells = None if high_moi else np.concatenate([np.array(v, dtype=int) for v in nt.values()])
        pvs = {}
        for p in testable:
            ref = np.setdiff1d(every, members[p]) if high_moi else nt_cells
            pvs.update(test({p: members[p]}, ref))
    else:
        nt_cells = np.concatenate([np.array(v, dtype=int) for v in nt.values()])
        pvs = test({p: members[p] for p in testable}, nt_cells)
    for p in testable:
        target, nulls, extra = tested[p]
        for g in [target] + nulls + extra:
            out[(p, g)] = pvs[p].get(g, 1.0)
    return out


def engine_deseq2(screen, members, nt, tested, high_moi):
    from pydeseq2.dds import DeseqDataSet
    from pydeseq2.ds import DeseqStats
    from pydeseq2.default_inference import DefaultInference
    inference = DefaultInference(n_cpus=1)
    out = {}

    def pseudobulk(groups):
        rows, meta = [], []
        for name, cells in groups.items():
            for lane in sorted(set(screen.lane[cells])):
                sel = cells[screen.lane[cells] == lane]
                rows.append(np.asarray(screen.counts[sel].sum(axis=0)).ravel())
                meta.append((name, "L" + lane))
        counts = pd.DataFrame(np.array(rows, dtype=int), columns=screen.genes,
                              index=["s%d" % i for i in range(len(rows))])
        md = pd.DataFrame(meta, columns=["group", "lane"], index=counts.index)
        keep = counts.columns[counts.sum(axis=0) > 0]
        return counts[keep], md

    def fit(groups):
        counts, md = pseudobulk(groups)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dds = DeseqDataSet(counts=counts, metadata=md, design="~lane + group", refit_cooks=False,
                               inference=inference, quiet=True)
            dds.deseq2()
        return dds

    def contrast(dds, p):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stats = DeseqStats(dds, contrast=["group", p, "control"], cooks_filter=False, independent_filter=False,
                               inference=inference, quiet=True)
            stats.summary()
        return stats.results_df["pvalue"]

    if not high_moi:
        groups = {p: c for p, c in members.items() if len(c) > 0}
        groups["control"] = np.concatenate([np.array(v, dtype=int) for v in nt.values()])
        dds = fit(groups)
        for p, (target, nulls, extra) in tested.items():
            if p not in groups:
                continue
            pv = contrast(dds, p)
            for g in [target] + nulls + extra:
                out[(p, g)] = float(pv.get(g, 1.0)) if np.isfinite(pv.get(g, np.nan)) else 1.0
        return out
    every = np.flatnonzero(screen.library > 0)
    for p, (target, nulls, extra) in tested.items():
        if len(members[p]) == 0:
            continue
        dds = fit({p: members[p], "control": np.setdiff1d(every, members[p])})
        pv = contrast(dds, p)
        for g in [target] + nulls + extra:
            out[(p, g)] = float(pv.get(g, 1.0)) if np.isfinite(pv.get(g, np.nan)) else 1.0
    return out


def run_engine(engine, screen, high_moi, seed, downstream=None, one_call=True):
    """The engine's p-values: targets (perturbation → p), truth-null genes (list) and, with
    `downstream` (perturbation → genes the analysis predicts a power for), (perturbation, gene) → p."""
    members, nt = screen.groups(high_moi)
    reference = np.flatnonzero(screen.library > 0) if high_moi else np.concatenate([np.array(v) for v in nt.values()])
    tested = screen.tested_genes(np.random.default_rng(seed), reference, downstream)
    if engine == "pysceptre":
        pv = engine_pysceptre(screen, members, nt, tested, high_moi, seed)
    elif engine in ("wilcoxon", "t-test"):
        pv = engine_scanpy(screen, members, nt, tested, high_moi, engine, one_call)
    else:
        pv = engine_deseq2(screen, members, nt, tested, high_moi)
    targets = {p: pv[(p, t)] for p, (t, _, _) in tested.items() if (p, t) in pv}
    nulls = [pv[(p, g)] for p, (_, ns, _) in tested.items() for g in ns if (p, g) in pv]
    extra = {(p, g): pv[(p, g)] for p, (_, _, xs) in tested.items() for g in xs if (p, g) in pv}
    return targets, nulls, extra


def calibration(records):
    """records: (predicted, rejected). Bins of width 0.1 → list of dicts; mean |gap| and its se."""
    bins = []
    pred = np.array([r[0] for r in records]); rej = np.array([r[1] for r in records], dtype=float)
    for b in range(10):
        lo, hi = b / 10, (b + 1) / 10
        sel = (pred >= lo) & ((pred < hi) | ((b == 9) & (pred <= 1)))
        if not sel.any():
            continue
        e = rej[sel].mean()
        bins.append(dict(low=lo, high=hi, n=int(sel.sum()), predicted=float(pred[sel].mean()), empirical=float(e),
                         se=float(np.sqrt(max(e * (1 - e), 1e-4) / sel.sum()))))
    n = sum(b["n"] for b in bins)
    gap = sum(b["n"] * abs(b["predicted"] - b["empirical"]) for b in bins) / max(1, n)
    se = np.sqrt(sum((b["n"] / n) ** 2 * b["se"] ** 2 for b in bins)) if n else float("nan")
    return bins, gap, se


def summary(regime, engine, details, nulls, seconds, targets, cells, keep_records=False, kind="targets"):
    """One row of the table from an engine's tests: `details` (perturbation, seed, predicted
    power, p-value of its target; kind "downstream": of one of its affected genes, `gene`) and the
    p-values of the truth-null genes."""
    records = [(d["predicted"], bool(d["p_value"] < ALPHA)) for d in details]
    bins, gap, se = calibration(records)
    ks = st.kstest(nulls, "uniform").pvalue if len(nulls) > 10 else float("nan")
    pred = np.array([r[0] for r in records]); rej = np.array([r[1] for r in records], dtype=float)
    return dict(regime=regime, engine=engine, test=ENGINE_TEST[engine], kind=kind, bins=bins, gap=gap, gap_se=se,
                tests=len(records), null_tests=len(nulls), ks_p=float(ks),
                null_rate=float(np.mean(np.array(nulls) < ALPHA)) if nulls else float("nan"),
                mean_predicted=float(pred.mean()) if records else float("nan"),
                mean_empirical=float(rej.mean()) if records else float("nan"),
                signed_gap=float((rej - pred).mean()) if records else float("nan"),
                largest_bin_se=max((b["se"] for b in bins), default=float("nan")),
                seconds=seconds, targets=targets, cells=cells, details=[dict(d) for d in details],
                null_p=[float(x) for x in nulls], **({"records": records} if keep_records else {}))


def repredict(results, log=print):
    """The same engines' p-values (--json files of earlier runs) against another build's predicted
    power: the simulations and engines do not depend on the power model, so a change of the model
    is re-measured in seconds (SCREENPLAN_ANALYZE_BIN, or SCREENPLAN_BIN). Rows of the same
    regime, engine, kind and design (runs over disjoint seeds) are pooled into one."""
    pooled = {}
    for r in results:
        key = (r["regime"], r["engine"], r.get("kind", "targets"), r["targets"], r["cells"])
        if key in pooled:
            seen = {(d["seed"], d["perturbation"], d.get("gene")) for d in pooled[key]["details"]}
            if any((d["seed"], d["perturbation"], d.get("gene")) in seen for d in r["details"]):
                sys.exit("%s %s: the same seed in two runs" % key[:2])
            pooled[key]["details"] += r["details"]
            pooled[key]["null_p"] += r["null_p"]
            pooled[key]["seconds"] += r["seconds"]
        else:
            pooled[key] = dict(r, details=list(r["details"]), null_p=list(r["null_p"]))
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        cache = {}
        for (regime, engine, kind, targets, cells), r in pooled.items():
            key = (regime, r["test"], targets, cells)
            if key not in cache:
                cache[key] = predicted_power(folder, regime, r["test"], targets, cells, downstream=True)
            predicted, genes = cache[key]
            if kind == "downstream":
                details = [dict(d, predicted=genes[(d["perturbation"], d["gene"])]) for d in r["details"]
                           if (d["perturbation"], d["gene"]) in genes]
            else:
                details = [dict(d, predicted=predicted[d["perturbation"]]) for d in r["details"]
                           if d["perturbation"] in predicted]
            if len(details) < len(r["details"]):
                log("%s %s %s: %d tests without a prediction now" % (regime, engine, kind,
                                                                       len(r["details"]) - len(details)))
            out.append(summary(regime, engine, details, r["null_p"], r["seconds"], targets, cells, kind=kind))
            log("%s %s %s re-predicted" % (regime, engine, kind))
    return out


def validate(regimes, engines, seeds, targets=40, cells=25, log=print, keep_records=False, downstream=False,
             first_seed=1, one_call=True, keep=None):
    """Simulate every regime × seed once, run the engines, compare with the predicted power.
    Seeds first_seed … first_seed + seeds − 1 (runs over disjoint seeds pool with --repredict).
    With `downstream` each engine also tests every affected gene the analysis predicts a power for,
    and each engine gets a second row (`kind` "downstream") with those tests.
    `keep`: a folder that keeps the designs and simulated screens (for per-target diagnosis)."""
    sim_bin = binary()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for regime in regimes:
            high_moi = REGIMES[regime]["moi"] > 1
            predicted, genes = {}, {}
            for e in engines:
                got = predicted_power(folder, regime, ENGINE_TEST[e], targets, cells, downstream)
                predicted[e], genes[e] = got if downstream else (got, {})
            nulls = {e: [] for e in engines}
            details = {e: [] for e in engines}
            extra = {e: [] for e in engines}
            seconds = {e: 0.0 for e in engines}
            design = folder / ("%s.yaml" % regime)
            design.write_text(design_text(regime, "glm", targets, cells))
            for seed in range(first_seed, first_seed + seeds):
                out = folder / ("%s-%d" % (regime, seed))
                start = time.time()
                run(sim_bin, "simulate", design, "--out", out, "--seed", seed)
                simulated = time.time()
                screen = Screen(out)
                log("%s seed %d: simulate %.1f s, read %.1f s" % (regime, seed, simulated - start, time.time() - simulated))
                for e in engines:
                    start = time.time()
                    wanted = {}
                    for p, g in genes[e]:
                        wanted.setdefault(p, []).append(g)
                    t, n, x = run_engine(e, screen, high_moi, seed, wanted if downstream else None, one_call)
                    seconds[e] += time.time() - start
                    for p, pv in t.items():
                        if p in predicted[e]:
                            details[e].append(dict(perturbation=p, seed=seed, predicted=predicted[e][p],
                                                   p_value=float(pv)))
                    for (p, g), pv in x.items():
                        extra[e].append(dict(perturbation=p, gene=g, seed=seed, predicted=genes[e][(p, g)],
                                             p_value=float(pv)))
                    nulls[e] += [float(v) for v in n]
                    log("%s seed %d %s: %.1f s" % (regime, seed, e, time.time() - start))
                shutil.rmtree(out, ignore_errors=True)
            for e in engines:
                results.append(summary(regime, e, details[e], nulls[e], seconds[e], targets, cells, keep_records))
                if downstream:
                    results.append(summary(regime, e, extra[e], nulls[e], seconds[e], targets, cells, keep_records,
                                           kind="downstream"))
    return results


def markdown(results):
    lines = ["| regime | engine (screenplan test) | genes | tests | mean predicted | rejection rate | mean abs. gap per bin (± se) "
             "| bins: predicted → rejected (n) | null rejection at α (tests) | KS p (nulls) | engine s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        bins = "; ".join("%.2f→%.2f (%d)" % (b["predicted"], b["empirical"], b["n"]) for b in r["bins"])
        lines.append("| %s | %s (%s) | %s | %d | %.3f | %.3f | %.3f ± %.3f (largest bin se %.3f) | %s | %.4f (%d) | %.3g | %.0f |" % (
            r["regime"], r["engine"], r["test"], r.get("kind", "targets"), r["tests"], r["mean_predicted"], r["mean_empirical"], r["gap"],
            r["gap_se"], r["largest_bin_se"], bins, r["null_rate"], r["null_tests"], r["ks_p"], r["seconds"]))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--regimes", default=",".join(REGIMES))
    ap.add_argument("--engines", default=",".join(ENGINE_TEST))
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--targets", type=int, default=40)
    ap.add_argument("--cells", type=int, default=25)
    ap.add_argument("--first-seed", type=int, default=1, help="seeds FIRST … FIRST + N − 1")
    ap.add_argument("--downstream", action="store_true",
                    help="also test every affected gene beyond the target the analysis predicts a power for "
                         "(analyze --downstream), reported as rows of kind 'downstream'")
    ap.add_argument("--per-group", action="store_true",
                    help="scanpy at low MOI: one rank_genes_groups call per perturbation, not one for all")
    ap.add_argument("--keep", metavar="DIR", help="keep the designs and simulated screens in DIR")
    ap.add_argument("--out", help="also write the markdown table here")
    ap.add_argument("--json", help="also write every test (perturbation, seed, predicted power, p-value) here "
                                   "(gzip-compressed when FILE ends in .gz)")
    ap.add_argument("--repredict", metavar="FILE.json", action="append",
                    help="no simulation: re-join the engines' p-values of earlier --json runs with this build's "
                         "predicted power (repeatable; the files' rows are concatenated)")
    args = ap.parse_args()
    start = time.time()
    log = lambda m: print(m, file=sys.stderr, flush=True)
    if args.repredict:
        earlier = [r for f in args.repredict
                   for r in json.loads(gzip.open(f, "rt").read() if f.endswith(".gz") else pathlib.Path(f).read_text())]
        for r in earlier:
            r.setdefault("targets", args.targets)
            r.setdefault("cells", args.cells)
        results = repredict(earlier, log=log)
        args.regimes = ",".join(dict.fromkeys(r["regime"] for r in results))
        args.engines = ",".join(dict.fromkeys(r["engine"] for r in results))
    else:
        results = validate(args.regimes.split(","), args.engines.split(","), args.seeds, args.targets, args.cells,
                           log=log, downstream=args.downstream, first_seed=args.first_seed,
                           one_call=not args.per_group, keep=args.keep)
    table = markdown(results)
    run_args = ("".join(" --repredict " + f for f in args.repredict) if args.repredict else
                "--seeds %d --first-seed %d --targets %d --regimes %s --engines %s%s" % (
                    args.seeds, args.first_seed, args.targets, args.regimes, args.engines,
                    " --downstream" if args.downstream else ""))
    header = ("`Tests/python/engine_validation.py %s` (simulate: %s; analyze: %s), α = %g per test, %.0f s\n\n" % (
        run_args.strip(), binary(), binary("SCREENPLAN_ANALYZE_BIN"), ALPHA, time.time() - start))
    print(header + table)
    if args.out:
        pathlib.Path(args.out).write_text(header + table + "\n")
    if args.json:
        text = json.dumps(results, default=lambda o: o.item() if hasattr(o, "item") else str(o))
        if args.json.endswith(".gz"):
            with gzip.open(args.json, "wt") as f:
                f.write(text)
        else:
            pathlib.Path(args.json).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
