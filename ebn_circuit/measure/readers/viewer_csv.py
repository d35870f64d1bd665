"""CSV exports of Cadence's waveform viewer (Spectre/Virtuoso ViVA): each signal as an X/Y column
pair, header ``<signal> X,<signal> Y[,<signal2> X,<signal2> Y …]``.

``read_viewer_csv`` reads a one-signal file as ``time``/``value`` (the learning-block fits use
it); ``read_spectre_csv`` reads any number of pairs as the common frame. Values may be complex,
written ``(re, im)``, ``(re im)`` or ``re+imj``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ebn_circuit.errors import WaveformError
from ebn_circuit.measure.readers.frame import column_name, unique, unit_of, waveform_frame

_PAIR = re.compile(r"^(.*) ([XY])$")
_COMPLEX = re.compile(r"^\(\s*([^,\s]+)[,\s]\s*([^,\s)]+)\s*\)$")


def read_viewer_csv(path: str | Path) -> pd.DataFrame:
    """One signal exported as CSV: columns ``time`` (s) and ``value``; ``attrs['signal']``."""
    path = Path(path)
    header, rows = _read(path)
    if len(header) != 2 or not header[0].endswith(" X") or not header[1].endswith(" Y"):
        raise WaveformError(f"{path}: header {','.join(header)!r} is not '<signal> X,<signal> Y'")
    x, y = _pair(path, rows, 0)
    if np.iscomplexobj(y):
        raise WaveformError(f"{path}: holds complex values; read it with read_spectre_csv")
    if len(x) < 2:
        raise WaveformError(f"{path}: expected at least two rows, got {len(x)}")
    frame = pd.DataFrame({"time": x, "value": y})
    frame.attrs.update(signal=header[0][:-2], source=str(path))
    return frame


def read_viewer_csv_dir(folder: str | Path, files: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """Several signals from one export folder: ``files`` maps our name → CSV file name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise WaveformError(f"{folder}: waveform folder does not exist")
    signals = {}
    for name, filename in files.items():
        path = folder / filename
        if not path.is_file():
            raise WaveformError(f"{folder}: signal {name!r} expected in {filename}, which is missing")
        signals[name] = read_viewer_csv(path)
    return signals


def is_viewer_header(line: str) -> bool:
    fields = [f.strip() for f in line.split(",")]
    return len(fields) >= 2 and len(fields) % 2 == 0 and all(
        f.endswith(" X" if k % 2 == 0 else " Y") for k, f in enumerate(fields))


def read_spectre_csv(path: str | Path, sweep: str | None = None) -> pd.DataFrame:
    """Every X/Y pair of a viewer CSV as one frame. Pairs on the same X share it; pairs on other
    X are interpolated onto the union of the X values (``attrs['resampled']`` lists them).
    sweep: the X column's name (default ``frequency`` when values are complex, else ``time``)."""
    path = Path(path)
    header, rows = _read(path)
    if not is_viewer_header(",".join(header)):
        raise WaveformError(f"{path}: header is not '<signal> X,<signal> Y' pairs")
    pairs = [(header[k][:-2], *_pair(path, rows, k)) for k in range(0, len(header), 2)]
    x = pairs[0][1]
    resampled = [name for name, px, _ in pairs if len(px) != len(x) or not np.array_equal(px, x)]
    if resampled:
        x = np.unique(np.concatenate([px for _, px, _ in pairs]))
    if sweep is None:
        sweep = "frequency" if any(np.iscomplexobj(py) for _, _, py in pairs) else "time"
    columns, units, names = {sweep: x}, {sweep: unit_of(sweep)}, {sweep: f"{pairs[0][0]} X"}
    for name, px, py in pairs:
        if name in resampled:
            py = np.interp(x, px, py.real) + (1j * np.interp(x, px, py.imag) if np.iscomplexobj(py) else 0)
        column = unique(column_name(name.strip("/").replace("/", ".")), columns)
        columns[column], units[column], names[column] = py, unit_of(column), name
    return waveform_frame(columns, units, sweep, path, "spectre-csv", resampled=resampled)


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        with path.open(newline="") as handle:
            table = list(csv.reader(handle))
    except OSError as exc:
        raise WaveformError(f"{path}: cannot read waveform CSV: {exc.strerror}") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise WaveformError(f"{path}: not a readable CSV file ({exc})") from None
    if not table:
        raise WaveformError(f"{path}: empty CSV file")
    return [f.strip() for f in table[0]], table[1:]


def _pair(path: Path, rows: list[list[str]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column pair k, k+1 up to its first empty cell (signals of one file may differ in length)."""
    x, y = [], []
    for number, row in enumerate(rows, 2):
        cells = [c.strip() for c in row[k:k + 2]]
        if len(cells) < 2 or not cells[0]:
            break
        try:
            x.append(float(cells[0]))
            y.append(_value(cells[1]))
        except ValueError:
            raise WaveformError(f"{path}: line {number} holds a non-number: {','.join(row)[:60]!r}") from None
    if not x:
        raise WaveformError(f"{path}: signal in columns {k + 1}-{k + 2} has no data")
    x_arr, y_arr = np.array(x), np.array(y)
    if not (np.all(np.isfinite(x_arr)) and np.all(np.isfinite(y_arr))):
        raise WaveformError(f"{path}: holds non-finite values")
    bad = np.flatnonzero(np.diff(x_arr) < 0)
    if bad.size:
        raise WaveformError(f"{path}: time is not monotonic (decreases after row {bad[0] + 2})")
    return x_arr, y_arr


def _value(cell: str) -> float | complex:
    match = _COMPLEX.match(cell)
    if match:
        return complex(float(match.group(1)), float(match.group(2)))
    if cell.endswith("j"):
        return complex(cell.replace(" ", ""))
    return float(cell)
