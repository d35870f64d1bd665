"""Where a block's mismatch comes from: a quantity's spread per device group, one group's
mismatch on and the rest ideal (``circuits.mismatch``), seed by seed.

For a block (``BLOCKS``), each Monte-Carlo seed is simulated once with every device's mismatch
("all devices") and once per device group with only that group's; one nominal run (no mismatch)
is the reference. A group's contribution to a quantity is the spread over the seeds of
(quantity with only that group) − (nominal): σ (and the rms, which includes a mean shift). When
the groups act independently and small, their variances add up to the spread with all devices on;
the summary shows both (``sum of groups``, in quadrature).

Blocks and their quantities:

- ``learning-block``: the effective bounds' offsets from the ideal ones at a few codes, found by
  successive refinement of the INC / DEC boundaries (``extract.learning_block.refine_code``, to
  ±0.006 nA) on the decision testbench.
- ``plastic-synapse``: the net synaptic current at a held code (0: it should be none) under a
  200 Hz pulse train, the output held at the neuron input's voltage.
- ``neuron``: I_mem under the run's constant drive (no synapse). (The learning block takes I_mem
  itself into its current memory; the mirror design before it received a pFET copy, whose error
  this block also measured: σ ≈ 0.34 nA at 9 nA, 3×3 µm.)

Every simulation is a job of the run engine (stored under ``out/runs``, resumable).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ebn_circuit.circuits.learning_block import mismatch_groups as block_groups
from ebn_circuit.circuits.learning_loop import IcRun, drive_testbench, neuron_mismatch_groups
from ebn_circuit.circuits.mismatch import ALL, DeviceGroup, group_names, only_mismatch_in
from ebn_circuit.circuits.plastic_synapse import PlasticSynapseBenchParams, plastic_synapse_testbench
from ebn_circuit.circuits.plastic_synapse import mismatch_groups as synapse_groups
from ebn_circuit.errors import ConfigError
from ebn_circuit.extract import learning_block as extract_bounds
from ebn_circuit.measure.plastic_synapse import drive_current, net_current
from ebn_circuit.sweep.jobs import JobOutput, make_job, run_jobs
from ebn_circuit.sweep.settings import SimSettings
from ebn_circuit.technology.core import Technology

NOMINAL = "nominal (no mismatch)"


class GroupSimulator:
    """A simulator that runs every Monte-Carlo testbench with mismatch only in one device group."""

    def __init__(self, inner, groups: tuple[DeviceGroup, ...], keep: str):
        self.inner, self.groups, self.keep = inner, groups, keep

    def run(self, bench):
        if bench.seed is not None and self.keep != ALL:
            bench = only_mismatch_in(bench, self.groups, self.keep)
        return self.inner.run(bench)


# --- the blocks ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BoundsSetup(extract_bounds.BoundsSetup):
    """The extraction's bounds setup (block, max step, its columns) and the codes measured."""

    codes: tuple[int, ...] = (0,)


def _bounds(simulator, tech, setup: BoundsSetup, seed) -> dict[str, float]:
    out = {}
    for code in setup.codes:
        row, _, _ = extract_bounds.refine_code(simulator, tech, setup, int(code), seed)
        out[f"offset_lower@{code:+d}"] = row["offset_lower_A"]
        out[f"offset_upper@{code:+d}"] = row["offset_upper_A"]
    return out


def _bounds_bench(setup: BoundsSetup, tech: Technology):
    from ebn_circuit.circuits.learning_block import LearningBenchParams, learning_block_testbench
    return learning_block_testbench(LearningBenchParams(setup.block, seed=1), tech)


def _synapse(simulator, tech, params: PlasticSynapseBenchParams, seed) -> dict[str, float]:
    bench = replace(params, seed=seed)
    return {f"net_current@{params.code:+d}": net_current(bench, simulator.run(plastic_synapse_testbench(bench, tech)))}


def _neuron(simulator, tech, run: IcRun, seed) -> dict[str, float]:
    return {"i_mem": drive_current(simulator.run(drive_testbench(run, tech, seed)))}


@dataclass(frozen=True)
class Block:
    """measure(simulator, tech, setup, seed) → quantity → value (A); groups(setup); bench(setup,
    tech): one of its testbenches (to list the groups' devices); default(): the default setup."""

    measure: Callable[..., dict[str, float]]
    groups: Callable[[Any], tuple[DeviceGroup, ...]]
    bench: Callable[[Any, Technology], Any]
    default: Callable[[], Any]
    doc: str


def _default_run() -> IcRun:
    from ebn_circuit.experiments.ic_setup import load_run
    from ebn_circuit.experiments.ic_study import DEFAULT_RUNS
    return load_run(DEFAULT_RUNS[0])


BLOCKS: dict[str, Block] = {
    "learning-block": Block(_bounds, lambda s: block_groups(s.block), _bounds_bench, BoundsSetup,
                            "offsets of the effective bounds from the ideal ones"),
    "plastic-synapse": Block(_synapse, lambda p: synapse_groups(p.synapse),
                             lambda p, tech: plastic_synapse_testbench(replace(p, seed=1), tech),
                             lambda: PlasticSynapseBenchParams(synapse=_default_run().synapse),
                             "net synaptic current at a held code"),
    "neuron": Block(_neuron, neuron_mismatch_groups, lambda run, tech: drive_testbench(run, tech, 1), _default_run,
                    "I_mem under the run's drive"),
}


# --- jobs ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupRun:
    """One job: ``block``'s quantities at ``seed`` with mismatch only in ``group`` (ALL: every
    device; NOMINAL: none, seed None)."""

    block: str
    setup: Any
    group: str
    seed: int | None


def group_job(simulator, tech: Technology, task: GroupRun) -> JobOutput:
    block = BLOCKS[task.block]
    sim = GroupSimulator(simulator, block.groups(task.setup), task.group)
    values = block.measure(sim, tech, task.setup, task.seed)
    return JobOutput(row={"group": task.group, "seed": -1 if task.seed is None else task.seed, **values})


def groups_in(block: str, setup, tech: Technology) -> tuple[str, ...]:
    """The device groups that hold devices of the block's testbench, in order."""
    spec = BLOCKS[block]
    bench = spec.bench(setup, tech.with_mismatch(True))
    return group_names(bench.body, (tech.nfet, tech.pfet), spec.groups(setup))


def run_contributions(block: str, out: Path, tech: Technology, settings: SimSettings, seeds=range(1, 9),
                      setup=None, groups: tuple[str, ...] | None = None, executor=None, workers: int | None = None,
                      resume: bool = False, log=print) -> pd.DataFrame:
    """Every (seed × group) run of ``block`` plus the nominal one, as jobs stored under
    ``out/runs``; one row per run (group, seed, quantities in A)."""
    if block not in BLOCKS:
        raise ConfigError(f"verify mismatch: unknown block {block!r}; blocks: {', '.join(BLOCKS)}")
    setup = BLOCKS[block].default() if setup is None else setup
    groups = groups_in(block, setup, tech) if groups is None else tuple(groups)
    tasks = [GroupRun(block, setup, NOMINAL, None)]
    tasks += [GroupRun(block, setup, g, int(s)) for s in seeds for g in (ALL, *groups)]
    jobs = [make_job(group_job, t, tech.with_mismatch(t.seed is not None), settings,
                     label=f"{block} {t.group}" + ("" if t.seed is None else f" seed {t.seed}")) for t in tasks]
    results = run_jobs(jobs, Path(out) / "runs", name=f"mismatch contributions {block}", executor=executor,
                       workers=workers, resume=resume, progress=False, log=log)
    keep = ["group", "seed", *[k for k in results[0].row if "@" in k or k == "i_mem"]]
    return pd.DataFrame([{k: r.row[k] for k in keep} for r in results])


def contributions(runs: pd.DataFrame) -> pd.DataFrame:
    """Per quantity and group: the deviation from nominal over the seeds — mean, σ, rms (A) — and
    the group's share of the summed variance; the rows ``all devices`` and ``sum of groups`` (σ in
    quadrature) close each quantity."""
    quantities = [c for c in runs.columns if c not in ("group", "seed")]
    nominal = runs[runs["group"] == NOMINAL].iloc[0]
    rows = []
    for q in quantities:
        per = runs[runs["group"] != NOMINAL].assign(delta=lambda f: f[q] - nominal[q])
        stats = per.groupby("group", sort=False)["delta"].agg(
            mean="mean", sigma=lambda d: float(np.std(d, ddof=1)) if len(d) > 1 else float("nan"),
            rms=lambda d: float(np.sqrt(np.mean(np.square(d)))), seeds="count").reset_index()
        groups = stats[stats["group"] != ALL]
        total = float(np.sum(np.square(groups["sigma"])))
        stats["share"] = np.where(stats["group"] != ALL, np.square(stats["sigma"]) / total if total > 0 else np.nan,
                                  np.nan)
        rows.append(stats.assign(quantity=q, nominal=nominal[q]))
        rows.append(pd.DataFrame([{"group": "sum of groups", "sigma": float(np.sqrt(total)), "quantity": q,
                                   "nominal": nominal[q], "seeds": int(groups["seeds"].min())}]))
    table = pd.concat(rows, ignore_index=True)
    return table[["quantity", "group", "nominal", "mean", "sigma", "rms", "share", "seeds"]]


def markdown(table: pd.DataFrame, block: str, seeds) -> str:
    seeds = list(seeds)
    lines = [f"# Mismatch contributions: {block}", "",
             f"{BLOCKS[block].doc}; Monte-Carlo seeds {seeds[0]}…{seeds[-1]} ({len(seeds)}); per device group "
             "its mismatch alone (the rest ideal): the deviation from the nominal value over the seeds (nA).", "",
             "| quantity | device group | mean | σ | rms | share of Σσ² |", "|---|---|---|---|---|---|"]
    for row in table.itertuples():
        share = "" if not np.isfinite(row.share) else f"{row.share:.0%}"
        mean = "" if not np.isfinite(row.mean) else f"{row.mean * 1e9:+.3f}"
        rms = "" if not np.isfinite(row.rms) else f"{row.rms * 1e9:.3f}"
        bold = "**" if row.group in (ALL, "sum of groups") else ""
        lines.append(f"| {row.quantity} | {bold}{row.group}{bold} | {mean} | {bold}{row.sigma * 1e9:.3f}{bold} | "
                     f"{rms} | {share} |")
    return "\n".join(lines) + "\n"


def plot(table: pd.DataFrame, path: Path, title: str) -> Path:
    """One panel per quantity: σ per group (bars), with all devices and the quadrature sum."""
    from matplotlib.figure import Figure

    from ebn_circuit.plotting import save, style

    quantities = list(dict.fromkeys(table["quantity"]))
    groups = list(dict.fromkeys(table["group"]))
    with style():   # the toolkit's rc settings; the size grows with the panels and the groups
        fig = Figure(figsize=(2.2 * len(quantities) + 2.6, 0.22 * len(groups) + 1.4))
        axes = fig.subplots(1, len(quantities), sharey=True, squeeze=False)
    for ax, q in zip(axes[0], quantities):
        part = table[table["quantity"] == q].set_index("group").reindex(groups)
        colours = ["tab:grey" if g in (ALL, "sum of groups") else "tab:blue" for g in groups]
        ax.barh(range(len(groups)), part["sigma"] * 1e9, color=colours)
        ax.set_title(q)
        ax.set_xlabel("σ (nA)")
    axes[0][0].invert_yaxis()   # once: the panels share y (inverting each flipped it back on even counts)
    axes[0][0].set_yticks(range(len(groups)), groups)
    fig.suptitle(title)
    return save(fig, path)[0]


def study(block: str, out: Path, tech: Technology, settings: SimSettings, seeds=range(1, 9), setup=None,
          executor=None, workers: int | None = None, resume: bool = False, log=print) -> pd.DataFrame:
    """Run, then write ``runs.csv``, ``contributions.csv``, ``contributions.md`` and
    ``contributions.png`` under ``out``; returns the contributions table."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs = run_contributions(block, out, tech, settings, seeds, setup, executor=executor, workers=workers,
                             resume=resume, log=log)
    runs.to_csv(out / "runs.csv", index=False)
    table = contributions(runs)
    table.to_csv(out / "contributions.csv", index=False)
    (out / "contributions.md").write_text(markdown(table, block, seeds))
    plot(table, out / "contributions.png", f"{block}: mismatch contributions by device group\n"
                                           f"({len(list(seeds))} seeds, sky130 {tech.corner})")
    return table
