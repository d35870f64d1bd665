"""Chip build budget (issue 14): K Monte-Carlo instances of every block, on this machine's cores.

    .venv/bin/python benchmarks/bench_chip.py [--instances 30] [--workers 2]

Prints the wall time of the build (the goal: K = 30 in ≤ 20 min on 2 cores; the main job's quick
mode builds 4 instances, goal ≤ 3 min), the ngspice time per instance and per measurement, and
the machine's load while it ran (a shared machine inflates wall time; compare with the load).
The results go to a temporary folder with a private cache: every instance is simulated.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from table import print_table

from ebn_circuit.experiments.chip_study import build_chip
from ebn_circuit.experiments.ic_setup import load_run
from ebn_circuit.sweep import SimSettings
from ebn_circuit.sweep.store import SweepStore
from ebn_circuit.technology import get_technology

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    tech = get_technology("sky130")
    run = load_run("sim1")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = SimSettings(cache_dir=str(Path(tmp) / "cache"))
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        chip, summary = build_chip(tech, settings, Path(tmp) / "chip", run, args.instances, workers=args.workers,
                                   log=lambda *_: None)
        wall = time.perf_counter() - start
        load_after = os.getloadavg()[0]
        jobs = SweepStore(Path(tmp) / "chip" / "runs").load()
    per_instance = jobs["wall_time"]
    rows.append((f"chip build, {args.instances} instances, {args.workers} workers", f"{wall / 60:.1f} min",
                 f"load {load_before:.1f} → {load_after:.1f}",
                 "<= 20 min (K = 30)" if args.instances == 30 else "<= 3 min (K = 4)" if args.instances == 4 else ""))
    rows.append(("per instance (median, min–max)", f"{per_instance.median():.0f} s",
                 f"{per_instance.min():.0f}–{per_instance.max():.0f} s", ""))
    # the mean, not the median: the build takes the sum, and a slow instance (up to 1.5× the median) counts
    rows.append(("projected K = 30 on 2 workers", f"{per_instance.mean() * 30 / 2 / 60:.1f} min",
                 f"from the mean of {len(per_instance)}", "<= 20 min"))
    if "coverage_min" in summary:
        rows.append(("mismatch model: least held-out coverage of a 90 % interval", f"{summary['coverage_min']:.0%}",
                     "", "80–100 %"))
    print_table(("measure", "value", "detail", "goal"), rows)


if __name__ == "__main__":
    main()
