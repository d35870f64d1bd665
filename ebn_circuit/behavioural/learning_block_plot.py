"""The residual plot of a learning-block model fitted from measured bounds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def plot_residuals(model, path: str | Path, holdout: pd.DataFrame | None = None) -> Path:
    """Two panels against the code: measured bounds (markers; held-out codes open) with the model
    (lines) per instance, and the residuals measured − model (nA)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fit = model.fit_table if model.fit_table is not None else pd.DataFrame(columns=["instance", "code"])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6.5), sharex=True, height_ratios=(2, 1))
    codes = np.linspace(fit["code"].min() - 2, fit["code"].max() + 2, 50) if len(fit) else np.linspace(-32, 31, 50)
    for k, (label, grp) in enumerate(fit.groupby("instance", sort=False)):
        colour = f"C{k % 10}"
        lower, upper = model.bounds_code(codes, label)
        top.plot(codes, lower * 1e9, "-", color=colour, lw=0.8)
        top.plot(codes, upper * 1e9, "--", color=colour, lw=0.8)
        top.plot(grp["code"], grp["i_lower_A"] * 1e9, "v", color=colour, ms=5, label=f"{label} lower")
        top.plot(grp["code"], grp["i_upper_A"] * 1e9, "^", color=colour, ms=5, label=f"{label} upper")
        bottom.plot(grp["code"], grp["residual_lower_A"] * 1e9, "v", color=colour, ms=5)
        bottom.plot(grp["code"], grp["residual_upper_A"] * 1e9, "^", color=colour, ms=5)
        held = holdout[holdout["instance"] == label] if holdout is not None and len(holdout) else fit.iloc[:0]
        for column, marker in (("i_lower_A", "v"), ("i_upper_A", "^")):
            if len(held):
                predicted = model.bounds_code(held["code"], label)[0 if column == "i_lower_A" else 1]
                top.plot(held["code"], held[column] * 1e9, marker, mfc="none", color=colour, ms=6)
                bottom.plot(held["code"], (held[column] - predicted) * 1e9, marker, mfc="none", color=colour, ms=6)
    top.set_ylabel("bound (nA)")
    top.set_title(f"bounds model: I_rest {model.i_rest * 1e9:.3f} nA, I_SL {model.i_sl * 1e9:.3f} nA, "
                  f"g {model.gain:.3f}", fontsize=9)
    top.legend(fontsize=6, ncol=2, title="filled: fitted codes; open: held-out" if holdout is not None
               and len(holdout) else None, title_fontsize=6)
    bottom.axhline(0, color="grey", lw=0.6)
    bottom.set_xlabel("weight code")
    bottom.set_ylabel("measured − model (nA)")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return Path(path)
