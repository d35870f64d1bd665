"""Chip twin (issue 14): build a chip from sky130 Monte Carlo, fit its mismatch model, check the
behavioural twin of the IC loop against the transistor-level loop of the same instances.

    build_chip   one job per instance (chip.measure), tables + mismatch model + coverage + Pelgrom
    twin_check   Simulations 1 and 2 per instance: transistor level (IC jobs) against the twin
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from ebn_circuit.chip.measure import ChipInstance, measure_instance, nominal_spec
from ebn_circuit.chip.model import MismatchModel, pelgrom, pelgrom_coefficients, validate
from ebn_circuit.chip.tables import UNITS, Chip, chip_from_rows
from ebn_circuit.chip.twin import TwinParams, nominal_block, simulate_twin
from ebn_circuit.circuits.dac import DacParams
from ebn_circuit.circuits.learning_loop import IcRun
from ebn_circuit.experiments.chip_figures import plot_twin_check
from ebn_circuit.experiments.ic_study import IcJob, ic_job
from ebn_circuit.experiments.ic_transient import MIN_SETTLED_PULSES, calibrate_omega_per_code
from ebn_circuit.measure.learning import settled_after
from ebn_circuit.report import Report, Section
from ebn_circuit.report.units import quantity
from ebn_circuit.sweep.jobs import make_job, run_jobs
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology.core import Technology

POINT_TABLES = ("synapse_points", "lb_bounds", "dac_curve")


def build_chip(tech: Technology, settings: SimSettings, out: Path, run: IcRun, instances: int, seed_base: int = 1,
               executor=None, workers: int | None = None, resume: bool = False, log=print) -> tuple[Chip, dict]:
    """Measure ``instances`` Monte-Carlo instances (seeds seed_base…) of the blocks of ``run`` into
    ``out`` (jobs under out/runs), fit and validate the mismatch model; returns (chip, summary)."""
    out = Path(out)
    with settings.simulator() as simulator:
        omega = calibrate_omega_per_code(simulator, run, tech)
    spec = nominal_spec(run, omega)
    seeds = list(range(seed_base, seed_base + instances))
    jobs = [make_job(measure_instance, ChipInstance(spec, seed), tech.with_mismatch(True), settings,
                     label=f"chip instance {seed}") for seed in seeds]
    results = run_jobs(jobs, out / "runs", name="chip build", executor=executor, workers=workers, resume=resume,
                       progress=False, log=log)
    conditions = {"technology": tech.name, "corner": tech.corner, "netlist_hash": "", "run": run.name,
                  "i_rest": run.i_rest, "i_sl": run.i_sl,
                  "omega_per_code": omega, "seeds": seeds, "backend": settings.backend}
    chip = chip_from_rows([r.row for r in results], {name: [r.tables[name] for r in results] for name in POINT_TABLES},
                          conditions)
    chip.save(out)
    summary = summarise(chip, tech, run)
    write_chip_summary(out, summary)
    return chip, summary


def unit_sizes(run: IcRun) -> dict:
    """Each block's matched unit device (kind, w, l in m): what Pelgrom's law is evaluated for."""
    dac = DacParams()
    return {"neuron": ("nfet", run.neuron.unit_w, run.neuron.unit_l),
            "synapse": ("nfet", run.dpi.unit_w, run.dpi.unit_l),
            "dac": ("nfet", dac.unit_w, dac.unit_l),
            # the block's matched nFET: the I_rest memory (its bounds hang on the held currents)
            "learning_block": ("nfet", run.learning_block(1e-10).rest_memory.w, run.learning_block(1e-10).rest_memory.l)}


def summarise(chip: Chip, tech: Technology, run: IcRun) -> dict:
    """Per block: median and σ of every parameter, the held-out coverage of the mismatch model
    (three folds, each instance held out once), and the Pelgrom scale of the block's unit device."""
    model = MismatchModel.fit(chip)
    summary = {"instances": len(chip.instances), "omega_per_code": chip.conditions.get("omega_per_code"),
               "blocks": {block: dist.describe().to_dict("records") for block, dist in model.blocks.items()},
               "pelgrom": pelgrom(pelgrom_coefficients(tech.model_files()), unit_sizes(run)).to_dict("records")}
    if len(chip.instances) >= 6:
        _, coverage = validate(chip)
        summary["coverage"] = coverage.to_dict("records")
        summary["coverage_min"] = float(coverage["inside_90"].min())
    return summary


def chip_section(section: Section, summary: dict, source: str) -> None:
    """The chip's mismatch model, its held-out coverage and the Pelgrom scale, into a report section."""
    section.text(f"{summary['instances']} Monte-Carlo instances. Mismatch model: log-normal for parameters "
                 "positive on every instance, else normal; σ of a log-normal parameter is of its log.")
    rows = []
    for block, params in summary["blocks"].items():
        for r in params:
            name = f"{r['parameter']}_{UNITS[block][r['parameter']]}".rstrip("_")
            rows.append({"block": block, "parameter": r["parameter"], "median": quantity(name, r["median"])[1],
                         "σ": f"{r['sigma']:.3g} (of ln)" if r["log_normal"] else quantity(name, r["sigma"])[1]})
    section.table(pd.DataFrame(rows), "per block and parameter: median and spread over the instances",
                  source, as_is=True)
    if "coverage" in summary:
        section.text("Held-out check (3 folds: each instance checked against the model fitted on the other two "
                     "thirds): share of the held-out instances inside the model's central 90 % interval (goal 80–100 %).")
        coverage = pd.DataFrame(summary["coverage"]).rename(columns={"inside_90": "inside_90_fraction"})
        section.table(coverage, "coverage of the mismatch model on held-out instances", source)
    section.text("Pelgrom scale: log-current σ of one matched pair of the block's unit device, "
                 "√2·A/√(W·L)/(n·U_T) with A = √(vth0² + voff²) of the technology's mismatch slopes.")
    section.table(pd.DataFrame(summary["pelgrom"]), "unit devices and their matched-pair spread", source)


def write_chip_summary(out: Path, summary: dict) -> None:
    """summary.json (the numbers) and summary.md / .html (the same as a report)."""
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=float) + "\n")
    report = Report(f"Chip: {summary['instances']} Monte-Carlo instances", out)
    chip_section(report.section("Mismatch model"), summary, "summary.json")
    report.write("summary")


# --- the twin against the transistor-level loop -------------------------------------------------

def loop_outcome(table: pd.DataFrame, bits: int = 6) -> dict:
    """Settle pulse (None: not settled for the last MIN_SETTLED_PULSES pulses), final code, whether
    the code ends at a rail, and the code range over the last 20 pulses (a limit cycle's span)."""
    decisions = table["decision"].to_numpy()
    index = settled_after(decisions)
    if index is not None and len(decisions) - index < MIN_SETTLED_PULSES:
        index = None
    codes = table["code_after"].to_numpy()
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    tail = codes[-20:]
    return {"settle_pulse": index, "final_code": int(codes[-1]), "saturated": bool(codes[-1] in (lo, hi) and index is None),
            "cycle_span": int(tail.max() - tail.min()), "limit_cycle": bool(index is None and tail.max() - tail.min() >= 2)}


def twin_check(chip: Chip, tech: Technology, settings: SimSettings, out: Path, runs: list[IcRun],
               instances: list[int], executor=None, workers: int | None = None, resume: bool = False,
               log=print) -> pd.DataFrame:
    """For every (run, instance): the transistor-level loop (an IC job, seed = instance) and the twin
    built from that instance's chip parameters, on the same drive and pulses. One row each; the
    per-pulse tables in ``out``."""
    out = Path(out)
    omega = float(chip.conditions["omega_per_code"])
    pairs = [(run, inst) for inst in instances for run in runs]
    jobs = [make_job(ic_job, IcJob(run, seed=inst, omega_per_code=omega, variant="twin check"), tech, settings,
                     label=f"{run.name} instance {inst}") for run, inst in pairs]
    results = run_jobs(jobs, out / "runs", name="twin check", executor=executor, workers=workers, resume=resume,
                       progress=False, log=log)
    rows, tables = [], []
    for (run, inst), result in zip(pairs, results):
        circuit = result.tables["pulses"]
        twin_params = TwinParams.from_chip(chip, inst, omega)
        twin = simulate_twin(run, twin_params)
        n = min(len(circuit), len(twin))
        c, t = circuit.iloc[:n], twin.iloc[:n]
        usable = ~c["saturated"].to_numpy()
        forced = twin_params.block.decide_code(twin_params.copy_gain * c["i_before"], c["code_before"])
        nominal = nominal_block(chip, omega).decide_code(c["i_before"], c["code_before"])
        a, b = loop_outcome(c), loop_outcome(t)
        settle_ok = (a["settle_pulse"] is None) == (b["settle_pulse"] is None) and (
            a["settle_pulse"] is None or abs(b["settle_pulse"] - a["settle_pulse"]) <= 0.2 * max(a["settle_pulse"], 1))
        rows.append({"run": run.name, "instance": inst,
                     "agreement_free_running": float(np.mean((c["decision"] == t["decision"]).to_numpy()[usable])),
                     "agreement_teacher_forced": float(np.mean((forced == c["decision"].to_numpy())[usable])),
                     "agreement_nominal_rule": float(np.mean((nominal == c["decision"].to_numpy())[usable])),
                     "final_code_circuit": a["final_code"], "final_code_twin": b["final_code"],
                     "final_code_within_2": abs(a["final_code"] - b["final_code"]) <= 2,
                     "settle_time_circuit_s": _seconds(a["settle_pulse"], run),
                     "settle_time_twin_s": _seconds(b["settle_pulse"], run),
                     "settle_within_20pct": bool(settle_ok),
                     "limit_cycle_circuit": a["limit_cycle"], "limit_cycle_twin": b["limit_cycle"],
                     "saturated_circuit": a["saturated"], "saturated_twin": b["saturated"],
                     "cycle_span_circuit": a["cycle_span"], "cycle_span_twin": b["cycle_span"]})
        tables.append(pd.DataFrame({"run": run.name, "instance": inst, "pulse": np.arange(n),
                                    "code_circuit": c["code_after"].to_numpy(), "code_twin": t["code_after"].to_numpy(),
                                    "i_before_circuit": c["i_before"].to_numpy(), "i_before_twin": t["i_before"].to_numpy(),
                                    "decision_circuit": c["decision"].to_numpy(), "decision_twin": t["decision"].to_numpy()}))
    summary = pd.DataFrame(rows)
    summary.to_csv(out / "twin_check.csv", index=False)
    pulses = pd.concat(tables, ignore_index=True)
    pulses.to_csv(out / "twin_check_pulses.csv", index=False)
    plot_twin_check(pulses, out / "twin_check")
    return summary


def _seconds(pulse: int | None, run: IcRun) -> float:
    return float("nan") if pulse is None else float(run.period * pulse)


def twin_headline(summary: pd.DataFrame) -> str:
    return (f"Median agreement: free-running {summary['agreement_free_running'].median():.1%}, teacher-forced "
            f"{summary['agreement_teacher_forced'].median():.1%} (lowest {summary['agreement_teacher_forced'].min():.1%}; "
            f"nominal rule on the same pulses {summary['agreement_nominal_rule'].median():.1%}); final code within ±2: "
            f"{summary['final_code_within_2'].mean():.0%}; settle time within 20 %: "
            f"{summary['settle_within_20pct'].mean():.0%}; limit cycle predicted where the circuit shows one: "
            f"{_predicted(summary, 'limit_cycle')}; saturation predicted: {_predicted(summary, 'saturated')}.")


def twin_section(section: Section, summary: pd.DataFrame, source: str) -> None:
    """The twin against the transistor-level loop, into a report section (``source``: its CSV)."""
    section.text("Per (run, Monte-Carlo instance): the twin (behavioural neuron + synapse pair + learning block with "
                 "that instance's extracted parameters) on the same drive and pulses as the transistor-level loop of "
                 "the same instance. Free-running: the twin's own trajectory; teacher-forced: the twin's learning "
                 "block on the circuit's I_before and code. Teacher-forced is also the learning-block model's cross-run score "
                 "(docs/models.md): fitted on the instance's characterisation (bounds probed across the codes, the copy "
                 "gain of I_mem), scored on learning runs it never saw, beside the nominal rule on the same pulses."
                 "\n\n" + twin_headline(summary))
    shown = ["run", "instance", "agreement_free_running", "agreement_teacher_forced", "agreement_nominal_rule",
             "final_code_circuit",
             "final_code_twin", "settle_time_circuit_s", "settle_time_twin_s", "limit_cycle_circuit", "limit_cycle_twin",
             "saturated_circuit", "saturated_twin"]
    section.table(summary[shown], "one row per run and instance (settle time — where the loop never settles)", source)


def write_twin_report(out: Path, summary: pd.DataFrame) -> Path:
    """twin_check.md / .html beside twin_check.csv."""
    report = Report("Twin against the transistor-level loop", out)
    twin_section(report.section("Twin check"), summary, "twin_check.csv")
    report.sections[0].figure("twin_check.png", "codes of the circuit and its twin, per run and instance")
    return report.write("twin_check")[0]


def _predicted(summary: pd.DataFrame, what: str) -> str:
    shown = summary[summary[f"{what}_circuit"]]
    if shown.empty:
        return "none shown"
    return f"{int(shown[f'{what}_twin'].sum())} of {len(shown)}"


def chip_stage(section: Section, folder: str, tech: Technology, settings: SimSettings, out: Path, run: IcRun,
               twin_runs: list[IcRun], quick: bool, executor=None, workers: int | None = None, resume: bool = False,
               log=print, progress: bool = False) -> None:
    """The main job's chip stage: build a chip (4 instances quick, 30 full), check its twin against
    transistor level (2 / 10 instances; quick: 12-pulse runs) and run the mismatch study on twins
    drawn from it (×0.5, ×1, ×2; as built, thresholds trimmed, and trimmed with self synapses gated;
    ``progress``: its bar), into ``section`` (``folder``: ``out`` relative to the report)."""
    from ebn_circuit.experiments import network_study

    out = Path(out)
    chip, summary = build_chip(tech, settings, out / "chip", run, 4 if quick else 30, executor=executor,
                               workers=workers, resume=resume, log=log)
    runs = [r.shortened(12) for r in twin_runs] if quick else twin_runs
    twin = twin_check(chip, tech, settings, out / "twin", runs, chip.instances[:2 if quick else 10],
                      executor=executor, workers=workers, resume=resume, log=log)
    scales, trials = (0.5, 1.0, 2.0), 3 if quick else 51
    variants = {"study": ("as built", False, False),                       # folder: calibration, trim, gate
                "study_trimmed": ("thresholds trimmed", True, False),
                "study_calibrated": ("thresholds trimmed, self synapses gated", True, True)}
    rows = []
    with tqdm(total=len(variants) * len(scales) * trials, desc="mismatch study", unit="trial",
              disable=not progress) as bar:
        for name, (calibration, trim, gate) in variants.items():
            study = network_study.mismatch(out / name, [0], instances=2 if quick else 10, scales=scales, trials=trials,
                                           chip_dir=out / "chip", progress=bar.update, trim_thresholds=trim,
                                           gate_self_synapses=gate)
            rows.append(network_study.mismatch_rows(study))
            rows[-1].insert(0, "calibration", calibration)
    chip_section(section.subsection("The chip: mismatch model from sky130 Monte Carlo"), summary,
                 f"{folder}/chip/summary.json")
    checked = section.subsection("The twin against the transistor-level loop")
    twin_section(checked, twin, f"{folder}/twin/twin_check.csv")
    checked.figure(f"{folder}/twin/twin_check.png", "codes of the transistor-level loop and of its twin")
    mismatch = section.subsection("The mismatch study on twins of this chip")
    mismatch.text("Figure-1 protocol on network chips drawn from the chip's mismatch model at its measured spread "
                  "(×1) and at ×0.5 and ×2: (a) optimal weights deployed, (b) learned on the chip, (c) the ideal "
                  "network. Medians over seeds and chips; the goal is b/c ≤ 1.2 at ×1 and ×2. The protocol reads every "
                  "network with its decoder D; the *_calibrated_readout columns read each with a per-neuron decoder "
                  "fitted on a second trial (learned weights encode the chip's own mismatch, and a decoder with it). "
                  "The rule moves recurrent weights only, so it cannot absorb what acts on a neuron's own spikes: "
                  "its threshold-to-gain ratio, and the offset its synapse onto itself (whose code the rule never "
                  "moves from 0) adds at every spike. The rows 'thresholds trimmed' run the same chips with each "
                  "neuron's threshold trimmed to its gain (one calibration knob per neuron); the rows '…, self "
                  "synapses gated' also leave each neuron's synapse onto itself unpulsed while its code is 0 (one "
                  "enable bit per neuron; docs/chip.md).")
    mismatch.table(pd.concat(rows, ignore_index=True), "reconstruction errors and their ratios per mismatch level",
                   f"{folder}/study/mismatch_study.csv")
    mismatch.figure(f"{folder}/study/mismatch_study.png", "error against mismatch scale: deployed, learned, ideal")
