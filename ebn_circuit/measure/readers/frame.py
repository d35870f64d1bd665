"""The one frame every waveform reader returns.

A pandas DataFrame: the sweep column first (``time`` in s, ``frequency`` in Hz, or the DC sweep
variable), then one column per vector, named as ngspice results are (``v(out)``, ``i(vdd)``, lower
case); complex vectors (AC) stay complex. ``attrs`` hold ``units`` (column → SI unit), ``sweep``
(the sweep column, None for an operating point), ``kind`` (tran, ac, dc, noise, op), ``format``,
``source`` (the file) and ``names`` (column → the name as the file spells it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ebn_circuit.errors import WaveformError
from ebn_circuit.spice.result import UNIT_OF_TYPE, normalise_vector_name

SWEEP_SPELLINGS = {"time": "time", "freq": "frequency", "frequency": "frequency", "hz": "frequency"}
_UNIT_OF_PREFIX = (("v(", "V"), ("i(", "A"), ("vm(", "V"), ("im(", "A"), ("vdb(", "dB"), ("idb(", "dB"),
                   ("vp(", "rad"), ("ip(", "rad"))


def column_name(name: str, vector_type: str | None = None) -> str:
    """One spelling whatever the simulator: ``V(OUT)`` → ``v(out)``, ``C2#branch`` → ``i(c2)``,
    ``TIME`` → ``time``, ``FREQ`` → ``frequency``. A bare node name becomes ``v(node)`` only
    when the file says it is a voltage (``vector_type``); without a type it stays as written."""
    lowered = name.strip().lower()
    if lowered in SWEEP_SPELLINGS:
        return SWEEP_SPELLINGS[lowered]
    if vector_type is None:
        return lowered
    return normalise_vector_name(lowered, vector_type.lower())


def unit_of(column: str, vector_type: str = "") -> str:
    """The SI unit from the file's vector type, else from the column's spelling."""
    if vector_type and vector_type.lower() in UNIT_OF_TYPE:
        return UNIT_OF_TYPE[vector_type.lower()]
    if column == "time":
        return "s"
    if column == "frequency":
        return "Hz"
    for prefix, unit in _UNIT_OF_PREFIX:
        if column.startswith(prefix):
            return unit
    return ""


def kind_of(sweep: str | None, columns, hint: str = "") -> str:
    """tran, ac, noise, dc or op: from the reader's hint when it has one, else from the data."""
    if hint:
        return hint
    if sweep is None:
        return "op"
    if sweep == "time":
        return "tran"
    if sweep == "frequency":
        return "noise" if any("noise" in c for c in columns) else "ac"
    return "dc"


def waveform_frame(columns: Mapping[str, np.ndarray], units: Mapping[str, str], sweep: str | None,
                   source: str | Path, format: str, kind: str = "", names: Mapping[str, str] | None = None,
                   **attrs) -> pd.DataFrame:
    """Build the frame (sweep column first) and check that every column has the same length."""
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise WaveformError(f"{source}: vectors differ in length ({lengths})")
    if sweep is not None and sweep not in columns:
        raise WaveformError(f"{source}: no sweep column {sweep!r}")
    order = ([sweep] if sweep is not None else []) + [c for c in columns if c != sweep]
    frame = pd.DataFrame({name: np.asarray(columns[name]) for name in order})
    frame.attrs.update(units={c: units.get(c, "") for c in order}, sweep=sweep,
                       kind=kind_of(sweep, order, kind), format=format, source=str(source),
                       names=dict(names or {c: c for c in order}), **attrs)
    return frame


def unique(name: str, taken) -> str:
    """``name``, or ``name#2``, ``name#3`` … when a file repeats a vector name."""
    candidate, k = name, 1
    while candidate in taken:
        k += 1
        candidate = f"{name}#{k}"
    return candidate
