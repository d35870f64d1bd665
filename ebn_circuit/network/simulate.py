"""One EBN trial, optionally learning: the model and its two engines.

Time steps of dt, at most one spike per step: the neuron furthest above threshold fires.
Per step t, with v the potential relative to rest, a = 1 - λV·dt, s the charge still to
arrive through the fast synapse and ρ = exp(-dt/τ_fast):

    v_t = a·v_{t-1} + gain·dt·Dᵀc_t + σ·λV·dt·ξ_t + (1-ρ)·s_{t-1};   s_t = ρ·s_{t-1}
    if max(v_t - T) > 0: neuron k spikes; the rule updates column k (every receiving neuron,
    v_t, or v_t + s_t when rule_sample = "settled", as V_before); s += jump[:, k] off the
    diagonal (v += jump[:, k] when τ_fast = 0); v_k += jump[k, k] - reset_k

(1-ρ)·s is the exact integral over one step of the synapse's exponentially decaying current,
so a spike's jump is delivered in full, spread over ~τ_fast. Engines: "numpy" (events.py,
Python once per spike), "numba" (compiled.py, compiled step loop), "auto" (numba when it
imports). They give the same spikes and codes (tested); `batch.run_batch` is the plain step
loop with a batch axis and the reference of both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from ebn_circuit.errors import ConfigError
from ebn_circuit.network.events import run_events
from ebn_circuit.network.inputs import target_signal
from ebn_circuit.network.params import CODE_DTYPE, NetworkParams, check_network, resets, thresholds
from ebn_circuit.network.substrate import Substrate

ENGINES = ("auto", "numpy", "numba")


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


def filtered_spikes(result: "TrialResult", params: NetworkParams) -> np.ndarray:
    """r of every neuron (N × n_steps): its spike train through the readout's filter."""
    return readout(result.spike_steps, result.spike_ids, np.eye(params.n_neurons), result.x.shape[1], params)


def readout(spike_steps, spike_ids, decoder: np.ndarray, n_steps: int, params: NetworkParams) -> np.ndarray:
    """x̂ = D·r with r_t = (1 - λd·dt)·r_{t-1} + s_t (J × n_steps)."""
    impulses = np.zeros((decoder.shape[0], n_steps))
    np.add.at(impulses, (slice(None), spike_steps), decoder[:, spike_ids])
    a = 1.0 - params.lambda_d * params.dt
    return lfilter([1.0], [1.0, -a], impulses, axis=1)


def use_numba(engine: str) -> bool:
    """Resolve an engine name; ConfigError for an unknown one or numba missing."""
    from ebn_circuit.network import compiled

    if engine == "numpy":
        return False
    if engine == "numba":
        if not compiled.available():
            raise ConfigError("engine='numba' needs numba: pip install 'ebn_circuit[fast]' (or use engine='numpy')")
        return True
    if engine == "auto":
        return compiled.available()
    raise ConfigError(f"unknown simulation engine {engine!r}; choose one of {', '.join(ENGINES)}")


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
    chunk: int | None = None,
    max_block: int = 512,
    engine: str = "auto",
) -> TrialResult:
    """Simulate one trial from rest. Noise is `noise` (n_steps × N standard normals, scaled
    here) or drawn from `rng` step by step; one of the two is required (with σ = 0 neither is
    used). Both engines draw the same numbers from `rng` and leave it in the same state.
    chunk: steps per block of input (default: 2048 for the NumPy engine, 16 384 for numba, fewer
    for large N so that one block of N-wide arrays stays near 32 MB)."""
    check_network(decoder, codes, params)
    command = check_command(command, params)
    n_steps = command.shape[1]
    if noise is None and rng is None:
        raise ConfigError("run_trial needs a numpy Generator `rng` or a pre-drawn `noise` array")
    if noise is not None and np.shape(noise) != (n_steps, params.n_neurons):
        raise ConfigError(f"noise has shape {np.shape(noise)}, expected ({n_steps}, {params.n_neurons})")
    sub = substrate if substrate is not None else Substrate.ideal(params)
    sub.check(params)
    numba = use_numba(engine)

    codes = np.array(codes, dtype=CODE_DTYPE, copy=True)
    thr, reset = sub.thresholds_and_resets(thresholds(decoder, params), resets(decoder, params))
    a = 1.0 - sub.lambda_v * params.dt
    ff = (decoder * sub.gain[None, :]).T * params.dt  # N × J feed-forward
    v_rec = np.empty((n_steps, params.n_neurons)) if record_v else None
    if chunk is None:
        # ~32 MB of N-wide arrays at most; the NumPy loop is fastest with 2048 steps, the compiled
        # one with as few calls as possible
        chunk = int(np.clip(2**22 // params.n_neurons, 64, 16_384 if numba else 2048))
    drives = _drive_chunks(command, ff, chunk)
    if numba:
        spikes_t, spikes_k = _run_compiled(drives, params, sub, codes, thr, reset, a, rng, noise, learn, v_rec)
    else:
        chunks = _add_noise(drives, params, rng, noise)
        spikes_t, spikes_k = run_events(chunks, params, sub, codes, thr, reset, a, learn, v_rec, max_block)
    steps = np.asarray(spikes_t, dtype=np.int64)
    ids = np.asarray(spikes_k, dtype=np.int64)
    x = target_signal(command, params)
    x_hat = readout(steps, ids, decoder, n_steps, params)
    v_out = None if v_rec is None else v_rec + params.v_rest
    return TrialResult(steps, ids, x, x_hat, codes, v_out)


def _drive_chunks(command, ff, chunk):
    """(t0, drive) per chunk: the feed-forward drive of each step (c_len × N)."""
    for t0 in range(0, command.shape[1], chunk):
        yield t0, command[:, t0 : t0 + chunk].T @ ff.T


def _add_noise(drives, params, rng, noise):
    """(t0, u): drive plus the noise's step on V, drawn chunk by chunk (row-major, as the
    compiled loop draws it) into one reused buffer."""
    scale = params.noise_per_step
    buf = None
    for t0, u in drives:
        if scale > 0:
            if noise is not None:
                u += scale * noise[t0 : t0 + u.shape[0]]
            else:
                if buf is None or buf.shape != u.shape:
                    buf = np.empty(u.shape)
                rng.standard_normal(out=buf)
                buf *= scale
                u += buf
        yield t0, u


def _run_compiled(drives, params, sub, codes, thr, reset, a, rng, noise, learn, v_rec):
    """The numba step loop (compiled.py), chunk by chunk; same contract as run_events."""
    from ebn_circuit.network import compiled

    kern = compiled.kernel()
    use_dac, dac = compiled.dac_argument(sub)
    n = a.size
    v, s = np.zeros(n), np.zeros(n)
    scale = params.noise_per_step
    use_offsets = sub.bound_lo is not None or sub.bound_hi is not None
    lo, hi = (sub.offsets() if use_offsets else (np.zeros((1, 1)), np.zeros((1, 1))))
    noise_mode = 0 if scale == 0 else (2 if noise is not None else 1)
    rng_arg = rng if rng is not None else np.random.default_rng(0)  # unused unless noise_mode = 1
    spikes_t: list[int] = []
    spikes_k: list[int] = []
    dummy = np.empty((1, n))
    for t0, drive in drives:
        c_len = drive.shape[0]
        xi = noise[t0 : t0 + c_len] if noise_mode == 2 else dummy
        out_t, out_k = np.empty(c_len, np.int64), np.empty(c_len, np.int64)
        rec = v_rec[t0 : t0 + c_len] if v_rec is not None else dummy
        count = kern(drive, xi, rng_arg, noise_mode, scale, v, s, a, params.synapse_decay, thr, reset, codes, dac,
                     use_dac, params.delta, sub.gain, lo, hi, use_offsets, learn, params.learn_diagonal,
                     params.rule_sample == "settled", params.gain_g, params.half_band, params.code_min,
                     params.code_max, out_t, out_k, rec, v_rec is not None)
        spikes_t.extend((out_t[:count] + t0).tolist())
        spikes_k.extend(out_k[:count].tolist())
    return spikes_t, spikes_k
