"""Cell types read independently: the simulator's `cell_type` labels agree between cells.tsv and
the h5ad obs, follow the design's fractions, and a type's own profile shows in its counts —
measured back by `screenplan calibrate --cell-type-column cell_type`, whose per-type profile a
design can then use (docs/cell-types.md)."""
import anndata
import numpy as np
import pandas as pd
import scanpy as sc

GENES = 30


def design(profile):
    return """\
name: typed screen
system:
  genes: %d
  time_step_h: 1.0
  cell_types:
    concentration: 1000
    types:
      - {name: liver, fraction: 0.6, profile: %s}
      - {name: immune, fraction: 0.4}
perturbations: {target_genes: [G10], moi: 0.2}
protocol:
  - {medium: growth, perturb: true, duration_h: 24}
sampling: {cells_per_perturbation: 300, control_cells: 1200}
measurement: {measured_genes: %d, expression_profile: pilot.tsv, doublet_rate_per_cell: 0}
batching: {batches: 2}
""" % (GENES, profile, GENES)


def test_cell_types_round_trip_through_calibrate(screenplan, tmp_path):
    # Pilot: every gene 3 UMIs per cell; in liver G2 is 8× and G3 ¼× the pool (per-type columns).
    rows = ["gene\tmean_umis_per_cell\tdispersion_theta\tmean_umis_per_cell:liver\tdispersion_theta:liver"]
    for g in range(1, GENES + 1):
        typed = 24.0 if g == 2 else (0.75 if g == 3 else 3.0)
        rows.append("G%d\t3\t8\t%g\t8" % (g, typed))
    (tmp_path / "pilot.tsv").write_text("\n".join(rows) + "\n")
    (tmp_path / "d.yaml").write_text(design("pilot.tsv"))
    screenplan("simulate", tmp_path / "d.yaml", "--out", tmp_path / "mtx", "--seed", 3, "--threads", 2)
    screenplan("simulate", tmp_path / "d.yaml", "--out", tmp_path / "h5", "--seed", 3, "--threads", 2, "--format", "h5ad")

    cells = pd.read_csv(tmp_path / "mtx" / "cells.tsv", sep="\t", keep_default_na=False)
    adata = anndata.read_h5ad(tmp_path / "h5" / "simulation.h5ad")
    assert adata.obs["cell_type"].dtype.name == "category"
    assert list(adata.obs["cell_type"].astype(str)) == list(cells["cell_type"])
    share = (cells["cell_type"] == "liver").mean()
    assert abs(share - 0.6) < 4 * np.sqrt(0.24 / len(cells)) + 0.01, share

    # The counts, read with scanpy: liver's G2 share is 24/(24 + 0.75 + 28·3) ≈ 0.22 of its
    # UMIs against 3/90 in the pool (immune keeps the pool's), so liver/immune ≈ 6.6 per UMI.
    tenx = sc.read_10x_mtx(tmp_path / "mtx", var_names="gene_symbols", cache=False)
    x = tenx.X.toarray()
    per_umi = x / x.sum(axis=1, keepdims=True)
    liver = (cells["cell_type"] == "liver").to_numpy()
    g2, g3 = list(tenx.var_names).index("G2"), list(tenx.var_names).index("G3")
    expected_g2 = (24 / 108.75) / (3 / 90)   # liver's G2 share over the pooled (immune) one
    ratio_g2 = per_umi[liver, g2].mean() / per_umi[~liver, g2].mean()
    assert abs(ratio_g2 / expected_g2 - 1) < 0.15, ratio_g2

    # calibrate reads the labels back and writes the per-type columns a design can use.
    screenplan("calibrate", tmp_path / "mtx", "--cells", tmp_path / "mtx" / "cells.tsv",
               "--cell-type-column", "cell_type", "-o", tmp_path / "cal.yaml", "--profile", tmp_path / "cal.tsv")
    profile = pd.read_csv(tmp_path / "cal.tsv", sep="\t", comment="#")
    assert "mean_umis_per_cell:liver" in profile.columns and "mean_umis_per_cell:immune" in profile.columns
    row = profile.set_index("gene")
    measured = (row.loc["G2", "mean_umis_per_cell:liver"] / row["mean_umis_per_cell:liver"].sum()) / (
        row.loc["G2", "mean_umis_per_cell:immune"] / row["mean_umis_per_cell:immune"].sum())
    assert abs(measured / expected_g2 - 1) < 0.15, measured
    (tmp_path / "d2.yaml").write_text(design("cal.tsv"))
    assert screenplan("validate", tmp_path / "d2.yaml").returncode == 0
