"""The learning-block model fitted to bounds measured per code and instance (``extract.learning_block``).

Two linear least-squares fits, both on the instance (an intercept each) and on I_Ω = code·ω:

    midpoint_i(code)   = I_rest + δ_i − ((g + Δg_i)/2)·I_Ω
    half-width_i(code) = I_SL + ε_i + (k + Δk_i)·I_Ω

Candidates, simplest first: one g and k = 0; one g and one k; each instance its own g and k. With
three or more codes they are scored by leave-one-code-out cross-validation (RMS error of the
held-out code's two bounds) and the simplest within one standard error of the best is chosen.
Intervals: ordinary least squares (the model is linear, so the Jacobian's covariance is exact up to
the residuals' independence), 95 % with Student's t on the residual degrees of freedom.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ebn_circuit.behavioural.decision_fit import GAIN_RANGE
from ebn_circuit.behavioural.validation import (Candidate, OperatingRange, cross_validate, group_folds,
                                                interval_row, one_standard_error_choice)
from ebn_circuit.errors import ConfigError

NOMINAL_INSTANCE = "nominal"
# name → (per-instance slopes?, k free?)
CANDIDATES = {"shared g, k = 0": (False, False), "shared g and k": (False, True), "per-instance g and k": (True, True)}


def _design(onehot: np.ndarray, i_omega: np.ndarray, per_instance: bool, slope: bool) -> np.ndarray:
    if not slope:
        return onehot
    return np.column_stack([onehot, onehot * i_omega[:, None] if per_instance else i_omega[:, None]])


def _solve(onehot, i_omega, lower, upper, per_instance: bool, free_k: bool):
    """Least squares of midpoints and half-widths; returns (mid coef, half coef, designs)."""
    x_mid = _design(onehot, i_omega, per_instance, True)
    x_half = _design(onehot, i_omega, per_instance, free_k)
    mid = np.linalg.lstsq(x_mid, (lower + upper) / 2, rcond=None)[0]
    half = np.linalg.lstsq(x_half, (upper - lower) / 2, rcond=None)[0]
    return mid, half, x_mid, x_half


def _predict(mid, half, x_mid, x_half) -> tuple[np.ndarray, np.ndarray]:
    centre, width = x_mid @ mid, x_half @ half
    return centre - width, centre + width


def _sigma(design: np.ndarray, y: np.ndarray, coef: np.ndarray) -> tuple[np.ndarray, int]:
    """OLS covariance of ``coef`` and the residual degrees of freedom (nan covariance if none)."""
    dof = design.shape[0] - np.linalg.matrix_rank(design)
    if dof <= 0:
        return np.full((coef.size, coef.size), np.nan), 0
    s2 = float(np.sum((y - design @ coef) ** 2)) / dof
    scale = np.linalg.norm(design, axis=0)            # columns of 1 and of nA: equilibrate before inverting
    scale[scale == 0] = 1.0
    unit = design / scale
    return np.linalg.pinv(unit.T @ unit) / np.outer(scale, scale) * s2, dof


def fit_bounds(table: pd.DataFrame, omega_per_code: float, instance_column: str = "instance",
               per_instance_slopes: bool | None = None) -> dict:
    """Keyword arguments of a ``LearningBlockModel`` fitted to a bounds table (module docstring)."""
    missing = {"code", "i_lower_A", "i_upper_A"} - set(table.columns)
    if missing:
        raise ConfigError(f"fit_bounds_model: the table lacks {', '.join(sorted(missing))}")
    if not omega_per_code > 0:
        raise ConfigError(f"fit_bounds_model: omega_per_code must be > 0 A, got {omega_per_code}")
    table = table.dropna(subset=["i_lower_A", "i_upper_A"]).reset_index(drop=True)
    codes = table["code"].to_numpy(dtype=float)
    if np.unique(codes).size < 2:
        raise ConfigError("fit_bounds_model: need bounds at two or more codes to fit the gain of I_Ω")
    labels = (table[instance_column].astype(str) if instance_column in table
              else pd.Series(NOMINAL_INSTANCE, index=table.index))
    names = list(dict.fromkeys(labels))
    onehot = (labels.to_numpy()[:, None] == np.array(names)[None, :]).astype(float)
    i_omega = codes * omega_per_code
    lower, upper = table["i_lower_A"].to_numpy(), table["i_upper_A"].to_numpy()
    few = [n for n in names if table.loc[labels.to_numpy() == n, "code"].nunique() < 2]
    if per_instance_slopes and few:
        raise ConfigError(f"fit_bounds_model: instances {', '.join(few)} have bounds at one code only; "
                          "measure two or more codes each, or fit with per_instance_slopes=False")
    if per_instance_slopes is None:
        allowed = [name for name, (per, _) in CANDIDATES.items() if not (per and few)]
    else:
        allowed = ["per-instance g and k" if per_instance_slopes else "shared g and k"]
    selection, chosen = _choose(allowed, onehot, i_omega, lower, upper, codes)
    per_instance, free_k = CANDIDATES[chosen]
    mid, half, x_mid, x_half = _solve(onehot, i_omega, lower, upper, per_instance, free_k)
    n = len(names)
    mid_slope = mid[n:] * np.ones(n)
    half_slope = half[n:] * np.ones(n) if free_k else np.zeros(n)
    i_rest, i_sl = float(mid[:n].mean()), float(half[:n].mean())
    gain, sl_gain = float(-2 * mid_slope.mean()), float(half_slope.mean())
    delta, eps = mid[:n] - i_rest, half[:n] - i_sl
    from ebn_circuit.behavioural.learning_block import InstanceOffset

    instances = {name: InstanceOffset(float(d - e), float(d + e), float(-2 * ms - gain), float(hs - sl_gain))
                 for name, d, e, ms, hs in zip(names, delta, eps, mid_slope, half_slope)}
    model_lower, model_upper = _predict(mid, half, x_mid, x_half)
    fit_table = pd.DataFrame({"instance": labels, "code": table["code"].to_numpy(), "i_lower_A": lower,
                              "i_upper_A": upper, "model_lower_A": model_lower, "model_upper_A": model_upper})
    fit_table["residual_lower_A"] = lower - model_lower
    fit_table["residual_upper_A"] = upper - model_upper
    intervals = _intervals(onehot, x_mid, x_half, lower, upper, mid, half, n, free_k)
    corners = tuple(sorted(set(table["corner"].astype(str)))) if "corner" in table else ()
    spans = {"code": (codes.min(), codes.max()), "i_omega": (i_omega.min(), i_omega.max())}
    report = {"candidate": chosen, "cv_rms_error_A": float(-selection.set_index("candidate").loc[chosen, "cv_score"])
              if len(selection) else float("nan"), "codes": int(np.unique(codes).size)}
    return dict(i_rest=i_rest, i_sl=i_sl, gain=gain, omega_per_code=omega_per_code, sl_gain=sl_gain,
                instances=instances, fit_table=fit_table, intervals=intervals, selection=selection,
                fit_report=report,
                operating_range=OperatingRange(spans, {"corner": corners} if corners else {}, {"i_omega": "A"}))


def _choose(allowed, onehot, i_omega, lower, upper, codes) -> tuple[pd.DataFrame, str]:
    """Leave-one-code-out CV of the allowed candidates (three or more codes), else the richest one."""
    order = [name for name in CANDIDATES if name in allowed]
    if np.unique(codes).size < 3 or len(order) == 1:
        return pd.DataFrame(columns=["candidate", "n_free", "cv_score", "cv_se", "fold_scores"]), order[-1]
    folds = group_folds(codes, np.unique(codes).size)

    def fitter(name):
        per, free_k = CANDIDATES[name]

        def fit(rows):
            seen = onehot[rows].any(axis=0)
            return name, _solve(onehot[rows][:, seen], i_omega[rows], lower[rows], upper[rows], per, free_k), seen
        return fit

    def score(fitted, held) -> float:
        name, (mid, half, _, _), seen = fitted
        per, free_k = CANDIDATES[name]
        held = held[onehot[held][:, seen].any(axis=1)]   # an instance with no training code cannot be predicted
        if held.size == 0:
            return float("nan")
        x_mid = _design(onehot[held][:, seen], i_omega[held], per, True)
        x_half = _design(onehot[held][:, seen], i_omega[held], per, free_k)
        lo, hi = _predict(mid, half, x_mid, x_half)
        return -float(np.sqrt(np.mean(np.concatenate([lo - lower[held], hi - upper[held]]) ** 2)))

    n = onehot.shape[1]
    counts = {"shared g, k = 0": n + n + 1, "shared g and k": 2 * n + 2, "per-instance g and k": 4 * n}
    table = cross_validate([Candidate(name, counts[name], fitter(name)) for name in order], folds, len(codes), score)
    return table, one_standard_error_choice(table)


def _intervals(onehot, x_mid, x_half, lower, upper, mid, half, n, free_k) -> pd.DataFrame:
    """95 % OLS intervals of I_rest, I_SL, g and k (population values: means over instances)."""
    cov_mid, dof_mid = _sigma(x_mid, (lower + upper) / 2, mid)
    cov_half, dof_half = _sigma(x_half, (upper - lower) / 2, half)

    def mean_of(size: int, first: int) -> np.ndarray:   # picks the mean of n coefficients from ``first``
        return np.concatenate([np.zeros(first), np.full(n, 1.0 / n), np.zeros(size - first - n)])

    rows = []
    for name, coef, cov, dof, c, unit, scale in (
            ("i_rest", mid, cov_mid, dof_mid, mean_of(mid.size, 0), "A", 1.0),
            ("i_sl", half, cov_half, dof_half, mean_of(half.size, 0), "A", 1.0),
            ("gain g", mid, cov_mid, dof_mid, _slope_vector(mid.size, n), "", -2.0),
            ("sl_gain k", half, cov_half, dof_half, _slope_vector(half.size, n) if free_k else None, "", 1.0)):
        if c is None:
            rows.append(interval_row(name, 0.0, fixed="held at 0 by the chosen candidate"))
            continue
        value = scale * float(c @ coef)
        sigma = abs(scale) * float(np.sqrt(max(c @ cov @ c, 0.0))) if dof else float("nan")
        t = stats.t.ppf(0.975, dof) if dof else float("nan")
        rows.append(interval_row(name, value, low=value - t * sigma, high=value + t * sigma, unit=unit,
                                 allowed=GAIN_RANGE if name == "gain g" else None,
                                 reason="" if dof else "no residual degrees of freedom (as many parameters as bounds)"))
    return pd.DataFrame(rows)


def _slope_vector(size: int, n: int) -> np.ndarray:
    """Picks the mean slope: the one shared slope, or the mean of the per-instance ones."""
    slopes = size - n
    return np.concatenate([np.zeros(n), np.full(slopes, 1.0 / slopes)])
