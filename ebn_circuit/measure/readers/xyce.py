"""Xyce's text output: ``.prn`` (whitespace columns after ``Index``, ending ``End of Xyce(TM) …``)
and ``.csv`` (``.print … format=csv``: comma-separated, no ``Index``), as the common frame.

Columns ``Re(X)``/``Im(X)`` and ``VR(n)``/``VI(n)`` (``IR``/``II``) become one complex vector;
``VM``, ``VP``, ``VDB`` stay real columns as printed. ``ONOISE``/``INOISE`` take ngspice's names
(``onoise_spectrum``, ``inoise_spectrum``). A ``.step`` file, whose ``Index`` restarts at 0, gets
a ``step`` column.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.errors import WaveformError
from ebn_circuit.measure.readers.frame import column_name, unique, unit_of, waveform_frame

_FOOTER = re.compile(r"^\s*end of xyce", re.IGNORECASE)
_PART = re.compile(r"^(?:re\((.+)\)|im\((.+)\)|([vi])r\((.+)\)|([vi])i\((.+)\))$", re.IGNORECASE)
_NOISE = {"onoise": "onoise_spectrum", "inoise": "inoise_spectrum"}
_NOISE_UNIT = "V/√Hz"


def read_xyce(path: str | Path) -> pd.DataFrame:
    """A Xyce ``.prn`` or ``.csv`` file."""
    path = Path(path)
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as exc:
        raise WaveformError(f"{path}: cannot read Xyce output: {exc.strerror}") from None
    body = [(n, line) for n, line in enumerate(lines, 1) if line.strip() and not _FOOTER.match(line)]
    if not body:
        raise WaveformError(f"{path}: empty Xyce output (no header line)")
    header_line = body[0][1]
    comma = "," in re.sub(r"\([^()]*(?:\([^()]*\))*[^()]*\)", "", header_line)   # a comma outside V(a,b)
    header = split_outside_parentheses(header_line, comma)
    values = _numbers(path, body[1:], len(header))
    if values.shape[0] == 0:
        raise WaveformError(f"{path}: Xyce output has a header but no data rows")
    indexed = header[0].lower() == "index"
    step = None
    if indexed:
        index, values, header = values[:, 0], values[:, 1:], header[1:]
        starts = np.flatnonzero(index == 0)
        if starts.size > 1:
            step = np.cumsum(index == 0) - 1
    columns, units, names = _columns(header, values)
    if step is not None:
        columns["step"], units["step"] = step, ""
    sweep = next(iter(columns)) if values.shape[0] > 1 or header[0].lower() in ("time", "freq") else None
    return waveform_frame(columns, units, sweep, path, "xyce-csv" if comma else "xyce-prn", names=names)


def split_outside_parentheses(line: str, comma: bool) -> list[str]:
    """Header fields: split on commas (CSV) or whitespace, never inside ``DNI(Q1,IB)``."""
    fields, depth, current = [], 0, ""
    for char in line.strip():
        depth += (char == "(") - (char == ")")
        is_break = (char == ",") if comma else char.isspace()
        if is_break and depth == 0:
            if current.strip():
                fields.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        fields.append(current.strip())
    return fields


def _numbers(path: Path, rows: list[tuple[int, str]], width: int) -> np.ndarray:
    values = np.empty((len(rows), width))
    for k, (number, line) in enumerate(rows):
        tokens = [t for t in re.split(r"[,\s]+", line.strip()) if t]
        if len(tokens) != width:
            what = "truncated" if k == len(rows) - 1 and len(tokens) < width else "malformed"
            raise WaveformError(f"{path}: line {number} is {what}: {len(tokens)} values, the header names {width}")
        try:
            values[k] = [float(t) for t in tokens]
        except ValueError:
            raise WaveformError(f"{path}: line {number} holds a non-number: {line.strip()[:60]!r}") from None
    return values


def _columns(header: list[str], values: np.ndarray):
    columns: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    names: dict[str, str] = {}
    parts: dict[str, dict[str, np.ndarray]] = {}
    for k, field in enumerate(header):
        match = _PART.match(field)
        if match:
            inner, kind_letter, is_real = _part_of(match)
            base = column_name(inner if kind_letter is None else f"{kind_letter}({inner})")
            slot = parts.setdefault(base, {})
            slot["re" if is_real else "im"] = values[:, k]
            if base not in columns:
                columns[base] = None   # keeps the column order; filled below
                names[base] = field
            continue
        lowered = field.lower()
        name = unique(_NOISE.get(lowered, column_name(field)), columns)
        columns[name], names[name] = values[:, k], field
        units[name] = _NOISE_UNIT if lowered in _NOISE else unit_of(name)
    for base, slot in parts.items():
        columns[base] = slot.get("re", 0.0) + 1j * slot.get("im", 0.0) * np.ones(len(values))
        units[base] = unit_of(base)
    return columns, units, names


def _part_of(match) -> tuple[str, str | None, bool]:
    """(inner name, 'v'/'i' for VR/VI/IR/II forms, real part?)."""
    re_inner, im_inner, r_letter, r_inner, i_letter, i_inner = match.groups()
    if re_inner is not None:
        return re_inner, None, True
    if im_inner is not None:
        return im_inner, None, False
    if r_letter is not None:
        return r_inner, r_letter.lower(), True
    return i_inner, i_letter.lower(), False
