#!/usr/bin/env python3
"""Predicted power per target of the calibrated THP-1 sample screen beside what SCEPTRE detects in
the real screen (the table of docs/calibrate.md).

For each measured target, `screenplan analyze --json` runs on the sample screen with that
target's own estimated knockdown (ko_transcript_retention = 2^its log2 FC from `screenplan
calibrate --json`) and its own pilot cells (cells_per_perturbation); the target's row gives the
predicted power, also with guide_effect_sd 0 (the gRNAs of a target pooled as SCEPTRE pools them). SCEPTRE's results come from scripts/sceptre_papalexi.py (--sceptre TSV, or run
here).

Usage: /work/venv/bin/python scripts/papalexi_power.py [--bin .build/release/screenplan] [--sceptre FILE]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import pandas as pd

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
data = os.path.join(root, "..", "shared", "data", "papalexi-thp1-lowmoi")
ap = argparse.ArgumentParser()
ap.add_argument("--bin", default=os.environ.get("SCREENPLAN_BIN", os.path.join(root, ".build", "debug", "screenplan")))
ap.add_argument("--sceptre", help="TSV written by sceptre_papalexi.py --tsv")
a = ap.parse_args()

with tempfile.TemporaryDirectory() as tmp:
    cal = subprocess.run([a.bin, "calibrate", f"{data}/gene_counts.mtx.gz", "--guides", f"{data}/grna_counts.mtx.gz",
                          "--guide-targets", f"{data}/grna_targets.tsv", "--cells", f"{data}/cells.tsv.gz",
                          "--batch-column", "bio_rep", "--modality", "knockout", "-o", f"{tmp}/thp1.yaml", "--json"],
                         check=True, capture_output=True, text=True)
    real = json.loads(cal.stdout)
    base = open(os.path.join(root, "sample-screens", "thp1-crisprko-papalexi.yaml")).read()
    profile = os.path.join(root, "sample-screens", "thp1-crisprko-papalexi.profile.tsv")
    base = re.sub(r"expression_profile: \S+", f"expression_profile: {profile}", base)
    rows = []
    for t in real["targets"]:
        if not t["measured"]:
            continue
        lfc = t["log2_fc"]["value"]
        text = re.sub(r"ko_transcript_retention: \S+", f"ko_transcript_retention: {min(1.0, 2 ** lfc):.4f}", base)
        text = re.sub(r"cells_per_perturbation: \S+", f"cells_per_perturbation: {t['cells']}", text)
        text = re.sub(r"max_cells_per_batch: \S+", "max_cells_per_batch: 100000", text)
        def analyze(design):
            path = f"{tmp}/{t['target']}.yaml"
            open(path, "w").write(design)
            out = json.loads(subprocess.run([a.bin, "analyze", path, "--json", "--no-solve"], check=True,
                                            capture_output=True, text=True).stdout)
            return next(p for p in out["perturbations"] if p["name"] == t["target"])
        row = analyze(text)
        # The same without guide-to-guide spread (SCEPTRE pools a target's gRNAs).
        flat = analyze(re.sub(r"guide_effect_sd: \S+", "guide_effect_sd: 0", text))
        rows.append({"target": t["target"], "pilot cells": t["cells"], "log2 FC (calibrate)": round(lfc, 3),
                     "± SE": round(t["log2_fc"]["se"], 3), "UMIs/control cell": round(row["target_umis"], 2),
                     "predicted power": round(row["power"], 3),
                     "predicted, guide sd 0": round(flat["power"], 3)})
    table = pd.DataFrame(rows)
if a.sceptre:
    s = pd.read_csv(a.sceptre, sep="\t")
else:
    s = pd.read_csv(__import__("io").StringIO(subprocess.run([sys.executable, os.path.join(here, "sceptre_papalexi.py")],
                                                          check=True, capture_output=True, text=True).stdout), sep="\t")
s = s.rename(columns={"grna_target": "target", "cells": "SCEPTRE cells", "p_bh": "SCEPTRE p (BH)", "detected": "SCEPTRE detects"})
table = table.merge(s[["target", "SCEPTRE cells", "SCEPTRE p (BH)", "SCEPTRE detects"]], on="target")
try:
    print(table.to_markdown(index=False))
except ImportError:  # pandas' markdown needs tabulate
    print(table.to_string(index=False))
