"""The IC figures: a learning-block transient drawn from waveforms, whatever simulator made them.

Paper style (SCIENCE.md §5.1): I_mem in nA with I_lower and I_upper (dashed, updated at each
pulse) and I_rest; the code as a step trace on a right-hand axis; each pulse's decision as a
coloured, hatched band (INC green ///, SL yellow, DEC red \\\\\\); a zoomed second panel with a scale bar.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ebn_circuit.behavioural.learning_block import LearningBlockModel
from ebn_circuit.errors import WaveformError
from ebn_circuit.measure.learning import REQUIRED_SIGNALS, check_waveforms, pulse_table
from ebn_circuit.plotting import DECISIONS, integer_ticks, nA, new_figure, save, style
from ebn_circuit.rule import DEC, INC, SL

BAND_ALPHA = 0.25
HATCH_COLOUR = (0, 0, 0, 0.35)


def _band_style(decision: int) -> dict:
    colour, hatch, _ = DECISIONS[decision]
    # the hatch takes the edge colour (every matplotlib version); lw=0 keeps the edge itself undrawn
    return {"facecolor": to_rgba(colour, BAND_ALPHA), "hatch": hatch, "edgecolor": HATCH_COLOUR, "lw": 0}


def bounds_per_pulse(table: pd.DataFrame, model: LearningBlockModel) -> tuple[np.ndarray, np.ndarray]:
    """I_lower, I_upper that the block compares against at each pulse (from its code then)."""
    return model.bounds(model.omega_per_code * table["code_before"].to_numpy())


def _display_grid(time, window, step: float = 10e-6) -> np.ndarray:
    """I_mem is drawn on a uniform grid: the current memory's switch edges spike the I_mem sense by
    up to µA for well under a µs (docs/robustness.md), and drawn sample by sample those spikes hide
    the current; the grid (never coarser than the record) passes them by."""
    start, stop = max(window[0], time[0]), min(window[1], time[-1])
    return np.arange(start, stop, min(step, (stop - start) / 10)) if stop > start else np.array([start])


def _current_range(shown, lower, upper) -> tuple[float, float]:
    """The I_mem axis (nA): where the drawn I_mem spends its time (percentiles) and the bounds."""
    lo, hi = np.percentile(shown, (0.5, 99.5))
    lo, hi = min(lo, np.min(lower)), max(hi, np.max(upper))
    pad = 0.08 * (hi - lo)
    return nA(lo - pad), nA(hi + pad)


def _draw(ax, ax_code, waveforms, table, model, window):
    time = waveforms["time"].to_numpy()
    mask = (time >= window[0]) & (time <= window[1])
    width = float(np.median(np.diff(table["onset"]))) if len(table) > 1 else 5e-3
    for onset, decision in zip(table["onset"], table["decision"]):
        if window[0] - width <= onset <= window[1]:
            ax.axvspan(onset * 1e3, min(onset + width, window[1]) * 1e3, **_band_style(int(decision)))
    grid = _display_grid(time, window)
    shown = np.interp(grid, time, waveforms["i_mem"].to_numpy())
    ax.plot(grid * 1e3, nA(shown), color="k", lw=1.0, label=r"$I_{\mathrm{mem}}$")
    lower, upper = bounds_per_pulse(table, model)
    edges = np.append(table["onset"].to_numpy(), time[-1])
    for values, colour, label in ((lower, "tab:blue", r"$I_{\mathrm{lower}}$"),
                                  (upper, "tab:purple", r"$I_{\mathrm{upper}}$")):
        ax.step(edges * 1e3, nA(np.append(values, values[-1])), where="post", ls="--", lw=0.9, color=colour,
                label=label)
    ax.axhline(nA(model.i_rest), color="0.4", lw=0.8, ls=":", label=r"$I_{\mathrm{rest}}$")
    ax_code.step(time[mask] * 1e3, waveforms["code"].to_numpy()[mask], where="post", color="tab:orange",
                 lw=1.2, label="weight code")
    ax.set_xlim(window[0] * 1e3, window[1] * 1e3)
    ax.set_ylim(*_current_range(shown, lower, upper))
    ax.set_ylabel(r"$I_{\mathrm{mem}}$ (nA)")
    ax_code.set_ylabel("weight code", color="tab:orange")
    integer_ticks(ax_code.yaxis)
    ax_code.grid(False)


def plot_learning_transient(waveforms: pd.DataFrame, model: LearningBlockModel, path: Path | None = None,
                            zoom: tuple[float, float] | None = None, title: str = "",
                            source: str = "waveforms") -> Figure:
    """The transient and a zoom of it; also written to ``path`` (.png and .pdf) when given.

    waveforms: aligned columns time (s), i_mem (A), pulse (V), code. model: the bounds to draw
    (I_rest, I_SL, offsets, I_Ω per code), e.g. the nominal rule or a fitted model.
    """
    check_waveforms(waveforms, source)
    if len(waveforms) < 10:
        raise WaveformError(f"{source}: too few samples to plot ({len(waveforms)})")
    table = pulse_table(waveforms, lead=model.sample_lead, source=source)
    time = waveforms["time"].to_numpy()
    full = (time[0], time[-1])
    if zoom is None:
        zoom = (table["onset"].iloc[min(5, len(table) - 1)] - 2e-3, table["onset"].iloc[min(9, len(table) - 1)] + 4e-3)
    with style():
        fig = new_figure("page", aspect=0.32, rows=2)
        ax_full, ax_zoom = fig.subplots(2, 1, height_ratios=(3, 2))
        axes_code = (ax_full.twinx(), ax_zoom.twinx())
        _draw(ax_full, axes_code[0], waveforms, table, model, full)
        _draw(ax_zoom, axes_code[1], waveforms, table, model, zoom)
        ax_full.axvspan(zoom[0] * 1e3, zoom[1] * 1e3, fill=False, ec="0.3", lw=0.8)
        ax_full.set_xlabel("time (ms)")
        handles = ax_full.get_legend_handles_labels()[0] + axes_code[0].get_legend_handles_labels()[0]
        ax_full.legend(handles=handles, loc="lower right", ncols=5)
        # zoom panel: a 1 ms scale bar instead of a time axis
        ax_zoom.set_xticks([])
        y0, y1 = ax_zoom.get_ylim()
        bar_x = zoom[0] * 1e3 + 0.05 * (zoom[1] - zoom[0]) * 1e3
        ax_zoom.plot([bar_x, bar_x + 1.0], [y0 + 0.08 * (y1 - y0)] * 2, color="k", lw=2)
        ax_zoom.text(bar_x + 0.5, y0 + 0.11 * (y1 - y0), "1 ms", ha="center")
        ax_zoom.legend(handles=[Patch(**_band_style(d), label=DECISIONS[d][2]) for d in (INC, SL, DEC)],
                       loc="upper right", ncols=3, handlelength=2.4, handleheight=1.6)  # room to show the hatch
        fig.suptitle(title or "learning-block transient")
    if path is not None:
        save(fig, path)
    return fig


def plot_code_overlay(runs: dict[str, pd.DataFrame], path: Path | None = None) -> Figure:
    """Code trajectories of several runs, each normalised by its largest |code|, per pulse; also
    written to ``path`` (.png and .pdf) when given."""
    with style():
        fig = new_figure("column", aspect=0.6)
        ax = fig.subplots()
        for label, waveforms in runs.items():
            table = pulse_table(waveforms, source=label)
            codes = table["code_after"].to_numpy(dtype=float)
            scale = max(np.max(np.abs(codes)), 1.0)
            ax.step(np.arange(len(codes)), codes / scale, where="post", label=f"{label} (÷{scale:g})")
        ax.set_xlabel("presynaptic pulse")
        integer_ticks(ax.xaxis)
        ax.set_ylabel("code / max |code|")
        ax.legend()
    if path is not None:
        save(fig, path)
    return fig


__all__ = ["REQUIRED_SIGNALS", "plot_code_overlay", "plot_learning_transient"]
