"""The main job: every stage that exists, end to end, into one results folder and one report
(report.html, self-contained, and report.md).

netlists → device characterisation → learning-block decision map → IC transients and figures
→ behavioural fit of the learning block → transfer-curve extraction and behavioural fits (neuron,
synapse, learning-block bounds) → DAC extraction per Monte-Carlo instance → network trained
ideally and on the extracted curves → chip twin. ``quick`` shortens every stage (smoke tests).
Specs are checked where a stage measures what they limit; the report opens with their verdicts.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from ebn_circuit.experiments import specs as spec_limits
from ebn_circuit.experiments.device_characterisation import characterisation_table, plot_idvg, run_idvg
from ebn_circuit.experiments.netlists import write_catalogue
from ebn_circuit.experiments.reporting import add_specs, run_facts
from ebn_circuit.report import Report
from ebn_circuit.report.units import quantities
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology.core import Technology

DEFAULT_REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "cadence-sim1"


def run_main_job(tech: Technology, settings: SimSettings, out: Path, netlist_dir: Path, quick: bool = False,
                 reference: Path | None = DEFAULT_REFERENCE, executor=None, workers: int | None = None,
                 resume: bool = False, log=print, spec_file: Path | None = None, progress: bool = False) -> Path:
    """Run every stage on ``tech`` with ``settings``, every simulation a job on ``executor`` (or a
    local pool of ``workers``); ``resume`` keeps the jobs an interrupted run finished; ``progress``:
    bars for the network stages (the simulation stages have the executor's). Returns the path of
    ``out/report.html`` (``report.md`` beside it)."""
    from ebn_circuit.experiments import decision_map, ic_study as ic
    from ebn_circuit.experiments.extraction import run_extraction
    from ebn_circuit.experiments.pipeline_stages import dac_extraction_stage, fit_stage, network_stage

    out.mkdir(parents=True, exist_ok=True)
    limits = spec_limits.load_specs(spec_file)
    jobs = dict(executor=executor, workers=workers, resume=resume)
    report = Report("ebn_circuit report", out, run_facts(tech, settings, "quick (every stage shortened)" if quick else "full"))

    @contextmanager
    def stage(title):
        log(f"== {title}")
        section = report.section(title)
        started = time.perf_counter()
        try:
            yield section
        except BaseException as exc:   # the stages done so far still get their report
            section.text(f"**This stage stopped: {type(exc).__name__}: {exc}**. The stages after it did not run; "
                         "`--resume` keeps every simulation that finished.")
            report.write()
            raise
        finally:
            section.seconds = time.perf_counter() - started

    def check(group, title, measured, not_applicable, stem):
        table = spec_limits.check(group, measured, limits, not_applicable)
        spec_limits.write(table, out / "specs", stem, title)
        spec_limits.print_table(table, title, log)
        add_specs(report, title, table, f"specs/specs_{stem}.csv")

    with stage("Netlists and schematics") as section:
        from ebn_circuit.schematics.catalogue import draw_catalogue

        netlists = write_catalogue(netlist_dir, tech)
        section.text(f"{len(netlists)} testbench netlists written to `{netlist_dir}`; each runs with `ngspice -b`. "
                     "The main blocks as drawn from their generated netlists (every device with its W/L in µm, every "
                     "terminal labelled with its net); `ebn-circuit schematics --xschem` exports them for xschem.")
        for png in draw_catalogue(out / "schematics", tech):
            section.figure(str(png.relative_to(out)), f"{png.stem.replace('_', ' ')}: generated schematic")

    with stage("Device characterisation") as section:
        curves = run_idvg(tech, settings, out / "runs" / "device_characterisation", **jobs)
        table = characterisation_table(curves)
        table.to_csv(out / "device_characterisation.csv", index=False)
        plot_idvg(curves, out / "device_idvg")
        section.text("Id–Vg at W/L = 1/1 µm, |V_ds| = V_dd. S: steepest three-decade subthreshold stretch; "
                     "κ = U_T·ln10/S at 27 °C; I_on at |V_gs| = V_dd.")
        section.table(table.drop(columns=[c for c in ("wall_time_s", "netlist_hash") if c in table]),
                      "per device and corner", "device_characterisation.csv")
        section.figure("device_idvg.png", "drain current against gate voltage, every corner")

    with stage("Learning-block decision map") as section:
        spec = decision_map.DecisionMapSpec()
        if quick:
            spec = decision_map.with_codes(spec, (-16, 0, 16))
        results = decision_map.verify(spec, out / "decision_map", tech, settings, corners=("tt",), log=log, **jobs)
        check("learning_block", "Learning-block specs", *decision_map.spec_measures(results), "learning_block")
        decision_map.report_section(section, out / "decision_map", "decision_map", results)

    with stage("Learning-loop transients (Simulations 1 and 2)") as section:
        ic.ic_study(out / "ic", tech, settings, pulses=12 if quick else None, reference=reference, log=log, **jobs)
        summary = pd.read_csv(out / "ic" / "summary.csv")
        check("ic", "Learning-loop specs", *ic.spec_measures(summary, shortened=quick), "ic")
        ic.report_section(section, out / "ic", "ic", summary)

    with stage("Behavioural learning block fitted from waveforms") as section:
        fits = fit_stage(out / "ic", reference)
        fits.to_csv(out / "learning_block_fits.csv", index=False)
        section.text("Fitted on one run, tested on each run: the rows off the diagonal are generalisation.")
        section.table(fits, "agreement of the fitted model with each run's decisions", "learning_block_fits.csv")

    with stage("Transfer-curve extraction and behavioural fits") as section:
        extracted = run_extraction(tech, settings, out / "extract", blocks=("neuron", "synapse", "learning-block"),
                                   quick=quick, log=log, **jobs)
        check("extraction", "Model fidelity specs", _flatten(extracted), {}, "extraction")
        for block, summary in extracted.items():
            part = section.subsection(block)
            part.table(quantities(summary, keep=_shown_in_report),
                       f"{block}: extracted quantities and model scores", "extract/summary.json", as_is=True)
            for png in sorted((out / "extract" / block).glob("*.png")):
                part.figure(str(png.relative_to(out)), png.stem.replace("_", " "))
        section.text("Tables (Parquet + CSV + conditions) and fit reports: `extract/<block>/`.")

    with stage("Synapse DAC per Monte-Carlo instance") as section:
        dac = dac_extraction_stage(tech, settings, out / "runs" / "dac", instances=2 if quick else 8, **jobs)
        dac.to_csv(out / "dac_mc_table.csv", index=False)
        dac.to_parquet(out / "dac_mc_table.parquet")
        per_instance = dac.groupby("instance")[["lsb", "dnl_max"]].first().reset_index()
        section.table(per_instance.rename(columns={"lsb": "lsb_A"}), "LSB current and worst DNL (LSB) per instance",
                      "dac_mc_table.csv")

    with stage("Network (§5.2): ideal and on the extracted DAC curves") as section:
        trials = 3 if quick else 51
        with tqdm(total=2 * trials, desc="network", unit="trial", disable=not progress) as bar:
            network = network_stage(out / "network", dac, trials=trials, progress=bar.update)
        network.to_csv(out / "network_summary.csv", index=False)
        section.table(network, "learned against optimal weights, ideal and on the extracted curves",
                      "network_summary.csv")
        for mode in ("ideal", "circuit"):
            section.figure(f"network/{mode}/figure1.png", f"Figure 1 protocol, {mode} network")

    with stage("Chip twin") as section:
        from ebn_circuit.experiments.chip_study import chip_stage
        from ebn_circuit.experiments.ic_setup import load_run

        runs = [load_run(path) for path in ic.DEFAULT_RUNS]
        chip_stage(section, "chip_twin", tech, settings, out / "chip_twin", runs[0], runs, quick, log=log,
                   progress=progress, **jobs)

    with stage("Co-simulation: a transistor-level neuron learning inside the network") as section:
        from ebn_circuit.experiments.cosim_study import FIGURES, cosim_stage

        with settings.simulator() as simulator:
            cosim = cosim_stage(out / "cosim", quick, tech, simulator=simulator, log=log)
        body = cosim["markdown"].split("\n", 1)[1]   # the section's own title replaces the study's heading
        section.text(body.split("\nFigures: ", 1)[0])
        for name in FIGURES:
            section.figure(f"cosim/{name}", name.removesuffix(".png").replace("_", " "))

    report.write()
    if report.failed_specs():
        log(f"{report.failed_specs()} of {len(report.specs)} spec groups fail (see the report's summary)")
    return out / "report.html"


def _shown_in_report(name: str, _value) -> bool:
    """Measured quantities and scores; the fitted parameters and run times stay in summary.json."""
    return not name.startswith(("model.", "model_sigma.")) and not name.endswith(("wall_time_s", "elapsed_s"))


def _flatten(summary: dict, prefix: str = "") -> dict[str, float]:
    """Dotted names → numbers of a nested result summary (``neuron.held_out.max_rate_error``)."""
    flat = {}
    for name, value in summary.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[f"{prefix}{name}"] = float(value)
    return flat
