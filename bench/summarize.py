#!/usr/bin/env python3
"""Medians of several `screenplan bench --json` runs, as the Markdown table in docs/simulate.md.

Usage: python3 bench/summarize.py run1.json run2.json run3.json
"""
import json
import statistics
import sys

FIELDS = [
    ("cells", "cells", "{:,.0f}"),
    ("seconds", "seconds (wall)", "{:.1f}"),
    ("cpu_seconds", "CPU s", "{:.0f}"),
    ("cells_per_second", "cells/s", "{:,.0f}"),
    ("count_entries_per_second", "entries/s", "{:.3g}"),
    ("dynamics_gflops", "dynamics GFLOP/s", "{:.1f}"),
    ("dgemm_gflops", "dgemm GFLOP/s", "{:.1f}"),
    ("dynamics_fraction_of_dgemm", "dynamics / dgemm", "{:.2f}"),
    ("peak_rss_mb", "peak RSS MB", "{:.0f}"),
    ("speedup_vs_numpy", "× NumPy", "{:.0f}"),
    ("speedup_vs_numpy_dense", "× NumPy (G × G)", "{:.0f}"),
    ("dynamics_speedup_vs_numpy_dense", "dynamics × NumPy (G × G)", "{:.0f}"),
]


def derived(r):
    """Adds fields computed from a run's own JSON.

    dynamics_speedup_vs_numpy_dense: the NumPy loop's estimated time over screenplan's dynamics
    alone (thread-seconds of the regulator integration and the downstream window, over the
    workers), i.e. Langevin against Langevin, without measurement, formatting and compression.
    """
    if "numpy_dense_seconds_per_cell_step" in r and "active_cell_steps" in r and r.get("dynamics_seconds"):
        numpy = r["numpy_dense_seconds_per_cell_step"] * r["active_cell_steps"]
        r["dynamics_speedup_vs_numpy_dense"] = numpy / (r["dynamics_seconds"] / r["threads"])
    return r


def main():
    runs = [json.load(open(path)) for path in sys.argv[1:]]
    names = [r["name"] for r in runs[0]]
    print("| workload | " + " | ".join(label for _, label, _ in FIELDS) + " |")
    print("|---|" + "---|" * len(FIELDS))
    for name in names:
        rows = [derived(r) for run in runs for r in run if r["name"] == name]
        cells = []
        for key, _, fmt in FIELDS:
            values = [r[key] for r in rows if key in r]
            cells.append(fmt.format(statistics.median(values)) if values else "-")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nMedians of {len(runs)} runs.")


if __name__ == "__main__":
    main()
