"""The network's runs and their artefacts, for the CLI (`ebn-circuit network …`) and the main
job (`pipeline_stages.network_stage`): one place that builds the chips, runs the §5.2
protocol, the seed study, the parameter sweeps and the mismatch study, and writes figures,
tables, weights and JSON. Each function returns what it measured; callers only print it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.errors import ConfigError
from ebn_circuit.network import figures
from ebn_circuit.network.circuit_mode import check_mode, read_dac_table
from ebn_circuit.network.io import read_weights, write_json, write_weights
from ebn_circuit.network.mismatch import SyntheticMismatch
from ebn_circuit.network.params import NetworkParams
from ebn_circuit.network.study import (
    figure1_row,
    goals_met,
    mismatch_study,
    param_sweep,
    seed_study,
    summarise_seeds,
    summarise_study,
)
from ebn_circuit.network.substrate import MISMATCH_BLOCKS, Substrate, check_mismatch_blocks
from ebn_circuit.network.training import Figure1Run, reproduce_figure1
from ebn_circuit.network.units import Units

Progress = Callable[[int], None] | None


def out_dir(path: Path) -> Path:
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create output directory {path}: {exc}") from exc
    return Path(path)


def check_trials(trials: int) -> int:
    if trials < 0:
        raise ConfigError(f"--trials must be >= 0, got {trials}")
    return trials


DEFAULT_CHIP = Path("chips/sky130_tt")


def chip_source(chip_dir: Path | None, synthetic: bool, dac_table: Path | None = None):
    """The extracted chip a circuit-mode run draws from (``ebn-circuit chip build``), or None for
    the synthetic generator (``synthetic`` or a DAC table given). Default: chips/sky130_tt."""
    from ebn_circuit.chip.tables import load_chip

    if synthetic or dac_table is not None:
        if chip_dir is not None:
            raise ConfigError("--chip and --synthetic/--dac-table exclude each other; give one source of mismatch")
        return None
    folder = chip_dir or DEFAULT_CHIP
    if chip_dir is None and not folder.is_dir():
        raise ConfigError(f"no chip at {folder}: build one with `ebn-circuit chip build --out {folder}`, give "
                          "--chip DIR, or pass --synthetic for the synthetic mismatch generator")
    return load_chip(folder)


def chip(mode: str, params: NetworkParams, seed: int, *, mismatch_scale: float = 1.0,
         dac_table: pd.DataFrame | None = None, extracted=None) -> Substrate | None:
    """The substrate of a run: None (ideal) or one chip drawn apart from the network's seed, from
    an extracted chip's mismatch model, else the synthetic generator."""
    if check_mode(mode) == "ideal":
        return None
    rng = np.random.default_rng([seed, 1])
    if extracted is not None:
        return Substrate.from_chip(extracted, params, rng, scale=mismatch_scale)
    mismatch = SyntheticMismatch().scaled(mismatch_scale)
    return Substrate.synthetic(params, rng, mismatch=mismatch, dac_table=dac_table)


def write_run(folder: Path, run: Figure1Run, meta: dict) -> Path:
    """figure1.png, learning_curve.png, metrics.json and the learned weights (.npy, .csv)."""
    folder = out_dir(folder)
    figures.figure1(run, folder / "figure1.png")
    figures.learning_curve(run.history, folder / "learning_curve.png")
    write_weights(folder / "learned_weights.npy", run.codes["learned"], run.params)
    write_weights(folder / "learned_weights.csv", run.codes["learned"], run.params)
    h = run.history
    write_json(folder / "metrics.json", {
        **meta, "seed": run.seed, "params": asdict(run.params), "metrics": run.metrics,
        "history": {"n_spikes": h.n_spikes, "error": h.error, "script_distance": h.script_distance,
                    "relative_frobenius": h.relative_frobenius},
    })
    return folder


def train(out: Path, *, seed: int = 0, params: NetworkParams | None = None, trials: int = 51,
          mode: str = "ideal", initial_weights: Path | None = None, dac_table: Path | None = None,
          mismatch_scale: float = 1.0, engine: str = "auto", progress: Progress = None,
          chip_dir: Path | None = None, synthetic: bool = False) -> Figure1Run:
    """`network train`: the §5.2 protocol on one seed, ideal or on one chip; writes write_run's files."""
    params = params or NetworkParams()
    check_mode(mode)
    check_trials(trials)
    initial = read_weights(initial_weights, params) if initial_weights else None
    table = read_dac_table(dac_table) if dac_table else None
    extracted = chip_source(chip_dir, synthetic, dac_table) if mode == "circuit" else None
    substrate = chip(mode, params, seed, mismatch_scale=mismatch_scale, dac_table=table, extracted=extracted)
    folder = out_dir(out)
    run = reproduce_figure1(seed, params, trials, initial=initial, substrate=substrate, progress=progress,
                            engine=engine)
    write_run(folder, run, {"mode": mode, "trials": trials,
                            "mismatch_scale": mismatch_scale if mode == "circuit" else None,
                            "chip": str(chip_dir or DEFAULT_CHIP) if extracted is not None else None})
    return run


def reproduce(out: Path, seeds: Sequence[int], *, params: NetworkParams | None = None, trials: int = 51,
              engine: str = "auto", progress: Progress = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """`network reproduce`: Figure-1 numbers per seed, their median and range, the goals;
    writes figure1_seeds.csv, figure1_summary.csv, figure1_seeds.json, figure1_seeds.png."""
    check_trials(trials)
    folder = out_dir(out)
    table = seed_study(seeds, params, trials, engine=engine, progress=progress)
    summary = summarise_seeds(table)
    goals = goals_met(table)
    table.to_csv(folder / "figure1_seeds.csv", index=False)
    summary.to_csv(folder / "figure1_summary.csv", index_label="metric")
    write_json(folder / "figure1_seeds.json", {"seeds": list(map(int, seeds)), "trials": trials,
                                               "params": asdict(params or NetworkParams()), "goals": goals,
                                               "summary": summary.to_dict(orient="index")})
    figures.seeds_figure(table, folder / "figure1_seeds.png")
    return table, summary, goals


def sweep(out: Path, param: str, values: Sequence, seeds: Sequence[int], *, params: NetworkParams | None = None,
          trials: int = 51, engine: str = "auto", progress: Progress = None) -> pd.DataFrame:
    """`network sweep`: seed_study per value of one parameter; returns medians per value and
    writes sweep_<param>.csv (every seed), .json (medians, min, max) and .png."""
    check_trials(trials)
    base = params or NetworkParams()
    for value in values:  # every value validated before anything runs
        base.with_(**{param: value})
    folder = out_dir(out)
    table = param_sweep(param, values, seeds, base, trials, engine=engine, progress=progress)
    table.to_csv(folder / f"sweep_{param}.csv", index=False)
    figures.sweep_figure(table, param, folder / f"sweep_{param}.png")
    cols = ["correlation", "slope", "offset", "error_ratio", "error_matrix_ratio", "spike_ratio",
            "error_learned", "error_optimal", "spikes_learned", "spikes_optimal", "v_mean_learned"]
    grouped = table.assign(**{param: table[param].map(str)}).groupby(param, sort=False)[cols]  # None → "None"
    medians = grouped.median()
    write_json(folder / f"sweep_{param}.json", {
        "param": param, "seeds": list(map(int, seeds)), "trials": trials,
        "median": medians.reset_index().to_dict(orient="records"),
        "min": grouped.min().reset_index().to_dict(orient="records"),
        "max": grouped.max().reset_index().to_dict(orient="records")})
    return medians


def mismatch(out: Path, seeds: Sequence[int], *, instances: int = 10, scales: Sequence[float] = (1.0, 2.0, 3.0),
             params: NetworkParams | None = None, trials: int = 51, dac_table: Path | None = None,
             keep_learning: bool = False, progress: Progress = None, chip_dir: Path | None = None,
             synthetic: bool = False, mismatch_in: Sequence[str] = tuple(MISMATCH_BLOCKS),
             trim_thresholds: bool = False, gate_self_synapses: bool = False) -> dict:
    """`network study`: the mismatch study for each network seed and mismatch level; writes
    mismatch_study.csv/.json/.png; returns, per level, medians and ranges over seeds of the
    per-seed medians over chips. ``mismatch_in``: the blocks whose mismatch the chips keep, the
    others nominal (the same chips otherwise: which block's mismatch costs what).
    ``trim_thresholds``: every chip's neuron thresholds trimmed to their gains (all three cases run
    on the trimmed chip). ``gate_self_synapses``: no chip pulses a neuron's synapse onto itself while
    its code is 0."""
    check_trials(trials)
    if instances < 1:
        raise ConfigError(f"--instances must be >= 1, got {instances}")
    params = params or NetworkParams()
    table = read_dac_table(dac_table) if dac_table else None
    extracted = chip_source(chip_dir, synthetic, dac_table)
    levels = [(s, SyntheticMismatch().scaled(s)) for s in scales]  # validates before running
    check_mismatch_blocks(mismatch_in)
    nominal = None if set(mismatch_in) == set(MISMATCH_BLOCKS) else nominal_chip(extracted, params)
    folder = out_dir(out)
    tables, summary = [], {}
    for s, spreads in levels:
        per_seed = []
        for seed in seeds:
            rng = np.random.default_rng([seed, 2])
            chips = [Substrate.from_chip(extracted, params, rng, scale=s) if extracted is not None else
                     Substrate.synthetic(params, rng, mismatch=spreads, dac_table=table) for _ in range(instances)]
            if nominal is not None:
                chips = [c.keeping_mismatch_of(mismatch_in, nominal) for c in chips]
            if trim_thresholds:
                chips = [c.with_thresholds_trimmed() for c in chips]
            if gate_self_synapses:
                chips = [c.with_self_synapses_gated() for c in chips]
            t = mismatch_study(params, chips, int(seed), trials, keep_learning=keep_learning, progress=progress)
            tables.append(t.assign(mismatch_scale=s, seed=seed))
            per_seed.append(_flat_study_summary(summarise_study(t)))
        frame = pd.DataFrame(per_seed)
        summary[f"mismatch_x{s:g}"] = {"median": frame.median().to_dict(), "min": frame.min().to_dict(),
                                       "max": frame.max().to_dict()}
    full = pd.concat(tables, ignore_index=True)
    full.to_csv(folder / "mismatch_study.csv", index=False)
    figures.mismatch_figure(full, folder / "mismatch_study.png")
    write_json(folder / "mismatch_study.json", {"seeds": list(map(int, seeds)), "trials": trials,
                                                "instances": instances, "keep_learning": keep_learning,
                                                "mismatch_in": list(mismatch_in), "trim_thresholds": trim_thresholds,
                                                "gate_self_synapses": gate_self_synapses,
                                                "chip": None if extracted is None else str(chip_dir or DEFAULT_CHIP),
                                                "params": asdict(params), "summary": summary})
    return summary


def nominal_chip(extracted, params: NetworkParams) -> Substrate:
    """A chip without mismatch: the extracted chip's at zero spread (its DAC's code range, its
    median instance), else the ideal substrate (the synthetic generator's centre)."""
    if extracted is None:
        return Substrate.ideal(params)
    return Substrate.from_chip(extracted, params, np.random.default_rng(0), scale=0.0)


def _flat_study_summary(s: dict) -> dict:
    out = {k: s[k] for k in ("ratio_b_over_c", "ratio_a_over_c", "ratio_b_over_c_calibrated",
                             "ratio_a_over_c_calibrated")}
    for case in ("a_optimal_deployed", "b_learned_on_chip", "c_ideal_optimal"):
        for key, value in s[case].items():
            out[f"{case}.{key}"] = value
    return out


def normalise_dac_table(dac_table: pd.DataFrame, params: NetworkParams, units: Units = Units()) -> pd.DataFrame:
    """A measured DAC table in the network's scale: one measured LSB (column `lsb`, median over
    instances) becomes one code step δ; each instance keeps its shape, offset and mismatch.
    Codes beyond the measured range saturate at its ends (the network counter has more bits)."""
    scale = params.delta * units.i_per_unit / dac_table["lsb"].median()
    return dac_table.assign(current=dac_table["current"] * scale)[["instance", "code", "current"]]


def ideal_and_measured_chip(out: Path, dac_table: pd.DataFrame, trials: int, seed: int = 0,
                            progress: Progress = None) -> pd.DataFrame:
    """The main job's network stage: §5.2 ideally and on a chip whose synapses use the
    extracted DAC curves; write_run's files in out/ideal and out/circuit; one row per mode."""
    params = NetworkParams()
    rows = []
    for mode in ("ideal", "circuit"):
        substrate = None
        if mode == "circuit":
            substrate = Substrate.from_dac_table(normalise_dac_table(dac_table, params), params,
                                                 np.random.default_rng([seed, 1]))
        run = reproduce_figure1(seed, params, trials, substrate=substrate, progress=progress)
        write_run(Path(out) / mode, run, {"mode": mode, "trials": trials})
        row = figure1_row(run)
        rows.append({"mode": mode, "trials": trials, "offdiag_correlation": row["correlation"],
                     "error_initial": row["error_initial"], "error_learned": row["error_learned"],
                     "error_optimal": row["error_optimal"], "spikes_learned": row["spikes_learned"],
                     "spikes_optimal": row["spikes_optimal"]})
    return pd.DataFrame(rows)


def describe_run(run: Figure1Run) -> str:
    """The one-line summary `network train` prints."""
    m = run.metrics
    return (f"learned/optimal off-diagonal correlation {m['learned']['offdiag_correlation']:.3f}; "
            f"error initial/learned/optimal {m['initial']['reconstruction_error']:.3f}/"
            f"{m['learned']['reconstruction_error']:.3f}/{m['optimal']['reconstruction_error']:.3f}; "
            f"spikes {m['initial']['n_spikes']}/{m['learned']['n_spikes']}/{m['optimal']['n_spikes']}")


def mismatch_rows(summary: dict) -> pd.DataFrame:
    """One row per mismatch level: median errors of (a) optimal deployed, (b) learned on the chip,
    (c) the ideal network, and the ratios b/c and a/c with their range over seeds and chips."""
    rows = []
    for key, s in summary.items():
        med, lo, hi = s["median"], s["min"], s["max"]
        rows.append({"level": key, "error_a_optimal_deployed": med["a_optimal_deployed.reconstruction_error"],
                     "error_b_learned_on_chip": med["b_learned_on_chip.reconstruction_error"],
                     "error_c_ideal": med["c_ideal_optimal.reconstruction_error"],
                     "b_over_c": med["ratio_b_over_c"], "b_over_c_min": lo["ratio_b_over_c"],
                     "b_over_c_max": hi["ratio_b_over_c"], "a_over_c": med["ratio_a_over_c"],
                     "b_over_c_calibrated_readout": med["ratio_b_over_c_calibrated"],
                     "a_over_c_calibrated_readout": med["ratio_a_over_c_calibrated"]})
    return pd.DataFrame(rows)


def describe_mismatch(summary: dict) -> list[str]:
    lines = []
    for key, s in summary.items():
        med, lo, hi = s["median"], s["min"], s["max"]
        lines.append(f"{key}: error (a) {med['a_optimal_deployed.reconstruction_error']:.3f} "
                     f"(b) {med['b_learned_on_chip.reconstruction_error']:.3f} "
                     f"(c) {med['c_ideal_optimal.reconstruction_error']:.3f}; "
                     f"b/c {med['ratio_b_over_c']:.2f} [{lo['ratio_b_over_c']:.2f}, {hi['ratio_b_over_c']:.2f}], "
                     f"a/c {med['ratio_a_over_c']:.2f} [{lo['ratio_a_over_c']:.2f}, {hi['ratio_a_over_c']:.2f}]")
        lines.append(f"{key}, readout calibrated on the chip: b/c {med['ratio_b_over_c_calibrated']:.2f} "
                     f"[{lo['ratio_b_over_c_calibrated']:.2f}, {hi['ratio_b_over_c_calibrated']:.2f}], "
                     f"a/c {med['ratio_a_over_c_calibrated']:.2f}; spikes (a) "
                     f"{med['a_optimal_deployed.n_spikes']:.0f} (b) {med['b_learned_on_chip.n_spikes']:.0f} "
                     f"(c) {med['c_ideal_optimal.n_spikes']:.0f}")
    return lines
