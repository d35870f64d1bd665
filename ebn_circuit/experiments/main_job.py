"""The main job: every stage that exists, end to end, into one results folder and one report
(report.html, self-contained, and report.md).

netlists → device characterisation → learning-block decision map → IC transients and figures
→ behavioural fit of the learning block → transfer-curve extraction and behavioural fits (neuron,
synapse, learning-block bounds) → DAC extraction per Monte-Carlo instance → network trained
ideally and on the extracted curves → chip twin. ``quick`` shortens every stage (smoke tests).
Specs are checked where a stage measures what they limit; the report opens with their verdicts.
"""

from __future__ import annotations

import datetime
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import pandas as pd

from ebn_circuit.experiments import specs as spec_limits
from ebn_circuit.experiments.device_characterisation import characterisation_table, plot_idvg, run_idvg
from ebn_circuit.experiments.netlists import write_catalogue
from ebn_circuit.report import Report
from ebn_circuit.report.units import quantities
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology.core import Technology

DEFAULT_REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "cadence-sim1"
IC_COLUMNS = ("run", "variant", "corner", "seed", "counter", "pulses", "agreement_ideal_rule", "agreement_outside_guard",
              "flags_vs_code_change", "final_code", "code_min", "code_max", "settled", "settle_time_ms", "saturated",
              "omega_per_code_nA")
IC_FIGURES = (("sim1_transient.png", "Simulation 1 on sky130: I_mem, bounds and the counter's code"),
              ("sim2_transient.png", "Simulation 2 on sky130"),
              ("reference_sim1_transient.png", "the original IC's Simulation 1 (reference CSV), same drawing"),
              ("code_overlay.png", "code against time: sky130 and the original IC"),
              ("monte_carlo.png", "Monte-Carlo instances: settle time and final code"))


def run_facts(tech: Technology, settings: SimSettings, quick: bool) -> dict[str, str]:
    """Versions and settings a reader needs to reproduce the numbers."""
    from ebn_circuit.spice.locate import simulator_version
    from ebn_circuit.technology.pdk_sky130 import models_source

    def version(package):
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {"date": datetime.datetime.now().isoformat(timespec="seconds"),
            "ebn_circuit": version("ebn_circuit"), "ngspice": simulator_version(settings.backend),
            "PySpice": version("PySpice"), "numpy": version("numpy"),
            "PDK": f"{tech.name} {tech.corner}" + (f", {models_source()}" if tech.name == "sky130" else ""),
            "simulation": f"{settings.backend} backend, cache {'on' if settings.cache else 'off'}",
            "mode": "quick (every stage shortened)" if quick else "full"}


def run_main_job(tech: Technology, settings: SimSettings, out: Path, netlist_dir: Path, quick: bool = False,
                 reference: Path | None = DEFAULT_REFERENCE, executor=None, workers: int | None = None,
                 resume: bool = False, log=print, spec_file: Path | None = None) -> Path:
    """Run every stage on ``tech`` with ``settings``, every simulation a job on ``executor`` (or a
    local pool of ``workers``); ``resume`` keeps the jobs an interrupted run finished. Returns the
    path of ``out/report.html`` (``report.md`` beside it)."""
    from ebn_circuit.experiments import decision_map, ic_study as ic
    from ebn_circuit.experiments.extraction import run_extraction
    from ebn_circuit.experiments.pipeline_stages import dac_extraction_stage, fit_stage, network_stage

    out.mkdir(parents=True, exist_ok=True)
    limits = spec_limits.load_specs(spec_file)
    jobs = dict(executor=executor, workers=workers, resume=resume)
    report = Report("ebn_circuit report", out, run_facts(tech, settings, quick))

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
        report.add_specs(title, spec_limits.verdict(table), spec_limits.display(table), f"specs/specs_{stem}.csv")

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
        section.text((out / "decision_map" / "summary.md").read_text(), base="decision_map")
        section.figure("decision_map/decision_map_tt.png", "simulated decisions over the ideal rule's bounds (tt)")

    with stage("Learning-loop transients (Simulations 1 and 2)") as section:
        ic.ic_study(out / "ic", tech, settings, pulses=12 if quick else None, reference=reference, log=log, **jobs)
        summary = pd.read_csv(out / "ic" / "summary.csv")
        check("ic", "Learning-loop specs", *ic.spec_measures(summary, shortened=quick), "ic")
        section.table(summary[[c for c in IC_COLUMNS if c in summary]],
                      "one row per run (nominal, corners, counter variants, Monte-Carlo instances)", "ic/summary.csv")
        for name, caption in IC_FIGURES:
            if (out / "ic" / name).is_file():
                section.figure(f"ic/{name}", caption)

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
        network = network_stage(out / "network", dac, trials=3 if quick else 51)
        network.to_csv(out / "network_summary.csv", index=False)
        section.table(network, "learned against optimal weights, ideal and on the extracted curves",
                      "network_summary.csv")
        for mode in ("ideal", "circuit"):
            section.figure(f"network/{mode}/figure1.png", f"Figure 1 protocol, {mode} network")

    with stage("Chip twin") as section:
        from ebn_circuit.experiments.chip_study import chip_stage
        from ebn_circuit.experiments.ic_setup import load_run

        runs = [load_run(path) for path in ic.DEFAULT_RUNS]
        chip_stage(section, "chip_twin", tech, settings, out / "chip_twin", runs[0], runs, quick, log=log, **jobs)

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
