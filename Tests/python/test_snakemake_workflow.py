"""workflow/Snakefile: `snakemake --cores 2` runs sharded `simulate` jobs and `merge`; the merged
directory equals the unsharded output byte for byte, run.json aside (docs/simulate.md)."""
import filecmp
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

DESIGN = """
name: snakemake workflow check
system:
  genes: 40
  network: {seed: 5, regulators: 8, mean_in_degree: 2}
  time_step_h: 1.0
perturbations: {targets: 4, moi: 0.2}
protocol:
  - {medium: growth, perturb: false, duration_h: 4}
  - {medium: growth, perturb: true, duration_h: 20}
sampling: {cells_per_perturbation: 500, control_cells: 400}
measurement: {measured_genes: 50, mrna_per_cell: 20000}
batching: {batches: 3, max_cells_per_batch: 2000}
"""


def test_snakemake_shards_and_merge_equal_the_unsharded_run(screenplan, tmp_path):
    snakemake = shutil.which("snakemake", path=os.path.dirname(sys.executable)) or shutil.which("snakemake")
    if snakemake is None:
        pytest.fail("snakemake is not installed in this environment (make python-deps)")
    design = tmp_path / "design.yaml"
    design.write_text(DESIGN)
    binary = screenplan("--version").args[0]
    whole = tmp_path / "whole"
    screenplan("simulate", design, "--seed", 7, "--out", whole)
    result = subprocess.run(
        [snakemake, "-s", str(ROOT / "workflow" / "Snakefile"), "--cores", "2", "--directory", str(tmp_path),
         "--config", f"design={design}", "shards=3", "seed=7", "threads=1", "out=merged", f"screenplan={binary}"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    # Three shards, each with its own part of the blocks.
    assert sorted(os.listdir(tmp_path / "shards")) == ["part-1", "part-2", "part-3"]
    merged = tmp_path / "merged"
    # Snakemake marks directory outputs with a hidden .snakemake_timestamp.
    names = sorted(n for n in os.listdir(whole) if n != "run.json")
    assert sorted(n for n in os.listdir(merged) if n != "run.json" and not n.startswith(".snakemake")) == names
    assert len(names) >= 5
    match, mismatch, errors = filecmp.cmpfiles(whole, merged, names, shallow=False)
    assert mismatch == [] and errors == [], (mismatch, errors)
