#!/usr/bin/env python3
"""Peer benchmark: screenplan, sergio-rs and SERGIO (sergio-scSim) on the same network and cells.

An independent client: it builds the network from the peers' own code and data, runs each
simulator on it, and compares the clean (pre-measurement) expression of the three. screenplan
is run as a user would run it (`screenplan simulate DESIGN --states`), end to end with writing.

Networks
  ecoli      SERGIO's E. coli reference network (SERGIO/GRN/ref/EcoliNet.v1.txt in the
             sergio-scSim package), subsampled by SERGIO's own grn_from_Ecoli(nGenes=400) with
             numpy seed --network-seed (cycles removed, k from SERGIO's parameterisation, n = 2,
             decay 0.8).
  generated  a 2,000-gene acyclic network in SERGIO's form (regulators among the first 10% of
             genes, 1 + Poisson(2) regulators per target, k as SERGIO parameterises it).

The model mapping (docs/simulate.md, "Peer benchmark"):
  SERGIO  dx = (P − λx)dt + s(√P dW + √(λx) dW'),  P_i = Σ_j k_ij H(x_j) (k > 0) or |k_ij|(1 − H(x_j)),
          H = xⁿ/(xⁿ + hⁿ), master regulators P = their profile's rate, h = the regulator's
          deterministic steady state (SERGIO's init).
  screenplan  the same with b_i = the master regulator's rate (0 for every other gene), weight
          k_ij with its sign, hill_n n, half_response h (absolute), decay λ, intrinsic_noise s:
          one normal per gene-step carries √(P + λx) dW, which has the law of SERGIO's two.
  Master-regulator rates: sergio-rs only draws them itself (MrProfile.from_random), so each is
  drawn from a range of width 1e-6 around a low or a high level (SERGIO's default ranges' middles,
  1.75 and 4.25); which level each master regulator got is read back from sergio-rs's output
  (mean·λ below or above 3) and given to SERGIO and screenplan exactly.
  Time units: SERGIO's are taken as hours.

Prints one JSON object per network (a list) on standard output.
"""
import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

LOW, HIGH, WIDTH = 1.75, 4.25, 1e-6
DECAY = 0.8
# Euler steps before the first sample (5 time units, 4 relaxation times 1/λ, at dt = 0.01).
SAFETY = 500


def ecoli_network(seed):
    """SERGIO's grn_from_Ecoli: returns (genes, edges [(reg, tar, k, n)])."""
    import SERGIO
    from SERGIO.GRN import grn_from_Ecoli
    np.random.seed(seed)
    cwd = os.getcwd()
    # grn_from_Ecoli opens 'SERGIO/GRN/ref/EcoliNet.v1.txt' relative to the working directory.
    os.chdir(os.path.dirname(os.path.dirname(SERGIO.__file__)))
    try:
        grn = grn_from_Ecoli(nGenes=400)
    finally:
        os.chdir(cwd)
    genes = list(grn.attr_["genes"].keys())
    edges = [(i.reg_[0].name_, i.tar_.name_, float(i.k_), int(round(i.n_))) for i in grn.attr_["interactions"].values()]
    return genes, edges


def generated_network(n_genes, seed):
    rng = np.random.default_rng(seed)
    n_tf = max(2, n_genes // 10)
    genes = ["g%04d" % i for i in range(n_genes)]
    edges = []
    for t in range(1, n_genes):
        pool = min(t, n_tf)
        if t < n_tf and rng.uniform() < 0.3:
            continue  # some transcription factors are master regulators
        m = min(pool, 1 + rng.poisson(2))
        for r in rng.choice(pool, size=m, replace=False):
            k = rng.uniform(1, 5) if rng.uniform() < 0.75 else rng.uniform(-5, -1)
            edges.append((genes[r], genes[t], float(k), 2))
    used = sorted({e[0] for e in edges} | {e[1] for e in edges}, key=genes.index)
    return used, edges


def master_regulators(genes, edges):
    targets = {e[1] for e in edges}
    return [g for g in genes if g not in targets]


def run_sergio_rs(genes, edges, cells, seed, dt):
    import sergio_rs
    grn = sergio_rs.GRN()
    objs = {g: sergio_rs.Gene(g, DECAY) for g in genes}
    for reg, tar, k, n in edges:
        grn.add_interaction(objs[reg], objs[tar], k, None, n)
    grn.set_mrs()
    profile = sergio_rs.MrProfile.from_random(grn, 1, (LOW, LOW + WIDTH), (HIGH, HIGH + WIDTH), seed)
    t0, c0 = time.perf_counter(), time.process_time()
    sim = sergio_rs.Sim(grn, cells, SAFETY, 10, dt, 1, seed)
    df = sim.simulate(profile)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    names = df["Genes"].to_list()
    x = df.drop("Genes").to_numpy()
    return seconds, cpu, names, x


def sergio_half_responses(genes, edges, rates):
    """SERGIO's own h (the regulator's deterministic steady state), from its GRN init."""
    from SERGIO.GRN import GRN, Gene, SingleInteraction
    from SERGIO.MR import mrProfile
    grn = GRN()
    for reg, tar, k, n in edges:
        grn.add_interaction(SingleInteraction(reg=[Gene(reg, DECAY)], tar=Gene(tar, DECAY), k=k, h=None, n=n))
    grn.setMRs()
    mrs = grn.get_mrs()
    prof = mrProfile(MR_names=mrs, n_types=1)
    for mr in mrs:
        prof.profile[mr] = np.array([rates[mr]])
    prof.init_ = True
    grn.init(prof, update_half_resp=True)
    return {(i.reg_[0].name_, i.tar_.name_): float(i.h_) for i in grn.attr_["interactions"].values()}


def run_sergio(genes, edges, rates, types, cells_per_type, seed, dt):
    """SERGIO (Python): `types` identical cell types are `types` independent trajectories."""
    from SERGIO import sergio
    from SERGIO.GRN import GRN, Gene, SingleInteraction
    from SERGIO.MR import mrProfile
    np.random.seed(seed)
    t0, c0 = time.perf_counter(), time.process_time()
    grn = GRN()
    for reg, tar, k, n in edges:
        grn.add_interaction(SingleInteraction(reg=[Gene(reg, DECAY)], tar=Gene(tar, DECAY), k=k, h=None, n=n))
    grn.setMRs()
    mrs = grn.get_mrs()
    prof = mrProfile(MR_names=mrs, n_types=types)
    for mr in mrs:
        prof.profile[mr] = np.full(types, rates[mr])
    prof.init_ = True
    grn.init(prof, update_half_resp=True)
    sim = sergio(grn)
    sim.simulate(nCells=cells_per_type, noise_s=1, safety_iter=SAFETY, scale_iter=10, dt=dt)
    expr = sim.getSimExpr()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return seconds, cpu, list(expr.index), expr.to_numpy()


def write_screenplan_inputs(workdir, genes, edges, rates, halves, cells, dt):
    with open(os.path.join(workdir, "edges.tsv"), "w") as f:
        f.write("regulator\ttarget\tweight\thill_n\thalf_response\n")
        for reg, tar, k, n in edges:
            f.write("%s\t%s\t%r\t%d\t%r\n" % (reg, tar, k, n, halves[(reg, tar)]))
    with open(os.path.join(workdir, "genes.tsv"), "w") as f:
        f.write("gene\tbasal\tdecay\n")
        for g in genes:
            f.write("%s\t%r\t%r\n" % (g, rates.get(g, 0.0), DECAY))
    # One perturbation with a single cell (the design needs one); the comparison drops that cell.
    perturbed = 1
    design = f"""name: peer benchmark
system:
  regime: in-vitro
  dynamics: non-differentiating
  genes: {len(genes)}
  network:
    file: edges.tsv
    genes_file: genes.tsv
  media:
    - name: growth
  intrinsic_noise: 1.0
  time_step_h: {dt}
perturbations:
  modality: crispri
  targets: 1
  moi: 0.2
protocol:
  - {{medium: growth, perturb: true, duration_h: 24}}
sampling:
  time_points_h: [24]
  cells_per_perturbation: {perturbed}
  control_cells: {cells - perturbed}
  qc_pass_fraction: 1.0
measurement:
  measured_genes: {len(genes)}
batching:
  unit: lane
  batches: 1
  max_cells_per_batch: {cells}
  layout: pooled
  batch_effect_sd: 0
"""
    path = os.path.join(workdir, "design.yaml")
    with open(path, "w") as f:
        f.write(design)
    return path


def read_states(directory, genes_expected):
    """states.mtx.gz (modelled genes × cells) as a dense array: Matrix Market `array` (every value,
    column by column, as screenplan writes it) or `coordinate` (earlier screenplan versions)."""
    with gzip.open(os.path.join(directory, "states.mtx.gz"), "rt") as f:
        banner = f.readline()
        line = f.readline()
        while line.startswith("%"):
            line = f.readline()
        size = [int(v) for v in line.split()]
        values = np.fromstring(f.read(), sep=" ")  # any whitespace separates
    rows, cols = size[0], size[1]
    if " array " in banner:
        x = values.reshape(cols, rows).T
    else:
        data = values.reshape(-1, 3)
        x = np.zeros((rows, cols))
        x[data[:, 0].astype(int) - 1, data[:, 1].astype(int) - 1] = data[:, 2]
    assert rows == genes_expected, (rows, genes_expected)
    return x


def run_screenplan(binary, design, workdir, threads, seed):
    out = os.path.join(workdir, "screenplan-out")
    cmd = [binary, "simulate", design, "--out", out, "--force", "--states", "--seed", str(seed)]
    if threads:
        cmd += ["--threads", str(threads)]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return seconds, cpu, out


def agreement(x, ref, floor=0.05):
    """Median over genes of |mean − mean_ref| / mean_ref and of var / var_ref (genes whose
    reference mean is above `floor`)."""
    m, r = x.mean(1), ref.mean(1)
    v, rv = x.var(1), ref.var(1)
    keep = (r > floor) & (rv > 0)
    return {
        "genes_compared": int(keep.sum()),
        "mean_relative_difference_median": float(np.median(np.abs(m[keep] - r[keep]) / r[keep])),
        "variance_ratio_median": float(np.median(v[keep] / rv[keep])),
    }


def bench(args, network):
    if network == "ecoli":
        # SERGIO's cycle removal takes about a minute; its result is cached per seed.
        cache = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "screenplan",
                             "peers-ecoli-seed%d.json" % args.network_seed)
        if os.path.exists(cache):
            with open(cache) as f:
                genes, edges = json.load(f)
            edges = [tuple(e) for e in edges]
        else:
            genes, edges = ecoli_network(args.network_seed)
            os.makedirs(os.path.dirname(cache), exist_ok=True)
            with open(cache, "w") as f:
                json.dump([genes, edges], f)
    else:
        genes, edges = generated_network(args.genes, args.network_seed)
    mrs = master_regulators(genes, edges)
    workdir = tempfile.mkdtemp(prefix="screenplan-peers-%s-" % network, dir=args.workdir)
    cells = args.cells
    result = {"network": network, "genes": len(genes), "edges": len(edges), "master_regulators": len(mrs),
              "cells": cells}

    # sergio-rs first: it draws the master regulators' rates, which the others then use.
    rs_seconds, rs_cpu, rs_names, rs_x = run_sergio_rs(genes, edges, cells, args.seed, args.sergio_dt)
    rs_index = {g: i for i, g in enumerate(rs_names)}
    rates = {}
    for mr in mrs:
        level = rs_x[rs_index[mr]].mean() * DECAY
        rates[mr] = LOW if level < 0.5 * (LOW + HIGH) else HIGH
    halves = sergio_half_responses(genes, edges, rates)
    design = write_screenplan_inputs(workdir, genes, edges, rates, halves, cells, args.dt)

    sp_seconds, sp_cpu, out = run_screenplan(args.screenplan, design, workdir, args.threads, args.seed)
    with gzip.open(os.path.join(out, "features.tsv.gz"), "rt") as f:
        sp_names = [line.split("\t")[0] for line in f]
    sp_x = read_states(out, len(sp_names))
    with open(os.path.join(out, "cells.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        col = header.index("perturbation")
        controls = [line.rstrip("\n").split("\t")[col] == "control" for line in f]
    sp_x = sp_x[:, np.array(controls)]

    # SERGIO's cost grows with the genes too: on the 2,000-gene network it gets fewer cells
    # (its figures are per gene·cell, and 400 cells still give every gene's mean to a few percent).
    sg_total = args.sergio_cells if network == "ecoli" else args.sergio_cells_generated
    sg_types = max(1, min(args.sergio_types, sg_total // 10))
    sg_cells = max(1, sg_total // sg_types)
    sg_seconds, sg_cpu, sg_names, sg_x = run_sergio(genes, edges, rates, sg_types, sg_cells, args.seed, args.sergio_dt)

    def aligned(names, x):
        index = {g: i for i, g in enumerate(names)}
        return x[[index[g] for g in genes]]

    sp, rs, sg = aligned(sp_names, sp_x), aligned(rs_names, rs_x), aligned(sg_names, sg_x)
    g = len(genes)
    result["load_average"] = os.getloadavg()[0]
    result["screenplan"] = {"seconds": sp_seconds, "cpu_seconds": sp_cpu, "cells": sp.shape[1],
                            "gene_cells_per_second": g * sp.shape[1] / sp_seconds,
                            "time_step_h": args.dt, "threads": args.threads}
    result["sergio_rs"] = {"seconds": rs_seconds, "cpu_seconds": rs_cpu, "cells": rs.shape[1],
                           "gene_cells_per_second": g * rs.shape[1] / rs_seconds, "dt": args.sergio_dt,
                           "threads": 1}
    result["sergio"] = {"seconds": sg_seconds, "cpu_seconds": sg_cpu, "cells": sg.shape[1], "trajectories": sg_types,
                        "gene_cells_per_second": g * sg.shape[1] / sg_seconds, "dt": args.sergio_dt, "threads": 1}
    result["speedup_vs_sergio_rs"] = (g * sp.shape[1] / sp_seconds) / (g * rs.shape[1] / rs_seconds)
    # Per CPU-second: what the ratio would be on an idle machine with one core each.
    result["cpu_speedup_vs_sergio_rs"] = (sp.shape[1] / sp_cpu) / (rs.shape[1] / rs_cpu)
    result["speedup_vs_sergio"] = (g * sp.shape[1] / sp_seconds) / (g * sg.shape[1] / sg_seconds)
    result["screenplan_vs_sergio"] = agreement(sp, sg)
    result["screenplan_vs_sergio_rs"] = agreement(sp, rs)
    result["sergio_rs_vs_sergio"] = agreement(rs, sg)
    if not args.keep:
        subprocess.run(["rm", "-rf", workdir], check=False)
    else:
        result["workdir"] = workdir
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--screenplan", required=True, help="the screenplan executable")
    p.add_argument("--networks", default="ecoli,generated")
    p.add_argument("--cells", type=int, default=21000)
    p.add_argument("--genes", type=int, default=2000, help="genes of the generated network")
    p.add_argument("--sergio-cells", type=int, default=2000,
                   help="cells SERGIO (Python) simulates; its cost per cell grows with the cells of a trajectory")
    p.add_argument("--sergio-types", type=int, default=200, help="independent SERGIO trajectories (identical cell types)")
    p.add_argument("--sergio-cells-generated", type=int, default=400,
                   help="cells SERGIO simulates on the generated (2,000-gene) network")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--dt", type=float, default=0.25, help="screenplan's time step (hours)")
    p.add_argument("--sergio-dt", type=float, default=0.01, help="SERGIO's and sergio-rs's Euler step")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--network-seed", type=int, default=0)
    p.add_argument("--workdir", default=None)
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    results = []
    for n in args.networks.split(","):
        if n:
            results.append(bench(args, n))
            # Each network's result as soon as it is known (the generated network takes minutes).
            print("peers: " + json.dumps(results[-1]), file=sys.stderr, flush=True)
    json.dump(results, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
