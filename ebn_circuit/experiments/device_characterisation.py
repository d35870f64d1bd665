"""sky130 device characterisation: Id–Vg of one nFET and one pFET (W/L = 1/1 µm) at
|Vds| = vdd per corner → subthreshold slope, κ and on-current; a table and a plot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.circuits.devices import IdVgParams, idvg_testbench
from ebn_circuit.measure.devices import subthreshold_slope
from ebn_circuit.sweep.jobs import JobOutput, make_job, run_jobs
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology.core import Technology


@dataclass(frozen=True)
class DeviceCurve:
    kind: str
    corner: str
    vgs: np.ndarray
    drain_current: np.ndarray  # magnitude, A
    wall_time: float
    netlist_hash: str


def idvg_job(simulator, tech: Technology, params: IdVgParams) -> JobOutput:
    """Job function: one Id–Vg sweep; table vgs_V, id_A (magnitude)."""
    result = simulator.run(idvg_testbench(params, tech))
    return JobOutput(row={"kind": params.kind, "sim_wall_time": result.meta.wall_time,
                          "netlist_hash": result.meta.netlist_hash},
                     tables={"idvg": pd.DataFrame({"vgs_V": result.sweep, "id_A": np.abs(result.i("vdrain"))})})


def run_idvg(tech: Technology, settings: SimSettings, out: Path, corners=("tt", "ff", "ss"),
             params_n: IdVgParams = IdVgParams(kind="n"), params_p: IdVgParams = IdVgParams(kind="p"),
             executor=None, workers: int | None = None, resume: bool = False) -> list[DeviceCurve]:
    """Id–Vg of both devices at each corner (jobs stored in ``out``)."""
    pairs = [(corner, params) for corner in corners for params in (params_n, params_p)]
    results = run_jobs([make_job(idvg_job, params, tech.with_corner(corner), settings,
                                 label=f"{params.kind}fet {corner}") for corner, params in pairs],
                       out, name="device characterisation", executor=executor, workers=workers, resume=resume,
                       progress=False)
    return [DeviceCurve(params.kind, corner, r.tables["idvg"]["vgs_V"].to_numpy(), r.tables["idvg"]["id_A"].to_numpy(),
                        float(r.row["sim_wall_time"]), str(r.row["netlist_hash"]))
            for (corner, params), r in zip(pairs, results)]


def characterisation_table(curves: list[DeviceCurve]) -> pd.DataFrame:
    rows = []
    for curve in curves:
        fit = subthreshold_slope(curve.vgs, curve.drain_current, decades=3.0)
        rows.append({
            "device": f"{curve.kind}fet",
            "corner": curve.corner,
            "S_mV_per_dec": fit.slope_mv_per_decade,
            "kappa": fit.kappa(),
            "fit_vgs_from_V": fit.vgs_start,
            "fit_vgs_to_V": fit.vgs_stop,
            "I_on_A": float(np.interp(curve.vgs[-1], curve.vgs, curve.drain_current)),
            "I_at_0V_A": float(curve.drain_current[0]),
            "wall_time_s": curve.wall_time,
            "netlist_hash": curve.netlist_hash[:12],
        })
    return pd.DataFrame(rows)


def plot_idvg(curves: list[DeviceCurve], path: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    styles = {"tt": "-", "ff": "--", "ss": ":", "sf": "-.", "fs": "-."}
    for ax, kind in zip(axes, ("n", "p")):
        for curve in (c for c in curves if c.kind == kind):
            ax.semilogy(curve.vgs, curve.drain_current, styles.get(curve.corner, "-"), label=curve.corner)
        ax.set_title(f"sky130 {kind}fet_01v8, W/L = 1/1 µm, |Vds| = 1.8 V")
        ax.set_xlabel("|Vgs| [V]")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    axes[0].set_ylabel("|Id| [A]")
    fig.tight_layout()
    written = []
    for suffix in (".png", ".pdf"):
        out = path.with_suffix(suffix)
        fig.savefig(out, dpi=120)
        written.append(out)
    plt.close(fig)
    return written
