"""Behavioural learning block fitted from measured bounds (``extract.learning_block`` tables).

With I_Ω = code·omega_per_code (the nominal jump of one pulse) and instance i (a corner or a
Monte-Carlo instance):

    centre_i(I_Ω) = I_rest − (g/2)·I_Ω + δ_i          (the midpoint of the two bounds)
    half_i(I_Ω)   = I_SL + k·I_Ω + ε_i                  (half their separation)
    I_lower = centre − half,  I_upper = centre + half
    decide:  I_before < I_lower → INC (+1); I_before > I_upper → DEC (−1); else SL (0)

g is the gain of I_Ω in the comparison (g = 1 for the literal rule, SCIENCE.md §2: the slope of the
midpoint against the code is −g·omega_per_code/2); k lets the separation change with the code (the
two replica DACs differ); δ_i, ε_i are per-instance offsets (zero mean over the instances), i.e.
offset_lower = δ − ε, offset_upper = δ + ε. Mismatch also changes the replica DACs' gains, so by
default each instance has its own g and k too (g + Δg_i, k + Δk_i, zero-mean Δ); with
``per_instance_slopes=False`` g and k are shared. Fit: least squares of the measured midpoints and
of the half-separations on (instance, instance·I_Ω); each instance needs two or more codes (one is
enough with shared slopes, when the instances together have two).

Limit: the replica DACs are binary weighted, so mismatch makes their I_Ω(code) slightly non-linear
(per-bit errors); a line through the fitted codes misses that by a few tens of pA at other codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ebn_circuit.errors import ConfigError
from ebn_circuit.rule import classify

NOMINAL_INSTANCE = "nominal"


@dataclass(frozen=True)
class InstanceOffset:
    """One instance's deviation from the population: bound offsets at I_Ω = 0 (A), Δg, Δk."""

    lower: float = 0.0
    upper: float = 0.0
    gain: float = 0.0
    sl_gain: float = 0.0


@dataclass(frozen=True)
class BoundsModel:
    """Fitted bounds (A); ``offsets``: instance label → ``InstanceOffset``."""

    i_rest: float
    i_sl: float
    gain: float
    omega_per_code: float
    sl_gain: float = 0.0
    offsets: Mapping[str, InstanceOffset] = field(default_factory=dict)
    fit_table: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.i_rest > 0 or not self.omega_per_code > 0:
            raise ConfigError(f"BoundsModel: need i_rest > 0 and omega_per_code > 0 (A), got {self.i_rest}, "
                              f"{self.omega_per_code}")

    def _offsets(self, instance: str | None) -> InstanceOffset:
        if instance is None or instance == NOMINAL_INSTANCE and instance not in self.offsets:
            return InstanceOffset()
        if instance not in self.offsets:
            raise ConfigError(f"BoundsModel: unknown instance {instance!r}; fitted: {', '.join(self.offsets)}")
        return self.offsets[instance]

    def bounds(self, i_omega, instance: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(I_lower, I_upper) in A for jumps I_Ω (A); instance None: the population (no offsets)."""
        i_omega = np.asarray(i_omega, dtype=float)
        d = self._offsets(instance)
        centre = self.i_rest - (self.gain + d.gain) / 2 * i_omega
        half = self.i_sl + (self.sl_gain + d.sl_gain) * i_omega
        return centre - half + d.lower, centre + half + d.upper

    def bounds_code(self, code, instance: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.bounds(np.asarray(code, dtype=float) * self.omega_per_code, instance)

    def decide(self, i_before, i_omega, instance: str | None = None) -> np.ndarray:
        """+1 (INC), −1 (DEC) or 0 (SL) per I_before (A) with jump I_Ω (A)."""
        return classify(i_before, *self.bounds(i_omega, instance))

    def decide_code(self, i_before, code, instance: str | None = None) -> np.ndarray:
        return self.decide(i_before, np.asarray(code, dtype=float) * self.omega_per_code, instance)

    def report(self, plot_path: str | Path | None = None, holdout: pd.DataFrame | None = None) -> pd.DataFrame:
        """Parameters and fit quality (parameter, value, unit); with ``plot_path`` also the residual
        plot (measured bounds and the model against the code, and measured − model; ``holdout``:
        bounds measured at codes not fitted, columns instance, code, i_lower_A, i_upper_A, drawn open)."""
        rows = [("i_rest", self.i_rest, "A"), ("i_sl", self.i_sl, "A"), ("gain g", self.gain, ""),
                ("midpoint slope −g·omega_per_code/2", -self.gain * self.omega_per_code / 2, "A/code"),
                ("sl_gain k", self.sl_gain, ""), ("omega_per_code", self.omega_per_code, "A")]
        for label, d in self.offsets.items():
            rows += [(f"offset_lower[{label}]", d.lower, "A"), (f"offset_upper[{label}]", d.upper, "A"),
                     (f"gain g[{label}]", self.gain + d.gain, ""),
                     (f"sl_gain k[{label}]", self.sl_gain + d.sl_gain, "")]
        if len(self.offsets) > 1:
            values = np.array([[d.lower, d.upper, d.gain, d.sl_gain] for d in self.offsets.values()])
            sigma = values.std(axis=0, ddof=1)
            rows += [("σ offset_lower", sigma[0], "A"), ("σ offset_upper", sigma[1], "A"),
                     ("σ gain g", sigma[2], ""), ("σ sl_gain k", sigma[3], "")]
        if self.fit_table is not None and len(self.fit_table):
            res = self.fit_table[["residual_lower_A", "residual_upper_A"]].to_numpy()
            rows += [("rms residual", float(np.sqrt(np.mean(res ** 2))), "A"),
                     ("max |residual|", float(np.max(np.abs(res))), "A"),
                     ("bounds fitted", int(res.size), ""), ("instances", len(self.offsets) or 1, "")]
        if plot_path is not None:
            plot_residuals(self, plot_path, holdout)
        return pd.DataFrame(rows, columns=["parameter", "value", "unit"])


def fit_bounds_model(table: pd.DataFrame, omega_per_code: float, instance_column: str = "instance",
                     per_instance_slopes: bool = True) -> BoundsModel:
    """Fit from a bounds table (columns code, i_lower_A, i_upper_A, optionally ``instance_column``);
    needs at least two distinct codes (the gain is the midpoint's slope against the code)."""
    missing = {"code", "i_lower_A", "i_upper_A"} - set(table.columns)
    if missing:
        raise ConfigError(f"fit_bounds_model: the table lacks {', '.join(sorted(missing))}")
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
    offsets = {name: InstanceOffset(float(d - e), float(d + e), float(-2 * ms - gain), float(hs - sl_gain))
               for name, d, e, ms, hs in zip(names, delta, eps, mid_slope, half_slope)}
    model = BoundsModel(i_rest=i_rest, i_sl=i_sl, gain=gain, omega_per_code=omega_per_code,
                        sl_gain=sl_gain, offsets=offsets)
    model_lower, model_upper = zip(*(model.bounds(w, name) for w, name in zip(i_omega, labels)))
    fit_table = pd.DataFrame({"instance": labels, "code": table["code"].to_numpy(),
                              "i_lower_A": lower, "i_upper_A": upper,
                              "model_lower_A": np.array(model_lower, dtype=float),
                              "model_upper_A": np.array(model_upper, dtype=float)})
    fit_table["residual_lower_A"] = fit_table["i_lower_A"] - fit_table["model_lower_A"]
    fit_table["residual_upper_A"] = fit_table["i_upper_A"] - fit_table["model_upper_A"]
    return BoundsModel(**{**model.__dict__, "fit_table": fit_table})


def plot_residuals(model: BoundsModel, path: str | Path, holdout: pd.DataFrame | None = None) -> Path:
    """Two panels against the code: measured bounds (markers; held-out codes open) with the model
    (lines) per instance, and the residuals measured − model (nA)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fit = model.fit_table if model.fit_table is not None else pd.DataFrame(columns=["instance", "code"])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6.5), sharex=True, height_ratios=(2, 1))
    codes = np.linspace(fit["code"].min() - 2, fit["code"].max() + 2, 50) if len(fit) else np.linspace(-32, 31, 50)
    for k, (label, grp) in enumerate(fit.groupby("instance", sort=False)):
        colour = f"C{k % 10}"
        lower, upper = model.bounds_code(codes, label)
        top.plot(codes, lower * 1e9, "-", color=colour, lw=0.8)
        top.plot(codes, upper * 1e9, "--", color=colour, lw=0.8)
        top.plot(grp["code"], grp["i_lower_A"] * 1e9, "v", color=colour, ms=5, label=f"{label} lower")
        top.plot(grp["code"], grp["i_upper_A"] * 1e9, "^", color=colour, ms=5, label=f"{label} upper")
        bottom.plot(grp["code"], grp["residual_lower_A"] * 1e9, "v", color=colour, ms=5)
        bottom.plot(grp["code"], grp["residual_upper_A"] * 1e9, "^", color=colour, ms=5)
        held = holdout[holdout["instance"] == label] if holdout is not None and len(holdout) else fit.iloc[:0]
        for column, marker in (("i_lower_A", "v"), ("i_upper_A", "^")):
            if len(held):
                predicted = model.bounds_code(held["code"], label)[0 if column == "i_lower_A" else 1]
                top.plot(held["code"], held[column] * 1e9, marker, mfc="none", color=colour, ms=6)
                bottom.plot(held["code"], (held[column] - predicted) * 1e9, marker, mfc="none", color=colour, ms=6)
    top.set_ylabel("bound (nA)")
    top.set_title(f"bounds model: I_rest {model.i_rest * 1e9:.3f} nA, I_SL {model.i_sl * 1e9:.3f} nA, "
                  f"g {model.gain:.3f}", fontsize=9)
    top.legend(fontsize=6, ncol=2, title="filled: fitted codes; open: held-out" if holdout is not None
               and len(holdout) else None, title_fontsize=6)
    bottom.axhline(0, color="grey", lw=0.6)
    bottom.set_xlabel("weight code")
    bottom.set_ylabel("measured − model (nA)")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return Path(path)
