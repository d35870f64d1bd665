"""Waveforms of other simulators and their alignment on one time base. The readers live in
``measure/readers/`` (one frame for every format); they are re-exported here."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ebn_circuit.errors import WaveformError
from ebn_circuit.measure.readers import (detect_format, read_psf_ascii, read_raw_frame, read_spectre_csv,
                                         read_viewer_csv, read_viewer_csv_dir, read_waveforms, read_xyce)

__all__ = ["align", "detect_format", "read_psf_ascii", "read_raw_frame", "read_spectre_csv", "read_viewer_csv",
           "read_viewer_csv_dir", "read_waveforms", "read_xyce", "to_long"]


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
