"""Behavioural learning block: the rule of SCIENCE.md §3 with measured offsets.

bounds:  I_lower = I_rest - r·I_Ω - I_SL + offset_lower
         I_upper = I_rest - r·I_Ω + I_SL + offset_upper
decide:  I_before < I_lower → INC (+1); I_before > I_upper → DEC (-1); else SL (0)

r is the fraction of I_Ω in the comparison (the half-ratio mirror: r = 1/2, i.e. g = 2r = 1 in
SCIENCE.md §2 terms). I_Ω of a pulse is ``omega_per_code × code`` (the jump one pulse causes).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ebn_circuit.errors import ConfigError, WaveformError
from ebn_circuit.measure.learning import pulse_table
from ebn_circuit.rule import DEC, INC, classify, ideal_decision

NOMINAL_I_REST = 9e-9
NOMINAL_I_SL = 0.3e-9


@dataclass(frozen=True)
class LearningBlockModel:
    """Fitted behaviour of one learning block (amperes, seconds)."""

    i_rest: float = NOMINAL_I_REST
    i_sl: float = NOMINAL_I_SL
    offset_lower: float = 0.0
    offset_upper: float = 0.0
    omega_ratio: float = 0.5
    omega_per_code: float = 0.0
    sample_lead: float = 0.0
    fit_report: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.i_rest <= 0 or self.i_sl < 0:
            raise ConfigError(f"LearningBlockModel: need i_rest > 0 and i_sl >= 0, got {self.i_rest}, {self.i_sl}")

    def bounds(self, i_omega) -> tuple[np.ndarray, np.ndarray]:
        centre = self.i_rest - self.omega_ratio * np.asarray(i_omega, dtype=float)
        return centre - self.i_sl + self.offset_lower, centre + self.i_sl + self.offset_upper

    def decide(self, i_before, i_omega) -> np.ndarray:
        return classify(i_before, *self.bounds(i_omega))

    def agreement(self, table: pd.DataFrame) -> float:
        """Fraction of (non-saturated) pulses whose decision this model predicts."""
        usable = table[~table["saturated"]]
        predicted = self.decide(usable["i_before"], self.omega_per_code * usable["code_before"])
        return float(np.mean(predicted == usable["decision"].to_numpy()))

    def report(self) -> pd.DataFrame:
        """Parameter table (value and unit) plus the fit quality."""
        rows = [("i_rest", self.i_rest, "A"), ("i_sl", self.i_sl, "A"),
                ("offset_lower", self.offset_lower, "A"), ("offset_upper", self.offset_upper, "A"),
                ("effective I_lower at I_Ω=0", self.bounds(0.0)[0], "A"),
                ("effective I_upper at I_Ω=0", self.bounds(0.0)[1], "A"),
                ("omega_ratio", self.omega_ratio, ""), ("omega_per_code", self.omega_per_code, "A"),
                ("sample_lead", self.sample_lead, "s")]
        rows += [(key, value, "") for key, value in self.fit_report.items()]
        return pd.DataFrame(rows, columns=["parameter", "value", "unit"])


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
    """Fit the behavioural learning block to aligned waveforms (columns time, i_mem, pulse, code).

    Each pulse's decision comes from its code change, I_Ω per code from a least-squares fit of
    the I_mem jumps against the code, and the two bound offsets, the I_Ω ratio and the sampling
    lead from the best decision agreement (a search over leads and ratios; exact optimal
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
                                       offset_upper=high - (i_rest + i_sl), omega_ratio=float(ratio),
                                       omega_per_code=omega_per_code, sample_lead=float(lead))
            score = model.agreement(table)
            key = (score, -abs(ratio - 0.5), -lead)
            if best is None or key > best[0]:
                best = (key, model, table)
    (score, _, _), model, table = best
    usable = table[~table["saturated"]]
    ideal = ideal_decision(usable["i_before"], omega_per_code_ideal(model) * usable["code_before"], i_rest, i_sl)
    report = {"pulses": int(len(table)), "usable_pulses": int(len(usable)), "agreement": score,
              "ideal_rule_agreement": float(np.mean(ideal == usable["decision"].to_numpy()))}
    return replace(model, fit_report=report)


def omega_per_code_ideal(model: LearningBlockModel) -> float:
    """The ideal rule uses the same measured I_Ω per code (only the bounds are nominal)."""
    return model.omega_per_code
