"""When the learning loop settles: a discrete model of the closed loop of the IC experiments, its
stability conditions, the model's parameters measured on the circuit, and the comparison with the
transistor-level runs (docs/ic.md, "Loop stability").

Per presynaptic pulse k (period T): the learning block sees I_before y_k and the code c_k, decides

    e_k = y_k + r·ω·c_k − I_rest;   INC if e_k < −I_SL,  DEC if e_k > I_SL,  else SL;  c_{k+1} = c_k + d_k

and the neuron, a first-order lag behind the synapse, moves towards the steady state of the code
the pulse used:

    y_{k+1} = a·y_k + (1 − a)·(y_0 + G·c_k),   a = exp(−T/τ)

G: the steady-state change of I_mem per code (the synapse's weight unit × the neuron's gain), τ the
neuron's time constant, ω the jump per pulse and code that the learning block's replica uses (≈
G·(1 − a)), y_0 I_mem at code 0 under the drive. Two conditions follow (derivation in docs/ic.md):

- resolution: some code must have its steady state inside the band: G + r·ω ≤ 2·I_SL;
- no overshoot: walking into the band one code per pulse, the neuron lags the code by G/(1 − a);
  after the first SL it keeps moving by that much. From any phase of the approach it stays inside
  when G·(2 − a)/(1 − a) + r·ω ≤ 2·I_SL.

The first is necessary, the second sufficient. Between them the loop overshoots and comes back;
whether it then settles within the run, or cycles, ``settle_map`` finds by iterating the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ebn_circuit.rule import DEC, INC, SL


@dataclass(frozen=True)
class LoopModel:
    """The loop's parameters (A, per-period decay a), the learning block's I_rest, I_SL, r."""

    g: float
    a: float
    omega: float
    i_rest: float = 9e-9
    i_sl: float = 0.3e-9
    r: float = 0.5
    code_range: tuple[int, int] = (-32, 31)

    @property
    def resolution(self) -> float:
        """(G + r·ω) / 2·I_SL: above 1 no code settles inside the band."""
        return (self.g + self.r * self.omega) / (2 * self.i_sl)

    @property
    def overshoot(self) -> float:
        """(G·(2 − a)/(1 − a) + r·ω) / 2·I_SL: up to 1 the loop never leaves the band it entered."""
        return (self.g * (2 - self.a) / (1 - self.a) + self.r * self.omega) / (2 * self.i_sl)

    def run(self, y0: float, c0: int, pulses: int, y_start: float = 0.0) -> pd.DataFrame:
        """Iterate the loop: per pulse I_before, code before, decision."""
        lo, hi = self.code_range
        y, c, rows = y_start, c0, []
        for k in range(pulses):
            e = y + self.r * self.omega * c - self.i_rest
            d = INC if e < -self.i_sl else DEC if e > self.i_sl else SL
            rows.append((k, y, c, d))
            y = self.a * y + (1 - self.a) * (y0 + self.g * c)
            c = min(hi, max(lo, c + d))
        return pd.DataFrame(rows, columns=["pulse", "i_before", "code_before", "decision"])


def settled_at(decisions, min_tail: int = 10) -> int | None:
    """Index of the first pulse from which only SL follows, if at least ``min_tail`` of them."""
    d = np.asarray(decisions)
    moving = np.flatnonzero(d != SL)
    start = 0 if moving.size == 0 else int(moving[-1] + 1)
    return start if d.size - start >= min_tail else None


def limit_cycle(decisions, window: int = 200) -> bool:
    """The last ``window`` pulses keep stepping (both directions): a cycle, not a slow approach."""
    tail = np.asarray(decisions)[-window:]
    return bool((tail == INC).any() and (tail == DEC).any())


def settle_map(g_over_band: np.ndarray, taus: np.ndarray, period: float = 5e-3, i_sl: float = 0.3e-9,
               drives: np.ndarray | None = None, pulses: int = 100, long: int = 2000, c0: int = 8) -> pd.DataFrame:
    """For each (G / 2·I_SL, τ): over drives (y_0 spread so that the settling code sweeps the range),
    the fraction of starts (I_mem from 0, code c0) that settle within ``pulses`` and the fraction that
    end in a limit cycle after ``long`` pulses; with ω = G·(1 − a), r = 1/2."""
    rows = []
    for tau in taus:
        a = float(np.exp(-period / tau))
        for ratio in g_over_band:
            g = ratio * 2 * i_sl
            model = LoopModel(g=g, a=a, omega=g * (1 - a), i_sl=i_sl)
            lo, hi = model.code_range
            y0s = drives if drives is not None else model.i_rest - (g + model.r * model.omega) * np.linspace(
                lo + 4, hi - 4, 41)
            settled = cycles = 0
            for y0 in y0s:
                settled += settled_at(model.run(y0, c0, pulses)["decision"]) is not None
                cycles += limit_cycle(model.run(y0, c0, long)["decision"])
            rows.append({"tau": tau, "a": a, "g_over_band": ratio, "resolution": model.resolution,
                         "overshoot": model.overshoot, "settled": settled / len(y0s), "limit_cycles": cycles / len(y0s)})
    return pd.DataFrame(rows)


def fit_loop(table: pd.DataFrame, skip: int = 20) -> dict:
    """The loop model's a and G measured on a run's pulse table (columns i_before, code_before):
    least squares of I_before(k+1) = a·I_before(k) + b + (1 − a)·G·code(k) over the pulses after
    the first ``skip`` (the start-up transient). Returns a, G (A per code), the per-pulse time
    constant τ/T = −1/ln a, and the fit's rms residual (A)."""
    y = table["i_before"].to_numpy(dtype=float)
    code = table["code_before"].to_numpy(dtype=float)
    if len(y) < skip + 5:
        raise ValueError(f"fit_loop: {len(y)} pulses, need at least {skip + 5}")
    rows = np.column_stack([y[skip:-1], np.ones(len(y) - skip - 1), code[skip:-1]])
    coef = np.linalg.lstsq(rows, y[skip + 1:], rcond=None)[0]
    a, slope = float(coef[0]), float(coef[2])
    rms = float(np.sqrt(np.mean((rows @ coef - y[skip + 1:]) ** 2)))
    return {"a": a, "g": slope / (1 - a), "tau_periods": float(-1 / np.log(a)) if 0 < a < 1 else float("nan"),
            "rms": rms}
