"""The main job: every stage that exists, end to end, into one results folder and report.

netlists → device characterisation → learning-block decision map → IC transients and figures
→ behavioural fit of the learning block → transfer-curve extraction and behavioural fits (neuron,
synapse, learning-block bounds) → DAC extraction per Monte-Carlo instance → network
trained ideally and on the extracted curves. ``quick`` shortens every stage (for smoke tests).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from ebn_circuit.experiments.device_characterisation import characterisation_table, plot_idvg, run_idvg
from ebn_circuit.experiments.netlists import write_catalogue
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology.core import Technology

DEFAULT_REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "cadence-sim1"


def _table(frame: pd.DataFrame) -> str:
    return "```\n" + frame.to_string(index=False, float_format=lambda v: f"{v:.4g}") + "\n```"


def run_main_job(tech: Technology, settings: SimSettings, out: Path, netlist_dir: Path, quick: bool = False,
                 reference: Path | None = DEFAULT_REFERENCE, executor=None, workers: int | None = None,
                 resume: bool = False, log=print) -> Path:
    """Run every stage on ``tech`` with ``settings``, every simulation a job on ``executor`` (or a
    local pool of ``workers``); ``resume`` keeps the jobs an interrupted run finished. Returns the
    path of ``out/report.md``."""
    from ebn_circuit.spice.locate import simulator_version

    from ebn_circuit.experiments.decision_map import DecisionMapSpec, verify, with_codes
    from ebn_circuit.experiments.extraction import run_extraction
    from ebn_circuit.experiments.ic_study import ic_study
    from ebn_circuit.experiments.pipeline_stages import dac_extraction_stage, fit_stage, network_stage

    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    jobs = dict(executor=executor, workers=workers, resume=resume)
    sections = ["# ebn_circuit report", "",
                f"Technology {tech.name} ({tech.corner}), simulator {simulator_version(settings.backend)} "
                f"({settings.backend} backend)"
                + (", quick mode (shortened stages)" if quick else "") + ".", ""]
    stage_times = {}

    def stage(name):
        stage_times[name] = time.perf_counter()
        log(f"== {name}")

    stage("netlists")
    netlists = write_catalogue(netlist_dir, tech)
    sections += [f"Netlists: {len(netlists)} written to {netlist_dir}/ (each runs with `ngspice -b`).", ""]

    stage("device characterisation")
    curves = run_idvg(tech, settings, out / "runs" / "device_characterisation", **jobs)
    table = characterisation_table(curves)
    table.to_csv(out / "device_characterisation.csv", index=False)
    plot_idvg(curves, out / "device_idvg")
    shown = table[["device", "corner", "S_mV_per_dec", "kappa", "I_on_A", "I_at_0V_A", "wall_time_s"]]
    log(shown.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    sections += ["## Device characterisation (Id–Vg, W/L = 1/1 µm, |Vds| = vdd)", "",
                 "S: steepest three-decade subthreshold stretch; κ = U_T·ln10/S at 27 °C; I_on at |Vgs| = vdd.",
                 "", _table(shown), "", "Figure: device_idvg.png", ""]

    stage("learning-block decision map")
    spec = DecisionMapSpec()
    if quick:
        spec = with_codes(spec, (-16, 0, 16))
    verify(spec, out / "decision_map", tech, settings, corners=("tt",), log=log, **jobs)
    sections += ["## Learning-block decision map (tt)", "",
                 (out / "decision_map" / "summary.md").read_text(), "Figure: decision_map/decision_map_tt.png", ""]

    stage("IC transients")
    ic_report = ic_study(out / "ic", tech, settings, pulses=12 if quick else None, reference=reference, log=log,
                         **jobs)
    sections += ["## Learning-block transients (Simulations 1 and 2)", "", ic_report.read_text(), ""]

    stage("behavioural fit")
    fits = fit_stage(out / "ic", reference)
    fits.to_csv(out / "learning_block_fits.csv", index=False)
    sections += ["## Behavioural learning block fitted from waveforms", "",
                 "Fitted on one run, tested on each run (generalisation off the diagonal).", "", _table(fits), ""]

    stage("transfer-curve extraction")
    run_extraction(tech, settings, out / "extract", blocks=("neuron", "synapse", "learning-block"), quick=quick,
                   log=log, **jobs)
    sections += [(out / "extract" / "report.md").read_text().replace("# Transfer-curve", "## Transfer-curve"),
                 "Tables (Parquet + CSV + conditions) and fit reports: extract/<block>/.", ""]

    stage("DAC extraction")
    dac = dac_extraction_stage(tech, settings, out / "runs" / "dac", instances=2 if quick else 8, **jobs)
    dac.to_csv(out / "dac_mc_table.csv", index=False)
    dac.to_parquet(out / "dac_mc_table.parquet")
    per_instance = dac.groupby("instance")[["lsb", "dnl_max"]].first().reset_index()
    sections += ["## Synapse DAC per Monte-Carlo instance", "", _table(per_instance), ""]

    stage("network")
    network = network_stage(out / "network", dac, trials=3 if quick else 51)
    network.to_csv(out / "network_summary.csv", index=False)
    sections += ["## Network (§5.2): ideal and on the extracted DAC curves", "", _table(network),
                 "", "Figures: network/ideal/figure1.png, network/circuit/figure1.png", ""]

    stage("chip twin")
    from ebn_circuit.experiments.chip_study import chip_stage
    from ebn_circuit.experiments.ic_setup import load_run
    from ebn_circuit.experiments.ic_study import DEFAULT_RUNS

    runs = [load_run(path) for path in DEFAULT_RUNS]
    sections += [chip_stage(tech, settings, out / "chip_twin", runs[0], runs, quick, log=log, **jobs)]

    names = list(stage_times)
    timing = [f"{name}: {((stage_times[names[i + 1]] if i + 1 < len(names) else time.perf_counter()) - stage_times[name]):.0f} s"
              for i, name in enumerate(names)]
    sections += ["## Timing", "", "; ".join(timing), "", f"Total {time.perf_counter() - started:.0f} s.", ""]
    report = out / "report.md"
    report.write_text("\n".join(sections))
    return report
