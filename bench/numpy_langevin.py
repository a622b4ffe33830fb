#!/usr/bin/env python3
"""A straightforward NumPy chemical-Langevin loop over a screenplan network (the baseline of
`screenplan bench`).

Reads the network `screenplan` exports (edges: regulator target weight hill_n half_response;
genes: gene basal decay), then integrates each cell in turn, one Euler-Maruyama step at a time,
with NumPy vector operations over all genes (the textbook implementation of the model in
docs/model.md: P = max(0, b + offset + W H(c)), dc = (P - gamma c) dt + s sqrt(P + gamma c) dW).
Prints the measured seconds per cell-step as JSON; screenplan scales it to its workload.

Two forms of the production term, both exact for the network:
  regulators  W is G x C, one column per Hill channel of a regulating gene (what screenplan's GEMM
              covers; the faster NumPy baseline, and the one `speedup_vs_numpy` uses);
  dense       W is G x G, one column per gene whether it regulates or not (the textbook form, as
              the network's adjacency matrix; `speedup_vs_numpy_dense`). A regulator whose edges
              carry several Hill parameter sets gets extra columns for the others.
"""
import argparse
import json
import time

import numpy as np


def load(edges_path, genes_path, dense=False):
    genes, basal, decay = [], [], []
    with open(genes_path) as f:
        next(f)
        for line in f:
            name, b, d = line.rstrip("\n").split("\t")[:3]
            genes.append(name)
            basal.append(float(b))
            decay.append(float(d))
    index = {g: i for i, g in enumerate(genes)}
    channels = {}
    rows = []
    with open(edges_path) as f:
        next(f)
        for line in f:
            reg, tgt, w, n, h = line.rstrip("\n").split("\t")[:5]
            key = (index[reg], float(n), float(h))
            ch = channels.setdefault(key, len(channels))
            rows.append((index[tgt], ch, float(w)))
    keys = sorted(channels, key=channels.get)
    if dense:
        # Column g is gene g (its first Hill parameter set, or n = h = 1 when it regulates nothing
        # and the column is zero); further parameter sets of a gene come after the G gene columns.
        column, keys_dense, placed = {}, [(g, 1.0, 1.0) for g in range(len(genes))], set()
        for key in keys:
            if key[0] not in placed:
                placed.add(key[0])
                keys_dense[key[0]] = key
                column[channels[key]] = key[0]
            else:
                column[channels[key]] = len(keys_dense)
                keys_dense.append(key)
        rows = [(t, column[ch], w) for t, ch, w in rows]
        keys = keys_dense
    G, C = len(genes), len(keys)
    W = np.zeros((G, C))
    offset = np.zeros(G)
    for t, ch, w in rows:
        W[t, ch] += w
        if w < 0:
            offset[t] -= w
    reg = np.array([k[0] for k in keys], dtype=int)
    hill_n = np.array([k[1] for k in keys])
    half = np.array([k[2] for k in keys])
    return np.array(basal), np.array(decay), W, offset, reg, hill_n, half


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edges", required=True)
    ap.add_argument("--genes", required=True)
    ap.add_argument("--cells", type=int, default=4)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--dt", type=float, default=1.0)
    ap.add_argument("--noise", type=float, default=0.05)
    ap.add_argument("--form", choices=["regulators", "dense"], default="regulators")
    args = ap.parse_args()
    basal, decay, W, offset, reg, hill_n, half = load(args.edges, args.genes, dense=args.form == "dense")
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    for _ in range(args.cells):
        c = basal / decay
        for _ in range(args.steps):
            r = c[reg] / half
            rn = r ** hill_n
            H = rn / (1 + rn)
            P = np.maximum(0.0, basal + offset + W @ H)
            drift = P - decay * c
            noise = args.noise * np.sqrt((P + decay * c) * args.dt) * rng.standard_normal(c.shape[0])
            c = np.maximum(0.0, c + drift * args.dt + noise)
    seconds = time.perf_counter() - start
    print(json.dumps({"form": args.form, "columns": W.shape[1], "seconds": seconds, "cell_steps": args.cells * args.steps,
                      "seconds_per_cell_step": seconds / (args.cells * args.steps)}))


if __name__ == "__main__":
    main()
