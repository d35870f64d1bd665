"""SimResult: the vectors of one analysis, their units, and where they came from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ebn_circuit.errors import WaveformError

# ngspice vector types (raw-file names and libngspice's type enum names) → SI unit.
UNIT_OF_TYPE = {"time": "s", "voltage": "V", "current": "A", "frequency": "Hz",
                "capacitance": "F", "temperature": "degC", "notype": "", "": "",
                "voltage-density": "V/√Hz", "current-density": "A/√Hz",           # noise spectra
                "sqr-voltage-density": "V²/Hz", "sqr-current-density": "A²/Hz",
                "sqr-voltage": "V²", "sqr-current": "A²"}
SWEEP_NAMES = ("time", "frequency", "v(v-sweep)", "i(i-sweep)", "temp-sweep", "res-sweep")


def normalise_vector_name(name: str, vector_type: str) -> str:
    """One spelling for both backends: ``time``, ``v(node)``, ``i(vsource)``, lower case.

    The raw file says ``v(out)`` and ``i(vdd)``; libngspice says ``out`` and ``vdd#branch``.
    """
    name = name.lower()
    if name.startswith(("v(", "i(", "@")) or name in ("time", "frequency"):
        return name
    if name.endswith("#branch"):
        return f"i({name[:-len('#branch')]})"
    if vector_type == "current":
        return f"i({name})"
    if vector_type in ("voltage", "notype", ""):
        return f"v({name})"
    return name


@dataclass(frozen=True)
class SimMeta:
    """Where a result came from; all plain data so it pickles and serialises."""

    netlist_hash: str
    technology: str = ""
    corner: str = ""
    mismatch: bool = False
    seed: int | None = None
    simulator_version: str = ""
    backend: str = ""
    wall_time: float = 0.0
    log: str = ""
    analysis: str = ""
    cached: bool = False
    netlist_path: str | None = None
    warnings: tuple[str, ...] = ()      # ngspice's warning lines, in order, each once

    def __post_init__(self) -> None:
        object.__setattr__(self, "warnings", tuple(self.warnings))   # a JSON list from the cache

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SimResult:
    """Named numpy vectors of one analysis (``op``, ``dc``, ``tran``, …) with units."""

    kind: str
    vectors: Mapping[str, np.ndarray]
    units: Mapping[str, str]
    meta: SimMeta = field(default_factory=lambda: SimMeta(netlist_hash=""))

    def __getitem__(self, name: str) -> np.ndarray:
        key = name.lower()
        if key in self.vectors:
            return self.vectors[key]
        # Allow bare node names: result["out"] is v(out).
        for candidate in (f"v({key})", f"i({key})"):
            if candidate in self.vectors:
                return self.vectors[candidate]
        raise WaveformError(
            f"no vector {name!r} in this {self.kind} result; available: {', '.join(sorted(self.vectors))}"
        )

    def __contains__(self, name: str) -> bool:
        try:
            self[name]
        except WaveformError:
            return False
        return True

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.vectors)

    def v(self, node: str) -> np.ndarray:
        return self[f"v({node})"]

    def i(self, source: str) -> np.ndarray:
        return self[f"i({source})"]

    @property
    def sweep_name(self) -> str | None:
        for name in SWEEP_NAMES:
            if name in self.vectors:
                return name
        return None

    @property
    def sweep(self) -> np.ndarray:
        """The independent variable (time, frequency or the DC sweep source)."""
        name = self.sweep_name
        if name is None:
            raise WaveformError(f"a {self.kind} result has no sweep variable")
        return np.real(self.vectors[name])

    @property
    def time(self) -> np.ndarray:
        return self["time"]

    def to_dataframe(self) -> pd.DataFrame:
        """One column per vector, named as the vector (``v(out)``); the sweep variable (time,
        frequency, the DC source) is the index. AC vectors stay complex. ``attrs['units']`` maps
        every column and the index to its unit; ``attrs['kind']`` is the analysis."""
        sweep = self.sweep_name
        columns = {n: self.vectors[n] for n in sorted(self.vectors) if n != sweep}
        index = pd.Index(np.real(self.vectors[sweep]), name=sweep) if sweep is not None else None
        frame = pd.DataFrame(columns, index=index)
        frame.attrs.update(units={n: self.units.get(n, "") for n in ([sweep] if sweep else []) + list(columns)},
                           kind=self.kind, sweep=sweep)
        return frame

    def select(self, expressions: Iterable[str], missing: list | None = None) -> "SimResult":
        """A result with only these vectors (and the sweep), computing the ones that are
        expressions of it: ``v(a,b)`` (difference), ``vm``/``vp``/``vr``/``vi``/``vdb`` of an AC
        voltage (``im``/``ip``/``ir``/``ii``/``idb`` of a current). A name this result cannot give
        raises WaveformError, or is appended to ``missing`` when a list is passed; an empty name
        (``v()``) always raises."""
        vectors, units = {}, {}
        if self.sweep_name is not None:
            vectors[self.sweep_name], units[self.sweep_name] = self.vectors[self.sweep_name], \
                self.units.get(self.sweep_name, "")
        for text in expressions:
            name = text.strip().lower()
            if name in ("v()", "i()", ""):
                raise WaveformError(f"{name!r} names no vector (empty node or source name)")
            try:
                vectors[name], units[name] = self._evaluate(name)
            except WaveformError:
                if missing is None:
                    raise
                missing.append(name)
        return SimResult(kind=self.kind, vectors=vectors, units=units, meta=self.meta)

    def _evaluate(self, name: str) -> tuple[np.ndarray, str]:
        if name in self:
            key = name if name in self.vectors else next(c for c in (f"v({name})", f"i({name})") if c in self.vectors)
            return self.vectors[key], self.units.get(key, "")
        match = _PART.match(name)
        if match:
            letter, part, inner = match.groups()
            base = self._evaluate(f"{letter}({inner})")[0]
            unit = "V" if letter == "v" else "A"
            return _PARTS[part](base), {"p": "rad", "db": "dB"}.get(part, unit)
        match = _DIFFERENCE.match(name)
        if match:
            return self.v(match.group(1)) - self.v(match.group(2)), "V"
        raise WaveformError(f"no vector {name!r} in this {self.kind} result and no way to compute it; "
                            f"available: {', '.join(sorted(self.vectors))}")

    def with_meta(self, **changes) -> "SimResult":
        meta = SimMeta(**{**self.meta.as_dict(), **changes})
        return SimResult(kind=self.kind, vectors=self.vectors, units=self.units, meta=meta)


_PART = re.compile(r"^([vi])(m|p|r|i|db)\((.+)\)$")
_PARTS = {"m": np.abs, "p": np.angle, "r": np.real, "i": np.imag, "db": lambda x: 20 * np.log10(np.abs(x))}
_DIFFERENCE = re.compile(r"^v\(([^,()]+),([^,()]+)\)$")


def split_complex(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame for a file: each complex column becomes ``<name>.real`` and ``<name>.imag``
    (units carried over in attrs); real columns as they are."""
    out, units = {}, dict(frame.attrs.get("units", {}))
    for column in frame.columns:
        values = frame[column].to_numpy()
        if np.iscomplexobj(values):
            for part in ("real", "imag"):
                out[f"{column}.{part}"] = getattr(values, part)
                units[f"{column}.{part}"] = units.get(column, "")
            units.pop(column, None)
        else:
            out[column] = values
    result = pd.DataFrame(out, index=frame.index)
    result.attrs.update({**frame.attrs, "units": units})
    return result


_PRINT = re.compile(r"^\s*\.print\s+(\w+)\s+(.*)$", re.IGNORECASE | re.MULTILINE)
_PRINT_ITEM = re.compile(r"[a-z@]\w*\((?:[^()]|\([^()]*\))*\)|[^\s(),]+", re.IGNORECASE)


def printed_vectors(netlist: str, kind: str) -> tuple[str, ...]:
    """The vectors a deck's ``.print <kind> …`` lines ask for, in order (empty: none)."""
    items: list[str] = []
    for analysis, rest in _PRINT.findall(netlist):
        if analysis.lower() == kind:
            items += [item.lower() for item in _PRINT_ITEM.findall(rest) if item.lower() not in items]
    return () if "all" in items else tuple(items)   # `.print tran all`: every vector


def kind_of_plot(plotname: str) -> str:
    """Short analysis kind from an ngspice plot name ('Transient Analysis' → 'tran')."""
    lowered = plotname.lower()
    for key, kind in (("transfer function", "tf"), ("transient", "tran"), ("tran", "tran"),
                      ("dc transfer", "dc"), ("dc", "dc"), ("operating point", "op"), ("op", "op"),
                      ("ac", "ac"), ("noise spectral", "noise"), ("noise", "noise")):
        if lowered.startswith(key):
            return kind
    return lowered.split()[0] if lowered else ""
