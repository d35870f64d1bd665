"""One network trial with some neurons in a plant (cosim/plant.py), in lock step at dt.

The behavioural neurons follow network/batch.py line by line; the hybrid neurons are the
plant's. Per step t:

1. the plant advances over step t: it receives u_t of its neurons and the spike of step t-1 (the
   neuron k and the codes of the synapses (hybrid, k)), and returns their potentials v_t and the
   rule's decisions for that spike, which update the codes (hybrid, k);
2. the behavioural neurons: v_t = a·v_{t-1} + u_t + (1 - ρ)·s, s = ρ·s (ρ: the fast synapse);
3. at most one spike: the neuron furthest above threshold, hybrid or not;
4. its column is learned for the behavioural rows (V_before = v_t, or v_t + s with
   rule_sample "settled"; the diagonal only with learn_diagonal), their synaptic charges take the
   jumps (with the new codes), and the spiking neuron, if behavioural, takes its own diagonal jump
   minus its fixed reset in V.

Timing: a spike decided at the end of step t reaches the plant at the start of step t+1, which
is where the pure model applies it too; inside the plant a circuit can only react within that
step (its synapse's current, its reset), so the coupling's delay is at most one step dt (bound
and effect: docs/cosim.md). A spike at the trial's last step is delivered in one extra plant
step so that its decisions count (the plant then runs n_steps + 1 periods).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ebn_circuit.errors import ConfigError, EbnCircuitError
from ebn_circuit.network.inputs import target_signal
from ebn_circuit.network.params import CODE_DTYPE, NetworkParams, check_network, resets, thresholds
from ebn_circuit.network.simulate import check_command, readout
from ebn_circuit.network.substrate import Substrate
from ebn_circuit.rule import decide, step
from ebn_circuit.cosim.plant import Plant, PlantStep


@dataclass(eq=False)
class HybridTrial:
    """Everything one hybrid trial produced (up to ``steps_done`` when it stopped early).

    spike_steps, spike_ids: the network's spikes. x, x_hat: target and readout (J × steps).
    codes: the weight codes at the end. v: potentials (steps × N, V - V_rest + V_rest = V),
    recorded when asked; a hybrid neuron's is before the step's spike. plant_v, i_mem, clipped:
    per step and hybrid neuron. events: one row
    per spike and hybrid neuron: (step, presynaptic k, hybrid neuron, code before, decision).
    timing: seconds in the plant (waiting), in the child's ngspice and Python callbacks, in
    this loop; points, source_calls: totals. error: the message that stopped the trial, if any
    (``exception``: the exception itself, for the caller to re-raise after saving the record).
    """

    params: NetworkParams
    hybrid: tuple[int, ...]
    n_steps: int
    steps_done: int = 0
    spike_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    spike_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    x: np.ndarray | None = None
    x_hat: np.ndarray | None = None
    codes: np.ndarray | None = None
    v: np.ndarray | None = None
    plant_v: np.ndarray | None = None
    i_mem: np.ndarray | None = None
    clipped: np.ndarray | None = None
    events: np.ndarray | None = None
    timing: dict = field(default_factory=dict)
    error: str | None = None
    exception: BaseException | None = field(default=None, repr=False)

    @property
    def n_spikes(self) -> int:
        return int(self.spike_steps.size)

    @property
    def complete(self) -> bool:
        return self.error is None and self.steps_done == self.n_steps


def input_per_step(params: NetworkParams, decoder: np.ndarray, command: np.ndarray, noise: np.ndarray,
                   gain: np.ndarray) -> np.ndarray:
    """u (n_steps × N): feed-forward drive plus the noise's step, as network/batch.py computes it."""
    u = (decoder.T @ command).T * params.dt * gain
    if params.noise_per_step > 0:
        u += params.noise_per_step * noise
    return u


def run_hybrid_trial(params: NetworkParams, decoder: np.ndarray, codes: np.ndarray, command: np.ndarray,
                     noise: np.ndarray, plant: Plant, *, substrate: Substrate | None = None, learn: bool = True,
                     record_v: bool = False, progress=None) -> HybridTrial:
    """Simulate one trial from rest with ``plant`` owning its hybrid neurons.

    codes: N×N weight codes (copied). noise: n_steps × N standard normals. substrate: the
    behavioural neurons' curves (ideal by default). A toolkit error or Ctrl-C inside the plant
    ends the trial early: the returned record then holds everything up to the last finished
    step and ``error`` says why; the plant is left for the caller to close.
    """
    check_network(decoder, codes, params)
    command = check_command(command, params)
    n_steps = command.shape[1]
    if np.shape(noise) != (n_steps, params.n_neurons):
        raise ConfigError(f"noise has shape {np.shape(noise)}, expected ({n_steps}, {params.n_neurons})")
    sub = substrate if substrate is not None else Substrate.ideal(params)
    sub.check(params)
    hybrid = tuple(plant.hybrid)
    rows_h = np.array(hybrid)
    rows_b = np.array([i for i in range(params.n_neurons) if i not in hybrid], dtype=np.int64)
    behavioural_spikers = set(rows_b.tolist())
    k = len(hybrid)

    codes = np.array(codes, dtype=CODE_DTYPE, copy=True)
    u = input_per_step(params, decoder, command, np.asarray(noise, float), sub.gain)
    a = 1.0 - sub.lambda_v * params.dt
    a_b = a[rows_b]
    rho = params.synapse_decay
    scale = np.ones(params.n_neurons) if sub.threshold_scale is None else np.asarray(sub.threshold_scale, float)
    thr = thresholds(decoder, params) * scale
    reset = resets(decoder, params) * scale
    lo, hi = sub.offsets()
    settled = params.rule_sample == "settled"

    trial = HybridTrial(params=params, hybrid=hybrid, n_steps=n_steps)
    plant_v = np.full((n_steps, k), np.nan)
    i_mem = np.full((n_steps, k), np.nan)
    clipped = np.zeros((n_steps, k), bool)
    v_rec = np.full((n_steps, params.n_neurons), np.nan) if record_v else None
    spikes_t: list[int] = []
    spikes_k: list[int] = []
    events: list[tuple[int, int, int, int, int]] = []
    totals = {"plant_wait_s": 0.0, "ngspice_s": 0.0, "python_callbacks_s": 0.0, "child_cpu_s": 0.0, "points": 0,
              "source_calls": 0}

    v = np.zeros(params.n_neurons)
    s = np.zeros(params.n_neurons)
    pending, pending_codes = -1, np.zeros(k, np.int64)
    started = time.perf_counter()
    try:
        v[rows_h] = plant.start(reset[rows_h])
        for t in range(n_steps + 1):
            last = t == n_steps
            if last and pending < 0:
                break
            drive = np.zeros(k) if last else u[t, rows_h]
            asked = time.perf_counter()
            result = plant.advance(drive, pending, pending_codes, learn)
            totals["plant_wait_s"] += time.perf_counter() - asked
            _account(totals, result)
            if pending >= 0 and learn and result.decisions is not None:
                decisions = np.asarray(result.decisions, dtype=np.int64).copy()
                if not params.learn_diagonal and pending in hybrid:
                    decisions[hybrid.index(pending)] = 0
                codes[rows_h, pending] = step(pending_codes, decisions, params.code_min, params.code_max)
                events += [(t - 1, pending, h, int(c), int(d)) for h, c, d in zip(hybrid, pending_codes, decisions)]
            if last:
                break
            v[rows_h] = result.v
            plant_v[t] = result.v
            if result.i_mem is not None:
                i_mem[t] = result.i_mem
            if result.clipped is not None:
                clipped[t] = result.clipped
            v[rows_b] = a_b * v[rows_b] + u[t, rows_b] + (1.0 - rho) * s[rows_b]
            s[rows_b] = rho * s[rows_b]
            over = v - thr
            spiker = int(over.argmax())
            pending = -1
            if over[spiker] > 0.0:
                jump = sub.jump_column(codes[:, spiker], spiker, params)[rows_b]
                if learn:
                    before = v[rows_b] + s[rows_b] if settled else v[rows_b]
                    dec = decide(before, jump, params.gain_g, params.half_band, lo[rows_b, spiker], hi[rows_b, spiker])
                    if not params.learn_diagonal and spiker in behavioural_spikers:
                        dec[np.flatnonzero(rows_b == spiker)] = 0
                    codes[rows_b, spiker] = step(codes[rows_b, spiker], dec, params.code_min, params.code_max)
                    jump = sub.jump_column(codes[:, spiker], spiker, params)[rows_b]
                own = None
                if spiker in behavioural_spikers:
                    where = int(np.flatnonzero(rows_b == spiker)[0])
                    own = jump[where] - reset[spiker]
                    jump[where] = 0.0
                if rho > 0.0:
                    s[rows_b] += jump
                else:
                    v[rows_b] += jump
                if own is not None:
                    v[spiker] += own
                spikes_t.append(t)
                spikes_k.append(spiker)
                pending, pending_codes = spiker, codes[rows_h, spiker].astype(np.int64)
            if v_rec is not None:
                v_rec[t] = v + params.v_rest
            trial.steps_done = t + 1
            if progress is not None:
                progress(t + 1)
    except (EbnCircuitError, KeyboardInterrupt) as exc:
        trial.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        trial.exception = exc
    done = trial.steps_done
    trial.spike_steps = np.asarray(spikes_t, dtype=np.int64)
    trial.spike_ids = np.asarray(spikes_k, dtype=np.int64)
    trial.x = target_signal(command[:, :done], params)
    trial.x_hat = readout(trial.spike_steps, trial.spike_ids, decoder, done, params)
    trial.codes = codes
    trial.v = None if v_rec is None else v_rec[:done]
    trial.plant_v, trial.i_mem, trial.clipped = plant_v[:done], i_mem[:done], clipped[:done]
    trial.events = np.asarray(events, dtype=np.int64).reshape(-1, 5)
    totals["total_s"] = time.perf_counter() - started
    totals["loop_s"] = totals["total_s"] - totals["plant_wait_s"]
    trial.timing.update(totals)
    return trial


def _account(totals: dict, result: PlantStep) -> None:
    totals["ngspice_s"] += result.ngspice_s
    totals["python_callbacks_s"] += result.python_s
    totals["child_cpu_s"] += result.cpu_s
    totals["points"] += result.points
    totals["source_calls"] += result.source_calls
