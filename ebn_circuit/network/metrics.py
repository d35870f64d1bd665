"""Metrics of §5.2: weight distances and correlation, reconstruction error, spikes, balance."""

from __future__ import annotations

import numpy as np


def _offdiag(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    return w[~np.eye(w.shape[0], dtype=bool)]


def script_distance(w: np.ndarray, w_opt: np.ndarray) -> float:
    """The training script's measure: squared residual after the best scalar fit of the
    optimal matrix, relative to the squared norm of w (1 = unrelated, 0 = proportional).
    Off-diagonal entries only: the diagonal is each neuron's reset, not a synapse (the
    published script's matrices had zero diagonals too)."""
    w, w_opt = _offdiag(w), _offdiag(w_opt)
    norm = np.sum(w**2)
    if norm == 0:
        return float("nan")
    scale = np.sum(w * w_opt) / np.sum(w_opt**2)
    return float(np.sum((w - scale * w_opt) ** 2) / norm)


def relative_frobenius(w: np.ndarray, w_opt: np.ndarray) -> float:
    """‖w - w_opt‖_F / ‖w_opt‖_F over the off-diagonal entries (same units)."""
    w, w_opt = _offdiag(w), _offdiag(w_opt)
    return float(np.linalg.norm(w - w_opt) / np.linalg.norm(w_opt))


def offdiag_correlation(w: np.ndarray, w_opt: np.ndarray) -> float:
    """Pearson correlation of the off-diagonal entries."""
    a, b = _offdiag(w), _offdiag(w_opt)
    if np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def offdiag_slope(w: np.ndarray, w_opt: np.ndarray) -> float:
    """Least-squares slope of w against w_opt (off-diagonal, through the origin)."""
    a, b = _offdiag(w), _offdiag(w_opt)
    return float(np.sum(a * b) / np.sum(b * b))


def offdiag_offset(w: np.ndarray, w_opt: np.ndarray) -> float:
    """Mean off-diagonal residual after the slope fit (same units): a uniform excitatory (> 0)
    or inhibitory (< 0) part of w that the optimal weights do not have."""
    a, b = _offdiag(w), _offdiag(w_opt)
    return float(np.mean(a - offdiag_slope(w, w_opt) * b))


def reconstruction_error(x: np.ndarray, x_hat: np.ndarray) -> float:
    """‖x - s·x̂‖² / ‖x‖² with the least-squares output scale s (one scalar)."""
    x, x_hat = np.asarray(x, float), np.asarray(x_hat, float)
    denom = np.sum(x_hat**2)
    scale = np.sum(x * x_hat) / denom if denom > 0 else 0.0
    return float(np.sum((x - scale * x_hat) ** 2) / np.sum(x**2))


def reconstruction_error_matrix(x: np.ndarray, x_hat: np.ndarray) -> float:
    """‖x - M·x̂‖² / ‖x‖² with the least-squares J×J output map M (the published script's
    "output scaling" was such a map); never above reconstruction_error."""
    x, x_hat = np.asarray(x, float), np.asarray(x_hat, float)
    m = np.linalg.lstsq(x_hat.T, x.T, rcond=None)[0].T
    return float(np.sum((x - m @ x_hat) ** 2) / np.sum(x**2))


def calibrated_readout_error(calibration_x: np.ndarray, calibration_rates: np.ndarray, x: np.ndarray,
                             rates: np.ndarray) -> float:
    """‖x - W·r‖² / ‖x‖² with the per-neuron decoder W (J×N) fitted by least squares on another
    trial (its target and filtered spike trains): the readout a user calibrates on the chip, scored
    on a trial it was not fitted on."""
    w = np.linalg.lstsq(np.asarray(calibration_rates, float).T, np.asarray(calibration_x, float).T, rcond=None)[0].T
    x = np.asarray(x, float)
    return float(np.sum((x - w @ np.asarray(rates, float)) ** 2) / np.sum(x**2))


def membrane_variance(v: np.ndarray, v_rest: float = 0.0) -> float:
    """Balance: mean over neurons of the mean squared deviation of V from rest."""
    v = np.asarray(v, float)
    return float(np.mean((v - v_rest) ** 2))


def membrane_mean(v: np.ndarray, v_rest: float = 0.0) -> float:
    """Mean deviation of V from rest (over neurons and time): where the rule's target sits."""
    return float(np.mean(np.asarray(v, float) - v_rest))


def evaluate(result, w: np.ndarray, w_opt: np.ndarray, v_rest: float = 0.0) -> dict:
    """All §5.2 metrics of one evaluation trial and a weight matrix (weight units)."""
    out = {
        "reconstruction_error": reconstruction_error(result.x, result.x_hat),
        "reconstruction_error_matrix": reconstruction_error_matrix(result.x, result.x_hat),
        "n_spikes": result.n_spikes,
        "script_distance": script_distance(w, w_opt),
        "relative_frobenius": relative_frobenius(w, w_opt),
        "offdiag_correlation": offdiag_correlation(w, w_opt),
        "offdiag_slope": offdiag_slope(w, w_opt),
        "offdiag_offset": offdiag_offset(w, w_opt),
    }
    if result.v is not None:
        out["membrane_variance"] = membrane_variance(result.v, v_rest)
        out["membrane_mean"] = membrane_mean(result.v, v_rest)
    return out
