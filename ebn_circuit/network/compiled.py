"""Optional compiled inner loop (numba, `pip install ebn_circuit[fast]`).

The same per-step model as `batch.run_batch` for one instance, compiled. `simulate.run_trial`
uses it with engine="numba" (or "auto" when numba imports); the pure NumPy event-driven path
stays the default and the tests check both give the same spike trains and codes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def available() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _kernel_py(u, v, a, thr, jumps, codes, dac, gain, lo, hi, learn, use_dac, g, half, cmin, cmax,
               reset, steps_out, ids_out, v_rec, record_v):
    """One chunk of steps; updates v, codes, jumps in place; returns the number of spikes."""
    n_steps, n = u.shape
    count = 0
    for t in range(n_steps):
        best = -1
        best_over = 0.0
        for i in range(n):
            v[i] = a[i] * v[i] + u[t, i]
            over = v[i] - thr[i]
            if over > best_over:
                best_over = over
                best = i
        if best >= 0:
            k = best
            if learn:
                for i in range(n):
                    x = 2.0 * v[i] + g * jumps[i, k]
                    d = 0
                    if x < lo[i, k] - half:
                        d += 1
                    if x > hi[i, k] + half:
                        d -= 1
                    if d != 0:
                        c = min(max(codes[i, k] + d, cmin), cmax)
                        codes[i, k] = c
                        if use_dac:
                            jumps[i, k] = gain[i] * dac[i, k, c - cmin]
                        else:
                            jumps[i, k] = gain[i] * c * dac[0, 0, 0]
            for i in range(n):
                v[i] += jumps[i, k]
            v[k] -= reset
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

    return numba.njit(cache=True, nogil=True)(_kernel_py)


def dac_argument(sub, params):
    """(use_dac, dac array): a linear DAC passes δ in dac[0, 0, 0]."""
    if sub.dac is None:
        return False, np.full((1, 1, 1), params.delta)
    return True, np.ascontiguousarray(sub.dac)
