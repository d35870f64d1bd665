"""Fitting the learning block's bounds to observed decisions: the candidates, from the nominal rule
to free offsets, gain and sampling lead, each fitted by exact search (no gradients: the loss is the
count of mispredicted pulses).

A candidate's parameters, all relative to the nominal rule (SCIENCE.md §3):

    I_lower = I_rest − (g/2)·I_Ω − I_SL + offset_lower,   I_upper = I_rest − (g/2)·I_Ω + I_SL + offset_upper

Where the data leave a parameter free (every value in an interval predicts the same decisions),
the fit stays as close to the nominal rule as the data allow: offset 0 if 0 is optimal, else the
middle of the nearest optimal interval; g nearest to 1. So a candidate never moves away from the
nominal rule without a pulse that asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ebn_circuit.rule import DEC, INC, classify

GAINS = tuple(np.round(np.arange(0.0, 3.0001, 0.05), 2))   # g searched by the gain candidates
GAIN_RANGE = (0.0, 3.0)
OFFSET_LIMIT = 1e-9                                         # A: |offset| beyond a band's scale is not a fit
LEADS = (0.0, 50e-6, 100e-6, 200e-6, 500e-6)               # s, searched by the lead candidate
# name → (free parameters, searches g, searches the lead), simplest first
CANDIDATES = {"nominal": (0, False, False), "shift": (1, False, False), "offsets": (2, False, False),
              "offsets+gain": (3, True, False), "offsets+gain+lead": (4, True, True)}


@dataclass(frozen=True)
class Pulses:
    """What the fit sees of each usable pulse: I_before (A) sampled ``lead`` s before the onset
    (``before[lead]``; lead 0 always present), I_Ω (A) and the circuit's decision (+1/0/−1)."""

    before: dict
    i_omega: np.ndarray
    decision: np.ndarray

    def __len__(self) -> int:
        return int(self.decision.size)

    def take(self, rows) -> "Pulses":
        return Pulses({lead: x[rows] for lead, x in self.before.items()}, self.i_omega[rows], self.decision[rows])


@dataclass(frozen=True)
class BoundParams:
    """A fitted candidate: g, the two offsets (A) and the lead (s)."""

    gain: float = 1.0
    offset_lower: float = 0.0
    offset_upper: float = 0.0
    lead: float = 0.0

    def bounds(self, i_omega, i_rest: float, i_sl: float) -> tuple[np.ndarray, np.ndarray]:
        centre = i_rest - self.gain / 2 * np.asarray(i_omega, dtype=float)
        return centre - i_sl + self.offset_lower, centre + i_sl + self.offset_upper

    def decide(self, pulses: Pulses, i_rest: float, i_sl: float) -> np.ndarray:
        return classify(pulses.before[self.lead], *self.bounds(pulses.i_omega, i_rest, i_sl))

    def agreement(self, pulses: Pulses, i_rest: float, i_sl: float) -> float:
        return float(np.mean(self.decide(pulses, i_rest, i_sl) == pulses.decision)) if len(pulses) else float("nan")


def optimal_cuts(x: np.ndarray, positive: np.ndarray, below: bool, rng: np.random.Generator | None = None,
                 limit: float = OFFSET_LIMIT) -> np.ndarray:
    """Per row of ``x`` (shape (rows, n); one row per trial g), a cut t that calls ``positive``
    as (x < t if below else x > t) with the fewest errors. Without ``rng``: among all such cuts the
    one closest to 0 — 0 itself if optimal, else the middle of the nearest optimal gap between
    sorted samples (or just past the outermost sample). With ``rng``: a cut drawn uniformly from a
    random optimal gap, clipped to ±``limit`` (how a bootstrap sees a bound the data leave free)."""
    rows, n = x.shape
    if n == 0:
        return np.zeros(rows) if rng is None else rng.uniform(-limit, limit, rows)
    order = np.argsort(x, axis=1, kind="stable")
    xs, pos = np.take_along_axis(x, order, axis=1), positive[order]
    zeros = np.zeros((rows, 1), dtype=int)
    pos_below = np.hstack([zeros, np.cumsum(pos, axis=1)])    # k samples lie below a cut in gap k
    neg_below = np.hstack([zeros, np.cumsum(~pos, axis=1)])
    if below:   # errors: positives above the cut + negatives below it
        errors = (pos_below[:, -1:] - pos_below) + neg_below
    else:
        errors = pos_below + (neg_below[:, -1:] - neg_below)
    optimal = errors == errors.min(axis=1, keepdims=True)
    lo = np.hstack([np.full((rows, 1), -np.inf), xs])        # gap k spans (xs[k−1], xs[k])
    hi = np.hstack([xs, np.full((rows, 1), np.inf)])

    def pick(k):   # the ends of gap k[r] in each row r
        return np.take_along_axis(lo, k[:, None], 1)[:, 0], np.take_along_axis(hi, k[:, None], 1)[:, 0]

    if rng is not None:
        a, b = pick(np.argmax(np.where(optimal, rng.random(optimal.shape), -1.0), axis=1))
        a, b = np.maximum(a, -limit), np.minimum(b, limit)
        return np.where(a < b, a + (b - a) * rng.random(rows), np.clip(np.where(np.isfinite(a), a, b), -limit, limit))
    distance = np.where(optimal, np.where(hi < 0, -hi, np.maximum(lo, 0.0)), np.inf)   # 0: the gap holds 0
    a, b = pick(np.argmin(distance, axis=1))
    spacing = np.median(np.diff(xs, axis=1), axis=1) if n > 1 else np.full(rows, 1e-12)
    middle = np.where(np.isfinite(a) & np.isfinite(b), 0.5 * (a + b),
                      np.where(np.isfinite(b), b - 0.5 * spacing, a + 0.5 * spacing))
    return np.where((a < 0) & (0 <= b), 0.0, middle)


def _fit_offsets(x, i_omega, decision, gains, i_rest, i_sl, shared: bool, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """The two offsets (A) per trial g that mispredict the fewest decisions."""
    gains = np.asarray(gains, dtype=float)[:, None]
    centre = i_rest - gains / 2 * i_omega[None, :]
    lower, upper = centre - i_sl, centre + i_sl
    if not shared:
        low = optimal_cuts(x[None, :] - lower, decision == INC, below=True, rng=rng)
        high = optimal_cuts(x[None, :] - upper, decision == DEC, below=False, rng=rng)
        crossed = np.any(lower + low[:, None] > upper + high[:, None], axis=1)   # crossed bounds: meet in the middle
        middle = 0.5 * (low + high)
        return np.where(crossed, middle, low), np.where(crossed, middle, high)
    # one shift c of both bounds (g = 1): errors change only where c passes a pulse's distance to a bound
    lower, upper = lower[0], upper[0]
    edges = np.unique(np.concatenate([x - lower, x - upper, [-OFFSET_LIMIT, OFFSET_LIMIT]]))
    edges = edges[(edges >= -OFFSET_LIMIT) & (edges <= OFFSET_LIMIT)]
    mids = 0.5 * (edges[1:] + edges[:-1])
    errors = np.sum(classify(x[None, :], lower + mids[:, None], upper + mids[:, None]) != decision, axis=1)
    best = np.flatnonzero(errors == errors.min())
    if rng is not None:
        k = int(rng.choice(best))
        c = float(rng.uniform(edges[k], edges[k + 1]))
    elif np.any((edges[best] <= 0) & (edges[best + 1] >= 0)):
        c = 0.0
    else:
        c = float(mids[best[np.argmin(np.abs(mids[best]))]])
    return np.array([c]), np.array([c])


def fit_candidate(name: str, pulses: Pulses, i_rest: float, i_sl: float,
                  rng: np.random.Generator | None = None) -> BoundParams:
    """Fit one candidate of ``CANDIDATES`` to the pulses (fewest mispredicted decisions). Ties:
    closest to the nominal rule (g = 1, no lead, offsets 0), or at random with ``rng``."""
    n_free, search_gain, search_lead = CANDIDATES[name]
    if n_free == 0 or len(pulses) == 0:
        return BoundParams()
    leads = [lead for lead in LEADS if lead in pulses.before] if search_lead else [0.0]
    gains = np.array(GAINS if search_gain else (1.0,))
    fits = []
    for lead in leads:
        x = pulses.before[lead]
        lows, highs = _fit_offsets(x, pulses.i_omega, pulses.decision, gains, i_rest, i_sl, n_free == 1, rng)
        centre = i_rest - gains[:, None] / 2 * pulses.i_omega[None, :]
        predicted = classify(x[None, :], centre - i_sl + lows[:, None], centre + i_sl + highs[:, None])
        scores = np.mean(predicted == pulses.decision[None, :], axis=1)
        fits += [(score, BoundParams(float(g), float(lo), float(hi), float(lead)))
                 for score, g, lo, hi in zip(scores, gains, lows, highs)]
    top = max(score for score, _ in fits)
    tied = [params for score, params in fits if score >= top - 1e-12]
    if rng is not None:
        return tied[int(rng.integers(len(tied)))]
    return min(tied, key=lambda p: (abs(p.gain - 1.0), p.lead))
