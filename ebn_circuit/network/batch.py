"""Step-by-step simulation of many instances at once (leading batch axis).

The model of `simulate.run_trial`, written as the plain per-step loop: every step updates
all B×N potentials and synaptic charges, picks each instance's most suprathreshold neuron
and applies the rule. Used for mismatch studies (one chip instance per batch row) and as the
reference implementation both engines of run_trial are tested against.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ebn_circuit.errors import ConfigError
from ebn_circuit.network.inputs import target_signal
from ebn_circuit.network.params import CODE_DTYPE, NetworkParams, check_network, resets, thresholds
from ebn_circuit.network.simulate import TrialResult, check_command, readout
from ebn_circuit.network.substrate import Substrate
from ebn_circuit.rule import decide, step


def _stack(substrates: Sequence[Substrate], params: NetworkParams):
    """Batch arrays of the substrates; an ideal DAC becomes a linear table if others have one."""
    for s in substrates:
        s.check(params)
    lam = np.stack([s.lambda_v for s in substrates])
    gain = np.stack([s.gain for s in substrates])
    n = params.n_neurons
    codes_axis = np.arange(params.code_min, params.code_max + 1) * params.delta
    if any(s.dac is not None for s in substrates):
        linear = np.broadcast_to(codes_axis, (n, n, codes_axis.size))
        dac = np.stack([linear if s.dac is None else s.dac for s in substrates])
    else:
        dac = None
    lo = np.stack([s.offsets()[0] for s in substrates])
    hi = np.stack([s.offsets()[1] for s in substrates])
    scale = np.stack([np.ones(n) if s.threshold_scale is None else np.asarray(s.threshold_scale, float)
                      for s in substrates])
    return lam, gain, dac, lo, hi, scale


def run_batch(
    params: NetworkParams,
    decoder: np.ndarray,
    codes: np.ndarray,
    command: np.ndarray,
    *,
    substrates: Sequence[Substrate] | None = None,
    rngs: Sequence[np.random.Generator] | None = None,
    noise: np.ndarray | None = None,
    learn: bool = False,
    record_v: bool = False,
) -> list[TrialResult]:
    """Simulate B instances of one trial. codes: (B, N, N); command: (J, n_steps) shared
    or (B, J, n_steps); substrates: B of them (default ideal); noise: (B, n_steps, N)
    standard normals, or one Generator per instance in `rngs` (drawn in run_trial's order,
    so both see the same noise)."""
    codes = np.array(codes, dtype=CODE_DTYPE, copy=True)
    if codes.ndim != 3:
        raise ConfigError(f"run_batch: codes have shape {codes.shape}, expected (B, N, N)")
    n_batch, n = codes.shape[0], params.n_neurons
    check_network(decoder, codes, params)
    command = np.asarray(command, dtype=float)
    commands = [check_command(c, params) for c in (command if command.ndim == 3 else [command] * n_batch)]
    if len(commands) != n_batch:
        raise ConfigError(f"run_batch: {len(commands)} commands for {n_batch} instances")
    n_steps = commands[0].shape[1]
    subs = list(substrates) if substrates is not None else [Substrate.ideal(params)] * n_batch
    if len(subs) != n_batch:
        raise ConfigError(f"run_batch: {len(subs)} substrates for {n_batch} instances")
    scale = params.noise_per_step
    if noise is None and scale > 0:
        if rngs is None or len(rngs) != n_batch:
            raise ConfigError("run_batch needs `noise` (B, n_steps, N) or one Generator per instance in `rngs`")
        noise = np.stack([r.standard_normal((n_steps, n)) for r in rngs])
    if noise is not None and np.shape(noise) != (n_batch, n_steps, n):
        raise ConfigError(f"noise has shape {np.shape(noise)}, expected ({n_batch}, {n_steps}, {n})")

    lam, gain, dac, lo, hi, threshold_scale = _stack(subs, params)
    a = 1.0 - lam * params.dt
    rho = params.synapse_decay
    thr = thresholds(decoder, params) * threshold_scale          # (B, N)
    reset = resets(decoder, params) * threshold_scale
    # u[t, b, n]: feed-forward drive plus the noise's step of every step
    u = np.stack([(decoder.T @ c).T for c in commands], axis=1) * params.dt * gain[None]
    if noise is not None and scale > 0:
        u += scale * np.transpose(noise, (1, 0, 2))
    rows = np.arange(n)[None, :]
    settled = params.rule_sample == "settled"

    def column_jumps(b, kk):
        """(len(b), N) jumps of column kk[j] in instance b[j]."""
        c = codes[b, :, kk].astype(np.int64)
        raw = c * params.delta if dac is None else dac[b[:, None], rows, kk[:, None], c - params.code_min]
        return gain[b] * raw

    v = np.zeros((n_batch, n))
    s = np.zeros((n_batch, n))
    v_rec = np.empty((n_steps, n_batch, n)) if record_v else None
    ev_t: list[np.ndarray] = []
    ev_b: list[np.ndarray] = []
    ev_k: list[np.ndarray] = []
    arange_b = np.arange(n_batch)
    for t in range(n_steps):
        v = a * v + u[t] + (1.0 - rho) * s
        s = rho * s
        over = v - thr
        k = over.argmax(axis=1)
        spk = over[arange_b, k] > 0.0
        if spk.any():
            b = np.flatnonzero(spk)
            kk = k[b]
            jump = column_jumps(b, kk)
            if learn:
                before = v[b] + s[b] if settled else v[b]  # v holds V - V_rest
                dec = decide(before, jump, params.gain_g, params.half_band, lo[b, :, kk], hi[b, :, kk])
                if not params.learn_diagonal:
                    dec[np.arange(b.size), kk] = 0
                codes[b, :, kk] = step(codes[b, :, kk], dec, params.code_min, params.code_max)
                jump = column_jumps(b, kk)
            own = jump[np.arange(b.size), kk] - reset[b, kk]
            jump[np.arange(b.size), kk] = 0.0
            if rho > 0.0:
                s[b] += jump
            else:
                v[b] += jump
            v[b, kk] += own
            ev_t.append(np.full(b.size, t))
            ev_b.append(b)
            ev_k.append(kk)
        if record_v:
            v_rec[t] = v
    t_all = np.concatenate(ev_t) if ev_t else np.zeros(0, np.int64)
    b_all = np.concatenate(ev_b) if ev_b else np.zeros(0, np.int64)
    k_all = np.concatenate(ev_k) if ev_k else np.zeros(0, np.int64)
    results = []
    for i in range(n_batch):
        sel = b_all == i
        steps, ids = t_all[sel].astype(np.int64), k_all[sel].astype(np.int64)
        x = target_signal(commands[i], params)
        x_hat = readout(steps, ids, decoder, n_steps, params)
        v_i = None if v_rec is None else v_rec[:, i] + params.v_rest
        results.append(TrialResult(steps, ids, x, x_hat, codes[i].copy(), v_i))
    return results
