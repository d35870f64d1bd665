"""IC experiment benchmark: ngspice wall time of one 0.5 s learning-block transient
(Simulation 1: neuron + plastic synapse + learning block, 100 pulses) per counter variant,
and the model-load saving of bin pruning. Goal (issue 18): ≤ 60 s with the run file's settings.

Rows: the run file's settings (behavioural counter, reltol 1e-3, 15 µs max step); the XSPICE
counter at the settings it needs (reltol 1e-4; the old 250 µs max step, as before issue 18's fix);
with --cmos the transistor-level counter at the run file's settings.

Run: .venv/bin/python benchmarks/bench_ic.py [--pulses N] [--cmos] [--skip-pruning] [--threads N ...]

--threads: ngspice OpenMP threads per run (the testbenches use 1: on a busy machine the threads
spin); each value adds a row per variant, so the ratio comes from one run of the script.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

from table import print_table

from ebn_circuit.experiments.ic_setup import load_run
from ebn_circuit.circuits.learning_loop import learning_loop_testbench as ic_testbench
from ebn_circuit.experiments.ic_transient import calibrate_omega_per_code
from ebn_circuit.spice import Op, Simulator, Testbench
from ebn_circuit.technology import get_technology



def process_cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process (the ngspice worker), from /proc: unlike wall time it
    hardly depends on what else this shared machine runs."""
    if pid is None:
        return float("nan")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pulses", type=int, default=100)
    parser.add_argument("--cmos", action="store_true", help="also time the transistor-level counter")
    parser.add_argument("--skip-pruning", action="store_true", help="skip the pruned vs full model-load rows")
    parser.add_argument("--threads", type=int, nargs="+", default=[1], help="ngspice num_threads values to time")
    args = parser.parse_args()
    tech = get_technology("sky130")
    run = load_run("sim1")
    if args.pulses != run.pulses:
        run = run.shortened(args.pulses)
    rows = []
    with Simulator(cache=False, timeout=3600) as sim:
        omega = calibrate_omega_per_code(sim, run, tech)
        variants = {"behavioural": run, "xspice": replace(run.with_xspice_counter(), max_step=250e-6)}
        if args.cmos:
            variants["cmos"] = replace(run, counter="cmos")
        for variant, variant_run in variants.items():
            base = ic_testbench(variant_run, tech, omega)
            for threads in args.threads:
                options = tuple((k, str(threads) if k == "num_threads" else v) for k, v in base.options)
                bench = replace(base, options=options, name=f"{base.name}_t{threads}")
                pid, cpu_before = sim.worker_pid, process_cpu_seconds(sim.worker_pid)
                start = time.perf_counter()
                result = sim.run(bench)
                # a recycled worker is a new process: count all of its time
                cpu = process_cpu_seconds(sim.worker_pid) - (cpu_before if sim.worker_pid == pid else 0.0)
                settings = f"reltol {variant_run.reltol:g}, max step {variant_run.max_step * 1e6:g} µs"
                rows.append((f"{run.t_stop:g} s run ({run.pulses} pulses), {variant} counter ({settings}), "
                             f"{threads} thread(s)",
                             f"{result.meta.wall_time:.1f} s", f"{cpu:.1f} s",
                             f"{time.perf_counter() - start:.1f} s", "<= 60 s" if variant == "behavioural" else ""))
        # what bin pruning saves: setting up the same netlist's operating point, pruned vs full models
        bench = ic_testbench(run, tech, omega)
        for prune in () if args.skip_pruning else (True, False):
            op = Testbench(bench.name + ("_op" if prune else "_op_full"), bench.body, Op(),
                           replace(bench.technology, prune_bins=prune), options=bench.options)
            start = time.perf_counter()
            sim.run(op)
            rows.append((f"operating point, {'pruned' if prune else 'all'} model bins",
                         f"{time.perf_counter() - start:.1f} s", "", "", ""))
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores; timings scale with load)")
    print_table(("measure", "ngspice wall", "ngspice CPU", "wrapper wall", "target"), rows)


if __name__ == "__main__":
    main()
