"""Pass/fail specifications of a verification run (in the manner of CACE): limits per measured
quantity in a TOML file, the package's defaults in ``ebn_circuit/data/specs.toml``.

    [learning_block.agreement_outside_guard]
    min = 0.97
    unit = "%"                      # how it is shown (measured values are SI or fractions)
    doc = "decisions agreeing with the ideal rule, outside the ±0.1 nA guard band"

A user's file (``--spec my.toml``) overrides the defaults quantity by quantity. ``check`` gives one
row per quantity — measured, limit, margin (positive: inside), pass — for the table a run prints
and writes; a run with any failing row exits 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from ebn_circuit.errors import ConfigError
from ebn_circuit.tomlfile import read_toml

SCALE = {"%": 100.0, "nA": 1e9, "pA": 1e12, "µs": 1e6, "us": 1e6, "ms": 1e3, "s": 1.0, "": 1.0, "mV": 1e3, "V": 1.0}


@dataclass(frozen=True)
class Spec:
    """One limit: ``min`` and/or ``max`` (SI, or a fraction for %), how to show it, what it means."""

    group: str
    name: str
    min: float | None = None
    max: float | None = None
    unit: str = ""
    doc: str = ""

    def margin(self, value: float) -> float:
        """Distance inside the limits (SI): negative when outside, nan when not measured."""
        if not math.isfinite(value):
            return math.nan
        margins = [value - self.min] if self.min is not None else []
        margins += [self.max - value] if self.max is not None else []
        return min(margins)

    def limit_text(self) -> str:
        show = lambda v: f"{v * SCALE[self.unit]:.4g}"  # noqa: E731
        parts = ([f"≥ {show(self.min)}"] if self.min is not None else []) + \
                ([f"≤ {show(self.max)}"] if self.max is not None else [])
        return " and ".join(parts) + (f" {self.unit}" if self.unit else "")


def load_specs(path: str | Path | None = None) -> dict[str, dict[str, Spec]]:
    """The package's specs, overridden by ``path`` (group → name → Spec)."""
    default = resources.files("ebn_circuit.data").joinpath("specs.toml")
    with resources.as_file(default) as packaged:
        specs = _parse(read_toml(packaged, "spec file"), str(packaged))
    if path is not None:
        for group, items in _parse(read_toml(path, "spec file"), str(path)).items():
            specs.setdefault(group, {}).update(items)
    return specs


def _parse(data: dict, where: str) -> dict[str, dict[str, Spec]]:
    specs: dict[str, dict[str, Spec]] = {}
    for group, items in data.items():
        if not isinstance(items, dict):
            raise ConfigError(f"{where}: [{group}] must be a table of quantities")
        for name, fields in items.items():
            if not isinstance(fields, dict) or not set(fields) <= {"min", "max", "unit", "doc"}:
                raise ConfigError(f"{where}: {group}.{name} takes min, max, unit, doc; got {fields!r}")
            for key in ("min", "max"):
                value = fields.get(key)
                if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                          or not math.isfinite(value)):
                    raise ConfigError(f"{where}: {group}.{name}.{key} must be a finite number, got {value!r}")
            if fields.get("min") is None and fields.get("max") is None:
                raise ConfigError(f"{where}: {group}.{name} needs min or max")
            unit = str(fields.get("unit", ""))
            if unit not in SCALE:
                raise ConfigError(f"{where}: {group}.{name}.unit {unit!r} is not one of {', '.join(SCALE)}")
            specs.setdefault(group, {})[name] = Spec(group, name, fields.get("min"), fields.get("max"), unit,
                                                     str(fields.get("doc", "")))
    return specs


def check(group: str, measured: dict[str, float], specs: dict[str, dict[str, Spec]],
          not_applicable: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per spec of ``group``: measured and limit as shown, margin, status (pass, fail, or
    n/a with the reason when this kind of run cannot measure it, e.g. settling in a shortened run).
    A quantity the run should have measured but did not fails: a spec never passes silently."""
    not_applicable = not_applicable or {}
    rows = []
    for name, spec in specs.get(group, {}).items():
        value = measured.get(name)
        value = float(value) if value is not None else math.nan
        margin = spec.margin(value)
        scale = SCALE[spec.unit]
        status = (f"n/a: {not_applicable[name]}" if name in not_applicable
                  else "pass" if math.isfinite(margin) and margin >= 0 else "fail")
        rows.append({"group": group, "quantity": name, "measured": value * scale, "unit": spec.unit,
                     "limit": spec.limit_text(), "margin": margin * scale, "status": status, "meaning": spec.doc})
    return pd.DataFrame(rows, columns=["group", "quantity", "measured", "unit", "limit", "margin", "status", "meaning"])


def failed(table: pd.DataFrame) -> int:
    return int((table["status"] == "fail").sum())


def verdict(table: pd.DataFrame) -> str:
    checked = int(table["status"].isin(("pass", "fail")).sum())
    return "PASS" if not failed(table) else f"FAIL ({failed(table)} of {checked})"


def _shown(value: float, unit: str, signed: bool = False) -> str:
    if not math.isfinite(value):
        return "not measured"
    return (f"{value:+.4g}" if signed else f"{value:.4g}") + (f" {unit}" if unit else "")


def display(table: pd.DataFrame) -> pd.DataFrame:
    """The rows as text, each in its spec's unit: quantity, measured, limit, margin, result, meaning."""
    return pd.DataFrame([{"quantity": r["quantity"], "measured": _shown(r["measured"], r["unit"]), "limit": r["limit"],
                          "margin": _shown(r["margin"], r["unit"], signed=True),
                          "result": "FAIL" if r["status"] == "fail" else r["status"], "meaning": r["meaning"]}
                         for r in table.to_dict("records")],
                        columns=["quantity", "measured", "limit", "margin", "result", "meaning"])


def markdown(title: str, table: pd.DataFrame) -> str:
    rows = display(table)
    lines = [f"### {title}: {verdict(table)}", "", "| " + " | ".join(rows.columns) + " |", "|---" * len(rows.columns) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def write(table: pd.DataFrame, folder: Path, stem: str, title: str) -> str:
    """specs_<stem>.csv and .md in ``folder``; returns the Markdown."""
    folder.mkdir(parents=True, exist_ok=True)
    table.to_csv(folder / f"specs_{stem}.csv", index=False)
    text = markdown(title, table)
    (folder / f"specs_{stem}.md").write_text(text)
    return text


def print_table(table: pd.DataFrame, title: str, log=print) -> None:
    """The table on the terminal: one line per quantity."""
    log(f"{title}: {verdict(table)}")
    for r in table.to_dict("records"):
        status, _, reason = r["status"].partition(": ")
        shown = f"{r['quantity']}: {_shown(r['measured'], r['unit'])} (limit {r['limit']}"
        log(f"  {status.upper() if status == 'fail' else status:<4}  " + shown
            + (f"; {reason})" if reason else f", margin {_shown(r['margin'], r['unit'], True)})"))
