"""`ebn-circuit figures ic`: the IC experiments end to end — runs, corners, Monte-Carlo, figures,
a summary table and a Markdown report, all from ngspice runs (and the original IC's CSV run)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ebn_circuit.behavioural.learning_block import LearningBlockModel
from ebn_circuit.circuits.learning_loop import IcRun
from ebn_circuit.experiments.ic_figures import plot_code_overlay, plot_learning_transient
from ebn_circuit.experiments.ic_setup import DEFAULT_RUNS, load_run
from ebn_circuit.experiments.ic_transient import BAND_MARGIN, run_ic
from ebn_circuit.measure.waveforms import align, read_viewer_csv_dir
from ebn_circuit.plotting import integer_ticks, new_figure, save, style
from ebn_circuit.sweep.jobs import JobOutput, make_job, run_jobs
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology.core import Technology

REFERENCE_MAP = {"i_mem": "Sim1_I_mem.csv", "pulse": "Sim1_INPUT.csv", "code": "Sim1_BitValue.csv"}


@dataclass(frozen=True)
class IcJob:
    """One transient as a job's payload: the run, its Monte-Carlo seed (None: nominal), I_Ω per
    code (None: calibrate it first), the variant's label, and whether to keep its waveforms."""

    run: IcRun
    seed: int | None = None
    omega_per_code: float | None = None
    variant: str = "nominal"
    keep_waveforms: bool = False


def ic_job(simulator, tech: Technology, job: IcJob) -> JobOutput:
    """Job function: calibrate (unless given), simulate and analyse one run."""
    outcome, waveforms = run_ic(simulator, job.run, tech, seed=job.seed, omega_per_code=job.omega_per_code)
    row = outcome.summary()
    row.update(variant=job.variant, seed=job.seed, run_technology=outcome.technology,
               run_backend=outcome.backend)
    tables = {"pulses": outcome.table}
    if job.keep_waveforms:
        tables["waveforms"] = waveforms
    return JobOutput(row=row, tables=tables)


SUMMARY_COLUMNS = ("run", "corner", "counter", "omega_per_code_nA", "pulses", "INC", "SL", "DEC",
                   "agreement_ideal_rule", "agreement_outside_guard", "flags_vs_code_change", "settle_time_ms",
                   "settled", "saturated", "settled_inside_band", "ends_in_band", "final_code", "code_min", "code_max",
                   "ngspice_wall_s", "variant", "seed", "run_technology", "run_backend")


def _variant_stem(row: dict) -> str:
    tag = f"mc{row['seed']}" if row["seed"] is not None and row["seed"] == row["seed"] else \
        row["variant"].replace(" ", "_")
    return f"{row['run']}_{tag}"


def ic_study(out: Path, tech: Technology, settings: SimSettings, run_files=DEFAULT_RUNS, corners=("tt",), mc: int = 0,
             cmos: bool = False, reference: Path | None = None, executor=None, workers: int | None = None,
             pulses: int | None = None, resume: bool = False, log=print, mc_seed_base: int = 1) -> Path:
    """Write figures, ``summary.csv``, ``monte_carlo.csv`` and ``report.md`` under ``out``; the
    transients are jobs (stored under ``out/runs``, resumable): first the nominal runs (each
    calibrates I_Ω per code), then corners, the CMOS counter and Monte Carlo (with the nominal I_Ω)."""
    out.mkdir(parents=True, exist_ok=True)
    runs = [load_run(path) for path in run_files]
    if pulses is not None:
        runs = [run.shortened(pulses) for run in runs]
    nominal = run_jobs([make_job(ic_job, IcJob(run, keep_waveforms=True), tech, settings, label=f"{run.name} nominal")
                        for run in runs], out / "runs" / "nominal", name="IC nominal", executor=executor,
                       workers=workers, resume=resume, progress=False, log=log)
    rows, waveforms = [], {}
    for run, result in zip(runs, nominal):
        row, wf = result.row, result.tables["waveforms"]
        waveforms[run.name] = wf
        wf.to_parquet(out / f"{run.name}_waveforms.parquet")
        result.tables["pulses"].to_csv(out / f"{run.name}_pulses.csv", index=False)
        model = LearningBlockModel(i_rest=run.i_rest, i_sl=run.i_sl, omega_per_code=row["omega_per_code_nA"] * 1e-9)
        plot_learning_transient(wf, model, out / f"{run.name}_transient",
                                title=f"{run.name}: sky130 learning block, tt ({run.counter} counter)")
        rows.append({k: row[k] for k in SUMMARY_COLUMNS})
        log(f"{run.name}: final code {row['final_code']}, settle {row['settle_time_ms']:.0f} ms, "
            f"agreement {row['agreement_ideal_rule']:.1%}, ngspice {row['ngspice_wall_s']:.0f} s")
    omegas = {row["run"]: row["omega_per_code_nA"] * 1e-9 for row in rows}
    jobs = [IcJob(replace(run, corner=c), variant=f"corner {c}") for run in runs for c in corners if c != "tt"]
    if cmos:
        jobs += [IcJob(replace(run, counter="cmos"), omega_per_code=omegas[run.name], variant="cmos counter")
                 for run in runs]
    # Monte Carlo interleaved across runs, so that every run's statistics grow together
    jobs += [IcJob(run, seed=seed, omega_per_code=omegas[run.name], variant="monte carlo")
             for seed in range(mc_seed_base, mc_seed_base + mc) for run in runs]
    if jobs:
        (out / "variants").mkdir(exist_ok=True)
        labels = [f"{j.run.name} {j.variant}" + (f" {j.seed}" if j.seed is not None else "") for j in jobs]
        variants = run_jobs([make_job(ic_job, j, tech, settings, label=label) for j, label in zip(jobs, labels)],
                            out / "runs" / "variants", name="IC variants", executor=executor, workers=workers,
                            resume=resume, progress=False, log=log)
        for result in variants:
            row = {k: result.row[k] for k in SUMMARY_COLUMNS}
            rows.append(row)
            result.tables["pulses"].to_csv(out / "variants" / f"{_variant_stem(row)}_pulses.csv", index=False)
    summary = pd.DataFrame(rows)
    summary.to_csv(out / "summary.csv", index=False)
    figures = []
    if reference is not None and reference.is_dir():
        ref = align(read_viewer_csv_dir(reference, REFERENCE_MAP), step=5e-6, hold=("code",))
        ref_model = LearningBlockModel(omega_per_code=_jump_per_code(ref))
        title = "original 180 nm IC, Simulation 1 (reference CSV), nominal bounds"
        figures += save(plot_learning_transient(ref, ref_model, title=title, source=str(reference)),
                        out / "reference_sim1_transient")
        if "sim1" in waveforms:
            figures += save(plot_code_overlay({"sky130 sim1": waveforms["sim1"], "original IC sim1": ref}),
                            out / "code_overlay")
    mc_rows = summary[summary["variant"] == "monte carlo"]
    if len(mc_rows):
        figures += save(plot_monte_carlo(mc_rows), out / "monte_carlo")
    report = out / "report.md"
    report.write_text(_report(summary, figures))
    return report


def _jump_per_code(waveforms: pd.DataFrame) -> float:
    from ebn_circuit.behavioural.learning_block import fit_learning_block

    return fit_learning_block(waveforms).omega_per_code


def plot_monte_carlo(mc_rows: pd.DataFrame, path: Path | None = None) -> Figure:
    """Histograms of the settle time and the final code per run over the Monte-Carlo instances; also
    written to ``path`` (.png and .pdf) when given."""
    with style():
        fig = new_figure("page", aspect=0.35)
        ax_settle, ax_code = fig.subplots(1, 2)
        for name, group in mc_rows.groupby("run"):
            ax_settle.hist(group["settle_time_ms"].dropna(), bins=10, alpha=0.6, label=f"{name} (n={len(group)})")
            ax_code.hist(group["final_code"], bins=np.arange(-32.5, 32.5), alpha=0.6, label=name)
        ax_settle.set_xlabel("settle time (ms)")
        ax_code.set_xlabel("final weight code")
        integer_ticks(ax_code.xaxis)
        for ax in (ax_settle, ax_code):
            ax.set_ylabel("instances")
            integer_ticks(ax.yaxis)
            ax.legend()
        fig.suptitle("Monte-Carlo mismatch (sky130, tt)")
    if path is not None:
        save(fig, path)
    return fig


def _report(summary: pd.DataFrame, figures: list[Path]) -> str:
    lines = ["# IC experiments: learning-block transients on sky130", ""]
    columns = ["run", "variant", "seed", "corner", "counter", "final_code", "code_min", "code_max",
               "settle_time_ms", "settled", "saturated", "settled_inside_band", "ends_in_band", "agreement_ideal_rule",
               "agreement_outside_guard", "flags_vs_code_change",
               "omega_per_code_nA", "ngspice_wall_s"]
    lines += ["```", summary[columns].to_string(index=False, float_format=lambda v: f"{v:.3g}"), "```", ""]
    mc = summary[summary["variant"] == "monte carlo"]
    for name, group in mc.groupby("run"):
        saturated = int(group["saturated"].sum())
        settle = group["settle_time_ms"].dropna()
        missed = int((group["flags_vs_code_change"] < 1).sum())
        lines.append(f"- {name}: {len(group)} Monte-Carlo instances (seeds {int(group['seed'].min())}…{int(group['seed'].max())}); "
                     f"{group['settled'].mean():.0%} settle (only SL "
                     f"for at least the last 50 ms) within 0.5 s, {group['settled_inside_band'].mean():.0%} with "
                     f"I_mem inside the nominal band at the end, {group['ends_in_band'].mean():.0%} with the last "
                     f"I_before inside the nominal band ± {BAND_MARGIN * 1e9:g} nA; {saturated} end saturated (at a "
                     f"rail, still asking to go beyond it); {missed} with a flag that the counter did not follow; "
                     f"final code "
                     f"{group['final_code'].mean():.1f} ± {group['final_code'].std():.1f} "
                     f"({group['final_code'].min()}…{group['final_code'].max()}); settle time median "
                     f"{settle.median():.0f} ms ({settle.min():.0f}…{settle.max():.0f}); agreement with the "
                     f"nominal ideal rule {group['agreement_ideal_rule'].mean():.1%} (mean), "
                     f"{group['agreement_outside_guard'].mean():.1%} outside the ±0.1 nA guard band")
    lines += ["", "Figures: " + ", ".join(p.name for p in figures if p.suffix == ".png"), ""]
    return "\n".join(lines)


def spec_measures(summary: pd.DataFrame, shortened: bool) -> tuple[dict[str, float], dict[str, str]]:
    """The quantities the ``ic`` specs limit, over every run of the study (nominal, corners,
    counters, Monte-Carlo instances), and those a shortened run cannot measure."""
    settled = summary[summary["settled"].astype(bool)]
    measured = {"agreement_outside_guard_min": float(summary["agreement_outside_guard"].min()),
                "flags_vs_code_change_min": float(summary["flags_vs_code_change"].min()),
                "settled_fraction": float(summary["settled"].astype(bool).mean()),
                "settle_time_max": float(settled["settle_time_ms"].max()) * 1e-3 if len(settled) else float("nan")}
    not_applicable = {}
    if shortened:
        reason = "runs shortened with --pulses cannot settle"
        not_applicable = {"settled_fraction": reason, "settle_time_max": reason}
    elif not len(settled):
        not_applicable = {"settle_time_max": "no run settled (see settled_fraction)"}
    return measured, not_applicable


REPORT_COLUMNS = ("run", "variant", "corner", "seed", "counter", "pulses", "agreement_ideal_rule",
                  "agreement_outside_guard", "flags_vs_code_change", "final_code", "code_min", "code_max", "settled",
                  "settle_time_ms", "saturated", "omega_per_code_nA")
REPORT_FIGURES = (("sim1_transient.png", "Simulation 1 on sky130: I_mem, bounds and the counter's code"),
                  ("sim2_transient.png", "Simulation 2 on sky130"),
                  ("reference_sim1_transient.png", "the original IC's Simulation 1 (reference CSV), same drawing"),
                  ("code_overlay.png", "code against time: sky130 and the original IC"),
                  ("monte_carlo.png", "Monte-Carlo instances: settle time and final code"))


def report_section(section, out: Path, folder: str, summary: pd.DataFrame) -> None:
    """The study in ``out`` into a report section (``folder``: ``out`` relative to the report)."""
    prefix = f"{folder}/" if folder else ""
    section.table(summary[[c for c in REPORT_COLUMNS if c in summary]],
                  "one row per run (nominal, corners, counter variants, Monte-Carlo instances)", f"{prefix}summary.csv")
    for name, caption in REPORT_FIGURES:
        if (Path(out) / name).is_file():
            section.figure(f"{prefix}{name}", caption)
