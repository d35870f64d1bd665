"""Column names → quantity and unit, and the engineering unit a column is shown in.

The convention of every table the toolkit writes: SI values, the unit as the name's suffix
(``i_in_A``, ``settle_time_s``, ``slope_V_per_decade``); fractions (agreements, shares of
instances) and counts carry none. Older names with a scaled suffix (``_nA``, ``_ms``) are still
read, as their SI equivalent.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

SI_UNITS = ("A", "s", "V", "Hz", "F", "W", "Ohm")
SCALED = {"fA": ("A", 1e-15), "pA": ("A", 1e-12), "nA": ("A", 1e-9), "uA": ("A", 1e-6), "mA": ("A", 1e-3),
          "us": ("s", 1e-6), "ms": ("s", 1e-3), "mV": ("V", 1e-3), "kHz": ("Hz", 1e3)}
_SUFFIX = re.compile(r"^(?P<base>.+?)_(?P<unit>" + "|".join(SI_UNITS + tuple(SCALED)) + r")(?:_per_(?P<per>\w+))?$")
PREFIXES = ((1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""), (1e3, "k"), (1e6, "M"))
# a designer's usual unit per quantity (nA, ms), kept while a column's typical value is 0.1…10 000 of it
PREFERRED = {"A": 1e-9, "s": 1e-3, "V": 1.0, "Hz": 1.0, "F": 1e-12}
# bare names that hold fractions (shown as %)
_FRACTION = re.compile(r"(^|_)(agreement|fraction|share|within)(_|$)|_ok$|^settled_inside|_vs_code_change$")


def parse(column: str) -> tuple[str, str | None, float, str | None]:
    """(quantity, SI unit or None, factor to SI, per-unit) of a column name."""
    match = _SUFFIX.match(column)
    if not match:
        return column, None, 1.0, None
    unit, factor = SCALED.get(match["unit"], (match["unit"], 1.0))
    return match["base"], unit, factor, match["per"]


def is_fraction(column: str) -> bool:
    return bool(_FRACTION.search(column))


def prefix_for(values: np.ndarray, unit: str | None = None) -> tuple[str, float]:
    """The unit's usual prefix (nA, ms) when it suits the column's typical magnitude, else the
    prefix that puts it in [1, 1000)."""
    finite = np.abs(values[np.isfinite(values) & (values != 0)])
    if not len(finite):
        return "", 1.0
    typical = float(np.median(finite))
    preferred = PREFERRED.get(unit)
    if preferred is not None and 0.1 <= typical / preferred < 1e4:
        return next(prefix for scale, prefix in PREFIXES if scale == preferred), preferred
    chosen = PREFIXES[0]
    for scale, prefix in PREFIXES:
        if typical >= scale * 0.999:
            chosen = (scale, prefix)
    return chosen[1], chosen[0]


def number(value, digits: int = 4) -> str:
    """One cell: integers as integers, floats to ``digits`` significant figures, missing as —."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            return "∞" if value > 0 else "−∞"
        if float(value).is_integer() and abs(value) < 1e6:
            return str(int(value))
        return f"{value:.{digits}g}"
    return str(value)


def engineering(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Headers with their units and the cells as text, every column in its engineering unit."""
    headers, columns = [], []
    for name in frame.columns:
        values = frame[name]
        quantity, unit, factor, per = parse(str(name))
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        label = quantity.replace("_", " ")
        if numeric and unit is not None:
            si = values.to_numpy(dtype=float) * factor
            prefix, scale = prefix_for(si, unit)
            headers.append(f"{label} ({prefix}{unit}{'/' + per if per else ''})")
            columns.append([number(v) for v in si / scale])
        elif numeric and is_fraction(str(name)):
            headers.append(f"{label} (%)")
            columns.append([number(v * 100, 3) for v in values.to_numpy(dtype=float)])
        else:
            headers.append(label)
            columns.append([number(v) for v in values.tolist()])
    rows = [list(row) for row in zip(*columns)] if columns else []
    return headers, rows


def quantity(name: str, value) -> tuple[str, str]:
    """(label, value with its engineering unit) of one named result, e.g. ("tau", "17.75 ms")."""
    base, unit, factor, per = parse(name)
    label = base.replace("_", " ")
    values = list(value) if isinstance(value, (tuple, list)) else [value]
    if not all(isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)) for v in values):
        return label, ", ".join(number(v) for v in values)
    si = np.array(values, dtype=float) * factor
    if unit is None:
        if is_fraction(name):
            return f"{label}", " … ".join(f"{number(v * 100, 3)} %" for v in si)
        return label, " … ".join(number(v) for v in si)
    prefix, scale = prefix_for(si, unit)
    shown = " … ".join(number(v) for v in si / scale)
    return label, f"{shown} {prefix}{unit}{'/' + per if per else ''}"


def quantities(summary: dict, keep=lambda name, value: True) -> pd.DataFrame:
    """A two-column text table (quantity, value) of a result summary's numbers; nested dicts one
    level deep are flattened (``held_out.max_rate_error``), lists of names and paths left out."""
    rows = []
    for name, value in summary.items():
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for sub, item in items:
            full = f"{name}.{sub}" if sub else name
            if isinstance(item, (dict, str)) or item is None or not keep(full, item):
                continue
            if isinstance(item, (list, tuple)) and not all(isinstance(v, (int, float, np.number)) for v in item):
                continue
            label, text = quantity(str(sub or name), item)
            rows.append({"quantity": f"{name.replace('_', ' ')}: {label}" if sub else label, "value": text})
    return pd.DataFrame(rows, columns=["quantity", "value"])
