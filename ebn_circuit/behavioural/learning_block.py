"""Behavioural learning block: the rule of SCIENCE.md §3 with the circuit's measured offsets — one
model, two fitters.

With I_Ω the jump one spike causes with the present weight (``omega_per_code × code``; measured
from the waveforms, ``spike_jump``) and an optional instance i (a corner or a Monte-Carlo instance):

    centre = I_rest − ((g + Δg_i)/2)·I_Ω               (the midpoint of the two bounds)
    half   = I_SL + (k + Δk_i)·I_Ω                      (half their separation)
    I_lower = centre − half + offset_lower + δlower_i,  I_upper = centre + half + offset_upper + δupper_i
    decide:  I_before < I_lower → INC (+1); I_before > I_upper → DEC (−1); else SL (0)

g is the gain of I_Ω in the comparison (g = 1 the literal rule; the chip's mirror ratio r = g/2), k
lets the separation change with the code (the two replica DACs differ). Fitters:

- ``fit_learning_block``: from aligned waveforms of any simulator (time, i_mem, pulse, code), and
  ``fit_learning_block_pulses`` from per-pulse tables: candidates from the nominal rule to free
  offsets, g and sampling lead, chosen by blocked cross-validation (``learning_block_fit``).
- ``fit_bounds_model``: from measured bounds per code (``extract.learning_block``): I_rest, I_SL,
  g, k and per-instance offsets by least squares, slopes chosen by cross-validation over codes
  (``learning_block_bounds``).

Every fitted model carries its operating range (codes, I_Ω, I_before, corners): ``decide`` warns
once (``ExtrapolationWarning``) when asked outside it. ``to_json`` / ``from_json`` save and load it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.validation import OperatingRange
from ebn_circuit.errors import ConfigError
from ebn_circuit.rule import classify, ideal_decision

NOMINAL_I_REST = 9e-9
NOMINAL_I_SL = 0.3e-9
NOMINAL_INSTANCE = "nominal"
SCHEMA = "ebn_circuit.LearningBlockModel/2"
BOUND_CODES = "code near a bound"   # as learning_block_fit names it
PARAMETERS = ("i_rest", "i_sl", "gain", "omega_per_code", "sl_gain", "offset_lower", "offset_upper", "sample_lead")

__all__ = ["InstanceOffset", "LearningBlockModel", "NOMINAL_I_REST", "NOMINAL_I_SL", "fit_bounds_model",
           "fit_learning_block", "fit_learning_block_pulses", "ideal_decision"]


@dataclass(frozen=True)
class InstanceOffset:
    """One instance's deviation from the population: bound offsets at I_Ω = 0 (A), Δg, Δk."""

    lower: float = 0.0
    upper: float = 0.0
    gain: float = 0.0
    sl_gain: float = 0.0


@dataclass(frozen=True)
class LearningBlockModel:
    """A fitted learning block (amperes, seconds); ``instances``: label → ``InstanceOffset``.
    ``intervals``: one row per fitted parameter (value, low, high, identified, note);
    ``selection``: the cross-validated candidates; ``operating_range``: what the fit saw."""

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
    intervals: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    selection: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    operating_range: OperatingRange = field(default_factory=OperatingRange, compare=False, repr=False)

    def __post_init__(self) -> None:
        values = [getattr(self, name) for name in PARAMETERS]
        if not all(isinstance(v, (int, float)) and np.isfinite(v) for v in values):
            raise ConfigError(f"LearningBlockModel: every parameter must be a finite number, got {values}")
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

    def check_range(self, corner: str | None = None, slack: float = 0.0, **values) -> bool:
        """Warn once per quantity (``ExtrapolationWarning``) for values outside the fitted range by
        more than ``slack``: code, i_omega, i_before (SI) and the corner; True if any was outside."""
        outside = [self.operating_range.check(name, v, "LearningBlockModel", slack if name != "code" else 0.0)
                   for name, v in values.items()]
        if corner is not None:
            outside.append(self.operating_range.check("corner", corner, "LearningBlockModel"))
        return any(outside)

    def _check_codes(self, codes: np.ndarray) -> None:
        """Codes outside those fitted, and outside those at which a pulse came near a bound (where
        the bounds were seen at all), each warn once."""
        self.check_range(code=codes)
        self.operating_range.check(BOUND_CODES, codes, "LearningBlockModel")

    def decide(self, i_before, i_omega, instance: str | None = None, corner: str | None = None) -> np.ndarray:
        """+1 (INC), −1 (DEC) or 0 (SL) per I_before (A) with jump I_Ω (A)."""
        # a tenth of the band's half-width: sampling noise at the range's edge is no extrapolation
        self.check_range(corner, 0.1 * self.i_sl, i_omega=i_omega, i_before=i_before)
        return classify(i_before, *self.bounds(i_omega, instance))

    def decide_code(self, i_before, code, instance: str | None = None, corner: str | None = None) -> np.ndarray:
        self._check_codes(np.asarray(code, dtype=float))
        return self.decide(i_before, np.asarray(code, dtype=float) * self.omega_per_code, instance, corner)

    def agreement(self, table: pd.DataFrame, omega_per_code: float | None = None, corner: str | None = None) -> float:
        """Fraction of the (non-saturated) pulses of a ``pulse_table`` whose decision this model
        predicts; I_Ω = ``omega_per_code`` (that run's own jump per code; default the model's) × code."""
        usable = table[~table["saturated"]]
        omega = self.omega_per_code if omega_per_code is None else omega_per_code
        self._check_codes(usable["code_before"].to_numpy(dtype=float))
        predicted = self.decide(usable["i_before"], omega * usable["code_before"], corner=corner)
        return float(np.mean(predicted == usable["decision"].to_numpy()))

    # --- report and files ------------------------------------------------------------------
    def report(self, plot_path: str | Path | None = None, holdout: pd.DataFrame | None = None) -> pd.DataFrame:
        """Parameters and fit quality (parameter, value, unit; low, high, identified, note where an
        interval was estimated); with ``plot_path`` also the residual plot of a bounds fit
        (``holdout``: bounds measured at codes not fitted, drawn open)."""
        from ebn_circuit.behavioural.learning_block_report import report_table

        if plot_path is not None:
            from ebn_circuit.behavioural.learning_block_plot import plot_residuals

            plot_residuals(self, plot_path, holdout)
        return report_table(self)

    def to_dict(self) -> dict:
        """A JSON-able description: parameters (SI), instances, operating range, fit summary."""
        plain = lambda v: v.item() if hasattr(v, "item") else v  # noqa: E731
        return {"schema": SCHEMA, "parameters": {name: float(getattr(self, name)) for name in PARAMETERS},
                "instances": {k: vars(v) for k, v in self.instances.items()},
                "operating_range": self.operating_range.to_dict(),
                "fit_report": {k: plain(v) for k, v in self.fit_report.items()
                               if isinstance(plain(v), (int, float, str, bool, type(None)))},
                "intervals": [] if self.intervals is None else
                json.loads(self.intervals.to_json(orient="records"))}

    def to_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return path

    @classmethod
    def from_dict(cls, data: Mapping, source: str = "model") -> "LearningBlockModel":
        if not isinstance(data, Mapping) or data.get("schema") != SCHEMA:
            found = data.get("schema") if isinstance(data, Mapping) else type(data).__name__
            raise ConfigError(f"{source}: not a learning-block model (schema {found!r}, expected {SCHEMA!r})")
        parameters = data.get("parameters")
        if not isinstance(parameters, Mapping) or set(parameters) - set(PARAMETERS):
            raise ConfigError(f"{source}: 'parameters' must map some of {', '.join(PARAMETERS)} to numbers")
        try:
            values = {name: float(parameters[name]) for name in parameters}
            instances = {str(k): InstanceOffset(**{f: float(x) for f, x in dict(v).items()})
                         for k, v in dict(data.get("instances", {})).items()}
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{source}: a parameter or instance offset is not a number ({exc})") from None
        intervals = data.get("intervals") or []
        return cls(**values, instances=instances, fit_report=dict(data.get("fit_report", {})),
                   intervals=pd.DataFrame(intervals) if intervals else None,
                   operating_range=OperatingRange.from_dict(data.get("operating_range", {})))

    @classmethod
    def from_json(cls, path: str | Path) -> "LearningBlockModel":
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"{path}: model file does not exist") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc})") from None
        return cls.from_dict(data, str(path))


# --- the two fitters (the work is in learning_block_fit and learning_block_bounds) ---------------

def fit_learning_block(waveforms: pd.DataFrame, i_rest: float = NOMINAL_I_REST, i_sl: float = NOMINAL_I_SL,
                       source: str = "waveforms", omega_per_code: float | None = None, corner: str | None = None,
                       **options) -> LearningBlockModel:
    """Fit to aligned waveforms (columns time, i_mem, pulse, code): each pulse's decision from its
    code change, I_Ω per code measured from the I_mem response (unless given), the candidate chosen
    by blocked cross-validation, intervals by block bootstrap. ``i_rest`` and ``i_sl`` are the
    nominal values the offsets refer to. ``options``: folds, resamples, seed, names (candidates).
    ``fit_report``: agreement (in-sample), cv_agreement (nested, held out), ideal_rule_agreement."""
    from ebn_circuit.behavioural.learning_block_fit import fit_waveform_set

    return LearningBlockModel(**fit_waveform_set(waveforms, i_rest, i_sl, source, omega_per_code,
                                                 corner=corner, **options))


def fit_learning_block_pulses(table: pd.DataFrame, omega_per_code: float, i_rest: float = NOMINAL_I_REST,
                              i_sl: float = NOMINAL_I_SL, source: str = "pulses", corner: str | None = None,
                              **options) -> LearningBlockModel:
    """The same fit from a per-pulse table (``measure.learning.pulse_table`` columns: i_before,
    code_before, decision, saturated, onset) and a given I_Ω per code (A); sampling lead 0."""
    from ebn_circuit.behavioural.learning_block_fit import PULSE_COLUMNS, fit_pulse_set, usable_pulses

    missing = [name for name in PULSE_COLUMNS if name not in table.columns]
    if missing:
        raise ConfigError(f"{source}: the pulse table lacks {', '.join(missing)}; need {', '.join(PULSE_COLUMNS)}")
    if not omega_per_code > 0:
        raise ConfigError(f"{source}: omega_per_code must be a positive current per code (A), got {omega_per_code}")
    return LearningBlockModel(**fit_pulse_set(usable_pulses(table), omega_per_code, i_rest, i_sl, source=source,
                                              corner=corner, **options))


def fit_bounds_model(table: pd.DataFrame, omega_per_code: float, instance_column: str = "instance",
                     per_instance_slopes: bool | None = None) -> LearningBlockModel:
    """Fit from a bounds table (columns code, i_lower_A, i_upper_A, optionally ``instance_column``):
    least squares of the measured midpoints and half-separations on (instance, instance·I_Ω).
    ``per_instance_slopes`` True / False: each instance its own g and k, or one for all; None:
    chosen by leave-one-code-out cross-validation (the simpler within one standard error)."""
    from ebn_circuit.behavioural.learning_block_bounds import fit_bounds

    return replace(LearningBlockModel(), **fit_bounds(table, omega_per_code, instance_column, per_instance_slopes))
