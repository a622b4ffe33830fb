#!/usr/bin/env python3
"""Reads `screenplan simulate` output with scanpy/anndata, independently of screenplan's own code,
and checks shapes and metadata against cells.tsv and run.json. Run by `make test`.

Usage: SCREENPLAN_BIN=.build/release/screenplan python3 Tests/python/test_read_10x.py
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import scanpy as sc
import scipy.io

DESIGN = """
name: python reader check
system:
  genes: 60
  network: {seed: 4, regulators: 10, mean_in_degree: 2}
  time_step_h: 1.0
perturbations: {targets: 5, moi: 0.2}
protocol:
  - {medium: growth, perturb: false, duration_h: 6}
  - {medium: growth, perturb: true, duration_h: 30}
sampling: {cells_per_perturbation: 80, control_cells: 60}
measurement: {measured_genes: 90, mrna_per_cell: 30000, doublet_rate_per_cell: 1e-4}
batching: {batches: 3}
"""


def run(binary, *args):
    result = subprocess.run([binary, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"screenplan {' '.join(args)} failed ({result.returncode}): {result.stderr}")


def check(out):
    adata = sc.read_10x_mtx(out, var_names="gene_symbols", cache=False)
    cells = pd.read_csv(os.path.join(out, "cells.tsv"), sep="\t", keep_default_na=False)
    info = json.load(open(os.path.join(out, "run.json")))
    assert adata.n_obs == len(cells) == info["total_cells"], (adata.n_obs, len(cells), info["total_cells"])
    assert adata.n_vars == info["genes"] == 90, adata.n_vars
    assert list(adata.obs_names) == list(cells["cell"]), "barcodes differ from cells.tsv"
    assert adata.obs_names.is_unique
    assert list(adata.var_names[:3]) == ["G0001", "G0002", "G0003"], list(adata.var_names[:3])
    assert list(adata.var_names[-2:]) == ["BG00029", "BG00030"], list(adata.var_names[-2:])
    counts = np.asarray(adata.X.sum(axis=1)).ravel()
    assert np.array_equal(counts.astype(int), cells["library_size"].to_numpy()), "library sizes differ"
    assert int(adata.X.nnz) == info["entries"]
    # Metadata: 5 perturbations × 80 cells and 60 controls in each of 3 batches.
    per = cells.groupby("perturbation").size()
    assert per["control"] == 180 and all(per[f"G000{i}"] == 80 for i in range(1, 6)), per.to_dict()
    assert sorted(cells["batch"].unique()) == [1, 2, 3]
    assert set(cells["state"]) == {"baseline"}
    assert (cells["time_h"] == 36).all()
    assert cells["doublet"].isin([0, 1]).all()
    assert all(cell.endswith(f"-{b}") for cell, b in zip(cells["cell"], cells["batch"]))
    # Perturbed cells carry their guides; controls carry non-targeting guides.
    assert all(g.startswith(p + "_g") for g, p, d in zip(cells["guides"], cells["perturbation"], cells["doublet"])
               if p != "control" and d == 0)
    truth = pd.read_csv(os.path.join(out, "truth.tsv"), sep="\t")
    assert set(truth["perturbation"]) == {f"G000{i}" for i in range(1, 6)}
    return adata


def main():
    binary = os.environ.get("SCREENPLAN_BIN", ".build/release/screenplan")
    with tempfile.TemporaryDirectory() as tmp:
        design = os.path.join(tmp, "design.yaml")
        open(design, "w").write(DESIGN)
        full = os.path.join(tmp, "full")
        run(binary, "simulate", design, "--out", full, "--seed", "9", "--states")
        adata = check(full)
        states = scipy.io.mmread(os.path.join(full, "states.mtx.gz"))
        assert states.shape == (60, adata.n_obs), states.shape
        # Shards merged read the same.
        parts = []
        for i in (1, 2, 3):
            part = os.path.join(tmp, f"part{i}")
            run(binary, "simulate", design, "--out", part, "--seed", "9", "--shard", f"{i}/3")
            parts.append(part)
        merged = os.path.join(tmp, "merged")
        run(binary, "merge", *parts, "--out", merged)
        again = check(merged)
        assert (adata.X != again.X).nnz == 0
        with gzip.open(os.path.join(full, "matrix.mtx.gz")) as f:
            assert f.readline().startswith(b"%%MatrixMarket matrix coordinate integer general")
    print("python reader test: ok (scanpy.read_10x_mtx reads simulate and merge output)")


if __name__ == "__main__":
    main()
