"""Decision-map verification of the transistor-level learning block against the ideal rule.

For each grid code one transient (``learning_block_testbench``) applies one presynaptic pulse per
I_before level: a coarse staircase plus fine levels around the code's nominal bounds. The counter
preset is the grid code and its rst is re-asserted between pulses (``PulseSchedule.hold_code``), so
every pulse of a column is decided at that code; the step itself is still checked (code after the
falling edge = code + decision, except at saturation). Each pulse's decision (the latched inc/dec/sl
flags) is compared with the ideal rule evaluated on the simulated I_before (the I_mem input just
before the rising edge) and the simulated I_Ω (the replica DACs' currents / omega_ratio at the
decision), with the nominal I_rest and I_SL. Agreement is reported overall and outside a guard band
around the ideal bounds; the effective bounds (the best separating threshold between INC / not INC
and DEC / not DEC along I_before, i.e. interpolated between neighbouring levels) give the offsets.

Corners: ``corner``; Monte Carlo: ``tech.with_mismatch(True)`` and one seed per instance (fewer
codes per instance keep it tractable). Each column is a job of the run engine (``sweep.jobs``):
local processes or Dask, the Technology and simulator settings of the caller, results stored in
``<out>/runs/<label>`` and resumable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ebn_circuit.circuits.codes import code_range
from ebn_circuit.circuits.learning_block import LearningBenchParams, LearningBlockParams, learning_block_testbench
from ebn_circuit.circuits.learning_timing import PulseSchedule
from ebn_circuit.measure.learning_block import decision_from_flags, readout
from ebn_circuit.errors import ConfigError
from ebn_circuit.params import Params, param, positive
from ebn_circuit.plotting import DECISION_MARKERS, DECISIONS, integer_ticks, nA, new_figure, save, style
from ebn_circuit.rule import DEC, INC, NONE, ideal_decision
from ebn_circuit.sweep.jobs import JobOutput, make_job, run_jobs
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology.core import Technology

DEFAULT_CODES = (-31, -24, -16, -8, 0, 8, 16, 24, 31)
MC_CODES = (-16, 0, 16)


@dataclass(frozen=True)
class DecisionMapSpec(Params):
    """Grid and tolerances of the decision map."""

    block: LearningBlockParams = param(default_factory=LearningBlockParams, kind=LearningBlockParams)
    codes: tuple[int, ...] = DEFAULT_CODES
    coarse: tuple[float, ...] = tuple(float(v) for v in np.round(np.arange(5e-9, 13.01e-9, 1e-9), 12))
    fine_span: float = param(0.3e-9, unit="A", low=0.0, low_inclusive=True, high=None,
                             doc="extra levels at ±fine_span around each code's nominal bounds")
    fine_step: float = positive(0.1e-9, "A", "their spacing")
    guard: float = param(0.1e-9, unit="A", low=0.0, low_inclusive=True, high=None,
                         doc="the band around the ideal bounds left out of the guard-band agreement")
    max_step: float = positive(1e-6, "s", "the transient's largest step")

    def validate(self) -> None:
        lo, hi = code_range(self.block.bits)
        if not self.codes or any(not (isinstance(c, (int, np.integer)) and lo <= c <= hi) for c in self.codes):
            raise ConfigError(f"DecisionMapSpec.codes must be integers in {lo}…{hi}, got {self.codes}")
        if any(not c > 0 for c in self.coarse):
            raise ConfigError("DecisionMapSpec.coarse levels must be positive currents (A)")

    def levels(self, code: int) -> tuple[float, ...]:
        lower, upper = self.block.bounds(code * self.block.omega_per_code)
        n = int(round(self.fine_span / self.fine_step))
        fine = np.arange(-n, n + 1) * self.fine_step
        values = np.concatenate([np.asarray(self.coarse), lower + fine, upper + fine])
        return tuple(float(v) for v in np.unique(np.round(values[values > 0.5e-9], 13)))


def column_bench(spec: DecisionMapSpec, code: int, seed: int | None = None,
                 levels: tuple[float, ...] | None = None) -> LearningBenchParams:
    """One code's testbench params: ``levels`` (A; default ``spec.levels(code)``), one pulse each."""
    block = spec.block.with_code(int(code))
    levels = spec.levels(code) if levels is None else tuple(levels)
    schedule = PulseSchedule(levels=levels, i_omega=(code * block.omega_per_code,))
    return LearningBenchParams(block, schedule, max_step=spec.max_step, seed=seed)


def run_column(simulator, tech, spec: DecisionMapSpec, code: int, seed: int | None = None,
               levels: tuple[float, ...] | None = None) -> pd.DataFrame:
    """Simulate one code's column; the per-pulse readout plus code, corner, seed, ideal decision,
    distance to the nearest ideal bound (margin, A), the step check and the ngspice wall time."""
    params = column_bench(spec, code, seed, levels)
    result = simulator.run(learning_block_testbench(params, tech))
    table = readout(params, result, tech.vdd)
    block = spec.block
    lower = block.i_rest - block.i_sl - block.omega_ratio * table["i_omega"]
    upper = lower + 2 * block.i_sl
    table.insert(0, "code", int(code))
    table.insert(1, "corner", tech.corner)
    table.insert(2, "seed", -1 if seed is None else int(seed))
    table["ideal_lower"], table["ideal_upper"] = lower, upper
    table["ideal"] = ideal_decision(table["i_before"], table["i_omega"], block.i_rest, block.i_sl, block.omega_ratio)
    table["margin"] = np.minimum(np.abs(table["i_before"] - lower), np.abs(table["i_before"] - upper))
    lo, hi = -(2 ** (block.bits - 1)), 2 ** (block.bits - 1) - 1
    expected = np.clip(table["code_before"] + np.where(table["decision"] == NONE, 0, table["decision"]), lo, hi)
    table["step_ok"] = (table["code_after"] == expected) & (table["code_mid"] == table["code_before"])
    table["wall_time"] = result.meta.wall_time
    table["technology"], table["backend"] = result.meta.technology, result.meta.backend
    return table


@dataclass(frozen=True)
class Column:
    """One decision-map column as a job's payload: the spec, the code, the Monte-Carlo seed (None:
    mismatch off) and the levels (None: the spec's)."""

    spec: DecisionMapSpec
    code: int
    seed: int | None = None
    levels: tuple[float, ...] | None = None


def column_job(simulator, tech: Technology, column: Column) -> JobOutput:
    """Job function: simulate one column (``run_column``)."""
    table = run_column(simulator, tech, column.spec, column.code, column.seed, column.levels)
    return JobOutput(row={"code": int(column.code), "seed": -1 if column.seed is None else int(column.seed),
                          "pulses": int(len(table))}, tables={"pulses": table})


def reclassify(table: pd.DataFrame) -> pd.DataFrame:
    """Recompute decision and step check from the stored flags (tables written by older readouts)."""
    table = table.copy()
    table["decision"] = decision_from_flags(table["inc"], table["dec"], table["sl"])
    return table


def run_decision_map(spec: DecisionMapSpec, tech: Technology, settings: SimSettings, out: Path,
                     corner: str = "tt", seeds: tuple[int | None, ...] = (None,), codes: tuple[int, ...] | None = None,
                     executor=None, workers: int | None = None, resume: bool = False, log=None) -> pd.DataFrame:
    """All columns (codes × seeds) at one corner as jobs stored in ``out``; seeds other than None
    switch mismatch on."""
    codes = spec.codes if codes is None else codes
    jobs = [make_job(column_job, Column(spec, int(c), s), tech.with_corner(corner).with_mismatch(s is not None),
                     settings, label=f"{corner} code {int(c):+d}" + ("" if s is None else f" seed {s}"))
            for s in seeds for c in codes]
    results = run_jobs(jobs, out, name=f"decision map {corner}", executor=executor, workers=workers, resume=resume,
                       progress=False, log=log)
    return pd.concat([r.tables["pulses"] for r in results], ignore_index=True)


def _threshold(x: np.ndarray, positive: np.ndarray, below: bool) -> tuple[float, float]:
    """Threshold t on x best separating ``positive`` as (x < t if below else x > t), and its
    resolution (half the gap between the two levels around it); ties → the middle of the best run;
    nan when one class is missing."""
    if positive.all() or not positive.any():
        return float("nan"), float("nan")
    order = np.argsort(x)
    xs, pos = x[order], positive[order]
    cut = np.arange(len(xs) + 1)
    pos_below = np.concatenate([[0], np.cumsum(pos)])
    neg_below = cut - pos_below
    correct = pos_below + (neg_below[-1] - neg_below) if below else neg_below + (pos_below[-1] - pos_below)
    best = np.flatnonzero(correct == correct.max())
    k = best[len(best) // 2]
    if k == 0 or k == len(xs):
        return float("nan"), float("nan")
    return float((xs[k - 1] + xs[k]) / 2), float((xs[k] - xs[k - 1]) / 2)


def bound_offsets(table: pd.DataFrame) -> pd.DataFrame:
    """Per (corner, seed, code): ideal and effective bounds and their offsets (A)."""
    rows = []
    for (corner, seed, code), col in table.groupby(["corner", "seed", "code"]):
        x, d = col["i_before"].to_numpy(), col["decision"].to_numpy()
        (eff_lower, res_lower), (eff_upper, res_upper) = _threshold(x, d == INC, True), _threshold(x, d == DEC, False)
        ideal_lower, ideal_upper = col["ideal_lower"].mean(), col["ideal_upper"].mean()
        rows.append({"corner": corner, "seed": seed, "code": code, "i_omega": col["i_omega"].mean(),
                     "ideal_lower": ideal_lower, "ideal_upper": ideal_upper,
                     "eff_lower": eff_lower, "eff_upper": eff_upper,
                     "offset_lower": eff_lower - ideal_lower, "offset_upper": eff_upper - ideal_upper,
                     "resolution_lower": res_lower, "resolution_upper": res_upper,
                     "agreement": float(np.mean(d == col["ideal"])), "wall_time": col["wall_time"].iloc[0]})
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame, guard: float) -> dict:
    """Agreement overall and outside the guard band, step check, offsets (A), wall times (s)."""
    outside = table["margin"] > guard
    offsets = bound_offsets(table)
    both = pd.concat([offsets["offset_lower"], offsets["offset_upper"]])
    walls = table.groupby(["corner", "seed", "code"])["wall_time"].first()
    return {"pulses": int(len(table)), "agreement": float(np.mean(table["decision"] == table["ideal"])),
            "pulses_outside_guard": int(outside.sum()),
            "agreement_outside_guard": float(np.mean(table["decision"][outside] == table["ideal"][outside])),
            "no_decision": int(np.sum(table["decision"] == NONE)),
            "band_inversions": int(np.sum((table["inc"] == 1) & (table["dec"] == 1))) if "inc" in table else 0,
            "steps_ok": float(np.mean(table["step_ok"])),
            "offset_lower_mean": float(offsets["offset_lower"].mean()),
            "offset_lower_std": float(offsets["offset_lower"].std(ddof=1)) if len(offsets) > 1 else float("nan"),
            "offset_upper_mean": float(offsets["offset_upper"].mean()),
            "offset_upper_std": float(offsets["offset_upper"].std(ddof=1)) if len(offsets) > 1 else float("nan"),
            "offset_abs_max": float(np.nanmax(np.abs(both))) if both.notna().any() else float("nan"),
            "wall_mean": float(walls.mean()), "wall_max": float(walls.max()), "testbenches": int(len(walls))}


def spec_measures(results: dict[str, tuple[pd.DataFrame, dict]]) -> tuple[dict[str, float], dict[str, str]]:
    """The quantities the ``learning_block`` specs limit, over every run of ``verify`` (worst run
    for agreement and steps; offsets pooled over codes, corners and instances), and those this
    run cannot measure with why."""
    tables = [table for table, _ in results.values()]
    offsets = pd.concat([bound_offsets(t) for t in tables])
    return {"agreement_outside_guard": min(s["agreement_outside_guard"] for _, s in results.values()),
            "steps_ok": min(s["steps_ok"] for _, s in results.values()),
            "no_decision": sum(s["no_decision"] for _, s in results.values()),
            "offset_lower_mean": float(offsets["offset_lower"].mean()),
            "offset_upper_mean": float(offsets["offset_upper"].mean()),
            "offset_std": float(max(offsets["offset_lower"].std(ddof=1), offsets["offset_upper"].std(ddof=1))),
            "decision_time_max": float(max(t["t_flag"].max() for t in tables))}, \
        ({"offset_std": "one column of bounds has no spread (run more codes, corners or --mc)"}
         if len(offsets) < 2 else {})


def plot_decision_map(table: pd.DataFrame, block: LearningBlockParams, path: Path | None = None,
                      title: str = "") -> Figure:
    """Simulated decisions (INC ▲ green, SL ● yellow, DEC ▼ red, none ×) over the ideal bounds;
    also written to ``path`` (.png and .pdf) when given."""
    with style():
        fig = new_figure("column", aspect=1.0)
        ax = fig.subplots()
        for decision, marker in DECISION_MARKERS.items():
            points = table[table["decision"] == decision]
            if len(points):
                colour, _, label = DECISIONS[decision]
                ax.scatter(points["code"], nA(points["i_before"]), s=9, marker=marker, color=colour,
                           edgecolors="k", linewidths=0.2, label=label)
        wrong = table[table["decision"] != table["ideal"]]
        if len(wrong):
            ax.scatter(wrong["code"], nA(wrong["i_before"]), s=30, facecolors="none", edgecolors="k", linewidths=0.6,
                       label="differs from ideal rule")
        codes = np.linspace(*code_range(block.bits), 200)
        lower, upper = block.bounds(codes * block.omega_per_code)
        ax.plot(codes, nA(lower), "k-", lw=0.6, alpha=0.5, label=r"ideal bounds (nominal $I_{\Omega}$)")
        ax.plot(codes, nA(upper), "k-", lw=0.6, alpha=0.5)
        per_code = bound_offsets(table).groupby("code").mean(numeric_only=True)
        at = np.repeat(per_code.index.to_numpy(), 2)
        ideal = per_code[["ideal_lower", "ideal_upper"]].to_numpy().ravel()
        effective = per_code[["eff_lower", "eff_upper"]].to_numpy().ravel()
        ax.hlines(nA(ideal), at - 1.5, at + 1.5, colors="k", lw=2, label=r"ideal bound (simulated $I_{\Omega}$)")
        ax.hlines(nA(effective), at - 1.5, at + 1.5, colors="tab:blue", lw=1.2, ls="--", label="effective bound")
        ax.axhline(nA(block.i_rest), color="grey", ls=":", lw=1, label=r"$I_{\mathrm{rest}}$")
        ax.set_xlabel("weight code")
        integer_ticks(ax.xaxis)
        ax.set_ylabel(r"$I_{\mathrm{before}}$ (nA)")
        ax.set_title(title or "learning-block decision map")
        fig.legend(loc="outside lower center", ncols=2)
    if path is not None:
        save(fig, path)
    return fig


def markdown_summary(results: dict[str, tuple[pd.DataFrame, dict]], spec: DecisionMapSpec) -> str:
    """results: label → (table, summary). One section per label with the per-code offsets."""
    g = spec.guard * 1e9
    lines = ["# Learning block: decision map against the ideal rule", "",
             f"I_rest = {spec.block.i_rest * 1e9:g} nA, I_SL = {spec.block.i_sl * 1e9:g} nA, r = "
             f"{spec.block.omega_ratio:g}, omega_per_code = {spec.block.omega_per_code * 1e9:g} nA, counter "
             f"{spec.block.counter_variant}; guard band ±{g:g} nA; ideal rule on the simulated I_before and the "
             "simulated replica I_Ω.", "",
             "| run | testbenches | pulses | agreement | outside guard | no decision | inc and dec | steps ok | "
             "offset lower mean ± σ (nA) | offset upper mean ± σ (nA) | ngspice wall / bench (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, (_, s) in results.items():
        lines.append(f"| {label} | {s['testbenches']} | {s['pulses']} | {s['agreement']:.1%} | "
                     f"{s['agreement_outside_guard']:.1%} ({s['pulses_outside_guard']}) | {s['no_decision']} | "
                     f"{s['band_inversions']} | "
                     f"{s['steps_ok']:.1%} | "
                     f"{_mean_std_nA(s['offset_lower_mean'], s['offset_lower_std'], unit='')} | "
                     f"{_mean_std_nA(s['offset_upper_mean'], s['offset_upper_std'], unit='')} | "
                     f"{s['wall_mean']:.1f} (max {s['wall_max']:.1f}) |")
    for label, (table, _) in results.items():
        offsets = bound_offsets(table)
        if offsets["seed"].nunique() > 1:
            outside = table[table["margin"] > spec.guard]
            agree = (outside["decision"] == outside["ideal"]).groupby(outside["code"]).mean()
            lines += ["", f"## {label}: bound offsets over {offsets['seed'].nunique()} mismatch instances (nA)", "",
                      "| code | lower mean | lower σ | upper mean | upper σ | agreement outside guard |",
                      "|---|---|---|---|---|---|"]
            for code, grp in offsets.groupby("code"):
                lines.append(f"| {code} | {_nA(grp.offset_lower.mean(), '+.3f')} | {_nA(grp.offset_lower.std(), '.3f')} | "
                             f"{_nA(grp.offset_upper.mean(), '+.3f')} | {_nA(grp.offset_upper.std(), '.3f')} | "
                             f"{_percent(agree.get(code, float('nan')))} |")
            continue
        lines += ["", f"## {label}: per-code bounds (nA)", "",
                  "| code | I_Ω | ideal lower | effective | offset | ideal upper | effective | offset | agreement |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for _, row in offsets.iterrows():
            lines.append(f"| {row.code} | {_nA(row.i_omega, '.3f')} | {_nA(row.ideal_lower, '.3f')} | "
                         f"{_nA(row.eff_lower, '.3f')} | "
                         f"{_nA(row.offset_lower, '+.3f')} ± {_nA(row.resolution_lower, '.2f')} | "
                         f"{_nA(row.ideal_upper, '.3f')} | {_nA(row.eff_upper, '.3f')} | "
                         f"{_nA(row.offset_upper, '+.3f')} ± {_nA(row.resolution_upper, '.2f')} | {_percent(row.agreement, '.0%')} |")
    lines += ["", "Effective bound: the I_before threshold that best separates the simulated INC (DEC) "
              "pulses from the rest, midway between the two neighbouring levels; ± is half their gap "
              f"(± fine_step/2 = ±{spec.fine_step / 2 * 1e9:g} nA when the bound falls among the fine levels, "
              "larger when the simulated bound moved outside them); — when a column has no pulse on one side.", ""]
    return "\n".join(lines)


def verify(spec: DecisionMapSpec, out: Path, tech: Technology, settings: SimSettings, corners=("tt",), mc: int = 0,
           mc_codes=MC_CODES, executor=None, workers: int | None = None, resume: bool = False, log=print,
           maps: bool = True, mc_seed_base: int = 1) -> dict[str, tuple[pd.DataFrame, dict]]:
    """The full study: each corner's map, plus ``mc`` Monte-Carlo instances at the first corner
    (seeds mc_seed_base…mc_seed_base + mc − 1, ``mc_codes`` per instance, levels of ``mc_levels``). Writes
    decision_map_<label>.png / .csv, offsets.csv and summary.md under ``out`` (the jobs' results
    under ``out/runs/<label>``); returns label → (table, summary)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    runs = [(spec, c, (None,), spec.codes) for c in corners] if maps else []
    if mc:
        runs.append((mc_levels(spec), corners[0], tuple(range(mc_seed_base, mc_seed_base + mc)), tuple(mc_codes)))
    for run_spec, corner, seeds, codes in runs:
        label = corner if seeds == (None,) else f"{corner}_mc{len(seeds)}"
        start = time.time()
        table = run_decision_map(run_spec, tech, settings, out / "runs" / label, corner, seeds, codes, executor,
                                 workers, resume, log)
        s = summary(table, spec.guard)
        s["elapsed"] = time.time() - start
        results[label] = (table, s)
        table.to_csv(out / f"decision_map_{label}.csv", index=False)
        plot_decision_map(table, spec.block, out / f"decision_map_{label}.png",
                          f"learning block, {label}: agreement {s['agreement']:.1%},\n"  # two lines fit a column
                          f"outside ±{spec.guard * 1e9:g} nA {s['agreement_outside_guard']:.1%}")
        log(f"{label}: agreement {s['agreement']:.1%}, outside guard {s['agreement_outside_guard']:.1%}, "
            f"offsets lower {_mean_std_nA(s['offset_lower_mean'], s['offset_lower_std'])}, upper "
            f"{_mean_std_nA(s['offset_upper_mean'], s['offset_upper_std'])} ({s['elapsed']:.0f} s)")
    pd.concat([bound_offsets(t) for t, _ in results.values()]).to_csv(out / "offsets.csv", index=False)
    (out / "summary.md").write_text(markdown_summary(results, spec))
    return results


def _nA(value: float, form: str) -> str:
    return format(value * 1e9, form) if np.isfinite(value) else "—"


def _percent(value: float, form: str = ".1%") -> str:
    return format(value, form) if np.isfinite(value) else "—"


def _mean_std_nA(mean: float, std: float, unit: str = " nA") -> str:
    """mean ± σ in nA; σ left out when undefined (a single bound)."""
    return f"{mean * 1e9:+.3f}" + (f" ± {std * 1e9:.3f}" if np.isfinite(std) else "") + unit


def report_section(section, out: Path, folder: str, results: dict[str, tuple[pd.DataFrame, dict]]) -> None:
    """What ``verify`` wrote in ``out`` into a report section (``folder``: ``out`` relative to the report)."""
    prefix = f"{folder}/" if folder else ""
    section.text((Path(out) / "summary.md").read_text(), base=folder)
    for label in results:
        section.figure(f"{prefix}decision_map_{label}.png", f"simulated decisions over the ideal rule's bounds ({label})")


def mc_levels(spec: DecisionMapSpec) -> DecisionMapSpec:
    """The Monte-Carlo columns' levels: two far coarse levels and ±1.2 nA around each nominal bound in
    0.15 nA steps (23 pulses per column: offsets up to ~3σ of the mismatch stay resolved)."""
    return replace(spec, coarse=(min(spec.coarse), max(spec.coarse)), fine_span=1.2e-9, fine_step=0.15e-9)


def with_codes(spec: DecisionMapSpec, codes) -> DecisionMapSpec:
    return replace(spec, codes=tuple(int(c) for c in codes))
