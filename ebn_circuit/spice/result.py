"""SimResult: the vectors of one analysis, their units, and where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from ebn_circuit.errors import WaveformError

# ngspice vector types (raw-file names and libngspice's type enum names) → SI unit.
UNIT_OF_TYPE = {"time": "s", "voltage": "V", "current": "A", "frequency": "Hz",
                "capacitance": "F", "temperature": "degC", "notype": "", "": ""}
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
        """One column per vector, named ``<name> [<unit>]``; the sweep variable first."""
        order = sorted(self.vectors, key=lambda n: (n != self.sweep_name, n))
        return pd.DataFrame({
            (f"{n} [{self.units.get(n, '')}]" if self.units.get(n) else n): self.vectors[n] for n in order
        })

    def with_meta(self, **changes) -> "SimResult":
        meta = SimMeta(**{**self.meta.as_dict(), **changes})
        return SimResult(kind=self.kind, vectors=self.vectors, units=self.units, meta=meta)


def kind_of_plot(plotname: str) -> str:
    """Short analysis kind from an ngspice plot name ('Transient Analysis' → 'tran')."""
    lowered = plotname.lower()
    for key, kind in (("transient", "tran"), ("tran", "tran"), ("dc transfer", "dc"), ("dc", "dc"),
                      ("operating point", "op"), ("op", "op"), ("ac", "ac"), ("noise", "noise")):
        if lowered.startswith(key):
            return kind
    return lowered.split()[0] if lowered else ""
