"""Optional compiled step loop (numba, `pip install ebn_circuit[fast]`).

The per-step model of `batch.run_batch` for one instance, compiled; `simulate.run_trial`
uses it with engine="numba" (or "auto" when numba imports). The learning decision and
the counter are `ebn_circuit.rule.decide_one` and `step_one`, compiled as they stand, so the
rule has one definition. The
membrane noise is drawn inside the loop from the caller's numpy Generator (numba's Generator
gives numpy's stream, row by row, and is ~3× faster than drawing an array), so both engines
see the same noise and leave the Generator in the same state. Tests check that both engines
give the same spike trains and codes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ebn_circuit.rule import decide_one, step_one

# replaced by their compiled forms in kernel(), before the loop is compiled
_decide_one = decide_one
_step_one = step_one


def available() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _jump(i, k, c, gain, dac, use_dac, delta, cmin):
    """Membrane jump of synapse (i, k) at code c (same arithmetic as Substrate.jump_column)."""
    if use_dac:
        return gain[i] * dac[i, k, c - cmin]
    return gain[i] * (c * delta)


def _kernel_py(drive, noise, rng, noise_mode, noise_scale, v, s, a, rho, thr, reset, codes, dac, use_dac, delta,
               gain, lo, hi, use_offsets, learn, learn_diag, settled, g, half, cmin, cmax,
               steps_out, ids_out, v_rec, record_v):
    """One chunk of steps. v (potential − rest) and s (charge still to arrive through the fast
    synapse) and codes are updated in place; returns the number of spikes. noise_mode: 0 no
    noise, 1 drawn from rng, 2 read from the noise array (standard normals)."""
    n_steps, n = drive.shape
    count = 0
    for t in range(n_steps):
        best = -1
        best_over = 0.0
        for i in range(n):
            u = drive[t, i]
            if noise_mode == 1:
                u += noise_scale * rng.standard_normal()
            elif noise_mode == 2:
                u += noise_scale * noise[t, i]
            v[i] = a[i] * v[i] + u + (1.0 - rho) * s[i]
            s[i] *= rho
            over = v[i] - thr[i]
            if over > best_over:
                best_over = over
                best = i
        if best >= 0:
            k = best
            if learn:
                for i in range(n):
                    if i == k and not learn_diag:
                        continue
                    c = codes[i, k]
                    before = v[i] + s[i] if settled else v[i]
                    lo_ik = lo[i, k] if use_offsets else 0.0
                    hi_ik = hi[i, k] if use_offsets else 0.0
                    d = _decide_one(before, _jump(i, k, c, gain, dac, use_dac, delta, cmin), g, half, lo_ik, hi_ik)
                    if d != 0:
                        codes[i, k] = _step_one(c, d, cmin, cmax)
            for i in range(n):
                jump = _jump(i, k, codes[i, k], gain, dac, use_dac, delta, cmin)
                if i == k:
                    v[i] += jump - reset[i]
                elif rho > 0.0:
                    s[i] += jump
                else:
                    v[i] += jump
            steps_out[count] = t
            ids_out[count] = k
            count += 1
        if record_v:
            for i in range(n):
                v_rec[t, i] = v[i]
    return count


@lru_cache(maxsize=1)  # one dispatcher per process: re-wrapping would reload it every trial
def kernel():
    """The compiled kernel (compiled on first use, cached on disk)."""
    import numba

    global _decide_one, _step_one, _jump
    _decide_one = numba.njit(inline="always")(decide_one)
    _step_one = numba.njit(inline="always")(step_one)
    _jump = numba.njit(inline="always")(_jump)
    return numba.njit(cache=True, nogil=True)(_kernel_py)


def dac_argument(sub):
    """(use_dac, dac array) for the kernel; a linear DAC passes a dummy."""
    if sub.dac is None:
        return False, np.zeros((1, 1, 1))
    return True, np.ascontiguousarray(sub.dac)
