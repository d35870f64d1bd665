"""Behavioural weight DAC: each Monte-Carlo instance's measured code → current table,
interpolated linearly between codes and held at the end codes beyond the range (with a warning,
once per model: beyond the range the model extrapolates).

The table comes from ``extract.dac`` (columns instance, code, current (A)); the model keeps
every instance's own offset, gain and DNL, which a single LSB would average away. How much of that
detail a compact form would need is checked by ``dac_forms`` (cross-validated over blocks of codes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.validation import OperatingRange
from ebn_circuit.errors import ConfigError
from ebn_circuit.plotting import integer_ticks, new_figure, save, style


@dataclass(frozen=True)
class DacTableModel:
    """codes[instance] (int, increasing) and currents[instance] (A) per instance."""

    codes: dict = field(default_factory=dict)
    currents: dict = field(default_factory=dict)
    operating_range: OperatingRange | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.codes or set(self.codes) != set(self.currents):
            raise ConfigError("DacTableModel needs at least one instance, with codes and currents for each")
        for key, codes in self.codes.items():
            if len(codes) < 2 or np.any(np.diff(codes) <= 0) or len(codes) != len(self.currents[key]):
                raise ConfigError(f"DacTableModel instance {key}: need ≥ 2 increasing codes, one current each")
        if self.operating_range is None:
            every = np.concatenate([np.asarray(c, dtype=float) for c in self.codes.values()])
            object.__setattr__(self, "operating_range", OperatingRange({"code": (every.min(), every.max())}))

    @property
    def instances(self) -> list:
        return list(self.codes)

    @classmethod
    def fit(cls, table: pd.DataFrame) -> "DacTableModel":
        """From a tidy table with columns instance, code, current (A); duplicate codes are averaged."""
        missing = {"instance", "code", "current"} - set(table.columns)
        if missing:
            raise ConfigError(f"DacTableModel.fit: table lacks columns {sorted(missing)}")
        codes, currents = {}, {}
        for key, group in table.groupby("instance", sort=True):
            mean = group.groupby("code")["current"].mean().sort_index()
            codes[key] = mean.index.to_numpy(dtype=int)
            currents[key] = mean.to_numpy(dtype=float)
        return cls(codes, currents)

    def predict(self, code, instance=None) -> np.ndarray:
        """Current (A) at ``code`` (int or float, array) for one instance (default: the first),
        linear between measured codes, saturated at the ends."""
        key = self.instances[0] if instance is None else instance
        if key not in self.codes:
            raise ConfigError(f"DacTableModel.predict: no instance {key!r}; have {self.instances}")
        self.operating_range.check("code", code, "DacTableModel")
        return np.interp(np.asarray(code, dtype=float), self.codes[key], self.currents[key])

    def linearity(self, instance) -> dict:
        """Endpoint LSB (A), code-0 current (A), max |DNL| and |INL| (LSB), monotonic."""
        codes, current = self.codes[instance], self.currents[instance]
        lsb = (current[-1] - current[0]) / (codes[-1] - codes[0])
        dnl = np.diff(current) / np.diff(codes) / lsb - 1.0
        inl = (current - (current[0] + (codes - codes[0]) * lsb)) / lsb
        return {"lsb_A": float(lsb), "offset_A": float(np.interp(0, codes, current)),
                "dnl_max_lsb": float(np.max(np.abs(dnl))), "inl_max_lsb": float(np.max(np.abs(inl))),
                "monotonic": bool(np.all(dnl > -1.0))}

    def leave_one_out_error(self, instance) -> float:
        """Largest |error| (in LSB) when each inner code is predicted from its two neighbours:
        how far a table sampled at every other code would miss."""
        codes, current = self.codes[instance], self.currents[instance]
        lsb = abs(self.linearity(instance)["lsb_A"])
        errors = [np.interp(codes[k], np.delete(codes, k), np.delete(current, k)) - current[k]
                  for k in range(1, len(codes) - 1)]
        return float(np.max(np.abs(errors)) / lsb) if errors else 0.0

    def spread(self) -> dict:
        """Monte-Carlo spread over instances: σ/mean of the LSB, σ of the code-0 current (A),
        largest σ of the current over instances at one code (A, and in mean LSB)."""
        rows = pd.DataFrame([self.linearity(k) for k in self.instances])
        common = sorted(set.intersection(*(set(c.tolist()) for c in self.codes.values())))
        per_code = np.array([[self.predict(c, k) for c in common] for k in self.instances])
        sigma_code = per_code.std(axis=0, ddof=1) if len(self.instances) > 1 else np.zeros(len(common))
        mean_lsb = float(rows["lsb_A"].mean())
        return {"instances": len(self.instances), "lsb_mean_A": mean_lsb,
                "lsb_rel_sigma": float(rows["lsb_A"].std(ddof=1) / abs(mean_lsb)) if len(rows) > 1 else 0.0,
                "offset_sigma_A": float(rows["offset_A"].std(ddof=1)) if len(rows) > 1 else 0.0,
                "current_sigma_max_A": float(sigma_code.max()),
                "current_sigma_max_lsb": float(sigma_code.max() / abs(mean_lsb)),
                "dnl_max_lsb": float(rows["dnl_max_lsb"].max()), "inl_max_lsb": float(rows["inl_max_lsb"].max()),
                "all_monotonic": bool(rows["monotonic"].all())}

    def report(self, path: str | Path | None = None) -> pd.DataFrame:
        """Per-instance table: linearity, reproduction error at the measured codes (A) and the
        leave-one-out interpolation error (LSB). With ``path``: also ``<path>.csv`` and a plot
        ``<path>.png`` (curves and deviation from the mean curve in LSB)."""
        rows = []
        for key in self.instances:
            reproduced = np.max(np.abs(self.predict(self.codes[key], key) - self.currents[key]))
            rows.append({"instance": key, **self.linearity(key), "reproduction_error_A": float(reproduced),
                         "leave_one_out_error_lsb": self.leave_one_out_error(key)})
        table = pd.DataFrame(rows)
        if path is not None:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            table.to_csv(path.with_suffix(".csv"), index=False)
            self._plot(path.with_suffix(".png"))
        return table

    def _plot(self, path: Path) -> None:
        codes = np.arange(min(c[0] for c in self.codes.values()), max(c[-1] for c in self.codes.values()) + 1)
        curves = np.array([self.predict(codes, k) for k in self.instances])
        lsb = abs(np.mean([self.linearity(k)["lsb_A"] for k in self.instances]))
        with style():
            fig = new_figure("column", aspect=0.55, rows=2)
            top, bottom = fig.subplots(2, 1, sharex=True)
        for key, curve in zip(self.instances, curves):
            top.plot(codes, curve * 1e9, lw=0.8, label=str(key))
            bottom.plot(codes, (curve - curves.mean(axis=0)) / lsb, lw=0.8)
        top.set_ylabel("current (nA)")
        top.set_title(f"weight DAC, {len(self.instances)} Monte-Carlo instances")
        if len(self.instances) <= 10:
            top.legend(title="instance", ncols=2)
        bottom.set_ylabel("deviation from mean (LSB)")
        bottom.set_xlabel("code")
        integer_ticks(bottom.xaxis)
        save(fig, path)
