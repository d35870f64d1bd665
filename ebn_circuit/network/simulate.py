"""Event-driven NumPy simulation of one EBN trial, optionally learning.

Time steps of dt, at most one spike per step: the neuron furthest above threshold fires.
Per step t, with v the potential relative to rest and a = 1 - λV·dt:

    v_t = a·v_{t-1} + gain·dt·Dᵀc_t + σ·ξ_t;   if max(v_t - T) > 0: neuron k spikes,
    the rule updates column k (every receiving neuron, v_t as V_before), v_t += jump[:, k],
    and v_k drops by the neuron's own fixed reset (params.reset)

The spike-free part of v is a linear filter of the input, computed for a whole chunk of
steps at once (scipy lfilter); the spikes' part decays geometrically between spikes. So
the Python loop runs once per spike, not once per step. `batch.run_batch` is the
step-by-step loop (with a leading batch axis) and serves as the reference in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from ebn_circuit.errors import ConfigError
from ebn_circuit.network.inputs import target_signal
from ebn_circuit.network.learning import decide
from ebn_circuit.network.params import NetworkParams, check_network, thresholds
from ebn_circuit.network.substrate import Substrate


@dataclass(frozen=True, eq=False)
class TrialResult:
    """One simulated trial. spike_steps/spike_ids: step index and neuron of each spike.
    x, x_hat: target and decoded signal (J × n_steps); v: membrane potentials
    (n_steps × N, after each step's spike) if recorded; codes: weight codes at the end."""

    spike_steps: np.ndarray
    spike_ids: np.ndarray
    x: np.ndarray
    x_hat: np.ndarray
    codes: np.ndarray
    v: np.ndarray | None = None

    @property
    def n_spikes(self) -> int:
        return int(self.spike_steps.size)


def check_command(command: np.ndarray, params: NetworkParams) -> np.ndarray:
    command = np.asarray(command, dtype=float)
    if command.ndim != 2 or command.shape[0] != params.n_dims:
        raise ConfigError(f"command has shape {command.shape}, expected (J, n_steps) with J = {params.n_dims}")
    if not np.all(np.isfinite(command)):
        raise ConfigError("command signal contains non-finite values")
    return command


def readout(spike_steps, spike_ids, decoder: np.ndarray, n_steps: int, params: NetworkParams) -> np.ndarray:
    """x̂ = D·r with r_t = (1 - λd·dt)·r_{t-1} + s_t (J × n_steps)."""
    impulses = np.zeros((decoder.shape[0], n_steps))
    np.add.at(impulses, (slice(None), spike_steps), decoder[:, spike_ids])
    a = 1.0 - params.lambda_d * params.dt
    return lfilter([1.0], [1.0, -a], impulses, axis=1)


def _free_run(u: np.ndarray, a: np.ndarray, f_prev: np.ndarray) -> np.ndarray:
    """f_t = a·f_{t-1} + u_t along axis 0, per-neuron a."""
    if np.all(a == a[0]):
        return lfilter([1.0], [1.0, -a[0]], u, axis=0, zi=(a[0] * f_prev)[None, :])[0]
    out = np.empty_like(u)
    for i in range(u.shape[1]):
        out[:, i] = lfilter([1.0], [1.0, -a[i]], u[:, i], zi=[a[i] * f_prev[i]])[0]
    return out


def _pick_engine(engine: str) -> bool:
    from ebn_circuit.network import compiled

    if engine == "numpy":
        return False
    if engine == "numba":
        if not compiled.available():
            raise ConfigError("engine='numba' needs numba: pip install 'ebn_circuit[fast]' (or use engine='numpy')")
        return True
    if engine == "auto":
        return compiled.available()
    raise ConfigError(f"unknown simulation engine {engine!r}; choose numpy, numba or auto")


def run_trial(
    params: NetworkParams,
    decoder: np.ndarray,
    codes: np.ndarray,
    command: np.ndarray,
    *,
    rng: np.random.Generator | None = None,
    noise: np.ndarray | None = None,
    substrate: Substrate | None = None,
    learn: bool = False,
    record_v: bool = False,
    chunk: int = 2048,
    max_block: int = 512,
    engine: str = "auto",
) -> TrialResult:
    """Simulate one trial from rest. Noise is `noise` (n_steps × N standard normals, scaled
    by σ here) or drawn from `rng` chunk by chunk; one of the two is required.
    engine: "numpy" (event-driven), "numba" (compiled step loop, optional dependency) or
    "auto" (numba if it imports, else numpy); both give the same spikes (tested)."""
    check_network(decoder, codes, params)
    command = check_command(command, params)
    n_steps = command.shape[1]
    if noise is None and rng is None:
        raise ConfigError("run_trial needs a numpy Generator `rng` or a pre-drawn `noise` array")
    if noise is not None and np.shape(noise) != (n_steps, params.n_neurons):
        raise ConfigError(f"noise has shape {np.shape(noise)}, expected ({n_steps}, {params.n_neurons})")
    sub = substrate if substrate is not None else Substrate.ideal(params)
    sub.check(params)
    use_numba = _pick_engine(engine)

    n = params.n_neurons
    codes = np.array(codes, dtype=np.int64, copy=True)
    thr = thresholds(decoder, params)
    a = 1.0 - sub.lambda_v * params.dt
    jumps = sub.jumps(codes, params)
    lo, hi = sub.offsets()
    ff = (decoder * sub.gain[None, :]).T * params.dt  # N × J feed-forward

    v_rec = np.empty((n_steps, n)) if record_v else None
    chunks = _input_chunks(command, ff, params.sigma_noise, noise, rng, chunk)
    loop = _loop_compiled if use_numba else _loop_events
    spikes_t, spikes_k = loop(chunks, params, sub, codes, jumps, thr, a, lo, hi, learn, v_rec, max_block)
    steps = np.asarray(spikes_t, dtype=np.int64)
    ids = np.asarray(spikes_k, dtype=np.int64)
    x = target_signal(command, params)
    x_hat = readout(steps, ids, decoder, n_steps, params)
    v_out = None if v_rec is None else v_rec + params.v_rest
    return TrialResult(steps, ids, x, x_hat, codes, v_out)


def _input_chunks(command, ff, sigma, noise, rng, chunk):
    """(t0, u) per chunk: u = feed-forward drive + σ·noise of each step (c_len × N)."""
    n_steps, n = command.shape[1], ff.shape[0]
    for t0 in range(0, n_steps, chunk):
        c_len = min(chunk, n_steps - t0)
        if noise is None:
            u = rng.standard_normal((c_len, n))
            u *= sigma
        else:
            u = sigma * noise[t0 : t0 + c_len]
        u += command[:, t0 : t0 + c_len].T @ ff.T
        yield t0, u


def _loop_events(chunks, params, sub, codes, jumps, thr, a, lo, hi, learn, v_rec, max_block):
    """Event-driven loop: Python runs once per spike; codes, jumps and v_rec in place."""
    n = a.size
    decay = a[None, :] ** np.arange(1, max_block + 1)[:, None]  # decay[i] = a^(i+1)
    g, half = params.gain_g, 0.5 * params.delta + params.margin
    cmin, cmax, reset = params.code_min, params.code_max, params.reset
    spikes_t: list[int] = []
    spikes_k: list[int] = []
    f_prev = np.zeros(n)  # spike-free part of v at the previous step
    e = np.zeros(n)  # spikes' part of v at the previous step
    for t0, u in chunks:
        c_len = u.shape[0]
        f = _free_run(u, a, f_prev)
        f_prev = f[-1].copy()
        e_start = e.copy()
        chunk_spikes: list[tuple[int, np.ndarray]] = []
        pos, block = 0, 16
        while pos < c_len:
            m = min(block, c_len - pos)
            over = f[pos : pos + m] + decay[:m] * e - thr
            above = over.max(axis=1) > 0.0
            i = int(above.argmax())
            if not above[i]:
                e = decay[m - 1] * e
                pos += m
                block = min(2 * block, max_block)
                continue
            k = int(over[i].argmax())
            e = decay[i] * e  # spikes' part at the spike's step, before it arrives
            if learn:
                dec = decide(e + f[pos + i], jumps[:, k], g, half, lo[:, k], hi[:, k])
                if dec.any():
                    col = codes[:, k] + dec
                    codes[:, k] = np.minimum(np.maximum(col, cmin), cmax)
                    jumps[:, k] = sub.jump_column(codes[:, k], k, params)
            e += jumps[:, k]
            e[k] -= reset
            spikes_t.append(t0 + pos + i)
            spikes_k.append(k)
            if v_rec is not None:
                jump = jumps[:, k].copy()
                jump[k] -= reset
                chunk_spikes.append((pos + i, jump))
            pos += i + 1
            block = 16
        if v_rec is not None:
            imp = np.zeros((c_len, n))
            for row, jump in chunk_spikes:
                imp[row] += jump
            v_rec[t0 : t0 + c_len] = f + _free_run(imp, a, e_start)
    return spikes_t, spikes_k


def _loop_compiled(chunks, params, sub, codes, jumps, thr, a, lo, hi, learn, v_rec, max_block):
    """The numba step loop (compiled.py); same contract as _loop_events."""
    from ebn_circuit.network import compiled

    kern = compiled.kernel()
    use_dac, dac = compiled.dac_argument(sub, params)
    n = a.size
    v = np.zeros(n)
    spikes_t: list[int] = []
    spikes_k: list[int] = []
    dummy = np.empty((1, n))
    for t0, u in chunks:
        c_len = u.shape[0]
        out_t, out_k = np.empty(c_len, np.int64), np.empty(c_len, np.int64)
        rec = v_rec[t0 : t0 + c_len] if v_rec is not None else dummy
        count = kern(u, v, a, thr, jumps, codes, dac, sub.gain, lo, hi, learn, use_dac, params.gain_g,
                     0.5 * params.delta + params.margin, params.code_min, params.code_max, params.reset,
                     out_t, out_k, rec, v_rec is not None)
        spikes_t.extend((out_t[:count] + t0).tolist())
        spikes_k.extend(out_k[:count].tolist())
    return spikes_t, spikes_k
