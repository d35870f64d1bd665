"""The residual plot of a learning-block model fitted from measured bounds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ebn_circuit.plotting import integer_ticks, nA, new_figure, save, style

# (measured column, residual column, marker) per bound: the marker says which bound, the colour which instance
BOUNDS = (("i_lower_A", "residual_lower_A", "v"), ("i_upper_A", "residual_upper_A", "^"))


def plot_residuals(model, path: str | Path | None = None, holdout: pd.DataFrame | None = None) -> Figure:
    """Two panels against the code: measured bounds (markers; held-out codes open) with the model
    (lines; solid lower, dashed upper) per instance, and the residuals measured − model (nA); also
    written to ``path`` (.png and .pdf) when given."""
    fit = model.fit_table if model.fit_table is not None else pd.DataFrame(columns=["instance", "code"])
    has_holdout = holdout is not None and len(holdout) > 0
    codes = np.linspace(fit["code"].min() - 2, fit["code"].max() + 2, 50) if len(fit) else np.linspace(-32, 31, 50)
    with style():
        fig = new_figure("column", aspect=0.5, rows=2)
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
        handles = []
        for k, (label, grp) in enumerate(fit.groupby("instance", sort=False)):
            colour = f"C{k % 10}"
            lower, upper = model.bounds_code(codes, label)
            top.plot(codes, nA(lower), "-", color=colour, lw=0.8)
            top.plot(codes, nA(upper), "--", color=colour, lw=0.8)
            for column, residual, marker in BOUNDS:
                top.plot(grp["code"], nA(grp[column]), marker, color=colour, ms=3)
                bottom.plot(grp["code"], nA(grp[residual]), marker, color=colour, ms=3)
            held = holdout[holdout["instance"] == label] if has_holdout else fit.iloc[:0]
            if len(held):
                for (column, _, marker), predicted in zip(BOUNDS, model.bounds_code(held["code"], label)):
                    top.plot(held["code"], nA(held[column]), marker, mfc="none", color=colour, ms=4)
                    bottom.plot(held["code"], nA(held[column] - predicted), marker, mfc="none", color=colour, ms=4)
            handles.append(Line2D([], [], color=colour, label=f"instance {label}"))
        handles += [Line2D([], [], color="k", ls="-", marker="v", ms=3, label="lower bound"),
                    Line2D([], [], color="k", ls="--", marker="^", ms=3, label="upper bound")]
        if has_holdout:
            handles.append(Line2D([], [], color="k", ls="", marker="o", mfc="none", ms=4, label="held-out code"))
        top.set_ylabel("bound (nA)")
        top.set_title(rf"$I_{{\mathrm{{rest}}}}$ = {nA(model.i_rest):.3f} nA, "
                      rf"$I_{{\mathrm{{SL}}}}$ = {nA(model.i_sl):.3f} nA, g = {model.gain:.3f}")
        bottom.axhline(0, color="grey", lw=0.6)
        bottom.set_xlabel("weight code")
        integer_ticks(bottom.xaxis)
        bottom.set_ylabel("measured − model (nA)")
        fig.legend(handles=handles, loc="outside lower center", ncols=2)
    if path is not None:
        save(fig, path)
    return fig
