"""Co-simulation speed (docs/cosim.md): one hybrid trial of the transistor-level neuron in the
network, and the same circuit with the same stimuli replayed three ways:

- plain transient: every source as a PWL, the same breakpoints and short-step windows (a dummy
  PWL source with a corner every fine step inside each pulse window; its breakpoints also restart
  ngspice's step there, so it takes more points than the lock step), through the Simulator; and
  the same without the windows (fewer points; the synapse's charge per pulse then drifts by tens
  of %, see HybridDesign.fine_step);
- lock step in this process: the ctypes engine fed the recorded commands (no pipe, no network),
  two ways of holding ngspice at each boundary (issue 13 asks which is faster and exact):
  the engine's own, a blocking ``GetSyncData`` callback inside a foreground ``run`` (the
  callback exchanges at the boundary and ngspice continues when it returns: no thread, no
  halt), and halt/resume: a ``stop when time >= t1`` condition per period (ngspice merges
  it with the breakpoint at t1 and halts there), ``run`` / ``resume`` returning to Python at
  each boundary (``HaltResumeEngine``; its operating point cannot depend on the readings of
  the operating point, so the caller's first command is sent before ``run``). Both rows say
  how far their readings at the boundaries differ (max |ΔI_mem| over the run);
- lock step in a child process: LockstepSession fed the recorded commands (the pipe, no network);
- the hybrid trial itself: child process, pipe, network loop, learning.

Prints a table (wall and CPU seconds, per step, time points, source callbacks per step, ratio to
the plain transient) and the hybrid trial's split between ngspice, Python callbacks and the rest.
Compare ratios within one run: the machine is shared.

    python benchmarks/bench_cosim.py [--steps 1000] [--seed 0] [--trial 1]
"""

from __future__ import annotations

import argparse
import ctypes
import resource
import time

import numpy as np

from ebn_circuit.cosim.calibrate import prepare_circuit
from ebn_circuit.cosim.circuit import BITS, hybrid_testbench
from ebn_circuit.cosim.loop import run_hybrid_trial
from ebn_circuit.cosim.training import HybridRun, network_of, trial_inputs
from ebn_circuit.cosim.transistor import TransistorPlant
from ebn_circuit.spice.locate import ngspice_library
from ebn_circuit.spice.lockstep import LockstepSession
from ebn_circuit.spice.lockstep_engine import Engine
from ebn_circuit.spice.simulator import Simulator
from ebn_circuit.technology import get_technology


class RecordingPlant(TransistorPlant):
    """The transistor plant, keeping every command it sends."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commands = []

    def waves(self, drive, spike, codes):
        command = super().waves(drive, spike, codes)
        self.commands.append(command)
        return command


class HaltResumeEngine(Engine):
    """The lock-step engine holding ngspice with halt/resume instead of the GetSyncData handover:
    ``stop when time >= t1`` per period, ``run`` then ``resume`` from Python at each boundary;
    GetSyncData only clips steps (windows, corners). ``halt`` False: the engine's own mode."""

    halt = True

    def run(self, spec, exchange, abort=None) -> int:
        if not self.halt:
            return super().run(spec, exchange, abort)
        self.spec, self._exchange, self._abort, self.failure = spec, exchange, abort, None
        self._reset_state(spec)
        self.log.clear()
        lines = [line for line in spec.netlist.splitlines() if line.strip()]
        self.lib.ngSpice_Circ((ctypes.c_char_p * (len(lines) + 1))(*[line.encode() for line in lines], None))
        self._op_pending = True            # the operating point sees spec.initial, as in the engine's mode
        self._close_period()               # readings of "period 0" are empty here: the first command goes first
        verb = b"run"
        while not self._stopped:
            # half the boundary tolerance early: ngspice merges this breakpoint with t1's and halts on it
            self.lib.ngSpice_Command(f"stop when time >= {self.t1 - 0.5 * self.tolerance!r}".encode())
            self.lib.ngSpice_Command(verb)
            verb = b"resume"
            self.lib.ngSpice_Command(b"delete all")
            if not self._at_boundary(self.time):
                self.failure = f"halted at {self.time!r} s, not at the boundary {self.t1!r} s"
                break
            self._close_period()
            if self.done >= spec.periods - 1:
                break
        self.lib.ngSpice_Command(b"destroy all")
        self.lib.ngSpice_Command(b"remcirc")
        return self.done

    def _source_value(self, value, time, name) -> None:
        if self.halt and self._op_pending:
            self.source_calls += 1
            index = self._source_index.get(name)
            if index is None:
                index = self._source_index[name] = self._lookup_source(name)
            value[0] = self.spec.initial[index]
            return
        super()._source_value(value, time, name)

    def _on_data(self, data, count, ident, user) -> int:
        self._op_pending = False
        return super()._on_data(data, count, ident, user)

    def _on_sync(self, time, delta, old_delta, redo, ident, location, user) -> int:
        if not self.halt:
            return super()._on_sync(time, delta, old_delta, redo, ident, location, user)
        if location != 0 or self._stopped:
            return 0
        self._clip_step(time, delta)
        return 0


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pwl_stimuli(spec, commands, count: int):
    """Per neuron the value texts (bits, pulse, drive, leak) of a PWL replay, and a dummy source's
    PWL whose corners force the windows' short steps."""
    period = spec.period
    corners = [[(0.0, value)] for value in spec.initial]
    fine = [(0.0, 0.0)]

    def append(points, time, value):
        if time > points[-1][0]:
            points.append((time, value))

    for index, (waves, _samples, windows) in enumerate(commands):
        t0 = index * period
        for source, wave in enumerate(waves):
            points = corners[source]
            for offset, value in wave:
                if offset > 0:
                    append(points, t0 + offset, value)
                elif value != points[-1][1]:  # a step at the period's start
                    append(points, t0, points[-1][1])
                    append(points, t0 + 1e-9, value)
        for start, end, step in windows:
            for k, at in enumerate(np.arange(t0 + start, t0 + end, step)):
                fine.append((at, 1e-6 * (k % 2)))
    texts = ["PWL(" + " ".join(f"{t:.12g} {v:.9g}" for t, v in points) + ")" for points in corners]
    per = BITS + 3
    stimuli = [(texts[j * per:j * per + BITS], *texts[j * per + BITS:(j + 1) * per]) for j in range(count)]
    return stimuli, "PWL(" + " ".join(f"{t:.12g} {v:.9g}" for t, v in fine) + ")"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trial", type=int, default=1, help="which training trial's inputs (1 = from the initial weights)")
    args = parser.parse_args()
    run = HybridRun(steps=args.steps, seed=args.seed)
    tech = get_technology("sky130")
    params, units = run.params, run.units
    with Simulator() as simulator:
        design, calibration = prepare_circuit(simulator, tech, units, params,
                                              cache_dir=simulator.cache.root.parent / "cosim")
        decoder, codes = network_of(run)
        command, noise = trial_inputs(run, args.trial - 1)
        rows = []

        cpu0, wall0 = child_cpu(), time.perf_counter()
        plant = RecordingPlant(params, run.hybrid, run.steps + 1, design, calibration, units, tech)
        trial = run_hybrid_trial(params, decoder, codes, command, noise, plant)
        plant.close()
        hybrid_wall, hybrid_cpu = time.perf_counter() - wall0, child_cpu() - cpu0
        spec, commands = plant.spec, plant.commands
        steps = len(commands)

        # plain transient with the same stimuli
        stimuli, fine = pwl_stimuli(spec, commands, 1)
        bench = hybrid_testbench(design, tech, 1, stimuli, steps * spec.period, "cosim_bench_plain",
                                 max_step=design.max_step or design.period)
        bench = type(bench)(bench.name, bench.body + f"\nvfine fine 0 {fine}\nrfine fine 0 1k", bench.analysis,
                            bench.technology, options=bench.options, saves=bench.saves)
        coarse = hybrid_testbench(design, tech, 1, stimuli, steps * spec.period, "cosim_bench_plain_coarse",
                                  max_step=design.max_step or design.period)
        for name, testbench in (("plain transient, same short steps", bench),
                                ("plain transient, no short steps", coarse)):
            plain_sim = Simulator(cache=False, timeout=7200)
            cpu0, wall0 = child_cpu(), time.perf_counter()
            result = plain_sim.run(testbench)
            plain_wall = time.perf_counter() - wall0
            plain_sim.close()
            rows.append((name, plain_wall, child_cpu() - cpu0, len(result.time), 0))

        # lock step in this process: the GetSyncData handover, then halt/resume (one library, one engine)
        engine = HaltResumeEngine(ngspice_library())
        short = type(spec)(**{**spec.__dict__, "periods": steps + 1})  # as the plant's: the last boundary is not tstop
        imem = spec.vectors.index(next(v for v in spec.vectors if "vimem" in v))
        boundary = {}
        for halt, name in ((False, "lock step, in-process, GetSyncData"), (True, "lock step, in-process, halt/resume")):
            engine.halt = halt
            queue = iter(commands)
            calls = [0, 0]
            values = []

            def exchange(readings):
                calls[0] += readings[6]
                calls[1] += readings[7]
                values.append(readings[1][imem])
                return next(queue, None)

            cpu_self, wall0 = time.process_time(), time.perf_counter()
            done = engine.run(short, exchange)
            rows.append((name, time.perf_counter() - wall0, time.process_time() - cpu_self, calls[0], calls[1]))
            if engine.failure:
                print(f"{name}: {engine.failure}")
            # the halt mode has no readings of the operating point (its first call is before run)
            boundary[halt] = np.array(values[1:done + 1])
        n = min(len(boundary[False]), len(boundary[True]))
        imem_difference = float(np.max(np.abs(boundary[False][:n] - boundary[True][:n]))) if n else float("nan")
        compared = n

        # lock step in a child process, no network
        cpu0, wall0 = child_cpu(), time.perf_counter()
        points = source_calls = 0
        with LockstepSession(short, "bench") as session:
            for cmd in commands:
                readings = session.step(cmd)
                points += readings.points
                source_calls += readings.source_calls
        rows.append(("lock step, child process", time.perf_counter() - wall0, child_cpu() - cpu0, points, source_calls))
        rows.append(("hybrid trial (network + learning)", hybrid_wall, hybrid_cpu, trial.timing["points"],
                     trial.timing["source_calls"]))

    network_seconds = steps * params.dt
    print(f"one hybrid neuron, {steps} network steps ({network_seconds:g} s of network time, "
          f"{trial.n_spikes} spikes = pulses), chip {units.time_scale:g}× slower; CPU = the ngspice process's")
    print(f"{'mode':38s} {'wall s':>8s} {'CPU s':>8s} {'ms/step':>8s} {'points':>8s} {'src calls/step':>15s} {'wall ratio':>11s}")
    base = rows[0][1]
    for name, wall, cpu, pts, calls_ in rows:
        print(f"{name:38s} {wall:8.1f} {cpu:8.1f} {1e3 * wall / steps:8.2f} {pts:8d} {calls_ / steps:15.0f} {wall / base:11.2f}")
    print(f"GetSyncData vs halt/resume: I_mem at {compared} of {steps} boundaries, max difference "
          f"{imem_difference * 1e12:.3g} pA (one code moves I_mem by {units.omega_current(params) * 1e12:.3g} pA)")
    t = trial.timing
    print(f"hybrid trial split: ngspice {t['ngspice_s'] / hybrid_wall:.0%}, Python callbacks in the child "
          f"{t['python_callbacks_s'] / hybrid_wall:.0%}, pipe + network loop {(hybrid_wall - t['ngspice_s'] - t['python_callbacks_s']) / hybrid_wall:.0%}; "
          f"real-time factor {network_seconds / hybrid_wall:.2e} (wall), {network_seconds / max(hybrid_cpu, 1e-9):.2e} (CPU); "
          f"{t['points'] / steps:.1f} points and {t['source_calls'] / steps:.0f} source callbacks per network step")
    per_spike = (hybrid_cpu - 0) / max(trial.n_spikes, 1)
    print(f"1 s of network time with this spike rate: {hybrid_wall / network_seconds / 60:.1f} min wall, "
          f"{hybrid_cpu / network_seconds / 60:.1f} min CPU ({per_spike:.2f} CPU s per spike incl. the quiet steps)")


if __name__ == "__main__":
    main()
