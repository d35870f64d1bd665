"""Figures of the chip twin: the twin against the transistor-level loop, per instance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.plotting import integer_ticks, nA, new_figure, save, style


def plot_twin_check(pulses: pd.DataFrame, path: Path, max_instances: int = 6) -> list[Path]:
    """Per (run, instance): the code after each pulse and I_before, circuit (solid) and twin (dashed)."""
    pairs = list(pulses.groupby(["instance", "run"], sort=True))[: 2 * max_instances]
    runs = sorted(pulses["run"].unique())
    instances = sorted({inst for (inst, _), _ in pairs})
    with style():
        fig = new_figure("page", aspect=0.22, rows=len(instances))
        axes = np.atleast_2d(fig.subplots(len(instances), len(runs), squeeze=False))
        handles = None
        for (inst, run), group in pairs:
            ax = axes[instances.index(inst), runs.index(run)]
            ax.plot(group["pulse"], group["code_circuit"], "-", color="k", lw=1.0, label="code, transistor level")
            ax.plot(group["pulse"], group["code_twin"], "--", color="tab:orange", lw=1.0, label="code, twin")
            integer_ticks(ax.yaxis)
            ax.set_ylabel(f"#{inst} code")
            right = ax.twinx()
            right.plot(group["pulse"], nA(group["i_before_circuit"]), ".", ms=2, color="0.5", label="I_before, transistor")
            right.plot(group["pulse"], nA(group["i_before_twin"]), "x", ms=2, color="tab:blue", label="I_before, twin")
            right.set_ylabel("I$_{before}$ (nA)")
            right.grid(False)
            if handles is None:
                handles = [h for a in (ax, right) for h in a.get_legend_handles_labels()[0]]
            if instances.index(inst) == 0:
                ax.set_title(run)
        for ax in axes[-1]:
            ax.set_xlabel("presynaptic pulse")
            integer_ticks(ax.xaxis)
        fig.legend(handles=handles, loc="outside upper center", ncols=4)
    return save(fig, path)
