"""`screenplan simulate` in both formats, read independently: the .h5ad with anndata and scanpy,
the 10x output with scanpy.read_10x_mtx, and both checked against each other and against
cells.tsv (shapes, sparsity, metadata, counts)."""
import gzip
import json

import anndata
import h5py
import numpy as np
import pandas as pd
import pytest
import scanpy as sc
import scipy.sparse as sp

DESIGN = """\
name: small simulated screen
system:
  genes: 120
  network: {seed: 3, regulators: 30}
perturbations:
  targets: 6
  moi: 0.3
sampling:
  cells_per_perturbation: 40
  time_points_h: [96, 120]
measurement:
  measured_genes: 200
batching:
  batches: 4
"""


@pytest.fixture(scope="module")
def runs(screenplan, tmp_path_factory):
    folder = tmp_path_factory.mktemp("simulate")
    design = folder / "small.yaml"
    design.write_text(DESIGN)
    screenplan("simulate", design, "--out", folder / "mtx", "--seed", 7, "--threads", 2)
    screenplan("simulate", design, "--out", folder / "h5", "--seed", 7, "--threads", 2, "--format", "h5ad")
    return folder


def test_h5ad_matches_the_10x_output_and_cells_tsv(runs):
    adata = anndata.read_h5ad(runs / "h5" / "simulation.h5ad")
    tenx = sc.read_10x_mtx(runs / "mtx", var_names="gene_symbols", cache=False)
    cells = pd.read_csv(runs / "mtx" / "cells.tsv", sep="\t", keep_default_na=False)

    # Shapes and sparsity: cells × genes, CSR, the same stored values as the 10x matrix.
    assert adata.shape == tenx.shape == (len(cells), 200)
    assert sp.issparse(adata.X) and adata.X.format == "csr"
    assert adata.X.nnz == sp.csr_matrix(tenx.X).nnz
    assert 0 < adata.X.nnz < adata.shape[0] * adata.shape[1]
    assert (adata.X != sp.csr_matrix(tenx.X)).nnz == 0
    assert list(adata.obs_names) == list(tenx.obs_names) == list(cells["cell"])
    assert list(adata.var_names) == list(tenx.var_names)

    # Metadata: obs against cells.tsv, column by column.
    obs = adata.obs
    for column in ("perturbation", "observed_perturbation", "medium", "state", "batch"):
        assert obs[column].dtype.name == "category", column
    assert list(obs["perturbation"].astype(str)) == list(cells["perturbation"])
    assert list(obs["observed_perturbation"].astype(str)) == list(cells["observed_perturbation"])
    assert list(obs["batch"].astype(str)) == ["lane %d" % b for b in cells["batch"]]
    assert list(obs["state"].astype(str)) == list(cells["state"])
    assert list(obs["guides"]) == list(cells["guides"])
    assert list(obs["detected_guides"]) == list(cells["detected_guides"])
    assert np.array_equal(obs["doublet"].to_numpy(), cells["doublet"].to_numpy() == 1)
    assert np.allclose(obs["time_h"], cells["time_h"]) and set(cells["time_h"]) == {96, 120}
    assert np.allclose(obs["age_h"], cells["age_h"])
    assert "animal" not in obs.columns  # in vitro: no animals
    assert np.allclose(obs["library_size"], cells["library_size"])
    # Categories keep the design's order: controls first, then every perturbation.
    assert list(obs["perturbation"].cat.categories) == ["control"] + ["G%04d" % i for i in range(1, 7)]

    # Counts: each cell's UMIs add up to its library size in cells.tsv, and a few entries by hand.
    totals = np.asarray(adata.X.sum(axis=1)).ravel()
    assert np.array_equal(totals, cells["library_size"].to_numpy())
    with gzip.open(runs / "mtx" / "matrix.mtx.gz", "rt") as f:
        lines = [l for l in f if not l.startswith("%")]
    entries = [tuple(map(int, l.split())) for l in lines[1:]]
    for gene, cell, count in entries[:: max(1, len(entries) // 25)]:
        assert adata.X[cell - 1, gene - 1] == count

    # var: is_regulator is a boolean column true only for network regulators (modelled genes).
    assert adata.var["is_regulator"].dtype == np.bool_
    regulators = adata.var["is_regulator"].to_numpy()
    assert 0 < regulators.sum() <= 30 and not regulators[120:].any()

    # uns: the design and the seed; scanpy works on the object as it is.
    assert int(adata.uns["seed"]) == 7
    assert "\nname: small simulated screen\n" in adata.uns["design"]
    assert adata.uns["shard"] == "1/1"
    sc.pp.calculate_qc_metrics(adata, percent_top=None, inplace=True)
    assert np.array_equal(adata.obs["total_counts"].to_numpy(), cells["library_size"].to_numpy())
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)

    # Both runs share the truth table; run.json names the format.
    assert (runs / "h5" / "truth.tsv").read_bytes() == (runs / "mtx" / "truth.tsv").read_bytes()
    assert json.loads((runs / "h5" / "run.json").read_text())["format"] == "h5ad"


def test_h5ad_is_written_for_streaming(runs):
    # Every per-cell dataset is chunked and unlimited: rows are appended block by block.
    with h5py.File(runs / "h5" / "simulation.h5ad", "r") as f:
        assert f.attrs["encoding-type"] == "anndata" and f.attrs["encoding-version"] == "0.1.0"
        assert f["X"].attrs["encoding-type"] == "csr_matrix"
        assert list(f["X"].attrs["shape"]) == [f["obs/_index"].shape[0], 200]
        for name in ("X/data", "X/indices", "X/indptr", "obs/_index", "obs/perturbation/codes", "obs/time_h"):
            assert f[name].chunks is not None and f[name].maxshape == (None,), name


def test_h5ad_with_states_is_refused(screenplan, runs):
    result = screenplan("simulate", runs / "small.yaml", "--out", runs / "states", "--format", "h5ad", "--states",
                        check=False)
    assert result.returncode == 2 and "--states" in result.stderr
    result = screenplan("simulate", runs / "small.yaml", "--out", runs / "x", "--format", "loom", check=False)
    assert result.returncode == 2 and "mtx, h5ad" in result.stderr
