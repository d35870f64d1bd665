"""Co-simulation (docs/cosim.md): the lock-step coupling, its exactness against the pure model, and
its failure handling. Real ngspice throughout; the transistor-level runs are in test_cosim_slow.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from ebn_circuit.cosim.exactness import compare_with_pure
from ebn_circuit.cosim.plant import BehaviouralPlant
from ebn_circuit.cosim.training import HybridRun, train_hybrid
from ebn_circuit.errors import ConvergenceError, SimulationTimeoutError, SimulatorCrashError
from ebn_circuit.network.params import NetworkParams
from ebn_circuit.spice.lockstep import EngineSpec, LockstepSession, command, hold, pulse

PERIOD = 1e-4
C = 1e-9


def integrator_spec(periods: int, extra: str = "") -> EngineSpec:
    netlist = "\n".join(["* integrator", "iin 0 out external", "cout out 0 1n", "rout out 0 1e18", extra,
                         ".options method=gear maxord=1 reltol=1e-9 abstol=1e-18 vntol=1e-12 gmin=1e-30",
                         f".tran {PERIOD:g} {periods * PERIOD:.12g} 0 {PERIOD:g}", ".save v(out)", ".end"])
    return EngineSpec(netlist, PERIOD, periods, ("iin",), (0.0,), ("v(out)",))


def test_lockstep_applies_each_periods_waveform_over_exactly_that_period():
    """A held current integrates to C·Δv exactly (backward Euler on a capacitor); a pulse inside
    the period contributes its area; samples and integrals refer to the period they were asked in.
    The pulse's 1 µs ramps are linear, which backward Euler integrates only to first order in the
    step (ngspice lands on every corner): 1e-4 relative there."""
    rng = np.random.default_rng(1)
    currents = rng.normal(0.0, 1e-9, 40)
    with LockstepSession(integrator_spec(41), "integrator") as session:
        v = [session.first.values[0]]
        for current in currents:
            v.append(session.step(command([hold(current)])).values[0])
        # a 1 nA pulse of 40 µs (area 4e-14 C), sampled halfway and at its end
        readings = session.step(command([pulse(0.0, 1e-9, 20e-6, 40e-6, 1e-6)], samples=(41e-6, 61e-6)))
    expected = np.concatenate([[0.0], np.cumsum(currents) * PERIOD / C])
    assert np.max(np.abs(np.array(v) - expected)) < 1e-9 * np.max(np.abs(expected))
    assert readings.values[0] - v[-1] == pytest.approx(1e-9 * 40e-6 / C, rel=1e-4)
    # sample at 41 µs: the ramp (0.5 µs worth) plus 20 µs of the top
    assert readings.samples[0][0] - v[-1] == pytest.approx(1e-9 * 20.5e-6 / C, rel=1e-4)
    assert readings.samples[1][0] == pytest.approx(readings.values[0], rel=1e-9)
    # ∫v dt over the period: v ramps up by `rise` from 20.5 to 60.5 µs (half of it on average), then holds
    rise = 1e-9 * 40e-6 / C
    assert readings.integrals[0] == pytest.approx(v[-1] * PERIOD + rise * (20e-6 + PERIOD - 60.5e-6), rel=1e-4)


def test_short_step_windows_add_points_only_inside_them():
    with LockstepSession(integrator_spec(3), "integrator") as session:
        session.step(command([hold(1e-9)]))  # the first period also holds ngspice's start-up steps
        plain = session.step(command([hold(1e-9)]))
        fine = session.step(command([hold(1e-9)], windows=((10e-6, 60e-6, 1e-6),)))
    assert plain.points + 50 <= fine.points <= plain.points + 53  # 50 µs at ≤ 1 µs


@pytest.mark.parametrize("plant", ["behavioural", "integrator"])
def test_hybrid_loop_reproduces_the_pure_model_spike_for_spike(plant):
    """The exactness check: with exact stand-ins for the hybrid neurons (two of them, learning on),
    the co-simulation loop gives the pure model's spikes, codes and potentials. The integrator's
    potentials are capacitor voltages read back through ngspice: equal to 1e-8 potential units
    (the noise per step is 1e-2)."""
    result = compare_with_pure(NetworkParams(), 2000, seed=4, hybrid=(0, 7), plant=plant)
    assert result["error"] is None
    assert result["spikes"] > 50 and result["hybrid_decisions"] > 100   # the check has something to check
    assert result["same_spikes"] and result["same_spikes_event_driven"] and result["same_codes"]
    assert result["max_dv_behavioural"] == 0.0
    assert result["max_dv_hybrid"] <= (0.0 if plant == "behavioural" else 1e-8)


def relay_spec(periods: int, enable_at: int) -> tuple[EngineSpec, list]:
    """A circuit with no solution once 'en' goes high: ngspice stops with 'timestep too small'."""
    netlist = "\n".join(["* relay without a solution once enabled", "ven en 0 external",
                         "b1 0 a i = v(en) * ((v(a) > 0.5) ? -2e-3 : 2e-3)", "r1 a 0 1k",
                         f".tran {PERIOD:g} {periods * PERIOD:.12g} 0 {PERIOD:g}", ".save v(a)", ".end"])
    commands = [command([hold(1.0 if k >= enable_at else 0.0)]) for k in range(periods)]
    return EngineSpec(netlist, PERIOD, periods, ("ven",), (0.0,), ("v(a)",)), commands


def test_a_circuit_that_stops_converging_ends_with_one_clear_error_naming_the_period():
    spec, commands = relay_spec(20, enable_at=5)
    session = LockstepSession(spec, "relay")
    done = []
    with pytest.raises(ConvergenceError, match=r"relay, period 6: convergence failure \(Timestep too small\)"):
        for cmd in commands:
            done.append(session.step(cmd))
    assert len(done) == 5 and session.pid is None  # what came before is kept; the worker is gone


def test_a_killed_worker_is_a_crash_error_and_the_caller_survives():
    session = LockstepSession(integrator_spec(10), "integrator")
    session.step(command([hold(1e-9)]))
    os.kill(session.pid, signal.SIGKILL)
    with pytest.raises(SimulatorCrashError, match="worker died"):
        session.step(command([hold(1e-9)]))


def test_a_hung_circuit_times_out():
    """Sliding mode: ngspice keeps accepting tiny steps and never reaches the period's end."""
    netlist = "\n".join(["* chattering relay", "ven en 0 external", "b1 0 a i = v(en) * ((v(a) > 0.5) ? -2e-3 : 2e-3)",
                         "c1 a 0 1p", "r1 a 0 1g", f".tran {PERIOD:g} {10 * PERIOD:.12g} 0 {PERIOD:g}", ".save v(a)",
                         ".end"])
    session = LockstepSession(EngineSpec(netlist, PERIOD, 10, ("ven",), (0.0,), ("v(a)",)), "chatter", step_timeout=3)
    session.step(command([hold(0.0)]))
    with pytest.raises(SimulationTimeoutError, match="period 2"):
        session.step(command([hold(1.0)]))


class RelayPlant(BehaviouralPlant):
    """The network's model for the hybrid neuron, with a lock-stepped relay circuit beside it that
    stops converging at step ``fail_at``: a real ngspice failure in the middle of a trial."""

    def __init__(self, params, hybrid, periods, fail_at):
        super().__init__(params, hybrid)
        spec, self.commands = relay_spec(periods, enable_at=fail_at)
        self.session = LockstepSession(spec, "relay plant")
        self.step_index = 0

    def advance(self, drive, spike, codes, learn):
        self.session.step(self.commands[self.step_index])
        self.step_index += 1
        return super().advance(drive, spike, codes, learn)

    def close(self):
        self.session.close()


class InterruptedPlant(BehaviouralPlant):
    """Ctrl-C arriving while the plant computes step ``at`` (0-based)."""

    def __init__(self, params, hybrid, at):
        super().__init__(params, hybrid)
        self.at, self.step_index = at, 0

    def advance(self, drive, spike, codes, learn):
        if self.step_index == self.at:
            raise KeyboardInterrupt
        self.step_index += 1
        return super().advance(drive, spike, codes, learn)


@pytest.mark.parametrize("failure", ["convergence", "interrupt"])
def test_a_stopped_trial_keeps_its_record_and_the_run_resumes(tmp_path, failure):
    run = HybridRun(trials=3, steps=400, hybrid=(3,))
    params = run.params
    out = tmp_path / "run"
    calls = []

    def failing(periods):
        calls.append(periods)
        if len(calls) < 2:
            return BehaviouralPlant(params, run.hybrid)
        return (RelayPlant(params, run.hybrid, periods, fail_at=250) if failure == "convergence"
                else InterruptedPlant(params, run.hybrid, at=250))

    expected = ConvergenceError if failure == "convergence" else KeyboardInterrupt
    with pytest.raises(expected):
        train_hybrid(out, run, failing, log=lambda *_: None)
    state = json.loads((out / "state.json").read_text())
    assert state["status"] == "stopped" and state["stopped"]["trial"] == 2
    assert state["stopped"]["step"] == 250  # steps 0 … 249 completed; step 250 failed
    assert len(state["rows"]) == 2  # the initial state and trial 1
    partial = np.load(out / "trial_002.npz")
    assert int(partial["steps_done"]) == state["stopped"]["step"] == partial["plant_v"].shape[0]

    resumed = train_hybrid(out, run, lambda periods: BehaviouralPlant(params, run.hybrid), log=lambda *_: None)
    fresh = train_hybrid(tmp_path / "fresh", run, lambda periods: BehaviouralPlant(params, run.hybrid),
                         log=lambda *_: None)
    assert resumed.status == "done" and [r["trial"] for r in resumed.rows] == [0, 1, 2, 3]
    assert np.array_equal(np.load(out / "codes_hybrid.npy"), np.load(tmp_path / "fresh" / "codes_hybrid.npy"))
    assert resumed.rows[-1]["hybrid_row"] == fresh.rows[-1]["hybrid_row"]


def test_cli_rejects_bad_input_with_one_line_and_exit_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "ebn_circuit.cli", "cosim", "fig1", "--neurons", "0",
                           "--out", str(tmp_path / "x")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "--neurons must be in 1…20" in proc.stderr


def test_the_pure_models_row_survives_a_trajectory_change_but_not_unchanged():
    """The yardstick of docs/cosim.md: with no extra noise the pure model learns the same rows
    (correlation 1); with an independent noise as large as its own the trajectories part, the rows
    differ (< 1) but still share most of what they learned (median > 0.5 after two short trials)."""
    from ebn_circuit.cosim.training import HybridRun
    from ebn_circuit.experiments.cosim_study import pure_row_agreement

    run = HybridRun(trials=2, steps=2000)
    same = pure_row_agreement(run, extra_noise=0.0, noise_seeds=(1,))
    assert np.allclose(same, 1.0)
    moved = pure_row_agreement(run, extra_noise=1.0, noise_seeds=(1, 2))
    assert moved.shape == (2, run.params.n_neurons)
    assert np.median(moved) < 0.999 and np.median(moved) > 0.5
