"""The §5.2 protocol with hybrid neurons: trial after trial, the hybrid network and the pure model
learn side by side on the same inputs, and everything is on disk after each trial.

Folder layout (``out``):

- ``state.json``: the run's settings, the trials done, one metrics row per trial, the status
  (``running`` / ``done`` / ``stopped``, with the error and the step it stopped at);
- ``codes_hybrid.npy``, ``codes_pure.npy``: the weight codes after the last completed trial;
- ``trial_NNN.npz``: the hybrid trial's record (spikes, the hybrid neurons' V and I_mem per step,
  the rule's decisions per presynaptic spike, clipped steps), also for a trial that stopped.

A run resumes at the first trial not completed (``resume``), also with more trials than it was
started with; a trial cannot resume in the middle (ngspice's state is not saved), so a stopped
trial is run again from its start.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ebn_circuit.cosim.loop import HybridTrial, run_hybrid_trial
from ebn_circuit.errors import ConfigError
from ebn_circuit.network.inputs import command_signal
from ebn_circuit.network.metrics import reconstruction_error
from ebn_circuit.network.params import NetworkParams, initial_codes, make_decoder, optimal_weights
from ebn_circuit.network.simulate import run_trial
from ebn_circuit.network.units import CircuitUnits
from ebn_circuit.rule import DEC, INC, SL, decide, test_value


@dataclass(frozen=True)
class HybridRun:
    """One hybrid Figure-1 run: seed (decoder, initial weights, inputs), trials of ``steps`` network
    steps, the hybrid neurons, the Monte-Carlo instance of their circuit (None: nominal), corner,
    the rule's g, and the units (CircuitUnits)."""

    seed: int = 0
    trials: int = 5
    steps: int = 2000
    hybrid: tuple[int, ...] = (0,)
    mismatch_seed: int | None = None
    corner: str = "tt"
    gain_g: float = 2.5
    time_scale: float = 10.0
    i_per_unit: float = 0.5e-9

    def __post_init__(self) -> None:
        if self.trials < 1 or self.steps < 10:
            raise ConfigError(f"a hybrid run needs trials >= 1 and steps >= 10, got {self.trials} and {self.steps}")
        if self.mismatch_seed is not None and not 0 <= self.mismatch_seed < 2 ** 31:
            raise ConfigError(f"the mismatch seed must be in [0, 2^31), got {self.mismatch_seed}")
        _ = self.params, self.units  # their constructors validate g, i_per_unit and time_scale

    @property
    def params(self) -> NetworkParams:
        """§5.2 with the chip's 6-bit counters (the pure model uses the same)."""
        return NetworkParams(code_bits=6, gain_g=self.gain_g)

    @property
    def units(self) -> CircuitUnits:
        return CircuitUnits(i_per_unit=self.i_per_unit, time_scale=self.time_scale)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["hybrid"] = list(self.hybrid)
        return out


def network_of(run: HybridRun) -> tuple[np.ndarray, np.ndarray]:
    """(decoder, initial codes) of the run's seed, drawn as network/training.reproduce_figure1 does."""
    rng = np.random.default_rng(run.seed)
    decoder = make_decoder(run.params, rng)
    return decoder, initial_codes(run.params, rng)


def trial_inputs(run: HybridRun, trial: int) -> tuple[np.ndarray, np.ndarray]:
    """(command, noise) of a training trial, from its own seed: a resumed run sees the same inputs."""
    rng = np.random.default_rng([run.seed, 1, trial])
    command = command_signal(run.params, rng, run.steps)
    return command, rng.standard_normal((run.steps, run.params.n_neurons))


def row_metrics(codes: np.ndarray, optimal: np.ndarray, rows) -> dict:
    """Per hybrid row, off the diagonal: correlation with the optimal row and ‖w - w_opt‖/‖w_opt‖."""
    corr, dist = [], []
    for h in rows:
        keep = np.arange(codes.shape[1]) != h
        w, o = codes[h, keep].astype(float), optimal[h, keep]
        corr.append(float(np.corrcoef(w, o)[0, 1]) if np.std(w) > 0 else float("nan"))
        dist.append(float(np.linalg.norm(w - o) / np.linalg.norm(o)))
    return {"corr": corr, "dist": dist}


GUARD = 0.1e-9  # A: decisions this close to a bound are left to the circuit's offsets (as in the IC study)


def decision_agreement(trial: HybridTrial, params: NetworkParams, units: CircuitUnits) -> dict:
    """How the hybrid neurons' decisions compare with the ideal rule on the same V_before (the
    plant's potential at the presynaptic spike's step), its own spikes left out unless the diagonal
    learns (the loop records them with its decision overridden to SL, the code held): the share that
    agree, the share that agree among those whose I_before is at least GUARD from both bounds, and
    the constant I_mem offset (A) that would make the most of them agree (the front end's effective
    offset)."""
    events = trial.events
    if events is not None and not params.learn_diagonal:   # its own spikes: overridden, not the circuit's
        events = events[events[:, 1] != events[:, 2]]
    if events is None or not len(events):
        return {"agreement_with_rule": float("nan"), "agreement_outside_guard": float("nan"),
                "front_end_offset_A": float("nan")}
    column = {h: i for i, h in enumerate(trial.hybrid)}
    v_before = trial.plant_v[events[:, 0], [column[h] for h in events[:, 2]]]
    jump, half = events[:, 3] * params.delta, 0.5 * params.delta + params.margin
    decisions = events[:, 4]
    agree = decide(v_before, jump, params.gain_g, half) == decisions
    level = test_value(v_before, jump, params.gain_g)
    guard = 2 * GUARD / units.i_per_unit  # on the scale of the rule's test value
    clear = np.minimum(np.abs(level - half), np.abs(level + half)) >= guard
    shifts = np.linspace(-4 * guard, 4 * guard, 161)
    scores = [np.mean(decide(v_before + shift / 2, jump, params.gain_g, half) == decisions) for shift in shifts]
    best = shifts[int(np.argmax(scores))]
    return {"agreement_with_rule": float(np.mean(agree)),
            "agreement_outside_guard": float(np.mean(agree[clear])) if clear.any() else float("nan"),
            "front_end_offset_A": float(best / 2 * units.i_per_unit)}


def decision_metrics_of_record(path: Path, run: HybridRun) -> dict:
    """``decision_agreement`` from a saved trial record (trial_NNN.npz)."""
    record = np.load(path)
    trial = HybridTrial(params=run.params, hybrid=tuple(int(h) for h in record["hybrid"]), n_steps=run.steps,
                        plant_v=record["plant_v"], events=record["events"])
    return decision_agreement(trial, run.params, run.units)


@dataclass
class HybridHistory:
    """The run's state: settings, metrics per completed trial, codes, status."""

    run: HybridRun
    rows: list[dict] = field(default_factory=list)
    status: str = "running"
    stopped: dict | None = None
    calibration: dict | None = None

    @property
    def trials_done(self) -> int:
        """Completed training trials (rows[0] is the initial state)."""
        return len(self.rows) - 1

    def to_json(self) -> dict:
        return {"run": self.run.as_dict(), "rows": self.rows, "status": self.status, "stopped": self.stopped,
                "calibration": self.calibration}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=float))
    os.replace(tmp, path)


def _save_array(path: Path, array: np.ndarray) -> None:
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, array)
    os.replace(tmp, path)


def load_history(out: Path, run: HybridRun) -> tuple[HybridHistory, np.ndarray | None, np.ndarray | None]:
    """The saved state of ``run`` in ``out`` (a fresh history when there is none)."""
    state = out / "state.json"
    if not state.is_file():
        return HybridHistory(run), None, None
    data = json.loads(state.read_text())
    saved = {k: v for k, v in data.get("run", {}).items() if k != "trials"}
    if saved != {k: v for k, v in run.as_dict().items() if k != "trials"}:
        raise ConfigError(f"{out} holds a different hybrid run ({data.get('run')}); choose another output "
                          "folder or delete it")
    rows = data["rows"][:run.trials + 1]  # a run may be extended or cut short: trials is not its identity
    history = HybridHistory(run, rows=rows, status=data["status"], stopped=data.get("stopped"),
                            calibration=data.get("calibration"))
    if len(rows) < len(data["rows"]):
        raise ConfigError(f"{out} already holds {len(data['rows']) - 1} trials, more than the {run.trials} asked for")
    if not history.rows:
        return history, None, None
    return history, np.load(out / "codes_hybrid.npy"), np.load(out / "codes_pure.npy")


def save_trial(path: Path, trial: HybridTrial) -> None:
    np.savez_compressed(path, spike_steps=trial.spike_steps, spike_ids=trial.spike_ids, plant_v=trial.plant_v,
                        i_mem=trial.i_mem, clipped=trial.clipped, events=trial.events, codes=trial.codes,
                        steps_done=trial.steps_done, hybrid=np.array(trial.hybrid))


def train_hybrid(out: Path, run: HybridRun, plant_factory, log=print, resume: bool = True,
                 calibration: dict | None = None) -> HybridHistory:
    """Run (or resume) ``run`` into ``out``; ``plant_factory(periods)`` makes the plant of one trial.

    A trial that stops (no convergence, a crashed or hung simulator, Ctrl-C) leaves its partial
    record and ``status: stopped`` on disk, and its exception is raised again.
    """
    out.mkdir(parents=True, exist_ok=True)
    params = run.params
    history, codes_h, codes_p = load_history(out, run) if resume else (HybridHistory(run), None, None)
    history.calibration = calibration or history.calibration
    decoder, codes0 = network_of(run)
    codes_h = codes0.copy() if codes_h is None else codes_h
    codes_p = codes0.copy() if codes_p is None else codes_p
    optimal = optimal_weights(decoder, params) / params.omega
    if not history.rows:
        history.rows.append({"trial": 0, **_row_block(codes0, codes0, optimal, run)})
    history.status = "running"
    _write_json(out / "state.json", history.to_json())
    for trial_index in range(history.trials_done + 1, run.trials + 1):
        command, noise = trial_inputs(run, trial_index - 1)
        pure = run_trial(params, decoder, codes_p, command, noise=noise, learn=True)
        plant = plant_factory(run.steps + 1)
        started = time.perf_counter()
        try:
            trial = run_hybrid_trial(params, decoder, codes_h, command, noise, plant)
        finally:
            plant.close()
        wall = time.perf_counter() - started
        save_trial(out / f"trial_{trial_index:03d}.npz", trial)
        if trial.error is not None:
            history.status = "stopped"
            history.stopped = {"trial": trial_index, "step": trial.steps_done, "error": trial.error}
            _write_json(out / "state.json", history.to_json())
            raise trial.exception
        codes_h, codes_p = trial.codes, pure.codes
        row = {"trial": trial_index, **_row_block(codes_h, codes_p, optimal, run),
               **_trial_block(trial, pure, params, run, plant, wall)}
        history.rows.append(row)
        _save_array(out / "codes_hybrid.npy", codes_h)
        _save_array(out / "codes_pure.npy", codes_p)
        _write_json(out / "state.json", history.to_json())
        log(f"trial {trial_index}/{run.trials}: hybrid row corr {row['hybrid_row_corr'][0]:.3f} "
            f"(pure {row['pure_row_corr'][0]:.3f}), error hybrid {row['error_hybrid']:.3f} / pure "
            f"{row['error_pure']:.3f}, {trial.n_spikes} spikes, {wall:.0f} s")
    history.status = "done"
    history.stopped = None
    _write_json(out / "state.json", history.to_json())
    return history


def _row_block(codes_h: np.ndarray, codes_p: np.ndarray, optimal: np.ndarray, run: HybridRun) -> dict:
    hybrid, pure = row_metrics(codes_h, optimal, run.hybrid), row_metrics(codes_p, optimal, run.hybrid)
    between = []
    for h in run.hybrid:
        keep = np.arange(codes_h.shape[1]) != h
        a, b = codes_h[h, keep].astype(float), codes_p[h, keep].astype(float)
        between.append(float(np.corrcoef(a, b)[0, 1]) if np.std(a) > 0 and np.std(b) > 0 else float("nan"))
    return {"hybrid_row_corr": hybrid["corr"], "hybrid_row_dist": hybrid["dist"], "pure_row_corr": pure["corr"],
            "pure_row_dist": pure["dist"], "hybrid_vs_pure_row_corr": between,
            "hybrid_row": [codes_h[h].tolist() for h in run.hybrid], "pure_row": [codes_p[h].tolist() for h in run.hybrid]}


def _trial_block(trial: HybridTrial, pure, params: NetworkParams, run: HybridRun, plant, wall: float) -> dict:
    timing = trial.timing
    decisions = trial.events[:, 4] if len(trial.events) else np.zeros(0, int)
    simulated = run.steps * params.dt
    return {"error_hybrid": reconstruction_error(trial.x, trial.x_hat),
            "error_pure": reconstruction_error(pure.x, pure.x_hat),
            "spikes_hybrid": trial.n_spikes, "spikes_pure": pure.n_spikes,
            "spikes_of_hybrid_neurons": [int(np.sum(trial.spike_ids == h)) for h in run.hybrid],
            "spikes_of_them_pure": [int(np.sum(pure.spike_ids == h)) for h in run.hybrid],
            "decisions": {"INC": int(np.sum(decisions == INC)), "SL": int(np.sum(decisions == SL)),
                          "DEC": int(np.sum(decisions == DEC))},
            **decision_agreement(trial, params, run.units),
            "flag_conflicts": int(getattr(plant, "conflicts", 0)),
            "clipped_step_share": float(np.mean(trial.clipped.any(axis=1))) if trial.clipped.size else 0.0,
            "wall_s": wall, "plant_s": timing["plant_wait_s"], "ngspice_s": timing["ngspice_s"],
            "python_callbacks_s": timing["python_callbacks_s"], "loop_s": timing["loop_s"],
            "child_cpu_s": timing["child_cpu_s"],
            "points": timing["points"], "source_calls": timing["source_calls"],
            "real_time_factor": simulated / wall}
