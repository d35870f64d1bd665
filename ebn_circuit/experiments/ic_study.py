"""`ebn-circuit figures ic`: the IC experiments end to end — runs, corners, Monte-Carlo, figures,
a summary table and a Markdown report, all from ngspice runs (and the original IC's CSV run)."""

from __future__ import annotations

import concurrent.futures as futures
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.learning_block import LearningBlockModel
from ebn_circuit.experiments.ic_figures import plot_code_overlay, plot_learning_transient, save_figure
from ebn_circuit.experiments.ic_setup import IcRun, load_run
from ebn_circuit.experiments.ic_transient import calibrate_omega_per_code, run_ic
from ebn_circuit.measure.waveforms import align, read_viewer_csv_dir
from ebn_circuit.spice.simulator import Simulator
from ebn_circuit.technology import get_technology

REFERENCE_MAP = {"i_mem": "Sim1_I_mem.csv", "pulse": "Sim1_INPUT.csv", "code": "Sim1_BitValue.csv"}
DEFAULT_RUNS = ("sims/ic_sim1.toml", "sims/ic_sim2.toml")


def _one(job: tuple) -> tuple[dict, pd.DataFrame]:
    """One transient in a worker process: (run, technology name, seed, omega, label) → summary
    row and per-pulse table. Runs go through the simulation cache, so a study that is
    interrupted and started again re-simulates only what had not finished."""
    run, tech_name, seed, omega, label = job
    tech = get_technology(tech_name)
    with Simulator() as simulator:
        outcome, _ = run_ic(simulator, run, tech, seed=seed, omega_per_code=omega)
    row = outcome.summary()
    row.update(variant=label, seed=seed)
    return row, outcome.table


def run_many(jobs: list[tuple], workers: int):
    """Yield (row, pulse table) per job as each finishes."""
    if workers <= 1 or len(jobs) <= 1:
        yield from map(_one, jobs)
        return
    with futures.ProcessPoolExecutor(max_workers=workers) as pool:
        for done in futures.as_completed([pool.submit(_one, job) for job in jobs]):
            yield done.result()


def _variant_stem(row: dict) -> str:
    tag = f"mc{row['seed']}" if row["seed"] is not None else row["variant"].replace(" ", "_")
    return f"{row['run']}_{tag}"


def ic_study(out: Path, run_files=DEFAULT_RUNS, technology: str = "sky130", corners=("tt",), mc: int = 0,
             cmos: bool = False, reference: Path | None = None, workers: int | None = None,
             pulses: int | None = None, log=print) -> Path:
    """Write figures, ``summary.csv``, ``monte_carlo.csv`` and ``report.md`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    tech = get_technology(technology)
    runs = [load_run(path) for path in run_files]
    if pulses is not None:
        runs = [run.shortened(pulses) for run in runs]
    rows, waveforms, jobs = [], {}, []
    with Simulator() as simulator:
        for run in runs:
            omega = calibrate_omega_per_code(simulator, run, tech)
            outcome, wf = run_ic(simulator, run, tech, omega_per_code=omega)
            waveforms[run.name] = wf
            wf.to_parquet(out / f"{run.name}_waveforms.parquet")
            outcome.table.to_csv(out / f"{run.name}_pulses.csv", index=False)
            plot_learning_transient(wf, outcome.model, out / f"{run.name}_transient",
                                    title=f"{run.name}: sky130 learning block, tt ({run.counter} counter)")
            row = outcome.summary()
            row.update(variant="nominal", seed=None)
            rows.append(row)
            log(f"{run.name}: final code {outcome.final_code}, settle {outcome.settle_time * 1e3:.0f} ms, "
                f"agreement {outcome.agreement:.1%}, ngspice {outcome.wall_time:.0f} s")
            jobs += [(replace(run, corner=c), technology, None, None, f"corner {c}") for c in corners if c != "tt"]
            if cmos:
                jobs.append((replace(run, counter="cmos"), technology, None, omega, "cmos counter"))
    # Monte Carlo interleaved across runs, so that every run's statistics grow together
    omegas = {row["run"]: row["omega_per_code_nA"] * 1e-9 for row in rows}
    jobs += [(run, technology, seed, omegas[run.name], "monte carlo") for seed in range(1, mc + 1) for run in runs]
    (out / "variants").mkdir(exist_ok=True)
    for extra, table in run_many(jobs, workers):
        rows.append(extra)
        table.to_csv(out / "variants" / f"{_variant_stem(extra)}_pulses.csv", index=False)
        pd.DataFrame(rows).to_csv(out / "summary.csv", index=False)  # kept current: a long study loses nothing
        log(f"{extra['run']} {extra['variant']} {extra['seed'] or ''}: final code {extra['final_code']}, "
            f"settled {extra['settled']}, inside the nominal band {extra['settled_inside_band']}, "
            f"agreement {extra['agreement_ideal_rule']:.1%}")
    summary = pd.DataFrame(rows)
    summary.to_csv(out / "summary.csv", index=False)
    figures = []
    if reference is not None and reference.is_dir():
        ref = align(read_viewer_csv_dir(reference, REFERENCE_MAP), step=5e-6, hold=("code",))
        figures += plot_learning_transient(ref, LearningBlockModel(omega_per_code=_jump_per_code(ref)),
                                           out / "reference_sim1_transient",
                                           title="original 180 nm IC, Simulation 1 (reference CSV), nominal bounds",
                                           source=str(reference))
        if "sim1" in waveforms:
            figures += plot_code_overlay({"sky130 sim1": waveforms["sim1"], "original IC sim1": ref},
                                         out / "code_overlay")
    mc_rows = summary[summary["variant"] == "monte carlo"]
    if len(mc_rows):
        figures += plot_monte_carlo(mc_rows, out / "monte_carlo")
    report = out / "report.md"
    report.write_text(_report(summary, figures))
    return report


def _jump_per_code(waveforms: pd.DataFrame) -> float:
    from ebn_circuit.behavioural.learning_block import fit_learning_block

    return fit_learning_block(waveforms).omega_per_code


def plot_monte_carlo(mc_rows: pd.DataFrame, path: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_settle, ax_code) = plt.subplots(1, 2, figsize=(10, 4))
    for name, group in mc_rows.groupby("run"):
        ax_settle.hist(group["settle_time_ms"].dropna(), bins=10, alpha=0.6, label=f"{name} (n={len(group)})")
        ax_code.hist(group["final_code"], bins=np.arange(-32.5, 32.5), alpha=0.6, label=name)
    ax_settle.set_xlabel("settle time [ms]")
    ax_settle.set_ylabel("instances")
    ax_code.set_xlabel("final code")
    for ax in (ax_settle, ax_code):
        ax.legend()
    fig.suptitle("Monte-Carlo mismatch (sky130, tt)")
    return save_figure(fig, path)


def _report(summary: pd.DataFrame, figures: list[Path]) -> str:
    lines = ["# IC experiments: learning-block transients on sky130", ""]
    columns = ["run", "variant", "seed", "corner", "counter", "final_code", "code_min", "code_max",
               "settle_time_ms", "settled", "saturated", "settled_inside_band", "agreement_ideal_rule", "agreement_outside_guard", "flags_vs_code_change",
               "omega_per_code_nA", "ngspice_wall_s"]
    lines += ["```", summary[columns].to_string(index=False, float_format=lambda v: f"{v:.3g}"), "```", ""]
    mc = summary[summary["variant"] == "monte carlo"]
    for name, group in mc.groupby("run"):
        saturated = int(group["saturated"].sum())
        settle = group["settle_time_ms"].dropna()
        lines.append(f"- {name}: {len(group)} Monte-Carlo instances; {group['settled'].mean():.0%} settle (only SL "
                     f"for at least the last 50 ms) within 0.5 s, {group['settled_inside_band'].mean():.0%} with "
                     f"I_mem inside the nominal band at the end; {saturated} end saturated (at a rail, still asking to "
                     f"go beyond it); final code "
                     f"{group['final_code'].mean():.1f} ± {group['final_code'].std():.1f} "
                     f"({group['final_code'].min()}…{group['final_code'].max()}); settle time median "
                     f"{settle.median():.0f} ms ({settle.min():.0f}…{settle.max():.0f}); agreement with the "
                     f"nominal ideal rule {group['agreement_ideal_rule'].mean():.1%} (mean), "
                     f"{group['agreement_outside_guard'].mean():.1%} outside the ±0.1 nA guard band")
    lines += ["", "Figures: " + ", ".join(p.name for p in figures if p.suffix == ".png"), ""]
    return "\n".join(lines)
