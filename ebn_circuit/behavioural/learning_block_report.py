"""The parameter table of a learning-block model: values, intervals, identifiability, fit quality."""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["parameter", "value", "unit", "low", "high", "identified", "note"]


def report_table(model) -> pd.DataFrame:
    """One row per parameter or number (SI units); intervals where the fit estimated them."""
    rows = [("i_rest", model.i_rest, "A"), ("i_sl", model.i_sl, "A"), ("gain g", model.gain, ""),
            ("omega_ratio r = g/2", model.omega_ratio, ""), ("omega_per_code", model.omega_per_code, "A"),
            ("midpoint slope −g·omega_per_code/2", -model.gain * model.omega_per_code / 2, "A/code"),
            ("sl_gain k", model.sl_gain, ""), ("offset_lower", model.offset_lower, "A"),
            ("offset_upper", model.offset_upper, "A"),
            ("effective I_lower at I_Ω=0", float(model.bounds(0.0)[0]), "A"),
            ("effective I_upper at I_Ω=0", float(model.bounds(0.0)[1]), "A"), ("sample_lead", model.sample_lead, "s")]
    for label, d in model.instances.items():
        rows += [(f"offset_lower[{label}]", d.lower, "A"), (f"offset_upper[{label}]", d.upper, "A"),
                 (f"gain g[{label}]", model.gain + d.gain, ""), (f"sl_gain k[{label}]", model.sl_gain + d.sl_gain, "")]
    if len(model.instances) > 1:
        values = np.array([[d.lower, d.upper, d.gain, d.sl_gain] for d in model.instances.values()])
        sigma = values.std(axis=0, ddof=1)
        rows += [("σ offset_lower", sigma[0], "A"), ("σ offset_upper", sigma[1], "A"),
                 ("σ gain g", sigma[2], ""), ("σ sl_gain k", sigma[3], "")]
    if model.fit_table is not None and len(model.fit_table):
        res = model.fit_table[["residual_lower_A", "residual_upper_A"]].to_numpy()
        rows += [("rms residual", float(np.sqrt(np.mean(res ** 2))), "A"),
                 ("max |residual|", float(np.max(np.abs(res))), "A"),
                 ("bounds fitted", int(res.size), ""), ("instances", len(model.instances) or 1, "")]
    rows += [(key, value, "") for key, value in model.fit_report.items()]
    table = pd.DataFrame(rows, columns=["parameter", "value", "unit"])
    table["low"], table["high"], table["identified"], table["note"] = np.nan, np.nan, None, ""
    if model.intervals is not None and len(model.intervals):
        for row in model.intervals.itertuples():
            match = table["parameter"] == row.parameter
            if match.any():
                table.loc[match, ["low", "high", "identified", "note"]] = [row.low, row.high, row.identified, row.note]
            else:
                table.loc[len(table)] = [row.parameter, row.value, row.unit, row.low, row.high, row.identified,
                                         row.note]
    return table[COLUMNS]


def unidentified(model) -> list[str]:
    """Names of the parameters the data do not identify (from the model's intervals)."""
    if model.intervals is None or not len(model.intervals):
        return []
    flagged = model.intervals[~model.intervals["identified"].astype(bool)]
    return [f"{r.parameter} ({r.note})" for r in flagged.itertuples()]
