"""Cross-run validation of the behavioural learning block: fitted on one source, scored on every
other — our Simulations 1 and 2 at tt, their corners and Monte-Carlo instances (an ``ebn-circuit
figures ic`` folder) and the original IC's run 1 (its CSV export).

Each row: the model fitted on ``fitted_on`` (candidate chosen by blocked cross-validation) scored on
the usable pulses of ``tested_on``, beside the nominal rule on the same pulses; the fit's in-sample
and nested cross-validated agreement on its own source stand in every row, so the three scores
are side by side. The I_Ω each run's bounds see is that run's own: our runs' calibration
(``omega_per_code_nA`` in ``summary.csv``: the learning block's replica DACs are set from it) and,
for the original IC, the jump per code measured from its waveforms (``behavioural.spike_jump``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.learning_block import LearningBlockModel, fit_learning_block, fit_learning_block_pulses
from ebn_circuit.behavioural.learning_block_fit import BOUND_CODES, usable_pulses
from ebn_circuit.behavioural.learning_block_report import unidentified
from ebn_circuit.measure.events import sample_before
from ebn_circuit.measure.learning import pulse_table
from ebn_circuit.measure.waveforms import align, read_viewer_csv_dir

REFERENCE_MAP = {"i_mem": "Sim1_I_mem.csv", "pulse": "Sim1_INPUT.csv", "code": "Sim1_BitValue.csv"}
REFERENCE_NAME = "original IC sim1"


@dataclass(frozen=True)
class Source:
    """One run as the fit sees it: usable pulses, the I_Ω per code (A) its bounds use and where
    that number comes from, its waveforms when kept, its corner, the circuit it ran on (a corner or
    a Monte-Carlo instance of ours, or the original IC) and its group (ours / original)."""

    name: str
    table: pd.DataFrame
    omega_per_code: float | None
    omega_from: str
    waveforms: pd.DataFrame | None = None
    corner: str | None = None
    group: str = "sky130"
    circuit: str = ""


def _stem(row: pd.Series) -> str:
    """The variant file's stem, as ``ic_study`` names it."""
    seed = row.get("seed")
    tag = f"mc{int(seed)}" if seed is not None and seed == seed else str(row["variant"]).replace(" ", "_")
    return f"{row['run']}_{tag}"


def ic_sources(ic_dir: Path, reference: Path | None = None) -> list[Source]:
    """Every run of an IC study folder (nominal waveforms, variants' pulse tables) and the original
    IC's run when ``reference`` is a folder."""
    ic_dir = Path(ic_dir)
    summary = pd.read_csv(ic_dir / "summary.csv") if (ic_dir / "summary.csv").is_file() else pd.DataFrame()
    sources = []
    for path in sorted(ic_dir.glob("*_waveforms.parquet")):
        run = path.name.removesuffix("_waveforms.parquet")
        rows = summary[(summary["run"] == run) & (summary["variant"] == "nominal")] if len(summary) else summary
        waveforms = pd.read_parquet(path)
        omega = float(rows["omega_per_code_nA"].iloc[0]) * 1e-9 if len(rows) else None
        table = usable_pulses(pulse_table(waveforms, source=run), float(waveforms["time"].iloc[-1]))
        corner = str(rows["corner"].iloc[0]) if len(rows) else None
        sources.append(Source(f"{run} {corner or ''}".strip(), table, omega, "calibration" if omega else "measured",
                              waveforms, corner, circuit=f"sky130 {corner or '?'}"))
    for _, row in (summary[summary["variant"] != "nominal"].iterrows() if len(summary) else []):
        path = ic_dir / "variants" / f"{_stem(row)}_pulses.csv"
        if not path.is_file():
            continue
        table = pd.read_csv(path).iloc[:-1]   # the last pulse's counter step may fall after the record's end
        label = _stem(row).replace("_corner_", " ").replace("_", " ")
        seed = row.get("seed")
        circuit = f"sky130 {row['corner']} mc{int(seed)}" if seed == seed and seed is not None else \
            f"sky130 {row['corner']}" + ("" if "corner" in str(row["variant"]) else f" {row['variant']}")
        sources.append(Source(label, usable_pulses(table), float(row["omega_per_code_nA"]) * 1e-9, "calibration",
                              None, str(row["corner"]), circuit=circuit))
    if reference is not None and Path(reference).is_dir():
        waveforms = align(read_viewer_csv_dir(Path(reference), REFERENCE_MAP), step=2e-6, hold=("code",))
        table = usable_pulses(pulse_table(waveforms, source=REFERENCE_NAME), float(waveforms["time"].iloc[-1]))
        sources.append(Source(REFERENCE_NAME, table, None, "measured", waveforms, None, "original 180 nm",
                              "original 180 nm"))
    return sources


def fit_source(source: Source, **options) -> LearningBlockModel:
    """The learning block fitted on one source (I_Ω per code measured when the source gives none)."""
    if source.waveforms is not None:
        return fit_learning_block(source.waveforms, source=source.name, omega_per_code=source.omega_per_code,
                                  corner=source.corner, **options)
    return fit_learning_block_pulses(source.table, source.omega_per_code, source=source.name, corner=source.corner,
                                     **options)


def score_on(model: LearningBlockModel, target: Source, omega_per_code: float) -> dict:
    """The model's and the nominal rule's agreement on the target's usable pulses (I_Ω: the
    target's own per code), and whether the target lies outside the model's operating range."""
    table = target.table
    lead = model.sample_lead if target.waveforms is not None else 0.0
    i_before = (sample_before(target.waveforms["time"].to_numpy(), target.waveforms["i_mem"].to_numpy(),
                              table["onset"].to_numpy(), lead) if lead > 0 else table["i_before"].to_numpy())
    codes = table["code_before"].to_numpy(dtype=float)
    i_omega = omega_per_code * codes
    decision = table["decision"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predicted = model.decide(i_before, i_omega, corner=target.corner)
    span = model.operating_range
    outside = [name for name, values in (("code", codes), ("i_omega", i_omega), (BOUND_CODES, codes))
               if span.outside(name, values)]
    outside += ["corner"] if target.corner and span.outside("corner", target.corner) else []
    nominal = LearningBlockModel(model.i_rest, model.i_sl).decide(table["i_before"].to_numpy(), i_omega)
    return {"agreement": float(np.mean(predicted == decision)), "nominal_rule": float(np.mean(nominal == decision)),
            "n_pulses": int(len(table)), "codes": f"{int(codes.min())}…{int(codes.max())}",
            "outside_fitted_range": ",".join(outside)}


def learning_block_cross_run(sources: list[Source], log=None, **options) -> pd.DataFrame:
    """Every source fitted and scored on every source (long table; see the module docstring)."""
    fitted, omegas = {}, {}
    for source in sources:
        model = fit_source(source, **options)
        fitted[source.name], omegas[source.name] = model, model.omega_per_code
        log and log(f"  fitted {source.name}: {model.fit_report['candidate']}, in-sample "
                    f"{model.fit_report['agreement']:.1%}, cross-validated {model.fit_report['cv_agreement']:.1%}")
    rows = []
    for source in sources:
        model, report = fitted[source.name], fitted[source.name].fit_report
        for target in sources:
            rows.append({"fitted_on": source.name, "tested_on": target.name, "fit_group": source.group,
                         "test_group": target.group, "same_run": source.name == target.name,
                         "same_circuit": source.circuit == target.circuit,
                         "candidate": report["candidate"], "in_sample": report["agreement"],
                         "cv_agreement": report["cv_agreement"], "cv_se": report["cv_se"],
                         **score_on(model, target, omegas[target.name]),
                         "omega_per_code_nA": omegas[target.name] * 1e9, "omega_from": target.omega_from,
                         "gain": model.gain, "offset_lower_nA": model.offset_lower * 1e9,
                         "offset_upper_nA": model.offset_upper * 1e9, "sample_lead_us": model.sample_lead * 1e6,
                         "unidentified": "; ".join(unidentified(model))})
    return pd.DataFrame(rows)


CHARACTERISATION = "characterisation"


def characterised_cross_run(chip, sources: list[Source]) -> pd.DataFrame:
    """The learning block fitted on a Monte-Carlo instance's characterisation instead of one run:
    its bounds probed across the codes and the copy gain of I_mem (a chip build, ``chip.tables``),
    scored on every learning run of the same instance among ``sources`` (their circuit "… mcK"), beside
    the nominal rule at the chip's design values. Rows as ``learning_block_cross_run``'s."""
    from ebn_circuit.chip.twin import characterised_block, instance_row, nominal_block

    rows = []
    for target in sources:
        instance = target.circuit.rpartition(" mc")[2]
        if not instance.isdigit() or int(instance) not in chip.instances:
            continue
        block = characterised_block(chip, int(instance), target.omega_per_code)
        copy_gain = float(instance_row(chip, "neuron", int(instance))["copy_gain"])
        table = target.table
        codes = table["code_before"].to_numpy(dtype=float)
        decision = table["decision"].to_numpy()
        predicted = block.decide_code(copy_gain * table["i_before"].to_numpy(), codes)
        nominal = nominal_block(chip, target.omega_per_code).decide_code(table["i_before"].to_numpy(), codes)
        rows.append({"fitted_on": f"characterisation mc{instance}", "tested_on": target.name,
                     "fit_group": CHARACTERISATION, "test_group": target.group, "same_run": False,
                     "same_circuit": True, "candidate": "bounds probes", "in_sample": np.nan,
                     "cv_agreement": np.nan, "cv_se": np.nan, "agreement": float(np.mean(predicted == decision)),
                     "nominal_rule": float(np.mean(nominal == decision)), "n_pulses": int(len(table)),
                     "codes": f"{int(codes.min())}…{int(codes.max())}", "outside_fitted_range": "",
                     "omega_per_code_nA": target.omega_per_code * 1e9, "omega_from": target.omega_from,
                     "gain": block.gain, "offset_lower_nA": block.offset_lower * 1e9,
                     "offset_upper_nA": block.offset_upper * 1e9, "sample_lead_us": 0.0, "unidentified": ""})
    return pd.DataFrame(rows)


def cross_run_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per kind of pair (other runs only): the same circuit (one corner or Monte-Carlo instance,
    another run: other drive and codes), other circuits of ours, ours ↔ the original IC. Pairs,
    mean and lowest cross-run agreement, the nominal rule's mean, the lowest margin over the
    nominal rule, and the share of pairs meeting the 95 % goal."""
    other = table[~table["same_run"]].assign(margin=lambda t: t["agreement"] - t["nominal_rule"])
    kind = np.where(other["fit_group"] == CHARACTERISATION, "same circuit: its characterisation → its runs",
                    np.where(other["same_circuit"], "same circuit, other run",
                    np.where(other["fit_group"] == other["test_group"], "other circuit of ours",
                             other["fit_group"] + " → " + other["test_group"])))
    return (other.assign(pairs_of=kind).groupby("pairs_of", sort=False)
            .agg(pairs=("agreement", "size"), mean_agreement=("agreement", "mean"), min_agreement=("agreement", "min"),
                 mean_nominal=("nominal_rule", "mean"), min_margin_over_nominal=("margin", "min"),
                 share_at_least_95=("agreement", lambda a: float(np.mean(a >= 0.95))),
                 share_not_below_nominal=("margin", lambda m: float(np.mean(m >= -1e-12))))
            .reset_index())


def markdown(table: pd.DataFrame) -> str:
    """The cross-run table as Markdown (percentages), then the per-group summary."""
    lines = ["| fitted on | tested on | candidate | in-sample | cross-validated | on the tested run | nominal rule "
             "| pulses | codes | outside fitted range |", "|" + "---|" * 10]
    for r in table.itertuples():
        own = f"{r.in_sample:.1%} | {r.cv_agreement:.1%} ± {r.cv_se:.1%}" if r.in_sample == r.in_sample else "– | –"
        lines.append(f"| {r.fitted_on} | {r.tested_on} | {r.candidate} | {own} | {r.agreement:.1%} | {r.nominal_rule:.1%} | "
                     f"{r.n_pulses} | {r.codes} | {r.outside_fitted_range or '–'} |")
    summary = cross_run_summary(table)
    lines += ["", "| pairs | n | mean | lowest | nominal rule (mean) | lowest margin over nominal | ≥ 95 % "
              "| not below nominal |", "|" + "---|" * 8]
    lines += [f"| {r.pairs_of} | {r.pairs} | {r.mean_agreement:.1%} | {r.min_agreement:.1%} | {r.mean_nominal:.1%} | "
              f"{r.min_margin_over_nominal:+.1%} | {r.share_at_least_95:.0%} | {r.share_not_below_nominal:.0%} |"
              for r in summary.itertuples()]
    return "\n".join(lines) + "\n"
