"""The main job: every stage that exists, end to end, into one results folder and report."""

from __future__ import annotations

import time
from pathlib import Path

from ebn_circuit.experiments.device_characterisation import characterisation_table, plot_idvg, run_idvg
from ebn_circuit.experiments.netlists import write_catalogue
from ebn_circuit.spice.simulator import Simulator
from ebn_circuit.technology.core import Technology


def run_main_job(simulator: Simulator, tech: Technology, out: Path, netlist_dir: Path) -> Path:
    """Netlists → ngspice → tables, figures → ``out/report.md``; returns the report path."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    netlists = write_catalogue(netlist_dir, tech)
    print(f"wrote {len(netlists)} netlists to {netlist_dir}/")

    curves = run_idvg(simulator, tech)
    table = characterisation_table(curves)
    table.to_csv(out / "device_characterisation.csv", index=False)
    figures = plot_idvg(curves, out / "device_idvg")
    shown = table[["device", "corner", "S_mV_per_dec", "kappa", "I_on_A", "I_at_0V_A", "wall_time_s"]]
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.4g}"))

    report = out / "report.md"
    lines = [
        "# ebn_circuit report",
        "",
        f"Technology {tech.name}, simulator {simulator.version} ({simulator.backend} backend).",
        "",
        "## Device characterisation (Id–Vg, W/L = 1/1 µm, |Vds| = vdd)",
        "",
        "Subthreshold slope S is the steepest three-decade stretch of log|Id| against |Vgs|;",
        "κ = U_T·ln10/S at 27 °C; I_on at |Vgs| = vdd.",
        "",
        shown.to_markdown(index=False, floatfmt=".4g") if _has_tabulate() else "```\n" + shown.to_string(index=False) + "\n```",
        "",
        "Figures: " + ", ".join(p.name for p in figures),
        "",
        f"Netlists: {', '.join(p.name for p in netlists)} in {netlist_dir}/",
        "",
        f"Total wall time {time.perf_counter() - started:.1f} s.",
    ]
    report.write_text("\n".join(lines) + "\n")
    return report


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401  (pandas.to_markdown needs it; optional)
    except ImportError:
        return False
    return True
