"""Engine benchmarks: wrapper overhead on a long (≥ 10 s) transient and the per-point transfer cost,
per-run overhead, sky130 model load, cached re-run.

Prints a table; targets (from the foundation issue) in the last column. Run: make bench,
or .venv/bin/python benchmarks/bench_spice.py. Timings on a shared machine are noisy:
compare ratios within one run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from table import print_table

from ebn_circuit.spice import Op, Simulator, Testbench, Transient
from ebn_circuit.spice.locate import ngspice_environment, ngspice_program
from ebn_circuit.technology import get_technology


def inverter_chain(tech, stages: int = 3, stop: float = 0.1e-6) -> Testbench:
    """A sky130 inverter chain driven by a fast pulse: a long, stiff transient."""
    lines = ["vdd vdd 0 1.8", "vin n0 0 pulse(0 1.8 0 50p 50p 1n 2n)"]
    for k in range(stages):
        lines.append(tech.device_line(f"p{k}", "p", f"n{k + 1}", f"n{k}", "vdd", "vdd", 1e-6, 0.15e-6))
        lines.append(tech.device_line(f"n{k}", "n", f"n{k + 1}", f"n{k}", "0", "0", 0.5e-6, 0.15e-6))
    return Testbench("inverter_chain", "\n".join(lines), Transient(10e-12, stop, max_step=10e-12), tech)


def timed(func, repeat: int = 1) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return times


def raw_ngspice(netlist: str, env: dict | None = None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "deck.spice"
        path.write_text(netlist)
        start = time.perf_counter()
        subprocess.run([ngspice_program(), "-b", "-r", str(Path(tmp) / "out.raw"), str(path)],
                       check=True, capture_output=True, env=env or ngspice_environment())
        return time.perf_counter() - start


def busy_machine_rows(tech) -> list[tuple]:
    """A DPI neuron transient while two other processes keep both cores busy (as a sweep's other
    workers do): OpenMP threads that spin while they wait (ngspice's default) against threads
    that sleep (OMP_WAIT_POLICY=PASSIVE, what the toolkit sets)."""
    from ebn_circuit.circuits.neuron import NeuronStepParams, neuron_step_testbench

    netlist = neuron_step_testbench(NeuronStepParams(i_in=0.0, i_step=40e-9, t_step=1e-3, t_stop=40e-3), tech).netlist()
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        times = {policy: min(raw_ngspice(netlist, {**os.environ, "OMP_WAIT_POLICY": policy}) for _ in range(2))
                 for policy in ("PASSIVE", "ACTIVE")}
    finally:
        for burner in burners:
            burner.kill()
    return [("DPI neuron 40 ms transient, 2 cores busy: spinning / sleeping OpenMP threads",
             f"{times['ACTIVE']:.2f} s / {times['PASSIVE']:.2f} s", f"{times['ACTIVE'] / times['PASSIVE']:.1f}x", "")]


LONG_STOP = 4e-6   # s of the inverter chain: ≥ 10 s of ngspice time here, so that the ratio means something


def main() -> None:
    tech = get_technology("sky130")
    rows = []
    long_tb = inverter_chain(tech, stop=LONG_STOP)
    raw = min(raw_ngspice(long_tb.netlist()) for _ in range(2))
    for backend in ("shared", "batch"):
        with Simulator(backend=backend, cache=False) as sim:
            sim.run(Testbench("warm", "v1 a 0 1\nr1 a 0 1k", Op()))
            runs = [(time.perf_counter(), sim.run(long_tb), time.perf_counter()) for _ in range(2)]
        wrapped = min(end - start for start, _, end in runs)
        result = runs[0][1]
        points = len(result.time) * len(result.vectors)
        rows.append((f"long transient ({len(result.time)} time points), {backend} / raw ngspice -b",
                     f"{wrapped:.2f} s / {raw:.2f} s", f"{wrapped / raw:.3f}", "<= 1.05"))
        rows.append((f"transfer cost per vector point ({backend})", f"{(wrapped - raw) / points * 1e9:.0f} ns",
                     f"{points} points", ""))

    tiny = Testbench("tiny", "v1 a 0 1\nr1 a 0 1k", Op())
    for backend in ("shared", "batch"):
        with Simulator(backend=backend, cache=False) as sim:
            sim.run(tiny)
            overhead = statistics.median(timed(lambda: sim.run(tiny), repeat=30))
        rows.append((f"per-run overhead, tiny circuit, warm ({backend})", f"{overhead * 1e3:.1f} ms",
                     "", "<= 50 ms median"))

    one_fet = "vd d 0 1.8\nvg g 0 0.5\n" + tech.device_line("n", "n", "d", "g", "0", "0", 1e-6, 1e-6)
    with Simulator(backend="shared", cache=False) as sim:
        sim.run(tiny)
        with_models = statistics.median(timed(lambda: sim.run(Testbench("fet", one_fet, Op(), tech)), repeat=9))
        without = statistics.median(timed(lambda: sim.run(tiny), repeat=9))
    rows.append(("sky130 model load (op with models - without)", f"{with_models - without:.3f} s", "",
                 "<= 0.3 s"))

    for label, bench in (("0.32 s deck", inverter_chain(tech)), ("long deck", long_tb)):
        with tempfile.TemporaryDirectory() as cache_dir, Simulator(backend="shared", cache_dir=Path(cache_dir)) as sim:
            sim.run(tiny)
            first = timed(lambda: sim.run(bench))[0]
            cached = statistics.median(timed(lambda: sim.run(bench), repeat=5))
            size = sum(np.asarray(v).nbytes for v in sim.run(bench).vectors.values()) / 2**20
        rows.append((f"cached re-run / first run ({label}, {size:.1f} MiB of vectors)",
                     f"{cached * 1e3:.1f} ms / {first:.2f} s", f"{cached / first * 100:.2f} %",
                     "<= 5 ms" if label.startswith("0.32") else ""))

    rows += busy_machine_rows(tech)
    print_table(("measure", "time", "ratio", "target"), rows)


if __name__ == "__main__":
    main()
