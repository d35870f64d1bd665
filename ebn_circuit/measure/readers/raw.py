"""Raw files of ngspice, LTspice and Xyce (binary or ASCII) as the common frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.errors import WaveformError
from ebn_circuit.measure.readers.frame import column_name, unique, unit_of, waveform_frame
from ebn_circuit.spice.rawfile import RawPlot, read_raw
from ebn_circuit.spice.result import kind_of_plot

_SWEEP_TYPES = ("time", "frequency")


def read_raw_frame(path: str | Path, plot: int | str | None = None) -> pd.DataFrame:
    """One plot of a raw file: ``plot`` is its position or the start of its name (``"AC"``,
    ``"Noise Spectral"``); default the last plot with more than one point (a noise run's spectrum,
    not its integrated totals), else the last. Complex AC vectors stay complex."""
    plots = read_raw(path)
    chosen = _choose(plots, plot, path)
    columns, units, names = {}, {}, {}
    for name, vtype in chosen.variables:
        column = unique(column_name(name, vtype), columns)
        columns[column], units[column], names[column] = chosen.data[name], unit_of(column, vtype), name
    first_name, first_type = chosen.variables[0]
    first = column_name(first_name, first_type)
    sweep = first if (first_type in _SWEEP_TYPES or len(next(iter(columns.values()))) > 1) else None
    if sweep is not None and "stepped" in chosen.flags:
        columns["step"] = _steps(np.real(columns[sweep]))
        units["step"] = ""
    kind = kind_of_plot(chosen.plotname)
    return waveform_frame(columns, units, sweep, path, f"{chosen.dialect}-raw",
                          kind=kind if kind in ("tran", "ac", "dc", "noise", "op") else "",
                          names=names, plotname=chosen.plotname, plots=[p.plotname for p in plots])


def _choose(plots: list[RawPlot], plot: int | str, path) -> RawPlot:
    if plot is None:
        swept = [p for p in plots if len(next(iter(p.data.values()))) > 1]
        return (swept or plots)[-1]
    if isinstance(plot, str):
        for candidate in plots:
            if candidate.plotname.lower().startswith(plot.lower()):
                return candidate
        raise WaveformError(f"{path}: no plot named {plot!r}; plots: {', '.join(p.plotname for p in plots)}")
    try:
        return plots[plot]
    except IndexError:
        raise WaveformError(f"{path}: no plot {plot} (the file holds {len(plots)})") from None


def _steps(sweep: np.ndarray) -> np.ndarray:
    """Run number of each point of a stepped file: a new run starts where the sweep restarts."""
    restart = np.r_[False, np.diff(sweep) < 0] | np.r_[False, sweep[1:] == sweep[0]]
    return np.cumsum(restart)
