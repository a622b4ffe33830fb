"""`screenplan simulate` read by Seurat's Read10X (R, from Debian's r-cran-seurat, which `make test`
installs): Tests/R/read10x_seurat.R checks shapes, barcodes, symbols, library sizes and metadata
against cells.tsv and run.json, and stops on the first mismatch."""
import json
import pathlib
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "Tests" / "R" / "read10x_seurat.R"

DESIGN = """\
name: seurat reader check
system:
  genes: 80
  network: {seed: 5, regulators: 12}
perturbations: {targets: 6, moi: 0.3}
sampling:
  cells_per_perturbation: 50
  control_cells: 40
  time_points_h: [96, 120]
measurement: {measured_genes: 120}
batching: {batches: 4}
"""


def test_seurat_read10x_reads_the_simulated_screen(screenplan, tmp_path):
    rscript = shutil.which("Rscript")
    assert rscript, "Rscript not found: `make deps` installs r-cran-seurat"
    design = tmp_path / "seurat.yaml"
    design.write_text(DESIGN)
    out = tmp_path / "out"
    screenplan("simulate", design, "--out", out, "--seed", 11)
    result = subprocess.run([rscript, str(SCRIPT), str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    info = json.loads((out / "run.json").read_text())
    assert summary["cells"] == info["total_cells"] > 0
    assert summary["genes"] == 120
    assert summary["entries"] == info["entries"]
    assert summary["perturbations"] == 7  # six targets and the controls
