"""Behavioural learning block: the rule of SCIENCE.md §3 with the circuit's measured offsets — one
model, two fitters.

With I_Ω the jump one pulse causes (``omega_per_code × code``) and an optional instance i (a corner
or a Monte-Carlo instance):

    centre = I_rest − ((g + Δg_i)/2)·I_Ω               (the midpoint of the two bounds)
    half   = I_SL + (k + Δk_i)·I_Ω                      (half their separation)
    I_lower = centre − half + offset_lower + δlower_i,  I_upper = centre + half + offset_upper + δupper_i
    decide:  I_before < I_lower → INC (+1); I_before > I_upper → DEC (−1); else SL (0)

g is the gain of I_Ω in the comparison (g = 1 the literal rule; the chip's mirror ratio r = g/2), k
lets the separation change with the code (the two replica DACs differ). Fitters:

- ``fit_learning_block``: from aligned waveforms of any simulator (time, i_mem, pulse, code): each
  pulse's decision from its code change; I_Ω per code, g, the two offsets and the sampling lead.
- ``fit_bounds_model``: from measured bounds per code (``extract.learning_block``): I_rest, I_SL,
  g, k and per-instance offsets (zero-mean deviations Δ) by least squares.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ebn_circuit.errors import ConfigError, WaveformError
from ebn_circuit.measure.learning import pulse_table
from ebn_circuit.rule import DEC, INC, classify, ideal_decision

NOMINAL_I_REST = 9e-9
NOMINAL_I_SL = 0.3e-9
NOMINAL_INSTANCE = "nominal"

__all__ = ["InstanceOffset", "LearningBlockModel", "NOMINAL_I_REST", "NOMINAL_I_SL", "fit_bounds_model",
           "fit_learning_block", "ideal_decision"]


@dataclass(frozen=True)
class InstanceOffset:
    """One instance's deviation from the population: bound offsets at I_Ω = 0 (A), Δg, Δk."""

    lower: float = 0.0
    upper: float = 0.0
    gain: float = 0.0
    sl_gain: float = 0.0


@dataclass(frozen=True)
class LearningBlockModel:
    """A fitted learning block (amperes, seconds); ``instances``: label → ``InstanceOffset``."""

    i_rest: float = NOMINAL_I_REST
    i_sl: float = NOMINAL_I_SL
    gain: float = 1.0
    omega_per_code: float = 0.0
    sl_gain: float = 0.0
    offset_lower: float = 0.0
    offset_upper: float = 0.0
    instances: Mapping[str, InstanceOffset] = field(default_factory=dict)
    sample_lead: float = 0.0
    fit_report: dict = field(default_factory=dict, compare=False)
    fit_table: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.i_rest <= 0 or self.i_sl < 0:
            raise ConfigError(f"LearningBlockModel: need i_rest > 0 and i_sl >= 0, got {self.i_rest}, {self.i_sl}")

    @property
    def omega_ratio(self) -> float:
        """r = g/2, the fraction of I_Ω in the bounds (the chip's mirror ratio)."""
        return self.gain / 2

    def _offsets(self, instance: str | None) -> InstanceOffset:
        if instance is None or instance == NOMINAL_INSTANCE and instance not in self.instances:
            return InstanceOffset()
        if instance not in self.instances:
            raise ConfigError(f"LearningBlockModel: unknown instance {instance!r}; fitted: {', '.join(self.instances)}")
        return self.instances[instance]

    def bounds(self, i_omega, instance: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(I_lower, I_upper) in A for jumps I_Ω (A); instance None: the population (no deviation)."""
        i_omega = np.asarray(i_omega, dtype=float)
        d = self._offsets(instance)
        centre = self.i_rest - (self.gain + d.gain) / 2 * i_omega
        half = self.i_sl + (self.sl_gain + d.sl_gain) * i_omega
        return centre - half + (self.offset_lower + d.lower), centre + half + (self.offset_upper + d.upper)

    def bounds_code(self, code, instance: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.bounds(np.asarray(code, dtype=float) * self.omega_per_code, instance)

    def decide(self, i_before, i_omega, instance: str | None = None) -> np.ndarray:
        """+1 (INC), −1 (DEC) or 0 (SL) per I_before (A) with jump I_Ω (A)."""
        return classify(i_before, *self.bounds(i_omega, instance))

    def decide_code(self, i_before, code, instance: str | None = None) -> np.ndarray:
        return self.decide(i_before, np.asarray(code, dtype=float) * self.omega_per_code, instance)

    def agreement(self, table: pd.DataFrame) -> float:
        """Fraction of the (non-saturated) pulses of a ``pulse_table`` whose decision this model predicts."""
        usable = table[~table["saturated"]]
        predicted = self.decide(usable["i_before"], self.omega_per_code * usable["code_before"])
        return float(np.mean(predicted == usable["decision"].to_numpy()))

    def report(self, plot_path: str | Path | None = None, holdout: pd.DataFrame | None = None) -> pd.DataFrame:
        """Parameters and fit quality (parameter, value, unit); with ``plot_path`` also the residual
        plot of a bounds fit (``holdout``: bounds measured at codes not fitted, drawn open)."""
        rows = [("i_rest", self.i_rest, "A"), ("i_sl", self.i_sl, "A"), ("gain g", self.gain, ""),
                ("omega_ratio r = g/2", self.omega_ratio, ""), ("omega_per_code", self.omega_per_code, "A"),
                ("midpoint slope −g·omega_per_code/2", -self.gain * self.omega_per_code / 2, "A/code"),
                ("sl_gain k", self.sl_gain, ""), ("offset_lower", self.offset_lower, "A"),
                ("offset_upper", self.offset_upper, "A"),
                ("effective I_lower at I_Ω=0", float(self.bounds(0.0)[0]), "A"),
                ("effective I_upper at I_Ω=0", float(self.bounds(0.0)[1]), "A"), ("sample_lead", self.sample_lead, "s")]
        for label, d in self.instances.items():
            rows += [(f"offset_lower[{label}]", d.lower, "A"), (f"offset_upper[{label}]", d.upper, "A"),
                     (f"gain g[{label}]", self.gain + d.gain, ""), (f"sl_gain k[{label}]", self.sl_gain + d.sl_gain, "")]
        if len(self.instances) > 1:
            values = np.array([[d.lower, d.upper, d.gain, d.sl_gain] for d in self.instances.values()])
            sigma = values.std(axis=0, ddof=1)
            rows += [("σ offset_lower", sigma[0], "A"), ("σ offset_upper", sigma[1], "A"),
                     ("σ gain g", sigma[2], ""), ("σ sl_gain k", sigma[3], "")]
        if self.fit_table is not None and len(self.fit_table):
            res = self.fit_table[["residual_lower_A", "residual_upper_A"]].to_numpy()
            rows += [("rms residual", float(np.sqrt(np.mean(res ** 2))), "A"),
                     ("max |residual|", float(np.max(np.abs(res))), "A"),
                     ("bounds fitted", int(res.size), ""), ("instances", len(self.instances) or 1, "")]
        rows += [(key, value, "") for key, value in self.fit_report.items()]
        if plot_path is not None:
            from ebn_circuit.behavioural.learning_block_plot import plot_residuals

            plot_residuals(self, plot_path, holdout)
        return pd.DataFrame(rows, columns=["parameter", "value", "unit"])


# --- fitter 1: from waveforms --------------------------------------------------------------------

def _best_threshold(x: np.ndarray, positive: np.ndarray, below: bool) -> tuple[float, int]:
    """Threshold t maximising correct calls of `positive` as (x < t if below else x > t)."""
    order = np.argsort(x)
    xs, pos = x[order], positive[order]
    # candidate k: threshold between xs[k-1] and xs[k]; k items lie below it
    pos_below = np.concatenate([[0], np.cumsum(pos)])
    neg_below = np.concatenate([[0], np.cumsum(~pos)])
    if below:
        correct = pos_below + (neg_below[-1] - neg_below)
    else:
        correct = neg_below + (pos_below[-1] - pos_below)
    k = int(np.argmax(correct))
    edges = np.concatenate([[xs[0] - 1e-12], (xs[:-1] + xs[1:]) / 2, [xs[-1] + 1e-12]])
    return float(edges[k]), int(correct[k])


def fit_learning_block(waveforms: pd.DataFrame, i_rest: float = NOMINAL_I_REST, i_sl: float = NOMINAL_I_SL,
                       leads=(0.0, 50e-6, 100e-6, 200e-6, 500e-6),
                       omega_ratios=tuple(np.round(np.arange(0.0, 1.55, 0.05), 2)),
                       source: str = "waveforms") -> LearningBlockModel:
    """Fit the model to aligned waveforms (columns time, i_mem, pulse, code).

    Each pulse's decision comes from its code change, I_Ω per code from a least-squares fit of
    the I_mem jumps against the code, and the two bound offsets, the I_Ω ratio r = g/2 and the
    sampling lead from the best decision agreement (a search over leads and ratios; exact optimal
    thresholds per ratio). ``i_rest`` and ``i_sl`` are the nominal values the offsets refer to.
    """
    best = None
    for lead in leads:
        table = pulse_table(waveforms, lead=lead, source=source)
        usable = table[~table["saturated"]]
        if len(usable) < 7:
            raise WaveformError(f"{source}: only {len(usable)} usable pulses; need at least 7 to fit "
                                "6 parameters (sampling lead, I_Ω per code, ratio, two bounds)")
        codes = usable["code_before"].to_numpy(dtype=float)
        design = np.vstack([codes, np.ones_like(codes)]).T
        omega_per_code = float(np.linalg.lstsq(design, usable["i_jump"].to_numpy(), rcond=None)[0][0])
        decision = usable["decision"].to_numpy()
        i_before = usable["i_before"].to_numpy()
        for ratio in omega_ratios:
            x = i_before + ratio * omega_per_code * codes
            low, _ = _best_threshold(x, decision == INC, below=True)
            high, _ = _best_threshold(x, decision == DEC, below=False)
            if low > high:
                low = high = 0.5 * (low + high)
            model = LearningBlockModel(i_rest=i_rest, i_sl=i_sl, offset_lower=low - (i_rest - i_sl),
                                       offset_upper=high - (i_rest + i_sl), gain=2 * float(ratio),
                                       omega_per_code=omega_per_code, sample_lead=float(lead))
            score = model.agreement(table)
            key = (score, -abs(ratio - 0.5), -lead)
            if best is None or key > best[0]:
                best = (key, model, table)
    (score, _, _), model, table = best
    usable = table[~table["saturated"]]
    # the ideal rule on the same pulses, with the same measured I_Ω per code (only the bounds nominal)
    ideal = ideal_decision(usable["i_before"], model.omega_per_code * usable["code_before"], i_rest, i_sl)
    report = {"pulses": int(len(table)), "usable_pulses": int(len(usable)), "agreement": score,
              "ideal_rule_agreement": float(np.mean(ideal == usable["decision"].to_numpy()))}
    return replace(model, fit_report=report)


# --- fitter 2: from measured bounds --------------------------------------------------------------

def fit_bounds_model(table: pd.DataFrame, omega_per_code: float, instance_column: str = "instance",
                     per_instance_slopes: bool = True) -> LearningBlockModel:
    """Fit from a bounds table (columns code, i_lower_A, i_upper_A, optionally ``instance_column``):
    least squares of the measured midpoints and of the half-separations on (instance,
    instance·I_Ω). Each instance has its own g and k unless ``per_instance_slopes`` is False (then
    one instance with one code is enough, when the instances together have two codes)."""
    missing = {"code", "i_lower_A", "i_upper_A"} - set(table.columns)
    if missing:
        raise ConfigError(f"fit_bounds_model: the table lacks {', '.join(sorted(missing))}")
    if not omega_per_code > 0:
        raise ConfigError(f"fit_bounds_model: omega_per_code must be > 0 A, got {omega_per_code}")
    table = table.dropna(subset=["i_lower_A", "i_upper_A"]).reset_index(drop=True)
    if table["code"].nunique() < 2:
        raise ConfigError("fit_bounds_model: need bounds at two or more codes to fit the gain of I_Ω")
    labels = (table[instance_column].astype(str) if instance_column in table
              else pd.Series(NOMINAL_INSTANCE, index=table.index))
    names = list(dict.fromkeys(labels))
    onehot = (labels.to_numpy()[:, None] == np.array(names)[None, :]).astype(float)
    i_omega = table["code"].to_numpy(dtype=float) * omega_per_code
    lower, upper = table["i_lower_A"].to_numpy(), table["i_upper_A"].to_numpy()
    if per_instance_slopes:
        few = [n for n in names if table.loc[labels.to_numpy() == n, "code"].nunique() < 2]
        if few:
            raise ConfigError(f"fit_bounds_model: instances {', '.join(few)} have bounds at one code only; "
                              "measure two or more codes each, or fit with per_instance_slopes=False")
    slopes = onehot * i_omega[:, None] if per_instance_slopes else i_omega[:, None]
    n = len(names)
    mid_coef = np.linalg.lstsq(np.column_stack([onehot, slopes]), (lower + upper) / 2, rcond=None)[0]
    half_coef = np.linalg.lstsq(np.column_stack([onehot, slopes]), (upper - lower) / 2, rcond=None)[0]
    mid_slope, half_slope = mid_coef[n:] * np.ones(n), half_coef[n:] * np.ones(n)
    i_rest, i_sl = float(mid_coef[:n].mean()), float(half_coef[:n].mean())
    gain, sl_gain = float(-2 * mid_slope.mean()), float(half_slope.mean())
    delta, eps = mid_coef[:n] - i_rest, half_coef[:n] - i_sl
    instances = {name: InstanceOffset(float(d - e), float(d + e), float(-2 * ms - gain), float(hs - sl_gain))
                 for name, d, e, ms, hs in zip(names, delta, eps, mid_slope, half_slope)}
    model = LearningBlockModel(i_rest=i_rest, i_sl=i_sl, gain=gain, omega_per_code=omega_per_code,
                               sl_gain=sl_gain, instances=instances)
    model_lower, model_upper = zip(*(model.bounds(w, name) for w, name in zip(i_omega, labels)))
    fit_table = pd.DataFrame({"instance": labels, "code": table["code"].to_numpy(),
                              "i_lower_A": lower, "i_upper_A": upper,
                              "model_lower_A": np.array(model_lower, dtype=float),
                              "model_upper_A": np.array(model_upper, dtype=float)})
    fit_table["residual_lower_A"] = fit_table["i_lower_A"] - fit_table["model_lower_A"]
    fit_table["residual_upper_A"] = fit_table["i_upper_A"] - fit_table["model_upper_A"]
    return replace(model, fit_table=fit_table)
