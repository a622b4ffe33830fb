"""Regression tests of issue 17's input defects, each reproduced as the issue wrote it:
crashers that validate used to accept, half-truths (exit 1 without a field, `inf` costs),
network files (CRLF, `0x10`, `1<NUL>`, echoed contents, 10⁶ errors), control characters reaching
the terminal, HTML injection through cost.currency, merge of a damaged shard, h5ad determinism."""
import gzip
import hashlib
import json
import os
import re
import shutil

import pytest
import yaml

from test_output_safety import TINY

LOCATED = re.compile(r"^\S+:\d+:\d+: [a-z_.\[\]0-9]+: ", re.MULTILINE)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "tiny.yaml").write_text(TINY)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def design_with(folder, name="d.yaml", **changes):
    d = yaml.safe_load(TINY)
    for path, value in changes.items():
        cur = d
        parts = path.split("__")
        for p in parts[:-1]:
            cur = cur.setdefault(p, {})
        cur[parts[-1]] = value
    (folder / name).write_text(yaml.safe_dump(d, sort_keys=False))
    return name


@pytest.mark.parametrize("field, value", [
    ("system__network__mean_in_degree", 1e19), ("system__network__mean_in_degree", 1e18),
    ("system__network__mean_in_degree", 1e9), ("measurement__dispersion", 1e308),
    ("system__network__basal", 5e-324), ("system__network__decay_per_h", 1e308),
    ("system__time_step_h", 5e-324), ("measurement__reads_per_cell", 1e100),
    ("cost__per_cell", 1e308),
])
def test_former_crashers_are_refused_with_their_field(screenplan, folder, field, value):
    name = design_with(folder, **{field: value})
    result = screenplan("validate", name, check=False)
    assert result.returncode == 2, result.stderr
    assert re.search(r"d\.yaml:\d+:\d+: %s: must be in" % re.escape(field.replace("__", ".")), result.stderr), result.stderr


def test_random_inputs_are_bounded(screenplan, folder):
    d = yaml.safe_load(TINY)
    d["system"]["media"] = [{"name": "growth", "random_inputs": 1e14}]
    (folder / "d.yaml").write_text(yaml.safe_dump(d))
    result = screenplan("validate", "d.yaml", check=False)
    assert result.returncode == 2 and "system.media[0].random_inputs: must be in [0, 1000000]" in result.stderr, result.stderr


def test_explicit_cells_are_bounded_and_fit_their_batch(screenplan, folder):
    d = yaml.safe_load(TINY)
    d["batching"]["layout"] = "explicit"
    d["batching"]["explicit_cells"] = [[2**62, 2**62]] + [[10, 10]] * 4
    (folder / "d.yaml").write_text(yaml.safe_dump(d))
    result = screenplan("validate", "d.yaml", check=False)
    assert result.returncode == 2 and "batching.explicit_cells[0]: cell counts must be whole numbers in [0, 10000000]" in result.stderr, result.stderr
    d["batching"]["explicit_cells"] = [[1000, 10]] * 5
    (folder / "d.yaml").write_text(yaml.safe_dump(d))
    result = screenplan("validate", "d.yaml", check=False)
    assert result.returncode == 2 and "batch 1 holds 5000 perturbed cells" in result.stderr, result.stderr
    # What validate reports is the matrix's count, not the formula's.
    d["batching"]["explicit_cells"] = [[100, 100]] * 5
    (folder / "d.yaml").write_text(yaml.safe_dump(d))
    assert "1307 cells loaded" in screenplan("validate", "d.yaml").stdout


@pytest.mark.parametrize("args, fragment", [
    (["simulate", "tiny.yaml", "--out", "o", "--threads", str(2**63 - 1)], "--threads must be in [1, 1024]"),
    (["optimize", "tiny.yaml", "--budget", "inf"], "--budget must be a finite amount"),
    (["montecarlo", "tiny.yaml", "--reps", str(2**63 - 1)], "--reps must be in"),
    (["fit", "tiny.yaml", "--folds", str(2**62)], "--folds must be in"),
])
def test_command_line_extremes_are_usage_errors(screenplan, folder, args, fragment):
    result = screenplan(*args, check=False)
    assert result.returncode == 2 and fragment in result.stderr, result.stderr


def test_huge_shard_numbers_do_not_overflow(screenplan, folder):
    n = 2**63 - 1
    screenplan("simulate", "tiny.yaml", "--out", "last", "--shard", "%d/%d" % (n, n))
    assert json.loads((folder / "last" / "run.json").read_text())["shard"] == {"index": n, "count": n}


def test_missing_design_is_located(screenplan, folder):
    for command in (["analyze"], ["validate"], ["report", "-o", "x.md"], ["simulate", "--out", "o"]):
        result = screenplan(command[0], "missing.yaml", *command[1:], check=False)
        assert result.returncode == 2, result.stderr
        assert "missing.yaml:1:1: (file): no such file" in result.stderr, (command, result.stderr)


def test_control_characters_are_shown_escaped(screenplan, folder):
    (folder / "esc.yaml").write_text('name: "x\\e[2J"\nsystem: {genes: 30, network: {regulators: 6}}\n'
                                     'perturbations: {target_genes: ["G0001\\nfake.yaml:1:1: forged"]}\n')
    result = screenplan("validate", "esc.yaml", check=False)
    assert result.returncode == 2
    assert "\x1b" not in result.stderr
    assert "unknown gene `G0001\\nfake.yaml:1:1: forged`" in result.stderr, result.stderr
    assert all(LOCATED.match(line) for line in result.stderr.strip().splitlines()), result.stderr
    (folder / "esc2.yaml").write_text(TINY.replace("name: tiny", 'name: "tiny\\e]0;pwned\\a\\nline"'))
    result = screenplan("analyze", "esc2.yaml", "--no-solve")
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "tiny\\e]0;pwned\\x07\\nline" in result.stdout


def test_currency_is_escaped_in_html_and_svg(screenplan, folder):
    evil = '"><meta http-equiv="refresh" content="0;url=http://x">'
    d = yaml.safe_load(TINY)
    d["cost"] = {"currency": evil}
    (folder / "d.yaml").write_text(yaml.safe_dump(d))
    screenplan("report", "d.yaml", "-o", "r.html", "--no-solve")
    html = (folder / "r.html").read_text()
    assert "<meta http-equiv=\"refresh\"" not in html
    assert "&lt;meta http-equiv" in html


NET = """\
name: network file
system:
  network: {file: %s}
perturbations: {target_genes: [A]}
measurement: {measured_genes: 10}
batching: {batches: 1}
"""


def network_design(folder, edges, genes=None, name="n.yaml"):
    (folder / "edges.tsv").write_bytes(edges)
    text = NET % "edges.tsv"
    if genes is not None:
        (folder / "genes.tsv").write_bytes(genes)
        text = text.replace("file: edges.tsv", "file: edges.tsv, genes_file: genes.tsv")
    (folder / name).write_text(text)
    return name


def test_crlf_network_file_is_accepted(screenplan, folder):
    name = network_design(folder, b"regulator\ttarget\tweight\r\nA\tB\t1\r\nB\tC\t-0.5\r\n")
    assert "ok (1 perturbations" in screenplan("validate", name).stdout


@pytest.mark.parametrize("weight", [b"0x10", b"1\x00", b"inf", b"1e400", b"0x1p3"])
def test_non_decimal_weights_are_rejected(screenplan, folder, weight):
    name = network_design(folder, b"A\tB\t" + weight + b"\nB\tC\t1\n")
    result = screenplan("validate", name, check=False)
    assert result.returncode == 2 and "edges.tsv:1:5: system.network.file: weight must be a finite number" in result.stderr, result.stderr


def test_network_errors_do_not_echo_file_contents(screenplan, folder):
    secret = "correct-horse-battery-staple-0123456789"
    name = network_design(folder, ("A\tB\t%s\n" % secret).encode())
    result = screenplan("validate", name, check=False)
    assert result.returncode == 2 and secret not in result.stderr, result.stderr


def test_a_million_network_errors_are_capped(screenplan, folder):
    edges = "".join("X%d\tY%d\t1\n" % (i, i) for i in range(200_000)).encode()
    name = network_design(folder, edges, genes=b"gene\tbasal\tdecay\nA\t1\t0.2\n")
    result = screenplan("validate", name, check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 21, lines[:3]
    assert "399980 more problems" in lines[-1], lines[-1]


def test_merge_refuses_a_damaged_shard(screenplan, folder):
    d = yaml.safe_load(TINY)
    d["sampling"]["cells_per_perturbation"] = 300
    d["batching"]["max_cells_per_batch"] = 5000
    (folder / "d.yaml").write_text(yaml.safe_dump(d))
    screenplan("simulate", "d.yaml", "--out", "s1", "--shard", "1/2")
    screenplan("simulate", "d.yaml", "--out", "s2", "--shard", "2/2")
    screenplan("merge", "s1", "s2", "--out", "whole")
    with gzip.open(folder / "whole" / "matrix.mtx.gz", "rt") as f:
        header = [next(f), next(f)]
        assert int(header[1].split()[2]) == sum(1 for _ in f)
    # A truncated member, then an entry count that run.json does not agree with.
    shutil.copytree(folder / "s2", folder / "cut")
    m = folder / "cut" / "matrix.mtx.gz"
    os.truncate(m, os.path.getsize(m) - 100)
    result = screenplan("merge", "s1", "cut", "--out", "bad", check=False)
    assert result.returncode == 2 and "matrix.mtx.gz is damaged (truncated" in result.stderr, result.stderr
    shutil.copytree(folder / "s2", folder / "short")
    run = json.loads((folder / "short" / "run.json").read_text())
    run["cells"] += 1
    (folder / "short" / "run.json").write_text(json.dumps(run))
    result = screenplan("merge", "s1", "short", "--out", "bad", check=False)
    assert result.returncode == 2 and "barcodes.tsv.gz has" in result.stderr, result.stderr
    assert not (folder / "bad").exists()


def test_h5ad_is_byte_deterministic(screenplan, folder):
    d = yaml.safe_load(TINY)
    d["system"]["media"] = [{"name": "growth", "inputs": {"G%04d" % i: 0.1 * i for i in range(1, 9)}}]
    (folder / "d.yaml").write_text(yaml.safe_dump(d))
    digests = set()
    for run in range(4):
        screenplan("simulate", "d.yaml", "--out", "h%d" % run, "--format", "h5ad")
        digests.add(hashlib.sha256((folder / ("h%d" % run) / "simulation.h5ad").read_bytes()).hexdigest())
    assert len(digests) == 1
