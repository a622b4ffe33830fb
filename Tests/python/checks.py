#!/usr/bin/env python3
"""Independent checks of screenplan's output files, used by the Swift tests and by pytest.

    checks.py json SCHEMA FILE...          validate report JSON against docs/report-schema.json
    checks.py html FILE.html OUT.png       render in headless Chromium: no console errors, no
                                           network, screenshot not blank; prints the PNG path
    checks.py h5ad FILE.h5ad EXPECT.json   read with anndata (and scanpy) and compare with the
                                           expectations written by the test

Exit status 0 when every check passes; otherwise the failures are printed and the status is 1.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET


class CheckFailure(AssertionError):
    """A check failed (an AssertionError, so pytest reports it as a failed assertion)."""


def fail(message):
    raise CheckFailure(message)


# MARK: - JSON report

def check_json(schema_path, paths):
    import jsonschema
    with open(schema_path) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in paths:
        with open(path) as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        if errors:
            fail("%s: %d schema errors, first: %s at %s" % (path, len(errors), errors[0].message,
                                                            "/".join(map(str, errors[0].path))))
        order = doc["order"]
        model = sum(l["cost"] for l in order["lines"] if l["in_model_total"] and l["cost"] is not None)
        purchase = sum(l["cost"] for l in order["lines"] if l["in_purchase_total"] and l["cost"] is not None)
        if abs(model - order["model_total"]) > 1e-6 * max(1, model):
            fail("%s: model_total %s != sum of lines %s" % (path, order["model_total"], model))
        if abs(purchase - order["purchase_total"]) > 1e-6 * max(1, purchase):
            fail("%s: purchase_total %s != sum of lines %s" % (path, order["purchase_total"], purchase))
        print("ok %s" % path)


# MARK: - HTML report in headless Chromium

def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    fail("no chromium binary found (Debian package `chromium`; `make deps` installs it)")


def check_html(path, png):
    with open(path, encoding="utf-8") as f:
        html = f.read()
    if re.search(r"<script", html, re.I):
        fail("%s: contains a script" % path)
    # The only URL allowed is the SVG namespace, which is an identifier, not a fetch.
    urls = set(re.findall(r"(?:https?:)?//[A-Za-z0-9.-]+\.[a-z]{2,}[^\s\"'<>)]*", html))
    urls -= {"http://www.w3.org/2000/svg"}
    if urls:
        fail("%s: refers to external URLs: %s" % (path, sorted(urls)[:5]))
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    if not svgs:
        fail("%s: no inline SVG plot" % path)
    for svg in svgs:
        ET.fromstring(svg)  # every plot is well-formed XML

    profile = tempfile.mkdtemp(prefix="screenplan-chromium-")
    try:
        cmd = [chromium_binary(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-extensions", "--hide-scrollbars", "--user-data-dir=" + profile,
               "--enable-logging=stderr", "--v=0", "--window-size=1100,2200",
               "--screenshot=" + os.path.abspath(png), "file://" + os.path.abspath(path)]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    console = [l for l in run.stderr.splitlines() if "CONSOLE" in l or "Refused to" in l
               or "Content Security Policy" in l or "Uncaught" in l]
    if console:
        fail("%s: console messages:\n  %s" % (path, "\n  ".join(console)))
    if run.returncode != 0 or not os.path.exists(png):
        fail("%s: chromium failed (status %d):\n%s" % (path, run.returncode, run.stderr[-2000:]))
    from PIL import Image, ImageStat
    image = Image.open(png).convert("L")
    stat = ImageStat.Stat(image)
    variance = stat.var[0]
    dark = sum(image.histogram()[:128]) / float(image.width * image.height)
    if variance < 100 or dark < 0.005:
        fail("%s: screenshot looks blank (variance %.1f, dark fraction %.4f)" % (png, variance, dark))
    print("ok %s -> %s (%dx%d, variance %.1f, dark %.3f)" % (path, png, image.width, image.height, variance, dark))


# MARK: - AnnData (.h5ad)

def check_h5ad(path, expect_path):
    import anndata
    import numpy as np
    import scipy.sparse as sp
    with open(expect_path) as f:
        expect = json.load(f)
    adata = anndata.read_h5ad(path)
    n_obs, n_vars = expect["shape"]
    if adata.shape != (n_obs, n_vars):
        fail("shape %s, expected %s" % (adata.shape, (n_obs, n_vars)))
    if not sp.issparse(adata.X) or adata.X.format != "csr":
        fail("X is %s, expected a CSR sparse matrix" % type(adata.X))
    if adata.X.nnz != expect["nnz"]:
        fail("X has %d stored values, expected %d" % (adata.X.nnz, expect["nnz"]))
    if list(adata.obs_names[:3]) != expect["obs_names_head"]:
        fail("obs names %s, expected %s" % (list(adata.obs_names[:3]), expect["obs_names_head"]))
    if list(adata.var_names) != expect["var_names"]:
        fail("var names differ")
    if adata.var["is_regulator"].dtype != np.bool_ or list(adata.var["is_regulator"]) != expect["is_regulator"]:
        fail("var.is_regulator %s differs" % adata.var["is_regulator"].dtype)
    for column, values in expect["obs_categorical"].items():
        col = adata.obs[column]
        if col.dtype.name != "category":
            fail("obs.%s is %s, expected categorical" % (column, col.dtype))
        if list(col.astype(str)) != values:
            fail("obs.%s values differ" % column)
    for column, values in expect.get("obs_numeric", {}).items():
        if not np.allclose(adata.obs[column].to_numpy(dtype=float), values):
            fail("obs.%s values differ" % column)
    for (row, col, value) in expect["counts"]:
        if float(adata.X[row, col]) != float(value):
            fail("X[%d, %d] = %s, expected %s" % (row, col, adata.X[row, col], value))
    totals = np.asarray(adata.X.sum(axis=1)).ravel()
    if not np.allclose(totals, expect["row_sums"]):
        fail("row sums differ")
    for key, value in expect["uns"].items():
        got = adata.uns[key]
        got = got.item() if hasattr(got, "item") else got
        if got != value:
            fail("uns.%s = %r, expected %r" % (key, got, value))
    # Streaming: every per-cell dataset is chunked and unlimited, so rows are appended block by
    # block and memory does not grow with cells.
    import h5py
    with h5py.File(path, "r") as f:
        if f.attrs["encoding-type"] != "anndata" or f["X"].attrs["encoding-type"] != "csr_matrix":
            fail("root or X encoding attributes are wrong")
        growing = ["X/data", "X/indices", "X/indptr", "obs/_index"] + \
            ["obs/%s/codes" % c for c in expect["obs_categorical"]] + ["obs/%s" % c for c in expect.get("obs_numeric", {})]
        for name in growing:
            d = f[name]
            if d.chunks is None or d.maxshape != (None,):
                fail("%s is not chunked and extendable (chunks %s, maxshape %s)" % (name, d.chunks, d.maxshape))
    # scanpy works on it without conversion.
    import scanpy as sc
    sc.pp.calculate_qc_metrics(adata, percent_top=None, inplace=True)
    if not np.allclose(adata.obs["total_counts"].to_numpy(), expect["row_sums"]):
        fail("scanpy total_counts differ")
    print("ok %s (%d cells x %d genes, %d stored counts)" % (path, n_obs, n_vars, adata.X.nnz))


def main(argv):
    if len(argv) < 3 or argv[1] not in ("json", "html", "h5ad"):
        print(__doc__)
        return 2
    try:
        if argv[1] == "json":
            check_json(argv[2], argv[3:])
        elif argv[1] == "html":
            check_html(argv[2], argv[3])
        else:
            check_h5ad(argv[2], argv[3])
    except CheckFailure as failure:
        print("FAIL: %s" % failure, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
