"""Waveform files into tidy DataFrames: ngspice raw files and per-signal CSV exports of a
commercial simulator's waveform viewer (header ``<signal> X,<signal> Y``), plus alignment of
several signals on one time base."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ebn_circuit.errors import WaveformError
from ebn_circuit.spice.rawfile import read_raw
from ebn_circuit.spice.result import UNIT_OF_TYPE, normalise_vector_name


def read_viewer_csv(path: str | Path) -> pd.DataFrame:
    """One signal exported as CSV: columns ``time`` (s) and ``value``; ``attrs['signal']``."""
    path = Path(path)
    try:
        with path.open() as handle:
            header = handle.readline().strip()
    except OSError as exc:
        raise WaveformError(f"{path}: cannot read waveform CSV: {exc.strerror}") from None
    columns = [c.strip() for c in header.split(",")]
    if len(columns) != 2 or not columns[0].endswith(" X") or not columns[1].endswith(" Y"):
        raise WaveformError(f"{path}: header {header!r} is not '<signal> X,<signal> Y'")
    signal = columns[0][:-2]
    try:
        data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    except ValueError as exc:
        raise WaveformError(f"{path}: non-numeric data: {exc}") from None
    if data.shape[1] != 2 or len(data) < 2:
        raise WaveformError(f"{path}: expected two columns and at least two rows, got shape {data.shape}")
    time = data[:, 0]
    if not np.all(np.isfinite(data)):
        raise WaveformError(f"{path}: holds non-finite values")
    bad = np.flatnonzero(np.diff(time) < 0)
    if bad.size:
        raise WaveformError(f"{path}: time is not monotonic (decreases after row {bad[0] + 2})")
    frame = pd.DataFrame({"time": time, "value": data[:, 1]})
    frame.attrs.update(signal=signal, source=str(path))
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


def read_raw_frame(path: str | Path, plot: int = -1) -> pd.DataFrame:
    """One plot of an ngspice raw file as a wide frame (normalised names; units in attrs)."""
    raw = read_raw(path)[plot]
    frame = pd.DataFrame({normalise_vector_name(n, t): np.real(raw.data[n]) for n, t in raw.variables})
    frame.attrs["units"] = {normalise_vector_name(n, t): UNIT_OF_TYPE.get(t, "") for n, t in raw.variables}
    frame.attrs["plotname"] = raw.plotname
    return frame


def align(signals: Mapping[str, pd.DataFrame], time: np.ndarray | None = None, step: float | None = None,
          hold: tuple[str, ...] = ()) -> pd.DataFrame:
    """Resample signals (each with ``time``/``value``) onto one time base.

    time: the target times; else a uniform grid of ``step`` over the common span; else the
    union of all sample times. Signals named in ``hold`` use the last value (zero-order hold,
    for digital codes) instead of linear interpolation.
    """
    if not signals:
        raise WaveformError("align: no signals given")
    for name, frame in signals.items():
        if not {"time", "value"} <= set(frame.columns):
            raise WaveformError(f"align: signal {name!r} needs 'time' and 'value' columns")
    start = max(frame["time"].iloc[0] for frame in signals.values())
    stop = min(frame["time"].iloc[-1] for frame in signals.values())
    if stop <= start:
        raise WaveformError("align: the signals do not overlap in time")
    if time is None:
        if step is not None:
            time = np.arange(start, stop + step / 2, step)
        else:
            time = np.unique(np.concatenate([frame["time"].to_numpy() for frame in signals.values()]))
            time = time[(time >= start) & (time <= stop)]
    out = {"time": np.asarray(time, dtype=float)}
    for name, frame in signals.items():
        t, v = frame["time"].to_numpy(), frame["value"].to_numpy()
        if name in hold:
            index = np.clip(np.searchsorted(t, out["time"], side="right") - 1, 0, len(t) - 1)
            out[name] = v[index]
        else:
            out[name] = np.interp(out["time"], t, v)
    return pd.DataFrame(out)


def to_long(signals: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Tidy long form: one row per sample, columns ``signal``, ``time``, ``value``."""
    return pd.concat([frame.assign(signal=name)[["signal", "time", "value"]]
                      for name, frame in signals.items()], ignore_index=True)
