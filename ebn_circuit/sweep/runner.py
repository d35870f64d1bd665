"""run_sweep: plan → skip finished points → run the rest on an executor → stream rows to Parquet."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import tqdm

from ebn_circuit.errors import ConfigError
from ebn_circuit.sweep.executors import ProcessExecutor
from ebn_circuit.sweep.plan import plan_sweep
from ebn_circuit.sweep.spec import SweepSpec
from ebn_circuit.sweep.store import SweepStore


@dataclass
class SweepSummary:
    """What one run did. ``simulated`` counts the points this run executed (each point once,
    however often it was re-submitted); ``skipped`` the points found finished on disk."""

    name: str
    out: str
    executor: str
    workers: int
    total: int
    skipped: int = 0
    simulated: int = 0
    ok: int = 0
    failed: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # error class → count (this run)
    retried: int = 0
    resubmitted: list[str] = field(default_factory=list)    # keys re-run after a worker died
    corrupted: list[str] = field(default_factory=list)      # keys whose part was unreadable
    interrupted: bool = False
    wall_time: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.interrupted and self.skipped + self.simulated == self.total

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        causes = ", ".join(f"{n} {cause}" for cause, n in sorted(self.failures.items()))
        lines = [f"sweep {self.name}: {self.total} points; {self.skipped} already done, "
                 f"{self.simulated} simulated on {self.executor} ×{self.workers} in {self.wall_time:.1f} s",
                 f"  ok {self.ok}, failed {self.failed}" + (f" ({causes})" if causes else "")
                 + (f", {self.retried} retried with relaxed options" if self.retried else "")]
        if self.resubmitted:
            lines.append(f"  {len(self.resubmitted)} point run(s) lost with their worker and re-submitted")
        if self.corrupted:
            lines.append(f"  {len(self.corrupted)} corrupted part(s) deleted and recomputed")
        if self.interrupted:
            lines.append("  interrupted: run again with --resume to finish")
        lines.append(f"  results: {self.out}")
        return "\n".join(lines)


def check_out_folder(spec: SweepSpec, resume: bool = False, overwrite: bool = False) -> SweepStore:
    """The spec's store; a ConfigError when it holds results and neither flag says what to do, when
    both are given, or when another run is writing into it."""
    if resume and overwrite:
        raise ConfigError("--resume keeps finished points and --overwrite deletes them: give one of them")
    store = SweepStore(spec.out)
    store.check_unlocked()
    existing = store.part_keys()
    if existing and not (resume or overwrite):
        raise ConfigError(f"{spec.out} already holds {len(existing)} finished point(s); pass --resume "
                          f"(resume=True) to run only the missing ones, or --overwrite to start again")
    return store


def run_sweep(spec: SweepSpec, executor=None, workers: int | None = None, resume: bool = False,
              overwrite: bool = False, progress: bool = True, technology=None, settings=None,
              force: bool = False) -> SweepSummary:
    """Run every point of ``spec`` not yet finished in ``spec.out``; returns the summary
    (also written to ``spec.out/summary.json``). Read the rows with `load_results`.

    executor: a ProcessExecutor or DaskExecutor (None: a process pool of ``workers``,
        default one per core, closed at the end). A given executor stays open.
    resume: keep the points already finished in ``spec.out`` and run only the missing and
        failed ones. Without it an output folder that holds results is an error, unless
        ``overwrite`` (start afresh, deleting them).
    progress: a tqdm bar with ETA and the failure count on stderr.
    technology, settings: override the spec's technology and simulator settings (the CLI's).
    force: plan a sweep of more than MAX_POINTS points.
    The output folder is locked while the sweep runs (a second run into it is a ConfigError).
    """
    tasks = plan_sweep(spec, technology, settings, force=force)
    store = check_out_folder(spec, resume, overwrite)
    with store.locked():
        if overwrite:
            store.clear()
        return execute(spec.name, tasks, store, executor, workers, progress)


def execute(name: str, tasks: list, store: SweepStore, executor=None, workers: int | None = None,
            progress: bool = True, log=None) -> SweepSummary:
    """Run the tasks (sweep points or jobs) not finished ok in ``store``, each row written as it
    finishes; the summary is written to the store too. ``log``: a line per finished task."""
    store.prepare()
    rows, corrupted = store.scan(t.key for t in tasks)
    todo = [t for t in tasks if rows.get(t.key, {}).get("status") != "ok"]
    own = executor is None
    executor = executor or ProcessExecutor(workers)
    summary = SweepSummary(name=name, out=str(Path(store.root).resolve()), executor=executor.name,
                           workers=executor.workers, total=len(tasks), skipped=len(tasks) - len(todo),
                           corrupted=corrupted)
    causes: Counter[str] = Counter()
    bar = tqdm.tqdm(total=len(todo), desc=name, unit="run", disable=not progress, dynamic_ncols=True,
                    smoothing=0.1)
    bar.set_postfix(failed=0)
    done_keys: set[str] = set()

    def on_done(task, row: dict) -> None:
        store.write(row)
        if task.key not in done_keys:
            done_keys.add(task.key)
            summary.simulated += 1
        if row["status"] == "ok":
            summary.ok += 1
        else:
            summary.failed += 1
            causes[row["error"]] += 1
            bar.set_postfix(failed=summary.failed, refresh=False)
        summary.retried += bool(row.get("retried"))
        bar.update(1)
        if log is not None:
            log(f"  {name}: {row.get('label', row['index'])} {row['status']}"
                + (f" ({row['error']}: {row['message']})" if row["status"] != "ok" else "")
                + f", {row.get('wall_time', 0.0):.1f} s")

    start = time.perf_counter()
    resubmitted_before = len(executor.resubmitted)
    try:
        if todo:
            executor.run(todo, on_done)
    except KeyboardInterrupt:
        summary.interrupted = True
        raise
    finally:
        bar.close()
        summary.wall_time = time.perf_counter() - start
        summary.failures = dict(causes)
        summary.resubmitted = list(executor.resubmitted[resubmitted_before:])
        store.write_summary(summary.as_dict())
        if own:
            executor.close()
    return summary


def load_results(spec_or_folder: SweepSpec | str | Path) -> pd.DataFrame:
    """The rows of a sweep, sorted by point index: for a spec only its own points, for a
    folder every readable part."""
    if isinstance(spec_or_folder, SweepSpec):
        keys = [t.key for t in plan_sweep(spec_or_folder)]
        return SweepStore(spec_or_folder.out).load(keys)
    return SweepStore(spec_or_folder).load()
