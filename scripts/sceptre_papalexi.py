#!/usr/bin/env python3
"""What SCEPTRE (pysceptre) detects in the real Papalexi 2021 THP-1 screen: the on-target test of
each measured target (gene vs its own gRNAs), as sceptre's low-MOI analysis runs it.

An independent client of the data (Python is never part of screenplan): sceptre's `maximum`
assignment (umi_fraction_threshold 0.8, >= 5 gRNA UMIs; flagged cells dropped as its QC does),
NT cells as controls, sceptre's default covariates (log response UMIs, log response nonzero genes,
log gRNA UMIs, log gRNA nonzero, replicate), skew-normal resampling, two-sided. A target counts as
detected when its BH-adjusted p-value over the tested targets is below 0.05 (screenplan's
analysis level and correction).

Usage: /work/venv/bin/python scripts/sceptre_papalexi.py [DATA_DIR] [--tsv OUT]
"""
import argparse
import os
import sys

import numpy as np
import pandas as pd
import scipy.io as sio
from scipy import sparse

import pysceptre


def bh(p):
    p = np.asarray(p, dtype=float)
    n = len(p)
    order = np.argsort(p)
    adj = np.empty(n)
    running = 1.0
    for rank, i in reversed(list(enumerate(order, start=1))):
        running = min(running, p[i] * n / rank)
        adj[i] = running
    return adj


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="?", default=os.path.join(here, "..", "..", "shared", "data", "papalexi-thp1-lowmoi"))
    ap.add_argument("--tsv", help="write the table here")
    ap.add_argument("--seed", type=int, default=4)
    a = ap.parse_args()
    d = a.data
    genes = open(os.path.join(d, "genes.txt")).read().split()
    grnas = open(os.path.join(d, "grnas.txt")).read().split()
    targets = pd.read_csv(os.path.join(d, "grna_targets.tsv"), sep="\t").set_index("grna_id")["grna_target"]
    cells = pd.read_csv(os.path.join(d, "cells.tsv.gz"), sep="\t")
    X = sparse.csr_matrix(sio.mmread(os.path.join(d, "gene_counts.mtx.gz")))
    G = sparse.csr_matrix(sio.mmread(os.path.join(d, "grna_counts.mtx.gz")))

    res = pysceptre.assign_grnas_maximum(G, grnas, umi_fraction_threshold=0.8, min_grna_n_umis_threshold=5)
    keep = np.setdiff1d(np.arange(X.shape[1]), res.cells_w_zero_or_twoplus_grnas)
    top = res.max_grna[keep]
    Xk = X[:, keep].tocsr()
    Gk = G[:, keep]
    # sceptre's default covariates.
    n_umis = np.asarray(Xk.sum(0)).ravel()
    n_nonzero = np.asarray((Xk > 0).sum(0)).ravel()
    g_umis = np.asarray(Gk.sum(0)).ravel()
    g_nonzero = np.asarray((Gk > 0).sum(0)).ravel()
    rep = pd.get_dummies(cells["bio_rep"].values[keep], drop_first=True).values.astype(float)
    cov = np.column_stack([np.ones(len(keep)), np.log(n_umis), np.log(n_nonzero), np.log(g_umis), np.log(g_nonzero), rep])

    target_of = np.array([targets[g] for g in grnas])
    cell_target = target_of[top]
    measured = [t for t in dict.fromkeys(target_of) if t in genes]
    target_cells = {t: np.flatnonzero(cell_target == t) for t in measured}
    nt = {g: np.flatnonzero(top == i) for i, g in enumerate(grnas) if targets[g] == "non-targeting"}
    pairs = pd.DataFrame({"response_id": measured, "grna_target": measured})
    out = pysceptre.run_power_check(Xk, genes, cov, target_cells, positive_control_pairs=pairs, moi="low",
                                    control_group="nt_cells", ntc_grna_cells=nt, seed=a.seed)
    out = out.set_index("grna_target").loc[measured].reset_index()
    out["cells"] = [len(target_cells[t]) for t in measured]
    ok = out["p_value"].notna()
    out["p_bh"] = np.nan
    out.loc[ok, "p_bh"] = bh(out.loc[ok, "p_value"])
    out["detected"] = out["p_bh"] < 0.05
    cols = ["grna_target", "cells", "log_2_fold_change", "p_value", "p_bh", "detected"]
    cols = [c for c in cols if c in out.columns]
    table = out[cols]
    print(f"pysceptre {pysceptre.__version__}: {len(keep)} of {X.shape[1]} cells kept by the maximum assignment, "
          f"{sum(len(v) for v in nt.values())} NT cells", file=sys.stderr)
    print(table.to_csv(sep="\t", index=False, float_format="%.4g"), end="")
    if a.tsv:
        table.to_csv(a.tsv, sep="\t", index=False, float_format="%.4g")


if __name__ == "__main__":
    main()
