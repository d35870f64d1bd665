"""Compact forms of the weight DAC's code → current curve, chosen by blocked cross-validation.

Per instance, with u = code − code_min the unsigned (offset-binary) code and b_k(u) its bits:

    linear:          I(code) = I_0 + LSB·code                          2 parameters
    binary weights:  I(code) = I_0 + Σ_k w_k·b_k(u)                    1 + bits parameters
    table:           I(code) interpolated between measured codes       one per code

The binary form is the circuit's own: each bit switches its own group of 2^k unit devices, whose
mismatch makes the steps (DNL) at the carries. Folds are contiguous blocks of codes (neighbouring
codes share most of their bits); the score is the held-out RMS error in LSB over all instances,
and the simplest form within one standard error of the best is chosen. Intervals: ordinary least
squares (linear models: the Jacobian is exact). ``cross_instance`` fits each instance's form and
scores it on every other instance: what a model of one Monte-Carlo instance says about another.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ebn_circuit.behavioural.validation import (Candidate, blocked_folds, cross_validate, interval_row,
                                                one_standard_error_choice)
from ebn_circuit.errors import ConfigError

FORMS = ("linear", "binary weights", "table")
FOLDS = 8


def _bits(codes: np.ndarray, low: int) -> int:
    return max(1, int(np.ceil(np.log2(codes.max() - low + 1))))


def design(codes, form: str, low: int, bits: int) -> np.ndarray:
    """The regressors of a linear-in-parameters form at ``codes`` (int)."""
    codes = np.asarray(codes, dtype=int)
    if form == "linear":
        return np.column_stack([np.ones(codes.size), codes.astype(float)])
    if form == "binary weights":
        u = codes - low
        return np.column_stack([np.ones(codes.size)] + [((u >> k) & 1).astype(float) for k in range(bits)])
    raise ConfigError(f"unknown DAC form {form!r}; choose from {', '.join(FORMS)}")


def _fit_predict(form: str, codes, current, at, low: int, bits: int) -> np.ndarray:
    if form == "table":
        return np.interp(at, codes, current)
    coef = np.linalg.lstsq(design(codes, form, low, bits), current, rcond=None)[0]
    return design(at, form, low, bits) @ coef


def _curves(model) -> tuple[list, int, int]:
    """(instance, codes, currents, lsb) per instance; the shared code_min and bit count."""
    curves = [(key, np.asarray(model.codes[key], dtype=int), np.asarray(model.currents[key], dtype=float),
               abs(model.linearity(key)["lsb_A"])) for key in model.instances]
    low = min(int(c.min()) for _, c, _, _ in curves)
    return curves, low, _bits(np.concatenate([c for _, c, _, _ in curves]), low)


def select_form(model, folds: int = FOLDS) -> tuple[str, pd.DataFrame]:
    """Blocked CV of the three forms on every instance of a ``DacTableModel``; (chosen, table).
    Scores are −RMS error in LSB (higher is better); the table also lists it positive."""
    curves, low, bits = _curves(model)
    n = min(len(c) for _, c, _, _ in curves)
    cuts = blocked_folds(n, min(folds, n // 2))

    def score(form, held) -> float:
        errors = []
        for _, codes, current, lsb in curves:
            keep = np.setdiff1d(np.arange(codes.size), held)
            predicted = _fit_predict(form, codes[keep], current[keep], codes[held], low, bits)
            errors.append((predicted - current[held]) / lsb)
        return -float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))

    sizes = {"linear": 2, "binary weights": 1 + bits, "table": n}
    table = cross_validate([Candidate(form, sizes[form], lambda rows, form=form: form) for form in FORMS], cuts, n,
                           lambda form, held: score(form, held))
    table["cv_rms_error_lsb"] = -table["cv_score"]
    return one_standard_error_choice(table), table


def intervals(model, form: str) -> pd.DataFrame:
    """Per instance, the form's parameters (A) with 95 % OLS intervals (the table form: none)."""
    if form == "table":
        return pd.DataFrame(columns=["instance", "parameter", "value", "low", "high", "unit", "identified", "note"])
    curves, low, bits = _curves(model)
    names = ["I_0", "LSB"] if form == "linear" else ["I_0"] + [f"w_{k}" for k in range(bits)]
    rows = []
    for key, codes, current, _ in curves:
        x = design(codes, form, low, bits)
        coef, *_ = np.linalg.lstsq(x, current, rcond=None)
        dof = x.shape[0] - np.linalg.matrix_rank(x)
        s2 = float(np.sum((current - x @ coef) ** 2)) / dof if dof > 0 else float("nan")
        sigma = np.sqrt(np.clip(np.diag(np.linalg.pinv(x.T @ x)), 0, None) * s2)
        t = stats.t.ppf(0.975, dof) if dof > 0 else float("nan")
        rows += [{"instance": key, **interval_row(name, value, low=value - t * sd, high=value + t * sd, unit="A",
                                                  reason="" if dof > 0 else "no residual degrees of freedom")}
                 for name, value, sd in zip(names, coef, sigma)]
    return pd.DataFrame(rows)


def cross_instance(model, form: str) -> pd.DataFrame:
    """Each instance's form scored on every instance: RMS error in the scored instance's LSB."""
    curves, low, bits = _curves(model)
    rows = []
    for fit_key, codes, current, _ in curves:
        for test_key, test_codes, test_current, lsb in curves:
            predicted = _fit_predict(form, codes, current, test_codes, low, bits)
            rows.append({"fitted_on": fit_key, "tested_on": test_key, "form": form,
                         "rms_error_lsb": float(np.sqrt(np.mean(((predicted - test_current) / lsb) ** 2)))})
    return pd.DataFrame(rows)
