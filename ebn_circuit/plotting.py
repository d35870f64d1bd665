"""One figure style for every plot of the toolkit.

Plot functions build a ``matplotlib.figure.Figure`` directly (never pyplot), so they never switch
the caller's backend and work in a notebook, a script or a worker alike; they return the Figure,
and ``save`` writes it as a 300 dpi PNG and a vector PDF.

    with style():
        fig = new_figure("column", aspect=0.75)
        ax = fig.subplots()
        ...
    save(fig, "results/x")          # results/x.png, results/x.pdf

Sizes follow an IEEE two-column page: a column is 3.5 in wide, the page 7.16 in. The learning
rule's decisions are told apart by hatching as well as colour (INC ///, SL none, DEC \\\\\\).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ebn_circuit.rule import DEC, INC, NONE, SL

WIDTHS = {"column": 3.5, "page": 7.16}   # inches
DPI = 300
STYLE = {"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7, "xtick.labelsize": 7,
         "ytick.labelsize": 7, "lines.linewidth": 1.0, "axes.grid": True, "grid.alpha": 0.3, "savefig.dpi": DPI,
         "pdf.fonttype": 42, "figure.constrained_layout.use": True, "mathtext.default": "regular"}
# decision → (colour, hatch, label): readable in greyscale
DECISIONS = {INC: ("#2ca02c", "///", "INC"), SL: ("#ffd92f", "", "SL"), DEC: ("#d62728", "\\\\\\", "DEC"),
             NONE: ("#000000", "xx", "none")}


@contextmanager
def style():
    """The toolkit's rc settings, for the figures made inside."""
    with matplotlib.rc_context(STYLE):
        yield


def new_figure(width: str = "column", aspect: float = 0.7, rows: int = 1) -> Figure:
    """A Figure of an IEEE column or page width; height = width·aspect per row of axes."""
    if width not in WIDTHS:
        raise ValueError(f"width must be one of {', '.join(WIDTHS)}, got {width!r}")
    inches = WIDTHS[width]
    return Figure(figsize=(inches, inches * aspect * rows))


def integer_ticks(axis) -> None:
    """Integer tick labels (neuron indices, codes, pulse numbers)."""
    axis.set_major_locator(MaxNLocator(integer=True))


def save(fig: Figure, path: str | Path) -> list[Path]:
    """Write ``path``.png (300 dpi) and ``path``.pdf; returns both paths."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix in (".png", ".pdf"):
        target = path.with_suffix(suffix)
        fig.savefig(target, dpi=DPI)
        written.append(target)
    return written


def nA(values):
    """Amperes → nanoamperes (for axes labelled in nA)."""
    return values * 1e9
