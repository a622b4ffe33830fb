"""The report formats agree with each other: the CSV/TSV tables, the Markdown and the HTML show
the numbers of the JSON report, which validates against docs/report-schema.json."""
import csv
import json

import pytest

from conftest import ROOT
import checks

FORMATS = ["md", "html", "json", "csv", "tsv"]


def money(amount, currency):
    return "{:,.2f} {}".format(amount, currency)


@pytest.fixture(scope="module")
def reports(screenplan, sample_screens, tmp_path_factory):
    out = {}
    for screen in sample_screens:
        folder = tmp_path_factory.mktemp(screen.stem)
        args = ["report", screen, "--no-solve"]
        for ext in FORMATS:
            args += ["-o", folder / ("report." + ext)]
        screenplan(*args)
        out[screen.stem] = {ext: folder / ("report." + ext) for ext in FORMATS}
    return out


def test_json_validates(reports):
    checks.check_json(str(ROOT / "docs" / "report-schema.json"), [str(r["json"]) for r in reports.values()])


def test_tables_match_json(reports):
    for name, files in reports.items():
        doc = json.loads(files["json"].read_text())
        perturbations = doc["analysis"]["perturbations"]
        for ext, delimiter in (("csv", ","), ("tsv", "\t")):
            with open(files[ext], newline="") as f:
                rows = list(csv.DictReader(f, delimiter=delimiter))
            assert len(rows) == len(perturbations), (name, ext)
            for row, p in zip(rows, perturbations):
                assert row["perturbation"] == p["name"]
                assert int(row["cells"]) == p["cells"] and int(row["batches"]) == p["batches"]
                assert abs(float(row["power"]) - p["power"]) <= 5e-7
                if p["target_sd"] is None:  # not estimable: the reason is in the flags
                    assert row["target_sd_log2"] == "n/a" and any("not estimable" in f for f in p["flags"])
                else:
                    assert abs(float(row["target_sd_log2"]) - p["target_sd"]) <= 5e-7
                assert abs(float(row["sampling_power"]) - p["sampling_power"]) <= 5e-7
                assert abs(float(row["guide_effect_probability"]) - p["guide_effect_probability"]) <= 5e-7
                assert abs(float(row["target_effect_log2"]) - p["target_effect"]) <= 5e-7
                assert row["flags"] == ";".join(p["flags"])


def test_order_list_in_every_text_format(reports):
    for name, files in reports.items():
        doc = json.loads(files["json"].read_text())
        order = doc["order"]
        md = files["md"].read_text()
        html = files["html"].read_text()
        ids = [line["id"] for line in order["lines"]]
        assert {"kits", "cells_per_lane", "cells", "reads", "flow_cells"} <= set(ids), ids
        for line in order["lines"]:
            assert line["item"] in md and line["item"] in html, line["item"]
            if line["cost"] is not None:
                assert money(line["cost"], order["currency"]) in md, (name, line)
                assert money(line["cost"], order["currency"]) in html, (name, line)
        for total in ("model_total", "purchase_total"):
            assert money(order[total], order["currency"]) in md


def test_html_renders_in_chromium(reports, tmp_path):
    for name, files in reports.items():
        checks.check_html(str(files["html"]), str(tmp_path / (name + ".png")))


# The checks themselves can fail: an external image, a script and a blank page are caught.
@pytest.mark.parametrize("body,reason", [
    ('<svg xmlns="http://www.w3.org/2000/svg"></svg><img src="https://example.com/x.png">', "external"),
    ('<svg xmlns="http://www.w3.org/2000/svg"></svg><script>console.error("x")</script>', "script"),
    ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>', "blank"),
])
def test_html_check_catches_bad_pages(tmp_path, body, reason):
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'><title>x</title></head><body>%s</body></html>" % body)
    with pytest.raises(checks.CheckFailure, match=reason):
        checks.check_html(str(page), str(tmp_path / "bad.png"))
