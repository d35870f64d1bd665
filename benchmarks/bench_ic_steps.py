"""IC run settings: accuracy against time. Simulation 1 (tt, nominal), the first N pulses, at the
run file's settings and at others, each scored against a tight reference (reltol 1e-5, max step
5 µs): the largest difference of I_before over the pulses, whether the codes are the same, the
time points and the ngspice wall time. One run at a time; compare rows of one invocation.

Run: .venv/bin/python benchmarks/bench_ic_steps.py [--pulses N]
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace

import numpy as np
from table import print_table

from ebn_circuit.circuits.learning_loop import XSPICE_RELTOL
from ebn_circuit.experiments.ic_setup import load_run
from ebn_circuit.experiments.ic_transient import calibrate_omega_per_code, run_ic
from ebn_circuit.spice import Simulator
from ebn_circuit.technology import get_technology

# (label, IcRun overrides); the first row is the run file itself
SETTINGS = (
    ("run file", {}),
    ("XSPICE counter, reltol 1e-4, max step 250 µs (before issue 18)",
     {"counter": "xspice", "reltol": XSPICE_RELTOL, "max_step": 250e-6}),
    ("behavioural counter, reltol 1e-3, max step 250 µs", {"max_step": 250e-6}),
    ("behavioural counter, reltol 1e-4, max step 15 µs", {"reltol": 1e-4}),
)
REFERENCE = {"reltol": 1e-5, "max_step": 5e-6}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pulses", type=int, default=20)
    args = parser.parse_args()
    tech = get_technology("sky130")
    run = load_run("sim1").shortened(args.pulses)
    rows = []
    with Simulator(cache=False, timeout=3600) as sim:
        omega = calibrate_omega_per_code(sim, run, tech)
        reference, ref_waves = run_ic(sim, replace(run, **REFERENCE), tech, omega_per_code=omega)
        for label, overrides in SETTINGS:
            outcome, waves = run_ic(sim, replace(run, **overrides), tech, omega_per_code=omega)
            error = np.abs(outcome.table["i_before"] - reference.table["i_before"]).max()
            same = bool((outcome.table["code_after"] == reference.table["code_after"]).all())
            rows.append((label, f"{error * 1e12:.0f} pA", "yes" if same else "no", str(len(waves)),
                         f"{outcome.wall_time:.1f} s", "<= 20 pA" if not overrides else ""))
        rows.append(("reference (reltol 1e-5, max step 5 µs)", "0 pA", "yes", str(len(ref_waves)),
                     f"{reference.wall_time:.1f} s", ""))
    print(f"Simulation 1, tt, {args.pulses} pulses; load average at the end: {os.getloadavg()[0]:.1f}")
    print_table(("settings", "largest I_before error", "same codes", "time points", "ngspice wall", "target"),
                rows)


if __name__ == "__main__":
    main()
