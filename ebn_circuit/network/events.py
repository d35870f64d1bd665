"""The event-driven NumPy loop of `simulate.run_trial`: Python runs once per spike.

Between spikes everything is linear. The potential is v = f + e: f, the spike-free part, is
a linear filter of the input computed for a whole chunk of steps at once (scipy lfilter);
e, the spikes' part, and s, the charge still to arrive through the fast synapse, evolve as

    e_t = a·e_{t-1} + (1-ρ)·s_{t-1},   s_t = ρ·s_{t-1}
    ⇒ e_{t+j} = a^j·e_t + c_j·s_t,   c_j = (1-ρ)·(a^j - ρ^j)/(a - ρ),   s_{t+j} = ρ^j·s_t

so a block of steps is scanned for the first threshold crossing with a few array operations.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from ebn_circuit.rule import decide

FIRST_BLOCK = 64  # steps scanned after a spike; array overhead dominates below a few thousand cells


def free_run(u: np.ndarray, a: np.ndarray, f_prev: np.ndarray) -> np.ndarray:
    """f_t = a·f_{t-1} + u_t along axis 0, per-neuron a, from f_{-1} = f_prev."""
    if np.all(a == a[0]):
        return lfilter([1.0], [1.0, -a[0]], u, axis=0, zi=(a[0] * f_prev)[None, :])[0]
    out = np.empty_like(u)
    for i in range(u.shape[1]):
        out[:, i] = lfilter([1.0], [1.0, -a[i]], u[:, i], zi=[a[i] * f_prev[i]])[0]
    return out


def _propagators(a: np.ndarray, rho: float, max_block: int):
    """Rows j for j = 0 … max_block: a^j, c_j (per neuron, or one column when every neuron
    has the same leak) and ρ^j."""
    a = a[:1] if np.all(a == a[0]) else a
    j = np.arange(max_block + 1)[:, None]
    a_pow = a[None, :] ** j
    rho_pow = rho ** j[:, 0]
    if rho == 0.0:
        return a_pow, None, rho_pow
    diff = a - rho
    same = np.abs(diff) < 1e-12  # a = ρ: the limit j·a^(j-1)
    safe = np.where(same, 1.0, diff)
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = np.where(same[None, :], j * a[None, :] ** np.maximum(j - 1, 0),
                         (a_pow - rho_pow[:, None]) / safe[None, :])
    return a_pow, (1.0 - rho) * cross, rho_pow


def _spikes_part(imp_e, imp_s, a, rho, e_start, s_start):
    """The spikes' part of v over one chunk from its impulses (for recording v)."""
    if rho == 0.0:
        return free_run(imp_e, a, e_start)
    s = lfilter([1.0], [1.0, -rho], imp_s, axis=0, zi=(rho * s_start)[None, :])[0]
    delivered = (1.0 - rho) * np.vstack([s_start[None, :], s[:-1]])
    return free_run(delivered + imp_e, a, e_start)


def run_events(chunks, params, sub, codes, thr, reset, a, learn, v_rec, max_block):
    """Spike steps and neurons of one trial; codes (and v_rec) are updated in place."""
    n = a.size
    rho = params.synapse_decay
    a_pow, cross, rho_pow = _propagators(a, rho, max_block)
    g, half = params.gain_g, params.half_band
    cmin, cmax = params.code_min, params.code_max
    settled = params.rule_sample == "settled"
    learn_diagonal = params.learn_diagonal
    lo, hi = sub.bound_lo, sub.bound_hi
    column = _column_jumps(sub, params)
    spikes_t: list[int] = []
    spikes_k: list[int] = []
    f_prev = np.zeros(n)  # spike-free part of v at the previous step
    e = np.zeros(n)  # spikes' part of v at the previous step
    s = np.zeros(n)  # charge still to arrive through the fast synapse
    for t0, u in chunks:
        c_len = u.shape[0]
        f = free_run(u, a, f_prev)
        f_prev = f[-1].copy()
        f_over = f - thr
        e_start, s_start = e.copy(), s.copy()
        imp_e = np.zeros((c_len, n)) if v_rec is not None else None
        imp_s = np.zeros((c_len, n)) if v_rec is not None and rho > 0 else None
        # e, s hold the state at step `base` - 1; step pos + i is (pos + i + 1 - base) steps on
        pos, block, base = 0, FIRST_BLOCK, 0
        while pos < c_len:
            m = min(block, c_len - pos)
            lag = pos - base
            if lag + m > max_block:  # move the reference step up to pos
                e = a_pow[lag] * e + (cross[lag] * s if cross is not None else 0.0)
                s = rho_pow[lag] * s
                base, lag = pos, 0
            over = f_over[pos : pos + m] + a_pow[lag + 1 : lag + m + 1] * e
            if cross is not None:
                over += cross[lag + 1 : lag + m + 1] * s
            first = int((over > 0.0).argmax())  # row-major: the first step with a crossing
            i = first // n
            if over.flat[first] <= 0.0:
                pos += m
                block = min(2 * block, max_block)
                continue
            # state at step pos + i
            steps = lag + i + 1
            e = a_pow[steps] * e
            if cross is not None:
                e += cross[steps] * s
                s = rho_pow[steps] * s
            k = int(over[i].argmax())
            jump = column(codes, k)
            if learn:
                before = f[pos + i] + e
                if settled:
                    before += s
                dec = decide(before, jump, g, half, 0.0 if lo is None else lo[:, k], 0.0 if hi is None else hi[:, k])
                if not learn_diagonal:
                    dec[k] = 0
                if dec.any():  # rule.step, with minimum/maximum: np.clip costs ~3 µs a spike
                    codes[:, k] = np.minimum(np.maximum(codes[:, k] + dec, cmin), cmax)
                    jump = column(codes, k)
            own = jump[k] - reset[k]
            jump[k] = 0.0
            if rho > 0.0:
                s += jump
            else:
                e += jump
            e[k] += own
            spikes_t.append(t0 + pos + i)
            spikes_k.append(k)
            if v_rec is not None:
                (imp_s if rho > 0.0 else imp_e)[pos + i] += jump
                imp_e[pos + i, k] += own
            pos += i + 1
            base = pos
            block = FIRST_BLOCK
        if base < c_len:  # the state at the chunk's last step
            lag = c_len - base
            e = a_pow[lag] * e + (cross[lag] * s if cross is not None else 0.0)
            s = rho_pow[lag] * s
        if v_rec is not None:
            v_rec[t0 : t0 + c_len] = f + _spikes_part(imp_e, imp_s, a, rho, e_start, s_start)
    return spikes_t, spikes_k


def _column_jumps(sub, params):
    """column(codes, k) → jumps of column k; Substrate.jump_column's arithmetic, fewer calls."""
    gain, delta, cmin = sub.gain, params.delta, params.code_min
    if sub.dac is None:
        return lambda codes, k: gain * (codes[:, k] * delta)
    rows = np.arange(sub.n_neurons)
    return lambda codes, k: gain * sub.dac[rows, k, codes[:, k].astype(np.int64) - cmin]
