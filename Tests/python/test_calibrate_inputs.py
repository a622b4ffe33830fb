"""`screenplan calibrate` reads the same pilot from every input format: an .h5ad written by anndata
(raw counts in X as CSR, in layers/counts under a normalised X, as CSC, dense) and a Matrix Market
file transposed as scanpy writes it give the same per-gene means as the 10x-style file; a
normalised .h5ad is refused with exit code 2. anndata and scipy are independent clients here.
"""
import json

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.io as sio
from scipy import sparse


@pytest.fixture(scope="module")
def pilot(tmp_path_factory):
    d = tmp_path_factory.mktemp("pilot")
    rng = np.random.default_rng(3)
    cells, genes = 400, 30
    mu = rng.lognormal(0, 1.2, genes)
    lib = rng.lognormal(0, 0.4, cells)
    counts = rng.negative_binomial(2, 2 / (2 + np.outer(lib, mu)))  # cells × genes
    names = [f"G{i:02d}" for i in range(genes)]
    barcodes = [f"c{i}" for i in range(cells)]
    sio.mmwrite(str(d / "counts.mtx"), sparse.coo_matrix(counts.T))  # genes × cells (10x)
    (d / "genes.txt").write_text("\n".join(names) + "\n")
    sio.mmwrite(str(d / "cellsxgenes.mtx"), sparse.coo_matrix(counts))  # scanpy's orientation
    (d / "cellsxgenes.genes.txt").write_text("\n".join(names) + "\n")
    obs, var = pd.DataFrame(index=barcodes), pd.DataFrame(index=names)
    ad.AnnData(sparse.csr_matrix(counts.astype(np.float32)), obs=obs, var=var).write_h5ad(d / "csr.h5ad")
    ad.AnnData(sparse.csc_matrix(counts.astype(np.float32)), obs=obs, var=var).write_h5ad(d / "csc.h5ad")
    ad.AnnData(counts.astype(np.float64), obs=obs, var=var).write_h5ad(d / "dense.h5ad")
    norm = np.log1p(counts / counts.sum(1, keepdims=True) * 1e4)
    layered = ad.AnnData(sparse.csr_matrix(norm), obs=obs, var=var)
    layered.layers["counts"] = sparse.csr_matrix(counts)
    layered.write_h5ad(d / "layered.h5ad")
    ad.AnnData(sparse.csr_matrix(norm), obs=obs, var=var).write_h5ad(d / "normalised.h5ad")
    return d, counts


def means(screenplan, source, out):
    r = screenplan("calibrate", source, "-o", out, "--json")
    js = json.loads(r.stdout)
    return {g["gene"]: g["mean_umis"] for g in js["gene_estimates"]}, js


def test_every_format_gives_the_same_means(screenplan, pilot):
    d, counts = pilot
    expected = counts.mean(0)
    reference, js = means(screenplan, d / "counts.mtx", d / "ref.yaml")
    # scipy writes genes × cells gene by gene: cells are not contiguous, so two passes.
    assert js["cells"] == 400 and js["genes"] == 30 and not js["one_pass"]
    assert np.allclose([reference[f"G{i:02d}"] for i in range(30)], expected, rtol=1e-9)
    for source in ["cellsxgenes.mtx", "csr.h5ad", "csc.h5ad", "dense.h5ad", "layered.h5ad"]:
        got, js = means(screenplan, d / source, d / (source + ".yaml"))
        assert got == pytest.approx(reference, rel=1e-9), source
        # Cells × genes row by row, CSR and dense: each cell's entries together, one pass.
        if source in ("cellsxgenes.mtx", "csr.h5ad", "dense.h5ad", "layered.h5ad"):
            assert js["one_pass"], source
    # The design written from the .h5ad validates and names its profile.
    assert screenplan("validate", d / "csr.h5ad.yaml").returncode == 0


def test_a_normalised_h5ad_is_refused(screenplan, pilot):
    d, _ = pilot
    r = screenplan("calibrate", d / "normalised.h5ad", "-o", d / "n.yaml", check=False)
    assert r.returncode == 2
    assert "normalised" in r.stderr and "normalised.h5ad" in r.stderr
    assert not (d / "n.yaml").exists() and not (d / "n.profile.tsv").exists()


def test_dispersions_and_nb_zeros_are_recovered(screenplan, tmp_path):
    """Known NB(θ) genes under a log-normal library spread: the moment estimates (after
    shrinkage) recover θ, the library size is the simulated one, and the NB zero fraction from
    64 size-factor quantiles matches the exact average over every cell."""
    rng = np.random.default_rng(7)
    cells, genes = 6000, 200
    mu = rng.lognormal(0.5, 1.0, genes)
    theta = rng.choice([0.5, 1.0, 2.0, 5.0], genes)
    lib = rng.lognormal(0, 0.5, cells)
    lam = np.outer(lib, mu)
    counts = rng.negative_binomial(theta, theta / (theta + lam))
    sio.mmwrite(str(tmp_path / "c.mtx"), sparse.coo_matrix(sparse.csr_matrix(counts)))  # cells × genes, by cell
    (tmp_path / "c.genes.txt").write_text("\n".join(f"G{i}" for i in range(genes)) + "\n")
    js = json.loads(screenplan("calibrate", tmp_path / "c.mtx", "-o", tmp_path / "c.yaml", "--json").stdout)
    est = js["gene_estimates"]
    hi = mu > 2  # enough counts to estimate θ gene by gene
    ratio = np.log(np.array([g["theta"] for g in est])[hi] / theta[hi])
    assert abs(np.median(ratio)) < 0.15 and np.median(np.abs(ratio)) < 0.3
    # Library: the latent log sd recovers the simulated 0.5.
    assert abs(js["design_library_size_sd"] - 0.5) < 0.05
    # The 64-quantile NB zero fraction against the exact per-cell average at the same θ and mean.
    L = counts.sum(1)
    s = L / L.mean()
    for g in est[:50]:
        i = int(g["gene"][1:])
        m = counts[:, i].sum() / s.sum()
        a = 1 / g["theta"]
        exact = np.mean((1 + a * s * m) ** (-1 / a))
        assert abs(g["zero_fraction_nb"] - exact) < 0.005, g["gene"]
