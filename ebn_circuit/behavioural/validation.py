"""What every behavioural fitter shares: blocked cross-validation, the one-standard-error choice
among nested candidates, block-bootstrap and sandwich intervals, identifiability flags, and the
operating range a model was fitted on (with a warning, once per model and quantity, outside it).

Why blocked: neighbouring pulses (or samples of one transient) are correlated, so a random split
scores a model on near-copies of its training data. A fold here is a contiguous block of items
(pulses in time order, whole transients, runs of codes); the score of a fold is the model's score
on items it was not fitted on.

The one-standard-error rule (Hastie, Tibshirani & Friedman, ESL §7.10): among candidates ordered
from simplest to most complex, take the simplest whose cross-validated score lies within one
standard error (over folds) of the best one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ebn_circuit.errors import ConfigError

__all__ = ["Candidate", "ExtrapolationWarning", "OperatingRange", "blocked_folds", "block_bootstrap",
           "cross_validate", "engineering", "group_folds", "interval_row", "one_standard_error_choice",
           "sandwich_sigma"]

# how an SI quantity prints in messages: unit → (scale, printed unit)
PRINTED = {"A": (1e9, "nA"), "A/code": (1e9, "nA/code"), "s": (1e6, "µs"), "Hz": (1.0, "Hz")}


def engineering(value, unit: str = "") -> str:
    """An SI number as printed: currents in nA, times in µs, four significant digits."""
    scale, shown = PRINTED.get(unit, (1.0, unit))
    try:
        return f"{float(value) * scale:.4g} {shown}".rstrip()
    except (TypeError, ValueError):
        return str(value)


class ExtrapolationWarning(UserWarning):
    """A model was asked about inputs outside the operating range it was fitted on."""


# --- folds -----------------------------------------------------------------------------------

def blocked_folds(n: int, k: int) -> list[np.ndarray]:
    """Indices 0…n−1 cut into k contiguous blocks of (nearly) equal size."""
    if n < 2 or k < 2:
        raise ConfigError(f"blocked_folds: need at least 2 items and 2 folds, got {n} items, {k} folds")
    return [block for block in np.array_split(np.arange(n), min(k, n)) if block.size]


def group_folds(groups: Sequence, k: int) -> list[np.ndarray]:
    """Folds that keep each group (a transient, a code, an instance) whole: the distinct groups in
    order of first appearance, cut into k contiguous runs; returns item indices per fold."""
    labels = pd.Series(list(groups))
    order = list(dict.fromkeys(labels))
    if len(order) < 2:
        raise ConfigError(f"group_folds: need at least 2 groups to hold one out, got {len(order)}")
    position = labels.map({g: i for i, g in enumerate(order)}).to_numpy()
    parts = np.array_split(np.arange(len(order)), min(k, len(order)))
    return [np.flatnonzero(np.isin(position, part)) for part in parts]


# --- candidates and the one-standard-error choice ---------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """One model choice: a name, its number of free parameters (the order of simplicity) and the
    fitter, ``fit(train_indices) -> model``."""

    name: str
    n_free: int
    fit: Callable


def cross_validate(candidates: Sequence[Candidate], folds: Sequence[np.ndarray], n: int,
                   score: Callable[[object, np.ndarray], float],
                   weight: Callable[[np.ndarray], float] | None = None, proportion: bool = False) -> pd.DataFrame:
    """Each candidate fitted on all folds but one and scored on that one (higher is better).
    Returns one row per candidate: name, n_free, cv_score (fold scores averaged with ``weight``,
    default the fold's size), cv_se (standard error over folds), fold_scores. ``proportion``: the
    score is a fraction of n items right; its standard error is then at least the binomial one
    with one added success and failure (folds that are all right do not make it zero)."""
    rows = []
    for candidate in candidates:
        scores, weights = [], []
        for held in folds:
            train = np.setdiff1d(np.arange(n), held)
            scores.append(float(score(candidate.fit(train), held)))
            weights.append(float(weight(held)) if weight else float(held.size))
        scores, weights = np.array(scores), np.array(weights)
        finite = np.isfinite(scores)
        mean = float(np.average(scores[finite], weights=weights[finite])) if finite.any() else float("nan")
        se = float(np.std(scores[finite], ddof=1) / np.sqrt(finite.sum())) if finite.sum() > 1 else float("nan")
        if proportion and np.isfinite(mean):
            smoothed = (mean * n + 1) / (n + 2)
            se = max(se if np.isfinite(se) else 0.0, float(np.sqrt(smoothed * (1 - smoothed) / n)))
        rows.append({"candidate": candidate.name, "n_free": candidate.n_free, "cv_score": mean, "cv_se": se,
                     "fold_scores": scores.tolist()})
    return pd.DataFrame(rows)


def one_standard_error_choice(table: pd.DataFrame) -> str:
    """The simplest candidate (fewest free parameters, then listed first) whose cv_score is within
    one standard error of the best cv_score (higher is better)."""
    usable = table[np.isfinite(table["cv_score"])]
    if usable.empty:
        raise ConfigError("one_standard_error_choice: no candidate has a finite cross-validated score")
    best = usable.loc[usable["cv_score"].idxmax()]
    threshold = best["cv_score"] - (best["cv_se"] if np.isfinite(best["cv_se"]) else 0.0)
    within = usable[usable["cv_score"] >= threshold - 1e-12]
    return str(within.sort_values("n_free", kind="stable").iloc[0]["candidate"])


# --- uncertainty -----------------------------------------------------------------------------

def block_bootstrap(n: int, block: int, resamples: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Moving-block bootstrap (Künsch 1989): each resample joins random contiguous blocks of
    ``block`` items until it holds n; keeps the correlation within a block."""
    block = int(np.clip(block, 1, n))
    starts = rng.integers(0, n - block + 1, size=(resamples, -(-n // block)))
    return [np.concatenate([np.arange(s, s + block) for s in row])[:n] for row in starts]


def sandwich_sigma(jacobian: np.ndarray, residuals: np.ndarray, clusters: Sequence) -> np.ndarray:
    """1σ of least-squares parameters with residuals correlated within clusters (each transient a
    cluster): (JᵀJ)⁻¹·(Σ_c J_cᵀ r_c r_cᵀ J_c)·(JᵀJ)⁻¹, scaled by G/(G − 1) for G clusters. Valid
    where the model is locally linear; with few clusters it is itself uncertain."""
    jacobian, residuals = np.asarray(jacobian, dtype=float), np.asarray(residuals, dtype=float)
    labels = np.asarray(list(clusters))
    scale = np.linalg.norm(jacobian, axis=0)           # equilibrate columns of very different size
    scale[scale == 0] = 1.0
    bread = np.linalg.pinv((jacobian / scale).T @ (jacobian / scale)) / np.outer(scale, scale)
    meat = np.zeros_like(bread)
    names = list(dict.fromkeys(labels.tolist()))
    for name in names:
        rows = labels == name
        score = jacobian[rows].T @ residuals[rows]
        meat += np.outer(score, score)
    g = len(names)
    covariance = bread @ meat @ bread * (g / (g - 1) if g > 1 else 1.0)
    return np.sqrt(np.clip(np.diag(covariance), 0.0, None))


def interval_row(name: str, value: float, samples=None, low: float | None = None, high: float | None = None,
                 allowed: tuple[float, float] | None = None, unit: str = "", level: float = 0.95,
                 reason: str = "", fixed: str = "", too_wide: float | None = None) -> dict:
    """One row of a parameter table: value, the ``level`` interval (percentiles of bootstrap
    ``samples``, or ``low``/``high`` given), and whether the data identify it (``identified``:
    True, False, or None for a parameter ``fixed`` by the model's form). Unidentified: the interval
    covers at least half of the parameter's ``allowed`` range or reaches one of its ends, is wider
    than ``too_wide`` (same unit), or ``reason`` says why."""
    if samples is not None:
        samples = np.asarray(samples, dtype=float)
        samples = samples[np.isfinite(samples)]
        tail = 100 * (1 - level) / 2
        low, high = (np.percentile(samples, [tail, 100 - tail]) if samples.size else (np.nan, np.nan))
    low = float("nan") if low is None else float(low)
    high = float("nan") if high is None else float(high)
    if fixed:
        return {"parameter": name, "value": float(value), "low": low, "high": high, "unit": unit,
                "identified": None, "note": fixed}
    flag = reason
    if not flag and allowed is not None and np.isfinite(low) and np.isfinite(high):
        span = allowed[1] - allowed[0]
        touches = low <= allowed[0] + 1e-6 * span or high >= allowed[1] - 1e-6 * span
        if high - low >= 0.5 * span:
            flag = "interval covers half its allowed range or more"
        elif touches:
            flag = "interval reaches a limit of its allowed range: the data do not bound it"
    if not flag and too_wide is not None and high - low > too_wide:
        flag = f"interval wider than {engineering(too_wide, unit)}"
    return {"parameter": name, "value": float(value), "low": low, "high": high, "unit": unit,
            "identified": not flag, "note": flag}


# --- operating range -------------------------------------------------------------------------

@dataclass(frozen=True)
class OperatingRange:
    """The inputs a model was fitted on: ``spans`` name → (min, max) in SI units, ``labels`` name →
    the categories seen (corners, instances). ``check`` warns once per quantity and model."""

    spans: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)
    _warned: set = field(default_factory=set, compare=False, repr=False)

    def outside(self, name: str, values, slack: float = 0.0) -> str:
        """'' if every value lies within the fitted span (± ``slack``, same unit) or, for a label
        quantity, among the categories seen; else a description of what lies outside."""
        if name in self.labels:
            seen = set(self.labels[name])
            unseen = sorted({str(v) for v in np.atleast_1d(values)} - seen)
            return f"{', '.join(unseen)} (fitted: {', '.join(sorted(seen)) or 'none'})" if unseen else ""
        if name not in self.spans:
            return ""
        lo, hi = self.spans[name]
        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values)]
        if values.size and (np.any(values < lo - slack) or np.any(values > hi + slack)):
            unit = self.units.get(name, "")
            show = lambda v: engineering(v, unit)  # noqa: E731
            return f"{show(values.min())} … {show(values.max())} (fitted: {show(lo)} … {show(hi)})"
        return ""

    def check(self, name: str, values, model: str = "model", slack: float = 0.0) -> bool:
        """True (and an ``ExtrapolationWarning``, the first time for ``name``) if ``outside``."""
        what = self.outside(name, values, slack)
        if what and name not in self._warned:
            self._warned.add(name)
            warnings.warn(f"{model}: {name} {what} lies outside the operating range it was fitted on; "
                          "the prediction extrapolates", ExtrapolationWarning, stacklevel=4)
        return bool(what)

    def to_dict(self) -> dict:
        return {"spans": {k: [float(a), float(b)] for k, (a, b) in self.spans.items()},
                "labels": {k: list(v) for k, v in self.labels.items()}, "units": dict(self.units)}

    @classmethod
    def from_dict(cls, data: Mapping) -> "OperatingRange":
        try:
            spans = {str(k): (float(v[0]), float(v[1])) for k, v in dict(data.get("spans", {})).items()}
            labels = {str(k): tuple(str(x) for x in v) for k, v in dict(data.get("labels", {})).items()}
            units = {str(k): str(v) for k, v in dict(data.get("units", {})).items()}
        except (TypeError, ValueError, IndexError, AttributeError) as exc:
            raise ConfigError(f"operating range: expected spans name → [min, max] and labels name → [...] ({exc})") \
                from None
        return cls(spans, labels, units)
