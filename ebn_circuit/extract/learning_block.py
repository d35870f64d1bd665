"""The learning block's effective bounds I_lower(code), I_upper(code) as measured decision boundaries.

Method (successive refinement; one transient per code per round, both bounds in the same transient):

- A column is one ``learning_block_testbench`` run: the counter preset to the code and re-asserted
  between pulses, one presynaptic pulse per I_before level, each pulse's decision latched from the
  inc / dec / sl flags (``measure.learning_block.pulse_readout``). I_before is the simulated I_mem
  input just before the rising edge.
- Round 1: a coarse staircase from the nominal I_lower − span to the nominal I_upper + span in steps
  of ``coarse_step`` (nominal: I_Ω = code·omega_per_code in ``LearningBlockParams.bounds``); with
  ``each_bound``, two staircases, each nominal bound ± span.
- After each round, over all the code's pulses so far: the lower boundary is bracketed by the highest
  I_before decided INC and the lowest decided not-INC, the upper one by the highest not-DEC and the
  lowest DEC. If the classes overlap (a non-monotonic column) the bracket is the overlap and the
  column is flagged; if a class is missing the bracket is extended by ``span`` beyond the staircase
  (with one staircase per bound, ``each_bound``, each bound is bracketed by its own staircase's pulses).
- Next round: ``points`` levels evenly inside each bracket whose half-width is still above
  ``resolution``, so each round shrinks a bracket by (points + 1); the levels of both bounds share
  one transient. The bound is the bracket's midpoint and ``resolution_*_A`` its half-width (the
  bound is known to ±that, given the simulated circuit is deterministic).

With the defaults (span 1.2 nA, step 0.3 nA, 4 points) that is 11 pulses, then 8, then 8:
brackets 0.3 → 0.06 → 0.012 nA, i.e. ≤ ±0.006 nA after three transients per code.

Corners: ``tech.with_corner``; Monte Carlo: ``tech.with_mismatch(True)`` and the instance's seed.
``run_bounds_extraction`` measures every corner / instance, saves the tables, fits the bounds model
(``behavioural.learning_block_bounds``) and checks it on held-out columns (random I_before levels at
codes not used in the fit, same corner / instance; levels uniform over the nominal band ± 1 nA, so
the agreement depends on that window: it is reported beside the ideal rule's on the same pulses).
``run_levels`` builds the column as ``experiments.decision_map.column_bench`` does; ``spec`` is a
``BoundsSetup`` or anything with its ``block``, ``schedule`` and ``column`` (the chip's probe of the
loop, ``chip.measure.LoopBounds``). Each instance (corner or Monte-Carlo seed) is one job of the run
engine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ebn_circuit.behavioural.learning_block import LearningBlockModel, fit_bounds_model
from ebn_circuit.circuits.learning_block import LearningBenchParams, LearningBlockParams, learning_block_testbench
from ebn_circuit.circuits.learning_timing import PulseSchedule
from ebn_circuit.errors import ConfigError
from ebn_circuit.extract.tables import TransferCurve, conditions_of
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.measure.learning_block import pulse_readout
from ebn_circuit.rule import DEC, INC, NONE, ideal_decision
from ebn_circuit.sweep.jobs import JobOutput, make_job, run_jobs
from ebn_circuit.sweep.settings import SimSettings

FIT_CODES = (-24, -8, 8, 24)
HOLDOUT_CODES = (-16, 0, 16)
RESOLUTION = 0.01e-9
MIN_LEVEL = 0.5e-9


@dataclass(frozen=True)
class BoundsSetup:
    """The block whose bounds are measured and the transient's largest step (s); ``schedule`` pulses
    one column (the decision bench's timing), ``column`` builds its testbench (the block alone,
    I_before from an ideal source)."""

    block: LearningBlockParams = field(default_factory=LearningBlockParams)
    max_step: float = 1e-6

    def schedule(self, levels: tuple[float, ...], i_omega: float) -> PulseSchedule:
        return PulseSchedule(levels=levels, i_omega=(i_omega,))

    def column(self, code: int, schedule: PulseSchedule, seed: int | None, tech) -> Testbench:
        block = self.block.with_code(int(code))
        return learning_block_testbench(LearningBenchParams(block, schedule, max_step=self.max_step, seed=seed), tech)


def run_levels(simulator, tech, spec, code: int, levels, seed: int | None = None):
    """One column: ``levels`` (A) at ``code``; returns (per-pulse table, SimResult). ``spec``: a
    ``BoundsSetup`` or anything with its ``block``, ``schedule`` and ``column`` (e.g. the chip's probe
    of the loop)."""
    block = spec.block.with_code(int(code))
    schedule = spec.schedule(tuple(float(v) for v in levels), code * block.omega_per_code)
    result = simulator.run(spec.column(int(code), schedule, seed, tech))
    table = pulse_readout(schedule, result, tech.vdd, block.bits, "xlb", block.omega_ratio)
    table.insert(0, "code", int(code))
    return table, result


def _bracket(x: np.ndarray, positive: np.ndarray, below: bool, span: float) -> tuple[float, float, bool]:
    """(lo, hi, monotonic) around the transition of ``positive`` (x < t if below else x > t)."""
    if not positive.any():        # the transition lies beyond the levels on the positive side
        return (x.min() - span, x.min(), True) if below else (x.max(), x.max() + span, True)
    if positive.all():
        return (x.max(), x.max() + span, True) if below else (x.min() - span, x.min(), True)
    inner, outer = (x[positive].max(), x[~positive].min()) if below else (x[~positive].max(), x[positive].min())
    return (inner, outer, True) if inner < outer else (outer, inner, False)


def _brackets(pulses: pd.DataFrame, span: float, split: float | None = None) -> dict[str, tuple[float, float, bool]]:
    """The two bounds' brackets; with ``split`` (A) the lower bound's from the pulses below it and the
    upper one's from those above (one staircase per bound: a bound beyond both levels of its own
    staircase is then bracketed by ``span`` beyond them, not by the other staircase's levels)."""
    decided = pulses[pulses["decision"] != NONE]
    if decided.empty:
        raise ConfigError("learning-block bounds: no pulse of the column was decided (no flag set)")
    x, d = decided["i_before"].to_numpy(), decided["decision"].to_numpy()
    everywhere = np.ones(x.shape, bool)
    below, above = (x < split, x >= split) if split is not None else (everywhere, everywhere)
    below, above = (side if side.any() else everywhere for side in (below, above))
    return {"lower": _bracket(x[below], d[below] == INC, True, span),
            "upper": _bracket(x[above], d[above] == DEC, False, span)}


def refine_code(simulator, tech, spec, code: int, seed: int | None = None, resolution: float = RESOLUTION,
                span: float = 1.2e-9, coarse_step: float = 0.3e-9, points: int = 4, max_rounds: int = 5,
                log=None, each_bound: bool = False, centres: tuple[float, float] = (0.0, 0.0),
                extension: float | None = None) -> tuple[dict, pd.DataFrame, list]:
    """Bisect one code's two boundaries (see the module docstring); returns (row, pulses, results).
    ``each_bound``: the first staircase spans each nominal bound + its centre (A, lower and upper)
    ± span alone, not the band between them (fewer pulses where the bounds' spread is known to be
    small against the band; a bound outside its staircase is still bracketed, in more rounds).
    ``extension``: how far beyond the levels a bound with no level past it is bracketed (A;
    default ``span``)."""
    extension = span if extension is None else extension
    lower, upper = spec.block.bounds(code * spec.block.omega_per_code)
    split = None
    if each_bound:
        around = np.arange(-span, span + coarse_step / 2, coarse_step)
        levels = np.concatenate([lower + centres[0] + around, upper + centres[1] + around])
        split = (lower + centres[0] + upper + centres[1]) / 2
    else:
        levels = np.arange(lower - span, upper + span + coarse_step / 2, coarse_step)
    pulses, results = [], []
    for round_ in range(1, max_rounds + 1):
        levels = np.unique(np.round(levels[levels > MIN_LEVEL], 13))
        table, result = run_levels(simulator, tech, spec, code, levels, seed)
        table.insert(1, "round", round_)
        pulses.append(table)
        results.append(result)
        brackets = _brackets(pd.concat(pulses, ignore_index=True), extension, split)
        log and log(f"    code {code:+d} round {round_}: {len(levels)} pulses, wall {result.meta.wall_time:.1f} s, "
                    + ", ".join(f"{k} [{lo * 1e9:.3f}, {hi * 1e9:.3f}] nA" for k, (lo, hi, _) in brackets.items()))
        open_ = [(lo, hi) for lo, hi, _ in brackets.values() if (hi - lo) / 2 > resolution * (1 + 1e-6)]
        if not open_:
            break
        levels = np.concatenate([lo + (hi - lo) * np.arange(1, points + 1) / (points + 1) for lo, hi in open_])
    pulses = pd.concat(pulses, ignore_index=True)
    (lo_l, hi_l, mono_l), (lo_u, hi_u, mono_u) = brackets["lower"], brackets["upper"]
    i_lower, i_upper = (lo_l + hi_l) / 2, (lo_u + hi_u) / 2
    res_l, res_u = (hi_l - lo_l) / 2, (hi_u - lo_u) / 2
    i_omega = float(pulses["i_omega"].mean())
    sim_lower, sim_upper = spec.block.bounds(i_omega)
    row = {"code": int(code), "i_lower_A": i_lower, "i_upper_A": i_upper,
           "resolution_lower_A": res_l, "resolution_upper_A": res_u, "resolution_A": max(res_l, res_u),
           "ideal_lower_A": lower, "ideal_upper_A": upper,
           "offset_lower_A": i_lower - lower, "offset_upper_A": i_upper - upper,
           "i_omega_nominal_A": code * spec.block.omega_per_code, "i_omega_sim_A": i_omega,
           "ideal_lower_sim_A": sim_lower, "ideal_upper_sim_A": sim_upper,
           "midpoint_A": (i_lower + i_upper) / 2, "separation_A": i_upper - i_lower,
           "monotonic": bool(mono_l and mono_u), "no_decision": int(np.sum(pulses["decision"] == NONE)),
           "steps_ok": bool(((pulses["code_before"] == code) & (pulses["code_mid"] == code)).all()),
           "rounds": int(pulses["round"].max()), "pulses": int(len(pulses)),
           "wall_time_s": float(sum(r.meta.wall_time for r in results))}
    return row, pulses, results


def measure_bounds(simulator, tech, spec, codes, corner: str | None = None, seed: int | None = None,
                   resolution: float = RESOLUTION, span: float = 1.2e-9, coarse_step: float = 0.3e-9,
                   points: int = 4, max_rounds: int = 5, log=None, pulses_out: list | None = None) -> TransferCurve:
    """Effective bounds per code at one corner (``corner`` overrides ``tech.corner``) and one instance
    (``seed`` not None: Monte Carlo, mismatch switched on). Columns: code, i_lower_A, i_upper_A,
    resolution_*_A (half-widths of the final brackets), ideal_*_A (nominal I_Ω), offset_*_A,
    i_omega_sim_A (the replica DACs' I_Ω), monotonic, rounds, pulses, wall_time_s. ``pulses_out``, if
    given, receives every simulated pulse (for inspection)."""
    if not resolution > 0 or not coarse_step > 0 or span <= 0 or points < 1:
        raise ConfigError("measure_bounds: need resolution > 0, coarse_step > 0, span > 0, points >= 1")
    tech = tech.with_corner(corner) if corner else tech
    tech = tech.with_mismatch(True) if seed is not None else tech
    rows, results = [], []
    for code in codes:
        row, pulses, res = refine_code(simulator, tech, spec, int(code), seed, resolution, span, coarse_step,
                                       points, max_rounds, log)
        rows.append(row)
        results += res
        if pulses_out is not None:
            pulses_out.append(pulses.assign(corner=tech.corner, seed=-1 if seed is None else seed))
    block = spec.block
    name = f"learning_block_bounds_{tech.corner}" + ("" if seed is None else f"_mc{seed}")
    conditions = conditions_of(results, i_rest=block.i_rest, i_sl=block.i_sl, omega_per_code=block.omega_per_code,
                               omega_ratio=block.omega_ratio, bits=block.bits, counter=block.counter_variant,
                               resolution_target=resolution, coarse_step=coarse_step, span=span, points=points,
                               method="successive refinement of the INC / DEC boundaries along I_before")
    conditions["mc_seed"] = seed
    return TransferCurve(name, pd.DataFrame(rows), conditions)


def holdout_column(simulator, tech, spec, code: int, n_levels: int, rng: np.random.Generator,
                   seed: int | None = None, window: float = 1.0e-9) -> pd.DataFrame:
    """A fresh column: ``n_levels`` random I_before levels, uniform over the nominal band ± window."""
    lower, upper = spec.block.bounds(code * spec.block.omega_per_code)
    levels = np.sort(rng.uniform(max(lower - window, MIN_LEVEL), upper + window, n_levels))
    table, _ = run_levels(simulator, tech, spec, code, levels, seed)
    return table


@dataclass(frozen=True)
class BoundsInstance:
    """One instance (a corner, or a Monte-Carlo seed at a corner) as a job's payload."""

    spec: Any
    corner: str
    seed: int | None
    codes: tuple[int, ...]
    holdout_codes: tuple[int, ...]
    holdout_levels: int
    holdout_bounds: bool
    resolution: float
    options: tuple[tuple[str, Any], ...] = ()   # measure_bounds keywords (span, coarse_step, …)


def bounds_instance_job(simulator, tech, inst: BoundsInstance) -> JobOutput:
    """Job function: one instance's bounds, held-out columns and (optionally) held-out bounds."""
    curve, held, held_bounds = _instance(simulator, tech, inst.spec, inst.corner, inst.seed, inst.codes,
                                         inst.holdout_codes, inst.holdout_levels, inst.holdout_bounds,
                                         inst.resolution, None, **dict(inst.options))
    tables = {"bounds": curve.table, "holdout": held, "holdout_bounds": held_bounds}
    return JobOutput(tables={k: v for k, v in tables.items() if len(v)},
                     meta={"name": curve.name, "conditions": dict(curve.conditions)})


def _instance(simulator, tech, spec, corner, seed, codes, holdout_codes, n_levels, bounds, resolution, log,
              **kwargs):
    label = corner if seed is None else f"{corner}_mc{seed}"
    log = log or (lambda *_: None)
    log(f"  {label}: bounds at codes {tuple(codes)}")
    curve = measure_bounds(simulator, tech, spec, codes, corner, seed, resolution, log=log, **kwargs)
    held_bounds = pd.DataFrame()
    if bounds and holdout_codes:
        log(f"  {label}: held-out bounds at codes {tuple(holdout_codes)}")
        held_bounds = measure_bounds(simulator, tech, spec, holdout_codes, corner, seed, resolution, log=log,
                                     **kwargs).table.assign(instance=label)
    tech = tech.with_corner(corner).with_mismatch(seed is not None)
    rng = np.random.default_rng(1000 + (0 if seed is None else seed) + sum(map(ord, corner)))
    held = [holdout_column(simulator, tech, spec, c, n_levels, rng, seed) for c in holdout_codes]
    held = pd.concat(held, ignore_index=True).assign(instance=label) if held else pd.DataFrame()
    return curve, held, held_bounds


def run_bounds_extraction(tech, settings: SimSettings, out: Path, corners=("tt",), mc: int = 0, codes=FIT_CODES,
                          holdout_codes=HOLDOUT_CODES, holdout_levels: int = 24, holdout_bounds: bool = False,
                          spec=None, executor=None, workers: int | None = None, resume: bool = False,
                          resolution: float = RESOLUTION, log=print, **kwargs) -> dict:
    """Bounds per corner and per Monte-Carlo instance (seeds 1…mc at ``corners[0]``), each saved as
    ``learning_block_bounds_<label>`` plus the combined ``learning_block_bounds``; the bounds model
    fitted to them; its decision agreement on held-out columns (``holdout_levels`` random levels at
    each of ``holdout_codes``, same corner / instance) beside the ideal rule's; with ``holdout_bounds``
    also the bounds measured at the held-out codes against the model's prediction. Writes under ``out``
    the tables, learning_block_bounds_fit.csv / .png, learning_block_holdout.csv (and
    learning_block_holdout_bounds.csv) and learning_block_bounds.md; returns curves, combined, model,
    fit, holdout, holdout_bounds, agreement_by (instance × code) and the agreements. Each instance is a
    job (stored under ``out/runs``; ``resume`` keeps finished instances)."""
    spec = BoundsSetup() if spec is None else spec
    if not corners:
        raise ConfigError("run_bounds_extraction: give at least one corner")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    instances = [(c, None) for c in corners] + [(corners[0], s) for s in range(1, mc + 1)]
    jobs = [make_job(bounds_instance_job, BoundsInstance(spec, c, s, tuple(codes), tuple(holdout_codes), holdout_levels,
                                                         holdout_bounds, resolution, tuple(sorted(kwargs.items()))),
                     tech.with_corner(c).with_mismatch(s is not None), settings,
                     label=c if s is None else f"{c}_mc{s}") for c, s in instances]
    results = run_jobs(jobs, out / "runs", name="learning-block bounds", executor=executor, workers=workers,
                       resume=resume, progress=False, log=log)
    done = [(TransferCurve(r.meta["name"], r.tables["bounds"], r.meta["conditions"]),
             r.tables.get("holdout", pd.DataFrame()), r.tables.get("holdout_bounds", pd.DataFrame()))
            for r in results]
    curves = {}
    for curve, _, _ in done:
        curve.save(out)
        curves[curve.name.removeprefix("learning_block_bounds_")] = curve
    combined = combine(curves)
    combined.save(out)
    model = fit_bounds_model(combined.table, spec.block.omega_per_code)
    holdout = pd.concat([h for _, h, _ in done if len(h)], ignore_index=True) if holdout_codes else pd.DataFrame()
    holdout, by, agreement, ideal_agreement = score_holdout(model, holdout, spec.block)
    if len(holdout):
        holdout.to_csv(out / "learning_block_holdout.csv", index=False)
    held_bounds = predict_bounds(model, pd.concat([b for _, _, b in done if len(b)], ignore_index=True)
                                 if holdout_bounds else pd.DataFrame())
    if len(held_bounds):
        held_bounds.to_csv(out / "learning_block_holdout_bounds.csv", index=False)
    fit = model.report(out / "learning_block_bounds_fit.png", held_bounds)
    fit.to_csv(out / "learning_block_bounds_fit.csv", index=False)
    summary = {"curves": curves, "combined": combined, "model": model, "fit": fit, "holdout": holdout,
               "holdout_bounds": held_bounds, "agreement_by": by,
               "holdout_agreement": agreement, "holdout_ideal_agreement": ideal_agreement,
               "elapsed_s": time.time() - start}
    (out / "learning_block_bounds.md").write_text(markdown(summary))
    log(f"bounds model: I_rest {model.i_rest * 1e9:.3f} nA, I_SL {model.i_sl * 1e9:.3f} nA, gain {model.gain:.3f}; "
        f"held-out agreement {agreement:.1%} (ideal rule {ideal_agreement:.1%}, {len(holdout)} pulses)")
    return summary


def score_holdout(model: LearningBlockModel, holdout: pd.DataFrame, block) -> tuple[pd.DataFrame, pd.DataFrame, float, float]:
    """Held-out pulses (columns instance, code, i_before, decision) with the model's and the ideal
    rule's decisions (``block``: the nominal LearningBlockParams); returns (pulses, agreement per
    instance × code, model agreement, ideal-rule agreement). A pulse without a decision counts as a miss."""
    if not len(holdout):
        return holdout, pd.DataFrame(), float("nan"), float("nan")
    holdout = holdout.copy()
    holdout["model"] = 0
    for inst, g in holdout.groupby("instance"):
        holdout.loc[g.index, "model"] = model.decide_code(g["i_before"], g["code"], inst)
    holdout["ideal"] = ideal_decision(holdout["i_before"], holdout["code"] * block.omega_per_code, block.i_rest,
                                      block.i_sl, block.omega_ratio)
    holdout["model_ok"] = holdout["model"] == holdout["decision"]
    holdout["ideal_ok"] = holdout["ideal"] == holdout["decision"]
    by = holdout.groupby(["instance", "code"])[["model_ok", "ideal_ok"]].mean().reset_index()
    return holdout, by, float(holdout["model_ok"].mean()), float(holdout["ideal_ok"].mean())


def predict_bounds(model: LearningBlockModel, table: pd.DataFrame) -> pd.DataFrame:
    """Measured bounds (columns instance, code, i_lower_A, i_upper_A) with the model's and the error."""
    if not len(table):
        return table
    table = table.copy()
    predicted = [model.bounds_code(r.code, r.instance) for r in table.itertuples()]
    table["model_lower_A"] = [float(lo) for lo, _ in predicted]
    table["model_upper_A"] = [float(hi) for _, hi in predicted]
    table["error_lower_A"] = table["i_lower_A"] - table["model_lower_A"]
    table["error_upper_A"] = table["i_upper_A"] - table["model_upper_A"]
    return table


def combine(curves: dict[str, TransferCurve]) -> TransferCurve:
    """All instances in one table (column ``instance`` = label, conditions as columns)."""
    frames = [c.with_conditions_as_columns().assign(instance=label) for label, c in curves.items()]
    first = next(iter(curves.values())).conditions
    conditions = {**{k: v for k, v in first.items() if k not in ("corner", "mc_seed", "netlist_hash")},
                  "corner": ",".join(sorted({c.conditions["corner"] for c in curves.values()})),
                  "mc_seed": [c.conditions["mc_seed"] for c in curves.values()],
                  "netlist_hash": ",".join(c.conditions["netlist_hash"] for c in curves.values()),
                  "instances": list(curves)}
    return TransferCurve("learning_block_bounds", pd.concat(frames, ignore_index=True), conditions)


def markdown(summary: dict) -> str:
    """The bounds per instance and code against the ideal ones, the fit and the held-out check (nA)."""
    model: LearningBlockModel = summary["model"]
    table = summary["combined"].table
    lines = ["# Learning block: measured bounds and the bounds model", "",
             "| instance | code | I_lower | ideal | offset | I_upper | ideal | offset | ± resolution | separation "
             "| model lower | model upper | rounds / pulses | wall (s) |", "|" + "---|" * 14]
    for _, r in table.iterrows():
        lo, hi = model.bounds_code(r.code, r.instance)
        lines.append(f"| {r.instance} | {r.code:+d} | {r.i_lower_A * 1e9:.3f} | {r.ideal_lower_A * 1e9:.3f} | "
                     f"{r.offset_lower_A * 1e9:+.3f} | {r.i_upper_A * 1e9:.3f} | {r.ideal_upper_A * 1e9:.3f} | "
                     f"{r.offset_upper_A * 1e9:+.3f} | {r.resolution_A * 1e9:.3f} | {r.separation_A * 1e9:.3f} | "
                     f"{float(lo) * 1e9:.3f} | {float(hi) * 1e9:.3f} | {r.rounds} / {r.pulses} | "
                     f"{r.wall_time_s:.0f} |")
    def shown(value) -> str:
        return f"{value:.6g}" if isinstance(value, (int, float, np.number)) and not isinstance(value, bool) else \
            ("" if value is None or value != value else str(value))

    lines += ["", "## Fit", "", "slopes chosen by leave-one-code-out cross-validation where three or more codes were "
              "measured; 95 % intervals from ordinary least squares", "",
              "| parameter | value | unit | 95 % interval | identified |", "|---|---|---|---|---|"]
    lines += [f"| {r.parameter} | {shown(r.value)} | {r.unit} | "
              + (f"{shown(r.low)} … {shown(r.high)}" if r.low == r.low and r.high == r.high else "")
              + f" | {'' if r.identified is None or r.identified != r.identified else ('yes' if r.identified else 'NO: ' + r.note)} |"
              for r in summary["fit"].itertuples()] + [""]
    holdout = summary["holdout"]
    if len(holdout):
        lines += ["## Held-out columns", "",
                  f"{len(holdout)} pulses at codes {sorted(holdout['code'].unique().tolist())} (random I_before "
                  f"levels, same corner / instance): bounds model {summary['holdout_agreement']:.1%}, ideal rule "
                  f"{summary['holdout_ideal_agreement']:.1%} agreement with the transistor-level decision.", "",
                  "| instance | code | bounds model | ideal rule |", "|---|---|---|---|"]
        lines += [f"| {r.instance} | {r.code:+d} | {r.model_ok:.1%} | {r.ideal_ok:.1%} |"
                  for r in summary["agreement_by"].itertuples()] + [""]
    held = summary["holdout_bounds"]
    if len(held):
        lines += ["## Bounds at the held-out codes: measured − model (nA)", "",
                  "| instance | code | I_lower | model | error | I_upper | model | error |", "|" + "---|" * 8]
        lines += [f"| {r.instance} | {r.code:+d} | {r.i_lower_A * 1e9:.3f} | {r.model_lower_A * 1e9:.3f} | "
                  f"{r.error_lower_A * 1e9:+.3f} | {r.i_upper_A * 1e9:.3f} | {r.model_upper_A * 1e9:.3f} | "
                  f"{r.error_upper_A * 1e9:+.3f} |" for r in held.itertuples()] + [""]
    return "\n".join(lines)
