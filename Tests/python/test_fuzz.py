"""A seeded fuzz test of the design reader, the analysis and the simulator (issue 17,
docs/reliability.md).

Every numeric field's boundary values (its documented bounds, just outside them, and the
extremes of a double and of an integer), and a few hundred random mutants of the sample screens
(numbers, text with control characters, wrong types, nulls, deleted sections), are run through
`validate`; a design that validates is then analysed (`analyze --no-solve`) and some are
simulated. Each run has a timeout. The test counts

- crashes: a signal exit (a Swift trap is SIGILL/SIGTRAP, a segfault SIGSEGV),
- hangs: a run over its timeout,
- un-located errors: exit 1 or 2 without `file:line:column: field.path` (or, for a runtime
  failure after validation, without a field path),
- half-truths: `nan` or `inf` in what a valid design prints,

and fails on any, listing the first few reproducers. The sample screens are shrunk (fewer genes
and perturbations) so that a debug build stays within about two minutes on two cores.
"""
import concurrent.futures
import copy
import os
import pathlib
import random
import re
import subprocess
import tempfile
import time

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "sample-screens").glob("*.yaml"))
SEED = 17
MUTANTS = int(os.environ.get("SCREENPLAN_FUZZ_MUTANTS", "240"))
LOG = os.environ.get("SCREENPLAN_FUZZ_LOG")

# Numeric fields and their documented bounds (docs/design-file.md), as (path, low, high, whole).
FIELDS = [
    ("system.genes", 2, None, True), ("system.intrinsic_noise", 0, 10, False),
    ("system.time_step_h", 0.001, 24, False), ("system.network.seed", 0, 2**64 - 1, True),
    ("system.network.regulators", 1, None, True), ("system.network.mean_in_degree", 0, 100, False),
    ("system.network.activation_fraction", 0, 1, False), ("system.network.weight_mean", 0, 1000, False),
    ("system.network.hill_n", 0.5, 10, False), ("system.network.half_response", 0.001, 1000, False),
    ("system.network.basal", 0.0001, 10000, False), ("system.network.decay_per_h", 0.001, 100, False),
    ("system.network.basal_log_sd", 0, 3, False), ("system.media.0.random_inputs", 0, 1000000, True),
    ("system.media.0.input_strength", 0, 1000, False),
    ("system.differentiation.lineages", 2, 12, True), ("system.differentiation.lineage_strength", 0, 1000, False),
    ("system.in_vivo.niche_sd", 0, 10, False), ("system.in_vivo.delivery_delay_h", 0, 100000, False),
    ("system.in_vivo.delivery_sd", 0, 0.5, False), ("system.in_vivo.influx_per_h", 0, 1, False),
    ("system.assumptions.perturbation_ramp_h", 0, 100000, False),
    ("perturbations.targets", 1, None, True), ("perturbations.guides_per_target", 1, 20, True),
    ("perturbations.knockdown_mean", 0.001, 1, False), ("perturbations.knockdown_concentration", 0.01, 10000, False),
    ("perturbations.activation", 0, 1000, False), ("perturbations.ko_transcript_retention", 0, 1, False),
    ("perturbations.guide_effect_sd", 0, 2, False), ("perturbations.moi", 0.01, 50, False),
    ("protocol.0.duration_h", 0, 100000, False),
    ("sampling.cells_per_perturbation", 1, 1000000, True), ("sampling.control_cells", 0, 100000000, True),
    ("sampling.controls_fraction", 0, 0.999, False), ("sampling.qc_pass_fraction", 0.01, 1, False),
    ("measurement.measured_genes", 1, None, True), ("measurement.mrna_per_cell", 1, 100000000, False),
    ("measurement.library_size_sd", 0, 3, False), ("measurement.batch_library_sd", 0, 3, False),
    ("measurement.capture_efficiency", 0, 1, False), ("measurement.dispersion", 0.000001, 1000, False),
    ("measurement.dropout_rate", 0, 1, False), ("measurement.dropout_midpoint", 0.000001, 1000000, False),
    ("measurement.guide_capture", 0.001, 1, False), ("measurement.doublet_rate_per_cell", 0, 0.001, False),
    ("measurement.reads_per_cell", 1, 100000000, False), ("measurement.mapping_efficiency", 0.001, 1, False),
    ("batching.batches", 1, 10000, True), ("batching.max_cells_per_batch", 1, 10000000, True),
    ("batching.replicates", 1, 10000, True), ("batching.controls_in_fraction", 0, 1, False),
    ("batching.batch_effect_sd", 0, 3, False), ("batching.interaction_sd", 0, 3, False),
    ("cost.per_batch", 0, 1e9, False), ("cost.per_cell", 0, 1e6, False), ("cost.per_million_reads", 0, 1e6, False),
    ("cost.reads_per_flow_cell", 1000, 1e13, False), ("cost.flow_cell", 0, 1e9, False),
    ("cost.lanes_per_kit", 1, 1000, True),
    ("analysis.effect_size_log2", -20, 20, False), ("analysis.alpha", 1e-12, 1, False),
    ("analysis.target_power", 0, 1, False), ("analysis.expression_threshold", 0, 1e6, False),
    ("analysis.lambda_control", 0, 1e6, False), ("analysis.lambda_perturbed", 0, 1e6, False),
]
EXTREMES = [0, -1, 5e-324, 1e-300, 1e18, 1e19, 1e100, 1e308, -1e308, 2**62, 2**63 - 1, 2**64, 1e12]
TEXTS = ["", "x" * 300, "GATA1\n/tmp/x.yaml:1:1: forged", "\x1b[2J\x1b[31mred", "tab\there", "né ü 基因",
         "null", "~", "1e5", "<script>alert(1)</script>", "\x00", "../../etc/passwd"]
LOCATED = re.compile(r":\d+:\d+: \S")
FIELD_PATH = re.compile(r"\b[a-z_]+(\[\d+\])?\.[a-z_]+")
NONFINITE = re.compile(r"(?<![A-Za-z_])(nan|-?inf|infinity)(?![A-Za-z_])", re.IGNORECASE)


def shrunk(sample):
    """A sample screen small enough to analyse and simulate in a second or two (debug build)."""
    d = yaml.safe_load(sample.read_text())
    system = d.setdefault("system", {})
    network = system.setdefault("network", {})
    if network.get("file"):
        network["file"] = str(sample.parent / network["file"])
        if network.get("genes_file"):
            network["genes_file"] = str(sample.parent / network["genes_file"])
    else:
        system["genes"] = min(system.get("genes", 2000), 120)
        network["regulators"] = min(network.get("regulators", 200), 24)
    p = d.setdefault("perturbations", {})
    if "target_genes" not in p:
        p["targets"] = min(p.get("targets", 100), 12)
    d.setdefault("sampling", {})["cells_per_perturbation"] = 20
    d.setdefault("measurement", {})["measured_genes"] = 300
    return d


def set_path(d, path, value):
    cur = d
    parts = path.split(".")
    for part in parts[:-1]:
        if isinstance(cur, list):
            idx = int(part)
            if idx >= len(cur):
                return False
            cur = cur[idx]
        else:
            if part not in cur or not isinstance(cur[part], (dict, list)):
                cur[part] = {}
            cur = cur[part]
    last = parts[-1]
    if isinstance(cur, list):
        if int(last) >= len(cur):
            return False
        cur[int(last)] = value
    else:
        cur[last] = value
    return True


def leaves(d, prefix=""):
    if isinstance(d, dict):
        for k, v in d.items():
            yield from leaves(v, "%s.%s" % (prefix, k) if prefix else str(k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield from leaves(v, "%s.%d" % (prefix, i))
    yield prefix


def boundary_values(low, high, whole, rng=None):
    """The bounds, just outside them, and extremes (two drawn at random when `rng` is given)."""
    values = list(EXTREMES) if rng is None else rng.sample(EXTREMES, 2)
    for bound in (low, high):
        if bound is None:
            continue
        values.append(bound)
        step = 1 if whole else max(abs(bound) * 1e-9, 1e-300)
        values += [bound - step, bound + step]
    return values


def cases(rng):
    bases = [shrunk(s) for s in SAMPLES]
    out = []
    for path, low, high, whole in FIELDS:
        for value in boundary_values(low, high, whole, rng):
            base = copy.deepcopy(bases[len(out) % len(bases)])
            if set_path(base, path, value):
                # Every bound itself is analysed: a design that validates must never fail.
                inside = value in (low, high)
                out.append(("boundary %s=%r" % (path, value), base, inside))
    for i in range(MUTANTS):
        base = copy.deepcopy(rng.choice(bases))
        notes = []
        for _ in range(rng.randint(1, 3)):
            paths = [p for p in leaves(base) if p]
            path = rng.choice(paths)
            kind = rng.random()
            if kind < 0.45:
                fpath, low, high, whole = rng.choice(FIELDS)
                value = rng.choice(boundary_values(low, high, whole))
                path = fpath if rng.random() < 0.7 else path
            elif kind < 0.6:
                value = rng.choice(TEXTS)
            elif kind < 0.7:
                value = rng.choice([None, [], {}, [1, "a"], {"k": 1}, True])
            else:
                low = rng.uniform(-3, 3)
                value = round(10 ** low * rng.choice([1, -1, 1, 1]), rng.randint(0, 6))
            if set_path(base, path, value):
                notes.append("%s=%r" % (path, value))
        out.append(("mutant %d: %s" % (i, "; ".join(notes)), base, i % 5 == 0))
    return out


def binary():
    path = os.environ.get("SCREENPLAN_BIN")
    if path:
        return path
    for config in ("release", "debug"):
        candidate = ROOT / ".build" / config / "screenplan"
        if candidate.exists():
            return str(candidate)
    raise AssertionError("build screenplan first")


def run(args, timeout):
    try:
        r = subprocess.run([binary(), *args], capture_output=True, text=True, timeout=timeout, errors="replace")
        return r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired:
        return None, "", ""


def classify(name, rc, out, err, phase):
    if rc is None:
        return "hang (%s): %s" % (phase, name)
    if rc < 0 or rc >= 128:
        return "crash %d (%s): %s\n%s" % (rc, phase, name, err[-400:])
    if rc in (1, 2):
        first = err.strip().splitlines()[0] if err.strip() else ""
        if not (LOCATED.search(first) or (phase != "validate" and FIELD_PATH.search(first))):
            return "un-located exit %d (%s): %s\n%s" % (rc, phase, name, err[-400:])
    if rc == 0 and NONFINITE.search(out):
        return "non-finite output (%s): %s: %s" % (phase, name, NONFINITE.search(out).group(0))
    return None


def check(case, folder, index, simulate):
    name, design, analyse = case
    path = os.path.join(folder, "case%d.yaml" % index)
    with open(path, "w") as f:
        yaml.safe_dump(design, f, sort_keys=False, allow_unicode=True)
    rc, out, err = run(["validate", path], 20)
    problem = classify(name, rc, out, err, "validate")
    if problem or rc != 0 or not analyse:
        return problem, rc == 0
    rc, out, err = run(["analyze", path, "--no-solve", "--rows", "0"], 60)
    problem = classify(name, rc, out, err, "analyze")
    if problem or not simulate:
        return problem, True
    rc, out, err = run(["simulate", path, "--out", os.path.join(folder, "out%d" % index)], 60)
    return classify(name, rc, out, err, "simulate"), True


def test_fuzz_finds_no_crash_hang_or_unlocated_error():
    rng = random.Random(SEED)
    all_cases = cases(rng)
    started = time.monotonic()
    problems, valid = [], 0
    with tempfile.TemporaryDirectory() as folder, concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(check, c, folder, i, i % 12 == 0) for i, c in enumerate(all_cases)]
        for f in futures:
            problem, ok = f.result()
            valid += ok
            if problem:
                problems.append(problem)
                if LOG:
                    with open(LOG, "a") as log:
                        log.write(problem + "\n\n")
    print("fuzz: %d cases (%d valid) in %.0f s; %d problems" % (len(all_cases), valid, time.monotonic() - started, len(problems)))
    assert not problems, "%d problems, first ones:\n\n%s" % (len(problems), "\n\n".join(problems[:12]))
